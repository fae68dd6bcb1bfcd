"""Importers on real data: OSM XML and PBF extracts, EPANET example networks, GIS files.

Each import is saved with save_city and read back with load_city (which validates it).
Inputs: tests/data/West-Oakland.osm.bz2 (osmnx test data), pyrosm's bundled test.osm.pbf
and wntr's Net1/Net3 — see tests/data/NOTICE.md.
"""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pytest
import shapely

from twin import TwinDataError, load_city, save_city
from twin.importers.commands import import_command, validate_command
from twin.importers.epanet import import_epanet, read_epanet
from twin.importers.gis import import_gis
from twin.importers.osm import import_osm
from twin.importers.osm_roads import build_roads, read_ways
from twin.importers.osm_tags import DRIVABLE, is_drivable, oneway_of, parse_maxspeed

DATA = Path(__file__).parent / "data"
OAKLAND = DATA / "West-Oakland.osm.bz2"
PBF = Path(str(importlib.resources.files("pyrosm") / "data" / "test.osm.pbf"))
NETWORKS = importlib.resources.files("wntr") / "library" / "networks"
NET1, NET3 = Path(str(NETWORKS / "Net1.inp")), Path(str(NETWORKS / "Net3.inp"))
OAKLAND_LONLAT = (-122.2955, 37.8065)  # the middle of the West Oakland extract


@pytest.fixture(scope="module")
def oakland_dir(tmp_path_factory) -> Path:
    """West Oakland imported and saved as a city folder (shared by the tests below)."""
    return save_city(import_osm(OAKLAND), tmp_path_factory.mktemp("oak") / "west-oakland")


@pytest.fixture(scope="module")
def pbf_city():
    return import_osm(PBF)


# ---------------------------------------------------------------------------- OSM: tags


@pytest.mark.parametrize(
    "tag, kph",
    [
        ("50", 50.0),
        ("30 mph", 30 * 1.609344),
        ("50 km/h", 50.0),
        ("50;70", 50.0),
        ("60|80", 60.0),
        ("RU:urban", 60.0),
        ("FI:urban", 50.0),
        ("DE:zone30", 30.0),
        ("DE:zone:30", 30.0),
        ("walk", 7.0),
        ("none", None),
        ("signals", None),
        ("0", None),
        ("", None),
        (None, None),
        ("fast", None),
    ],
)
def test_parse_maxspeed(tag, kph) -> None:
    assert parse_maxspeed(tag) == pytest.approx(kph) if kph else parse_maxspeed(tag) is None


@pytest.mark.parametrize(
    "tags, expected",
    [
        ({"highway": "residential"}, (False, False)),
        ({"highway": "residential", "oneway": "yes"}, (True, False)),
        ({"highway": "residential", "oneway": "1"}, (True, False)),
        ({"highway": "residential", "oneway": "true"}, (True, False)),
        ({"highway": "residential", "oneway": "-1"}, (True, True)),
        ({"highway": "motorway"}, (True, False)),
        ({"highway": "motorway", "oneway": "no"}, (False, False)),
        ({"highway": "primary", "junction": "roundabout"}, (True, False)),
        ({"highway": "primary", "oneway": "reversible"}, (False, False)),
    ],
)
def test_oneway(tags, expected) -> None:
    assert oneway_of(tags) == expected


def test_drivable_filter() -> None:
    assert is_drivable({"highway": "primary_link"})
    assert is_drivable({"highway": "service", "access": "private"})
    assert not is_drivable({"highway": "service", "service": "parking_aisle"})
    assert not is_drivable({"highway": "footway"})
    assert not is_drivable({"highway": "residential", "access": "no"})
    assert is_drivable({"highway": "residential", "access": "no", "emergency": "yes"})
    assert not is_drivable({"highway": "pedestrian", "area": "yes"})


# ---------------------------------------------------------------------------- OSM: XML


