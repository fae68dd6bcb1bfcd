"""Sweeps on a real dask.distributed cluster (issue #15): a LocalCluster of two worker
processes on 127.0.0.1 runs a tiny sweep, which gives the same rows as the same sweep run
in this process."""

from __future__ import annotations

import pandas as pd
from distributed import LocalCluster

from tests.tinycity import tiny_city
from twin.analysis.sweep import sweep
from twin.model.city import save_city
from twin.scenario.spec import load_scenario


def test_a_sweep_through_a_local_cluster_equals_the_local_sweep(tmp_path):
    folder = save_city(tiny_city(), tmp_path / "tiny")
    path = tmp_path / "s.toml"
    path.write_text(
        f'name = "tiny"\nseed = 5\ndays = 0.5\ncity = "{folder.as_posix()}"\n'
        "[incidents]\nrate_multiplier = 20.0\n"
    )
    scen = load_scenario(path)
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        rows = sweep(scen, 2, address=cluster.scheduler_address)
    here = sweep(scen, 2, workers=1)
    assert sorted(rows["seed"].unique()) == [5, 6]
    key = ["seed", "target", "scope"]
    pd.testing.assert_frame_equal(
        rows.sort_values(key).reset_index(drop=True),
        here.sort_values(key).reset_index(drop=True),
    )
