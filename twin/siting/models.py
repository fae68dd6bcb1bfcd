"""The location models (PySAL spopt) solved with HiGHS, with existing stations kept fixed.

Existing stations are a fixed alternative for every demand point, folded into the data so
any spopt version's plain ``from_cost_matrix`` serves:

- **MCLP** (maximal covering; Church & ReVelle 1974): choose ``k`` sites maximising the people
  newly brought within ``minutes`` — demand already within reach of an existing station is
  given weight 0 (it is covered whatever is chosen);
- **LSCP** (set covering; Toregas et al. 1971): the fewest new sites so that every demand
  point not yet covered, and coverable by some candidate, is within ``minutes`` (``k`` is the
  answer, not an input);
- **p-median** (Hakimi 1964): ``k`` sites minimising people-weighted travel time, each point's
  cost capped at its existing station's time (min(new, existing) is what it would get);
- **p-center**: ``k`` sites minimising the worst capped time.

The solver is HiGHS through PuLP's ``HiGHS`` interface (highspy). spopt and pulp are
imported lazily (only ``twin site`` needs them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from twin.siting import covering
from twin.siting.problem import SitingProblem

OBJECTIVES = ("mclp", "lscp", "pmedian", "pcenter")
SPOPT_MAX_TERMS = 200_000
"""Above this many demand × candidate entries spopt's dense PuLP build takes minutes: the
covering models then go to HiGHS directly (same formulation, sparse)."""
BIG_S = 6 * 3600.0
"""Cost used for unreachable pairs in the median/center models (6 h: never chosen)."""


@dataclass(frozen=True)
class Solution:
    """Chosen candidate indices, and the figures before/after (people, seconds)."""

    objective: str
    chosen: np.ndarray
    covered_before: float
    covered_after: float
    mean_s_before: float
    mean_s_after: float
    worst_s_before: float
    worst_s_after: float
    solve_s: float

    @property
    def coverage_gain(self) -> float:
        """People newly within the coverage time."""
        return self.covered_after - self.covered_before


def _solver() -> Any:
    import pulp  # noqa: PLC0415 — solver libraries loaded on use

    return pulp.HiGHS(msg=False)


def _selected(model: Any, n: int) -> np.ndarray:
    fac_vars = model.fac_vars
    return np.array([j for j in range(n) if (fac_vars[j].value() or 0) > 0.5], np.int64)


def evaluate(p: SitingProblem, chosen: np.ndarray, limit_s: float) -> tuple[float, float, float]:
    """(people within ``limit_s``, people-weighted mean time s, worst time s) with the
    existing stations plus candidates ``chosen``; unreachable points count at BIG_S."""
    t = p.existing_s.copy()
    if len(chosen):
        t = np.minimum(t, p.times_s[:, chosen].min(axis=1))
    t = np.where(np.isfinite(t), t, BIG_S)
    w = p.demand_people
    return float(w[t <= limit_s].sum()), float((w * t).sum() / w.sum()), float(t.max())


def solve(
    p: SitingProblem, objective: str, k: int, minutes: float, backend: str = "auto"
) -> Solution:
    """Solve ``objective`` for ``k`` new stations (LSCP: as many as needed) on ``p``.

    ``backend``: ``spopt`` (PySAL's models through PuLP), ``highs`` (covering models built
    sparse for HiGHS directly, :mod:`twin.siting.covering`), or ``auto``: spopt unless a
    covering model's reduced matrix exceeds :data:`SPOPT_MAX_TERMS` entries."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}")
    limit = minutes * 60.0
    t0 = time.perf_counter()
    if objective in ("mclp", "lscp") and backend != "spopt":
        rows, cols = _reduced(p, objective, limit)
        if backend == "highs" or len(rows) * len(cols) > SPOPT_MAX_TERMS:
            chosen = _covering_highs(p, objective, k, limit, rows, cols)
            return _solution(p, objective, chosen, limit, time.perf_counter() - t0)
    rows, cols, model = _model(p, objective, k, limit)
    if model is None:
        chosen = np.empty(0, np.int64)
    else:
        with covering.quiet():
            model.solve(_solver(), results=False)
        chosen = cols[_selected(model, len(cols))]
    return _solution(p, objective, chosen, limit, time.perf_counter() - t0)


