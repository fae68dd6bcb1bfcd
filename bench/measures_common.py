"""Shared by bench/sensitivity.py, bench/load_curve.py and bench/baseline_intervals.py:
replications of the baseline under common random numbers, with parameter overrides
(:mod:`twin.analysis.overrides`), and t intervals over seeds.

Each replication is one :func:`twin.sim.runner.run_scenario` of the baseline scenario with
seed ``base_seed + i``; a variant (an override, a rate multiplier) reuses the same seeds, so
differences between variants are not seed noise (common random numbers). Not tests: figures
to read and quote; the printed command line reproduces them.
"""

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
from twin.analysis.overrides import Override, apply_overrides  # noqa: E402
from twin.model.city import City, load_city  # noqa: E402
from twin.scenario.spec import Scenario, load_scenario  # noqa: E402
from twin.sim.engine import EngineConfig  # noqa: E402
from twin.sim.runner import run_scenario  # noqa: E402

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
MEASURES = ("10min", "30min", "60min", "5min", "8min", "full")


def load(days: float, seed: int, city_path: str | None = None) -> tuple[City, Scenario]:
    """The city and the baseline scenario for ``days`` days from ``seed``."""
    scenario = load_scenario(BASELINE).with_(days=days, seed=seed)
    return load_city(city_path or scenario.city), scenario


def replicate(
    city: City,
    scenario: Scenario,
    seeds: list[int],
    overrides: tuple[Override, ...] = (),
    label: str = "",
    log: bool = True,
    keep: list[pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Compliance rows of one run per seed (columns ``seed``, ``variant``), plus calibration
    figures as rows with target ``cal:<name>`` in ``met_share``. ``keep``: a list the runs'
    incident tables are appended to (column ``seed`` added)."""
    config, scen = apply_overrides(EngineConfig(), scenario, overrides)
    parts = []
    for s in seeds:
        t0 = time.perf_counter()
        res = run_scenario(scen.with_(seed=s), city, record_routes=False, config=config)
        rows = res["compliance"].copy()
        if keep is not None:
            keep.append(res["incidents"].assign(seed=s))
        cal = res.summary.get("calibration", {})
        extra = [
            ("vehicles_per_ground_call", cal.get("vehicles_per_ground_call")),
            ("ground_calls_per_100k_per_day", cal.get("ground_calls_per_100k_per_day")),
            ("fire_utilisation", (cal.get("utilisation") or {}).get("fire_units")),
        ]
        rows = pd.concat(
            [
                rows,
                pd.DataFrame(
                    [
                        {
                            "target": f"cal:{k}",
                            "from": "",
                            "scope": "city",
                            "count": 0,
                            "met_share": np.nan if v is None else v,
                        }
                        for k, v in extra
                    ]
                ),
            ],
            ignore_index=True,
        )
        rows["seed"], rows["variant"] = s, label
        parts.append(rows)
        if log:
            print(
                f"  [{label or 'base'} seed {s}: {len(res['incidents']):,} incidents, "
                f"{time.perf_counter() - t0:.0f} s]",
                file=sys.stderr,
                flush=True,
            )
    return pd.concat(parts, ignore_index=True)


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


def command_line() -> str:
    return "nice -n 10 .venv/bin/python " + shlex.join(sys.argv)
