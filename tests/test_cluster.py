"""Sweeps and siting checks on a real dask.distributed cluster (issue #15): one LocalCluster
of two worker processes on 127.0.0.1 (started once for the module: starting one costs most
of these tests' time) runs a tiny sweep, which gives the same rows as the same sweep run in
this process, and the simulation check of `twin site --address`."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from distributed import LocalCluster

from tests.tinycity import tiny_city
from twin.analysis.sweep import sweep
from twin.model.city import save_city
from twin.scenario.spec import load_scenario


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as c:
        yield c


def test_a_sweep_through_a_local_cluster_equals_the_local_sweep(tmp_path, cluster):
    folder = save_city(tiny_city(), tmp_path / "tiny")
    path = tmp_path / "s.toml"
    path.write_text(
        f'name = "tiny"\nseed = 5\ndays = 0.5\ncity = "{folder.as_posix()}"\n'
        "[incidents]\nrate_multiplier = 20.0\n"
    )
    scen = load_scenario(path)
    rows = sweep(scen, 2, address=cluster.scheduler_address)
    here = sweep(scen, 2, workers=1)
    assert sorted(rows["seed"].unique()) == [5, 6]
    key = ["seed", "target", "scope"]
    pd.testing.assert_frame_equal(
        rows.sort_values(key).reset_index(drop=True),
        here.sort_values(key).reset_index(drop=True),
    )


def _site(folder, out, *extra):
    """`twin site` on the line city with a 2-replication check of half a day each."""
    from typer.testing import CliRunner

    from twin.cli.main import app

    args = ["site", "--add", "1", "--minutes", "2", "--period", "night", "--city", str(folder)]
    args += ["--out", str(out), "--budget", "0", "-n", "2", "--days", "0.5", *extra]
    res = CliRunner().invoke(app, args, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert (out / "check" / "comparison.csv").is_file()
    return str(res.output)


def test_twin_site_checks_on_a_cluster_given_by_address(tmp_path, cluster):
    """`twin site --address` (as `twin sweep`/`twin compare`): the paired check's
    replications run on the scheduler at that address (it records their tasks'
    transitions) and the check's comparison is written (the local path is
    tests/test_siting.py's end-to-end test; the line city's half days leave the check's
    table empty, which is not what is tested here)."""
    from tests.test_siting import line_city

    folder = save_city(line_city(), tmp_path / "line")
    before = cluster.scheduler.transition_counter
    there = _site(folder, tmp_path / "a", "--address", cluster.scheduler_address)
    assert cluster.scheduler.transition_counter > before  # the tasks went through it
    assert "2 paired replications" in there
