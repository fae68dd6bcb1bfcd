"""The scenario schema's building blocks: strict number types and the base of every section
(:mod:`twin.scenario.spec` re-exports them)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Float = Annotated[float, Field(strict=True)]
"""A number in a file: an integer or a float, never ``true`` or a string such as ``"7"``."""
Int = Annotated[int, Field(strict=True)]
Bool = Annotated[bool, Field(strict=True)]


class Spec(BaseModel):
    """Base of every scenario section: immutable, unknown keys rejected, numbers finite
    (``inf``/``nan`` are valid TOML but never a valid duration, rate or place)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
