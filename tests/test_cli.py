"""One end-to-end test per user-facing command, through the real `twin` CLI (typer app),
on the embedded twin, real files and the real browser where the command uses one."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from twin.analysis.report import TARGET_LABELS
from twin.cli.main import app
from twin.model.city import load_city

runner = CliRunner()
# end-to-end runs on the embedded twin (the drill with its maps, a sweep): up to 15 min on
# a loaded 2-core machine before pytest-timeout cuts one
pytestmark = pytest.mark.timeout(900)
ROOT = Path(__file__).resolve().parent.parent


def twin(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    return res.exit_code, res.output


@pytest.fixture(scope="module")
def drill_run(tmp_path_factory) -> Path:
    """`twin run` of the gas-leak drill (scripted, routes recorded), maps included."""
    out = tmp_path_factory.mktemp("runs") / "drill"
    code, text = twin("run", ROOT / "scenarios" / "gas-leak-drill.toml", "--out", out)
    assert code == 0, text
    return out


def test_run_prints_the_targets_table_and_writes_a_complete_folder(drill_run):
    names = {p.name for p in drill_run.iterdir()}
    assert {
        "incidents.parquet",
        "events.parquet",
        "compliance.csv",
        "summary.json",
        "routes.parquet",
        "lifelines.parquet",
        "map.html",
        "map.png",
        "briefing.html",
    } <= names
    summary = json.loads((drill_run / "summary.json").read_text())
    assert summary["scenario"]["name"] and summary["seed"] == summary["scenario"]["seed"]
    inc = pd.read_parquet(drill_run / "incidents.parquet")
    assert (inc["type"] == "gas_leak").sum() >= 1
    assert not list(drill_run.parent.glob("drill.tmp-*"))
    # the scripted leaks of the drill file, at the minutes it states, with their labels
    import tomllib

    drill = tomllib.loads((ROOT / "scenarios" / "gas-leak-drill.toml").read_text("utf-8"))
    scripted = drill["incidents"]["scripted"]
    got = inc[inc["cause"] == "script"].sort_values("onset_s")
    assert got["onset_s"].tolist() == pytest.approx(sorted(60.0 * s["t_min"] for s in scripted))
    assert set(got["label"]) == {s.get("label", "") for s in scripted}
    # the folder's tables agree with each other: summary counts, compliance counts
    assert summary["counts"]["incidents"] == len(inc)
    comp = pd.read_csv(drill_run / "compliance.csv").set_index(["target", "from", "scope"])
    assert comp.loc[("30min", "alarm", "city"), "count"] == inc["met_30"].notna().sum()
    assert comp.loc[("30min", "alarm", "city"), "met_share"] == pytest.approx(
        inc["met_30"].fillna(False).sum() / inc["met_30"].notna().sum()
    )


def test_run_output_table(tmp_path):
    code, text = twin("run", "--days", "0.1", "--seed", "5", "--no-maps", "--out", tmp_path / "r")
    assert code == 0, text
    assert "ground rescue" in text and "community responder" in text and "p90" in text
    assert "results written to" in text
    # what it printed is what it wrote: per target the count and the share met of the city
    comp = pd.read_csv(tmp_path / "r" / "compliance.csv")
    # the table shows each target from the alarm (the `from` column; onset rows are extra)
    city = comp[(comp["scope"] == "city") & (comp["from"] == "alarm")].set_index("target")
    flat = " ".join(text.split())
    for target in ("10min", "30min"):
        row = city.loc[target]
        assert re.search(
            rf"{re.escape(TARGET_LABELS[target])}\W+{int(row['count']):,}\W+"
            rf"{row['met_share']:.1%}",
            flat,
        ), (target, row.to_dict(), text)
    inc = pd.read_parquet(tmp_path / "r" / "incidents.parquet")
    assert f"incidents: {len(inc):,}," in flat
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["seed"] == 5


def test_same_seed_gives_identical_files(tmp_path):
    for name in ("a", "b"):
        code, text = twin(
            "run", "--days", "0.1", "--seed", "9", "--no-maps", "--out", tmp_path / name
        )
        assert code == 0, text
    for table in ("incidents.parquet", "events.parquet"):
        assert (tmp_path / "a" / table).read_bytes() == (tmp_path / "b" / table).read_bytes()


def test_map_redraws_from_a_results_folder(drill_run):
    (drill_run / "map.html").unlink()
    code, text = twin("map", drill_run)
    assert code == 0, text
    html = (drill_run / "map.html").read_text(encoding="utf-8")
    assert "deckInstance" in html
    assert "map.html" in text
    # the map is the run's: its scenario name is the page's title
    name = json.loads((drill_run / "summary.json").read_text())["scenario"]["name"]
    assert name in html
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']?(https?:)?//""", html)


def test_replay_writes_the_animated_map(drill_run):
    code, text = twin("replay", drill_run)
    assert code == 0, text
    assert "replay.html" in text
    html = (drill_run / "replay.html").read_text(encoding="utf-8")
    assert len(html) > 100_000
    # one timeline row per event of the run, and the drill's label on the page
    assert html.count('data-t="') == len(pd.read_parquet(drill_run / "events.parquet"))
    inc = pd.read_parquet(drill_run / "incidents.parquet")
    label = inc.loc[inc["cause"] == "script", "label"].iloc[0]
    assert label and label in html


