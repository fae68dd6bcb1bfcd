"""Hazard models: fragility curves, ground motion, rainstorm waterlogging and landslides,
earthquake damage — on hand-made inputs with answers worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pyproj import Transformer
from tinycity import X0, Y0, tiny_city

import twin.hazards.fragility as fragility
import twin.hazards.ground_motion as motion
import twin.hazards.quake as quakes
import twin.hazards.rain as rains
from twin.hazards.timeline import Timeline
from twin.scenario.spec import Earthquake, Rainstorm

PHI_1 = 0.8413447460685429  # standard normal CDF at 1


# ------------------------------------------------------------------------------- fragility


def test_fragility_is_one_half_at_the_median_and_phi_1_one_beta_above():
    assert fragility.exceedance(np.array([0.5]), 0.5, 0.6)[0] == pytest.approx(0.5)
    assert fragility.exceedance(np.array([0.5 * math.exp(0.6)]), 0.5, 0.6)[0] == pytest.approx(
        PHI_1
    )
    assert fragility.exceedance(np.array([0.5 * math.exp(-0.6)]), 0.5, 0.6)[0] == pytest.approx(
        1 - PHI_1
    )
    assert fragility.exceedance(np.array([0.0]), 0.5, 0.6)[0] == 0.0


def test_fragility_is_monotone_and_ordered_by_damage_state():
    im = np.linspace(0.0, 3.0, 301)
    curves = [
        fragility.exceedance(im, m, fragility.BRIDGE_BETA) for m in quakes.BRIDGE_CLASSES["HWB1"]
    ]
    for c in curves:
        assert np.all(np.diff(c) >= 0) and c[0] == 0.0 and c[-1] > 0.9
    for lower, higher in zip(curves, curves[1:]):
        assert np.all(lower >= higher)  # slight is always likelier than moderate, etc.


def test_hazus_tables_as_published():
    assert quakes.BRIDGE_CLASSES["HWB1"] == (0.40, 0.50, 0.70, 0.90)
    assert quakes.BRIDGE_CLASSES["HWB10"] == (0.60, 0.90, 1.10, 1.50)
    assert fragility.TUNNEL_CLASSES["HTU1"] == (0.60, 0.80)
    assert quakes.bridge_class(np.array([100.0, 150.0, 800.0])).tolist() == [
        "HWB10",
        "HWB1",
        "HWB1",
    ]


def test_damage_states_from_uniform_draws():
    medians = (0.4, 0.5, 0.7, 0.9)
    im = np.full(5, 0.5)  # at the moderate median: P(≥moderate) = 0.5 exactly
    p_slight = fragility.exceedance(np.array([0.5]), 0.4, 0.6)[0]
    u = np.array([0.01, 0.49, 0.51, p_slight - 1e-9, p_slight + 1e-9])
    states = fragility.damage_states(im, medians, 0.6, u)
    assert states[1] >= 2 and states[2] == 1 and states[3] == 1 and states[4] == 0
    assert states[0] == 4 or states[0] == 3


def test_ala_pipe_repair_rates():
    assert fragility.ALA_RR_PER_KM_PER_CM_S == pytest.approx(0.002416, rel=1e-3)
    rr = fragility.pipe_repair_rate_per_km(
        np.full(4, 10.0), np.array(["cast_iron", "Ductile Iron", "PE", "mystery"])
    )
    assert rr == pytest.approx([0.02416, 0.01208, 0.003624, 0.02416], rel=1e-3)


# ---------------------------------------------------------------------------- ground motion


def test_ba08_pga_by_hand_on_reference_rock():
    # M 6, R_JB 20 km, Vs30 760 m/s (no site term): BA08 eqs. 3–5 with the PGA coefficients
    fm = -0.53804 + 0.28805 * (6 - 6.75) - 0.10164 * (6 - 6.75) ** 2
    r = math.sqrt(20**2 + 1.35**2)
    fd = (-0.66050 + 0.11970 * (6 - 4.5)) * math.log(r) - 0.01151 * (r - 1)
    gm = motion.ground_motion(6.0, np.array([20.0]), vs30=760.0)
    assert gm["pga"][0] == pytest.approx(math.exp(fm + fd), rel=1e-9)
    assert gm["pga"][0] == pytest.approx(0.0844, abs=5e-4)


def test_shaking_falls_with_distance_and_grows_with_magnitude_and_softer_ground():
    d = np.array([0.0, 5, 10, 20, 50, 100, 200])
    for key in ("pga", "pgv", "sa1"):
        assert np.all(np.diff(motion.ground_motion(6.0, d)[key]) < 0)
        assert np.all(motion.ground_motion(6.5, d)[key] > motion.ground_motion(6.0, d)[key])
    far = np.array([50.0])
    assert (
        motion.ground_motion(6.0, far, vs30=300.0)["pgv"]
        > motion.ground_motion(6.0, far, vs30=760.0)["pgv"]
    )
    assert motion.rupture_length_km(6.0) == pytest.approx(10**1.1)
    assert motion.joyner_boore_km(np.array([3.0, 30.0]), 6.0) == pytest.approx(
        [0.0, 30 - 10**1.1 / 2]
    )


# -------------------------------------------------------------------------------- rainstorms


def _hilly_city(steep: bool = False):
    """tinycity with its west column (n00–n03) 40 m lower, and n00–n10 a tunnel (underpass);
    with ``steep``, the east bank's rows 2–3 rise by 150 m per row (15 % grades)."""
    city = tiny_city()
    nodes = city.road_nodes.copy()
    nodes.loc[nodes["node_id"].str.startswith("n0"), "elevation_m"] = 160.0
    if steep:
        for r in (2, 3):
            for c in (3, 4, 5):
                nodes.loc[nodes["node_id"] == f"n{c}{r}", "elevation_m"] = 200.0 + 150.0 * (r - 1)
    edges = city.road_edges.copy()
    edges.loc[edges["edge_id"] == "n00-n10", "tunnel"] = True
    return city.replace(road_nodes=nodes, road_edges=edges)


