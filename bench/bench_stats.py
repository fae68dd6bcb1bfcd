"""Intervals, formatting and small helpers shared by the bench scripts (split out of
``bench/measures_common.py``, which re-exports them): 95 % Student-t intervals over seeds
(scipy.stats), Wilson intervals of shares, per-variant summaries of ``compliance.csv``-like
rows, and the command line that reproduces a run."""

from __future__ import annotations

import math
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from twin.analysis.compliance import primary_rows  # noqa: E402


def past(deadline: str | None) -> bool:
    """Is it past ``deadline`` ("HH:MM", UTC, today)? None: never. The bench scripts stop
    starting new work then and report what was done (and say what was not)."""
    if not deadline:
        return False
    now = time.gmtime()
    h, m = (int(x) for x in deadline.split(":"))
    return (now.tm_hour, now.tm_min) >= (h, m)


def t_interval(x: np.ndarray) -> tuple[float, float, float, int]:
    """(mean, low, high, n) with a 95 % Student-t interval over the finite values."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    m = float(x.mean())
    if n == 1:
        return m, math.nan, math.nan, 1
    h = float(stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return m, m - h, m + h, n


def wilson(k: int, n: int) -> tuple[float, float]:
    """95 % Wilson interval of a share k/n (scipy.stats.binomtest)."""
    if n == 0:
        return math.nan, math.nan
    ci = stats.binomtest(int(k), int(n)).proportion_ci(0.95, method="wilson")
    return float(ci.low), float(ci.high)


def span(lo: float, hi: float, fmt) -> str:
    """'lo–hi' or '–' when either end is missing."""
    return "–" if not (np.isfinite(lo) and np.isfinite(hi)) else f"{fmt(lo)}–{fmt(hi)}"


def summarise(
    rows: pd.DataFrame,
    scope_prefix: str = "city",
    values: tuple[str, ...] = ("met_share", "p90_s"),
    onset: bool = False,
) -> pd.DataFrame:
    """Per (variant, target, from, scope) starting with ``scope_prefix``: mean and 95 % t
    interval over seeds of each of ``values``, and the mean count per run. Rows from each
    target's primary origin, plus the onset rows when ``onset``."""
    r = rows[rows["scope"].astype(str).str.startswith(scope_prefix)]
    r = r if onset else primary_rows(r)
    out = []
    for key, g in r.groupby(["variant", "target", "from", "scope"], sort=False):
        rec = dict(zip(("variant", "target", "from", "scope"), key))
        rec["count"] = float(g["count"].mean())
        for v in values:
            m, lo, hi, n = t_interval(g[v].to_numpy(float))
            if v == "met_share":  # a share's interval stays within [0, 1]
                lo, hi = max(lo, 0.0), min(hi, 1.0)
            elif np.isfinite(lo):  # times are positive
                lo = max(lo, 0.0)
            rec.update({v: m, f"{v}_low": lo, f"{v}_high": hi, "seeds": n})
        out.append(rec)
    return pd.DataFrame(out)


def pct(x: float) -> str:
    return "–" if not np.isfinite(x) else f"{100 * x:.1f}"


def mins(x: float) -> str:
    return "–" if not np.isfinite(x) else f"{x / 60:.1f}"


def command_line(drop: tuple[str, ...] = ()) -> str:
    """The command that ran this script, without the options ``drop`` and their values."""
    argv, out = sys.argv, []
    i = 0
    while i < len(argv):
        if argv[i] in drop:
            i += 2
            continue
        if argv[i].split("=", 1)[0] in drop:
            i += 1
            continue
        out.append(argv[i])
        i += 1
    return "nice -n 10 .venv/bin/python " + shlex.join(out)
