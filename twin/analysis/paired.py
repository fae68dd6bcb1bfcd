"""Statistics for comparing scenarios over common seeds: paired intervals and multiplicity.

Two scenarios run over the same N seeds share the incidents they do not change (common
random numbers), so the right unit is the *paired difference* per seed, d_i = other_i −
base_i. For a measure such as a p90 (seconds) the 95 % interval is the Student-t interval
on those differences (:func:`paired_t`; scipy.stats). For a share met, per-seed differences
of shares close to 0 or 1 are often all zero or nearly so, and a t interval then collapses
to a point; there :func:`newcombe` (Newcombe 1998, method 10: hybrid Wilson score interval
for a difference of two proportions, incidents pooled over seeds) is used instead. It treats
the two arms as independent, which with common random numbers makes it conservative (wider
than needed), never falsely narrow. :func:`share_difference` picks between the two.

Every interval comes with a p-value obtained by inverting it (the largest level at which
the interval still covers zero), so a mark "interval excludes zero" and "p < 0.05" always
agree. Over a family of districts or cells, :func:`holm` adjusts the p-values (Holm 1979,
family-wise error rate) and intervals are widened to the Bonferroni level 1 − 0.05/K
(simultaneous coverage ≥ 95 %).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

LEVEL = 0.95
NEAR_EDGE = 0.05
"""A share within this of 0 or 1 (in either scenario) is interval-estimated by Newcombe."""


@dataclass(frozen=True)
class Interval:
    """A difference (other − base) with its interval and the p-value that inverts it."""

    estimate: float
    low: float
    high: float
    p: float
    n: int
    method: str

    @property
    def excludes_zero(self) -> bool:
        """True when the whole interval lies on one side of zero."""
        return bool(self.low > 0 or self.high < 0)


NONE = Interval(math.nan, math.nan, math.nan, math.nan, 0, "none")


def paired_t(diffs: np.ndarray, level: float = LEVEL) -> Interval:
    """Student-t interval of the mean of paired differences ``diffs`` (NaNs dropped).

    Fewer than two differences give no interval (NaN bounds). All differences equal give
    a zero-width interval with p = 0 if they are non-zero, p = 1 if they are all zero."""
    d = np.asarray(diffs, float)
    d = d[~np.isnan(d)]
    n = len(d)
    if n == 0:
        return NONE
    mean = float(d.mean())
    if n < 2:
        return Interval(mean, math.nan, math.nan, math.nan, n, "t")
    sd = float(d.std(ddof=1))
    if sd == 0.0:
        return Interval(mean, mean, mean, 0.0 if mean != 0 else 1.0, n, "t")
    se = sd / math.sqrt(n)
    q = float(stats.t.ppf(0.5 + level / 2, n - 1))
    p = float(2 * stats.t.sf(abs(mean) / se, n - 1))
    return Interval(mean, mean - q * se, mean + q * se, p, n, "t")


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def wilson(k: float, n: float, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval for a proportion ``k``/``n`` (NaNs when ``n`` is 0)."""
    return _wilson_z(k, n, _z(level))


def _wilson_z(k: float, n: float, z: float) -> tuple[float, float]:
    if n <= 0:
        return math.nan, math.nan
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(max(p * (1 - p) / n + z * z / (4 * n * n), 0.0)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _newcombe_bounds(
    k1: float, n1: float, k0: float, n0: float, z: float
) -> tuple[float, float, float]:
    p1, p0 = k1 / n1, k0 / n0
    l1, u1 = _wilson_z(k1, n1, z)
    l0, u0 = _wilson_z(k0, n0, z)
    d = p1 - p0
    return (
        d,
        d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2),
        d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2),
    )


def newcombe(
    k_other: float, n_other: float, k_base: float, n_base: float, level: float = LEVEL
) -> Interval:
    """Newcombe's hybrid score interval for ``k_other/n_other − k_base/n_base``; its
    p-value is 2·(1 − Φ(z*)) where z* is the z at which the interval just touches zero
    (found by root finding)."""
    if n_other <= 0 or n_base <= 0:
        return NONE
    d, lo, hi = _newcombe_bounds(k_other, n_other, k_base, n_base, _z(level))
    n = int(min(n_other, n_base))
    if d == 0:
        return Interval(0.0, lo, hi, 1.0, n, "newcombe")

    def gap(z: float) -> float:  # > 0 while the interval at this z excludes zero
        _, low, high = _newcombe_bounds(k_other, n_other, k_base, n_base, z)
        return low if d > 0 else -high

    z_hi = 40.0
    if gap(z_hi) > 0:
        p = 0.0
    else:
        p = float(2 * stats.norm.sf(optimize.brentq(gap, 0.0, z_hi, xtol=1e-9)))
    return Interval(d, lo, hi, p, n, "newcombe")


def share_difference(
    met_other: np.ndarray,
    n_other: np.ndarray,
    met_base: np.ndarray,
    n_base: np.ndarray,
    level: float = LEVEL,
) -> Interval:
    """Difference of shares met (other − base) over paired seeds.

    ``met_*`` and ``n_*`` are per-seed counts of incidents meeting the measure and of
    incidents it applies to. Paired t on per-seed shares when both pooled shares are
    between :data:`NEAR_EDGE` and 1 − NEAR_EDGE and the differences vary; otherwise
    Newcombe on the pooled counts (conservative)."""
    mo, no = np.asarray(met_other, float), np.asarray(n_other, float)
    mb, nb = np.asarray(met_base, float), np.asarray(n_base, float)
    both = (no > 0) & (nb > 0)
    if not both.any():
        return NONE
    po, pb = mo[both].sum() / no[both].sum(), mb[both].sum() / nb[both].sum()
    diffs = mo[both] / no[both] - mb[both] / nb[both]
    edge = min(po, pb) < NEAR_EDGE or max(po, pb) > 1 - NEAR_EDGE
    if both.sum() >= 2 and not edge and np.std(diffs) > 0:
        return paired_t(diffs, level)
    nc = newcombe(mo[both].sum(), no[both].sum(), mb[both].sum(), nb[both].sum(), level)
    return Interval(nc.estimate, nc.low, nc.high, nc.p, int(both.sum()), nc.method)


def holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (family-wise error rate); NaNs stay NaN and are
    not counted in the family."""
    p = np.asarray(p, float)
    out = np.full(len(p), np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adj, 1.0)
    return out


def family_level(k: int, level: float = LEVEL) -> float:
    """Bonferroni level for ``k`` simultaneous intervals (``level`` when k ≤ 1)."""
    return 1 - (1 - level) / max(k, 1)
