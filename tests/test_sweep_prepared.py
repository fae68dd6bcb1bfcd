"""A sweep's replications reuse one set-up per worker process (applied city, engine:
``twin.sim.runner.prepare``) and are still, seed for seed, what a plain ``run_scenario``
gives: same incidents, events, units, compliance and counts. A set-up that kept state
between runs (a Generator, a queue, a crew's position) would show here as a difference
from the second seed on."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
import pytest
from tinycity import tiny_city

from twin.analysis import sweep as sweep_mod
from twin.analysis.sweep import one_replication, replication_of
from twin.hazards.build import build_timeline, timeline_basis
from twin.model.city import save_city
from twin.scenario.apply import apply
from twin.scenario.spec import Scenario
from twin.sim.runner import prepare, run_measures, run_prepared, run_scenario

CITY = tiny_city()
SCEN = Scenario(name="tiny", days=1, seed=5)


def test_one_prepared_engine_gives_each_seeds_plain_run():
    prep = prepare(SCEN, CITY, record_routes=False)
    for seed in (5, 6, 5):  # 5 again after 6: nothing carried over
        got = run_prepared(prep, seed)
        want = run_scenario(SCEN.with_(seed=seed), CITY, record_routes=False)
        for name in ("incidents", "events", "units", "compliance", "coverage"):
            pd.testing.assert_frame_equal(got[name], want[name])
        assert got.summary["counts"] == want.summary["counts"]
        assert got.summary["calibration"] == want.summary["calibration"]


def test_a_worker_sets_a_scenario_up_once(tmp_path, monkeypatch):
    path = str(save_city(CITY, tmp_path / "tiny"))
    scen = SCEN.with_(city=path)
    calls = []
    real = sweep_mod.prepare
    monkeypatch.setattr(sweep_mod, "prepare", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(sweep_mod, "_PREPARED", {})
    reps = [one_replication(scen, path, s) for s in (5, 6, 7)]
    assert len(calls) == 1
    city = sweep_mod.shared_city(path)
    for rep in reps:
        plain = run_scenario(scen.with_(seed=rep.seed), city, record_routes=False)
        want = replication_of(plain, city, scen.name, rep.seed)
        pd.testing.assert_frame_equal(rep.rows, want.rows)
        assert rep.everyday == want.everyday


def test_forked_workers_give_the_one_worker_rows(tmp_path, monkeypatch):
    """Local workers fork from a parent that has set the scenario up: same rows as one
    worker running every seed in this process."""
    path = str(save_city(CITY, tmp_path / "tiny"))
    scen = SCEN.with_(city=path, days=0.5)
    monkeypatch.setattr(sweep_mod, "_PREPARED", {})
    frozen_before = gc.get_freeze_count()
    forked = sweep_mod.sweep(scen, 3, workers=2)
    assert len(sweep_mod._PREPARED) == 1  # set up here, before the fork
    assert gc.get_freeze_count() == frozen_before  # frozen for the fork only, then restored
    pd.testing.assert_frame_equal(forked, sweep_mod.sweep(scen, 3, workers=1))


# Pipes failing often enough for every seed's timeline to differ: the tiny city's three pipes
# expect 0.00078 failures a day at multiplier 1, so 3000 gives ~2.3 a day (closures, pipe
# incidents and outages drawn from the shared expected failures of the timeline's basis).
BUSY = SCEN.with_(pipes={"failures": True, "failure_rate_multiplier": 3000.0})


def test_a_shared_set_up_measures_each_seeds_plain_run():
    """``run_measures`` (a sweep's replication: the timeline's basis shared, only the
    measured tables built) gives, seed for seed, the plain run's measured tables."""
    prep = prepare(BUSY, CITY, record_routes=False)
    closures = []
    for seed in (5, 6, 7, 5):
        got = run_measures(prep, seed)
        want = run_scenario(BUSY.with_(seed=seed), CITY, record_routes=False)
        assert set(got.tables) == {"incidents", "events", "compliance"}
        for name in got.tables:
            pd.testing.assert_frame_equal(got[name], want[name])
        assert got.summary["counts"] == want.summary["counts"]
        closures.append(got.summary["counts"]["closures"])
        rep, plain = (replication_of(r, CITY, BUSY.name, seed) for r in (got, want))
        pd.testing.assert_frame_equal(rep.rows, plain.rows)
    assert sum(closures) > 0, closures  # pipe failures were drawn from the shared basis


def test_a_timeline_basis_serves_its_own_scenario_only():
    """The basis is checked against the scenario it is used for (any seed, nothing else)."""
    applied = apply(BUSY, CITY)
    basis = timeline_basis(BUSY, applied)
    rng = np.random.default_rng
    tl = build_timeline(BUSY.with_(seed=9), applied, rng(9), basis)
    assert tl.closures and tl == build_timeline(BUSY.with_(seed=9), applied, rng(9))
    with pytest.raises(ValueError, match="another scenario"):
        build_timeline(SCEN, applied, rng(9), basis)


def test_a_replication_runs_and_is_measured_with_the_collector_off(tmp_path, monkeypatch):
    """A replication (run and measures) goes with the cyclic collector off and switches it
    on again after: in a forked worker, whose inherited freeze keeps it from freezing the
    run, the run is then freed (by reference counting) before any pass walks it."""
    path = str(save_city(CITY, tmp_path / "tiny"))
    scen = SCEN.with_(city=path, days=0.5)
    during: list[bool] = []
    real = sweep_mod.replication_of

    def spy(*a, **k):
        during.append(gc.isenabled())
        return real(*a, **k)

    monkeypatch.setattr(sweep_mod, "replication_of", spy)
    monkeypatch.setattr(sweep_mod, "_PREPARED", {})
    assert gc.isenabled()
    one_replication(scen, path, 5)
    assert during == [False] and gc.isenabled()
