"""Scenarios: immutable what-if specs read from TOML and applied to a City by a pure function.

A scenario file overlays the base city (see ``scenarios/*.toml`` for commented examples)::

    name = "baseline"
    seed = 2026
    days = 7
    datum = "wgs84"  # of every lon/lat below; "gcj02" (Amap/Tencent) or "bd09" (Baidu) converted
    [incidents]      rate_multiplier, type_multipliers, [[incidents.scripted]]
    [fleet]          scale (per force), station_units (per station)
    [stations]       remove, [[stations.add]], [[stations.move]]
    [[sensors]]      network, district, coverage (share of pipe length watched)
    [[closures]]     name | edge_ids, start_h, duration_h, reason
    [[rainstorm]] [[earthquake]]   hazards (see twin.hazards.natural)
    [pipes]          failures (on/off), failure_rate_multiplier (see twin.hazards.lifelines)

Times in files are in hours or minutes as the key names say (``start_h``, ``t_min``);
inside they are converted to seconds. Unknown keys and bad values raise one
:class:`~twin.errors.TwinDataError` naming the key, the value and the line.

Against a city: :func:`check_against` reports every way a scenario does not fit a city
(unknown road/bridge names with suggestions, unknown ids and districts, unknown incident
types, places outside the city), each with the file and line; :func:`apply` returns the
changed city (stations, fleet, sensors) without touching the original; the timeline of
closures, hazards, pipe failures and drills is :func:`twin.hazards.lifelines.build_timeline`.
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
from twin.model.coords import convert_tree

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
    (:data:`twin.hazards.DRAINAGE_CAPACITY_MM_H`), e.g. to test a drainage upgrade."""

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
    datum: Literal["wgs84", "gcj02", "bd09"] = Field(
        default="wgs84", description="datum of every lon/lat in the file (twin.model.coords): "
        "wgs84 (GPS, OSM), gcj02 (Amap, Tencent), bd09 (Baidu); converted to WGS84 on load")
    converted_from: Literal["", "gcj02", "bd09"] = ""
    """Set on load when the file's lon/lat were converted from this datum (then ``datum``
    is ``wgs84`` and the lon/lat held are WGS84)."""
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

    @model_validator(mode="before")
    @classmethod
    def _to_wgs84(cls, data: Any) -> Any:
        """lon/lat declared in GCJ-02 or BD-09 become WGS84 (``converted_from`` says so)."""
        if isinstance(data, dict) and data.get("datum") in ("gcj02", "bd09"):
            data = {**convert_tree(data, data["datum"]), "datum": "wgs84",
                    "converted_from": data["datum"]}
        return data

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


# ------------------------------------------------------------------ the scenario on a city
#
# ``apply`` (pure: a new City) and ``check_against`` (every problem at once) live here; the
# timeline a scenario schedules is built by :func:`twin.hazards.lifelines.build_timeline`.

"""Districts of this ``level`` are the study area: stations and scripted places must lie in
one of them."""
MAX_EPICENTRE_KM = 300.0
"""An earthquake farther than this from every road node is reported (BA08 is valid to
200 km; farther away a city does not feel a crustal event — probably a lon/lat mistake)."""


def known_incident_types() -> tuple[str, ...]:
    """Incident type names of the engine's catalogue (``twin.sim.incidents.CATALOGUE``)."""
    from twin.sim.incidents import CATALOGUE  # noqa: PLC0415 — geopandas-heavy, load on use

    return tuple(CATALOGUE)


def scenario_text(scenario: Scenario) -> str:
    """The TOML text the scenario was parsed from ('' when built in code)."""
    return scenario._text


class _Reporter:
    """Collects problems about one scenario, each located by its key path in the file."""

    def __init__(self, scenario: Scenario) -> None:
        from twin.errors import ProblemList

        self.where = scenario.source or "<scenario>"
        self.text = scenario_text(scenario)
        self.problems = ProblemList()

    def add(self, loc: tuple, what: str, fix: str = "", ids: tuple = ()) -> None:
        line = locate_key(self.text, loc) if self.text else None
        self.problems.add(self.where, what, fix, ids, line)


def _suggest(word: str, choices) -> str:
    import difflib

    close = difflib.get_close_matches(word, sorted(set(choices)), n=3, cutoff=0.5)
    return f"did you mean {' or '.join(close)}?" if close else ""


def _norm_district(s: str) -> str:
    s = str(s).strip().lower()
    for suffix in (" district", "district", " county", "区", "县"):
        if s.endswith(suffix) and len(s) > len(suffix):
            s = s[: -len(suffix)]
    return s.strip()


