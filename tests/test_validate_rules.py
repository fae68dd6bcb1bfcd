"""twin.model.validate at its boundaries, on the valid four-node city of test_validate.py:
exactly 0, exactly 500 m, one value vs many (the grammar and the examples shown), ties."""

from __future__ import annotations

import numpy as np
import pytest
from test_validate import tiny_layers

from twin.model.check_text import SHOW_EXAMPLES
from twin.model.network_checks import MAX_SNAP_M, road_components, validate_points_near_roads
from twin.model.validate import check_layers


def problems_of(layers, layer: str) -> list:
    return [p for p in check_layers(layers) if p.where == layer]


def test_the_valid_city_has_no_problems():
    assert list(check_layers(tiny_layers())) == []


@pytest.mark.parametrize(
    "layer, col, value, rule",
    [
        ("road_edges", "length_m", 0.0, "> 0"),
        ("road_edges", "speed_kph", -1.0, "> 0"),
        ("pipes", "diameter_mm", 0.0, "> 0"),
        ("stations", "units", -1, "≥ 0"),
        ("districts", "population", -5, "≥ 0"),
    ],
)
def test_a_value_just_outside_its_range_is_named(layer, col, value, rule):
    layers = tiny_layers()
    layers[layer][col] = layers[layer][col].astype(type(value))
    layers[layer].loc[0, col] = value
    found = problems_of(layers, layer)
    assert len(found) == 1
    p = found[0]
    first_id = str(layers[layer].iloc[0, 0])
    assert p.what == f"1 value of {col} is not {rule} ({first_id}: {value:g})"
    assert p.ids == (first_id,)


@pytest.mark.parametrize(
    "layer, col, value",
    [
        ("road_edges", "length_m", 0.001),
        ("stations", "units", 0),
        ("districts", "population", 0),
        ("pipes", "diameter_mm", 0.5),
    ],
)
def test_a_value_just_inside_its_range_is_fine(layer, col, value):
    layers = tiny_layers()
    layers[layer][col] = layers[layer][col].astype(type(value))
    layers[layer].loc[0, col] = value
    assert problems_of(layers, layer) == []


def test_many_bad_values_read_in_the_plural_and_show_the_first_examples():
    layers = tiny_layers()
    edges = layers["road_edges"]
    edges["length_m"] = [0.0, -1.0, 0.0, 5.0]
    (p,) = problems_of(layers, "road_edges")
    assert p.what == "3 values of length_m are not > 0 (E1: 0, E2: -1, E3: 0)"
    assert p.ids == ("E1", "E2", "E3")


def test_whole_numbers_and_booleans():
    layers = tiny_layers()
    layers["stations"]["units"] = [2.5]
    layers["road_edges"]["bridge"] = [0, 1, "yes", False]
    (st,) = problems_of(layers, "stations")
    assert st.what == "1 value of units is not a whole number (S1: 2.5)"
    (rd,) = problems_of(layers, "road_edges")
    assert rd.what == "1 value of bridge is not true/false (E3: 'yes')" and rd.ids == ("E3",)
    layers = tiny_layers()
    layers["stations"]["units"] = [3.0]  # a whole number stored as float is fine
    assert problems_of(layers, "stations") == []


def test_points_exactly_at_the_snap_distance_are_near_enough():
    nodes = np.array([[0.0, 0.0]])
    at = np.array([[MAX_SNAP_M, 0.0], [0.0, -MAX_SNAP_M]])
    assert list(validate_points_near_roads(at, ["A", "B"], nodes, "w")) == []
    pts = np.array([[MAX_SNAP_M + 0.6, 0.0], [0.0, 1250.0], [999.6, 0.0]])
    (p,) = validate_points_near_roads(pts, ["A", "B", "C"], nodes, "w", what="stations")
    # farthest first; ≥ 1 000 m in km with one decimal, below in whole metres
    assert p.what.startswith(
        "3 of the 3 stations are farther than 500 m from any road node "
        "(nearest road node: B: 1.2 km; C: 1000 m; A: 501 m)"
    )
    assert p.ids == ("B", "C", "A")
    (one,) = validate_points_near_roads(pts[:1], ["A"], nodes, "w", what="stations")
    assert one.what.startswith("1 of the 1 stations is farther than 500 m")


def test_points_when_there_are_no_roads():
    (p,) = validate_points_near_roads(
        np.array([[0.0, 0.0], [1.0, 1.0]]), ["A", "B"], np.empty((0, 2)), "w", what="incidents"
    )
    assert p.what == "2 incidents cannot be placed: there are no road nodes"
    assert p.ids == ("A", "B")
    assert list(validate_points_near_roads(np.empty((0, 2)), [], np.empty((0, 2)), "w")) == []


