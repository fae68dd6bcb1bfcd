"""Small pieces of the engine checked by hand on the tiny city (tests/tinycity.py; night:
every street 100 s, the short bridge n21–n31 100 s, the long bridge n23–n33 200 s): the
normal numbers' stream, an escorted leg, the way home under a single closure, the cleared
row, an incident's cause and label, and the run's progress."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from test_engine import config, fixed
from tinycity import simulate_script, tiny_city

from twin.analysis.metrics import ROUTE_COLUMNS, route_table
from twin.hazards.timeline import ScheduledIncident, Timeline
from twin.model.roads import TravelTimes
from twin.sim.dispatch import Uniforms
from twin.sim.engine import KINDS, Engine
from twin.sim.movement import ESCORT_M_S, Movement, Normals
from twin.sim.road_times import RoadTimes


def test_normals_are_the_generators_standard_normals_in_order_across_blocks():
    want = np.random.default_rng(7).standard_normal(8).tolist()  # two blocks of 4
    normals = Normals(np.random.default_rng(7), block=4)
    assert [normals.next() for _ in range(8)] == want


def tiny_road_times(city) -> tuple[RoadTimes, np.ndarray]:
    nodes = city.roads.node_index(["n00", "n31"])
    return RoadTimes(TravelTimes(city.roads, nodes, use_cache=False)), nodes


def test_an_escorted_leg_is_the_straight_line_times_1_4_at_18_km_h():
    city = tiny_city()
    rt, _ = tiny_road_times(city)
    xy = [tuple(p) for p in city.roads.xy.tolist()]
    mv = Movement(rt, Uniforms(np.random.default_rng(0)), xy, [0], 1, False)
    a, b, c = city.roads.node_index(["n00", "n43", "n40"]).tolist()
    # n00 → n43: 4 km east, 3 km north: 5 km straight, × 1.4 = 7 km at 5 m/s = 1400 s
    assert ESCORT_M_S == 5.0
    assert mv.escorted_s(a, b) == pytest.approx(5000.0 * 1.4 / 5.0) == pytest.approx(1400.0)
    assert mv.escorted_s(a, c) == pytest.approx(4000.0 * 1.4 / 5.0)  # due east
    assert mv.escorted_s(c, b) == pytest.approx(3000.0 * 1.4 / 5.0)  # due north


def test_the_way_home_under_one_closure_is_searched_exactly():
    # Home n00 (source row 0). From n31 at night: 400 s over the short bridge; with only
    # the short bridge shut, over the long one: n31 → n33 200 + bridge 200 + n23 → n00
    # five streets 500 = 900 s. Shutting a street nowhere near the way changes nothing.
    city = tiny_city()
    rt, (home, n31) = tiny_road_times(city)
    night = rt.period(0.0)
    assert rt.from_node(0, n31, night) == pytest.approx(400.0)
    closed = np.zeros(len(city.roads.edge_ids), bool)
    closed[city.roads.edge_index(["n21-n31"])] = True
    rt.set_closed(closed)
    assert rt.n_closed == 1
    assert rt.from_node(0, n31, night) == pytest.approx(900.0)
    assert float(rt.to_node(np.array([0]), n31, night)[0]) == pytest.approx(900.0)
    far = np.zeros(len(city.roads.edge_ids), bool)
    far[city.roads.edge_index(["n52-n53"])] = True
    rt.set_closed(far)
    assert rt.from_node(0, n31, night) == pytest.approx(400.0)


def run_labelled(progress: list[float] | None = None):
    city = tiny_city()
    engine = Engine(city, config(fixed(600.0)))
    n10, n20 = city.roads.node_index(["n10", "n20"]).tolist()
    tl = Timeline(
        incidents=(
            ScheduledIncident(0.0, "drill", n10, "script", alarm_delay_s=0.0, label="drill A"),
            ScheduledIncident(43200.0, "drill", n20, "pipe:G2", alarm_delay_s=0.0),
        )
    )
    rng = np.random.default_rng(0)
    arrays = engine.draw(rng, 86400.0, tl, random=False)
    cb = None if progress is None else progress.append
    return engine.run(arrays, rng, 86400.0, tl, cb), (n10, n20)


def test_cleared_row_cause_label_and_progress_by_hand():
    # drill A at n10, alarm 0: F1 ordered at 60 (119 call), night turnout 90, one street
    # 100 → on scene 250, set-up 60 + work 600 → cleared 910 s.
    seen: list[float] = []
    sim, (n10, _) = run_labelled(seen)
    a, b = sim.incidents
    cleared = [e for e in sim.events if e[1] == KINDS.index("cleared") and e[2] == a.id]
    assert cleared == [(pytest.approx(910.0), KINDS.index("cleared"), a.id, -1, n10, -1, -1)]
    assert (a.cause, a.label) == ("script", "drill A")
    assert (b.cause, b.label) == ("pipe:G2", "")
    # two alarms (step max(2 // 100, 1) = 1): at 0 s → 0.0, at 43 200 s of 86 400 → 0.5 ×
    # 0.99; then 1.0 when the run is done
    assert seen == [0.0, pytest.approx(0.5 * 0.99), 1.0]
    assert not math.isnan(b.cleared_s)


def test_a_leg_of_no_length_is_recorded_and_no_routes_give_the_empty_table():
    # P1 (professional, at n11) to a drill at n11: ordered at 60 (119 call), turns out
    # 300 s, arrives as it leaves (no road between) at 360 s; works 600 s, home at once.
    city = tiny_city()
    cfg = replace(config(fixed(600.0, (("professional", 1),))), record_routes=True)
    sim = simulate_script(city, [(0.0, "drill", "n11")], config=cfg)
    routes = route_table(sim)
    assert routes["leg"].tolist() == ["to_scene", "return"]
    assert routes["depart_s"].tolist() == [360.0, 960.0]
    assert routes["arrive_s"].tolist() == [360.0, 960.0]
    assert routes["times_s"].tolist() == [[360.0], [960.0]]
    assert [len(p) for p in routes["path"]] == [1, 1]
    # on foot: C1 (community, at n10) to a drill at n10 — ordered at 60, leaves its post
    # 60 s later, walks no distance; works 600 s, walks home from 720 s
    walk = replace(config(fixed(600.0, (("community", 1),))), record_routes=True)
    feet = route_table(simulate_script(city, [(0.0, "drill", "n10")], config=walk))
    assert feet["leg"].tolist() == ["to_scene", "return"]
    assert feet["depart_s"].tolist() == [120.0, 720.0]
    assert feet["times_s"].tolist() == [[120.0, 120.0], [720.0, 720.0]]
    plain = simulate_script(city, [(0.0, "drill", "n11")], config=config(fixed(600.0)))
    empty = route_table(plain)
    assert list(empty.columns) == list(ROUTE_COLUMNS) and len(empty) == 0


def test_a_cached_search_with_the_same_bound_is_reused():
    city = tiny_city()
    rt, (home, n31) = tiny_road_times(city)
    night = rt.period(0.0)
    d1 = rt.tree(n31, night, limit=300.0)[0]
    assert rt.searches == 1
    assert not np.isfinite(d1[home])  # n00 is 400 s away: beyond the bound
    d2 = rt.tree(n31, night, limit=300.0)[0]  # the same bound: the cached search
    d3 = rt.tree(n31, night, limit=200.0)[0]  # a smaller one: still the cached search
    assert rt.searches == 1 and d2 is d1 and d3 is d1
    d4 = rt.tree(n31, night, limit=500.0)[0]  # a larger bound searches again
    assert rt.searches == 2 and d4[home] == pytest.approx(400.0)


def test_best_under_a_closure_searches_only_the_stations_that_could_still_win():
    # Stations at n20 (row 0) and n51 (row 1), incident at n31, night. Open: n20 → n21 →
    # short bridge → n31 = 200 s; n51 → n41 → n31 = 200 s (a tie: the first row wins).
    # Short bridge shut: row 1's way is untouched (200 s, sure); row 0 could still tie it,
    # so one search from n31 bounded at 200 s is run: row 0 now needs the long bridge
    # (n31 → n33 200 + bridge 200 + n23 → n20 300 = 700 s), beyond it → row 1 wins.
    city = tiny_city()
    nodes = city.roads.node_index(["n20", "n51", "n31"])
    rt = RoadTimes(TravelTimes(city.roads, nodes[:2], use_cache=False))
    night = rt.period(0.0)
    rows = np.array([0, 1])
    assert rt.best(rows, int(nodes[2]), night) == (0, pytest.approx(200.0))
    closed = np.zeros(len(city.roads.edge_ids), bool)
    closed[city.roads.edge_index(["n21-n31"])] = True
    rt.set_closed(closed)
    assert rt.best(rows, int(nodes[2]), night) == (1, pytest.approx(200.0))
    assert rt.searches == 1
    assert rt.to_node(rows, int(nodes[2]), night).tolist() == [700.0, 200.0]
