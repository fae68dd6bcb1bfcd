"""Pipe networks on hand-made layouts: who is cut off, how many people, which roads close."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

from twin.model.city import City, empty_layer
from twin.model.pipe_roads import (
    edges_near_pipe,
    edges_near_pipes,
    nearest_pipe,
    pipe_nodes,
    staging_nodes,
)
from twin.model.pipes import CLOSURE_RADIUS_M, build_pipe_network, outage, pipe_network

CRS = "EPSG:32648"
X0, Y0 = 660_000.0, 3_270_000.0


def _gdf(rows: list[dict], layer: str) -> gpd.GeoDataFrame:
    if not rows:
        return empty_layer(layer, CRS)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


def make_city(
    junctions: dict[str, tuple[float, float, str]],
    pipes: list[tuple[str, str, str]],
    *,
    network: str = "water",
    road_nodes: dict[str, tuple[float, float]] | None = None,
    road_edges: list[tuple[str, str, str]] | None = None,
    pipe_edges: dict[str, str] | None = None,
    cells: list[tuple[str, str, float, tuple[float, float]]] | None = None,
    pipe_geoms: dict[str, LineString] | None = None,
) -> City:
    """A City holding one pipe network: ``junctions`` id → (x, y, kind) in metres from
    (X0, Y0); ``pipes`` (pipe_id, u, v); optional roads, pipe → edge_id, and cells
    (cell_id, district_id, population, centre xy; 20 m squares)."""

    def p(x: float, y: float) -> tuple[float, float]:
        return X0 + x, Y0 + y

    jrows = [
        {
            "junction_id": j,
            "network": network,
            "kind": kind,
            "elevation_m": 200.0,
            "geometry": Point(p(x, y)),
        }
        for j, (x, y, kind) in junctions.items()
    ]
    prows = []
    for pid, u, v in pipes:
        geom = (pipe_geoms or {}).get(pid) or LineString(
            [p(*junctions[u][:2]), p(*junctions[v][:2])]
        )
        prows.append(
            {
                "pipe_id": pid,
                "network": network,
                "u": u,
                "v": v,
                "diameter_mm": 150.0,
                "install_year": 1990,
                "material": "cast_iron",
                "length_m": geom.length,
                "monitored": False,
                "geometry": geom,
                "edge_id": (pipe_edges or {}).get(pid, ""),
            }
        )
    road_nodes = road_nodes or {"r0": (0.0, -1000.0), "r1": (100.0, -1000.0)}
    road_edges = road_edges or [("e0", "r0", "r1")]
    nrows = [
        {"node_id": n, "elevation_m": 200.0, "district_id": "D1", "geometry": Point(p(x, y))}
        for n, (x, y) in road_nodes.items()
    ]
    erows = []
    for eid, u, v in road_edges:
        geom = LineString([p(*road_nodes[u]), p(*road_nodes[v])])
        erows.append(
            {
                "edge_id": eid,
                "u": u,
                "v": v,
                "length_m": geom.length,
                "road_class": "local",
                "speed_kph": 36.0,
                "bridge": False,
                "tunnel": False,
                "oneway": False,
                "name": f"road {eid}",
                "geometry": geom,
            }
        )
    crows = [
        {
            "cell_id": cid,
            "district_id": did,
            "population": pop,
            "geometry": box(*(np.array(p(*xy)) - 10), *(np.array(p(*xy)) + 10)),
        }
        for cid, did, pop, xy in (cells or [])
    ]
    districts = gpd.GeoDataFrame(
        [
            {
                "district_id": "D1",
                "name": "一区",
                "name_en": "One",
                "population": 1000,
                "level": "core",
                "geometry": box(X0 - 5000, Y0 - 5000, X0 + 5000, Y0 + 5000),
            }
        ],
        geometry="geometry",
        crs=CRS,
    )
    return City(
        name="pipes",
        crs=CRS,
        districts=districts,
        road_nodes=_gdf(nrows, "road_nodes"),
        road_edges=_gdf(erows, "road_edges"),
        pipes=_gdf(prows, "pipes"),
        junctions=_gdf(jrows, "junctions"),
        stations=empty_layer("stations", CRS),
        cells=_gdf(crows, "cells"),
    )


# A tree fed from S:      S ── A ── B
#                              │
#                              C ── D
#                              │
#                              E
TREE_J = {
    "S": (0, 0, "source"),
    "A": (100, 0, "junction"),
    "B": (200, 0, "junction"),
    "C": (100, -100, "junction"),
    "D": (200, -100, "junction"),
    "E": (100, -200, "junction"),
}
TREE_P = [("p1", "S", "A"), ("p2", "A", "B"), ("p3", "A", "C"), ("p4", "C", "D"), ("p5", "C", "E")]


def test_cutting_a_tree_pipe_disconnects_exactly_its_subtree():
    net = build_pipe_network(make_city(TREE_J, TREE_P), "water")
    assert outage(net, ["p3"]) == {"C", "D", "E"}
    assert outage(net, ["p1"]) == {"A", "B", "C", "D", "E"}
    assert outage(net, ["p2"]) == {"B"}
    assert outage(net, ["p5"]) == {"E"}
    assert outage(net, []) == set()
    assert outage(net, ["p2", "p4"]) == {"B", "D"}


def test_a_loop_keeps_service():
    loop = TREE_P + [("p6", "B", "D")]  # B–D closes the loop A–B–D–C–A
    net = build_pipe_network(make_city(TREE_J, loop), "water")
    assert outage(net, ["p3"]) == set()
    assert outage(net, ["p2"]) == set()
    assert outage(net, ["p3", "p6"]) == {"C", "D", "E"}


def test_second_source_keeps_service_and_unfed_junctions_do_not_count():
    j = dict(TREE_J, E=(100, -200, "source"), X=(900, 900, "junction"))  # X: no pipes at all
    net = build_pipe_network(make_city(j, TREE_P), "water")
    assert outage(net, ["p1"]) == set()  # A..D still fed from E
    assert outage(net, ["p1", "p3"]) == {"A", "B"}
    assert "X" not in outage(net, ["p2"])  # never served, so never "cut off"


def test_unknown_pipe_id_is_a_key_error():
    net = build_pipe_network(make_city(TREE_J, TREE_P), "water")
    with pytest.raises(KeyError):
        net.outage(["nope"])


def test_people_and_districts_behind_an_outage():
    cells = [
        ("c-B", "D1", 1000.0, (200, 0)),
        ("c-D", "D2", 300.0, (200, -100)),
        ("c-E", "D2", 50.0, (100, -200)),
        ("c-far", "D3", 7.0, (5000, 5000)),
    ]
    city = make_city(TREE_J, TREE_P, cells=cells)
    net = pipe_network(city, "water")
    assert net.people.tolist() == pytest.approx([0, 0, 1000, 0, 300, 50])  # far cell: unserved
    imp = net.impact(net.out_mask(net.failed_mask(["p3"])))
    assert (imp.junctions_out, imp.people_out, imp.districts) == (3, 350.0, ("D2",))
    imp = net.impact(net.out_mask(net.failed_mask(["p1"])))
    assert (imp.junctions_out, imp.people_out, imp.districts) == (5, 1350.0, ("D1", "D2"))
    assert pipe_network(city, "water") is net  # cached per city


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=25), st.data())
def test_random_trees_lose_exactly_the_subtree(raw, data):
    # node i+1 hangs from a parent < i+1; pipe k joins node k+1 to its parent; node 0 = source
    parent = [r % (i + 1) for i, r in enumerate(raw)]
    n = len(parent) + 1
    junctions = {
        f"j{i}": (float(i * 10), 0.0, "source" if i == 0 else "junction") for i in range(n)
    }
    pipes = [(f"p{k}", f"j{parent[k]}", f"j{k + 1}") for k in range(n - 1)]
    net = build_pipe_network(make_city(junctions, pipes), "water")
    k = data.draw(st.integers(min_value=0, max_value=n - 2))
    below = {k + 1}
    for child in range(1, n):  # parents come before children: one pass collects the subtree
        if parent[child - 1] in below:
            below.add(child)
    assert outage(net, [f"p{k}"]) == {f"j{i}" for i in below}


# Roads around a pipe P under e0 (y = 0, x 0..100):
#   e0 (0,0)-(100,0) its own road; e1 (100,0)-(200,0) touches it; e3 parallel at y = 80;
#   e4 parallel at y = 150; e2 (250,0)-(300,0) 150 m off the pipe's end.
ROAD_N = {
    "r0": (0, 0),
    "r1": (100, 0),
    "r2": (200, 0),
    "r3": (250, 0),
    "r4": (300, 0),
    "r5": (0, 80),
    "r6": (100, 80),
    "r7": (0, 150),
    "r8": (100, 150),
}
ROAD_E = [
    ("e0", "r0", "r1"),
    ("e1", "r1", "r2"),
    ("e2", "r3", "r4"),
    ("e3", "r5", "r6"),
    ("e4", "r7", "r8"),
]


def _road_city(network: str, pipe_edge: str = "e0", geom: LineString | None = None) -> City:
    j = {"S": (0, 0, "source"), "T": (100, 0, "junction")}
    return make_city(
        j,
        [("P", "S", "T")],
        network=network,
        road_nodes=ROAD_N,
        road_edges=ROAD_E,
        pipe_edges={"P": pipe_edge},
        pipe_geoms={"P": geom} if geom is not None else None,
    )


def _ids(city: City, idx: np.ndarray) -> list[str]:
    return city.road_edges["edge_id"].to_numpy()[idx].tolist()


def test_burst_water_main_closes_its_own_road_only():
    # failure at the pipe's midpoint (50, 0): e1 touches the pipe's end but is 50 m away
    city = _road_city("water")
    assert CLOSURE_RADIUS_M["water"] == 30.0
    assert _ids(city, edges_near_pipe(city, "P")) == ["e0"]


def test_gas_leak_closes_everything_within_100_m_of_the_leak():
    city = _road_city("gas")
    # from (50, 0): e0 0 m, e1 50 m, e3 80 m, e4 150 m, e2 200 m
    assert _ids(city, edges_near_pipe(city, "P")) == ["e0", "e1", "e3"]
    assert _ids(city, edges_near_pipe(city, "P", radius_m=160.0)) == ["e0", "e1", "e3", "e4"]
    at_end = edges_near_pipes(city, [0], 100.0, points=np.array([[X0 + 100, Y0]]))[0]
    assert _ids(city, at_end) == ["e0", "e1", "e3"]  # e2 starts 150 m from (100, 0)


def test_the_pipes_own_edge_counts_even_when_drawn_elsewhere():
    far = LineString([(X0, Y0 - 900), (X0 + 100, Y0 - 900)])  # 900 m south of every road
    city = _road_city("water", pipe_edge="e4", geom=far)
    assert _ids(city, edges_near_pipe(city, "P")) == ["e4"]
    city = _road_city("water", pipe_edge="", geom=far)
    assert _ids(city, edges_near_pipe(city, "P")) == []


def test_vectorised_edges_match_single_calls_and_unknown_pipe_raises():
    city = _road_city("gas")
    many = edges_near_pipes(city, [0, 0], [30.0, 100.0])
    assert _ids(city, many[0]) == ["e0"] and _ids(city, many[1]) == ["e0", "e1", "e3"]
    with pytest.raises(KeyError):
        edges_near_pipe(city, "nope")


def test_pipe_node_and_nearest_pipe():
    city = _road_city("gas")
    # the pipe's midpoint (50, 0) is 50 m from r0 and r1: the first (lowest index) wins
    assert pipe_nodes(city, [0]).tolist() in ([0], [1])
    assert nearest_pipe(city, "gas", np.array([X0 + 50, Y0 + 40]), 100.0) == (
        0,
        pytest.approx(40.0),
    )
    assert nearest_pipe(city, "gas", np.array([X0 + 50, Y0 + 400]), 100.0) is None
    assert nearest_pipe(city, "water", np.array([X0, Y0]), 100.0) is None


def test_responders_stage_at_the_nearest_node_outside_the_closure():
    # a line of streets x = 0, 100, ... 600 (y = 0): a leak at (250, 0) with everything within
    # 100 m shut (edges 1-2, 2-3, 3-4): nodes 2 and 3 (50 m) are cut off; 1 and 4 (150 m)
    # still have an open street (0-1, 4-5): the nearest of those is where crews go
    nodes = {f"r{i}": (100.0 * i, 0.0) for i in range(7)}
    edges = [(f"e{i}", f"r{i}", f"r{i + 1}") for i in range(6)]
    city = make_city(
        {"S": (200, 0, "source"), "T": (300, 0, "junction")},
        [("P", "S", "T")],
        network="gas",
        road_nodes=nodes,
        road_edges=edges,
    )
    leak = np.array([[X0 + 250, Y0]])
    shut = edges_near_pipes(city, [0], 100.0, points=leak)
    assert _ids(city, shut[0]) == ["e1", "e2", "e3"]
    assert staging_nodes(city, leak, shut).tolist()[0] in (1, 4)
    assert staging_nodes(city, leak, [np.empty(0, np.int64)]).tolist()[0] in (2, 3)
    assert staging_nodes(city, np.array([[X0 + 10, Y0]]), shut).tolist() == [0]
