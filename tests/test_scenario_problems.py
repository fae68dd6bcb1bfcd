"""Every way a scenario can miss the city (twin.scenario.checks), each problem in full —
where, what, how to fix, ids, line — on the tiny city (stations F1–F3, P1, S1, C1–C3, A1;
pipes G1, G2 gas and W1 water; bridges "Short Bridge" and "Long Bridge").

Suggestions are difflib's closest names (ratio ≥ 0.5, best first, ties in reverse
alphabetical order): "F9" is as close to F1, F2, F3 (one letter of two in common, 2·1/4).
"""

from __future__ import annotations

from test_scenario_rules import lonlat
from tinycity import tiny_city

from twin.scenario.checks import city_problems, problems_against
from twin.scenario.spec import Scenario, parse_scenario

STATIONS = """name = "q"
days = 1
[stations]
remove = ["F9", "F2"]
[[stations.move]]
station_id = "F2"
lon = 100.0
lat = 20.0
[[stations.add]]
station_id = "F1"
force = "fire"
name = "dup"
lon = 100.0
lat = 20.0
units = 1
[[sensors]]
network = "drainage"
coverage = 0.5
district = "Nowhere"
"""
OUTSIDE = "lies outside the city's core districts"


def found(text: str) -> list[tuple]:
    return [
        (p.where, p.what, p.fix, p.ids, p.line)
        for p in problems_against(parse_scenario(text, "q.toml"), tiny_city())
    ]


def test_station_and_sensor_problems_in_full():
    assert found(STATIONS) == [
        (
            "q.toml",
            "cannot remove unknown stations ['F9']",
            "did you mean F3 or F2 or F1?",
            ("F9",),
            4,
        ),
        # F2 is removed above, so it cannot be moved (kept: F1, F3, C2 … are as close)
        (
            "q.toml",
            "cannot move unknown or removed station 'F2'",
            "did you mean F3 or F1 or C2?",
            ("F2",),
            6,
        ),
        (
            "q.toml",
            f"station 'F2' moved to 100.0, 20.0 {OUTSIDE}",
            "move it inside the city, near a road",
            ("F2",),
            7,
        ),
        ("q.toml", "station id 'F1' already exists", "give the new station a new id", ("F1",), 10),
        (
            "q.toml",
            f"new station 'F1' at 100.0, 20.0 {OUTSIDE}",
            "place it inside the city, within 500 m of a road",
            ("F1",),
            13,
        ),
        (
            "q.toml",
            "unknown district 'Nowhere'",
            "use a district id, Chinese or English name",
            ("Nowhere",),
            19,
        ),
        (
            "q.toml",
            "the city has no drainage pipes to watch",
            "remove this [[sensors]] entry or load a city with that network",
            (),
            17,
        ),
    ]


def test_timeline_problems_in_full():
    lon, lat = lonlat("n22")  # in the city: only the time of the earthquake is wrong
    text = f"""days = 1
[[closures]]
name = "Short Brige"
start_h = 1
[[closures]]
edge_ids = ["nope"]
start_h = 1
[[earthquake]]
t_h = 24
lon = {lon}
lat = {lat}
magnitude = 6
[[incidents.scripted]]
t_min = 1440
type = "gas_leak"
node_id = "zz"
[[incidents.scripted]]
t_min = 1
type = "gas_leak"
pipe_id = "Q1"
[[incidents.scripted]]
t_min = 1
type = "building_fire"
lon = 100.0
lat = 20.0
label = "far"
"""
    assert found(text) == [
        (
            "q.toml",
            "no road, bridge or tunnel is named 'Short Brige'",
            "did you mean Short Bridge or Long Bridge?",
            ("Short Brige",),
            3,
        ),
        (
            "q.toml",
            "unknown road edge ids ['nope']",
            "use edge_id values of the city's road_edges layer",
            ("nope",),
            6,
        ),
        # the run is 24 h: an earthquake at 24 h (or a scripted incident at 1440 min) is after it
        (
            "q.toml",
            "earthquake at 24 h comes after the run ends (24 h)",
            "make it earlier or raise days",
            (),
            9,
        ),
        (
            "q.toml",
            "scripted incident at 1440 min comes after the run ends (1440 min)",
            "make it earlier or raise days",
            (),
            14,
        ),
        (
            "q.toml",
            "unknown road node id 'zz'",
            "use a node_id of the city's road_nodes, or lon/lat",
            ("zz",),
            16,
        ),
        ("q.toml", "unknown pipe id 'Q1'", "use a pipe_id of the city's pipes layer", ("Q1",), 20),
        (
            "q.toml",
            f"scripted place 100.0, 20.0 {OUTSIDE}",
            "give a lon/lat inside the city, on or near a road",
            ("far",),
            24,
        ),
    ]


def test_the_same_things_inside_the_run_and_the_city_are_fine():
    lon, lat = lonlat("n22")
    text = f"""days = 1
[stations]
remove = ["F2"]
[[stations.move]]
station_id = "F3"
lon = {lon}
lat = {lat}
[[stations.add]]
station_id = "F2"
force = "fire"
name = "again"
lon = {lon}
lat = {lat}
units = 1
[fleet]
station_units = {{ F2 = 2, F3 = 1 }}
[[sensors]]
network = "gas"
coverage = 0.5
district = "West Bank"
[[closures]]
name = "Short Bridge"
start_h = 23.9
[[incidents.scripted]]
t_min = 1439
type = "gas_leak"
pipe_id = "G1"
[[incidents.scripted]]
t_min = 1
type = "building_fire"
lon = {lon}
lat = {lat}
"""
    # a removed id may be given to an added station; station_units may name it
    assert found(text) == []
    # station_units of an unknown id: the suggestions come from kept and added stations
    bad = text.replace("F2 = 2, F3 = 1", "F4 = 2").replace('station_id = "F2"', 'station_id = "G4"')
    assert found(bad) == [
        (
            "q.toml",
            "unknown or removed station 'F4' in fleet.station_units",
            "did you mean G4 or F3 or F1?",
            ("F4",),
            16,
        )
    ]


def test_a_scenario_built_in_code_is_located_as_such():
    sc = Scenario.model_validate({"stations": {"remove": ["F9"]}})
    (p,) = city_problems(sc, tiny_city())
    assert (p.where, p.line) == ("<scenario>", None)


def test_a_far_epicentre_is_reported_with_its_distance_in_whole_km():
    # 1 000.4 km east of the easternmost road node n53, in the city's metric CRS
    from pyproj import Transformer
    from tinycity import node_xy

    x, y = node_xy("n53")
    lon, lat = Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True).transform(
        x + 1_000_400.0, y
    )
    text = f"days = 1\n[[earthquake]]\nt_h = 1\nlon = {lon}\nlat = {lat}\nmagnitude = 6\n"
    ((where, what, fix, ids, line),) = found(text)
    assert what == f"epicentre {lon}, {lat} is 1000 km from the city (more than 300 km)"
    assert (where, fix, ids, line) == ("q.toml", "check lon and lat (WGS84 degrees)", (), 4)
