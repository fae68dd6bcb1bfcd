"""A scenario against a city: every way it does not fit, each with the file and line.

:func:`check_against` raises one :class:`~twin.errors.TwinDataError` listing all problems
(:func:`city_problems`: what :func:`twin.scenario.apply.apply` changes; and
:func:`timeline_problems`: what :func:`twin.hazards.build.build_timeline` schedules);
:func:`problems_against` returns them without raising.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable

from twin.errors import ProblemList, TwinDataError
from twin.hazards.closures import edges_named, road_names
from twin.hazards.lifelines import NETWORK_OF_INCIDENT
from twin.model.city import City, load_city
from twin.model.places import district_choices, outside_city, resolve_district
from twin.scenario.spec import Scenario, form_problems, scenario_text
from twin.scenario.toml_text import locate_key
from twin.sim.incidents import CATALOGUE

MAX_EPICENTRE_KM = 300.0
"""An earthquake farther than this from every road node is reported (BA08 is valid to
200 km; farther away a city does not feel a crustal event — probably a lon/lat mistake)."""


def known_incident_types() -> tuple[str, ...]:
    """Incident type names of the engine's catalogue (``twin.sim.incidents.CATALOGUE``)."""
    return tuple(CATALOGUE)


class _Reporter:
    """Collects problems about one scenario, each located by its key path in the file."""

    def __init__(self, scenario: Scenario) -> None:
        self.where = scenario.source or "<scenario>"
        self.text = scenario_text(scenario)
        self.problems = ProblemList()

    def add(self, loc: tuple, what: str, fix: str = "", ids: tuple = ()) -> None:
        line = locate_key(self.text, loc) if self.text else None
        self.problems.add(self.where, what, fix, ids, line)


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(set(choices)), n=3, cutoff=0.5)
    return f"did you mean {' or '.join(close)}?" if close else ""


def timeline_problems(scenario: Scenario, city: City) -> ProblemList:
    """Problems with what the scenario schedules (closures, hazards, scripted incidents) on
    ``city``: unknown road/bridge names (with suggestions) and edge ids, unknown districts,
    unknown incident types, unknown node/pipe ids, places outside the city, times after the
    end of the run. Returns a :class:`~twin.errors.ProblemList` (each with file and line)."""
    rep = _Reporter(scenario)
    run_h = scenario.days * 24.0
    edges = city.road_edges
    by_id = any(c.edge_ids for c in scenario.closures)  # the id set only when ids are given
    edge_ids = set(edges["edge_id"].astype(str)) if by_id else set()
    for i, c in enumerate(scenario.closures):
        if c.name is not None and len(edges_named(city, c.name)) == 0:
            hint = _suggest(c.name.strip(), road_names(city))
            rep.add(
                ("closures", i, "name"),
                f"no road, bridge or tunnel is named '{c.name}'",
                hint or "use a name from road_edges.name, or give edge_ids",
                (c.name,),
            )
        unknown = [e for e in c.edge_ids if e not in edge_ids]
        if unknown:
            rep.add(
                ("closures", i, "edge_ids"),
                f"unknown road edge ids {unknown}",
                "use edge_id values of the city's road_edges layer",
                tuple(unknown),
            )
        if c.start_h >= run_h:
            rep.add(
                ("closures", i, "start_h"),
                f"closure starts at {c.start_h:g} h, after the run ends ({run_h:g} h)",
                "start it earlier or raise days",
            )
    for i, r in enumerate(scenario.rainstorm):
        for d in r.districts:
            if resolve_district(city, d) is None:
                rep.add(
                    ("rainstorm", i, "districts"),
                    f"unknown district '{d}'",
                    _suggest(d, district_choices(city))
                    or "use a district id, Chinese or English name",
                    (d,),
                )
        if r.start_h >= run_h:
            rep.add(
                ("rainstorm", i, "start_h"),
                f"rainstorm starts at {r.start_h:g} h, after the run ends ({run_h:g} h)",
                "start it earlier or raise days",
            )
    for i, q in enumerate(scenario.earthquake):
        if q.t_h >= run_h:
            rep.add(
                ("earthquake", i, "t_h"),
                f"earthquake at {q.t_h:g} h comes after the run ends ({run_h:g} h)",
                "make it earlier or raise days",
            )
        if len(city.road_nodes):
            _, dist = city.roads.snap(city.xy_from_lonlat(q.lon, q.lat))
            if dist[0] > MAX_EPICENTRE_KM * 1000:
                rep.add(
                    ("earthquake", i, "lon"),
                    f"epicentre {q.lon}, {q.lat} is "
                    f"{dist[0] / 1000:.0f} km from the city (more than "
                    f"{MAX_EPICENTRE_KM:.0f} km)",
                    "check lon and lat (WGS84 degrees)",
                )
    _incident_problems(scenario, city, rep)
    return rep.problems


