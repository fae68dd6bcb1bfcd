"""The size estimator (twin.sim.estimate) against what shipped scenarios really create.

Runs short versions of shipped scenarios on the embedded twin (hazards moved into the short
window where needed) and prints, per scenario: estimated and actual incidents and events,
and estimated extra memory against the measured growth of the process's peak RSS during
the run (``resource.getrusage`` ``ru_maxrss`` after − ``VmRSS`` before), with the ratios.

    .venv/bin/python bench/estimate_check.py            # ~1-3 min on a loaded 2-core machine
"""

from __future__ import annotations

import re
import resource
import sys
import time
from pathlib import Path

from twin.model.city import load_city
from twin.scenario.spec import load_scenario
from twin.sim.runner import run_scenario

ROOT = Path(__file__).resolve().parent.parent
CASES = [  # (scenario file, days, text substitutions that move hazards into the window)
    ("baseline.toml", 0.25, ()),
    ("gas-leak-drill.toml", None, ()),
    ("rainstorm.toml", 0.25, ((r"start_h = 16\.0", "start_h = 1.0"),)),
    ("earthquake.toml", 0.03, ((r"t_h = 3\.0", "t_h = 0.2"),)),
]


def rss_bytes() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1]) * 1024.0
    return 0.0


def shipped(name: str, days: float | None, subs: tuple, tmp: Path):
    text = (ROOT / "twin" / "data" / "scenarios" / name).read_text(encoding="utf-8")
    for pat, rep in subs:
        text, n = re.subn(pat, rep, text)
        assert n, (name, pat)
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    sc = load_scenario(p)
    return sc.with_(days=days) if days is not None else sc


def main() -> None:
    import tempfile

    city = load_city()
    print(f"{'scenario':24} {'days':>5} {'inc est':>8} {'inc':>6} {'ratio':>6} {'ev est':>8} "
          f"{'ev':>7} {'ratio':>6} {'mem est MB':>10} {'peak+ MB':>9} {'ratio':>6} {'wall s':>6}"
          f" {'est s':>6}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, days, subs in CASES:
            sc = shipped(name, days, subs, Path(tmp))
            before = rss_bytes()
            t0 = time.perf_counter()
            res = run_scenario(sc, city, record_routes=False)
            wall = time.perf_counter() - t0
            peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0 - before, 0.0)
            e, c = res.summary["estimate"], res.summary["counts"]
            r = lambda a, b: f"{a / b:6.2f}" if b else "   inf"  # noqa: E731
            print(f"{name:24} {sc.days:5.2f} {e['incidents']:8.0f} {c['incidents']:6d} "
                  f"{r(e['incidents'], c['incidents'])} {e['events']:8.0f} {c['events']:7d} "
                  f"{r(e['events'], c['events'])} {e['memory_bytes'] / 1e6:10.0f} "
                  f"{peak / 1e6:9.0f} {r(e['memory_bytes'], peak)} {wall:6.1f} "
                  f"{e.get('wall_s', float('nan')):6.1f}", flush=True)
    print("peak+ is the growth of the process's peak RSS during the run (city already loaded);"
          " the first run also pays for loading travel times and one-off caches")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
