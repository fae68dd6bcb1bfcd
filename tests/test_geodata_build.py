"""Tests for the build of the embedded twin (twin/build/, run by geodata/build.py) and the
shipped city folder geodata/chongqing/ (= twin/data/chongqing).

The shipped folder is read directly with geopandas (no dependency on twin.load_city);
the build's public functions are exercised on small inputs; one slow test rebuilds the
whole twin and compares it with the shipped files.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from twin.build import driver
from twin.build import geo as bgeo
from twin.build import graph as bgraph
from twin.build import params as bparams
from twin.build import pipes as bpipes
from twin.build import population as bpopulation
from twin.build import terrain as bterrain
from twin.model.layers import GEOMETRY_TYPES, ID_COLUMN, LAYERS

ROOT = Path(__file__).resolve().parents[1]
CITY = ROOT / "geodata" / "chongqing"
YUZHONG, JIANGBEI, NANAN = "500103", "500105", "500108"
CORE = {"500103", "500104", "500105", "500106", "500107", "500108", "500109", "500112", "500113"}


@pytest.fixture(scope="module")
def city():
    return {k: gpd.read_parquet(CITY / f"{k}.parquet") for k in LAYERS}


@pytest.fixture(scope="module")
def graph(city):
    """(node ids, u index, v index) of the road graph."""
    n, e = city["road_nodes"], city["road_edges"]
    idx = pd.Series(np.arange(len(n)), index=n["node_id"])
    return n, e, idx[e["u"]].to_numpy(), idx[e["v"]].to_numpy()


def components(n_nodes, u, v, mask):
    g = coo_matrix((np.ones(mask.sum()), (u[mask], v[mask])), shape=(n_nodes, n_nodes))
    return connected_components(g, directed=False)[1]


def nearest_node(nodes, lon, lat):
    xy = bgeo.to_utm(nodes.geometry.x.to_numpy(), nodes.geometry.y.to_numpy())
    return int(cKDTree(xy).query(bgeo.to_utm(lon, lat))[1])


# ----------------------------------------------------------------------------- schema
# The data contract's required columns (twin.model.layers.LAYERS), plus what the embedded
# twin adds: each pipe names the road edge it is laid under.
SCHEMA = {layer: dict(cols) for layer, cols in LAYERS.items()}
SCHEMA["pipes"]["edge_id"] = "str"
KIND = {
    "str": pd.api.types.is_string_dtype,
    "int": pd.api.types.is_integer_dtype,
    "float": pd.api.types.is_float_dtype,
    "bool": pd.api.types.is_bool_dtype,
}


@pytest.mark.parametrize("layer", sorted(SCHEMA))
def test_layer_schema(city, layer):
    g = city[layer]
    assert g.crs.to_epsg() == 4326
    for col, kind in SCHEMA[layer].items():
        assert col in g.columns, (layer, col)
        assert KIND[kind](g[col]), (layer, col, g[col].dtype)
    assert g.geometry.notna().all() and not g.geometry.is_empty.any()
    assert g.geometry.is_valid.all()
    assert set(g.geometry.geom_type) <= set(GEOMETRY_TYPES[layer]), layer
    assert g[ID_COLUMN[layer]].is_unique


def test_city_json_and_size():
    meta = json.loads((CITY / "city.json").read_text(encoding="utf-8"))
    assert (
        meta["crs"] == "EPSG:32648"
        and meta["seed"] == 2020
        and meta["source"] == "geodata/build.py"
    )
    assert meta["name"] == "Chongqing central city"
    total = sum(p.stat().st_size for p in CITY.iterdir())
    assert total < 8_000_000


def test_districts(city):
    d = city["districts"]
    assert len(d) == 38
    assert set(d.loc[d["level"] == "core", "district_id"]) == CORE
    assert set(d["level"]) == {"core", "outer"}
    assert d["name_en"].str.len().gt(0).all() and d["name_en"].is_unique
    census = pd.read_csv(
        ROOT / "geodata" / "sources" / "chongqing_population_2020.csv",
        encoding="utf-8-sig",
        dtype={"CODE": str},
    )
    assert dict(zip(d["district_id"], d["population"])) == dict(zip(census["CODE"], census["POPU"]))
    names = dict(zip(d["district_id"], d["name_en"]))
    assert names[YUZHONG] == "Yuzhong" and names[NANAN] == "Nan'an" and names["500113"] == "Banan"


# ----------------------------------------------------------------------------- roads
def test_road_graph_connected_and_sane(graph):
    n, e, u, v = graph
    assert 30_000 <= len(n) <= 45_000
    assert len(np.unique(components(len(n), u, v, np.ones(len(e), bool)))) == 1
    assert set(n["district_id"]) == CORE
    assert (e["length_m"] > 0).all() and (e["speed_kph"] > 0).all() and not e["oneway"].any()
    assert set(e["road_class"]) == {"expressway", "arterial", "local", "mountain"}
    speeds = e.groupby("road_class")["speed_kph"].unique()
    assert {k: list(s) for k, s in speeds.items()} == {
        "expressway": [80.0],
        "arterial": [50.0],
        "local": [30.0],
        "mountain": [30.0],
    }
    assert re.fullmatch(r"n\d{6}", n["node_id"].iloc[0]) and re.fullmatch(
        r"e\d{6}", e["edge_id"].iloc[0]
    )
    # edges are straight 2-point lines ending exactly on their nodes
    pts = dict(zip(n["node_id"], zip(n.geometry.x, n.geometry.y)))
    first = e.geometry.apply(lambda g: g.coords[0])
    assert (e.geometry.apply(lambda g: len(g.coords)) == 2).all()
    assert (first == e["u"].map(pts)).all()
    assert ((n["elevation_m"] > 150) & (n["elevation_m"] < 1000)).all()


def test_bridges_are_the_only_barrier_crossings(graph):
    n, e, u, v = graph
    bridge = e["bridge"].to_numpy()
    d = n["district_id"].to_numpy()
    without = components(len(n), u, v, ~bridge)
    for other in (JIANGBEI, NANAN):
        assert not set(without[d == YUZHONG]) & set(without[d == other]), other
    assert not set(without[d == JIANGBEI]) & set(without[d == NANAN])
    with_all = components(len(n), u, v, np.ones(len(e), bool))
    assert len(set(with_all[np.isin(d, [YUZHONG, JIANGBEI, NANAN])])) == 1


def test_bridge_names(graph):
    n, e, u, v = graph
    b = e[e["bridge"]]
    assert 25 <= b["name"].nunique() <= 40
    assert b["name"].str.contains(" / ").all() and (b["name"] != "").all()
    assert set(b["road_class"]) <= {"arterial", "expressway"}
    assert not e.loc[~e["bridge"] & ~e["tunnel"], "name"].ne("").any()
    d = dict(zip(n["node_id"], n["district_id"]))
    pairs = b.assign(pair=[frozenset((d[a], d[c])) for a, c in zip(b["u"], b["v"])])
    to_jb = set(pairs.loc[pairs["pair"] == frozenset((YUZHONG, JIANGBEI)), "name"])
    to_na = set(pairs.loc[pairs["pair"] == frozenset((YUZHONG, NANAN)), "name"])
    assert {
        "千厮门嘉陵江大桥 / Qiansimen Jialing River Bridge",
        "黄花园大桥 / Huanghuayuan Bridge",
        "嘉陵江大桥 / Jialing River Bridge (Niujiaotuo)",
        "渝澳大桥 / Yu'ao Bridge",
    } <= to_jb
    assert {
        "东水门长江大桥 / Dongshuimen Yangtze River Bridge",
        "石板坡长江大桥 / Shibanpo Yangtze River Bridge",
        "菜园坝长江大桥 / Caiyuanba Yangtze River Bridge",
    } <= to_na


def test_tunnels_and_ridges(graph):
    n, e, u, v = graph
    t = e[e["tunnel"]]
    assert 6 <= len(t) <= 12 and t["name"].is_unique and (t["name"] != "").all()
    assert (t["road_class"] == "expressway").all() and not (t["bridge"]).any()
    elev = dict(zip(n["node_id"], n["elevation_m"]))
    assert max(max(elev[a], elev[b]) for a, b in zip(t["u"], t["v"])) < 500
    slow = e["tunnel"].to_numpy() | (e["road_class"] == "mountain").to_numpy()
    comp = components(len(n), u, v, ~slow)
    for west, east in [
        ((106.31, 29.61), (106.457, 29.556)),  # Zhongliang: University Town | Sanxia Sq.
        ((106.565, 29.528), (106.655, 29.50)),  # Tongluo: Nanping | Chayuan
        ((106.83, 29.70), (106.93, 29.72)),
    ]:  # Mingyue: Longxing | east Yubei
        assert comp[nearest_node(n, *west)] != comp[nearest_node(n, *east)]
    assert len(np.unique(components(len(n), u, v, ~e["tunnel"].to_numpy()))) == 1


def test_no_street_edge_crosses_a_river(city):
    d = bgeo.load_districts(driver.sources_path()).to_crs(bparams.WORK_CRS)
    core = d[d["level"] == "core"]
    barrier = bterrain.river_barrier(
        dict(zip(core["district_id"], core.geometry)),
        bgeo.load_rivers(driver.sources_path()),
        shapely.union_all(core.geometry.values).buffer(5000.0),
    )
    terrain = bterrain.Terrain(barrier, bterrain.make_ridges(), np.zeros(2))
    e = city["road_edges"].to_crs(bparams.WORK_CRS)
    crossing = terrain.crosses_river(e.geometry.values)
    assert crossing[e["bridge"].to_numpy()].all()
    assert not crossing[~e["bridge"].to_numpy()].any()


# ----------------------------------------------------------------------------- pipes
def test_pipes_and_junctions(city):
    p, j, e = city["pipes"], city["junctions"], city["road_edges"]
    assert set(p["network"]) == set(j["network"]) == {"water", "gas", "drainage"}
    assert p["edge_id"].isin(e["edge_id"]).all()
    lengths = dict(zip(e["edge_id"], e["length_m"]))
    assert np.allclose(p["length_m"], p["edge_id"].map(lengths))
    assert p["install_year"].between(1960, 2023).all()
    target = {"water": 0.10, "gas": 0.15, "drainage": 0.05}
    for net, g in p.groupby("network"):
        jj = j[j["network"] == net]
        assert g["u"].isin(jj["junction_id"]).all() and g["v"].isin(jj["junction_id"]).all()
        assert jj["junction_id"].str.fullmatch(net[0] + r"j\d{5}").all()
        share = g.loc[g["monitored"], "length_m"].sum() / g["length_m"].sum()
        assert abs(share - target[net]) < 0.02, (net, share)
        assert (jj["kind"] == "source").sum() >= {"water": 6, "gas": 4, "drainage": 20}[net]
    w = p[p["network"] == "water"]
    assert w["diameter_mm"].between(100, 1200).all() and set(w["material"]) <= {
        "cast iron",
        "ductile iron",
        "steel",
        "PE",
    }
    assert set(p.loc[p["network"] == "gas", "material"]) <= {"steel", "cast iron", "PE"}
    assert set(p.loc[p["network"] == "drainage", "material"]) <= {"concrete", "brick", "HDPE"}


# ----------------------------------------------------------------------------- stations and cells
def test_stations(city, graph):
    n = graph[0]
    s = city["stations"]
    counts = s["force"].value_counts()
    assert 60 <= counts["fire"] <= 110
    assert 9 <= counts["professional"] <= 18 and counts["social"] >= 9 and counts["air"] == 2
    assert counts["community"] >= 2000
    assert s["units"].ge(0).all()
    assert s.loc[s["force"] == "fire", "units"].between(2, 4).all()
    # community responders by households (twin.build.posts): one per 400 households of
    # 2.45 persons = 980 people; each district has round(its cells' people / 980)
    com = s[s["force"] == "community"]
    assert com["units"].ge(1).all()
    people = city["cells"].groupby("district_id")["population"].sum()
    expected = np.floor(people / 980.0 + 0.5).astype(int)
    assert com.groupby("district_id")["units"].sum().to_dict() == expected.to_dict()
    assert set(s["district_id"]) <= CORE
    node_xy = bgeo.to_utm(n.geometry.x.to_numpy(), n.geometry.y.to_numpy())
    dist = cKDTree(node_xy).query(bgeo.to_utm(s.geometry.x.to_numpy(), s.geometry.y.to_numpy()))[0]
    assert dist.max() < 300.0
    air = s[s["force"] == "air"].sort_values("station_id")
    assert air["units"].tolist() == [2, 1]


def test_cells_sum_to_census(city):
    c, d = city["cells"], city["districts"].set_index("district_id")
    sums = c.groupby("district_id")["population"].sum()
    assert set(sums.index) == CORE
    assert np.allclose(sums, d.loc[sums.index, "population"], rtol=1e-9)
    area_km2 = c.to_crs(bparams.WORK_CRS).area / 1e6
    assert area_km2.max() <= 1.001  # 1 km cells, after rounding to 1e-6 degree


# ----------------------------------------------------------------------------- build functions
def test_gabriel_drops_edges_with_points_inside_their_circle():
    xy = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 0.2], [1.0, 3.0]])
    gab, dela = bgraph.gabriel_edges(xy)
    gab = {tuple(x) for x in gab}
    assert (0, 1) not in gab and {(0, 2), (1, 2)} <= gab
    assert len(dela) >= len(gab)


def test_link_components_joins_with_shortest_edges():
    e = np.array([[0, 1], [2, 3]])
    cand = np.array([[1, 2], [0, 3], [1, 3]])
    added = bgraph.link_components(4, e, cand, np.array([5.0, 1.0, 3.0]))
    assert added.tolist() == [[0, 3]]


def test_prune_tree_and_diameters():
    # chain 0 -> 1 -> 2, with a dead branch 1 -> 3; node 2 is wanted
    dist = np.array([0.0, 1.0, 2.0, 2.0])
    pred = np.array([-9999, 0, 1, 1])
    keep, served = bpipes.prune_tree(
        dist, pred, np.array([False, False, True, False]), np.full(4, 500.0)
    )
    assert keep.tolist() == [True, True, True, False]
    assert served.tolist() == [500.0, 500.0, 500.0, 0.0]
    dn = bpipes.diameters("water", np.array([1_000.0, 10_000.0, 1e7]))
    assert dn.tolist() == [100.0, 250.0, 1200.0]


def test_sampling_is_deterministic():
    r = bpopulation.Raster(
        0.0, 0.0, 8, 8, ("x",), np.zeros(64, int), np.full(64, 1e3), np.full(64, 40.0), np.zeros(64)
    )
    a = bgraph.sample_nodes(r, np.random.default_rng(1))
    b = bgraph.sample_nodes(r, np.random.default_rng(1))
    assert np.array_equal(a, b) and 100 < len(a) < 250
    assert (a >= 0).all() and (a <= 8 * bparams.PIXEL_M).all()


def test_shared_boundary_of_touching_squares():
    a, b = shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)
    s = bterrain.shared_boundary(a, b, tol=10.0)
    assert s.length == pytest.approx(1000 + 4 * 10, rel=0.01)


def test_the_sources_are_package_data():
    names = {p.name for p in driver.sources_path().iterdir()}
    assert {
        "chongqing_districts_2020.geojson",
        "chongqing_population_2020.csv",
        "chongqing_rivers_ne10m.geojson",
    } <= names
    assert (ROOT / "geodata" / "sources").resolve() == driver.sources_path().resolve()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_a_rebuild_is_the_shipped_twin(tmp_path):
    """The build from the package's sources gives the shipped folder byte for byte, except
    ``cells.parquet``, whose population sums may differ in the last bit between machines
    (floating-point summation order in numpy); its values must agree to 1e-12."""
    out = tmp_path / "chongqing"
    driver.build(out, seed=2020)
    shipped = sorted(p.name for p in CITY.iterdir())
    assert sorted(p.name for p in out.iterdir()) == shipped
    for name in shipped:
        if name != "cells.parquet":
            assert _sha256(out / name) == _sha256(CITY / name), name
    a, b = gpd.read_parquet(out / "cells.parquet"), gpd.read_parquet(CITY / "cells.parquet")
    assert a["cell_id"].tolist() == b["cell_id"].tolist()
    assert a.geometry.geom_equals_exact(b.geometry, 0).all()
    np.testing.assert_allclose(a["population"], b["population"], rtol=1e-12)
