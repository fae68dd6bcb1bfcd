"""Scenarios: immutable what-if specs read from TOML and applied to a City by a pure function.

A scenario file overlays the base city (see ``scenarios/*.toml`` for commented examples)::

    name = "baseline"
    seed = 2026
    days = 7
    start_date = 2025-07-01  # optional: season and weekday of demand (none: an average day)
    datum = "wgs84"  # of every lon/lat below; "gcj02" (Amap/Tencent) or "bd09" (Baidu) converted
    [incidents]      rate_multiplier, density_elasticity, type_multipliers, [[incidents.scripted]]
    [fleet]          scale (per force), station_units (per station)
    [stations]       remove, [[stations.add]], [[stations.move]]
    [[sensors]]      network, district, coverage (share of pipe length watched)
    [[closures]]     name | edge_ids, start_h, duration_h, reason
    [[rainstorm]] [[earthquake]]   hazards (see twin.hazards.rain, twin.hazards.quake)
    [[fog]]          start_h, duration_h, visibility_m, districts (slows traffic)
    [traffic]        model = "table" | "assigned" (see twin.model.traffic)
    [pipes]          failures (on/off), failure_rate_multiplier (see twin.hazards.lifelines)
    [dispatch]       policy = "nearest" | "district_first" (see twin.sim.dispatch),
                     crews = "station" | "vehicle", crews_per_station (see twin.sim.turnouts)
    [surge]          enabled, trigger_open, release_after_h (see twin.sim.surge)
    [[reinforcement]] name, force, units, arrive_h, staging (see twin.sim.reinforcement)

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

import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import numpy as np
from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator

from twin.build.names import NAMED_CITIES
from twin.errors import Problem, ProblemList, TwinDataError
from twin.model.coords import convert_tree
from twin.scenario.ranges import ranged
from twin.scenario.spec_base import Bool, Float, Int, Spec
from twin.scenario.toml_text import (
    decode_text,
    follows_a_dropped_key,
    problem_from_error,
    toml_error_line,
    unsafe_name,
    without_errors,
)
from twin.scenario.weather import Fog, TrafficModel

FORCES = ("community", "fire", "professional", "social", "air")
NETWORKS = ("water", "gas", "drainage")


class ScriptedIncident(Spec):
    """An incident at a given time and place (drills). Place: ``lon``/``lat`` or ``node_id``."""

    t_min: Float = ranged("incidents.scripted.t_min")
    """Onset, minutes after the start of the run."""
    type: str
    lon: Float | None = Field(default=None, ge=-180, le=180)
    lat: Float | None = Field(default=None, ge=-90, le=90)
    node_id: str | None = None
    pipe_id: str | None = None
    label: str = ""
    detection: Literal["sensor", "call", "auto"] = "auto"

    @model_validator(mode="after")
    def _one_place(self) -> ScriptedIncident:
        given = [
            self.lon is not None and self.lat is not None,
            self.node_id is not None,
            self.pipe_id is not None,
        ]
        if sum(given) != 1:
            raise ValueError("give exactly one place: lon and lat, or node_id, or pipe_id")
        return self


class Incidents(Spec):
    """Random incident generation and scripted incidents."""

    rate_multiplier: Float = ranged("incidents.rate_multiplier", default=1.0)
    density_elasticity: Float = ranged("incidents.density_elasticity", default=0.0)
    type_multipliers: dict[
        str, Annotated[float, ranged("incidents.type_multipliers", strict=True)]
    ] = Field(default_factory=dict)
    random: Bool = True
    scripted: tuple[ScriptedIncident, ...] = ()


class Fleet(Spec):
    """Fleet sizes: a multiplier per force on every station's units, or exact units per station."""

    scale: dict[
        Literal["community", "fire", "professional", "social", "air"],
        Annotated[float, ranged("fleet.scale", strict=True)],
    ] = Field(default_factory=dict)
    station_units: dict[str, Annotated[int, ranged("fleet.station_units", strict=True)]] = Field(
        default_factory=dict
    )


class NewStation(Spec):
    """A station added by the scenario."""

    station_id: str
    force: Literal["community", "fire", "professional", "social", "air"]
    name: str
    name_en: str = ""
    lon: Float = Field(ge=-180, le=180)
    lat: Float = Field(ge=-90, le=90)
    units: Int = ranged("stations.add.units")


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
    coverage: Float = ranged("sensors.coverage")
    district: str | None = Field(default=None, description="district id, Chinese or English name")


class Closure(Spec):
    """Roads, bridges or tunnels shut for a period: by ``name`` (all edges so named) or ids."""

    name: str | None = Field(default=None, min_length=1)
    edge_ids: tuple[str, ...] = ()
    start_h: Float = ranged("closures.start_h", default=0.0)
    duration_h: Float | None = ranged("closures.duration_h", default=None)
    """None: until the end of the run."""
    reason: str = "closure"

    @model_validator(mode="after")
    def _what(self) -> Closure:
        if (self.name is None) == (not self.edge_ids):
            raise ValueError("give either name (a road, bridge or tunnel name) or edge_ids")
        return self


