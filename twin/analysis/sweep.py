"""Replications: scenarios under many seeds, mapped over Dask.

One run answers "what happened this week"; planners need "how often do we meet the
target, ± how much". :func:`run_replications` runs each scenario under the same seeds,
each replication what :func:`twin.sim.runner.run_scenario` gives, mapped with ``dask``
(the local process pool, one task at a time per worker — ``chunksize=1`` — so long and
short replications balance; the city is loaded and the scenario set up — applied
city, engine tables — once per worker process; or a
``dask.distributed`` cluster when ``address`` is given). :func:`summarise` gives, per
(target, scope), the mean share met with a small-sample 95 % interval: Student t on the
per-replication shares, or the Wilson score interval on the incidents pooled over
replications where the share is near 0 or 1 or does not vary (a t interval would then
collapse to a point); the ``ci_method`` column says which.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import math
import multiprocessing as mp
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import dask
import numpy as np
import pandas as pd

from twin.analysis.metrics import compliance_table
from twin.analysis.paired import NEAR_EDGE, paired_t, wilson
from twin.analysis.results import Results, write_results
from twin.analysis.targets import PRIMARY_ORIGIN
from twin.model.city import City, load_city
from twin.scenario.spec import Scenario
from twin.sim.gcpause import collector_off
from twin.sim.runner import Prepared, prepare, run_measures


@dataclass(frozen=True)
class Replication:
    """One scenario under one seed: its rows and a fingerprint of its everyday incidents
    (the randomly drawn ones: time, type and place) to check common random numbers."""

    scenario: str
    seed: int
    rows: pd.DataFrame
    everyday: str


def one_replication(
    scenario: Scenario,
    city_path: str | None,
    seed: int,
    local: tuple[tuple[str, np.ndarray], ...] = (),
    cells: bool = False,
) -> Replication:
    """Run ``scenario`` with ``seed`` (no routes, no maps) and measure it as
    :func:`replication_of` does. The seed-independent set-up (checks, applied city,
    engine, the timeline's basis: :func:`twin.sim.runner.prepare`) is done once per worker
    process and scenario; the run builds only the tables measured
    (:func:`twin.sim.runner.run_measures`), each what ``run_scenario`` with that seed gives."""
    prep = _prepared(scenario, city_path)
    with collector_off():  # gcpause: in a forked worker, the run is freed before a pass
        res = run_measures(prep, seed)
        return replication_of(res, shared_city(city_path), scenario.name, seed, local, cells)


def replication_of(
    res: Results,
    city: City,
    name: str,
    seed: int,
    local: tuple[tuple[str, np.ndarray], ...] = (),
    cells: bool = False,
) -> Replication:
    """One finished run as a replication named ``name``. Rows: its compliance table, one
    row per run count (``target`` = ``count:<name>``, e.g. ``count:cascades``, in
    ``count``), with ``cells`` the compliance per cell (scope ``cell:<id>``), and for each
    (scope, road node indices) in ``local`` the compliance of the incidents at those nodes.
    The CLI's replications and the app's runs are both measured here."""
    inc = res["incidents"]
    comp = res["compliance"]
    parts = [comp[~comp["scope"].astype(str).str.startswith("cell:")]]  # cells: see below
    counts = pd.DataFrame(
        [
            {"target": f"count:{k}", "scope": "city", "count": v}
            for k, v in res.summary.get("counts", {}).items()
        ]
    )
    parts.append(counts)
    if cells:
        parts.append(_scoped(inc.assign(district_id=inc["cell_id"]), "district:", "cell:"))
    if local:
        node_ix = city.roads.node_index(inc["node_id"].astype(str).tolist())
        for scope, nodes in local:
            parts.append(_scoped(inc[np.isin(node_ix, nodes)], "city", scope))
    rows = flat_origins(pd.concat([p for p in parts if not p.empty], ignore_index=True))
    rows["seed"] = seed
    return Replication(name, seed, rows, _fingerprint(inc))


def flat_origins(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows keyed by target and scope only: a row measured from another origin than its
    target's primary one (``10min`` from the onset) becomes target ``10min@onset``."""
    if "from" not in rows:
        return rows
    origin = rows["from"].fillna("").astype(str)
    primary = rows["target"].astype(str).map(PRIMARY_ORIGIN).fillna("")
    other = (origin != "") & (primary != "") & (origin != primary)
    out = rows.drop(columns="from")
    out.loc[other, "target"] = out.loc[other, "target"].astype(str) + "@" + origin[other]
    return out


def _scoped(incidents: pd.DataFrame, prefix: str, new: str) -> pd.DataFrame:
    """Compliance rows of ``incidents`` whose scope starts with ``prefix``, renamed."""
    rows = compliance_table(incidents)
    rows = rows[rows["scope"].str.startswith(prefix)].copy()
    rows["scope"] = rows["scope"].str.replace(prefix, new, n=1, regex=False)
    return rows


def _fingerprint(incidents: pd.DataFrame) -> str:
    every = incidents[incidents["cause"].astype(str) == ""]
    h = hashlib.sha256(every["onset_s"].to_numpy(float).tobytes())
    h.update("\0".join(every["type"].astype(str)).encode())
    h.update("\0".join(every["node_id"].astype(str)).encode())
    return h.hexdigest()[:16]


@functools.lru_cache(maxsize=2)
def shared_city(city_path: str | None) -> City:
    """The city at ``city_path`` (None: the embedded twin), loaded once per process and
    shared by a sweep's checks, set-up and forked workers (a City is immutable, so sharing
    is safe)."""
    return load_city(city_path)


_PREPARED: dict[tuple[str, str | None], Prepared] = {}


def _prepared(scenario: Scenario, city_path: str | None) -> Prepared:
    """The set-up of ``scenario`` (any seed) on the city at ``city_path``, kept for this
    process (the last two scenarios: a comparison alternates a baseline and a variant)."""
    key = (scenario.with_(seed=0).model_dump_json(), city_path)
    if key not in _PREPARED:
        if len(_PREPARED) >= 2:
            del _PREPARED[next(iter(_PREPARED))]
        _PREPARED[key] = prepare(scenario, shared_city(city_path), record_routes=False)
    return _PREPARED[key]


def run_replications(
    scenarios: list[Scenario],
    seeds: list[int],
    *,
    workers: int = 2,
    address: str | None = None,
    local: dict[str, tuple[tuple[str, np.ndarray], ...]] | None = None,
    cells: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> list[Replication]:
    """Every scenario under every seed (same seeds for all: common random numbers), as
    Dask tasks; ``local`` maps a scenario name to the local areas measured in its runs; ``progress(done, total)``
    is called in this process as tasks finish."""
    local = local or {}
    tasks = [
        dask.delayed(one_replication, pure=False)(sc, sc.city, s, local.get(sc.name, ()), cells)
        for s in seeds
        for sc in scenarios
    ]
    total = len(tasks)
    with _progress_callback(progress, total):
        if address:
            from dask.distributed import Client  # noqa: PLC0415 — optional extra [cluster]

            with Client(address):
                parts = dask.compute(*tasks)
        elif workers > 1 and total > 1:
            with _set_up_before_fork(scenarios):
                parts = dask.compute(
                    *tasks, scheduler="processes", num_workers=workers, chunksize=1
                )
        else:
            parts = dask.compute(*tasks, scheduler="synchronous")
    return list(parts)


@contextmanager
def _set_up_before_fork(scenarios: list[Scenario]) -> Iterator[None]:
    """Set the scenarios up here and let the workers fork from this process, inheriting
    the loaded city and the set-up (:func:`_prepared`) instead of each importing the
    package, loading the city and setting up again (where ``fork`` exists, for up to the
    two scenarios the cache keeps; otherwise the workers set up for themselves). This
    process's objects are frozen out of the garbage collector's sight (``gc.freeze``, as
    the Python docs advise before a fork) while the workers run, so a worker's collections
    never walk them — which would copy every page they sit on into the worker (measured:
    half the workers' page faults, ~0.5 CPU-s of a first replication per worker)."""
    if "fork" not in mp.get_all_start_methods() or len(scenarios) > 2:
        yield
        return
    for sc in scenarios:
        _prepared(sc, sc.city)
    froze = gc.get_freeze_count() == 0
    if froze:
        gc.freeze()
    try:
        with dask.config.set({"multiprocessing.context": "fork"}):
            yield
    finally:
        if froze:
            gc.unfreeze()


def _progress_callback(
    progress: Callable[[int, int], None] | None, total: int
) -> AbstractContextManager[Any]:
    """A dask local-scheduler callback counting finished replication tasks."""
    if progress is None:
        return nullcontext()
    report = progress  # not None: a name the class below sees narrowed
    from dask.callbacks import Callback  # noqa: PLC0415 — only with a progress callback

    class Counter(Callback):
        def __init__(self) -> None:
            super().__init__()
            self.done = 0

        def _posttask(
            self, key: object, result: object, dsk: object, state: object, worker_id: object
        ) -> None:
            name = key[0] if isinstance(key, tuple) else key
            if str(name).startswith("one_replication"):
                self.done += 1
                report(self.done, total)

    return Counter()


def sweep(
    scenario: Scenario,
    replications: int,
    *,
    workers: int = 2,
    address: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Compliance and count rows of every replication (column ``seed``), computed with Dask."""
    seeds = [scenario.seed + i for i in range(replications)]
    reps = run_replications([scenario], seeds, workers=workers, address=address, progress=progress)
    return pd.concat([r.rows for r in reps], ignore_index=True)


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Across replications per (target, scope): mean share met, its standard error, a 95 %
    interval (``ci_method``: ``t`` or ``wilson``), mean p90 (s), incidents per replication."""
    out = []
    for (target, scope), g in rows.groupby(["target", "scope"], sort=True):
        n = int(g["seed"].nunique())
        count = g["count"].to_numpy(float)
        row = {
            "target": target,
            "scope": scope,
            "replications": n,
            "incidents": float(count.mean()),
            "count_se": float(count.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0,
        }
        if "met_share" in g and g["met_share"].notna().any():
            row.update(_share_interval(g["met_share"].to_numpy(float), count))
            row["p90_s"] = float(g["p90_s"].mean())
        out.append(row)
    cols = [
        "target",
        "scope",
        "replications",
        "met_share",
        "se",
        "ci_low",
        "ci_high",
        "ci_method",
        "p90_s",
        "incidents",
        "count_se",
    ]
    return pd.DataFrame(out).reindex(columns=cols)


def _share_interval(share: np.ndarray, count: np.ndarray) -> dict[str, object]:
    ok = ~np.isnan(share) & (count > 0)
    s, c = share[ok], count[ok]
    n = len(s)
    mean = float(s.mean()) if n else math.nan
    sd = float(s.std(ddof=1)) if n > 1 else math.nan
    pooled = float((s * c).sum() / c.sum()) if n else math.nan
    edge = not (NEAR_EDGE <= pooled <= 1 - NEAR_EDGE)
    if n >= 2 and sd > 0 and not edge:
        iv = paired_t(s)
        low, high, method = iv.low, iv.high, "t"
    else:
        met = float(np.round(s * c).sum())
        low, high = wilson(met, float(c.sum()))
        method = "wilson"
    return {
        "met_share": mean,
        "se": sd / math.sqrt(n) if n > 1 else math.nan,
        "ci_low": low,
        "ci_high": high,
        "ci_method": method,
    }


def write_sweep(summary: pd.DataFrame, rows: pd.DataFrame, out: str) -> str:
    """Write ``sweep.csv`` (summary) and ``replications.csv`` (every row) atomically."""
    return str(
        write_results(
            Results({"sweep": summary, "replications": rows}, {"kind": "sweep"}), out, kind="sweep"
        )
    )
