"""MCLP and LSCP built sparse and passed to HiGHS (highspy) directly, for large instances.

spopt builds its covering constraints as PuLP expressions over the whole dense demand ×
candidate matrix (≈ 5 M Python terms for 4 000 × 1 350, several minutes), although each
demand point is within reach of only a few dozen candidates. The same formulations
(Church & ReVelle 1974 for MCLP, Toregas et al. 1971 for LSCP, as in spopt) are built
here from the sparse coverage matrix and solved by HiGHS; ``tests/test_siting.py`` checks
both routes give the hand-worked answers.

MCLP: max Σ wᵢ yᵢ  s.t.  yᵢ − Σ_{j covers i} xⱼ ≤ 0,  Σ xⱼ = k,  x, y ∈ {0, 1}.
LSCP: min Σ xⱼ      s.t.  Σ_{j covers i} xⱼ ≥ 1,      x ∈ {0, 1}.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp


@contextmanager
def quiet() -> Iterator[None]:
    """Silence HiGHS's banner, which it prints from C straight to file descriptor 1."""
    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def _solve(
    cost: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    a: sp.csc_matrix,
    row_lo: np.ndarray,
    row_hi: np.ndarray,
    maximise: bool,
) -> np.ndarray:
    import highspy  # noqa: PLC0415 — solver loaded on use

    with quiet():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lower, upper
    lp.row_lower_, lp.row_upper_ = row_lo, row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    lp.sense_ = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
    lp.integrality_ = [highspy.HighsVarType.kInteger] * a.shape[1]
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"HiGHS: {h.modelStatusToString(h.getModelStatus())}")
    return np.asarray(h.getSolution().col_value, float)


def mclp(cover: sp.csr_matrix, weights: np.ndarray, k: int) -> np.ndarray:
    """Chosen columns of ``cover`` (demand × candidates, 1 = within reach) maximising the
    covered weight with exactly ``k`` candidates."""
    m, n = cover.shape
    # columns: x_0..x_{n-1}, y_0..y_{m-1}; rows: m coverage rows, then Σx = k
    cov = sp.hstack([-cover, sp.identity(m, format="csr")], format="csr")
    card = sp.csr_matrix((np.ones(n), (np.zeros(n, int), np.arange(n))), shape=(1, n + m))
    a = sp.vstack([cov, card], format="csc")
    cost = np.concatenate([np.zeros(n), np.asarray(weights, float)])
    x = _solve(
        cost,
        np.zeros(n + m),
        np.ones(n + m),
        a,
        np.concatenate([np.full(m, -np.inf), [k]]),
        np.concatenate([np.zeros(m), [k]]),
        maximise=True,
    )
    return np.flatnonzero(x[:n] > 0.5)


def lscp(cover: sp.csr_matrix) -> np.ndarray:
    """Fewest columns of ``cover`` such that every row is covered (each row must be
    coverable)."""
    m, n = cover.shape
    x = _solve(
        np.ones(n),
        np.zeros(n),
        np.ones(n),
        cover.tocsc(),
        np.ones(m),
        np.full(m, np.inf),
        maximise=False,
    )
    return np.flatnonzero(x > 0.5)