def _edge_ids(city, idx) -> list[str]:
    return sorted(city.road_edges["edge_id"].to_numpy()[list(idx)].tolist())


def test_storm_below_capacity_closes_nothing():
    city = _hilly_city()
    storm = Rainstorm(start_h=1, duration_h=3, intensity_mm_h=rains.DRAINAGE_CAPACITY_MM_H)
    tl = rains.rainstorm_timeline(city, storm, (), 86400.0, np.random.default_rng(0))
    assert tl.closures == () and not any(i.type == "waterlogging" for i in tl.incidents)
    upgraded = Rainstorm(start_h=1, duration_h=3, intensity_mm_h=80, drainage_capacity_mm_h=100)
    assert (
        rains.rainstorm_timeline(city, upgraded, (), 86400.0, np.random.default_rng(0)).closures
        == ()
    )


def test_storm_above_capacity_closes_only_the_low_edges():
    city = _hilly_city()
    storm = Rainstorm(start_h=1, duration_h=3, intensity_mm_h=80)
    tl = rains.rainstorm_timeline(city, storm, (), 86400.0, np.random.default_rng(0))
    assert len(tl.closures) == 1  # only district D1 has low ground (D2, D3 are flat)
    c = tl.closures[0]
    # both ends low (the west column) or an underpass with one low end; never a bridge
    assert _edge_ids(city, c.edges) == ["n00-n01", "n00-n10", "n01-n02", "n02-n03"]
    pond_s = (
        rains.PONDING_MM / (80 - rains.DRAINAGE_CAPACITY_MM_H) * 3600
    )  # 15 mm at 40 mm/h excess
    assert c.start_s == pytest.approx(3600 + pond_s)
    assert c.end_s == pytest.approx(3600 + 3 * 3600 + rains.DRAIN_TIME_S)
    # Incidents: Poisson(0.10 calls × 4 low nodes) per storm, so one seed often draws none;
    # over 30 seeds 30 × 0.4 = 12 waterlogging calls are expected — all on the low nodes,
    # all after the ponding time (the window opens when the water stands).
    low_nodes = {0, 1, 2, 3}  # n00..n03 are the first four road nodes
    wet = [
        inc
        for seed in range(30)
        for inc in rains.rainstorm_timeline(
            city, storm, (), 86400.0, np.random.default_rng(seed)
        ).incidents
        if inc.type in ("waterlogging", "water_rescue")
    ]
    assert len(wet) >= 5, f"30 storms drew only {len(wet)} waterlogging incidents"
    # a flood call on a node cut off by water deeper than cars ford is placed at its access
    # node, the open neighbour n1x (nodes 4..7) 1 km east: 1000 m × 1.2 circuity to cover
    # (twin/hazards/flood_depth.py); on a passable low node it stays, with nothing to cover
    assert {inc.node for inc in wet} <= low_nodes | {4, 5, 6, 7}
    for inc in wet:
        moved = inc.node not in low_nodes
        assert inc.access_m == pytest.approx(1200.0 if moved else 0.0)
        assert inc.depth_m > 0 and (inc.depth_m > 0.3 if moved else inc.depth_m <= 0.3)
    assert all(inc.cause == "rainstorm" for inc in wet)
    assert all(3600 + pond_s <= inc.onset_s <= 4 * 3600 + 3600 for inc in wet)


