"""Every measure of compliance.csv against arithmetic done by hand on a tiny incident table.

Four building fires (need fire + community: every target but air applies), one community
call (only the 10-min target applies), one helicopter call. Times are chosen so arrivals
fall *exactly* on targets (met: the threshold is inclusive) and one second past them.

Per incident (s; A = alarm, onset = A − det, dispatch = A + c, arrivals relative to A):

====  =====  ===  ===  =====  =====  =====  ====
inc   A      det  c    fire   full   comm   cell
====  =====  ===  ===  =====  =====  =====  ====
i0    0      60   60   360    1800   600    a
i1    3600   0    90   570    1801   601    a
i2    7200   300  30   480    never  never  a
i3    10800  120  60   240    1200   200    b
i4    14400  0    0    –      –      100    b     (community call)
====  =====  ===  ===  =====  =====  =====  ====

Percentiles are numpy's linear interpolation: for sorted x₀…x_{n−1}, p at rank
r = p/100 · (n − 1), value x_⌊r⌋ + (r − ⌊r⌋)(x_⌊r⌋₊₁ − x_⌊r⌋).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from twin.analysis.compliance import COMPLIANCE_COLUMNS, compliance_table, primary_rows
from twin.analysis.targets import CELL_MIN_INCIDENTS, PRIMARY, TARGETS, target

NAN = math.nan
#        A      det  c    fire  full  comm   cell  type
ROWS = [
    (0, 60, 60, 360, 1800, 600, "a", "building_fire"),
    (3600, 0, 90, 570, 1801, 601, "a", "building_fire"),
    (7200, 300, 30, 480, NAN, NAN, "a", "building_fire"),
    (10800, 120, 60, 240, 1200, 200, "b", "building_fire"),
    (14400, 0, 0, NAN, NAN, 100, "b", "community_assist"),
]


def tiny_table() -> pd.DataFrame:
    rows = []
    for i, (a, det, c, fire, full, comm, cell, kind) in enumerate(ROWS):
        fire_type = kind == "building_fire"
        rows.append(
            {
                "incident_id": i,
                "type": kind,
                "district_id": "D1",
                "cell_id": cell,
                "onset_s": a - det,
                "alarm_s": float(a),
                "dispatch_s": a + c,
                "first_fire_s": a + fire,
                "first_ground_s": a + fire,
                "full_s": a + full,
                "first_community_s": a + comm,
                "first_professional_s": NAN,
                "first_social_s": NAN,
                "first_air_s": 3600.0 if i == 0 else NAN,
                # the flags say which targets apply (the engine writes them from the catalogue)
                "met_10": comm <= 600,
                "met_30": (fire <= 1800) if fire_type else pd.NA,
                "met_60": True if i == 0 else pd.NA,
            }
        )
    df = pd.DataFrame(rows)
    for col in ("met_10", "met_30", "met_60"):
        df[col] = df[col].astype("boolean")
    return df


def row(c: pd.DataFrame, name: str, origin: str, scope: str = "city") -> pd.Series:
    r = c[(c["target"] == name) & (c["from"] == origin) & (c["scope"] == scope)]
    assert len(r) == 1, (name, origin, scope, r)
    return r.iloc[0]


def check(
    r: pd.Series, count: int, share: float, mean: float, p50: float, p90: float, p95: float
) -> None:
    assert r["count"] == count
    for col, want in (
        ("met_share", share),
        ("mean_s", mean),
        ("p50_s", p50),
        ("p90_s", p90),
        ("p95_s", p95),
    ):
        assert (math.isnan(r[col]) and math.isnan(want)) or r[col] == pytest.approx(want), (
            col,
            r[col],
            want,
        )


@pytest.fixture(scope="module")
def comp() -> pd.DataFrame:
    return compliance_table(tiny_table(), cell_min=3)


def test_columns_and_registry(comp):
    assert list(comp.columns) == COMPLIANCE_COLUMNS
    assert [t.name for t in PRIMARY][:3] == ["10min", "30min", "60min"]  # names kept
    assert {(t.name, t.origin) for t in TARGETS} == {
        (n, o)
        for n, o0 in [
            ("10min", "alarm"),
            ("30min", "alarm"),
            ("60min", "alarm"),
            ("5min", "dispatch"),
            ("8min", "alarm"),
            ("full", "alarm"),
        ]
        for o in (o0, "onset")
    } | {("rescue_6h", "onset"), ("rescue_24h", "onset"), ("rescue_72h", "onset")}
    assert target("5min").threshold_s == 300 and target("5min").origin == "dispatch"
    assert target("full", "onset").key == "full@onset"
    with pytest.raises(KeyError):
        target("7min")


def test_8min_first_fire_vehicle_from_alarm(comp):
    # elapsed = fire: 360, 570, 480, 240; ≤ 480 → 360, 480 (exactly at target), 240 → 3/4
    # mean 1650/4 = 412.5; sorted 240 360 480 570: p50 r=1.5 → 420; p90 r=2.7 → 480+.7·90
    # = 543; p95 r=2.85 → 480+.85·90 = 556.5
    check(row(comp, "8min", "alarm"), 4, 0.75, 412.5, 420.0, 543.0, 556.5)


def test_5min_from_dispatch_order(comp):
    # elapsed = fire − c: 300 (exactly), 480, 450, 180 → met 300, 180 → 2/4
    # mean 1410/4 = 352.5; sorted 180 300 450 480: p50 375; p90 450+.7·30 = 471;
    # p95 450+.85·30 = 475.5
    check(row(comp, "5min", "dispatch"), 4, 0.5, 352.5, 375.0, 471.0, 475.5)


def test_5min_and_8min_from_onset(comp):
    # 5min from onset: fire + det = 420, 570, 780, 360 → none ≤ 300; mean 2130/4 = 532.5
    # sorted 360 420 570 780: p50 495; p90 570+.7·210 = 717; p95 570+.85·210 = 748.5
    check(row(comp, "5min", "onset"), 4, 0.0, 532.5, 495.0, 717.0, 748.5)
    # 8min from onset: same times, ≤ 480 → 420, 360 → 2/4
    check(row(comp, "8min", "onset"), 4, 0.5, 532.5, 495.0, 717.0, 748.5)


def test_full_assignment_never_on_scene_is_a_miss(comp):
    # full: 1800 (exactly), 1801, never, 1200 → met 1800, 1200 → 2/4; times of the 3
    # reached: mean 4801/3; sorted 1200 1800 1801: p50 1800; p90 r=1.8 → 1800.8; p95 1800.9
    check(row(comp, "full", "alarm"), 4, 0.5, 4801 / 3, 1800.0, 1800.8, 1800.9)
    # from onset: 1860, 1801, never, 1320 → only 1320 ≤ 1800 → 1/4; mean 4981/3;
    # sorted 1320 1801 1860: p50 1801; p90 r=1.8 → 1801+.8·59 = 1848.2; p95 1801+.9·59
    check(row(comp, "full", "onset"), 4, 0.25, 4981 / 3, 1801.0, 1848.2, 1854.1)


def test_headline_targets_alarm_and_onset(comp):
    # 10min applies to all five: 600 (exactly), 601, never, 200, 100 → 3/5; reached 4:
    # mean 1501/4 = 375.25; sorted 100 200 600 601: p50 400; p90 r=2.7 → 600.7; p95 600.85
    check(row(comp, "10min", "alarm"), 5, 0.6, 375.25, 400.0, 600.7, 600.85)
    # from onset: + det = 660, 601, never, 320, 100 → 2/5; mean 1681/4 = 420.25;
    # sorted 100 320 601 660: p50 460.5; p90 601+.7·59 = 642.3; p95 601+.85·59 = 651.15
    check(row(comp, "10min", "onset"), 5, 0.4, 420.25, 460.5, 642.3, 651.15)
    # 30min (ground = the fire vehicle here): all four ≤ 1800
    check(row(comp, "30min", "alarm"), 4, 1.0, 412.5, 420.0, 543.0, 556.5)
    # 60min: one helicopter call, arriving exactly at 3600 s → met
    check(row(comp, "60min", "alarm"), 1, 1.0, 3600.0, 3600.0, 3600.0, 3600.0)
    check(row(comp, "60min", "onset"), 1, 0.0, 3660.0, 3660.0, 3660.0, 3660.0)


def test_cell_scope_hides_the_share_below_the_minimum(comp):
    # cell a: i0 i1 i2 (3 ≥ cell_min 3): 8min elapsed 360, 570, 480 → 2/3; mean 470;
    # sorted 360 480 570: p50 480; p90 r=1.8 → 480+.8·90 = 552; p95 480+.9·90 = 561
    check(row(comp, "8min", "alarm", "cell:a"), 3, 2 / 3, 470.0, 480.0, 552.0, 561.0)
    # cell b has one fire (< 3): its count shows, nothing else
    check(row(comp, "8min", "alarm", "cell:b"), 1, NAN, NAN, NAN, NAN, NAN)
    # the 10-min target applies to two incidents in b (i3, i4): still below the minimum
    assert row(comp, "10min", "alarm", "cell:b")["count"] == 2
    assert CELL_MIN_INCIDENTS >= 10  # the documented default is a real minimum


def test_district_type_and_force_scopes(comp):
    check(row(comp, "8min", "alarm", "district:D1"), 4, 0.75, 412.5, 420.0, 543.0, 556.5)
    check(row(comp, "8min", "alarm", "type:building_fire"), 4, 0.75, 412.5, 420.0, 543.0, 556.5)
    assert row(comp, "10min", "alarm", "type:community_assist")["met_share"] == 1.0  # 100 s
    # force:fire of the 30-min target: the fire vehicle's own arrival, same four times
    check(row(comp, "30min", "alarm", "force:fire"), 4, 1.0, 412.5, 420.0, 543.0, 556.5)
    assert not ((comp["target"] == "8min") & (comp["scope"] == "type:community_assist")).any()


def test_missing_engine_columns_give_unknown_not_met():
    # an engine that records no dispatch order and no full assignment: the targets keep
    # their count, and the share is unknown (NaN) rather than 0 or 1
    c = compliance_table(tiny_table().drop(columns=["dispatch_s", "full_s"]))
    check(row(c, "5min", "dispatch"), 4, NAN, NAN, NAN, NAN, NAN)
    check(row(c, "full", "alarm"), 4, NAN, NAN, NAN, NAN, NAN)
    check(row(c, "8min", "alarm"), 4, 0.75, 412.5, 420.0, 543.0, 556.5)  # unaffected


def test_primary_rows_pick_each_targets_own_origin(comp):
    p = primary_rows(comp[comp["scope"] == "city"])
    assert sorted(zip(p["target"], p["from"])) == sorted(
        [
            ("10min", "alarm"),
            ("30min", "alarm"),
            ("60min", "alarm"),
            ("5min", "dispatch"),
            ("8min", "alarm"),
            ("full", "alarm"),
        ]
    )
    old = comp.drop(columns="from")  # a table written before the column: rows unchanged
    assert len(primary_rows(old)) == len(old)


def test_percentiles_are_numpys_linear_interpolation():
    # a guard that the hand formula above is the one used: 10 values 1..10, p90 r = 8.1
    t = pd.DataFrame(
        {
            "incident_id": range(10),
            "type": "outdoor_fire",
            "district_id": "D1",
            "cell_id": "a",
            "alarm_s": 0.0,
            "onset_s": 0.0,
            "first_fire_s": np.arange(1, 11) * 60.0,
        }
    )
    c = compliance_table(t)
    r = row(c, "8min", "alarm")
    assert r["p90_s"] == pytest.approx(9.1 * 60) and r["p50_s"] == pytest.approx(5.5 * 60)
    assert r["met_share"] == pytest.approx(0.8)  # 60…480 s
