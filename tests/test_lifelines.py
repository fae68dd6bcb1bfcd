"""Pipe failures, scripted drills, the timeline and the lifelines table on the tiny city.

tinycity's pipes: gas G1 n00–n10 (1980, no sensor) and G2 n10–n20 (2015, sensor), fed from
the gas source at n00; water W1 n40–n50 (1990, sensor) fed from n40.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from tinycity import X0, Y0, node_xy, tiny_city

import twin.hazards.build as build
import twin.hazards.lifelines as ll
import twin.hazards.sensing as sensing
from twin.errors import TwinDataError
from twin.hazards.timeline import ScheduledIncident
from twin.scenario.spec import Pipes, parse_scenario


def _lonlat(x: float, y: float) -> tuple[float, float]:
    return Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True).transform(x, y)


def _node(city, node_id: str) -> int:
    return int(city.roads.node_index([node_id])[0])


def _edges(city, idx) -> list[str]:
    return sorted(city.road_edges["edge_id"].to_numpy()[list(idx)].tolist())


# --------------------------------------------------------------------------- failure rates


def _pipes(**cols) -> pd.DataFrame:
    n = max(len(v) for v in cols.values())
    base = {
        "network": ["water"] * n,
        "material": ["cast_iron"] * n,
        "install_year": [1995] * n,
        "diameter_mm": [150.0] * n,
    }
    base.update(cols)
    return pd.DataFrame(base)


def test_failure_rates_by_material_age_and_diameter():
    r = ll.failure_rates(_pipes(material=["cast_iron", "ductile iron", "PE", "unobtainium"]))
    assert r[0] == pytest.approx(0.30) and r[0] > r[1] > r[2]  # age 30, 150 mm: the base rate
    assert r[3] == pytest.approx(ll.BASE_RATE_PER_KM_YR["water"]["*"])
    old, new = ll.failure_rates(_pipes(install_year=[1965, 2015]))
    assert old == pytest.approx(0.30 * np.exp(0.02 * 30)) and new < 0.30 < old
    small, big = ll.failure_rates(_pipes(diameter_mm=[75.0, 600.0]))
    assert small == pytest.approx(0.30 * np.sqrt(2)) and big == pytest.approx(0.30 * 0.5)
    assert ll.failure_rates(_pipes(network=["gas"]))[0] == pytest.approx(0.20)
    assert ll.failure_rates(_pipes(install_year=[None]))[0] == pytest.approx(0.30)  # unknown: 30 y
    one = ll.failure_rates(_pipes(material=["steel"]))
    assert ll.failure_rates(_pipes(material=["steel"]), multiplier=3.0) == pytest.approx(3 * one)


def test_random_failures_make_incident_closure_and_outage():
    city = tiny_city()
    spec = Pipes(failures=True, failure_rate_multiplier=20000.0)  # ~15 failures a day
    tl = ll.random_pipe_failures(city, spec, 86400.0, np.random.default_rng(7))
    assert len(tl.incidents) > 3 and len(tl.incidents) == len(tl.outages)
    kind = {"G1": "gas_leak", "G2": "gas_leak", "W1": "water_main_burst"}
    watched = {"G1": False, "G2": True, "W1": True}
    for inc, out in zip(tl.incidents, tl.outages):
        pid = inc.pipe_id
        assert inc.type == kind[pid] and inc.cause == f"pipe:{pid}"
        assert inc.monitored is watched[pid]
        assert 0 <= inc.onset_s < 86400 and out.start_s == inc.onset_s and out.end_s > out.start_s
        if pid == "G1":  # the gas main next to the source: cuts off gn10 and gn20
            assert out.junctions_out == 2 and out.people_out > 0 and out.districts == ("D1",)
        if pid == "W1":  # cuts off wn50; the cells' people live nearer the source wn40
            assert out.junctions_out == 1 and out.people_out == 0 and out.districts == ()
    g1 = [c for c in tl.closures if c.name == "near pipe G1"]
    assert g1 and all(_edges(city, c.edges) == ["n00-n10"] for c in g1)  # its own street
    assert all(c.reason == "gas pipe failure" for c in g1)
    assert [i.onset_s for i in tl.incidents] == sorted(i.onset_s for i in tl.incidents)


def test_no_failures_when_switched_off():
    tl = ll.random_pipe_failures(
        tiny_city(), Pipes(failures=False), 86400.0, np.random.default_rng(0)
    )
    assert tl.incidents == () and tl.closures == () and tl.outages == ()


def test_repair_times_are_lognormal_around_the_documented_medians():
    rng = np.random.default_rng(0)
    t = ll.repair_times(["water"] * 20000 + ["gas"] * 20000, rng)
    assert np.median(t[:20000]) == pytest.approx(7 * 3600, rel=0.03)
    assert np.median(t[20000:]) == pytest.approx(4 * 3600, rel=0.03)
    lo, hi = np.quantile(t[:20000], [0.05, 0.95]) / 3600
    assert 3.5 < lo < 4.5 and 11 < hi < 13


# ------------------------------------------------------------------------------ scripted

DRILL = """
name = "drill"
days = 0.25
[pipes]
failures = false
[[incidents.scripted]]
t_min = 10
type = "gas_leak"
pipe_id = "G1"
[[incidents.scripted]]
t_min = 20
type = "gas_leak"
pipe_id = "G1"
detection = "sensor"
[[incidents.scripted]]
t_min = 30
type = "gas_leak"
lon = {lon}
lat = {lat}
[[incidents.scripted]]
t_min = 40
type = "building_fire"
node_id = "n52"
detection = "call"
label = "fire drill"
"""


def _drill(city, **where):
    lon, lat = where.get("lonlat") or _lonlat(X0 + 1600, Y0 + 30)  # 30 m off gas main G2
    return parse_scenario(DRILL.format(lon=lon, lat=lat), "drill.toml")


def test_scripted_incidents_are_placed_and_flagged():
    city = tiny_city()
    tl = build.build_timeline(_drill(city), city, np.random.default_rng(0))
    a, b, c, d = tl.incidents
    assert (a.onset_s, a.type, a.pipe_id, a.monitored, a.cause) == (
        600,
        "gas_leak",
        "G1",
        False,
        "script",
    )
    assert a.node in (_node(city, "n00"), _node(city, "n10"))  # G1's midpoint is between them
    assert b.monitored is True  # detection = "sensor" forces a fast alarm
    # placed by lon/lat 30 m off G2: at the nearest node n20, attached to the monitored G2
    assert c.pipe_id == "G2" and c.monitored is True and c.node == _node(city, "n20")
    assert (d.type, d.node, d.monitored, d.label, d.pipe_id) == (
        "building_fire",
        _node(city, "n52"),
        False,
        "fire drill",
        None,
    )
    # the three gas leaks close roads around their pipes and cut service
    assert len([x for x in tl.closures if x.reason == "gas pipe failure"]) == 3
    assert [o.pipe_id for o in tl.outages] == ["G1", "G1", "G2"]


def test_scripted_place_outside_the_city_is_an_error_with_the_line():
    city = tiny_city()
    sc = _drill(city, lonlat=(106.0, 29.0))
    with pytest.raises(TwinDataError) as err:
        build.build_timeline(sc, city, np.random.default_rng(0))
    text = str(err.value)
    assert "drill.toml" in text and "outside the city" in text
    assert err.value.problems[0].line == DRILL.splitlines().index("lon = {lon}") + 1


# ----------------------------------------------------------------------------- timeline

FULL = """
name = "everything"
days = 1
[[closures]]
name = "Short Bridge"
start_h = 1
duration_h = 2
[[rainstorm]]
start_h = 2
duration_h = 3
intensity_mm_h = 90
[[earthquake]]
t_h = 5
lon = {lon}
lat = {lat}
magnitude = 6.0
[pipes]
failure_rate_multiplier = 300
[[incidents.scripted]]
t_min = 30
type = "gas_leak"
pipe_id = "G1"
"""


def _full(rain: bool = True):
    lon, lat = _lonlat(X0 + 2500, Y0 + 1500)
    text = FULL.format(lon=lon, lat=lat)
    if not rain:
        text = text.replace("[[rainstorm]]\nstart_h = 2\nduration_h = 3\nintensity_mm_h = 90\n", "")
    return parse_scenario(text, "full.toml")


def test_build_timeline_is_deterministic_given_the_seed():
    city = tiny_city()
    a = build.build_timeline(_full(), city, np.random.default_rng(42))
    b = build.build_timeline(_full(), city, np.random.default_rng(42))
    assert a == b
    assert a.incidents and a.closures
    c = build.build_timeline(_full(), city, np.random.default_rng(43))
    assert c != a
    for part in (a.incidents, a.closures, a.outages):
        times = [getattr(x, "onset_s", getattr(x, "start_s", 0)) for x in part]
        assert times == sorted(times)


def test_components_draw_from_their_own_streams():
    # common random numbers: the pipe failures are the same with and without the rainstorm
    city = tiny_city()
    with_rain = build.build_timeline(_full(True), city, np.random.default_rng(9))
    without = build.build_timeline(_full(False), city, np.random.default_rng(9))

    def pipe_incidents(tl):
        return [i for i in tl.incidents if i.cause.startswith("pipe:")]

    assert pipe_incidents(with_rain) == pipe_incidents(without)


def test_scenario_closure_runs_for_its_hours():
    city = tiny_city()
    tl = build.build_timeline(_full(False), city, np.random.default_rng(0))
    bridge = [c for c in tl.closures if c.name == "Short Bridge"]
    assert len(bridge) == 1
    assert _edges(city, bridge[0].edges) == ["n21-n31"]
    assert (bridge[0].start_s, bridge[0].end_s) == (3600, 3 * 3600)


def test_lifelines_table_has_the_contract_columns():
    city = tiny_city()
    tl = build.build_timeline(_full(), city, np.random.default_rng(1))
    df = ll.lifelines_table(tl, city)
    assert tuple(df.columns) == ll.LIFELINE_COLUMNS
    closures = df[df["kind"] == "closure"]
    outages = df[df["kind"] == "outage"]
    assert len(closures) == len(tl.closures) and len(outages) == len(tl.outages)
    sb = closures[closures["name"] == "Short Bridge"].iloc[0]
    assert sb["ref"] == "n21-n31" and sb["districts"] == "D1,D2" and pd.isna(sb["nodes_out"])
    g1 = outages[outages["ref"] == "G1"].iloc[0]
    assert g1["network"] == "gas" and g1["nodes_out"] == 2 and g1["districts"] == "D1"
    assert g1["name"] == ""  # tinycity's streets are unnamed
    assert str(df["nodes_out"].dtype) == "Int64" and df["start_s"].dtype == float
    empty = ll.lifelines_table(ll.Timeline(), city)
    assert tuple(empty.columns) == ll.LIFELINE_COLUMNS and len(empty) == 0


# -------------------------------------------------------------------------------- sensing


def test_sensor_coverage_by_network_and_district():
    cov = sensing.sensor_coverage(tiny_city()).set_index(["network", "district_id"])
    assert cov.loc[("gas", "*"), "coverage"] == pytest.approx(0.5)  # G2 of G1+G2
    assert cov.loc[("gas", "D1"), "coverage"] == pytest.approx(0.5)
    assert cov.loc[("water", "D2"), "coverage"] == pytest.approx(1.0)


def test_raise_coverage_marks_oldest_first_and_never_lowers():
    city = tiny_city()
    pipes = city.pipes.copy()
    pipes["monitored"] = False
    city = city.replace(pipes=pipes)
    half = sensing.raise_coverage(city, "gas", 0.5)
    assert half.set_index("pipe_id")["monitored"].to_dict() == {
        "G1": True,
        "G2": False,
        "W1": False,
    }
    assert not city.pipes["monitored"].any()  # the input is untouched
    full = sensing.raise_coverage(city, "gas", 0.6, pipes=half)
    assert full.set_index("pipe_id").loc[["G1", "G2"], "monitored"].all()
    lower = sensing.raise_coverage(city, "gas", 0.0, pipes=full)
    assert lower["monitored"].sum() == 2  # a lower target never removes sensors
    none = sensing.raise_coverage(city, "gas", 1.0, district_id="D3")
    assert not none["monitored"].any()  # no gas pipes in D3


def test_risk_order_oldest_then_largest_then_id():
    df = pd.DataFrame(
        {
            "pipe_id": ["a", "b", "c", "d"],
            "install_year": [1990, 1970, 1990, None],
            "diameter_mm": [100.0, 100.0, 300.0, 50.0],
        }
    )
    assert df["pipe_id"].to_numpy()[sensing.risk_order(df)].tolist() == ["d", "b", "c", "a"]


def test_scheduled_incident_contract_is_what_the_engine_reads():
    inc = ScheduledIncident(1.0, "gas_leak", 3, "pipe:G1", True, None, "x", "G1")
    assert (inc.node, inc.monitored, inc.pipe_id) == (3, True, "G1")
    assert node_xy("n21") == (X0 + 2000, Y0 + 1000)


def test_sensors_on_pipes_with_unknown_years_as_epanet_writes_them():
    # EPANET imports store install_year as nullable Int64 with NA: risk_order crashed on it
    # (fillna(-inf) on an Int64 column), so [[sensors]] on an imported network did too
    city = tiny_city()
    pipes = city.pipes.copy()
    pipes["install_year"] = pd.array([1980, pd.NA, pd.NA], dtype="Int64")
    pipes["monitored"] = False
    city = city.replace(pipes=pipes)
    order = city.pipes["pipe_id"].to_numpy()[sensing.risk_order(city.pipes)]
    assert order.tolist() == ["G2", "W1", "G1"]  # unknown years first (oldest), then by id
    sc = parse_scenario('[[sensors]]\nnetwork = "gas"\ncoverage = 0.4\n', "s.toml")
    from twin.scenario.apply import apply

    assert apply(sc, city).pipes.set_index("pipe_id")["monitored"].to_dict() == {
        "G1": False,
        "G2": True,
        "W1": False,
    }