def test_west_oakland_round_trip(oakland_dir: Path) -> None:
    city = load_city(oakland_dir)
    e, n = city.road_edges, city.road_nodes
    assert city.name == "West-Oakland" and city.crs == "EPSG:32610"  # UTM 10N: California
    assert 25 <= len(n) <= 40 and 30 <= len(e) <= 45
    assert set(e["highway"]) <= DRIVABLE and {"secondary", "residential"} <= set(e["highway"])
    assert set(e["road_class"]) == {"arterial", "local"}
    assert e.loc[e["highway"] == "secondary", "oneway"].any()  # the one-way couplet
    assert (e["speed_kph"] > 0).all() and not e["maxspeed_tagged"].any()
    assert "8th Street" in set(e["name"])
    assert (n["elevation_m"] == 0).all() and (n["district_id"] == "D1").all()
    assert city.districts["district_id"].tolist() == ["D1"]
    assert any("dropped 2 smaller parts" in t for t in city.meta["import_notes"])
    assert validate_command(oakland_dir) == 0


def test_west_oakland_matches_osmnx() -> None:
    """Independent check with osmnx.graph_from_xml: same drivable length, and every node of
    osmnx's simplified graph is one of ours."""
    import osmnx as ox

    nodes, edges = build_roads(read_ways(OAKLAND), str(OAKLAND), [])
    g = ox.graph_from_xml(OAKLAND, simplify=False, retain_all=True)
    keep = [
        (u, v, k)
        for u, v, k, d in g.edges(keys=True, data=True)
        if d.get("highway") in DRIVABLE
        and not d.get("reversed", False)
        and is_drivable(
            {t: d[t] for t in ("highway", "service", "access", "area") if isinstance(d.get(t), str)}
        )
    ]
    length = sum(g.edges[k]["length"] for k in keep)  # great-circle metres
    assert edges["length_m"].sum() == pytest.approx(length, rel=1e-3)
    simple = ox.simplify_graph(g.edge_subgraph(keep).copy())
    assert {str(i) for i in simple.nodes} <= set(nodes["node_id"])


def test_disconnected_extract_without_largest_component() -> None:
    with pytest.raises(TwinDataError) as info:
        import_osm(OAKLAND, largest_component=False)
    text = str(info.value)
    assert "falls into 3 separate parts (sizes 30, 2, 2" in text
    assert "2293870068" in text and "--largest-component" in text


# ---------------------------------------------------------------------------- OSM: PBF


def test_pbf_import_facts(pbf_city, tmp_path: Path) -> None:
    city = load_city(save_city(pbf_city, tmp_path / "town"))
    e = city.road_edges
    assert city.crs == "EPSG:32635"  # UTM 35N: southern Finland
    assert 200 <= len(city.road_nodes) <= 400
    bridges = e[e["bridge"]]
    assert len(bridges) >= 3 and bridges["length_m"].between(5, 500).all()
    tagged = e[e["maxspeed_tagged"]]
    assert set(tagged["speed_kph"]) == {80.0} and set(tagged["name"]) == {"Hurukselantie"}
    motorway = e[e["highway"] == "motorway"]
    assert len(motorway) and motorway["oneway"].all()
    assert set(motorway["road_class"]) == {"expressway"}
    assert (e.loc[e["highway"] == "residential", "speed_kph"] == 25.0).all()
    assert 30_000 < e["length_m"].sum() < 60_000


def test_pbf_and_xml_give_the_same_city(pbf_city, tmp_path: Path) -> None:
    """The same extract written as .osm.bz2 by libosmium imports identically."""
    xml = tmp_path / "test.osm.bz2"
    with osmium.SimpleWriter(str(xml)) as writer:
        for obj in osmium.FileProcessor(str(PBF)):
            writer.add(obj)
    from_xml = import_osm(xml)
    cols = ["edge_id", "u", "v", "road_class", "speed_kph", "bridge", "tunnel", "oneway"]
    a = pbf_city.road_edges.sort_values("edge_id")[cols].reset_index(drop=True)
    b = from_xml.road_edges.sort_values("edge_id")[cols].reset_index(drop=True)
    assert a.equals(b)
    np.testing.assert_allclose(
        pbf_city.road_edges.sort_values("edge_id")["length_m"],
        from_xml.road_edges.sort_values("edge_id")["length_m"],
        rtol=1e-6,
    )


