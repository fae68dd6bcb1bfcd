"""Speed of the earthquake scenario against the everyday baseline, measured in one run.

    nice -n 10 .venv/bin/python bench/earthquake_speed.py

Runs, each in a fresh process (``bench/estimate_check.py``'s cases, on the embedded twin):
the baseline for 0.25 days, and the earthquake for 0.03 days with the shock moved to
00:12 (``t_h = 0.2``) — the drain after the run still serves the whole collapse backlog,
so the run holds the full disaster. Prints per case: events, CPU seconds of the process
(the machine is shared: wall time is noisy), events per CPU second, wall time, and a
digest of the incidents and events tables (equal digests: identical results, e.g. before
and after an engine change on the same seed); then the earthquake's events per CPU second
as a share of the baseline's — of whole runs: a 0.25-day baseline's ~10 CPU-s are nearly
all set-up (checks, engine, tables), so the ratio says how much work an earthquake's events
cost beyond that, not the engine's cost per event in a long everyday run (a year: ~26 000
incidents per second, ``bench/bench_speed.py``). Last, the earthquake's events by kind.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from estimate_check import in_fresh_process  # noqa: E402


def main() -> None:
    runs = {case: in_fresh_process(case) for case in ("baseline", "earthquake")}
    print(
        f"{'case':11} {'days':>5} {'incidents':>9} {'events':>8} {'CPU s':>7} {'events/CPU s':>13}"
        f" {'wall s':>7}  tables sha"
    )
    for case, r in runs.items():
        print(
            f"{case:11} {r['days']:5.2f} {r['incidents']:9d} {r['events']:8d} {r['cpu_s']:7.1f}"
            f" {r['events'] / r['cpu_s']:13,.0f} {r['wall_s']:7.1f}  {r['tables_sha']}"
        )
    b, q = runs["baseline"], runs["earthquake"]
    ratio = (q["events"] / q["cpu_s"]) / (b["events"] / b["cpu_s"])
    print(f"earthquake events per CPU second / baseline's: {ratio:.2f}")
    kinds = sorted(q["events_by_kind"].items(), key=lambda kv: -kv[1])
    print("earthquake events by kind: " + ", ".join(f"{k} {n:,}" for k, n in kinds))


if __name__ == "__main__":
    main()
