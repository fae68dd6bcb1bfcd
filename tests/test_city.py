"""The City's coordinate helpers: WGS84 at the edges, metres inside."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from tests.tinycity import tiny_city


def test_lonlat_round_trip_through_the_city_crs():
    city = tiny_city()
    lonlat = np.array([[106.55, 29.56], [106.60, 29.50]])
    xy = city.xy_from_lonlat(lonlat[:, 0], lonlat[:, 1])
    assert xy.shape == (2, 2)
    # metres in UTM 48N equal the geodesic distance within the projection's scale error
    # (k ≈ 0.9996–1.0000 this close to the central meridian)
    _, _, geodesic_m = Geod(ellps="WGS84").inv(*lonlat[0], *lonlat[1])
    assert np.hypot(*(xy[1] - xy[0])) == pytest.approx(geodesic_m, rel=5e-4)
    np.testing.assert_allclose(city.lonlat_from_xy(xy), lonlat, atol=1e-9)
    assert city.xy_from_lonlat(106.55, 29.56).shape == (2,)
    assert city.lonlat_from_xy(np.empty((0, 2))).shape == (0, 2)