def _incident_problems(scenario: Scenario, city: City, rep: _Reporter) -> None:
    types = known_incident_types()
    for t in scenario.incidents.type_multipliers:
        if t not in types:
            rep.add(
                ("incidents", "type_multipliers", t),
                f"unknown incident type '{t}'",
                _suggest(t, types) or f"known types: {', '.join(types)}",
                (t,),
            )
    scripted = scenario.incidents.scripted  # the id lookups only when there are any
    node_ids = set(city.road_nodes["node_id"].astype(str)) if scripted else set()
    pipes = city.pipes if scripted else city.pipes.iloc[:0]
    network_of_pipe = dict(zip(pipes["pipe_id"].astype(str), pipes["network"].astype(str)))
    run_min = scenario.days * 1440.0
    for k, s in enumerate(scenario.incidents.scripted):
        loc = ("incidents", "scripted", k)
        if s.type not in types:
            rep.add(
                (*loc, "type"),
                f"unknown incident type '{s.type}'",
                _suggest(s.type, types) or f"known types: {', '.join(types)}",
                (s.type,),
            )
        if s.t_min >= run_min:
            rep.add(
                (*loc, "t_min"),
                f"scripted incident at {s.t_min:g} min comes after the run ends ({run_min:g} min)",
                "make it earlier or raise days",
            )
        if s.node_id is not None and s.node_id not in node_ids:
            rep.add(
                (*loc, "node_id"),
                f"unknown road node id '{s.node_id}'",
                "use a node_id of the city's road_nodes, or lon/lat",
                (s.node_id,),
            )
        if s.pipe_id is not None and s.pipe_id not in network_of_pipe:
            rep.add(
                (*loc, "pipe_id"),
                f"unknown pipe id '{s.pipe_id}'",
                "use a pipe_id of the city's pipes layer",
                (s.pipe_id,),
            )
        elif (
            s.pipe_id is not None
            and s.type in NETWORK_OF_INCIDENT
            and network_of_pipe[s.pipe_id] != NETWORK_OF_INCIDENT[s.type]
        ):
            rep.add(
                (*loc, "pipe_id"),
                f"a {s.type} cannot happen on pipe '{s.pipe_id}': it "
                f"is a {network_of_pipe[s.pipe_id]} pipe",
                f"give a {NETWORK_OF_INCIDENT[s.type]} pipe's id",
                (s.pipe_id,),
            )
        if s.lon is not None and s.lat is not None:
            why = outside_city(city, city.xy_from_lonlat(s.lon, s.lat))
            if why:
                rep.add(
                    (*loc, "lon"),
                    f"scripted place {s.lon}, {s.lat} {why}",
                    "give a lon/lat inside the city, on or near a road",
                    (s.label or s.type,),
                )


def city_problems(scenario: Scenario, city: City) -> ProblemList:
    """Problems with what :func:`apply` changes: station ids to remove/move/resize that the
    city lacks, added or moved stations outside the city, duplicate ids, sensor entries for
    unknown districts or absent networks."""
    rep = _Reporter(scenario)
    st = scenario.stations
    base = set(city.stations["station_id"].astype(str))
    unknown = [sid for sid in st.remove if sid not in base]
    if unknown:
        rep.add(
            ("stations", "remove"),
            f"cannot remove unknown stations {unknown}",
            _suggest(unknown[0], base) or "use station_id values of the stations layer",
            tuple(unknown),
        )
    kept = base - set(st.remove)
    for i, mv in enumerate(st.move):
        if mv.station_id not in kept:
            rep.add(
                ("stations", "move", i, "station_id"),
                f"cannot move unknown or removed station '{mv.station_id}'",
                _suggest(mv.station_id, kept),
                (mv.station_id,),
            )
        why = outside_city(city, city.xy_from_lonlat(mv.lon, mv.lat))
        if why:
            rep.add(
                ("stations", "move", i, "lon"),
                f"station '{mv.station_id}' moved to {mv.lon}, {mv.lat} {why}",
                "move it inside the city, near a road",
                (mv.station_id,),
            )
    added: set[str] = set()
    for i, ad in enumerate(st.add):
        if ad.station_id in kept or ad.station_id in added:
            rep.add(
                ("stations", "add", i, "station_id"),
                f"station id '{ad.station_id}' already exists",
                "give the new station a new id",
                (ad.station_id,),
            )
        added.add(ad.station_id)
        why = outside_city(city, city.xy_from_lonlat(ad.lon, ad.lat))
        if why:
            rep.add(
                ("stations", "add", i, "lon"),
                f"new station '{ad.station_id}' at {ad.lon}, {ad.lat} {why}",
                "place it inside the city, within 500 m of a road",
                (ad.station_id,),
            )
    for sid in scenario.fleet.station_units:
        if sid not in kept | added:
            rep.add(
                ("fleet", "station_units", sid),
                f"unknown or removed station '{sid}' in fleet.station_units",
                _suggest(sid, kept | added)
                or "use a station_id of the stations layer or of [[stations.add]]",
                (sid,),
            )
    _reinforcement_problems(scenario, city, kept | added, rep)
    networks = set(city.pipes["network"].astype(str).unique())  # not 89 k elements one by one
    for i, s in enumerate(scenario.sensors):
        if s.district is not None and resolve_district(city, s.district) is None:
            rep.add(
                ("sensors", i, "district"),
                f"unknown district '{s.district}'",
                _suggest(s.district, district_choices(city))
                or "use a district id, Chinese or English name",
                (s.district,),
            )
        if s.network not in networks:
            rep.add(
                ("sensors", i, "network"),
                f"the city has no {s.network} pipes to watch",
                "remove this [[sensors]] entry or load a city with that network",
            )
    return rep.problems


