"""Scenarios between the page's JSON and TOML, checked exactly as the CLI checks them.

The page builds a scenario as JSON with the TOML file's keys; :func:`scenario_from_request`
turns it into TOML text (``tomli_w``) and parses that text with the same parser as a file,
so a bad value gets the same problem list (key, line of the TOML the page shows, how to
fix) as ``twin run`` prints. Coordinates in a scenario are WGS84 (not the GCJ-02 that
Chinese map apps show); the page's map is WGS84 too.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import tomli_w

from twin.errors import TwinDataError
from twin.model.city import City
from twin.scenario.checks import check_against
from twin.scenario.spec import Scenario, parse_scenario

WHERE = "scenario (from the app)"


def toml_text(data: dict[str, Any]) -> str:
    """TOML for a scenario given as JSON (keys as in a scenario file; ``None`` dropped)."""
    data = _drop_none(data)
    if isinstance(data.get("start_date"), str):  # JSON has no dates: write a TOML date
        try:
            data["start_date"] = date.fromisoformat(data["start_date"])
        except ValueError:
            pass  # left as text: the scenario's check names the bad value
    try:
        return tomli_w.dumps(data)
    except (TypeError, ValueError) as exc:
        raise TwinDataError.one(
            WHERE,
            f"cannot write these values as TOML: {exc}",
            "send numbers, strings, booleans, lists and tables only",
            title="bad scenario",
        ) from None


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value if v is not None]
    return value


def scenario_from_request(
    data: dict[str, Any] | None, text: str | None, city: City
) -> tuple[Scenario, str]:
    """The scenario (checked against ``city``) and its TOML text, from JSON or TOML.

    Raises :class:`~twin.errors.TwinDataError` listing every problem, as the CLI does.
    """
    if (data is None) == (text is None):
        raise TwinDataError.one(
            WHERE,
            "give the scenario either as JSON or as TOML text",
            'send {"scenario": {...}} or {"toml": "..."}',
            title="bad scenario",
        )
    source = text if text is not None else toml_text(data or {})
    scenario = parse_scenario(source, WHERE)
    if scenario.city is not None:
        raise TwinDataError.one(
            WHERE,
            "the app runs on the city it was started with",
            "remove the 'city' key (start `twin app --city PATH`)",
            title="bad scenario",
        )
    check_against(scenario, city)
    return scenario, source


def scenario_json(scenario: Scenario) -> dict[str, Any]:
    """A scenario as the page's JSON (the TOML keys; defaults included)."""
    return dict(scenario.model_dump(mode="json", exclude={"source"}))
