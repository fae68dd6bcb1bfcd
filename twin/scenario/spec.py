"""Scenarios: immutable what-if specs read from TOML and applied to a City by a pure function.

A scenario file overlays the base city (see ``scenarios/*.toml`` for commented examples)::

    name = "baseline"
    seed = 2026
    days = 7
    [incidents]      rate_multiplier, type_multipliers, [[incidents.scripted]]
    [fleet]          scale (per force), station_units (per station)
    [stations]       remove, [[stations.add]], [[stations.move]]
    [[sensors]]      network, district, coverage (share of pipe length watched)
    [[closures]]     name | edge_ids, start_h, duration_h, reason
    [[rainstorm]] [[earthquake]]   hazards (see twin.hazards.rain, twin.hazards.quake)
    [pipes]          failures (on/off), failure_rate_multiplier (see twin.hazards.lifelines)

Times in files are in hours or minutes as the key names say (``start_h``, ``t_min``);
inside they are converted to seconds. Unknown keys and bad values raise one
:class:`~twin.errors.TwinDataError` naming the key, the value and the line.

This module is the schema and its reader only; it depends on nothing of the model.
Against a city: :func:`twin.scenario.checks.check_against` reports every way a scenario does
not fit a city (unknown road/bridge names with suggestions, unknown ids and districts,
unknown incident types, places outside the city), each with the file and line;
:func:`twin.scenario.apply.apply` returns the changed city (stations, fleet, sensors)
without touching the original; the timeline of closures, hazards, pipe failures and drills
is :func:`twin.hazards.build.build_timeline`.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (BaseModel, ConfigDict, Field, PrivateAttr, ValidationError,
                      model_validator)

from twin.errors import Problem, TwinDataError

FORCES = ("community", "fire", "professional", "social", "air")
NETWORKS = ("water", "gas", "drainage")
Float = Annotated[float, Field(strict=True)]
"""A number in a file: an integer or a float, never ``true`` or a string such as ``"7"``."""
Int = Annotated[int, Field(strict=True)]
Bool = Annotated[bool, Field(strict=True)]
Hours = Annotated[float, Field(ge=0, strict=True)]


class Spec(BaseModel):
    """Base of every scenario section: immutable, unknown keys rejected, numbers finite
    (``inf``/``nan`` are valid TOML but never a valid duration, rate or place)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ScriptedIncident(Spec):
    """An incident at a given time and place (drills). Place: ``lon``/``lat`` or ``node_id``."""

    t_min: Float = Field(ge=0, description="onset, minutes after the start of the run")
    type: str
    lon: Float | None = Field(default=None, ge=-180, le=180)
    lat: Float | None = Field(default=None, ge=-90, le=90)
    node_id: str | None = None
    pipe_id: str | None = None
    label: str = ""
    detection: Literal["sensor", "call", "auto"] = "auto"

    @model_validator(mode="after")
    def _one_place(self) -> "ScriptedIncident":
        given = [self.lon is not None and self.lat is not None, self.node_id is not None,
                 self.pipe_id is not None]
        if sum(given) != 1:
            raise ValueError("give exactly one place: lon and lat, or node_id, or pipe_id")
        return self


class Incidents(Spec):
    """Random incident generation and scripted incidents."""

    rate_multiplier: Float = Field(default=1.0, ge=0)
    type_multipliers: dict[str, Annotated[float, Field(ge=0, strict=True)]] = Field(default_factory=dict)
    random: Bool = True
    scripted: tuple[ScriptedIncident, ...] = ()


class Fleet(Spec):
    """Fleet sizes: a multiplier per force on every station's units, or exact units per station."""

    scale: dict[Literal["community", "fire", "professional", "social", "air"],
                Annotated[float, Field(ge=0, strict=True)]] = Field(default_factory=dict)
    station_units: dict[str, Annotated[int, Field(ge=0, strict=True)]] = Field(default_factory=dict)