def _reinforcement_problems(
    scenario: Scenario, city: City, stations: set[str], rep: _Reporter
) -> None:
    """Staging stations of ``[[reinforcement]]`` that the city lacks or that belong to
    another force; a force with no station to stage at; duplicate names."""
    force_of = dict(
        zip(city.stations["station_id"].astype(str), city.stations["force"].astype(str))
    )
    force_of.update({ad.station_id: ad.force for ad in scenario.stations.add})
    names: set[str] = set()
    for i, r in enumerate(scenario.reinforcement):
        if r.name in names:
            rep.add(
                ("reinforcement", i, "name"),
                f"two [[reinforcement]] entries are named '{r.name}'",
                "give each reinforcement its own name",
                (r.name,),
            )
        names.add(r.name)
        for sid in r.staging:
            if sid not in stations:
                rep.add(
                    ("reinforcement", i, "staging"),
                    f"reinforcement '{r.name}' stages at unknown or removed station '{sid}'",
                    _suggest(sid, stations) or "use station_id values of the stations layer",
                    (sid,),
                )
            elif force_of.get(sid) != r.force:
                rep.add(
                    ("reinforcement", i, "staging"),
                    f"reinforcement '{r.name}' ({r.force}) stages at station '{sid}' of "
                    f"force {force_of.get(sid)}",
                    f"stage {r.force} units at {r.force} stations",
                    (sid,),
                )
        if not r.staging and not any(
            force_of.get(sid) == r.force for sid in stations if sid in force_of
        ):
            rep.add(
                ("reinforcement", i, "force"),
                f"reinforcement '{r.name}': the city has no {r.force} station to stage at",
                "name staging stations, or add a station of that force ([[stations.add]])",
                (r.name,),
            )


def problems_against(scenario: Scenario, city: City) -> ProblemList:
    """Every problem of ``scenario`` on ``city``, without raising: those found reading it
    leniently (:func:`twin.scenario.spec.form_problems`), then :func:`city_problems` and
    :func:`timeline_problems`."""
    problems = ProblemList()
    problems.extend(form_problems(scenario))
    problems.extend(city_problems(scenario, city))
    problems.extend(timeline_problems(scenario, city))
    return problems


def check_against(scenario: Scenario, city: City) -> None:
    """Raise one :class:`TwinDataError` listing every way ``scenario`` does not fit ``city``
    (each problem with the scenario file and line). The runner calls this before simulating,
    so nothing runs half-way. The title says "bad scenario" when the file itself has
    problems (a typo'd key, a wrong type), not only problems against the city."""
    title = "bad scenario" if form_problems(scenario) else "scenario does not fit the city"
    problems_against(scenario, city).raise_if_any(title)


def load_city_for(scenario: Scenario, load: Callable[[str | None], City] = load_city) -> City:
    """The city ``scenario`` runs on (its ``city`` folder, or the embedded twin), loaded
    with ``load`` (a sweep passes its per-process loader, so the city is loaded once). When
    the city cannot be loaded, or the scenario's own ``city`` key is in error, raises one
    :class:`TwinDataError` listing the scenario's form problems too."""
    form = form_problems(scenario)
    if any("'city'" in p.what for p in form):
        raise TwinDataError(list(form), title="bad scenario")
    try:
        return load(scenario.city)
    except TwinDataError as exc:
        raise TwinDataError([*form, *exc.problems], title=exc.title) from None
