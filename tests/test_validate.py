"""twin.model.validate: every problem found, named by layer and ids, with a fix.

Each bad-input test writes a tiny hand-made city to a temporary folder as real files
(GeoParquet, GeoPackage, GeoJSON) and loads it with load_city / validate_folder.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString, Point, Polygon

from twin import TwinDataError, load_city
from twin.importers.commands import validate_command
from twin.model.city import embedded_path
from twin.model.validate import (
    MAX_SNAP_M,
    check_layers,
    road_components,
    validate_folder,
    validate_points_near_roads,
)

WGS84 = "EPSG:4326"
LON, LAT = 106.55, 29.56  # Yuzhong, Chongqing
STEP = 0.002  # degrees: about 190 m east-west, 220 m north-south here


def _node_xy() -> dict[str, tuple[float, float]]:
    return {
        "N1": (LON, LAT),
        "N2": (LON + STEP, LAT),
        "N3": (LON + STEP, LAT + STEP),
        "N4": (LON, LAT + STEP),
    }


def tiny_layers() -> dict[str, gpd.GeoDataFrame]:
    """A valid four-node city: a square block of roads, one water pipe, one fire station."""
    xy = _node_xy()
    d = STEP * 3
    districts = gpd.GeoDataFrame(
        {
            "district_id": ["D1"],
            "name": ["渝中区"],
            "name_en": ["Yuzhong"],
            "population": [589_000],
            "level": ["core"],
        },
        geometry=[
            Polygon(
                [(LON - d, LAT - d), (LON + d, LAT - d), (LON + d, LAT + d), (LON - d, LAT + d)]
            )
        ],
        crs=WGS84,
    )
    nodes = gpd.GeoDataFrame(
        {"node_id": list(xy), "elevation_m": [200.0, 210.0, 230.0, 215.0], "district_id": "D1"},
        geometry=[Point(p) for p in xy.values()],
        crs=WGS84,
    )
    ends = [("E1", "N1", "N2"), ("E2", "N2", "N3"), ("E3", "N3", "N4"), ("E4", "N4", "N1")]
    edges = gpd.GeoDataFrame(
        {
            "edge_id": [e for e, _, _ in ends],
            "u": [u for _, u, _ in ends],
            "v": [v for _, _, v in ends],
            "length_m": [193.6, 222.2, 193.6, 222.2],
            "road_class": ["arterial", "local", "local", "local"],
            "speed_kph": [50.0, 30.0, 30.0, 30.0],
            "bridge": [False] * 4,
            "tunnel": [False] * 4,
            "oneway": [False, True, False, False],
            "name": ["解放碑路", "", "", ""],
        },
        geometry=[LineString([xy[u], xy[v]]) for _, u, v in ends],
        crs=WGS84,
    )
    junctions = gpd.GeoDataFrame(
        {
            "junction_id": ["J1", "J2"],
            "network": ["water", "water"],
            "kind": ["source", "junction"],
            "elevation_m": [200.0, 210.0],
        },
        geometry=[Point(xy["N1"]), Point(xy["N2"])],
        crs=WGS84,
    )
    pipes = gpd.GeoDataFrame(
        {
            "pipe_id": ["P1"],
            "network": ["water"],
            "u": ["J1"],
            "v": ["J2"],
            "diameter_mm": [300.0],
            "install_year": [1995],
            "material": ["ductile iron"],
            "length_m": [193.6],
            "monitored": [True],
        },
        geometry=[LineString([xy["N1"], xy["N2"]])],
        crs=WGS84,
    )
    stations = gpd.GeoDataFrame(
        {
            "station_id": ["S1"],
            "force": ["fire"],
            "name": ["解放碑消防站"],
            "name_en": ["Jiefangbei fire station"],
            "district_id": ["D1"],
            "units": [3],
        },
        geometry=[Point(LON + 0.0003, LAT + 0.0003)],
        crs=WGS84,
    )
    return {
        "districts": districts,
        "road_nodes": nodes,
        "road_edges": edges,
        "junctions": junctions,
        "pipes": pipes,
        "stations": stations,
    }


FORMATS = {
    "districts": "geojson",
    "road_nodes": "parquet",
    "road_edges": "gpkg",
    "junctions": "geojson",
    "pipes": "gpkg",
    "stations": "parquet",
}


def write_city(
    folder: Path, layers: dict[str, gpd.GeoDataFrame], formats: dict[str, str] | None = None
) -> Path:
    """Write layers as real files, in a mix of formats (parquet where asked or needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    formats = {**FORMATS, **(formats or {})}
    for layer, gdf in layers.items():
        ext = formats[layer]
        if ext == "parquet":
            gdf.to_parquet(folder / f"{layer}.parquet")
        else:
            gdf.to_file(folder / f"{layer}.{ext}", engine="pyogrio")
    return folder


def load_error(folder: Path) -> TwinDataError:
    """The TwinDataError load_city raises for ``folder`` (fails the test if none)."""
    with pytest.raises(TwinDataError) as info:
        load_city(folder)
    return info.value


def problem_text(err: TwinDataError, layer: str) -> str:
    """Everything said about ``layer``: its problems' text, ids and fixes."""
    found = [f"{p} ids={','.join(p.ids)}" for p in err.problems if p.where == layer]
    assert found, f"no problem reported for {layer}:\n{err}"
    return "\n".join(found)


# ---------------------------------------------------------------------------- good data


def test_good_tiny_city_has_no_problems(tmp_path: Path) -> None:
    folder = write_city(tmp_path / "city", tiny_layers())
    assert validate_folder(folder) == []
    city = load_city(folder)
    assert len(city.road_edges) == 4 and city.crs.startswith("EPSG:326")
    assert city.stations["force"].tolist() == ["fire"]


def test_validate_command_ok_prints_summary(tmp_path: Path, capsys) -> None:
    folder = write_city(tmp_path / "city", tiny_layers())
    assert validate_command(folder) == 0
    out = capsys.readouterr().out
    assert "OK" in out and "road length" in out


def test_validate_command_reports_problems(tmp_path: Path, capsys) -> None:
    layers = tiny_layers()
    layers["stations"].loc[0, "force"] = "police"
    assert validate_command(write_city(tmp_path / "city", layers)) == 2
    out = capsys.readouterr().out
    assert "police" in out and "S1" in out and "community" in out


def test_validate_folder_missing_folder_and_layers(tmp_path: Path) -> None:
    problems = validate_folder(tmp_path / "nowhere")
    assert len(problems) == 1 and "no such city folder" in problems[0].what
    (tmp_path / "empty").mkdir()
    missing = {p.where for p in validate_folder(tmp_path / "empty")}
    assert missing == {"districts", "road_nodes", "road_edges"}


# ---------------------------------------------------------------------------- bad data


def test_missing_crs(tmp_path: Path) -> None:
    layers = tiny_layers()
    layers["road_nodes"] = layers["road_nodes"].set_crs(None, allow_override=True)
    err = load_error(write_city(tmp_path / "c", layers))
    text = problem_text(err, "road_nodes")
    assert "no CRS" in text and "set_crs" in text and "ogr2ogr -a_srs" in text
    assert str(tmp_path / "c") in err.title


def test_coordinates_impossible_for_crs(tmp_path: Path) -> None:
    layers = tiny_layers()
    # lon/lat numbers labelled as UTM metres: a classic mix-up
    layers["road_nodes"] = layers["road_nodes"].set_crs("EPSG:32648", allow_override=True)
    layers["stations"] = layers["stations"].set_geometry([Point(LON, 95.0)])  # latitude > 90
    err = load_error(write_city(tmp_path / "c", layers))
    nodes = problem_text(err, "road_nodes")
    assert "look like longitude/latitude degrees" in nodes and "EPSG:32648" in nodes
    assert "N1: x 106.55, y 29.56" in nodes and "set_crs('EPSG:4326'" in nodes
    st = problem_text(err, "stations")
    assert "impossible in the stated CRS EPSG:4326" in st and "latitude -90..90" in st
    assert "ids=S1" in st


def test_projected_coordinates_checked_against_area_of_use() -> None:
    """UTM 48N used a few degrees outside its zone is fine (Chongqing's eastern counties
    reach 110 °E); coordinates thousands of km away are not."""
    east = gpd.GeoSeries([Point(110.1, 31.0)], crs=WGS84).to_crs("EPSG:32648").iloc[0]
    junctions = gpd.GeoDataFrame(
        {"junction_id": ["J1", "J2"], "network": "water", "kind": "junction", "elevation_m": 0.0},
        geometry=[east, Point(9e7, 3.3e6)],
        crs="EPSG:32648",
    )
    problems = [p for p in check_layers({"junctions": junctions}) if p.where == "junctions"]
    assert len(problems) == 1 and problems[0].ids == ("J2",)
    assert "impossible in the stated CRS EPSG:32648" in problems[0].what


def test_invalid_geometry_bow_tie(tmp_path: Path) -> None:
    layers = tiny_layers()
    d = STEP * 3
    bow_tie = Polygon(
        [(LON - d, LAT - d), (LON + d, LAT + d), (LON + d, LAT - d), (LON - d, LAT + d)]
    )
    layers["districts"] = layers["districts"].set_geometry([bow_tie])
    err = load_error(write_city(tmp_path / "c", layers, {"districts": "gpkg"}))
    text = problem_text(err, "districts")
    assert "1 invalid geometry" in text and "D1: Self-intersection" in text
    assert "make_valid" in text and "buffer(0)" in text


def test_empty_and_null_geometry(tmp_path: Path) -> None:
    layers = tiny_layers()
    st = layers["stations"]
    extra = st.iloc[[0, 0]].copy()
    extra["station_id"] = ["S2", "S3"]
    st = gpd.GeoDataFrame(pd.concat([st, extra], ignore_index=True), crs=WGS84)
    st = st.set_geometry([st.geometry.iloc[0], Point(), None], crs=WGS84)
    layers["stations"] = st
    err = load_error(write_city(tmp_path / "c", layers))
    text = problem_text(err, "stations")
    assert "1 feature with no geometry and 1 with an empty one" in text
    assert "ids=S2,S3" in text or "ids=S3,S2" in text


def test_wrong_geometry_type(tmp_path: Path) -> None:
    layers = tiny_layers()
    e = layers["road_edges"]
    multi = MultiLineString([e.geometry.iloc[0], e.geometry.iloc[2]])
    layers["road_edges"] = e.set_geometry([multi, *e.geometry.iloc[1:]], crs=WGS84)
    err = load_error(write_city(tmp_path / "c", layers, {"road_edges": "parquet"}))
    text = problem_text(err, "road_edges")
    assert "must be LineString, but 1 is MultiLineString" in text and "ids=E1" in text
    assert "explode" in text


def test_duplicate_ids(tmp_path: Path) -> None:
    layers = tiny_layers()
    layers["road_edges"].loc[3, "edge_id"] = "E1"
    err = load_error(write_city(tmp_path / "c", layers))
    text = problem_text(err, "road_edges")
    assert "used more than once" in text and "E1 ×2" in text


def test_missing_columns(tmp_path: Path) -> None:
    layers = tiny_layers()
    layers["road_edges"] = layers["road_edges"].drop(columns=["speed_kph", "oneway"])
    layers["pipes"] = layers["pipes"].drop(columns=["monitored"])  # optional: filled on load
    err = load_error(write_city(tmp_path / "c", layers))
    text = problem_text(err, "road_edges")
    assert "missing column: speed_kph (float)" in text and "oneway" not in text.split("has:")[0]
    assert all(p.where == "road_edges" for p in err.problems), err


def test_non_positive_length_and_speed(tmp_path: Path) -> None:
    layers = tiny_layers()
    layers["road_edges"].loc[1, "length_m"] = 0.0
    layers["road_edges"].loc[2, "speed_kph"] = -5.0
    layers["pipes"].loc[0, "length_m"] = -1.0
    err = load_error(write_city(tmp_path / "c", layers))
    text = problem_text(err, "road_edges")
    assert "length_m is not > 0 (E2: 0)" in text
    assert "speed_kph is not > 0 (E3: -5)" in text
    assert "P1: -1" in problem_text(err, "pipes")


def test_non_numeric_and_non_boolean_values(tmp_path: Path) -> None:
    layers = tiny_layers()
    e = layers["road_edges"]
    e["speed_kph"] = e["speed_kph"].astype(object)
    e.loc[0, "speed_kph"] = "fast"
    e["bridge"] = ["no", "yes", "no", "no"]  # strings: "no" would silently become True
    err = load_error(write_city(tmp_path / "c", layers, {"road_edges": "geojson"}))
    text = problem_text(err, "road_edges")
    assert "speed_kph is not a number (E1: 'fast')" in text
    assert "4 values of bridge are not true/false" in text and "E2: 'yes'" in text


def test_edge_endpoint_not_a_node(tmp_path: Path) -> None:
    layers = tiny_layers()
    layers["road_edges"].loc[2, "v"] = "N9"
    err = load_error(write_city(tmp_path / "c", layers))
    text = problem_text(err, "road_edges")
    assert "not a road node_id" in text and "E3: v='N9'" in text


def test_disconnected_road_graph(tmp_path: Path) -> None:
    layers = tiny_layers()
    far = [(LON + 0.02, LAT), (LON + 0.022, LAT)]
    nodes = layers["road_nodes"]
    island = gpd.GeoDataFrame(
        {"node_id": ["N5", "N6", "N7"], "elevation_m": 0.0, "district_id": "D1"},
        geometry=[Point(far[0]), Point(far[1]), Point(LON, LAT - 0.01)],
        crs=WGS84,
    )
    layers["road_nodes"] = gpd.GeoDataFrame(
        pd.concat([nodes, island], ignore_index=True), crs=WGS84
    )
    e = layers["road_edges"]
    bridge = e.iloc[[0]].copy()
    bridge[["edge_id", "u", "v"]] = ["E5", "N5", "N6"]
    bridge = bridge.set_geometry([LineString(far)], crs=WGS84)
    layers["road_edges"] = gpd.GeoDataFrame(pd.concat([e, bridge], ignore_index=True), crs=WGS84)
    err = load_error(write_city(tmp_path / "c", layers))
    text = problem_text(err, "road_nodes")
    assert "falls into 3 separate parts (sizes 4, 2, 1" in text
    assert "part 2: 2 nodes (N5, N6)" in text and "part 3: 1 node (N7)" in text
    assert "--largest-component" in text


def test_station_too_far_from_roads(tmp_path: Path) -> None:
    layers = tiny_layers()
    st = layers["stations"]
    far = st.copy()
    far["station_id"] = "S2"
    far = far.set_geometry([Point(LON + 0.03, LAT)], crs=WGS84)  # about 2.9 km east
    layers["stations"] = gpd.GeoDataFrame(pd.concat([st, far], ignore_index=True), crs=WGS84)
    err = load_error(write_city(tmp_path / "c", layers))
    text = problem_text(err, "stations")
    assert "1 of the 2 stations is farther than 500 m from any road node" in text
    assert "S2: 2.7 km" in text and "ids=S2" in text


def test_pipe_endpoint_not_a_junction_of_its_network(tmp_path: Path) -> None:
    layers = tiny_layers()
    j = layers["junctions"]
    gas = j.iloc[[1]].copy()
    gas[["junction_id", "network"]] = ["G1", "gas"]
    layers["junctions"] = gpd.GeoDataFrame(pd.concat([j, gas], ignore_index=True), crs=WGS84)
    p = layers["pipes"]
    extra = p.iloc[[0, 0]].copy()
    extra["pipe_id"] = ["P2", "P3"]
    extra["v"] = ["J9", "G1"]  # J9 does not exist; G1 is a gas junction
    layers["pipes"] = gpd.GeoDataFrame(pd.concat([p, extra], ignore_index=True), crs=WGS84)
    err = load_error(write_city(tmp_path / "c", layers))
    text = problem_text(err, "pipes")
    assert "P2: v='J9'" in text and "P3: v='G1'" in text and "ids=P2,P3" in text


def test_unknown_force_and_network(tmp_path: Path) -> None:
    layers = tiny_layers()
    layers["stations"].loc[0, "force"] = "police"
    layers["pipes"].loc[0, "network"] = "steam"
    err = load_error(write_city(tmp_path / "c", layers))
    st = problem_text(err, "stations")
    assert "unknown force ('police')" in st and "ids=S1" in st
    assert "community, fire, professional, social, air" in st
    assert "unknown network ('steam')" in problem_text(err, "pipes")


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    layers = tiny_layers()
    layers["road_edges"].loc[0, "speed_kph"] = 0.0
    layers["road_nodes"].loc[1, "node_id"] = "N1"
    layers["stations"].loc[0, "force"] = "police"
    err = load_error(write_city(tmp_path / "c", layers))
    wheres = [p.where for p in err.problems]
    assert {"road_edges", "road_nodes", "stations"} <= set(wheres)
    assert len(err.problems) >= 3 and "problems" in str(err)


def test_check_layers_does_not_crash_on_garbage() -> None:
    """Missing ids and columns everywhere: problems, never a pandas traceback."""
    junk = gpd.GeoDataFrame({"x": [1, 2]}, geometry=[Point(0, 0), None], crs=WGS84)
    problems = check_layers(
        {
            name: junk
            for name in ("districts", "road_nodes", "road_edges", "pipes", "junctions", "stations")
        }
    )
    assert any("missing column" in p.what for p in problems)
    assert any("row 1" in p.ids for p in problems)


# ---------------------------------------------------------------------------- helpers


def test_validate_points_near_roads() -> None:
    nodes = np.array([[0.0, 0.0], [1000.0, 0.0]])
    pts = np.array([[10.0, 0.0], [1000.0, 600.0], [np.nan, np.nan]])
    problems = validate_points_near_roads(
        pts, ["I1", "I2", "I3"], nodes, "scenario.toml", MAX_SNAP_M, "incidents"
    )
    assert len(problems) == 1
    p = problems[0]
    assert p.ids == ("I3", "I2") and p.where == "scenario.toml"
    assert "I2: 600 m" in p.what and "I3: no coordinates" in p.what
    with pytest.raises(TwinDataError):
        problems.raise_if_any("bad scenario")


def test_road_components_ranked_by_size() -> None:
    labels = road_components(["a", "b", "c", "d", "e"], ["d", "a"], ["e", "b"])
    assert labels.tolist() == [0, 0, 2, 1, 1]


def test_a_city_sized_grid_validates_clean() -> None:
    """A 200 × 200 street grid (40 000 nodes, 79 600 edges) in UTM has no problems."""
    n = 200
    gx, gy = np.meshgrid(np.arange(n) * 100.0 + 600_000, np.arange(n) * 100.0 + 3_270_000)
    ids = np.array([f"n{i}" for i in range(n * n)], dtype=object)
    k = np.arange(n * n).reshape(n, n)
    u = np.concatenate([k[:, :-1].ravel(), k[:-1, :].ravel()])
    v = np.concatenate([k[:, 1:].ravel(), k[1:, :].ravel()])
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    crs = "EPSG:32648"
    nodes = gpd.GeoDataFrame(
        {"node_id": ids, "elevation_m": 0.0, "district_id": "D1"},
        geometry=shapely.points(xy),
        crs=crs,
    )
    lines = shapely.linestrings(np.stack([xy[u], xy[v]], axis=1))
    edges = gpd.GeoDataFrame(
        {
            "edge_id": [f"e{i}" for i in range(len(u))],
            "u": ids[u],
            "v": ids[v],
            "length_m": 100.0,
            "road_class": "local",
            "speed_kph": 30.0,
            "bridge": False,
            "tunnel": False,
            "oneway": False,
            "name": "",
        },
        geometry=lines,
        crs=crs,
    )
    box = shapely.box(*xy.min(0), *xy.max(0)).buffer(100)
    districts = gpd.GeoDataFrame(
        {
            "district_id": ["D1"],
            "name": ["grid"],
            "name_en": ["grid"],
            "population": [1],
            "level": ["core"],
        },
        geometry=[box],
        crs=crs,
    )
    stations = gpd.GeoDataFrame(
        {
            "station_id": [f"S{i}" for i in range(60)],
            "force": "fire",
            "name": "",
            "name_en": "",
            "district_id": "D1",
            "units": 2,
        },
        geometry=shapely.points(xy[::667][:60] + 20),
        crs=crs,
    )
    layers = {
        "districts": districts,
        "road_nodes": nodes,
        "road_edges": edges,
        "stations": stations,
    }
    assert check_layers(layers) == []  # its speed: bench/bench_load.py


def test_embedded_twin_validates_clean() -> None:
    problems = validate_folder(embedded_path())
    assert problems == [], "\n".join(map(str, problems))
    city = load_city()  # reads, validates, projects (timed by bench/bench_load.py)
    assert len(city.road_nodes) > 0


def test_problem_table_on_a_terminal(tmp_path: Path) -> None:
    from rich.console import Console

    from twin.importers.commands import print_problems

    layers = tiny_layers()
    layers["stations"].loc[0, "force"] = "police"
    problems = validate_folder(write_city(tmp_path / "c", layers))
    console = Console(force_terminal=True, width=200, record=True)
    print_problems(console, problems, "bad city")
    text = console.export_text()
    assert "how to fix" in text and "stations" in text and "police" in text


# ---------------------------------------------------------------------------- review fixes


def test_infinite_and_missing_numbers_are_reported_readably(tmp_path: Path) -> None:
    layers = tiny_layers()
    layers["road_edges"].loc[0, "length_m"] = np.inf  # passed "> 0" before; road_km was inf
    layers["road_nodes"].loc[1, "elevation_m"] = np.nan
    err = load_error(write_city(tmp_path / "c", layers))
    assert "length_m is not a number (E1: inf)" in problem_text(err, "road_edges")
    nodes = problem_text(err, "road_nodes")
    assert "elevation_m is not a number (N2: missing)" in nodes and "np.float64" not in nodes


def test_whole_number_columns_must_hold_whole_numbers(tmp_path: Path) -> None:
    layers = tiny_layers()
    layers["stations"]["units"] = [2.5]  # forces.py truncated this silently to 2 units
    err = load_error(write_city(tmp_path / "c", layers))
    assert "units is not a whole number (S1: 2.5)" in problem_text(err, "stations")
    layers["stations"]["units"] = [3.0]  # a whole number stored as float is fine
    assert validate_folder(write_city(tmp_path / "ok", layers)) == []


def test_pipe_diameter_must_be_positive(tmp_path: Path) -> None:
    layers = tiny_layers()
    layers["pipes"].loc[0, "diameter_mm"] = -300.0
    err = load_error(write_city(tmp_path / "c", layers))
    assert "diameter_mm is not > 0 (P1: -300)" in problem_text(err, "pipes")


def test_empty_required_layer_and_no_core_district(tmp_path: Path) -> None:
    layers = tiny_layers()
    layers["districts"] = layers["districts"].iloc[0:0]  # loaded "fine" before: no study area
    err = load_error(write_city(tmp_path / "empty", layers, {"districts": "parquet"}))
    assert "required layer has no features" in problem_text(err, "districts")
    layers = tiny_layers()
    layers["districts"]["level"] = ["Core"]  # a typo made the only district 'outer'
    text = problem_text(load_error(write_city(tmp_path / "typo", layers)), "districts")
    assert "unknown level ('Core')" in text and "no district has level 'core'" in text


@pytest.mark.parametrize(
    "meta, what",
    [
        ("[1, 2]", "must be a JSON object, not a list"),  # AttributeError before
        ('{"crs": 12}', "crs 12 is not a projected"),  # pyproj CRSError before
        ('{"crs": "EPSG:4326"}', "'EPSG:4326' is not a projected"),  # loaded in degrees before
    ],
)
def test_bad_city_json_is_one_clear_error_for_load_and_validate(
    tmp_path: Path, meta: str, what: str
) -> None:
    folder = write_city(tmp_path / "c", tiny_layers())
    (folder / "city.json").write_text(meta, encoding="utf-8")
    err = load_error(folder)
    assert len(err.problems) == 1 and what in err.problems[0].what
    assert err.problems[0].where.endswith("city.json")
    assert [p.what for p in validate_folder(folder)] == [err.problems[0].what]


def test_every_unreadable_layer_file_is_named_at_once(tmp_path: Path) -> None:
    folder = write_city(tmp_path / "c", tiny_layers(), {"pipes": "parquet", "stations": "parquet"})
    (folder / "pipes.parquet").write_bytes(b"not parquet")
    (folder / "stations.parquet").write_bytes(b"not parquet either")
    err = load_error(folder)  # stopped at the first bad file before
    assert sorted(Path(p.where).name for p in err.problems) == ["pipes.parquet", "stations.parquet"]
    assert all("cannot read this file" in p.what for p in err.problems)
    assert len(validate_folder(folder)) == 2
