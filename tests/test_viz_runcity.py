"""Maps draw the city the run used, and coverage is computed on the network the run had.

Uses the hand-made city of tests/tinycity.py (its docstring has the map and the travel
times): 1 km local streets of 100 s at free flow, the Short Bridge n21–n31 (100 s) and the
Long Bridge n23–n33 (200 s).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from tinycity import node_xy, tiny_city

from twin.analysis.metrics import coverage_table
from twin.analysis.results import write_results
from twin.hazards.timeline import ClosureEvent
from twin.scenario.spec import parse_scenario
from twin.sim.runner import run_scenario
from twin.viz import write_map, write_replay
from twin.viz.data import read_results
from twin.viz.runcity import run_city, station_changes


def _edge(city, a: str, b: str) -> int:
    """Index of the road edge joining nodes ``a`` and ``b`` (either direction)."""
    e = city.road_edges
    hit = np.flatnonzero(((e["u"] == a) & (e["v"] == b)) | ((e["u"] == b) & (e["v"] == a)))
    assert len(hit) == 1, (a, b)
    return int(hit[0])


def _path_s(city, nodes: list[str]) -> float:
    """Off-peak time (s) along ``nodes`` from the network's own edge times."""
    t = city.roads.edge_times("offpeak")
    return float(sum(t[_edge(city, a, b)] for a, b in zip(nodes, nodes[1:])))


def test_coverage_is_computed_on_the_network_the_run_had() -> None:
    """Only F1 (n00) left: n31 is reached over the Short Bridge (n00→n10→n20→n21→n31,
    4 × 100 s at free flow) and, with that bridge closed for the run, round by the Long
    Bridge (n00→n01→n02→n03→n13→n23→n33→n32→n31: 7 × 100 s + 200 s = 900 s)."""
    from tinycity import simulate_script

    city = tiny_city(drop=("F2", "F3"))
    turnout = None
    short = ClosureEvent(
        edges=(_edge(city, "n21", "n31"),), start_s=600.0, end_s=1200.0, reason="test"
    )
    open_ = coverage_table(simulate_script(city, [], duration_s=3600.0)).set_index("node_id")
    closed = coverage_table(
        simulate_script(city, [], closures=(short,), duration_s=3600.0)
    ).set_index("node_id")
    via_short = _path_s(city, ["n00", "n10", "n20", "n21", "n31"])
    via_long = _path_s(city, ["n00", "n01", "n02", "n03", "n13", "n23", "n33", "n32", "n31"])
    turnout = open_.at["n31", "t_ground_s"] - via_short
    assert turnout >= 0
    assert closed.at["n31", "t_ground_s"] == pytest.approx(via_long + turnout, abs=0.2)
    # west bank unchanged: the closure does not touch n20
    assert closed.at["n20", "t_ground_s"] == open_.at["n20", "t_ground_s"]


SCENARIO = """
name = "tiny changes"
seed = 7
days = 0.05
[incidents]
random = false
[pipes]
failures = false
[stations]
remove = ["S1"]
[[stations.add]]
station_id = "F9"
force = "fire"
name = "新站"
name_en = "New station"
lon = {lon}
lat = {lat}
units = 2
[[closures]]
name = "Short Bridge"
"""


def _spec(html: str) -> dict:
    return json.loads(re.search(r'id="deck-spec">(.*?)</script>', html, re.DOTALL).group(1))


def _layer(spec: dict, layer_id: str) -> dict:
    return next(lay for lay in spec["layers"] if lay["id"] == layer_id)


def test_maps_draw_the_city_the_run_used(tmp_path: Path) -> None:
    """A station added, one removed and a bridge closed by the scenario all show in map.html
    and replay.html, drawn from the results folder (stations.parquet), not the base city."""
    city = tiny_city()
    lon, lat = city.lonlat_from_xy(np.array([node_xy("n52")]))[0]
    scen = parse_scenario(SCENARIO.format(lon=lon, lat=lat))
    out = write_results(run_scenario(scen, city), tmp_path / "run")
    assert (out / "stations.parquet").exists()

    def check() -> None:
        html = write_map(out, city, png=False).html.read_text(encoding="utf-8")
        spec = _spec(html)
        fire_tips = " ".join(d["tip"] for d in _layer(spec, "stations_fire")["data"])
        assert "F9" in fire_tips and "新站" in fire_tips
        assert "S1" not in " ".join(
            d["tip"]
            for lay in spec["layers"]
            if lay["id"].startswith("stations_") and lay["id"] != "stations_removed"
            for d in lay.get("data", [])
        )
        assert [d["tip"] for d in _layer(spec, "stations_new")["data"]][0].startswith("NEW")
        assert "S1" in _layer(spec, "stations_removed")["data"][0]["tip"]
        assert _layer(spec, "closures")["data"][0]["tip"].startswith("CLOSED")
        replay = write_replay(out, city).read_text(encoding="utf-8")
        assert "F9" in json.dumps(
            _layer(_spec(replay), "stations_fire")["data"], ensure_ascii=False
        )

    check()
    (out / "stations.parquet").unlink()  # an older folder: the scenario is applied again
    check()


def test_station_changes_added_moved_removed() -> None:
    base = tiny_city()
    st = base.stations.copy()
    st = st[st["station_id"] != "C3"]
    i = int(np.flatnonzero(st["station_id"] == "F2")[0])
    geoms = st.geometry.to_numpy().copy()
    geoms[i] = geoms[i].__class__(geoms[i].x + 500.0, geoms[i].y)  # 500 m east
    st = st.set_geometry(list(geoms), crs=base.stations.crs)
    ch = station_changes(base, base.replace(stations=st))
    assert list(ch.removed["station_id"]) == ["C3"]
    assert list(ch.moved["station_id"]) == ["F2"]
    assert ch.moved["old"].iloc[0].x == pytest.approx(node_xy("n50")[0])
    assert ch.added.empty
    assert station_changes(base, base).empty


def test_run_city_without_a_scenario_is_the_base(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text("{}", encoding="utf-8")
    city = tiny_city()
    assert run_city(read_results(tmp_path), city) is city
