"""City problems in full — where, what, how to fix, ids — on the valid four-node city of
test_validate.py (N1–N4 a square block E1 N1→N2, E2 N2→N3, E3 N3→N4, E4 N4→N1; pipe P1
J1→J2; station S1; district D1), checked in memory with ``check_layers`` (no files).

Each expected text is the rule's sentence filled in by hand (twin.model.layer_checks,
twin.model.network_checks): the text is what a user reads to fix their data, so a changed
word, a lost id or a missing fix is a bug.
"""

from __future__ import annotations

from test_validate import tiny_layers

from twin.model.network_checks import road_components
from twin.model.validate import check_layers


def problems(layers) -> list[tuple]:
    return [(p.where, p.what, p.fix, p.ids) for p in check_layers(layers)]


def of(layers, where: str) -> list[tuple]:
    return [p for p in problems(layers) if p[0] == where]


def test_a_missing_and_an_empty_required_layer_say_which_file_to_add_or_fill():
    # districts may be Polygon or MultiPolygon (both named), road_nodes only Point;
    # an empty layer is told to "fill" the same file
    layers = tiny_layers()
    del layers["districts"]
    layers["road_nodes"] = layers["road_nodes"].iloc[0:0]
    found = problems(layers)
    assert (
        "districts",
        "required layer is missing",
        "add a file districts.parquet / .gpkg / .geojson / .shp with columns district_id, "
        "name, name_en, population, level and geometry Polygon or MultiPolygon",
        (),
    ) in found
    assert (
        "road_nodes",
        "required layer has no features",
        "fill the file road_nodes.parquet / .gpkg / .geojson / .shp with columns node_id, "
        "elevation_m, district_id and geometry Point",
        (),
    ) in found


def test_missing_columns_name_their_kinds_and_list_what_the_layer_has():
    layers = tiny_layers()
    layers["stations"] = layers["stations"].drop(columns=["units", "force"])
    assert of(layers, "stations") == [
        (
            "stations",
            "missing columns: force (str), units (int); "
            "the layer has: station_id, name, name_en, district_id, geometry",
            "add the columns, or rename yours to these names "
            "(twin import gis --map MAPPING.json renames them)",
            (),
        )
    ]


def test_no_core_district_says_which_level_to_set():
    layers = tiny_layers()
    layers["districts"]["level"] = ["outer"]
    assert of(layers, "districts") == [
        (
            "districts",
            "no district has level 'core': the city has no study area",
            "set level to 'core' for the districts to simulate "
            "('outer' for those kept only for widening)",
            (),
        )
    ]


def test_text_in_a_number_column_and_the_nullable_hint_only_where_empty_is_allowed():
    # pipes.diameter_mm may be left empty when unknown (NULLABLE_NUMBERS); stations.units not
    layers = tiny_layers()
    layers["pipes"]["diameter_mm"] = ["wide"]
    layers["stations"]["units"] = ["three"]
    assert of(layers, "pipes") == [
        (
            "pipes",
            "1 value of diameter_mm is not a number (P1: 'wide')",
            "give every feature a numeric diameter_mm (or leave it empty when unknown)",
            ("P1",),
        )
    ]
    assert of(layers, "stations") == [
        (
            "stations",
            "1 value of units is not a number (S1: 'three')",
            "give every feature a numeric units",
            ("S1",),
        )
    ]


def test_an_unknown_category_lists_the_allowed_values():
    layers = tiny_layers()
    layers["junctions"]["kind"] = ["source", "tap"]
    assert of(layers, "junctions") == [
        (
            "junctions",
            "1 feature has an unknown kind ('tap')",
            "kind must be one of: source, junction",
            ("J2",),
        )
    ]


def test_a_feature_without_geometry_is_named_by_its_id():
    layers = tiny_layers()
    layers["road_edges"].loc[1, "geometry"] = None
    found = of(layers, "road_edges")
    assert (
        "road_edges",
        "1 feature with no geometry and 0 with an empty one",
        "give every feature a geometry, or delete the features",
        ("E2",),
    ) in found


def test_a_dangling_v_end_is_named_as_v():
    # only E1's v is unknown: the example names the end (v=) and its value
    layers = tiny_layers()
    layers["road_edges"].loc[0, "v"] = "N9"
    assert of(layers, "road_edges") == [
        (
            "road_edges",
            "1 feature has u/v that is not a road node_id (E1: v='N9')",
            "add the missing road nodes, or fix u/v to name existing node_ids",
            ("E1",),
        )
    ]


def test_two_road_parts_of_two_nodes_each_show_the_second_part():
    # keep E1 (N1–N2) and E3 (N3–N4): two parts of 2 nodes; part 1 holds N1 (first seen)
    layers = tiny_layers()
    layers["road_edges"] = layers["road_edges"].iloc[[0, 2]].reset_index(drop=True)
    assert of(layers, "road_nodes") == [
        (
            "road_nodes",
            "the road graph falls into 2 separate parts (sizes 2, 2; the largest has 2 of 4 "
            "nodes); no unit can drive between them: part 2: 2 nodes (N3, N4)",
            "connect them (add the missing road edges) or drop them, keeping the largest "
            "part (twin import ... --largest-component does this)",
            ("N3", "N4"),
        )
    ]


def test_a_city_of_two_unjoined_nodes_is_two_parts():
    # the smallest city that can fall apart: N1 and N2, the only edge E2 N2→N3 dangles
    layers = tiny_layers()
    layers["road_nodes"] = layers["road_nodes"].iloc[:2]
    layers["road_edges"] = layers["road_edges"].iloc[[1]].reset_index(drop=True)
    assert of(layers, "road_nodes") == [
        (
            "road_nodes",
            "the road graph falls into 2 separate parts (sizes 1, 1; the largest has 1 of 2 "
            "nodes); no unit can drive between them: part 2: 1 node (N2)",
            "connect them (add the missing road edges) or drop them, keeping the largest "
            "part (twin import ... --largest-component does this)",
            ("N2",),
        )
    ]


def test_an_edge_into_the_first_node_joins_it():
    # road_components: b → a joins a (index 0) to b, whichever end names it; an unknown end
    # (z) is ignored. Labels: 0 = the largest part.
    assert road_components(["a", "b"], ["b"], ["a"]).tolist() == [0, 0]
    assert road_components(["a", "b", "c"], ["c", "b"], ["a", "z"]).tolist() == [0, 1, 0]
