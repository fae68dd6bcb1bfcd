"""Validation against queueing theory: the engine as an M/M/c queue matches Erlang C.

One district, ``c`` fire engines at one station, every incident at the station's node
(zero travel), zero turnout, no call handling or set-up, Poisson arrivals (rate λ) and exponential work (mean 1/μ):
the share of incidents that find every unit busy and must queue is Erlang C,

    C(c, a) = (aᶜ/c!) · c/(c − a) / (Σ_{k<c} aᵏ/k! + (aᶜ/c!) · c/(c − a)),  a = λ/μ,

and the mean wait in queue is C/(cμ − λ). Incidents are serially correlated (a busy spell
makes several in a row wait), so the standard error comes from batch means.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from tinycity import simulate_script, tiny_city
from twin.sim.engine import EngineConfig
from twin.sim.forces import DEFAULT_FORCES
from twin.sim.incidents import CATALOGUE, Exponential, IncidentType
from twin.sim.params import TimeChain


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load ``a`` (< c)."""
    top = a ** c / math.factorial(c) * c / (c - a)
    return top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)


def test_erlang_c_known_values():
    assert erlang_c(1, 0.5) == 0.5  # M/M/1: P(wait) = ρ
    assert math.isclose(erlang_c(2, 1.0), 1 / 3)
    # by hand: Σ = 1 + 2.1 + 2.205 = 5.305; top = 2.1³/6 · 3/0.9 = 5.145 → 5.145/10.45
    assert math.isclose(erlang_c(3, 2.1), 5.145 / 10.45, rel_tol=1e-9)


def batch_se(x: np.ndarray, batches: int = 40) -> float:
    """Standard error of the mean of a correlated series, by batch means."""
    means = np.array([b.mean() for b in np.array_split(x, batches)])
    return float(means.std(ddof=1) / math.sqrt(batches))


def test_share_waiting_matches_erlang_c():
    c, mean_work_s, load = 3, 1800.0, 2.1
    lam = load / mean_work_s
    n, warmup = 40_000, 500
    rng = np.random.default_rng(12345)
    t = np.cumsum(rng.exponential(1 / lam, n))
    kind = IncidentType("mmc", "排队", 0.0, (("fire", 1),), Exponential(mean_work_s))
    forces = dict(DEFAULT_FORCES)
    forces["fire"] = replace(forces["fire"], turnout_s=0.0, turnout_night_s=None, setup_s=0.0)
    cfg = EngineConfig(catalogue={**CATALOGUE, "mmc": kind}, forces=forces, use_cache=False,
                       chain=TimeChain.none())  # no call handling, no travel noise
    city = tiny_city(units={"F1": c, "F2": 0, "F3": 0})
    sim = simulate_script(city, [(float(x), "mmc", "n00") for x in t], config=cfg,
                          duration_s=float(t[-1]) + 1.0, seed=1)
    incs = sim.incidents[warmup:]
    waited = np.array([i.queued for i in incs], float)
    wait_s = np.array([i.first[1] - i.alarm for i in incs])
    expected = erlang_c(c, load)
    se = batch_se(waited)
    assert se < 0.02  # the check is tight enough to mean something
    assert abs(waited.mean() - expected) < 4 * se, (waited.mean(), expected, se)
    expected_wait = expected / (c / mean_work_s - lam)
    assert abs(wait_s.mean() - expected_wait) < 4 * batch_se(wait_s), (wait_s.mean(), expected_wait)
    # nobody who found a unit free waited at all
    assert np.all(wait_s[waited == 0] < 1e-6)
