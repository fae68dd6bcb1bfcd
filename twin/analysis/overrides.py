"""Parameter overrides for sensitivity runs: ``path=value`` or ``path*=factor`` on the engine
configuration or the scenario, applied as pure copies (nothing is mutated).

A path walks attributes of frozen dataclasses (:class:`twin.sim.engine.EngineConfig`, force
specs, distributions, detection), keys of dicts (``forces``, ``catalogue``) and fields of
pydantic models (the scenario); ``*`` stands for every key/field that has the rest of the
path. Paths starting with ``scenario.`` change the scenario, all others the engine config::

    forces.fire.turnout_s=90                 # set
    catalogue.*.work.median_s*=1.5           # scale every type's median work time
    scenario.incidents.rate_multiplier=2     # twice the calls

Parameters kept as module constants (e.g. road congestion in :mod:`twin.model.roads`)
cannot be overridden this way; a parameter must be reachable from the config to be varied.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from pydantic import BaseModel

from twin.errors import TwinDataError
from twin.scenario.spec import Scenario
from twin.sim.engine import EngineConfig


@dataclass(frozen=True)
class Override:
    """One change: set ``path`` to ``value``, or multiply it by ``value`` when ``scale``."""

    path: str
    value: float
    scale: bool = False

    @classmethod
    def parse(cls, text: str) -> Override:
        """``path=value`` or ``path*=factor``."""
        scale = "*=" in text
        path, sep, value = text.partition("*=" if scale else "=")
        try:
            return cls(path.strip(), float(value), scale)
        except ValueError:
            raise TwinDataError.one(
                "override",
                f"{text!r} is not path=number or path*=number",
                "write e.g. forces.fire.turnout_s=90",
                title="bad override",
            ) from None

    def __str__(self) -> str:
        return f"{self.path}{'*=' if self.scale else '='}{self.value:g}"


def _has(obj: Any, parts: list[str]) -> bool:
    for p in parts:
        if isinstance(obj, dict):
            if p not in obj:
                return False
            obj = obj[p]
        elif p != "*" and hasattr(obj, p):
            obj = getattr(obj, p)
        else:
            return p == "*"
    return True


def _children(obj: Any) -> list[str]:
    if isinstance(obj, dict):
        return list(obj)
    if dataclasses.is_dataclass(obj):
        return [f.name for f in dataclasses.fields(obj)]
    if isinstance(obj, BaseModel):
        return list(type(obj).model_fields)
    return []


def _set(obj: Any, parts: list[str], fn: Callable[[Any], Any], where: str) -> Any:
    if not parts:
        return fn(obj)
    head, rest = parts[0], parts[1:]
    keys = [k for k in _children(obj) if _has(_get(obj, k), rest)] if head == "*" else [head]
    if not keys or (head != "*" and not _has(obj, [head])):
        raise KeyError(f"{where}: no {head!r} here (has: {', '.join(_children(obj))})")
    new = {k: _set(_get(obj, k), rest, fn, f"{where}.{k}") for k in keys}
    if isinstance(obj, dict):
        return {**obj, **new}
    if dataclasses.is_dataclass(obj):
        return dataclasses.replace(cast(Any, obj), **new)
    if isinstance(obj, BaseModel):
        return obj.model_copy(update=new)
    raise KeyError(f"{where}: cannot change {type(obj).__name__}")


def _get(obj: Any, key: str) -> Any:
    return obj[key] if isinstance(obj, dict) else getattr(obj, key)


def apply_overrides(
    config: EngineConfig, scenario: Scenario, overrides: list[Override] | tuple[Override, ...]
) -> tuple[EngineConfig, Scenario]:
    """The config and scenario with every override applied, in order."""
    for o in overrides:

        def fn(old: Any, o: Override = o) -> float:
            if isinstance(old, bool) or not isinstance(old, (int, float)):
                raise KeyError(f"{o.path}: {old!r} is not a number")
            return old * o.value if o.scale else o.value

        parts = o.path.split(".")
        try:
            if parts[0] == "scenario":
                scenario = _set(scenario, parts[1:], fn, "scenario")
            else:
                config = _set(config, parts, fn, "config")
        except KeyError as e:
            raise TwinDataError.one(
                "override",
                f"{o}: {e.args[0]}",
                "give a path to a number in the engine config or scenario",
                title="bad override",
            ) from None
    return config, scenario


def get_value(config: EngineConfig, scenario: Scenario, path: str) -> Any:
    """The current value at ``path`` (no ``*``); KeyError when absent."""
    parts = path.split(".")
    obj: Any = scenario if parts[0] == "scenario" else config
    for p in parts[1:] if parts[0] == "scenario" else parts:
        if not _has(obj, [p]):
            raise KeyError(path)
        obj = _get(obj, p)
    return obj