def test_storm_area_limits_the_closures():
    city = _hilly_city()
    storm = Rainstorm(start_h=0, duration_h=2, intensity_mm_h=90, districts=("D2",))
    tl = rains.rainstorm_timeline(city, storm, ("D2",), 86400.0, np.random.default_rng(0))
    assert tl.closures == ()  # the low ground is in D1, outside the storm


def test_waterlogged_share_grows_with_the_excess():
    assert rains.waterlogged_share(40.0) == 0.0
    assert rains.waterlogged_share(60.0) == pytest.approx(rains.LOW_QUANTILE_MAX / 2)
    assert rains.waterlogged_share(80.0) == pytest.approx(rains.LOW_QUANTILE_MAX)
    assert rains.waterlogged_share(200.0) == pytest.approx(rains.LOW_QUANTILE_MAX)


def test_landslide_probability_rises_with_rain():
    p = [rains.landslide_probability(i, 3.0) for i in (5, 20, 40, 80, 160)]
    assert all(a < b for a, b in zip(p, p[1:]))
    assert p[-1] <= rains.LANDSLIDE_P_MAX
    # at three times the Caine threshold the probability is half the maximum
    i50 = rains.LANDSLIDE_RATIO_50 * rains.caine_threshold_mm_h(3.0)
    assert rains.landslide_probability(i50, 3.0) == pytest.approx(rains.LANDSLIDE_P_MAX / 2)
    assert rains.caine_threshold_mm_h(1.0) == pytest.approx(14.82)


def test_landslides_cut_steep_roads_only(monkeypatch):
    monkeypatch.setattr(rains, "LANDSLIDE_P_MAX", 1.0)  # every steep edge fails (almost surely)
    city = _hilly_city(steep=True)
    storm = Rainstorm(start_h=0, duration_h=3, intensity_mm_h=150)
    tl = rains.rainstorm_timeline(city, storm, (), 86400.0, np.random.default_rng(3))
    slides = [c for c in tl.closures if c.reason == "rainstorm: landslide"]
    bridge = city.road_edges["bridge"].to_numpy(bool)
    steep = np.flatnonzero((rains.edge_grades(city) >= rains.STEEP_GRADE) & ~bridge)
    # the east bank's climbs from row 1 to 3 (15 %); the Long Bridge is steep but a bridge
    assert _edge_ids(city, steep) == [
        "n31-n32",
        "n32-n33",
        "n41-n42",
        "n42-n43",
        "n51-n52",
        "n52-n53",
    ]
    assert sorted(e for c in slides for e in c.edges) == sorted(steep.tolist())
    assert sum(i.type == "landslide" for i in tl.incidents) == len(steep)
    for c in slides:
        assert 1.5 * 3600 <= c.start_s <= 6 * 3600 and c.end_s > c.start_s


# ------------------------------------------------------------------------------- earthquakes


def _lonlat(x: float, y: float) -> tuple[float, float]:
    return Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True).transform(x, y)