class Rainstorm(Spec):
    """A rainstorm: intensity (mm/h) over an area (district ids/names; empty = whole city).

    ``drainage_capacity_mm_h`` overrides the drainage capacity of the older networks
    (:data:`twin.hazards.rain.DRAINAGE_CAPACITY_MM_H`), e.g. to test a drainage upgrade."""

    start_h: Float = ranged("rainstorm.start_h", default=0.0)
    duration_h: Float = ranged("rainstorm.duration_h")
    intensity_mm_h: Float = ranged("rainstorm.intensity_mm_h")
    districts: tuple[str, ...] = ()
    drainage_capacity_mm_h: Float | None = ranged("rainstorm.drainage_capacity_mm_h", default=None)


class Earthquake(Spec):
    """An earthquake at ``t_h`` with epicentre, magnitude (Mw) and depth (km)."""

    t_h: Float = ranged("earthquake.t_h", default=0.0)
    lon: Float = Field(ge=-180, le=180)
    lat: Float = Field(ge=-90, le=90)
    magnitude: Float = ranged("earthquake.magnitude")
    depth_km: Float = ranged("earthquake.depth_km", default=10.0)


class Pipes(Spec):
    """Random pipe failures (rates by age, material, diameter: see twin.hazards.lifelines)."""

    failures: Bool = True
    failure_rate_multiplier: Float = ranged("pipes.failure_rate_multiplier", default=1.0)


class Dispatch(Spec):
    """How the 119 centre chooses units: ``nearest`` (default: the free unit with the
    smallest road time, any district) or ``district_first`` (see twin.sim.dispatch); and
    what is busy: ``crews = "station"`` (default: a fire station turns out as one or two
    crews, by class, or ``crews_per_station`` at every station) or ``"vehicle"`` (every
    vehicle its own crew; see twin.sim.turnouts)."""

    policy: Literal["nearest", "district_first"] = "nearest"
    crews: Literal["station", "vehicle"] = "station"
    crews_per_station: Int | None = ranged("dispatch.crews_per_station", default=None)


class Surge(Spec):
    """Surge dispatch (twin.sim.surge): declared at ``trigger_open`` open life-risk incidents
    (None: 50); crews may leave a scene after ``release_after_h`` (None: 2 h)."""

    enabled: Bool = True
    trigger_open: Int | None = ranged("surge.trigger_open", default=None)
    release_after_h: Float | None = ranged("surge.release_after_h", default=None)


