"""The pieces of compliance.csv one at a time, each against a value worked out by hand
(the mutants of twin/analysis/compliance.py and targets.py that the whole-table tests of
test_metrics_targets.py / test_metrics_by_hand.py let through; docs/testing.md).

A made-up catalogue keeps the "which incidents does a target apply to" rule visible:

=======  ====================  =========================================
type     needs                 targets it applies to (no flag columns)
=======  ====================  =========================================
comm     community             10min
fire     fire + community      10min, 30min/full (ground), 5min/8min (fire)
prof     professional          30min/full (ground)
soc      social                30min/full (ground)
heli     air                   60min (air)
=======  ====================  =========================================
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.analysis.compliance import (
    COMPLIANCE_COLUMNS,
    _force_rows,
    _grouped,
    applies,
    compliance_table,
    elapsed,
    group_stats,
    primary_rows,
    scope_keys,
    stable_order,
    stats,
    target_rows,
    types_needing,
)
from twin.analysis.targets import (
    CELL_MIN_INCIDENTS,
    HEADLINE,
    PRIMARY,
    PRIMARY_ORIGIN,
    TARGETS,
    Target,
    _onset,
    target,
)

NAN = math.nan
CAT = {
    "comm": SimpleNamespace(needs=(("community", 1),)),
    "fire": SimpleNamespace(needs=(("fire", 1), ("community", 1))),
    "prof": SimpleNamespace(needs=(("professional", 1),)),
    "soc": SimpleNamespace(needs=(("social", 1),)),
    "heli": SimpleNamespace(needs=(("air", 1),)),
}
TYPES = ["comm", "fire", "prof", "soc", "heli"]


def nan_equal(got: tuple, want: tuple) -> bool:
    return len(got) == len(want) and all(
        (isinstance(w, float) and math.isnan(w) and math.isnan(g)) or g == pytest.approx(w)
        for g, w in zip(got, want)
    )


# --------------------------------------------------------------------- who a target counts


def test_types_needing_any_of_the_forces_in_catalogue_order():
    assert types_needing(CAT, ("community",)) == ["comm", "fire"]
    assert types_needing(CAT, ("social", "professional")) == ["prof", "soc"]
    assert types_needing(CAT, ("air",)) == ["heli"]
    assert types_needing(CAT, ()) == []


def test_applies_by_the_catalogue_when_the_table_has_no_flag_columns():
    df = pd.DataFrame({"type": TYPES})
    assert applies(df, "community", CAT).tolist() == [True, True, False, False, False]
    assert applies(df, "fire", CAT).tolist() == [False, True, False, False, False]
    assert applies(df, "air", CAT).tolist() == [False, False, False, False, True]
    # ground and the full assignment: any ground force (fire, professional, social)
    assert applies(df, "ground", CAT).tolist() == [False, True, True, True, False]
    assert applies(df, "full", CAT).tolist() == [False, True, True, True, False]


def test_applies_by_the_engines_flags_when_present():
    # The flags are NA where a target does not apply; their value (met or not) is irrelevant.
    df = pd.DataFrame(
        {
            "type": TYPES,
            "met_10": pd.array([True, None, False, None, None], "boolean"),
            "met_30": pd.array([None, False, None, None, True], "boolean"),
            "met_60": pd.array([None, None, None, False, None], "boolean"),
        }
    )
    assert applies(df, "community", CAT).tolist() == [True, False, True, False, False]
    assert applies(df, "ground", CAT).tolist() == [False, True, False, False, True]
    assert applies(df, "full", CAT).tolist() == [False, True, False, False, True]
    assert applies(df, "air", CAT).tolist() == [False, False, False, True, False]
    # there is no flag for the fire targets: always the catalogue
    assert applies(df, "fire", CAT).tolist() == [False, True, False, False, False]
    # the rescue targets: collapses and entrapments by name (RESCUE_TYPES)
    df = pd.DataFrame({"type": ["building_collapse", "fire", "technical_rescue", "landslide"]})
    assert applies(df, "rescue", CAT).tolist() == [True, False, True, False]


def test_elapsed_is_arrival_minus_origin_and_none_without_either_column():
    t = Target("x", 300.0, "fire", "dispatch")
    df = pd.DataFrame({"first_fire_s": [400.0, NAN], "dispatch_s": [100.0, 50.0]})
    got = elapsed(df, t)
    assert got is not None and got[0] == 300.0 and math.isnan(got[1])
    assert elapsed(df.drop(columns="dispatch_s"), t) is None
    assert elapsed(df.drop(columns="first_fire_s"), t) is None


# --------------------------------------------------------------------------- the measures


def test_stats_by_hand_with_a_miss_and_an_arrival_exactly_at_the_threshold():
    # 100, 600, 601 s and one never reached; threshold 600 s (inclusive).
    # met = {100, 600} / 4 = 0.5; mean of those reached = 1301 / 3;
    # sorted 100, 600, 601: p50 at rank 1 → 600; p90 at rank 1.8 → 600 + 0.8·1 = 600.8;
    # p95 at rank 1.9 → 600.9.
    got = stats(np.array([600.0, NAN, 100.0, 601.0]), 600.0)
    assert nan_equal(got, (4, 0.5, 1301 / 3, 600.0, 600.8, 600.9))
    assert isinstance(got[0], int) and all(isinstance(v, float) for v in got[1:])


def test_stats_when_nobody_came_too_few_or_unknown():
    assert nan_equal(stats(np.array([NAN, NAN]), 600.0), (2, 0.0, NAN, NAN, NAN, NAN))
    assert nan_equal(stats(np.array([]), 600.0), (0, NAN, NAN, NAN, NAN, NAN))
    # fewer than min_count values: the count only
    assert nan_equal(stats(np.array([1.0, 2.0]), 600.0, 3), (2, NAN, NAN, NAN, NAN, NAN))
    # exactly min_count: measured (p50 of 1, 2, 3 = 2; p90 at rank 1.8 → 2.8; p95 → 2.9)
    assert nan_equal(stats(np.array([1.0, 2.0, 3.0]), 2.0, 3), (3, 2 / 3, 2.0, 2.0, 2.8, 2.9))
    # min_count 0 behaves as 1
    assert nan_equal(stats(np.array([5.0]), 2.0, 0), (1, 0.0, 5.0, 5.0, 5.0, 5.0))
    # the arrival column missing: counted, not measured
    assert nan_equal(stats(np.array([1.0]), 600.0, 1, False), (1, NAN, NAN, NAN, NAN, NAN))


def test_grouped_rows_skip_empty_keys_sort_by_key_and_apply_the_minimum():
    t = Target("8min", 480.0, "fire", "alarm")
    keys = np.array(["b", "", "a", "b", "a", "a"], dtype=object)
    resp = np.array([100.0, 1.0, 500.0, 700.0, 480.0, NAN])
    rows = _grouped(t, "cell", keys, resp, True, 3)
    # a: 500, 480, never → 3 incidents, met {480} → 1/3; mean 490; p50 490; p90 498; p95 499
    # b: 2 incidents < 3 → count only
    assert [r[:3] for r in rows] == [("8min", "alarm", "cell:a"), ("8min", "alarm", "cell:b")]
    assert nan_equal(rows[0][3:], (3, 1 / 3, 490.0, 490.0, 498.0, 499.0))
    assert nan_equal(rows[1][3:], (2, NAN, NAN, NAN, NAN, NAN))
    # unknown (no arrival column): counts only, every key
    rows = _grouped(t, "district", keys, resp, False, 1)
    assert [(r[2], r[3], math.isnan(r[4])) for r in rows] == [
        ("district:a", 3, True),
        ("district:b", 2, True),
    ]


def incidents(n_cells_a: int = 2) -> pd.DataFrame:
    """Two fires (F1 in district D1, F2 in D2) and one community call (C in D1).

    Arrivals (s after the alarm at 0): fire 200 / 400, community 100 / 700 / 50; the
    professional force never comes. Onsets 60 s before the alarm."""
    return pd.DataFrame(
        {
            "type": ["fire", "fire", "comm"],
            "district_id": ["D1", "D2", "D1"],
            "cell_id": ["c1", "c1", ""],
            "alarm_s": [0.0, 0.0, 0.0],
            "onset_s": [-60.0, -60.0, -60.0],
            "first_fire_s": [200.0, 400.0, NAN],
            "first_ground_s": [200.0, 400.0, NAN],
            "first_community_s": [100.0, 700.0, 50.0],
            "first_professional_s": [NAN, NAN, NAN],
            "first_social_s": [NAN, NAN, NAN],
        }
    )


def test_target_rows_scopes_in_order_city_districts_types_forces_cells():
    t = Target("10min", 600.0, "community", "alarm")
    rows = target_rows(incidents(), t, CAT, cell_min=2)
    assert [r[2] for r in rows] == [
        "city",
        "district:D1",
        "district:D2",
        "type:comm",
        "type:fire",
        "force:community",
        "cell:c1",
    ]
    by = {r[2]: r[3:] for r in rows}
    # city: 100, 700, 50 → met 2/3, mean 850/3, p50 100, p90 rank 1.8 → 100 + 0.8·600 = 580
    assert nan_equal(by["city"], (3, 2 / 3, 850 / 3, 100.0, 580.0, 640.0))
    assert nan_equal(by["district:D2"], (1, 0.0, 700.0, 700.0, 700.0, 700.0))
    # cell c1 (the two fires; the call has no cell): 100, 700 → p90 rank 0.9 → 640
    assert nan_equal(by["cell:c1"], (2, 0.5, 400.0, 400.0, 640.0, 670.0))
    # the cell minimum applies to cells only
    rows = target_rows(incidents(), t, CAT, cell_min=3)
    by = {r[2]: r[3:] for r in rows}
    assert by["cell:c1"][0] == 2 and math.isnan(by["cell:c1"][1])
    assert by["district:D2"][0] == 1 and by["district:D2"][1] == 0.0


def test_target_rows_from_onset_and_none_when_the_target_applies_to_nobody():
    t = Target("8min", 480.0, "fire", "onset")
    rows = {r[2]: r[3:] for r in target_rows(incidents(), t, CAT)}
    # the two fires, 260 and 460 s after onset: both within 480 s
    assert nan_equal(rows["city"], (2, 1.0, 360.0, 360.0, 440.0, 450.0))
    assert target_rows(incidents(), Target("60min", 3600.0, "air", "alarm"), CAT) == []


def test_force_rows_only_for_the_forces_of_that_headline_target():
    df = incidents()
    # 30min is the target of fire, professional and social; only fire and professional have
    # types needing them here (no soc incident). Professional never came: measured as misses.
    rows = _force_rows(df, target("30min"), CAT)
    assert [r[2] for r in rows] == ["force:fire"]  # no prof/soc incident in the table
    assert nan_equal(rows[0][3:], (2, 1.0, 300.0, 300.0, 380.0, 390.0))
    df2 = pd.concat([df, df.iloc[[0]].assign(type="prof")], ignore_index=True)
    rows = {r[2]: r[3:] for r in _force_rows(df2, target("30min"), CAT)}
    assert nan_equal(rows["force:professional"], (1, 0.0, NAN, NAN, NAN, NAN))
    # the full assignment and targets of no force have no force rows
    assert _force_rows(df, target("full"), CAT) == []
    assert _force_rows(df, Target("30min", 1800.0, "full", "alarm"), CAT) == []
    assert _force_rows(df, target("8min"), CAT) == []
    # a force row needs its own arrival column and the origin column
    assert _force_rows(df.drop(columns="first_fire_s"), target("30min"), CAT) == []
    assert _force_rows(df.drop(columns="alarm_s"), target("30min"), CAT) == []


def test_air_force_rows_count_the_incidents_that_called_a_helicopter():
    df = incidents().assign(
        first_air_s=[3000.0, NAN, 4000.0],
        met_60=pd.array([True, None, False], "boolean"),
    )
    rows = _force_rows(df, target("60min"), CAT)
    # called for F1 (3000 s, met) and C (4000 s, missed); the catalogue's "heli" type unused
    assert [r[2] for r in rows] == ["force:air"]
    assert nan_equal(rows[0][3:], (2, 0.5, 3500.0, 3500.0, 3900.0, 3950.0))
    # without the flag column: the types needing air (none here)
    assert _force_rows(df.drop(columns="met_60"), target("60min"), CAT) == []


def test_compliance_table_columns_types_and_default_catalogue():
    c = compliance_table(incidents(), CAT)
    assert list(c.columns) == COMPLIANCE_COLUMNS and c["count"].dtype == np.int64
    # the built-in catalogue does not know "fire"/"comm": no target applies
    assert compliance_table(incidents()).empty
    assert list(compliance_table(incidents()).columns) == COMPLIANCE_COLUMNS
    # only the targets asked for, in their order
    c = compliance_table(incidents(), CAT, (target("8min"), target("10min")))
    assert c["target"].drop_duplicates().tolist() == ["8min", "10min"]


def test_primary_rows_keep_each_targets_own_origin_unknown_targets_and_old_tables():
    c = pd.DataFrame(
        {
            "target": ["5min", "5min", "8min", "8min", "mine", "30min"],
            "from": ["dispatch", "onset", "alarm", "onset", "onset", None],
        }
    )
    assert primary_rows(c).index.tolist() == [0, 2, 4, 5]
    old = c.drop(columns="from")
    assert primary_rows(old) is old


# ---------------------------------------------------------------------------- the registry


def test_target_registry_thresholds_origins_and_keys():
    h = 3600.0
    assert [(t.name, t.threshold_s, t.arrival, t.origin) for t in PRIMARY] == [
        ("10min", 600.0, "community", "alarm"),
        ("30min", 1800.0, "ground", "alarm"),
        ("60min", 3600.0, "air", "alarm"),
        ("5min", 300.0, "fire", "dispatch"),
        ("8min", 480.0, "fire", "alarm"),
        ("full", 1800.0, "full", "alarm"),
        ("rescue_6h", 6 * h, "rescue", "onset"),
        ("rescue_24h", 24 * h, "rescue", "onset"),
        ("rescue_72h", 72 * h, "rescue", "onset"),
    ]
    assert HEADLINE == ("10min", "30min", "60min") and CELL_MIN_INCIDENTS == 20
    assert TARGETS[:9] == PRIMARY
    # the onset variants of the targets not measured from the onset already
    onset = TARGETS[9:]
    assert [(t.name, t.threshold_s, t.arrival, t.origin) for t in onset] == [
        (t.name, t.threshold_s, t.arrival, "onset") for t in PRIMARY[:6]
    ]
    assert onset[0].label == "10 min: community responder (from onset)"
    assert [t.key for t in TARGETS] == [
        "10min",
        "30min",
        "60min",
        "5min",
        "8min",
        "full",
        "rescue_6h",
        "rescue_24h",
        "rescue_72h",
        "10min@onset",
        "30min@onset",
        "60min@onset",
        "5min@onset",
        "8min@onset",
        "full@onset",
    ]
    assert PRIMARY_ORIGIN["5min"] == "dispatch" and PRIMARY_ORIGIN["rescue_6h"] == "onset"
    assert Target("mine", 1.0, "fire", "onset").key == "mine"  # unregistered: its own origin


def test_the_onset_variant_of_a_target_changes_only_its_origin_and_label():
    # (called here, not only at import: TARGETS is built when the module loads)
    assert _onset(PRIMARY[3]) == Target(
        "5min", 300.0, "fire", "onset", "5 min: first fire vehicle after dispatch (from onset)"
    )
    assert _onset(Target("x", 1.0, "air", "alarm")) == Target(
        "x", 1.0, "air", "onset", " (from onset)"
    )


def test_target_lookup_by_name_and_origin():
    assert target("5min") == PRIMARY[3]
    assert target("5min", "onset") == TARGETS[12]
    with pytest.raises(KeyError, match=r"no target '5min' from 'alarm'; known: \['10min'"):
        target("5min", "alarm")
    with pytest.raises(KeyError, match="no target 'nope' from None"):
        target("nope")


# ---- all groups at once: the same numbers as stats() group by group, to the bit ------------
_TIMES = st.one_of(
    st.just(math.nan),
    st.sampled_from([0.0, 60.0, 600.0, 600.0000000000001, 1800.0]),
    st.floats(0.0, 1e6, allow_nan=False),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(_TIMES, min_size=1, max_size=12), min_size=1, max_size=8),
    st.integers(1, 4),
    st.booleans(),
)
def test_group_stats_equals_stats_of_each_group_bit_for_bit(groups, min_count, known):
    """Counts, met shares, means and numpy.percentile's p50/p90/p95 of every group, with
    NaNs (never reached), ties at the threshold, groups below ``min_count`` and unknown
    times: the vectorised path gives exactly stats()'s floats (NaN where stats has NaN)."""
    r = np.array([x for g in groups for x in g], float)
    bounds = np.cumsum([0] + [len(g) for g in groups])
    got = group_stats(r, bounds, 600.0, min_count, known)
    want = [stats(np.array(g, float), 600.0, min_count, known) for g in groups]
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert a[0] == b[0]
        for x, y in zip(a[1:], b[1:], strict=True):
            assert (math.isnan(x) and math.isnan(y)) or x == y, (a, b)


def test_scope_keys_compare_keys_as_text_and_skip_missing_and_empty():
    """Keys sorted as text (so "10" before "9"), None/NaN and "" coded −1."""
    codes, names = scope_keys(pd.Series(["9", 10, None, "", "9", math.nan, "a"], dtype=object))
    assert names[codes[codes >= 0]].tolist() == ["9", "10", "9", "a"]
    assert codes.tolist()[2:6] == [-1, -1, codes[0], -1]
    assert sorted(set(names[codes[codes >= 0]].tolist())) == ["10", "9", "a"]


@pytest.mark.parametrize("size", [3, 65_536, 65_537, 200_000])
def test_stable_order_is_a_stable_argsort_on_either_side_of_16_bits(size):
    """Radix (codes < 65 536) or merge sort: the same permutation as a stable argsort, ties
    kept in their order — including codes 65 535 and above, which must not wrap."""
    rng = np.random.default_rng(size)
    codes = rng.integers(0, size, 5_000)
    codes[:3] = size - 1
    assert np.array_equal(stable_order(codes, size), np.argsort(codes, kind="stable"))
