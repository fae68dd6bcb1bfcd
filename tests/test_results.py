"""The results folder: written atomically, read back, compared."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from twin.analysis.compare import compare_compliance
from twin.analysis.results import Results, read_results, write_results
from twin.errors import TwinDataError


def small_results(share: float = 0.9) -> Results:
    comp = pd.DataFrame(
        {
            "target": ["30min", "30min", "30min"],
            "scope": ["city", "district:A", "district:B"],
            "count": [10, 6, 4],
            "met_share": [share, share, 1.0],
            "mean_s": [900.0, 1000.0, 700.0],
            "p50_s": [800.0, 900.0, 650.0],
            "p90_s": [1500.0, 1700.0, 900.0],
            "p95_s": [1700.0, 1800.0, 950.0],
        }
    )
    inc = pd.DataFrame({"incident_id": ["i1", "i2"], "onset_s": [1.0, 2.0]})
    return Results({"compliance": comp, "incidents": inc}, {"seed": 1, "scenario": {"name": "t"}})


def test_write_then_read_round_trip(tmp_path):
    out = write_results(small_results(), tmp_path / "run")
    back = read_results(out)
    assert sorted(p.name for p in out.iterdir()) == [
        ".shancheng-results",
        "compliance.csv",
        "incidents.parquet",
        "summary.json",
    ]
    pd.testing.assert_frame_equal(back["incidents"], small_results()["incidents"])
    assert back.summary == {"seed": 1, "scenario": {"name": "t"}}


def test_interrupted_write_leaves_no_complete_looking_folder(tmp_path):
    def crash(folder):
        raise KeyboardInterrupt("user pressed Ctrl-C while maps were drawn")

    with pytest.raises(KeyboardInterrupt):
        write_results(small_results(), tmp_path / "run", extra=crash)
    assert list(tmp_path.iterdir()) == []  # neither the folder nor its temporary twin


def test_interrupted_rewrite_keeps_the_previous_complete_results(tmp_path):
    out = write_results(small_results(0.9), tmp_path / "run")

    def crash(folder):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_results(small_results(0.5), out, extra=crash)
    assert read_results(out)["compliance"]["met_share"].iloc[0] == 0.9
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_stale_temporary_folders_are_cleaned_only_when_ours_and_dead(tmp_path):
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = tmp_path / f"run.tmp-{gone.pid}-deadbeef"  # marked, its process gone: removed
    stale.mkdir()
    (stale / ".shancheng-results").write_text("{}")
    (stale / "incidents.parquet").write_bytes(b"half")
    (tmp_path / "run.tmp-deadbeef").mkdir()  # no owner, no marker: not provably ours, kept
    write_results(small_results(), tmp_path / "run")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "run.tmp-deadbeef"]


def test_reading_an_incomplete_folder_says_so(tmp_path):
    (tmp_path / "half").mkdir()
    with pytest.raises(TwinDataError, match="no summary.json"):
        read_results(tmp_path / "half")


def test_compare_gives_differences_per_district():
    diff = compare_compliance(small_results(0.9)["compliance"], small_results(0.6)["compliance"])
    row = diff[diff["scope"] == "district:A"].iloc[0]
    assert row["d_met_share"] == pytest.approx(-0.3)
    assert row["d_p90_s"] == 0
    # plain data: the records survive a JSON round trip unchanged (no numpy scalars)
    records = diff.to_dict("records")
    assert json.loads(json.dumps(records)) == records