class Reinforcement(Spec):
    """Teams from outside (跨区域增援, twin.sim.reinforcement): ``units`` of ``force`` at
    ``arrive_h`` h into the run, staged at ``staging`` (default: the force's stations)."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    force: Literal["community", "fire", "professional", "social", "air"]
    units: Int = ranged("reinforcement.units")
    arrive_h: Float = ranged("reinforcement.arrive_h")
    staging: tuple[str, ...] = ()


class Scenario(Spec):
    """A what-if scenario. ``days`` is the simulated duration; ``seed`` seeds the one RNG."""

    name: str = "baseline"
    description: str = ""
    seed: Int = Field(default=2026, ge=0, lt=2**63)
    days: Float = ranged("days", default=7.0)
    start_date: date | None = Field(
        default=None,
        description="first simulated day (TOML date, e.g. 2025-07-01): sets the season and "
        "weekday of the demand cycles (twin.sim.seasons); none = an average day of the year",
    )
    city: str | None = Field(
        default=None,
        description="city folder or built-in name ('municipality'); None = embedded twin",
    )
    """A city folder (relative paths are relative to the scenario file) or a built-in city
    name (``"municipality"``, ``"central"``). None: the embedded twin."""
    datum: Literal["wgs84", "gcj02", "bd09"] = Field(
        default="wgs84",
        description="datum of every lon/lat in the file (twin.model.coords): "
        "wgs84 (GPS, OSM), gcj02 (Amap, Tencent), bd09 (Baidu); converted to WGS84 on load",
    )
    converted_from: Literal["", "gcj02", "bd09"] = ""
    """Set on load when the file's lon/lat were converted from this datum (then ``datum``
    is ``wgs84`` and the lon/lat held are WGS84)."""
    incidents: Incidents = Incidents()
    fleet: Fleet = Fleet()
    stations: Stations = Stations()
    sensors: tuple[Sensors, ...] = ()
    closures: tuple[Closure, ...] = ()
    rainstorm: tuple[Rainstorm, ...] = ()
    fog: tuple[Fog, ...] = ()
    earthquake: tuple[Earthquake, ...] = ()
    traffic: TrafficModel = TrafficModel()
    pipes: Pipes = Pipes()
    dispatch: Dispatch = Dispatch()
    surge: Surge = Surge()
    reinforcement: tuple[Reinforcement, ...] = ()
    source: str | None = Field(default=None, exclude=True)
    _text: str = PrivateAttr(default="")
    """The TOML text the scenario was parsed from, to locate keys in later checks."""
    _problems: tuple[Problem, ...] = PrivateAttr(default=())
    """Problems of a lenient parse (:func:`form_problems`)."""

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        why = unsafe_name(name)
        if why:
            raise ValueError(why)
        return name

    @model_validator(mode="before")
    @classmethod
    def _to_wgs84(cls, data: Any) -> Any:
        """lon/lat declared in GCJ-02 or BD-09 become WGS84 (``converted_from`` says so)."""
        if isinstance(data, dict) and data.get("datum") in ("gcj02", "bd09"):
            converted: dict[str, Any] = cast(dict[str, Any], convert_tree(data, data["datum"]))
            data = {**converted, "datum": "wgs84", "converted_from": data["datum"]}
        return data

    @property
    def duration_s(self) -> float:
        """Simulated duration in seconds."""
        return self.days * 86400.0

    def with_(self, **changes: Any) -> Scenario:
        """A copy with some top-level fields changed (validated again)."""
        data = self.model_dump(exclude={"source"})
        data.update({k: v.item() if isinstance(v, np.generic) else v for k, v in changes.items()})
        try:
            changed = Scenario.model_validate(data)
        except ValidationError as exc:
            where = f"{self.source or '<scenario>'} with {', '.join(changes)} changed"
            raise TwinDataError(
                [problem_from_error(where, "", err) for err in exc.errors()], title="bad scenario"
            ) from None
        return _keep_private(self, changed.model_copy(update={"source": self.source}))


def load_scenario(path: str | Path | None = None, *, strict: bool = True) -> Scenario:
    """Read and validate a scenario TOML file (``None``: the built-in baseline).

    A relative ``city`` is resolved against the scenario file's folder. ``strict=False``
    returns a best-effort scenario (the keys in error left out) that carries its problems
    (:func:`form_problems`), so that :func:`twin.scenario.checks.check_against` can report
    them together with the problems against the city; the runner never runs such a
    scenario. Unreadable, non-UTF-8 and non-TOML files raise in both modes."""
    if path is None:
        return Scenario()
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TwinDataError.one(
            str(path),
            f"cannot read scenario file: {exc.strerror}",
            "check the path",
            title="bad scenario",
        ) from None
    scenario = parse_scenario(decode_text(raw, str(path)), str(path), strict=strict)
    if scenario.city is not None and _relative_folder(scenario.city, path.parent):
        scenario = _keep_private(
            scenario, scenario.model_copy(update={"city": str(path.parent / scenario.city)})
        )
    return scenario


def _relative_folder(city: str, folder: Path) -> bool:
    """Is ``city`` a relative folder path (to resolve against the scenario's ``folder``)?
    A built-in city name (``"municipality"``) is not, unless such a folder exists there."""
    if Path(city).expanduser().is_absolute():
        return False
    return city not in NAMED_CITIES or (folder / city).exists()


def parse_scenario(text: str, where: str = "<scenario>", *, strict: bool = True) -> Scenario:
    """Parse scenario TOML ``text``; errors name the file (``where``), line, key and value.
    ``strict=False``: see :func:`load_scenario`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = toml_error_line(str(exc))
        raise TwinDataError.one(
            where, f"not valid TOML: {exc}", "fix the TOML syntax", line=line, title="bad scenario"
        ) from None
    problems = ProblemList()
    dropped: set[tuple[Any, ...]] = set()  # keys left out: their absence is no new problem
    for _ in range(MAX_ROUNDS):
        try:
            scenario = Scenario.model_validate(data)
            break
        except ValidationError as exc:
            errors = exc.errors()
            problems.extend(
                problem_from_error(where, text, err)
                for err in errors
                if not (err["type"] == "missing" and tuple(err["loc"]) in dropped)
                and not follows_a_dropped_key(tuple(err["loc"]), dropped)
            )
            if strict:
                raise TwinDataError(list(problems), title="bad scenario") from None
            dropped |= {tuple(err["loc"]) for err in errors}
            data = without_errors(data, errors)
    else:  # pragma: no cover - every round removes at least one key
        scenario = Scenario()
    scenario = scenario.model_copy(update={"source": where})
    scenario._text = text
    scenario._problems = tuple(problems)
    return scenario


MAX_ROUNDS = 50
"""Rounds of leaving out keys in error before a lenient parse gives up (each round removes
at least one key; a section left without a required key is removed the next round)."""


def form_problems(scenario: Scenario) -> tuple[Problem, ...]:
    """Problems found when the scenario was read leniently (``strict=False``); () else."""
    return scenario._problems


def _keep_private(old: Scenario, new: Scenario) -> Scenario:
    new._text, new._problems = old._text, old._problems
    return new


def scenario_text(scenario: Scenario) -> str:
    """The TOML text the scenario was parsed from ('' when built in code)."""
    return scenario._text