def resolve_district(city, key: str | None) -> str | None:
    """District id for ``key``: a district id, a Chinese name (渝中区 or 渝中) or an English
    name (Yuzhong or Yuzhong District, any case); None when nothing matches."""
    if key is None:
        return None
    d = city.districts
    ids = d["district_id"].astype(str).tolist()
    k = str(key).strip()
    if k in ids:
        return k
    target = _norm_district(k)
    for col in ("name", "name_en"):
        for did, name in zip(ids, d[col].astype(str)):
            if name.strip() == k or _norm_district(name) == target:
                return did
    return None


def _district_choices(city) -> list[str]:
    d = city.districts
    return [*d["district_id"].astype(str), *d["name"].astype(str), *d["name_en"].astype(str)]


def core_district_at(city, xy) -> str | None:
    """Id of the core district whose polygon contains point ``xy`` (metres), if any."""
    import shapely

    core = city.core_districts
    if len(core) == 0:
        return None
    inside = shapely.contains_xy(core.geometry.values, float(xy[0]), float(xy[1]))
    hit = np.flatnonzero(inside)
    return str(core["district_id"].iat[hit[0]]) if len(hit) else None


def outside_city(city, xy) -> str | None:
    """Why point ``xy`` (metres, city CRS) is not a usable place in the city — outside every
    core district, or farther than ``twin.model.validate.MAX_SNAP_M`` from a road node — or None."""
    from twin.model.validate import MAX_SNAP_M

    if core_district_at(city, xy) is None:
        return "lies outside the city's core districts"
    if len(city.road_nodes) == 0:
        return "cannot be placed: the city has no road nodes"
    _, dist = city.roads.snap(np.asarray(xy, float))
    if not dist[0] <= MAX_SNAP_M:
        return f"is {dist[0]:.0f} m from the nearest road node (at most {MAX_SNAP_M:.0f} m)"
    return None


def timeline_problems(scenario: Scenario, city):
    """Problems with what the scenario schedules (closures, hazards, scripted incidents) on
    ``city``: unknown road/bridge names (with suggestions) and edge ids, unknown districts,
    unknown incident types, unknown node/pipe ids, places outside the city, times after the
    end of the run. Returns a :class:`~twin.errors.ProblemList` (each with file and line)."""
    from twin.hazards.lifelines import edges_named, road_names

    rep = _Reporter(scenario)
    run_h = scenario.days * 24.0
    edges = city.road_edges
    edge_ids = set(edges["edge_id"].astype(str))
    for i, c in enumerate(scenario.closures):
        if c.name is not None and len(edges_named(city, c.name)) == 0:
            hint = _suggest(c.name.strip(), road_names(city))
            rep.add(("closures", i, "name"), f"no road, bridge or tunnel is named '{c.name}'",
                    hint or "use a name from road_edges.name, or give edge_ids", (c.name,))
        unknown = [e for e in c.edge_ids if e not in edge_ids]
        if unknown:
            rep.add(("closures", i, "edge_ids"), f"unknown road edge ids {unknown}",
                    "use edge_id values of the city's road_edges layer", tuple(unknown))
        if c.start_h >= run_h:
            rep.add(("closures", i, "start_h"), f"closure starts at {c.start_h:g} h, after the "
                    f"run ends ({run_h:g} h)", "start it earlier or raise days")
    for i, r in enumerate(scenario.rainstorm):
        for d in r.districts:
            if resolve_district(city, d) is None:
                rep.add(("rainstorm", i, "districts"), f"unknown district '{d}'",
                        _suggest(d, _district_choices(city)) or
                        "use a district id, Chinese or English name", (d,))
        if r.start_h >= run_h:
            rep.add(("rainstorm", i, "start_h"), f"rainstorm starts at {r.start_h:g} h, after "
                    f"the run ends ({run_h:g} h)", "start it earlier or raise days")
    for i, q in enumerate(scenario.earthquake):
        if q.t_h >= run_h:
            rep.add(("earthquake", i, "t_h"), f"earthquake at {q.t_h:g} h comes after the run "
                    f"ends ({run_h:g} h)", "make it earlier or raise days")
        if len(city.road_nodes):
            _, dist = city.roads.snap(city.xy_from_lonlat(q.lon, q.lat))
            if dist[0] > MAX_EPICENTRE_KM * 1000:
                rep.add(("earthquake", i, "lon"), f"epicentre {q.lon}, {q.lat} is "
                        f"{dist[0] / 1000:.0f} km from the city (more than "
                        f"{MAX_EPICENTRE_KM:.0f} km)", "check lon and lat (WGS84 degrees)")
    _incident_problems(scenario, city, rep)
    return rep.problems