def test_compare_shows_districts(drill_run, tmp_path):
    code, text = twin("compare", drill_run, drill_run)
    assert code == 0, text
    assert "Yuzhong" in text and "+0.0 pt" in text


def test_summary_of_the_embedded_twin():
    code, text = twin("summary")
    assert code == 0, text
    assert "10,343,462" in text and "bridge / tunnel edges" in text
    assert "2020 census" in text  # the embedded twin's city.json says where people come from


def test_validate_ok_and_bad(tmp_path):
    code, text = twin("validate", ROOT / "geodata" / "chongqing")
    assert code == 0 and "OK" in text
    s = load_city().summary()  # the figures it prints are the embedded twin's
    flat = " ".join(text.split())
    assert f"{s['road_nodes']:,} / {s['road_edges']:,}" in flat
    assert f"{s['population']:,}" in flat
    code, text = twin("validate", tmp_path)
    assert code == 2
    assert all(layer in text for layer in ("districts", "road_nodes", "road_edges"))


def test_import_osm_then_load(tmp_path):
    code, text = twin(
        "import", "osm", ROOT / "tests" / "data" / "West-Oakland.osm.bz2", tmp_path / "oakland"
    )
    assert code == 0, text
    code, text = twin("summary", tmp_path / "oakland")
    assert code == 0 and "road nodes" in text
    nodes = pd.read_parquet(tmp_path / "oakland" / "road_nodes.parquet")
    edges = pd.read_parquet(tmp_path / "oakland" / "road_edges.parquet")
    assert len(nodes) >= 10 and len(edges) >= len(nodes) - 1  # a connected street network
    assert f"{len(nodes):,} / {len(edges):,}" in " ".join(text.split())


def test_import_epanet_into_a_city(tmp_path):
    net1 = files("wntr") / "library" / "networks" / "Net1.inp"
    code, text = twin(
        "import", "osm", ROOT / "tests" / "data" / "West-Oakland.osm.bz2", tmp_path / "oak"
    )
    assert code == 0, text
    code, text = twin(
        "import",
        "epanet",
        net1,
        "--into",
        tmp_path / "oak",
        "--anchor",
        "-122.2925,37.8095",
        "--units-to-m",
        "0.3048",
    )
    assert code == 0, text
    assert "water" in text
    # Net1 (EPANET's example, lengths in feet): 12 pipes — one of 10 530 ft, one of 200 ft,
    # ten of 5 280 ft, 63 530 ft = 19 363.944 m in all — and one pump, kept as a short link
    pipes = pd.read_parquet(tmp_path / "oak" / "pipes.parquet")
    water = pipes[pipes["network"] == "water"]
    assert water["link_type"].value_counts().to_dict() == {"pipe": 12, "pump": 1}
    hydraulic = water.loc[water["link_type"] == "pipe", "length_m"]
    assert hydraulic.sum() == pytest.approx(63_530 * 0.3048, rel=1e-9)
    assert sorted(hydraulic.round(3))[:2] == pytest.approx([200 * 0.3048, 5280 * 0.3048])


def test_bad_scenario_exits_2_with_the_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n[[closures]]\nname = "No Such Bridge"\nduration_h = -2\n')
    code, text = twin("run", bad, "--out", tmp_path / "never")
    assert code == 2
    assert "bad.toml:4" in text and "duration_h" in text
    assert not (tmp_path / "never").exists()


def test_unknown_bridge_name_is_named(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\ndays = 0.1\n[[closures]]\nname = "千厮门大桥X"\n')
    code, text = twin("run", bad, "--out", tmp_path / "never")
    assert code == 2
    assert "千厮门大桥X" in text and "bad.toml:4" in text
    assert not (tmp_path / "never").exists()


def test_sweep_runs_replications(tmp_path):
    code, text = twin(
        "sweep", "--days", "0.05", "-n", "2", "--workers", "1", "--out", tmp_path / "sw"
    )
    assert code == 0, text
    sweep = pd.read_csv(tmp_path / "sw" / "sweep.csv")
    assert (sweep.loc[sweep["scope"] == "city", "replications"] == 2).all()
    assert "Across replications" in text and "interval" in text


def test_replay_of_a_run_without_routes_says_how_to_get_them(tmp_path):
    code, text = twin("run", "--days", "0.05", "--no-routes", "--no-maps", "--out", tmp_path / "r")
    assert code == 0, text
    code, text = twin("replay", tmp_path / "r")
    assert code == 2 and "no unit routes" in text and "--routes" in text


def test_every_scenario_problem_is_reported_at_once(tmp_path):
    """A station outside the city and an unknown bridge: both named in one error."""
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'name = "bad"\ndays = 0.1\n'
        '[[stations.add]]\nstation_id = "fire-new"\nforce = "fire"\nname = "x"\n'
        "lon = 100.0\nlat = 20.0\nunits = 2\n"
        '[[closures]]\nname = "No Such Bridge"\n'
    )
    code, text = twin("run", bad, "--out", tmp_path / "never")
    assert code == 2
    assert "fire-new" in text and "No Such Bridge" in text
    assert not (tmp_path / "never").exists()
