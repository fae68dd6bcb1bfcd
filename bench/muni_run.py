"""One run of the municipality twin from a given source tree, in this process, as JSON.

    .venv/bin/python bench/muni_run.py ROOT DAYS SEED

Imports ``twin`` from the tree at ``ROOT`` (first on the path: this virtualenv's packages,
that tree's code; ``bench/municipality.py --before REV`` runs it on an earlier commit's
tree and this one side by side), loads ``municipality`` (built on first use and cached),
runs the default scenario for ``DAYS`` with ``SEED`` through ``run_scenario`` and prints
one JSON line: days, incidents, events, CPU seconds and wall time of the run, peak resident
memory of the process (MB), and digests of the results (:func:`estimate_check.tables_sha`:
``tables_sha`` of the incidents and events tables, ``compliance_sha`` of compliance.csv;
``calibration_sha``: the summary's calibration block). Equal digests: identical results.
"""

from __future__ import annotations

import hashlib
import json
import resource
import sys
import time
from pathlib import Path


def main() -> None:
    root, days, seed = Path(sys.argv[1]).resolve(), float(sys.argv[2]), int(sys.argv[3])
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from estimate_check import tables_sha  # puts this tree first on the path: then ROOT

    sys.path.insert(0, str(root))
    from twin.model.city import load_city
    from twin.scenario.spec import Scenario
    from twin.sim.runner import run_scenario

    city = load_city("municipality")
    t0, c0 = time.perf_counter(), time.process_time()
    res = run_scenario(Scenario(days=days, seed=seed), city, record_routes=False)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    calib = json.dumps(res.summary["calibration"], sort_keys=True, default=str).encode()
    c = res.summary["counts"]
    out = {
        "root": str(root),
        "days": days,
        "incidents": c["incidents"],
        "events": c["events"],
        "cpu_s": round(cpu, 2),
        "wall_s": round(wall, 2),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0),
        "tables_sha": tables_sha(res["incidents"], res["events"]),
        "compliance_sha": tables_sha(res["compliance"]),
        "calibration_sha": hashlib.sha256(calib).hexdigest()[:16],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
