"""Validation against queueing theory: the engine as an M/M/c queue matches Erlang C, its
waiting-time distribution included, and with travel it stays inside M/G/c bounds.

One district, ``c`` fire engines at one station, each its own crew (``crews = "vehicle"``:
``c`` servers), every incident at the station's node
(zero travel), zero turnout, no call handling or set-up, Poisson arrivals (rate λ) and exponential work (mean 1/μ):
the share of incidents that find every unit busy and must queue is Erlang C,

    C(c, a) = (aᶜ/c!) · c/(c − a) / (Σ_{k<c} aᵏ/k! + (aᶜ/c!) · c/(c − a)),  a = λ/μ,

and the mean wait in queue is C/(cμ − λ). Incidents are serially correlated (a busy spell
makes several in a row wait), so the standard error comes from batch means.

Waiting-time distribution (M/M/c, FCFS): P(W > t) = C(c, a) · e^(−(cμ − λ)t), i.e. the wait
of those who wait is exponential with rate cμ − λ. Checked at loads ρ = a/c = 0.7, 0.8, 0.9:
the share waiting, three tail points and a Kolmogorov–Smirnov test of the conditional wait
(the empirical CDF at the nine deciles with batch-means errors, at every load; scipy's KS
test on a thinned, nearly independent sample at 0.7 — within a busy period waits are
strongly correlated, lag-20 autocorrelation 0.2 at ρ = 0.7 and 0.8 at ρ = 0.9, so a plain
KS p-value on all waits would be invalid).

M/G/c with travel: every incident at n21, 3 streets (300 s at night, ×1.10 off-peak,
×1.30 at peak) from the only station; a unit is busy for travel out + work + travel back
(or straight to the next queued incident at the same node: no travel). Each incident's
server time lies between W (its work) and W + 2T, and FCFS multi-server waits are
monotone in service times (Kiefer–Wolfowitz recursion), so the mean queue wait lies between
the M/M/c wait with service W alone (exact, Erlang C) and the M/G/c wait with service
W + 2T, for which we use the Allen–Cunneen approximation
Wq ≈ C(c, a)/(cμ − λ) · (c_a² + c_s²)/2 (Poisson arrivals: c_a² = 1; c_s² the squared
coefficient of variation of W + 2T). The upper end is an approximation (typically within
~10 % for M/G/c), so the bound is used with that margin. Heavier versions: bench/queueing.py.
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats
from tinycity import simulate_script, tiny_city

from twin.sim.engine import EngineConfig
from twin.sim.events import DISPATCHED
from twin.sim.forces import DEFAULT_FORCES
from twin.sim.incidents import CATALOGUE, Exponential, IncidentType
from twin.sim.params import TimeChain


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load ``a`` (< c)."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def test_erlang_c_known_values():
    assert erlang_c(1, 0.5) == 0.5  # M/M/1: P(wait) = ρ
    assert math.isclose(erlang_c(2, 1.0), 1 / 3)
    # by hand: Σ = 1 + 2.1 + 2.205 = 5.305; top = 2.1³/6 · 3/0.9 = 5.145 → 5.145/10.45
    assert math.isclose(erlang_c(3, 2.1), 5.145 / 10.45, rel_tol=1e-9)


def batch_se(x: np.ndarray, batches: int = 40) -> float:
    """Standard error of the mean of a correlated series, by batch means."""
    means = np.array([b.mean() for b in np.array_split(x, batches)])
    return float(means.std(ddof=1) / math.sqrt(batches))


WORK_S = 1800.0
C_UNITS = 3


@functools.lru_cache(maxsize=4)
def mmc_run(
    load: float,
    n: int,
    seed: int,
    node: str = "n00",
    work_s: float = WORK_S,
    mean_service_s: float | None = None,
):
    """c = 3 engines at F1, turnout 0, Poisson alarms at ``node`` with offered load
    ``load`` × c per (``mean_service_s``, default the work); returns the run."""
    lam = load * C_UNITS / (mean_service_s or work_s)
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.exponential(1 / lam, n))
    kind = IncidentType("mmc", "排队", 0.0, (("fire", 1),), Exponential(work_s))
    forces = dict(DEFAULT_FORCES)
    forces["fire"] = replace(forces["fire"], turnout_s=0.0, turnout_night_s=None, setup_s=0.0)
    cfg = EngineConfig(
        catalogue={**CATALOGUE, "mmc": kind},
        forces=forces,
        use_cache=False,
        chain=TimeChain.none(),
        crews="vehicle",
    )  # no call handling, no travel noise; every engine its own crew: c servers (with
    # station crews the station's 1–2 crews would be the servers, twin.sim.turnouts)
    city = tiny_city(units={"F1": C_UNITS, "F2": 0, "F3": 0})
    return simulate_script(
        city,
        [(float(x), "mmc", node) for x in t],
        config=cfg,
        duration_s=float(t[-1]) + 1.0,
        seed=seed,
    ), lam


def queue_waits(sim, warmup: int) -> np.ndarray:
    """Seconds from the alarm to the first dispatch order of each incident (after warmup)."""
    first = {}
    for ev in sim.events:
        if ev[1] == DISPATCHED and ev[2] not in first:
            first[ev[2]] = ev[0]
    return np.array([first[i.id] - i.alarm for i in sim.incidents[warmup:]])


RUNS = {0.7: (40_000, 12345), 0.8: (12_000, 80), 0.9: (12_000, 90)}
"""Load → (incidents, seed); 0.7 is long enough for an independent thinned sample."""


def test_share_waiting_matches_erlang_c():
    # ρ = 0.7, c = 3 (a = 2.1): the share that waits and the mean wait C/(cμ − λ)
    sim, lam = mmc_run(0.7, *RUNS[0.7])
    incs = sim.incidents[500:]
    waited = np.array([i.queued for i in incs], float)
    wait_s = queue_waits(sim, 500)
    expected = erlang_c(C_UNITS, 2.1)
    se = batch_se(waited)
    assert se < 0.02  # the check is tight enough to mean something
    assert abs(waited.mean() - expected) < 4 * se, (waited.mean(), expected, se)
    expected_wait = expected / (C_UNITS / WORK_S - lam)
    assert abs(wait_s.mean() - expected_wait) < 4 * batch_se(wait_s), (wait_s.mean(), expected_wait)
    # nobody who found a unit free waited at all
    assert np.all(wait_s[waited == 0] < 1e-6)


@pytest.mark.parametrize("rho", [0.7, 0.8, 0.9])
def test_waiting_time_distribution_matches_mmc(rho):
    sim, lam = mmc_run(rho, *RUNS[rho])
    w = queue_waits(sim, 400)
    a, mu = rho * C_UNITS, 1 / WORK_S
    pc, rate = erlang_c(C_UNITS, a), C_UNITS * mu - lam
    waited = (w > 1e-6).astype(float)
    se = batch_se(waited)
    assert se < 0.03
    assert abs(waited.mean() - pc) < 4 * se, (waited.mean(), pc, se)
    for k in (0.5, 1.0, 2.0):  # P(W > t) at t = k mean conditional waits
        t = k / rate
        tail = (w > t).astype(float)
        want = pc * math.exp(-rate * t)
        assert abs(tail.mean() - want) < 4 * batch_se(tail) + 0.005, (k, tail.mean(), want)
    cond = w[w > 1e-6]
    # distribution: the conditional wait's CDF at its nine theoretical deciles, each within
    # 4 batch-means SE — a KS-type test whose error bars respect the serial correlation
    for q in np.arange(0.1, 1.0, 0.1):
        x = -math.log(1 - q) / rate  # Exp(rate) quantile
        below = (cond <= x).astype(float)
        assert abs(below.mean() - q) < 4 * batch_se(below, 20) + 0.005, (q, below.mean())
    if rho == 0.7:
        # scipy's KS needs independent draws: keep every 40th (lag-40 autocorrelation of
        # the conditional waits ≈ 0 at this load; at 0.8–0.9 busy periods are too long)
        thin = cond[::40]
        assert len(thin) >= 300
        assert stats.kstest(thin, stats.expon(scale=1 / rate).cdf).pvalue > 0.001
        # power: a 50 % longer mean wait is rejected on the same sample
        assert stats.kstest(thin, stats.expon(scale=1.5 / rate).cdf).pvalue < 0.01


def allen_cunneen(c: int, lam: float, mean_s: float, scv: float) -> float:
    """Allen–Cunneen M/G/c mean queue wait (s): Erlang-C wait × (1 + c_s²)/2."""
    a = lam * mean_s
    return erlang_c(c, a) / (c / mean_s - lam) * (1 + scv) / 2


def test_mgc_with_travel_lies_between_the_bounds():
    # travel to n21 by period: night 8 h × 300 s, off-peak 12 h × 330 s, peak 4 h × 390 s
    t_mean = (8 * 300 + 12 * 330 + 4 * 390) / 24  # 330 s
    t_var = (8 * 300**2 + 12 * 330**2 + 4 * 390**2) / 24 - t_mean**2  # 900 s²
    work = 1200.0
    s_mean = work + 2 * t_mean  # 1860 s
    scv = (work**2 + 4 * t_var) / s_mean**2  # 0.417
    sim, lam = mmc_run(0.7, 12_000, seed=11, node="n21", work_s=work, mean_service_s=s_mean)
    w = queue_waits(sim, 400)
    low = erlang_c(C_UNITS, lam * work) / (C_UNITS / work - lam)  # service W only
    high = allen_cunneen(C_UNITS, lam, s_mean, scv)  # service W + 2T
    se = batch_se(w)
    assert low < high / 3  # the bracket means something: travel triples the wait at least
    assert low - 4 * se <= w.mean() <= 1.1 * high + 4 * se, (low, w.mean(), high, se)