def test_bridges_close_when_fragile_and_stay_open_when_robust(monkeypatch):
    city = tiny_city()
    lon, lat = _lonlat(X0 + 2500, Y0 + 2000)
    quake = Earthquake(t_h=1, lon=lon, lat=lat, magnitude=6.5)
    monkeypatch.setattr(
        quakes,
        "BRIDGE_CLASSES",
        {"HWB1": (0.001, 0.002, 0.003, 0.004), "HWB10": (0.001, 0.002, 0.003, 0.004)},
    )
    tl = quakes.earthquake_timeline(city, quake, 7 * 86400.0, np.random.default_rng(0))
    bridges = [c for c in tl.closures if c.reason.startswith("earthquake: bridge")]
    assert sorted(c.name for c in bridges) == ["Long Bridge", "Short Bridge"]
    for c in bridges:
        assert c.start_s == 3600 and c.end_s == 3600 + 230 * 86400  # complete: HAZUS 230 days
        assert c.reason == "earthquake: bridge damage complete"
    monkeypatch.setattr(
        quakes, "BRIDGE_CLASSES", {"HWB1": (50, 60, 70, 80), "HWB10": (50, 60, 70, 80)}
    )
    tl = quakes.earthquake_timeline(city, quake, 7 * 86400.0, np.random.default_rng(0))
    assert not [c for c in tl.closures if c.reason.startswith("earthquake: bridge")]


def test_a_distant_small_quake_does_nothing_and_a_near_one_brings_incidents():
    city = tiny_city()
    far = Earthquake(t_h=0, lon=104.0, lat=30.6, magnitude=5.0)  # ~270 km west
    tl = quakes.earthquake_timeline(city, far, 86400.0, np.random.default_rng(0))
    assert tl.closures == () and tl.incidents == () and tl.outages == ()
    lon, lat = _lonlat(X0 + 2500, Y0 + 1500)
    near = Earthquake(t_h=2, lon=lon, lat=lat, magnitude=6.5)
    tl = quakes.earthquake_timeline(city, near, 86400.0, np.random.default_rng(0))
    kinds = {i.type for i in tl.incidents}
    assert {"building_collapse", "building_fire"} <= kinds
    assert all(i.onset_s >= 7200 and i.cause == "earthquake" for i in tl.incidents)


def test_earthquake_is_deterministic_per_seed():
    city = tiny_city()
    lon, lat = _lonlat(X0 + 2500, Y0 + 1500)
    q = Earthquake(t_h=0, lon=lon, lat=lat, magnitude=6.0)
    a = quakes.earthquake_timeline(city, q, 86400.0, np.random.default_rng(5))
    b = quakes.earthquake_timeline(city, q, 86400.0, np.random.default_rng(5))
    assert a == b and isinstance(a, Timeline)


def test_pipe_breaks_after_a_quake_cut_service(monkeypatch):
    monkeypatch.setattr(fragility, "ALA_RR_PER_KM_PER_CM_S", 10.0)  # every pipe breaks
    city = tiny_city()
    lon, lat = _lonlat(X0 + 2500, Y0 + 1500)
    tl = quakes.earthquake_timeline(
        city, Earthquake(t_h=0, lon=lon, lat=lat, magnitude=6.0), 86400.0, np.random.default_rng(1)
    )
    by_net = {o.network: o for o in tl.outages}
    assert set(by_net) == {"gas", "water"}
    assert sorted(by_net["gas"].pipe_id.split(",")) == ["G1", "G2"]
    assert by_net["gas"].junctions_out == 2 and by_net["water"].junctions_out == 1
    leaks = [i for i in tl.incidents if i.type == "gas_leak"]
    assert sorted(i.pipe_id for i in leaks) == ["G1", "G2"]
    assert {i.monitored for i in leaks if i.pipe_id == "G2"} == {True}  # G2 has a sensor


def test_quake_closures_after_the_end_of_the_run_are_dropped(monkeypatch):
    monkeypatch.setattr(fragility, "ALA_RR_PER_KM_PER_CM_S", 10.0)  # every pipe breaks
    city = tiny_city()
    lon, lat = _lonlat(X0 + 2500, Y0 + 1500)
    quake = Earthquake(t_h=1, lon=lon, lat=lat, magnitude=6.0)
    full = quakes.earthquake_timeline(city, quake, 86400.0, np.random.default_rng(1))
    starts = sorted({c.start_s for c in full.closures})  # pipe cordons: shock + 0–30 min
    assert len(starts) >= 2
    run_s = (starts[0] + starts[-1]) / 2
    cut = quakes.earthquake_timeline(city, quake, run_s, np.random.default_rng(1))
    assert cut.closures == tuple(c for c in full.closures if c.start_s < run_s)
    assert len(cut.closures) < len(full.closures)
