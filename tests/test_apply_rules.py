"""twin.scenario.apply on the tiny city, the parts test_scenario_rules.py leaves open: the
added station's whole row, dtypes and index of the result, a stations layer whose geometry
column is not called ``geometry``, sensor entries that chain, and what is shared with the
input city (the road arrays) and what is not (its layers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from test_scenario_rules import lonlat
from tinycity import tiny_city

from twin.scenario.apply import apply
from twin.scenario.spec import parse_scenario


def add_w(extra: str = "") -> str:
    lon, lat = lonlat("n02")  # district D1 (west bank)
    return f"""{extra}
[[stations.add]]
station_id = "W"
force = "social"
name = "西"
name_en = "West"
lon = {lon}
lat = {lat}
units = 2
"""


def test_the_added_station_row_in_full_after_the_others_with_a_fresh_index():
    city = tiny_city()
    st = apply(parse_scenario(add_w(), "add.toml"), city).stations
    n = len(city.stations)
    assert st.index.tolist() == list(range(n + 1))
    cols = ["station_id", "force", "name", "name_en", "district_id", "units"]
    assert st.iloc[-1][cols].tolist() == ["W", "social", "西", "West", "D1", 2]
    assert st.iloc[:n][cols].reset_index(drop=True).equals(city.stations[cols])
    assert st["units"].dtype == np.int64 and st.crs == city.crs


def test_scaled_units_stay_whole_numbers():
    text = "[fleet]\nscale = { fire = 0.5 }\n"
    st = apply(parse_scenario(text, "s.toml"), tiny_city()).stations
    assert st["units"].dtype == np.int64


def test_a_stations_layer_with_another_geometry_column_name_keeps_it():
    city = tiny_city()
    city = city.replace(stations=city.stations.rename_geometry("geom"))
    st = apply(parse_scenario(add_w(), "add.toml"), city).stations
    assert st.geometry.name == "geom" and "geometry" not in st.columns
    w = st.set_index("station_id").loc["W", "geom"]
    assert w is not None and st.geometry.notna().all()


def test_sensor_entries_chain_and_each_keeps_to_its_district():
    city = tiny_city()
    pipes = city.pipes.copy()
    pipes["monitored"] = False
    city = city.replace(pipes=pipes)
    # water first (W1), then gas to half (G1, the older): the second entry starts from the
    # first's result, so W1 stays watched
    text = (
        '[[sensors]]\nnetwork = "water"\ncoverage = 1.0\n'
        '[[sensors]]\nnetwork = "gas"\ncoverage = 0.5\n'
    )
    got = apply(parse_scenario(text, "s.toml"), city).pipes.set_index("pipe_id")["monitored"]
    assert got.to_dict() == {"G1": True, "G2": False, "W1": True}
    # a district with no gas pipes: nothing to watch there
    text = '[[sensors]]\nnetwork = "gas"\ncoverage = 1.0\ndistrict = "D3"\n'
    assert not apply(parse_scenario(text, "s.toml"), city).pipes["monitored"].any()
    assert not city.pipes["monitored"].any()  # the input untouched


def test_the_input_city_is_untouched_and_its_road_arrays_are_shared():
    city = tiny_city()
    roads, graph = city.roads, city.graph
    before = city.stations.copy()
    new = apply(parse_scenario(add_w('[stations]\nremove = ["F2"]\n'), "x.toml"), city)
    pd.testing.assert_frame_equal(city.stations, before)
    assert new.__dict__["roads"] is roads  # roads are unchanged: not rebuilt
    assert new.__dict__["graph"] is graph
    assert new.pipes is city.pipes  # no [[sensors]]: the very same layer
    nothing = apply(parse_scenario("", "empty.toml"), city)
    assert nothing.stations is city.stations
