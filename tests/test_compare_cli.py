"""`twin compare` end to end on the tiny city (tests/tinycity.py saved as a city folder):
paired replications of a baseline and a new-station option over common seeds, and the
comparison of two finished runs with its warnings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.tinycity import node_xy, tiny_city
from twin.cli.main import app
from twin.model.city import save_city

runner = CliRunner()


def twin(*args: object) -> tuple[int, str]:
    res = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    return res.exit_code, res.output


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> dict[str, Path]:
    """A city folder and two scenarios: the baseline and one adding a fire station at n22
    (west bank, two streets from F1 at n00: a local change)."""
    root = tmp_path_factory.mktemp("cmp")
    city = tiny_city()
    folder = save_city(city, root / "tiny")
    lon, lat = city.lonlat_from_xy(np.array([node_xy("n22")]))[0]
    common = (
        f'seed = 11\ndays = 1\ncity = "{folder.as_posix()}"\n[incidents]\nrate_multiplier = 20.0\n'
    )
    base = root / "base.toml"
    base.write_text('name = "base"\n' + common)
    new = root / "new.toml"
    new.write_text(
        'name = "west-station"\n'
        + common
        + f'[[stations.add]]\nstation_id = "F9"\nforce = "fire"\nname = "F9"\n'
        f"lon = {lon}\nlat = {lat}\nunits = 1\n"
    )
    return {"root": root, "base": base, "new": new, "city": folder}


def test_paired_compare_writes_the_table_and_says_how_it_was_adjusted(setup):
    out = setup["root"] / "cmp-out"
    code, text = twin(
        "compare", setup["base"], setup["new"], "--replications", 3, "--workers", 1, "--out", out
    )
    assert code == 0, text
    assert "3 paired replications (seeds 11–13)" in text
    assert "identical to the baseline's in 3 of 3 seeds" in text  # common random numbers
    assert "Holm" in text and "local area local:west-station" in text
    table = pd.read_csv(out / "comparison.csv")
    assert {
        "option",
        "target",
        "scope",
        "measure",
        "diff",
        "low",
        "high",
        "p_holm",
        "significant",
    } <= set(table.columns)
    assert set(table["option"]) == {"west-station"}
    assert (table["scope"] == "local:west-station").any()
    dist = table[table["family"] == "district"]
    assert (dist.loc[dist["family_size"] > 1, "level"] > 0.95).all()  # simultaneous (Bonferroni)
    ok = dist["p"].notna()
    assert (dist.loc[ok, "p_holm"] >= dist.loc[ok, "p"]).all()
    reps = pd.read_csv(out / "base" / "replications.csv")
    assert sorted(reps["seed"].unique()) == [11, 12, 13]
    assert (out / "west-station" / "sweep.csv").exists()
    assert (out / "summary.txt").read_text().startswith("west-station vs base: 3 paired")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["common_random_numbers"]["west-station"] == {"identical_seeds": 3, "seeds": 3}


def test_two_finished_runs_are_compared_with_warnings(setup):
    a, b = setup["root"] / "run-a", setup["root"] / "run-b"
    assert twin("run", setup["base"], "--no-maps", "--out", a)[0] == 0
    assert twin("run", setup["new"], "--no-maps", "--seed", 12, "--days", 0.5, "--out", b)[0] == 0
    code, text = twin("compare", a, b)
    assert code == 0, text
    assert "different seeds (11 vs 12)" in text
    assert "differ in length (1 vs 0.5 days)" in text
    assert "one pair of runs carries no interval" in text


def test_compare_needs_two_inputs_and_one_kind(setup):
    code, text = twin("compare", setup["base"])
    assert code == 2 and "at least one option" in text
    code, text = twin("compare", setup["base"], setup["root"])
    assert code == 2 and "mix of results folders and scenario files" in text