def test_road_components_ties_keep_the_first_component_first():
    # {a, b} and {c, d} both of size 2, {e} alone: the first pair seen is part 0
    labels = road_components(["a", "b", "c", "d", "e"], ["a", "c"], ["b", "d"])
    assert labels.tolist() == [0, 0, 1, 1, 2]
    # edges naming unknown nodes are ignored
    assert road_components(["a", "b"], ["a", "zz"], ["zz", "b"]).tolist() == [0, 1]


def test_a_disconnected_road_graph_is_described_part_by_part():
    layers = tiny_layers()
    edges = layers["road_edges"]
    layers["road_edges"] = edges[edges["edge_id"].isin(["E1", "E3"])].reset_index(drop=True)
    (p,) = [q for q in check_layers(layers) if "separate parts" in q.what]
    assert p.where == "road_nodes"
    assert p.what.startswith(
        "the road graph falls into 2 separate parts (sizes 2, 2; the largest has 2 of 4 nodes)"
    )
    assert "part 2: 2 nodes (N3, N4)" in p.what and p.ids == ("N3", "N4")


def test_non_numbers_are_quoted_as_written():
    layers = tiny_layers()
    layers["road_nodes"]["elevation_m"] = ["x", "y", "z", "w"]
    (p,) = problems_of(layers, "road_nodes")
    assert p.what == (
        "4 values of elevation_m are not a number (N1: 'x', N2: 'y', N3: 'z', N4: 'w')"
    )


def test_at_most_five_examples_are_spelled_out_but_every_id_is_listed():
    nodes = np.array([[0.0, 0.0]])
    pts = np.array([[1000.0 * (k + 1), 0.0] for k in range(7)])
    ids = [f"P{k}" for k in range(7)]
    (p,) = validate_points_near_roads(pts, ids, nodes, "w")
    assert SHOW_EXAMPLES == 5
    assert "P6: 7.0 km; P5: 6.0 km; P4: 5.0 km; P3: 4.0 km; P2: 3.0 km)" in p.what
    assert "P1:" not in p.what and p.ids == tuple(reversed(ids))


def test_boxes_disjoint_and_inside():
    from twin.model.crs_checks import DEGREES, _disjoint, _inside

    # (xmin, ymin, xmax, ymax); touching edges are not disjoint
    assert not _disjoint(DEGREES, (100.0, -50.0, 200.0, 50.0))  # overlaps the east edge
    assert _disjoint(DEGREES, (181.0, 0.0, 300.0, 10.0))  # east of it
    assert _disjoint(DEGREES, (-300.0, 0.0, -181.0, 10.0))  # west
    assert _disjoint(DEGREES, (0.0, 91.0, 10.0, 95.0))  # north
    assert _disjoint(DEGREES, (0.0, -95.0, 10.0, -91.0))  # south
    assert not _disjoint(DEGREES, (180.0, 90.0, 190.0, 95.0))  # touching a corner
    bounds = np.array(
        [
            [0.0, 0.0, 1.0, 1.0],
            [-181.0, 0.0, 0.0, 1.0],
            [0.0, 0.0, 1.0, 91.0],
            [-180.0, -90.0, 180.0, 90.0],
        ]
    )
    assert _inside(bounds, DEGREES).tolist() == [True, False, False, True]


def test_geometry_ids_and_far_pipes_are_reported_word_for_word():
    # What a user reads, in full: a multi-part road (how to split it), a station without
    # an id (which row), a pipe 0.5° of longitude east of every road (≈ 48 km at 29.56° N:
    # the coordinates or the CRS are wrong).
    from shapely import affinity
    from shapely.geometry import MultiLineString

    from twin.errors import Problem

    layers = tiny_layers()
    e = layers["road_edges"]
    multi = MultiLineString([e.geometry.iloc[0], e.geometry.iloc[2]])
    layers["road_edges"] = e.set_geometry([multi, *e.geometry.iloc[1:]], crs=e.crs)
    assert problems_of(layers, "road_edges") == [
        Problem(
            "road_edges",
            "geometry must be LineString, but 1 is MultiLineString",
            "split multi-part features into single parts (gdf.explode(index_parts=False)) "
            "and give each part its own id",
            ("E1",),
        )
    ]
    layers = tiny_layers()
    layers["stations"].loc[0, "station_id"] = ""
    assert problems_of(layers, "stations") == [
        Problem(
            "stations",
            "1 feature has no station_id (rows 0, counting from 0)",
            "give every feature a unique station_id",
        )
    ]
    layers = tiny_layers()
    p = layers["pipes"]
    layers["pipes"] = p.set_geometry([affinity.translate(g, 0.5, 0) for g in p.geometry], crs=p.crs)
    (far,) = problems_of(layers, "pipes")
    assert far.what.startswith(
        "1 pipe of 1 is farther than 2 km from every road node (nearer end: P1: 48."
    )
    assert far.fix == (
        "check the pipes' coordinates and CRS (a network in another CRS or offset lands far "
        "away), or import the roads that serve them"
    )
    assert far.ids == ("P1",)
