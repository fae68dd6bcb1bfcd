"""Every measure of compliance.csv on a six-incident table worked out by hand.

The percentile method is pinned: NumPy's default ``linear`` method (Hyndman & Fan type 7,
also R's default and pandas' ``quantile``): for sorted values x₀ ≤ … ≤ xₙ₋₁ the q-quantile
sits at position h = q·(n − 1), p = x⌊h⌋ + (h − ⌊h⌋)·(x⌊h⌋₊₁ − x⌊h⌋).

Every incident's alarm is at 100 s, so a response time is (first arrival − 100 s). Arrivals
exactly at a target (600 s, 1 800 s, 3 600 s after the alarm) meet it; one second later
misses. The six incidents (types from the built-in catalogue: water_main_burst needs
professional + community, water_rescue fire + social, outdoor_fire fire, community_assist
community):

====  ================  ===  =========  =====  ============  ======  =====  ====
 id   type              dis  community  fire   professional  social  air    air?
====  ================  ===  =========  =====  ============  ======  =====  ====
 0    water_main_burst  A    600 ✓      –      1 800 ✓       –       –      no
 1    water_main_burst  B    601 ✗      –      1 801 ✗       –       –      no
 2    water_rescue      A    –          300    –             900     3 600  yes
 3    community_assist  B    100 ✓      –      –             –       –      no
 4    outdoor_fire      A    –          never  –             –       –      no
 5    water_rescue      B    –          2 000  –             400     never  yes
====  ================  ===  =========  =====  ============  ======  =====  ====

(response times in s after the alarm; ground = the first of fire/professional/social)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from twin.analysis.metrics import COMPLIANCE_COLUMNS, compliance_table
from twin.model.roads import PERIODS, period_of
from twin.sim.forces import FORCES, TARGETS_S

NAN = math.nan
ALARM = 100.0
# id: (type, district, {force: response s}, community/ground/air targets apply)
ROWS = [
    ("water_main_burst", "A", {"community": 600, "professional": 1800}, (True, True, False)),
    ("water_main_burst", "B", {"community": 601, "professional": 1801}, (True, True, False)),
    ("water_rescue", "A", {"fire": 300, "social": 900, "air": 3600}, (False, True, True)),
    ("community_assist", "B", {"community": 100}, (True, False, False)),
    ("outdoor_fire", "A", {}, (False, True, False)),
    ("water_rescue", "B", {"fire": 2000, "social": 400}, (False, True, True)),
]


def incidents() -> pd.DataFrame:
    """The incidents table (the columns compliance_table reads) of the six incidents."""
    out = []
    for type_, district, resp, (c, g, a) in ROWS:
        first = {f: ALARM + resp[f] if f in resp else NAN for f in FORCES}
        ground = min(
            (first[f] for f in ("fire", "professional", "social") if not math.isnan(first[f])),
            default=NAN,
        )
        row = {
            "type": type_,
            "district_id": district,
            "alarm_s": ALARM,
            "resp_community_s": first["community"] - ALARM,
            "resp_ground_s": ground - ALARM,
            "resp_air_s": first["air"] - ALARM,
        }
        for col, applies, r, target in (
            ("met_10", c, row["resp_community_s"], 600),
            ("met_30", g, row["resp_ground_s"], 1800),
            ("met_60", a, row["resp_air_s"], 3600),
        ):
            row[col] = (not math.isnan(r) and r <= target) if applies else pd.NA
        row.update({f"first_{f}_s": v for f, v in first.items()})
        row["first_ground_s"] = ground  # the first ground unit of any force (absolute)
        out.append(row)
    df = pd.DataFrame(out)
    return df.astype({c: "boolean" for c in ("met_10", "met_30", "met_60")})


# (target, scope): count, met_share, mean, p50, p90, p95 — by hand, type-7 percentiles
EXPECTED = {
    # 10 min: incidents 0, 1, 3 need a community responder; 600 ✓, 601 ✗, 100 ✓
    # sorted 100, 600, 601: p50 at h=1 → 600; p90 at h=1.8 → 600 + 0.8·1; p95 h=1.9
    ("10min", "city"): (3, 2 / 3, 1301 / 3, 600.0, 600.8, 600.9),
    ("10min", "district:A"): (1, 1.0, 600.0, 600.0, 600.0, 600.0),
    # B: 100, 601 → h = 0.9·1: 100 + 0.9·501; h = 0.95: 100 + 0.95·501
    ("10min", "district:B"): (2, 0.5, 350.5, 350.5, 550.9, 575.95),
    ("10min", "type:community_assist"): (1, 1.0, 100.0, 100.0, 100.0, 100.0),
    ("10min", "type:water_main_burst"): (2, 0.5, 600.5, 600.5, 600.9, 600.95),
    ("10min", "force:community"): (3, 2 / 3, 1301 / 3, 600.0, 600.8, 600.9),
    # 30 min: incidents 0, 1, 2, 4, 5; ground 1800 ✓, 1801 ✗, 300 ✓, never ✗, 400 ✓ → 3/5.
    # reached sorted 300, 400, 1800, 1801: p50 h=1.5 → 1100; p90 h=2.7 → 1800.7; p95 1800.85
    ("30min", "city"): (5, 0.6, 4301 / 4, 1100.0, 1800.7, 1800.85),
    # A: 1800, 300, never → 2/3; reached 300, 1800: p90 = 300 + 0.9·1500
    ("30min", "district:A"): (3, 2 / 3, 1050.0, 1050.0, 1650.0, 1725.0),
    # B: 1801, 400 → 1/2; p90 = 400 + 0.9·1401
    ("30min", "district:B"): (2, 0.5, 1100.5, 1100.5, 1660.9, 1730.95),
    ("30min", "type:outdoor_fire"): (1, 0.0, NAN, NAN, NAN, NAN),
    ("30min", "type:water_main_burst"): (2, 0.5, 1800.5, 1800.5, 1800.9, 1800.95),
    ("30min", "type:water_rescue"): (2, 1.0, 350.0, 350.0, 390.0, 395.0),
    # force scopes use that force's own first arrival, over the types that need the force:
    # fire — incidents 2, 4, 5: 300 ✓, never ✗, 2000 ✗ (though ground came at 400)
    ("30min", "force:fire"): (3, 1 / 3, 1150.0, 1150.0, 1830.0, 1915.0),
    ("30min", "force:professional"): (2, 0.5, 1800.5, 1800.5, 1800.9, 1800.95),
    # social — incidents 2, 5: 900, 400 (both within 30 min though never first on scene)
    ("30min", "force:social"): (2, 1.0, 650.0, 650.0, 850.0, 875.0),
    # 60 min: air called for 2 and 5: 3600 exactly ✓, never ✗
    ("60min", "city"): (2, 0.5, 3600.0, 3600.0, 3600.0, 3600.0),
    ("60min", "district:A"): (1, 1.0, 3600.0, 3600.0, 3600.0, 3600.0),
    ("60min", "district:B"): (1, 0.0, NAN, NAN, NAN, NAN),
    ("60min", "type:water_rescue"): (2, 0.5, 3600.0, 3600.0, 3600.0, 3600.0),
    ("60min", "force:air"): (2, 0.5, 3600.0, 3600.0, 3600.0, 3600.0),
}


def headline(c: pd.DataFrame) -> pd.DataFrame:
    """The three mission targets measured from the alarm (the table also holds the
    calibration targets 5min/8min/full and every target from the onset: see
    tests/test_metrics_targets.py)."""
    return c[(c["from"] == "alarm") & c["target"].isin(["10min", "30min", "60min"])]


def test_every_measure_of_every_scope_by_hand():
    c = compliance_table(incidents())
    assert list(c.columns) == COMPLIANCE_COLUMNS
    assert c["count"].dtype == np.int64
    c = headline(c)
    # exactly these rows, in this order: per target city, districts, types, forces
    assert list(zip(c["target"], c["scope"])) == list(EXPECTED)
    for (target, scope), want in EXPECTED.items():
        row = c[(c["target"] == target) & (c["scope"] == scope)].iloc[0]
        got = tuple(row[COMPLIANCE_COLUMNS[3:]])
        assert got[0] == want[0], (target, scope, "count")
        assert got[1:] == pytest.approx(want[1:], rel=1e-12, nan_ok=True), (target, scope)


def test_arrival_exactly_at_the_target_meets_it_and_a_millisecond_later_misses():
    df = incidents().iloc[[0, 0, 0]].reset_index(drop=True)
    for f, target in (("community", "10min"), ("professional", "30min")):
        df.loc[1, f"first_{f}_s"] = ALARM + TARGETS_S[target] + 0.001
        df.loc[2, f"first_{f}_s"] = ALARM + TARGETS_S[target] - 0.001
    df["resp_community_s"] = df["first_community_s"] - ALARM
    df["resp_ground_s"] = df["first_professional_s"] - ALARM
    df["first_ground_s"] = df["first_professional_s"]  # incident 0: professional is first
    c = headline(compliance_table(df)).set_index(["target", "scope"])
    for scope in ("city", "district:A", "type:water_main_burst"):
        assert c.loc[("10min", scope), "met_share"] == pytest.approx(2 / 3)
        assert c.loc[("30min", scope), "met_share"] == pytest.approx(2 / 3)
    assert c.loc[("10min", "force:community"), "met_share"] == pytest.approx(2 / 3)
    assert c.loc[("30min", "force:professional"), "met_share"] == pytest.approx(2 / 3)


def test_percentile_method_is_numpy_linear_type_7():
    """p50/p90/p95 of 100, 200, …, 1000 (n = 10): h = q·9 → p50 at 4.5 → 550; p90 at 8.1 →
    900 + 0.1·100 = 910; p95 at 8.55 → 955. (Nearest rank would give 500/900/1000, Hazen
    550/950/1000, Weibull 550/990/1000.)"""
    times = [float(t) for t in range(100, 1001, 100)]
    df = pd.DataFrame(
        {
            "type": "community_assist",
            "district_id": "A",
            "alarm_s": 0.0,
            "resp_community_s": times,
            "resp_ground_s": NAN,
            "resp_air_s": NAN,
            "met_10": pd.array([True] * 10, "boolean"),
            "met_30": pd.array([pd.NA] * 10, "boolean"),
            "met_60": pd.array([pd.NA] * 10, "boolean"),
            **{f"first_{f}_s": (times if f == "community" else NAN) for f in FORCES},
            "first_ground_s": NAN,
        }
    )
    row = headline(compliance_table(df)).set_index(["target", "scope"]).loc[("10min", "city")]
    assert (row["count"], row["met_share"]) == (10, 0.6)  # 100–600 s meet 10 min, 700+ miss
    assert (row["mean_s"], row["p50_s"], row["p90_s"], row["p95_s"]) == pytest.approx(
        (550.0, 550.0, 910.0, 955.0), rel=1e-12
    )


def test_empty_district_is_not_a_scope():
    df = incidents()
    df.loc[3, "district_id"] = ""  # an incident off every district (e.g. on a bridge)
    c = compliance_table(df)
    assert "district:" not in set(c["scope"])
    city = c[(c["target"] == "10min") & (c["scope"] == "city")].iloc[0]
    assert city["count"] == 3  # still counted city-wide
    b = c[(c["target"] == "10min") & (c["scope"] == "district:B")].iloc[0]
    assert b["count"] == 1 and b["met_share"] == 0.0


@pytest.mark.parametrize(
    "hms, period",
    [
        ((0, 0, 0), "night"),
        ((5, 59, 59.999), "night"),
        ((6, 0, 0), "offpeak"),
        ((6, 59, 59.999), "offpeak"),
        ((7, 0, 0), "peak"),
        ((8, 59, 59.999), "peak"),
        ((9, 0, 0), "offpeak"),
        ((16, 59, 59.999), "offpeak"),
        ((17, 0, 0), "peak"),
        ((18, 59, 59.999), "peak"),
        ((19, 0, 0), "offpeak"),
        ((21, 59, 59.999), "offpeak"),
        ((22, 0, 0), "night"),
        ((23, 59, 59.999), "night"),
        ((24, 0, 0), "night"),
        ((24 + 7, 0, 0), "peak"),
        ((48 + 18, 30, 0), "peak"),
    ],
)
def test_period_boundaries_of_the_day(hms, period):
    """Night 22:00–06:00, off-peak 06–07, 09–17, 19–22, peak 07:00–09:00 and 17:00–19:00
    (twin.model.roads.PERIOD_OF_HOUR): each boundary belongs to the period it opens."""
    h, m, s = hms
    assert PERIODS[period_of(h * 3600 + m * 60 + s)] == period
