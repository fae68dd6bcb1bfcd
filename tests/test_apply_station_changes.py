"""twin.scenario.apply's station changes on the tiny city, the cases test_scenario_rules.py
and test_apply_rules.py leave open: a ``[[stations.move]]`` moves the named station and
nothing else (the other stations keep their points and districts, the layer keeps the
city's CRS), and ``[fleet] station_units`` gives 64-bit integer units whatever integer
width the stations layer came with."""

from __future__ import annotations

import numpy as np
import pytest
from test_scenario_rules import lonlat
from tinycity import node_xy, tiny_city

from twin.scenario.apply import apply
from twin.scenario.spec import parse_scenario

# where each station of the tiny city stands (tinycity.py's table): node and district
HOME = {
    "F1": ("n00", "D1"),
    "F2": ("n50", "D2"),
    "F3": ("n53", "D3"),
    "P1": ("n11", "D1"),
    "S1": ("n42", "D3"),
    "C1": ("n10", "D1"),
    "C2": ("n41", "D2"),
    "C3": ("n43", "D3"),
    "A1": ("n01", "D1"),
}


def move_f2_to_n22() -> str:
    lon, lat = lonlat("n22")  # west bank, row 2: district D1
    return f'[[stations.move]]\nstation_id = "F2"\nlon = {lon}\nlat = {lat}\n'


def test_a_move_changes_only_the_moved_station_and_keeps_the_crs() -> None:
    city = tiny_city()
    st = apply(parse_scenario(move_f2_to_n22(), "move.toml"), city).stations
    assert st.crs == city.crs
    assert st["station_id"].tolist() == city.stations["station_id"].tolist()
    got = {
        sid: ((p.x, p.y), d)
        for sid, p, d in zip(st["station_id"], st.geometry, st["district_id"], strict=True)
    }
    # F2 from n50 (D2, east bank) to n22 (D1, west bank): the district follows the point
    assert got.pop("F2") == (pytest.approx(node_xy("n22"), abs=0.01), "D1")
    # every other station exactly where it was, in its own district
    for sid, (xy, district) in got.items():
        node, home_district = HOME[sid]
        assert xy == pytest.approx(node_xy(node), abs=1e-6), sid
        assert district == home_district, sid


def test_station_units_are_int64_even_from_a_layer_of_32_bit_integers() -> None:
    # a stations file may store units as 32-bit integers; the engine's arrays are int64
    city = tiny_city()
    stations = city.stations.copy()
    stations["units"] = stations["units"].astype(np.int32)
    city = city.replace(stations=stations)
    text = "[fleet]\nstation_units = { F2 = 4 }\n"
    st = apply(parse_scenario(text, "units.toml"), city).stations
    assert st["units"].dtype == np.int64
    # F2 set to 4; every other station keeps its one unit (C1–C3: two responders)
    assert dict(zip(st["station_id"], st["units"].tolist(), strict=True)) == {
        "F1": 1,
        "F2": 4,
        "F3": 1,
        "P1": 1,
        "S1": 1,
        "C1": 2,
        "C2": 2,
        "C3": 2,
        "A1": 1,
    }
