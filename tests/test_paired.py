"""Paired intervals, Newcombe/Wilson for shares, Holm: coverage on fixed synthetic seeds and
hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from twin.analysis.comparison import paired_table
from twin.analysis.paired import family_level, holm, newcombe, paired_t, share_difference, wilson
from twin.analysis.sweep import summarise


def test_paired_t_matches_the_textbook_formula():
    """d = (1, 2, 3): mean 2, sd 1, se 1/√3, t(0.975, 2) = 4.303 → 2 ± 2.484."""
    iv = paired_t(np.array([1.0, 2.0, 3.0]))
    q = stats.t.ppf(0.975, 2)
    assert iv.estimate == 2.0
    assert iv.low == pytest.approx(2 - q / math.sqrt(3)) and iv.high == pytest.approx(
        2 + q / math.sqrt(3)
    )
    assert not iv.excludes_zero and iv.method == "t"  # −0.48 to 4.48
    assert iv.p == pytest.approx(2 * stats.t.sf(2 * math.sqrt(3), 2))
    assert math.isnan(paired_t(np.array([5.0])).low)  # one pair: no interval


def test_zero_true_difference_interval_covers_zero_91_to_98_percent():
    """200 fixed seeds; each a paired experiment of 20 replications whose two arms share a
    common part (common random numbers) plus independent noise of equal variance: the true
    difference is zero, so the 95 % interval should cover zero ~95 % of the time."""
    covered = 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        common = rng.normal(600.0, 120.0, 20)
        base = common + rng.normal(0, 30, 20)
        other = common + rng.normal(0, 30, 20)
        iv = paired_t(other - base)
        covered += iv.low <= 0 <= iv.high
    assert 0.91 * 200 <= covered <= 0.98 * 200


def test_known_difference_is_found_and_covered():
    """other = base − 60 s + noise: the interval covers −60 in ~95 % of 200 seeds and
    excludes zero in (nearly) all of them (noise sd 30 s, n 20: se ≈ 6.7 s)."""
    covered = excluded = 0
    for seed in range(200):
        rng = np.random.default_rng(1000 + seed)
        common = rng.normal(600.0, 120.0, 20)
        base = common + rng.normal(0, 30, 20)
        other = common - 60 + rng.normal(0, 30, 20)
        iv = paired_t(other - base)
        covered += iv.low <= -60 <= iv.high
        excluded += iv.high < 0
    assert 0.91 * 200 <= covered <= 0.98 * 200
    assert excluded == 200


def test_shares_near_one_use_newcombe_and_never_collapse():
    """Both arms met 100 % (40/40 per seed): a t interval would be 0 – 0; Newcombe's is
    wider than zero on the losing side and still covers 0."""
    n = np.full(5, 40.0)
    iv = share_difference(n, n, n, n)
    assert iv.method == "newcombe"
    assert iv.low < 0 < iv.high or (iv.low < 0 and iv.high == pytest.approx(0.0, abs=1e-12))
    assert iv.p == 1.0


def test_newcombe_matches_the_published_example():
    """Newcombe (1998) Table II example (56/70 vs 48/80): difference 0.2, method-10
    interval 0.0524 to 0.3339."""
    iv = newcombe(56, 70, 48, 80)
    assert iv.estimate == pytest.approx(0.2)
    assert iv.low == pytest.approx(0.0524, abs=5e-4) and iv.high == pytest.approx(0.3339, abs=5e-4)
    assert 0 < iv.p < 0.05  # consistent with the interval excluding zero


def test_wilson_interval_of_all_successes_is_not_a_point():
    low, high = wilson(20, 20)
    assert high == 1.0 and 0.8 < low < 0.85  # 20/20: 0.839 – 1


def test_holm_by_hand():
    """p = (0.01, 0.04, 0.03), m = 3: sorted 0.01×3 = 0.03, 0.03×2 = 0.06, 0.04×1 → max(0.06,
    0.04) = 0.06."""
    assert holm(np.array([0.01, 0.04, 0.03])) == pytest.approx([0.03, 0.06, 0.06])
    assert np.isnan(holm(np.array([np.nan, 0.5]))[0])
    assert family_level(10) == pytest.approx(0.995)


def _rows(seeds: int, p90: np.ndarray, shift: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    base, other = [], []
    for s in range(seeds):
        for d in range(3):
            base.append(
                {
                    "target": "30min",
                    "scope": f"district:{d}",
                    "seed": s,
                    "count": 50,
                    "met_share": 0.9,
                    "p90_s": p90[s, d],
                }
            )
            other.append(
                {
                    "target": "30min",
                    "scope": f"district:{d}",
                    "seed": s,
                    "count": 50,
                    "met_share": 0.9,
                    "p90_s": p90[s, d]
                    + (shift if d == 0 else 0.0)
                    + np.random.default_rng(s * 10 + d).normal(0, 5),
                }
            )
    return pd.DataFrame(base), pd.DataFrame(other)


def test_district_family_is_holm_adjusted_and_intervals_are_simultaneous():
    rng = np.random.default_rng(7)
    base, other = _rows(12, rng.normal(700, 60, (12, 3)), shift=-120.0)
    t = paired_table(base, other, "opt")
    p90 = t[t["measure"] == "p90_s"].set_index("scope")
    assert (p90["family_size"] == 3).all()
    assert p90["level"].iloc[0] == pytest.approx(1 - 0.05 / 3)
    assert bool(p90.loc["district:0", "significant"])
    assert p90.loc["district:0", "high"] < 0
    assert (p90["p_holm"] >= p90["p"]).all()


def test_sweep_summary_uses_t_or_wilson():
    rows = pd.DataFrame(
        {
            "target": "30min",
            "scope": "city",
            "seed": [1, 2, 3],
            "count": [40, 40, 40],
            "met_share": [1.0, 1.0, 1.0],
            "p90_s": [600.0, 610.0, 620.0],
        }
    )
    s = summarise(rows).iloc[0]
    assert s["ci_method"] == "wilson" and s["ci_high"] == 1.0 and s["ci_low"] < 0.98
    rows["met_share"] = [0.7, 0.8, 0.75]
    s = summarise(rows).iloc[0]
    assert s["ci_method"] == "t"
    assert s["ci_low"] == pytest.approx(0.75 - stats.t.ppf(0.975, 2) * 0.05 / math.sqrt(3))


def test_ranking_orders_options_by_city_p90_cut():
    """Two options against one baseline: the one that cuts p90 more ranks first."""
    from twin.analysis.comparison import ranking

    base = pd.DataFrame(
        {
            "target": "30min",
            "scope": "city",
            "seed": range(6),
            "count": 50,
            "met_share": 0.9,
            "p90_s": [600.0, 620, 580, 640, 610, 590],
        }
    )
    small = base.assign(p90_s=base["p90_s"] - [10.0, 12, 9, 11, 10, 8])
    big = base.assign(p90_s=base["p90_s"] - [60.0, 58, 62, 61, 59, 60])
    table = pd.concat([paired_table(base, small, "small"), paired_table(base, big, "big")])
    r = ranking(table, "30min")
    assert r["option"].tolist() == ["big", "small"] and r["rank"].tolist() == [1, 2]
    assert r.loc[0, "city_p90_s_diff"] == pytest.approx(-60.0)
    assert r.loc[0, "city_p90_s_high"] < 0