def _incident_problems(scenario: Scenario, city, rep: _Reporter) -> None:
    from twin.hazards.lifelines import NETWORK_OF_INCIDENT  # types only a pipe of one network causes

    types = known_incident_types()
    for t in scenario.incidents.type_multipliers:
        if t not in types:
            rep.add(("incidents", "type_multipliers", t), f"unknown incident type '{t}'",
                    _suggest(t, types) or f"known types: {', '.join(types)}", (t,))
    node_ids = set(city.road_nodes["node_id"].astype(str))
    network_of_pipe = dict(zip(city.pipes["pipe_id"].astype(str),
                               city.pipes["network"].astype(str)))
    run_min = scenario.days * 1440.0
    for k, s in enumerate(scenario.incidents.scripted):
        loc = ("incidents", "scripted", k)
        if s.type not in types:
            rep.add((*loc, "type"), f"unknown incident type '{s.type}'",
                    _suggest(s.type, types) or f"known types: {', '.join(types)}", (s.type,))
        if s.t_min >= run_min:
            rep.add((*loc, "t_min"), f"scripted incident at {s.t_min:g} min comes after the "
                    f"run ends ({run_min:g} min)", "make it earlier or raise days")
        if s.node_id is not None and s.node_id not in node_ids:
            rep.add((*loc, "node_id"), f"unknown road node id '{s.node_id}'",
                    "use a node_id of the city's road_nodes, or lon/lat", (s.node_id,))
        if s.pipe_id is not None and s.pipe_id not in network_of_pipe:
            rep.add((*loc, "pipe_id"), f"unknown pipe id '{s.pipe_id}'",
                    "use a pipe_id of the city's pipes layer", (s.pipe_id,))
        elif s.pipe_id is not None and s.type in NETWORK_OF_INCIDENT and \
                network_of_pipe[s.pipe_id] != NETWORK_OF_INCIDENT[s.type]:
            rep.add((*loc, "pipe_id"), f"a {s.type} cannot happen on pipe '{s.pipe_id}': it "
                    f"is a {network_of_pipe[s.pipe_id]} pipe",
                    f"give a {NETWORK_OF_INCIDENT[s.type]} pipe's id", (s.pipe_id,))
        if s.lon is not None and s.lat is not None:
            why = outside_city(city, city.xy_from_lonlat(s.lon, s.lat))
            if why:
                rep.add((*loc, "lon"), f"scripted place {s.lon}, {s.lat} {why}",
                        "give a lon/lat inside the city, on or near a road", (s.label or s.type,))


def city_problems(scenario: Scenario, city):
    """Problems with what :func:`apply` changes: station ids to remove/move/resize that the
    city lacks, added or moved stations outside the city, duplicate ids, sensor entries for
    unknown districts or absent networks."""
    rep = _Reporter(scenario)
    st = scenario.stations
    base = set(city.stations["station_id"].astype(str))
    unknown = [sid for sid in st.remove if sid not in base]
    if unknown:
        rep.add(("stations", "remove"), f"cannot remove unknown stations {unknown}",
                _suggest(unknown[0], base) or "use station_id values of the stations layer",
                tuple(unknown))
    kept = base - set(st.remove)
    for i, mv in enumerate(st.move):
        if mv.station_id not in kept:
            rep.add(("stations", "move", i, "station_id"), f"cannot move unknown or removed "
                    f"station '{mv.station_id}'", _suggest(mv.station_id, kept), (mv.station_id,))
        why = outside_city(city, city.xy_from_lonlat(mv.lon, mv.lat))
        if why:
            rep.add(("stations", "move", i, "lon"), f"station '{mv.station_id}' moved to "
                    f"{mv.lon}, {mv.lat} {why}", "move it inside the city, near a road",
                    (mv.station_id,))
    added: set[str] = set()
    for i, ad in enumerate(st.add):
        if ad.station_id in kept or ad.station_id in added:
            rep.add(("stations", "add", i, "station_id"), f"station id '{ad.station_id}' "
                    "already exists", "give the new station a new id", (ad.station_id,))
        added.add(ad.station_id)
        why = outside_city(city, city.xy_from_lonlat(ad.lon, ad.lat))
        if why:
            rep.add(("stations", "add", i, "lon"), f"new station '{ad.station_id}' at "
                    f"{ad.lon}, {ad.lat} {why}", "place it inside the city, within "
                    "500 m of a road", (ad.station_id,))
    for sid in scenario.fleet.station_units:
        if sid not in kept | added:
            rep.add(("fleet", "station_units", sid), f"unknown or removed station '{sid}' in "
                    "fleet.station_units", _suggest(sid, kept | added) or
                    "use a station_id of the stations layer or of [[stations.add]]", (sid,))
    networks = set(city.pipes["network"].astype(str))
    for i, s in enumerate(scenario.sensors):
        if s.district is not None and resolve_district(city, s.district) is None:
            rep.add(("sensors", i, "district"), f"unknown district '{s.district}'",
                    _suggest(s.district, _district_choices(city)) or
                    "use a district id, Chinese or English name", (s.district,))
        if s.network not in networks:
            rep.add(("sensors", i, "network"), f"the city has no {s.network} pipes to watch",
                    "remove this [[sensors]] entry or load a city with that network")
    return rep.problems


