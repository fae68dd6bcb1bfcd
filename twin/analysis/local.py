"""The local measure: incidents in an area declared from a scenario's change, before any run.

A city-wide average dilutes a local change (one new station in a city of 100+). So for a
scenario that adds or moves stations, or closes roads, the comparison also reports the
incidents at road nodes within ``minutes`` of the change, by road, in the off-peak period:

- an added or moved station: nodes reachable from its road node within ``minutes``
  (the new place; for a move, also the old place, whose area loses the station);
- a closure: nodes within ``minutes`` of either end of a closed edge (both directions).

The area depends only on the scenario and the city (never on a run's outcome), so the
local comparison is declared before the run and needs no multiplicity adjustment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.model.city import City
from twin.model.roads import shortest_times
from twin.scenario.spec import Scenario

LOCAL_MINUTES = 5.0
"""Driving minutes around a change. The siting rule of GB 51080-2015 《城市消防规划规范》 and
建标152-2017 draws a station's area so a crew reaches its edge within 5 minutes of the
dispatch order (read as ~1 min turnout + ~4 min driving); 5 driving minutes is therefore a
slightly generous area: the incidents a change can plausibly affect."""
LOCAL_PERIOD = "offpeak"


@dataclass(frozen=True)
class LocalArea:
    """Road nodes (indices into ``city.roads``) around a scenario's change; ``label`` is the
    scenario's name, so the scope ``local:<name>`` says whose change it is."""

    label: str
    nodes: np.ndarray
    what: str

    @property
    def scope(self) -> str:
        return f"local:{self.label}"


def change_sources(scenario: Scenario, city: City) -> tuple[list[int], list[str]]:
    """Road node indices where ``scenario`` changes the city (added/moved stations, both ends
    of closed edges), and a description of each change."""
    net = city.roads
    nodes: list[int] = []
    what: list[str] = []
    st = scenario.stations
    for ad in st.add:
        nodes.append(int(net.snap(city.xy_from_lonlat(ad.lon, ad.lat))[0][0]))
        what.append(f"new {ad.force} station {ad.station_id}")
    ids = city.stations["station_id"].astype(str).to_numpy()
    for mv in st.move:
        nodes.append(int(net.snap(city.xy_from_lonlat(mv.lon, mv.lat))[0][0]))
        what.append(f"moved station {mv.station_id} (new place)")
        old = np.flatnonzero(ids == mv.station_id)
        if len(old):
            g = city.stations.geometry.iloc[int(old[0])]
            nodes.append(int(net.snap(np.array([[g.x, g.y]]))[0][0]))
            what.append(f"moved station {mv.station_id} (old place)")
    for cl in scenario.closures:
        edges = _closed_edges(city, cl.name, cl.edge_ids)
        nodes.extend(int(n) for n in np.concatenate([net.edge_u[edges], net.edge_v[edges]]))
        if len(edges):
            what.append(f"closure {cl.name or ', '.join(cl.edge_ids)}")
    return nodes, what


def _closed_edges(city: City, name: str | None, edge_ids: tuple[str, ...]) -> np.ndarray:
    edges = city.road_edges
    if name is not None:
        return np.flatnonzero(edges["name"].astype(str).to_numpy() == name)
    return np.flatnonzero(edges["edge_id"].astype(str).isin(list(edge_ids)).to_numpy())


def local_area(scenario: Scenario, city: City, minutes: float = LOCAL_MINUTES) -> LocalArea | None:
    """The nodes within ``minutes`` (off-peak, either direction) of the scenario's changes;
    None when the scenario changes no place (e.g. only fleet sizes or incident rates)."""
    sources, what = change_sources(scenario, city)
    if not sources:
        return None
    net = city.roads
    m = net.matrix(net.edge_times(LOCAL_PERIOD))
    src = np.unique(np.asarray(sources, np.int64))
    limit = minutes * 60.0
    out = shortest_times(m, src, limit=limit)
    back = shortest_times(m, src, reverse=True, limit=limit)
    near = ((out <= limit) | (back <= limit)).any(axis=0)
    return LocalArea(
        scenario.name,
        np.flatnonzero(near),
        f"{'; '.join(what)}: incidents within {minutes:g} min by road (off-peak)",
    )
