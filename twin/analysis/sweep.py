"""Replications: the same scenario under many seeds, mapped over Dask.

One run answers "what happened this week"; planners need "how often do we meet the
target, ± how much". :func:`sweep` runs a scenario under ``replications`` consecutive seeds,
each a plain call of :func:`twin.sim.runner.run_scenario` mapped with ``dask`` (the local
process pool by default, or a ``dask.distributed`` cluster when ``address`` is given, for
sweeps that outgrow one machine), and summarises each (target, scope) across replications:
mean share met, its standard error and a 95 % interval.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import pandas as pd

from twin.scenario.spec import Scenario

Z95 = 1.959964


def one_replication(scenario: Scenario, city_path: str | None, seed: int) -> pd.DataFrame:
    """Run ``scenario`` with ``seed`` (no routes, no maps); return its compliance rows plus
    one row per run count (``target`` = ``count:<name>``, e.g. ``count:cascades``: gas
    explosions, in ``count``)."""
    from twin.sim.runner import run_scenario

    city = _city(city_path)
    res = run_scenario(scenario.with_(seed=seed), city, record_routes=False)
    counts = pd.DataFrame([{"target": f"count:{k}", "scope": "city", "count": v}
                           for k, v in res.summary.get("counts", {}).items()])
    rows = pd.concat([res["compliance"], counts], ignore_index=True)
    rows["seed"] = seed
    return rows


@functools.lru_cache(maxsize=2)
def _city(city_path: str | None):
    """The city, loaded once per worker process (a City is immutable, so sharing is safe)."""
    from twin.model.city import load_city

    return load_city(city_path)


def sweep(scenario: Scenario, replications: int, *, workers: int = 2,
          address: str | None = None) -> pd.DataFrame:
    """Compliance and count rows of every replication (column ``seed``), computed with Dask."""
    import dask

    seeds = [scenario.seed + i for i in range(replications)]
    tasks = [dask.delayed(one_replication)(scenario, scenario.city, s) for s in seeds]
    if address:
        from dask.distributed import Client

        with Client(address):
            parts = dask.compute(*tasks)
    elif workers > 1:
        parts = dask.compute(*tasks, scheduler="processes", num_workers=workers)
    else:
        parts = dask.compute(*tasks, scheduler="synchronous")
    return pd.concat(parts, ignore_index=True)


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Across replications per (target, scope): mean share met, standard error, 95 % CI,
    mean p90 (s), incidents per replication."""
    g = rows.groupby(["target", "scope"], sort=True)
    out = g.agg(replications=("seed", "nunique"), met_share=("met_share", "mean"),
                sd=("met_share", "std"), p90_s=("p90_s", "mean"),
                incidents=("count", "mean"), count_sd=("count", "std")).reset_index()
    out["count_se"] = out.pop("count_sd").fillna(0.0) / out["replications"].map(math.sqrt)
    se = out["sd"].fillna(0.0) / out["replications"].map(math.sqrt)
    out["se"] = se
    out["ci_low"] = (out["met_share"] - Z95 * se).clip(lower=0.0)
    out["ci_high"] = (out["met_share"] + Z95 * se).clip(upper=1.0)
    return out.drop(columns="sd")


def write_sweep(summary: pd.DataFrame, rows: pd.DataFrame, out: Path) -> Path:
    """Write ``sweep.csv`` (summary) and ``replications.csv`` (every row) atomically."""
    from twin.analysis.results import Results, write_results

    return write_results(Results({"sweep": summary, "replications": rows},
                                 {"kind": "sweep"}), out, kind="sweep")
