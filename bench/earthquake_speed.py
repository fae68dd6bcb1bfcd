"""Speed of the earthquake scenario, and of this tree against an earlier commit, in one run.

    nice -n 10 .venv/bin/python bench/earthquake_speed.py [--before REV] [--repeats N]

Runs, each in a fresh process (``bench/estimate_check.py``'s cases, on the embedded twin):
the baseline for 0.25 days, and the earthquake for 0.03 days with the shock moved to
00:12 (``t_h = 0.2``) — the drain after the run still serves the whole collapse backlog,
so the run holds the full disaster. Prints per case: events, CPU seconds of the process
(the machine is shared: wall time is noisy), events per CPU second, wall time, and a
digest of the incidents and events tables (equal digests: identical results); then the
earthquake's events per CPU second as a share of the baseline's — of whole runs: a
0.25-day baseline's ~10 CPU-s are nearly all set-up (checks, engine, tables), so the ratio
says how much work an earthquake's events cost beyond that, not the engine's cost per event
in a long everyday run (a year: ~26 000 incidents per second, ``bench/bench_speed.py``).
Last, the earthquake's events by kind (with ``--before``: of this tree's first run).

``--before REV``: also the earthquake case on the tree of commit ``REV`` (``git archive``
into a temporary directory; its own ``bench/estimate_check.py`` and package, this
virtualenv), ``--repeats`` times each, a run of each tree at the same time so both see the
same load; prints the CPU seconds of every run, their medians, the ratio before / after of the
medians, and whether the tables' digests are identical (the script exits with an error if
they are not: a speed change must not change a result).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from estimate_check import ROOT  # noqa: E402


def start(root: Path, case: str) -> subprocess.Popen:
    """Start ``case`` in a fresh process from the tree at ``root`` (its package first on the
    path: ``estimate_check.py`` puts its own tree there)."""
    args = [sys.executable, str(root / "bench" / "estimate_check.py"), case]
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True)


def result(proc: subprocess.Popen) -> dict:
    """The figures a started case printed (its last line, JSON)."""
    out, _ = proc.communicate()
    if proc.returncode:
        sys.exit(f"{proc.args} failed ({proc.returncode})")
    return json.loads(out.strip().splitlines()[-1])


def one_tree(root: Path, case: str) -> dict:
    """Run ``case`` in a fresh process from the tree at ``root``."""
    return result(start(root, case))


def export(rev: str, dest: Path) -> Path:
    """The files of commit ``rev`` of this repository, unpacked under ``dest``."""
    tar = dest / "tree.tar"
    with tar.open("wb") as fh:
        subprocess.run(["git", "-C", str(ROOT), "archive", rev], stdout=fh, check=True)
    with tarfile.open(tar) as t:
        t.extractall(dest / "tree", filter="data")
    return dest / "tree"


def same_run(rev: str, repeats: int) -> dict:
    """The earthquake on ``rev``'s tree and on this one, side by side (module docstring); the
    first run of this tree."""
    with tempfile.TemporaryDirectory() as tmp:
        before_root = export(rev, Path(tmp))
        runs: dict[str, list[dict]] = {"before": [], "after": []}
        for k in range(repeats):  # both trees at the same time: the same load
            procs = {"before": start(before_root, "earthquake"), "after": start(ROOT, "earthquake")}
            for label, proc in procs.items():
                r = result(proc)
                runs[label].append(r)
                print(
                    f"  {label:6} run {k + 1}: {r['events']:,} events, {r['cpu_s']:.1f} CPU s, "
                    f"{r['wall_s']:.1f} s wall, tables sha {r['tables_sha']}",
                    flush=True,
                )
    med = {k: statistics.median(r["cpu_s"] for r in v) for k, v in runs.items()}
    shas = {r["tables_sha"] for v in runs.values() for r in v}
    print(
        f"earthquake CPU s, median of {repeats}: before ({rev}) {med['before']:.1f}, after "
        f"(this tree) {med['after']:.1f}; before / after {med['before'] / med['after']:.2f} ×"
    )
    if len(shas) != 1:
        sys.exit(f"tables differ between runs: {sorted(shas)}")
    print(f"tables identical in all {2 * repeats} runs (sha {shas.pop()})")
    return runs["after"][0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default=None, help="a commit to compare against, in this run")
    ap.add_argument("--repeats", type=int, default=2, help="runs per tree with --before")
    a = ap.parse_args()
    runs = {"baseline": one_tree(ROOT, "baseline")}
    runs["earthquake"] = same_run(a.before, a.repeats) if a.before else one_tree(ROOT, "earthquake")
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
