"""What one app run does, in a child process: replications of two scenarios, compared.

``python -m twin.app.job RUN_DIR`` reads ``RUN_DIR/request.json`` (TOML texts of the
reference and the planner's scenario, the number of replications), runs both over the same
seeds (common random numbers: the engine draws the everyday incidents from the seed, so
what a scenario does not change is the same in both), writes the first replication of
each as a results folder (``reference/``, ``scenario/``, with ``map.html``), the paired
comparison (``comparison.csv``) and ``result.json`` (headline and table for the page), and
reports progress in ``status.json`` as it goes. A failure is written to the status with
the same problem list the CLI prints; nothing outside ``RUN_DIR`` is written.
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path
from typing import Any

import pandas as pd

from twin.analysis.compare import declared_areas, paired_tables
from twin.analysis.results import Results, write_results
from twin.analysis.sweep import Replication, replication_of
from twin.app.site_job import site_result
from twin.app.store import RunStore
from twin.errors import TwinDataError
from twin.model.city import City, load_city
from twin.scenario.spec import Scenario, parse_scenario
from twin.sim.runner import run_scenario
from twin.viz.export import write_map

HEADLINE_TARGETS = ("10min", "30min", "60min")


def run_job(run_dir: Path, city: City | None = None) -> None:
    """Run the job of ``run_dir`` (see the module doc); never raises."""
    store = RunStore(run_dir.parent)
    run_id = run_dir.name
    try:
        request = store.request(run_id)
        store.set_status(run_id, status="running", step="loading the city", started=time.time())
        city = city or load_city(request.get("city"))
        if request.get("kind") == "site":
            store.set_status(run_id, step="solving the siting model", progress=0.3)
            result = site_result(city, request)
            store.set_status(
                run_id,
                status="done",
                progress=1.0,
                step="done",
                finished=time.time(),
                result=result,
            )
            return
        reference = parse_scenario(request["reference_toml"], "reference scenario")
        scenario = parse_scenario(request["toml"], "scenario (from the app)")
        result = _replicate(
            store, run_id, city, reference, scenario, int(request.get("replications", 1))
        )
        store.set_status(
            run_id, status="done", progress=1.0, step="done", finished=time.time(), result=result
        )
    except TwinDataError as exc:
        store.set_status(
            run_id,
            status="failed",
            step="failed",
            error=exc.title,
            problems=[_problem_json(p) for p in exc.problems],
        )
    except Exception as exc:  # noqa: BLE001 - a worker must report, not die silently
        store.set_status(
            run_id,
            status="failed",
            step="failed",
            error=f"{type(exc).__name__}: {exc}",
            trace=traceback.format_exc(limit=8),
        )


def _problem_json(p: Any) -> dict[str, Any]:
    return {"where": p.where, "line": p.line, "ids": list(p.ids), "what": p.what, "fix": p.fix}


def _replicate(
    store: RunStore, run_id: str, city: City, reference: Scenario, scenario: Scenario, n: int
) -> dict[str, Any]:
    """Both scenarios over seeds ``seed … seed+n-1``, measured and compared exactly as
    ``twin compare`` does (:func:`twin.analysis.sweep.replication_of`,
    :func:`twin.analysis.compare.paired_tables`: the same paired table, intervals and Holm
    adjustment, with the scenario's local area); returns the page's result record."""
    folder = store.run_dir(run_id)
    total = 2 * n
    specs = {"reference": reference, "scenario": scenario}
    _, local = declared_areas("reference", [scenario.with_(name="scenario")], city)
    reps: list[Replication] = []
    for i in range(n):
        seed = scenario.seed + i
        for k, (label, spec) in enumerate(specs.items()):
            done = 2 * i + k
            step = f"replication {i + 1} of {n}: {label}"
            store.set_status(run_id, progress=done / total, step=step)

            def progress(frac: float, done: int = done, step: str = step) -> None:
                store.set_status(run_id, progress=(done + frac) / total, step=step)

            res = run_scenario(
                spec.with_(seed=seed), city, progress=_throttled(progress), record_routes=False
            )
            reps.append(replication_of(res, city, label, seed, local.get(label, ())))
            if i == 0:
                _write_first(res, folder / label, city)
    _, comparison = paired_tables(reps, "reference", ["scenario"])
    comparison.to_csv(folder / "comparison.csv", index=False)
    return _result_record(comparison, city, n)


def _throttled(fn: Any, every_s: float = 0.5) -> Any:
    """``fn`` called at most every ``every_s`` seconds (status writes are file writes)."""
    last = [0.0]

    def call(frac: float) -> None:
        now = time.monotonic()
        if now - last[0] >= every_s:
            last[0] = now
            fn(frac)

    return call


def _write_first(res: Results, out: Path, city: City) -> None:
    def maps(tmp: Path) -> None:
        write_map(tmp, city, png=False)

    write_results(res, out, extra=maps)


def _result_record(comparison: pd.DataFrame, city: City, n: int) -> dict[str, Any]:
    names = dict(zip(city.districts["district_id"], city.districts["name_en"]))
    rows = comparison.assign(
        scope_name=[names.get(s.partition(":")[2], s) for s in comparison["scope"]]
    )
    rows = rows.astype(object).where(rows.notna(), None)  # JSON has no NaN: null
    head = rows[(rows["scope"] == "city") & rows["target"].isin(HEADLINE_TARGETS)]
    return {
        "replications": n,
        "headline": head.to_dict(orient="records"),
        "rows": rows.to_dict(orient="records"),
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point of the child process: ``python -m twin.app.job RUN_DIR``."""
    args = sys.argv[1:] if argv is None else argv
    run_job(Path(args[0]).resolve())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