class NewStation(Spec):
    """A station added by the scenario."""

    station_id: str
    force: Literal["community", "fire", "professional", "social", "air"]
    name: str
    name_en: str = ""
    lon: Float = Field(ge=-180, le=180)
    lat: Float = Field(ge=-90, le=90)
    units: Int = Field(ge=0)


class MovedStation(Spec):
    station_id: str
    lon: Float = Field(ge=-180, le=180)
    lat: Float = Field(ge=-90, le=90)


class Stations(Spec):
    remove: tuple[str, ...] = ()
    add: tuple[NewStation, ...] = ()
    move: tuple[MovedStation, ...] = ()


class Sensors(Spec):
    """Sensor coverage: the share of a network's pipe length watched, in a district or city-wide."""

    network: Literal["water", "gas", "drainage"]
    coverage: Float = Field(ge=0, le=1)
    district: str | None = Field(default=None, description="district id, Chinese or English name")


class Closure(Spec):
    """Roads, bridges or tunnels shut for a period: by ``name`` (all edges so named) or ids."""

    name: str | None = Field(default=None, min_length=1)
    edge_ids: tuple[str, ...] = ()
    start_h: Hours = 0.0
    duration_h: Float | None = Field(default=None, gt=0, description="None: until the end")
    reason: str = "closure"

    @model_validator(mode="after")
    def _what(self) -> "Closure":
        if (self.name is None) == (not self.edge_ids):
            raise ValueError("give either name (a road, bridge or tunnel name) or edge_ids")
        return self


class Rainstorm(Spec):
    """A rainstorm: intensity (mm/h) over an area (district ids/names; empty = whole city).

    ``drainage_capacity_mm_h`` overrides the drainage capacity of the older networks
    (:data:`twin.hazards.rain.DRAINAGE_CAPACITY_MM_H`), e.g. to test a drainage upgrade."""

    start_h: Hours = 0.0
    duration_h: Float = Field(gt=0)
    intensity_mm_h: Float = Field(gt=0)
    districts: tuple[str, ...] = ()
    drainage_capacity_mm_h: Float | None = Field(default=None, gt=0)


class Earthquake(Spec):
    """An earthquake at ``t_h`` with epicentre, magnitude (Mw) and depth (km)."""

    t_h: Hours = 0.0
    lon: Float = Field(ge=-180, le=180)
    lat: Float = Field(ge=-90, le=90)
    magnitude: Float = Field(gt=0, le=9.5)
    depth_km: Float = Field(default=10.0, gt=0)


class Pipes(Spec):
    """Random pipe failures (rates by age, material, diameter: see twin.hazards.lifelines)."""

    failures: Bool = True
    failure_rate_multiplier: Float = Field(default=1.0, ge=0)


