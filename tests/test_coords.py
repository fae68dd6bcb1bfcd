"""Lon/lat as Chinese map apps give them: GCJ-02 and BD-09 → WGS84 (twin.model.coords).

Checked against an independent implementation (prcoords, public domain, a test-only
dependency) rather than numbers copied from memory, plus properties: the inverse
reproduces the input, the offset is the few hundred metres users see in Chongqing, and
there is no offset outside China.
"""

from __future__ import annotations

import numpy as np
import prcoords
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.model.coords import convert_tree, to_wgs84, wgs84_to
from twin.scenario.spec import parse_scenario

GEOD = pyproj.Geod(ellps="WGS84")
# Places in central Chongqing (WGS84, from the embedded twin's district centres' area)
CHONGQING = [
    (106.5770, 29.5570),
    (106.4560, 29.5410),
    (106.5320, 29.5750),
    (106.6310, 29.7180),
    (106.5510, 29.4030),
]


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


@pytest.mark.parametrize("lon, lat", CHONGQING)
def test_forward_agrees_with_an_independent_implementation(lon: float, lat: float) -> None:
    gx, gy = wgs84_to(lon, lat, "gcj02")
    ref = prcoords.wgs_gcj((lat, lon))
    assert _metres(gx[0], gy[0], ref.lon, ref.lat) < 0.01
    bx, by = wgs84_to(lon, lat, "bd09")
    ref_bd = prcoords.wgs_bd((lat, lon))
    assert _metres(bx[0], by[0], ref_bd.lon, ref_bd.lat) < 0.05


@pytest.mark.parametrize("lon, lat", CHONGQING)
def test_offset_in_chongqing_is_a_few_hundred_metres(lon: float, lat: float) -> None:
    """What a user would be off by, reading an Amap point as WGS84: 300–600 m in Chongqing
    (BD-09 adds roughly another 500–700 m)."""
    gx, gy = wgs84_to(lon, lat, "gcj02")
    assert 300 < _metres(lon, lat, gx[0], gy[0]) < 600
    bx, by = wgs84_to(lon, lat, "bd09")
    assert 700 < _metres(lon, lat, bx[0], by[0]) < 1400


@settings(max_examples=200, deadline=None)
@given(st.floats(74.0, 134.0), st.floats(18.0, 53.0), st.sampled_from(["gcj02", "bd09"]))
def test_to_wgs84_inverts_the_forward_transform(lon: float, lat: float, datum: str) -> None:
    fx, fy = wgs84_to(lon, lat, datum)
    x, y = to_wgs84(fx, fy, datum)
    assert _metres(lon, lat, x[0], y[0]) < 0.01  # millimetres, from offsets of ~500 m


def test_no_gcj_offset_outside_china_and_none_for_wgs84() -> None:
    lon, lat = np.array([24.94, -122.29]), np.array([60.17, 37.81])  # Helsinki, Oakland
    x, y = to_wgs84(lon, lat, "gcj02")  # (BD-09 keeps Baidu's own shift everywhere)
    assert np.allclose(x, lon) and np.allclose(y, lat)
    x, y = to_wgs84(106.5, 29.5, "wgs84")
    assert (x[0], y[0]) == (106.5, 29.5)
    with pytest.raises(ValueError, match="unknown datum"):
        to_wgs84(1.0, 2.0, "mars")


def test_scenario_datum_converts_every_lonlat_once() -> None:
    """A scenario written with Amap (GCJ-02) points holds WGS84 after loading, and
    re-validating it (``with_``) does not convert a second time."""
    gcj = wgs84_to(106.5770, 29.5570, "gcj02")
    text = f"""
datum = "gcj02"
days = 1
[[incidents.scripted]]
t_min = 10
type = "building_fire"
lon = {gcj[0][0]:.9f}
lat = {gcj[1][0]:.9f}
"""
    s = parse_scenario(text, "drill.toml")
    got = s.incidents.scripted[0]
    assert s.datum == "wgs84" and s.converted_from == "gcj02"
    assert _metres(got.lon, got.lat, 106.5770, 29.5570) < 0.05
    again = s.with_(days=2.0).incidents.scripted[0]
    assert (again.lon, again.lat) == (got.lon, got.lat)


def test_convert_tree_touches_only_tables_with_lon_and_lat() -> None:
    data = {"name": "x", "a": [{"lon": 106.5, "lat": 29.5, "t": 1}], "b": {"lon": 1.0}}
    out = convert_tree(data, "gcj02")
    assert out["b"] == {"lon": 1.0} and out["name"] == "x" and out["a"][0]["t"] == 1
    assert out["a"][0]["lon"] != 106.5
