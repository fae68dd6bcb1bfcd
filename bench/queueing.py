"""The heavy version of tests/test_erlang.py: the engine as an M/M/c and an M/G/c queue over
more loads, more calls and several seeds.

    nice -n 10 .venv/bin/python bench/queueing.py [--calls 100000] [--seeds 3]
        [--loads 0.5 0.7 0.8 0.9 0.95]

Prints, per load ρ (c = 3 engines at one station, zero turnout, exponential work of 1800 s,
all calls at the station): the share that waits against Erlang C, the mean wait against
C/(cμ − λ), and P(W > 1/(cμ − λ)) against C/e, each as mean ± standard error over seeds;
then the M/G/c-with-travel bracket of the test (calls 3 streets away, work 1200 s):
Erlang C with service W (lower), the engine, Allen–Cunneen with service W + 2T (upper,
an approximation).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from test_erlang import C_UNITS, WORK_S, allen_cunneen, erlang_c, mmc_run, queue_waits  # noqa: E402


def mean_se(x: list[float]) -> str:
    a = np.asarray(x, float)
    se = a.std(ddof=1) / math.sqrt(len(a)) if len(a) > 1 else math.nan
    return f"{a.mean():9.4g} ± {se:.2g}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--loads", type=float, nargs="*", default=[0.5, 0.7, 0.8, 0.9, 0.95])
    a = ap.parse_args()
    warm = a.calls // 20
    print(f"M/M/3, work 1800 s, {a.calls:,} calls × {a.seeds} seeds (first {warm:,} dropped)")
    print(
        f"{'ρ':>5} {'P(wait)':>20} {'Erlang C':>9} {'mean wait s':>22} {'theory':>9} "
        f"{'P(W>1/r)':>20} {'C/e':>8}"
    )
    for rho in a.loads:
        pw, mw, tail = [], [], []
        for s in range(a.seeds):
            sim, lam = mmc_run(rho, a.calls, 1000 + s)
            w = queue_waits(sim, warm)
            rate = C_UNITS / WORK_S - lam
            pw.append(float((w > 1e-6).mean()))
            mw.append(float(w.mean()))
            tail.append(float((w > 1 / rate).mean()))
        c = erlang_c(C_UNITS, rho * C_UNITS)
        print(
            f"{rho:>5} {mean_se(pw):>20} {c:9.4f} {mean_se(mw):>22} {c / rate:9.1f} "
            f"{mean_se(tail):>20} {c / math.e:8.4f}"
        )
    work, t_mean, t_var = 1200.0, 330.0, 900.0
    s_mean = work + 2 * t_mean
    scv = (work**2 + 4 * t_var) / s_mean**2
    print("\nM/G/3 with travel (3 streets, work 1200 s): mean queue wait (s)")
    print(f"{'ρ':>5} {'Erlang C, W':>12} {'engine':>20} {'Allen–Cunneen, W+2T':>20}")
    for rho in a.loads:
        ws = []
        for s in range(a.seeds):
            sim, lam = mmc_run(
                rho, a.calls, 2000 + s, node="n21", work_s=work, mean_service_s=s_mean
            )
            ws.append(float(queue_waits(sim, warm).mean()))
        low = erlang_c(C_UNITS, lam * work) / (C_UNITS / work - lam)
        print(
            f"{rho:>5} {low:12.1f} {mean_se(ws):>20} "
            f"{allen_cunneen(C_UNITS, lam, s_mean, scv):20.1f}"
        )


if __name__ == "__main__":
    sys.exit(main())