class Scenario(Spec):
    """A what-if scenario. ``days`` is the simulated duration; ``seed`` seeds the one RNG."""

    name: str = "baseline"
    description: str = ""
    seed: Int = Field(default=2026, ge=0, lt=2 ** 63)
    days: Float = Field(default=7.0, gt=0, le=366)
    city: str | None = Field(default=None, description="city folder; None = embedded twin")
    incidents: Incidents = Incidents()
    fleet: Fleet = Fleet()
    stations: Stations = Stations()
    sensors: tuple[Sensors, ...] = ()
    closures: tuple[Closure, ...] = ()
    rainstorm: tuple[Rainstorm, ...] = ()
    earthquake: tuple[Earthquake, ...] = ()
    pipes: Pipes = Pipes()
    source: str | None = Field(default=None, exclude=True)
    _text: str = PrivateAttr(default="")
    """The TOML text the scenario was parsed from, to locate keys in later checks."""

    @property
    def duration_s(self) -> float:
        """Simulated duration in seconds."""
        return self.days * 86400.0

    def with_(self, **changes: Any) -> "Scenario":
        """A copy with some top-level fields changed (validated again)."""
        data = self.model_dump(exclude={"source"})
        data.update({k: v.item() if isinstance(v, np.generic) else v for k, v in changes.items()})
        try:
            changed = Scenario.model_validate(data)
        except ValidationError as exc:
            where = f"{self.source or '<scenario>'} with {', '.join(changes)} changed"
            raise TwinDataError([_problem(where, "", err) for err in exc.errors()],
                                title="bad scenario") from None
        changed = changed.model_copy(update={"source": self.source})
        changed._text = self._text
        return changed


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read and validate a scenario TOML file (``None``: the built-in baseline)."""
    if path is None:
        return Scenario()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TwinDataError.one(str(path), f"cannot read scenario file: {exc.strerror}",
                                "check the path", title="bad scenario") from None
    return parse_scenario(text, str(path))


def parse_scenario(text: str, where: str = "<scenario>") -> Scenario:
    """Parse scenario TOML ``text``; errors name the file (``where``), line, key and value."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _toml_error_line(str(exc))
        raise TwinDataError.one(where, f"not valid TOML: {exc}", "fix the TOML syntax",
                                line=line, title="bad scenario") from None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(where, text, err) for err in exc.errors()]
        raise TwinDataError(problems, title="bad scenario") from None
    scenario = scenario.model_copy(update={"source": where})
    scenario._text = text
    return scenario


def _toml_error_line(message: str) -> int | None:
    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else None


def _problem(where: str, text: str, err: dict) -> Problem:
    loc = tuple(err["loc"])
    key = ".".join(str(p) for p in loc)
    value = err.get("input")
    if err["type"] == "extra_forbidden":
        what = f"unknown key '{key}'"
        fix = "remove it or correct its spelling (see scenarios/baseline.toml for the keys)"
    elif err["type"] == "value_error":  # a section's own check (e.g. Closure._what)
        what = f"'{key}': {err.get('ctx', {}).get('error', err['msg'])}"
        fix = "see the comments in scenarios/*.toml for what each key takes"
    else:
        shown = value if not isinstance(value, dict) else "{…}"
        what = f"bad value for '{key}' = {shown!r}: {err['msg']}"
        fix = "see the comments in scenarios/*.toml for what each key takes"
    return Problem(where=where, what=what, fix=fix, line=locate_key(text, loc))


def locate_key(text: str, loc: tuple) -> int | None:
    """Best-effort line number (1-based) of the key at ``loc`` in TOML ``text``.

    Walks the path: tables (``[a]``, ``[[a]]`` counted by index) then ``key =`` lines.
    """
    lines = text.splitlines()
    start, table = 0, ""
    parts = [p for p in loc if not isinstance(p, int)]
    indices = [p for p in loc if isinstance(p, int)]
    for depth in range(len(parts), 0, -1):
        header = ".".join(parts[:depth])
        nth = indices[0] if indices else 0
        found = _find_header(lines, header, nth)
        if found is not None:
            start, table = found, header
            break
    rest = parts[len(table.split(".")) if table else 0:]
    # the innermost key first, then its parents (a dict key may sit in an inline table)
    keys = list(reversed(rest)) if rest else ([parts[-1]] if parts else [])
    for key in keys:
        for i in range(start, len(lines)):
            stripped = lines[i].strip()
            if i > start and stripped.startswith("[") and table:
                break
            if re.match(rf"^\s*[\"']?{re.escape(str(key))}[\"']?\s*=", lines[i]):
                return i + 1
    return start + 1 if table else None


def _find_header(lines: list[str], header: str, nth: int) -> int | None:
    pat = re.compile(rf"^\s*\[\[?\s*{re.escape(header)}\s*\]\]?\s*(#.*)?$")
    hits = [i for i, ln in enumerate(lines) if pat.match(ln)]
    if not hits:
        return None
    return hits[min(nth, len(hits) - 1)]


def scenario_text(scenario: Scenario) -> str:
    """The TOML text the scenario was parsed from ('' when built in code)."""
    return scenario._text
