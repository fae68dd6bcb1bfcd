"""The size estimator (twin.sim.estimate) against what shipped scenarios really create.

Runs short versions of shipped scenarios on the embedded twin (hazards moved into the short
window where needed), each in a fresh process, and prints per scenario: estimated and actual
incidents and events, and the estimated extra memory against the measured growth of the
process's peak RSS during the run (``ru_maxrss`` after − ``VmRSS`` before, city loaded),
with the ratios (estimate / actual).

    .venv/bin/python bench/estimate_check.py             # every case (minutes on 2 cores)
    .venv/bin/python bench/estimate_check.py baseline    # one case, as JSON (the test uses it)
"""

from __future__ import annotations

import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this tree's twin, even from another tree's virtualenv
CASES = {  # name: (scenario file, days, text substitutions moving hazards into the window)
    "baseline": ("baseline.toml", 0.25, ()),
    "drill": ("gas-leak-drill.toml", None, ()),
    "rainstorm": ("rainstorm.toml", 0.25, (("start_h = 16.0", "start_h = 1.0"),)),
    "earthquake": ("earthquake.toml", 0.03, (("t_h = 3.0", "t_h = 0.2"),)),
}


def rss_bytes(field: str = "VmRSS") -> float:
    """This process's resident memory (``VmRSS``) or its peak so far (``VmHWM``), bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1]) * 1024.0
    return 0.0


def reset_peak() -> bool:
    """Reset this process's peak resident memory to its current size (Linux ≥ 4.0: ``5``
    into ``/proc/self/clear_refs``), so the peak read after a run is the run's own;
    False where that is not possible (the peak then includes the set-up's)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def one(case: str, days: float | None = None) -> dict:
    """Run one case in this process; estimate and actual figures."""
    from twin.model.city import load_city
    from twin.scenario.spec import load_scenario
    from twin.sim.runner import run_scenario

    file, default_days, subs = CASES[case]
    text = (ROOT / "twin" / "data" / "scenarios" / file).read_text(encoding="utf-8")
    for a, b in subs:
        assert a in text, (file, a)
        text = text.replace(a, b)
    city = load_city()
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / file
        p.write_text(text, encoding="utf-8")
        sc = load_scenario(p)
        d = days if days is not None else default_days
        sc = sc.with_(days=d) if d is not None else sc
        peak_before = rss_bytes("VmHWM")  # loading the city, imports
        reset = reset_peak()
        before = rss_bytes()
        t0, c0 = time.perf_counter(), time.process_time()
        res = run_scenario(sc, city, record_routes=False)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    top = (
        rss_bytes("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0
    )
    peak = top - before
    e, c = res.summary["estimate"], res.summary["counts"]
    return {
        "case": case,
        "days": sc.days,
        "incidents_est": e["incidents"],
        "incidents": c["incidents"],
        "events_est": e["events"],
        "events": c["events"],
        "memory_est": e["memory_bytes"],
        "memory_peak_growth": max(peak, 0.0),
        "peak_before_run": peak_before,
        "wall_s": wall,
        "wall_est_s": e["wall_s"],
        "cpu_s": cpu,
        "tables_sha": tables_sha(res["incidents"], res["events"]),
        "events_by_kind": res["events"]["kind"].astype(str).value_counts().to_dict(),
    }


def tables_sha(*tables: pd.DataFrame) -> str:
    """A short SHA-256 of tables' contents (row hashes, index included): equal runs give
    equal digests (bench/earthquake_speed.py compares engines by it)."""
    h = hashlib.sha256()
    for t in tables:
        h.update(pd.util.hash_pandas_object(t, index=True).to_numpy().tobytes())
    return h.hexdigest()[:16]


def in_fresh_process(case: str, days: float | None = None) -> dict:
    args = [sys.executable, __file__, case] + ([str(days)] if days is not None else [])
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1:
        print(json.dumps(one(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else None)))
        return
    print(
        f"{'case':11} {'days':>5} {'inc est':>8} {'inc':>6} {'ratio':>6} {'ev est':>8} "
        f"{'ev':>7} {'ratio':>6} {'mem est MB':>10} {'peak+ MB':>9} {'ratio':>6} "
        f"{'wall s':>7}",
        flush=True,
    )
    for case in CASES:
        r = in_fresh_process(case)
        q = lambda a, b: f"{a / b:6.2f}" if b else "   inf"  # noqa: E731
        print(
            f"{case:11} {r['days']:5.2f} {r['incidents_est']:8.0f} {r['incidents']:6d} "
            f"{q(r['incidents_est'], r['incidents'])} {r['events_est']:8.0f} "
            f"{r['events']:7d} {q(r['events_est'], r['events'])} "
            f"{r['memory_est'] / 1e6:10.0f} {r['memory_peak_growth'] / 1e6:9.0f} "
            f"{q(r['memory_est'], r['memory_peak_growth'])} {r['wall_s']:7.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