def problems_against(scenario: Scenario, city):
    """Every problem of ``scenario`` on ``city`` (:func:`city_problems` and
    :func:`timeline_problems`), without raising."""
    problems = city_problems(scenario, city)
    problems.extend(timeline_problems(scenario, city))
    return problems


def check_against(scenario: Scenario, city) -> None:
    """Raise one :class:`TwinDataError` listing every way ``scenario`` does not fit ``city``
    (each problem with the scenario file and line). The runner calls this before simulating,
    so nothing runs half-way."""
    problems_against(scenario, city).raise_if_any("scenario does not fit the city")


def apply(scenario: Scenario, city):
    """The city as the scenario changes it — a new :class:`~twin.model.city.City`; ``city`` and its
    GeoDataFrames are never modified (changed layers are copies).

    In order: ``stations.remove``; ``stations.move`` (new place, district from the polygon);
    ``fleet.scale`` per force on the remaining stations (units = round half up of units ×
    scale; added stations keep the units they state); ``stations.add``; then
    ``fleet.station_units`` (exact units, also for added stations); then ``[[sensors]]``
    (:func:`twin.hazards.lifelines.raise_coverage`, entries applied in order, coverage never lowered).
    Raises :class:`TwinDataError` (file and line) for unknown ids and stations outside the
    city.
    """
    city_problems(scenario, city).raise_if_any("scenario does not fit the city")
    stations = _apply_stations(scenario, city)
    pipes = _apply_sensors(scenario, city)
    new = city.replace(stations=stations, pipes=pipes)
    for cached in ("roads", "graph"):  # roads are unchanged: keep the derived arrays
        if cached in city.__dict__:
            new.__dict__[cached] = city.__dict__[cached]
    return new


def _apply_stations(scenario: Scenario, city):
    import geopandas as gpd
    import pandas as pd
    import shapely

    st, fleet = scenario.stations, scenario.fleet
    if not (st.remove or st.move or st.add or fleet.scale or fleet.station_units):
        return city.stations
    out = city.stations.copy()
    if st.remove:
        out = out[~out["station_id"].astype(str).isin(list(st.remove))]
    out = out.reset_index(drop=True)
    if st.move:
        geoms = np.asarray(out.geometry.values, dtype=object).copy()
        district = out["district_id"].astype(object).to_numpy().copy()
        ids = out["station_id"].astype(str).to_numpy()
        for mv in st.move:
            xy = city.xy_from_lonlat(mv.lon, mv.lat)
            i = int(np.flatnonzero(ids == mv.station_id)[0])
            geoms[i] = shapely.Point(xy)
            district[i] = core_district_at(city, xy) or district[i]
        out[out.geometry.name] = gpd.GeoSeries(geoms, index=out.index, crs=city.crs)
        out["district_id"] = district
    for force, scale in fleet.scale.items():
        mask = (out["force"] == force).to_numpy()
        units = out["units"].to_numpy(float)
        out["units"] = np.where(mask, np.floor(units * scale + 0.5), units).astype(np.int64)
    if st.add:
        rows = []
        for ad in st.add:
            xy = city.xy_from_lonlat(ad.lon, ad.lat)
            rows.append({"station_id": ad.station_id, "force": ad.force, "name": ad.name,
                         "name_en": ad.name_en, "district_id": core_district_at(city, xy) or "",
                         "units": int(ad.units), "geometry": shapely.Point(xy)})
        new = gpd.GeoDataFrame(rows, geometry="geometry", crs=city.crs)
        if out.geometry.name != "geometry":
            new = new.rename_geometry(out.geometry.name)
        out = gpd.GeoDataFrame(pd.concat([out, new], ignore_index=True),
                               geometry=out.geometry.name, crs=city.crs)
    if fleet.station_units:
        ids = out["station_id"].astype(str)
        units = out["units"].to_numpy(np.int64).copy()
        for sid, n in fleet.station_units.items():
            units[(ids == sid).to_numpy()] = n
        out["units"] = units
    return out


def _apply_sensors(scenario: Scenario, city):
    if not scenario.sensors:
        return city.pipes
    from twin.hazards.lifelines import raise_coverage

    pipes = city.pipes
    for s in scenario.sensors:
        pipes = raise_coverage(city, s.network, s.coverage,
                               resolve_district(city, s.district), pipes=pipes)
    return pipes