def test_osm_with_user_districts_and_stations(pbf_city, tmp_path: Path) -> None:
    nodes = pbf_city.road_nodes
    x0, y0, x1, y1 = nodes.total_bounds
    mid = (x0 + x1) / 2
    districts = gpd.GeoDataFrame(
        {
            "district_id": ["W", "E"],
            "name": ["west", "east"],
            "name_en": ["west", "east"],
            "population": [1200, 800],
            "level": ["core", "core"],
        },
        geometry=[
            shapely.box(x0 - 1, y0 - 1, mid, y1 + 1),
            shapely.box(mid, y0 - 1, x1 + 1, y1 + 1),
        ],
        crs=nodes.crs,
    ).to_crs("EPSG:4326")
    districts.to_file(tmp_path / "districts.geojson")
    near = nodes.geometry.iloc[0]
    stations = gpd.GeoDataFrame(
        {
            "station_id": ["F1"],
            "force": ["fire"],
            "name": ["asema"],
            "name_en": ["station"],
            "district_id": ["W"],
            "units": [2],
        },
        geometry=[shapely.Point(near.x + 50, near.y)],
        crs=nodes.crs,
    )
    stations.to_file(tmp_path / "stations.gpkg")
    city = import_osm(
        PBF, districts_path=tmp_path / "districts.geojson", stations_path=tmp_path / "stations.gpkg"
    )
    assert set(city.road_nodes["district_id"]) == {"W", "E"}
    assert city.summary()["population"] == 2000 and city.summary()["stations"] == {"fire": 1}


def test_osm_bad_files(tmp_path: Path) -> None:
    with pytest.raises(TwinDataError, match="no such file"):
        import_osm(tmp_path / "missing.osm.pbf")
    junk = tmp_path / "junk.osm.pbf"
    junk.write_bytes(b"this is not a PBF file")
    with pytest.raises(TwinDataError, match="cannot read this OSM file"):
        import_osm(junk)


def test_import_osm_command(tmp_path: Path, capsys) -> None:
    assert import_command("osm", OAKLAND, tmp_path / "oak") == 0
    out = capsys.readouterr().out
    assert "Imported" in out and "road length" in out
    assert load_city(tmp_path / "oak").name == "West-Oakland"
    assert import_command("osm", OAKLAND, tmp_path / "oak") == 0  # a city folder: replaced
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    capsys.readouterr()
    assert import_command("osm", OAKLAND, precious) == 2
    assert "not a city folder" in capsys.readouterr().out
    assert (precious / "thesis.tex").exists()


# ---------------------------------------------------------------------------- EPANET


def test_net3_into_city(oakland_dir: Path, tmp_path: Path) -> None:
    city = import_epanet(NET3, oakland_dir, anchor_lonlat=OAKLAND_LONLAT, units_to_m=30.0)
    back = load_city(save_city(city, tmp_path / "with-water"))
    j, p = back.junctions, back.pipes
    assert (j["kind"] == "junction").sum() == 92
    assert sorted(j.loc[j["kind"] == "source", "node_type"]) == [
        "reservoir",
        "reservoir",
        "tank",
        "tank",
        "tank",
    ]
    assert p["link_type"].value_counts().to_dict() == {"pipe": 117, "pump": 2}
    assert set(p["network"]) == {"water"} and set(j["network"]) == {"water"}
    assert p["install_year"].isna().all() and set(p["material"]) == {"unknown"}
    pipes = p[p["link_type"] == "pipe"]
    assert pipes["length_m"].sum() == pytest.approx(65_749, rel=1e-3)  # EPANET lengths, m
    assert pipes["diameter_mm"].max() == pytest.approx(99 * 25.4)  # Net3's 99-inch main
    assert (p.loc[p["link_type"] == "pump", "diameter_mm"] > 0).all()
    assert (p["edge_id"] != "").any()  # some pipes lie under West Oakland's streets
    assert len(back.road_edges) == len(load_city(oakland_dir).road_edges)
    assert back.meta["water_source"] == str(NET3)