def _reduced(p: SitingProblem, objective: str, limit: float) -> tuple[np.ndarray, np.ndarray]:
    """Rows (demand) and columns (candidates) that matter to a covering model."""
    useful = (p.times_s <= limit) & (p.existing_s > limit)[:, None]
    rows = np.flatnonzero(useful.any(axis=1))
    return rows, np.flatnonzero(useful[rows].any(axis=0))


def _covering_highs(
    p: SitingProblem, objective: str, k: int, limit: float, rows: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    if len(rows) == 0 or len(cols) == 0:
        return np.empty(0, np.int64)
    cover = sp.csr_matrix(p.times_s[np.ix_(rows, cols)] <= limit, dtype=float)
    if objective == "mclp":
        return cols[covering.mclp(cover, p.demand_people[rows], min(k, len(cols)))]
    return cols[covering.lscp(cover)]


def _model(
    p: SitingProblem, objective: str, k: int, limit: float
) -> tuple[np.ndarray, np.ndarray, Any]:
    """The spopt model on the demand points and candidates that matter (exact reduction:
    a demand point no candidate can improve adds the same to every solution, a candidate
    that improves no point is never needed); returns (rows, cols, model or None)."""
    from spopt.locate import LSCP, MCLP, PCenter, PMedian  # noqa: PLC0415 — solver libraries loaded on use

    t = np.where(np.isfinite(p.times_s), p.times_s, BIG_S)
    cap = np.where(np.isfinite(p.existing_s), p.existing_s, BIG_S)
    if objective in ("mclp", "lscp"):
        useful = (t <= limit) & (cap > limit)[:, None]
    else:
        useful = t < cap[:, None]
    rows = np.flatnonzero(useful.any(axis=1)) if objective != "pcenter" else np.arange(len(t))
    cols = np.flatnonzero(useful[rows].any(axis=0)) if len(rows) else np.empty(0, np.int64)
    if len(rows) == 0 or len(cols) == 0:
        return rows, cols, None
    kk = min(k, len(cols))
    sub = t[np.ix_(rows, cols)]
    if objective == "mclp":
        return (
            rows,
            cols,
            MCLP.from_cost_matrix(
                sub, p.demand_people[rows], service_radius=limit, p_facilities=kk
            ),
        )
    if objective == "lscp":
        return rows, cols, LSCP.from_cost_matrix(sub, service_radius=limit)
    sub = np.minimum(sub, cap[rows][:, None])
    if objective == "pmedian":
        return rows, cols, PMedian.from_cost_matrix(sub, p.demand_people[rows], p_facilities=kk)
    return rows, cols, PCenter.from_cost_matrix(sub, p_facilities=kk)


def _solution(
    p: SitingProblem, objective: str, chosen: np.ndarray, limit: float, solve_s: float
) -> Solution:
    before = evaluate(p, np.empty(0, np.int64), limit)
    after = evaluate(p, chosen, limit)
    return Solution(
        objective, chosen, before[0], after[0], before[1], after[1], before[2], after[2], solve_s
    )


def budget(p: SitingProblem, objective: str, ks: range, minutes: float) -> list[Solution]:
    """The solution for each ``k`` in ``ks`` (where returns diminish)."""
    return [solve(p, objective, k, minutes) for k in ks]


def least_needed(p: SitingProblem, k: int, minutes: float) -> np.ndarray:
    """The ``k`` existing stations whose removal loses the fewest people within ``minutes``
    (people no other existing station reaches in time), one at a time (greedy). With
    :func:`solve` on ``p.without(these)`` this is ``twin site --move``: a heuristic (least
    needed first, then the best new places), not a joint optimum."""
    limit = minutes * 60.0
    chosen: list[int] = []
    for _ in range(min(k, len(p.existing_ids))):
        best, best_loss = -1, np.inf
        for s in range(len(p.existing_ids)):
            if s in chosen:
                continue
            rest = np.setdiff1d(np.arange(len(p.existing_ids)), chosen + [s])
            t = (
                p.existing_times[rest].min(axis=0)
                if len(rest)
                else np.full(len(p.demand_node), np.inf)
            )
            loss = float(p.demand_people[(p.existing_s <= limit) & (t > limit)].sum())
            if loss < best_loss:
                best, best_loss = s, loss
        chosen.append(best)
    return np.asarray(chosen, np.int64)
