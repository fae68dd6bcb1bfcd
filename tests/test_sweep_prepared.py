"""A sweep's replications reuse one set-up per worker process (applied city, engine:
``twin.sim.runner.prepare``) and are still, seed for seed, what a plain ``run_scenario``
gives: same incidents, events, units, compliance and counts. A set-up that kept state
between runs (a Generator, a queue, a crew's position) would show here as a difference
from the second seed on."""

from __future__ import annotations

import pandas as pd
from tinycity import tiny_city

from twin.analysis import sweep as sweep_mod
from twin.analysis.sweep import one_replication, replication_of
from twin.model.city import save_city
from twin.scenario.spec import Scenario
from twin.sim.runner import prepare, run_prepared, run_scenario

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
    city = sweep_mod._city(path)
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
    forked = sweep_mod.sweep(scen, 3, workers=2)
    assert len(sweep_mod._PREPARED) == 1  # set up here, before the fork
    pd.testing.assert_frame_equal(forked, sweep_mod.sweep(scen, 3, workers=1))