def test_net1_auto_scale_and_replace(oakland_dir: Path) -> None:
    net = read_epanet(NET1, anchor_lonlat=OAKLAND_LONLAT)
    assert len(net.junctions) == 11 and len(net.pipes) == 13  # 9+1+1 nodes; 12 pipes + 1 pump
    assert any("from pipe lengths" in t for t in net.notes)
    pipes = net.pipes[net.pipes["link_type"] == "pipe"]
    drawn = pipes.geometry.length / pipes["length_m"]
    assert float(np.median(drawn)) == pytest.approx(1.0, rel=0.1)  # drawn ≈ hydraulic length
    small = import_epanet(NET1, oakland_dir, anchor_lonlat=OAKLAND_LONLAT, units_to_m=10.0)
    again = import_epanet(NET3, small, anchor_lonlat=OAKLAND_LONLAT, units_to_m=30.0)
    assert len(again.pipes) == 119  # Net1's water pipes replaced, not added to
    assert any("replaced the city's 13 water pipes" in t for t in again.meta["import_notes"])


def test_epanet_needs_a_place(oakland_dir: Path) -> None:
    with pytest.raises(TwinDataError) as info:
        import_epanet(NET3, oakland_dir)
    text = str(info.value)
    assert "no CRS" in text and "--crs" in text and "--anchor" in text


def test_epanet_far_from_city_is_refused(oakland_dir: Path) -> None:
    with pytest.raises(TwinDataError) as info:
        import_epanet(NET3, oakland_dir, anchor_lonlat=(106.55, 29.56))  # Chongqing
    assert "does not lie on the city" in str(info.value)
    with pytest.raises(TwinDataError, match="does not lie on the city"):
        import_epanet(NET1, oakland_dir, crs="EPSG:32610")  # plane units as UTM metres


def test_epanet_bad_file(tmp_path: Path, oakland_dir: Path) -> None:
    bad = tmp_path / "bad.inp"
    bad.write_text("[JUNCTIONS]\n 10 notanumber\n")
    with pytest.raises(TwinDataError, match="not a readable EPANET input file"):
        import_epanet(bad, oakland_dir, anchor_lonlat=OAKLAND_LONLAT)


def test_import_epanet_command(oakland_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "city"
    assert (
        import_command(
            "epanet",
            NET3,
            out,
            into=oakland_dir,
            anchor=",".join(map(str, OAKLAND_LONLAT)),
            units_to_m=30.0,
        )
        == 0
    )
    assert len(load_city(out).pipes) == 119
    assert import_command("epanet", NET3, out) == 2  # no --into
    assert "--into" in capsys.readouterr().out
    assert import_command("epanet", NET3, out, into=oakland_dir, anchor="29.5") == 2
    assert "LON,LAT" in capsys.readouterr().out


# ---------------------------------------------------------------------------- GIS


def test_gis_geopackage_with_mapping(oakland_dir: Path, tmp_path: Path, capsys) -> None:
    """A user's GeoPackage with their own layer and column names, mapped by a JSON file."""
    city = load_city(oakland_dir)
    gpkg = tmp_path / "user.gpkg"
    city.districts.to_file(gpkg, layer="districts")
    city.road_nodes.rename(columns={"node_id": "nid"}).to_file(gpkg, layer="intersections")
    city.road_edges.rename(columns={"edge_id": "id", "speed_kph": "maxspeed"}).to_file(
        gpkg, layer="streets"
    )
    mapping = tmp_path / "map.json"
    mapping.write_text(
        json.dumps(
            {
                "layers": {"road_nodes": "intersections", "road_edges": "streets"},
                "rename": {
                    "road_nodes": {"nid": "node_id"},
                    "road_edges": {"id": "edge_id", "maxspeed": "speed_kph"},
                },
            }
        )
    )
    assert import_command("gis", gpkg, tmp_path / "out", mapping=mapping) == 0
    back = load_city(tmp_path / "out")
    assert len(back.road_edges) == len(city.road_edges)
    assert back.road_edges["length_m"].sum() == pytest.approx(city.road_edges["length_m"].sum())
    capsys.readouterr()
    assert import_command("gis", gpkg, tmp_path / "out2") == 2  # unmapped: what is missing
    assert "road_nodes" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore:Column names longer than 10 characters")
@pytest.mark.filterwarnings("ignore:Normalized/laundered field name")
def test_gis_shapefiles_with_truncated_columns(oakland_dir: Path, tmp_path: Path) -> None:
    """Shapefiles cut column names to 10 characters; a rename mapping restores them."""
    city = load_city(oakland_dir)
    folder = tmp_path / "shp"
    folder.mkdir()
    for layer in ("districts", "road_nodes", "road_edges"):
        getattr(city, layer).to_crs("EPSG:4326").to_file(folder / f"{layer}.shp")
    with pytest.raises(TwinDataError) as info:
        import_gis(folder)
    assert "district_i" in str(info.value)  # the truncated name is shown
    back = import_gis(
        folder, rename={"*": {"district_i": "district_id", "elevation_": "elevation_m"}}
    )
    assert len(back.road_nodes) == len(city.road_nodes)
    assert set(back.road_nodes["district_id"]) == {"D1"}


def test_gis_largest_component(tmp_path: Path) -> None:
    nodes, edges = build_roads(read_ways(OAKLAND), str(OAKLAND), [])
    folder = tmp_path / "raw"
    folder.mkdir()
    nodes.to_file(folder / "road_nodes.geojson")
    edges.to_parquet(folder / "road_edges.parquet")
    gpd.GeoDataFrame(
        {
            "district_id": ["D1"],
            "name": ["x"],
            "name_en": ["x"],
            "population": [0],
            "level": ["core"],
        },
        geometry=[shapely.box(*nodes.total_bounds).buffer(100)],
        crs=nodes.crs,
    ).to_file(folder / "districts.gpkg")
    with pytest.raises(TwinDataError, match="3 separate parts"):
        import_gis(folder)
    city = import_gis(folder, largest_component=True)
    assert len(city.road_nodes) == len(nodes) - 4


# ---------------------------------------------------------------------------- review fixes


@pytest.mark.parametrize(
    "text, what",
    [
        ("[1]", "must be an object"),  # AttributeError before
        ('{"layers": ["road_edges"]}', "'layers' must map"),  # ValueError before
        ('{"rename": {"road_edges": "fclass"}}', "'rename' must map"),  # ValueError before
    ],
)
def test_gis_mapping_file_of_the_wrong_shape_is_one_clear_error(
    tmp_path: Path, text: str, what: str
) -> None:
    from twin.importers.gis import read_mapping

    path = tmp_path / "map.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TwinDataError) as err:
        read_mapping(path)
    (p,) = err.value.problems
    assert what in p.what and p.where == str(path) and '"layers"' in p.fix


def test_osm_districts_file_without_district_id_is_reported_not_a_keyerror(
    pbf_city, tmp_path: Path
) -> None:
    nodes = pbf_city.road_nodes
    districts = gpd.GeoDataFrame(
        {"name": ["all"]}, geometry=[shapely.box(*nodes.total_bounds)], crs=nodes.crs
    )
    districts.to_file(tmp_path / "districts.gpkg")
    with pytest.raises(TwinDataError) as err:
        import_osm(PBF, districts_path=tmp_path / "districts.gpkg")
    assert any(p.where == "districts" and "district_id" in p.what for p in err.value.problems)
