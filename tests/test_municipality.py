"""The municipality twin (issue 15): built once per test session into a private cache folder
(about 20 s), loaded by name, validated, run end to end from the command line; and the
60-minute air target at a far county seat worked out by hand."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from twin.build.airports import AIR_BASES
from twin.build.driver import main as build_main
from twin.build.geo import load_districts, sources_path
from twin.build.municipality_cells import seats
from twin.build.names import MUNICIPALITY
from twin.build.params import CORE
from twin.cli.main import app
from twin.errors import TwinDataError
from twin.model.city import City, load_city
from twin.model.named import named_city
from twin.scenario.spec import load_scenario
from twin.sim.forces import DEFAULT_FORCES
from twin.sim.movement import fly_walk_s
from twin.sim.params import CALL_MEDIAN_S, AirLimits

CENSUS_TOTAL = 32_054_159  # the 38 rows of chongqing_population_2020.csv
CENTRAL_NINE = set(CORE)
CHENGKOU, WANZHOU_AIR = "500229", "Wanzhou Wuqiao Airport Air Base"


@pytest.fixture(scope="module")
def cache_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private cache folder for this module (the municipality is built into it once)."""
    folder = tmp_path_factory.mktemp("muni-cache")
    old = os.environ.get("TWIN_CACHE_DIR")
    os.environ["TWIN_CACHE_DIR"] = str(folder)
    yield folder
    if old is None:
        del os.environ["TWIN_CACHE_DIR"]
    else:
        os.environ["TWIN_CACHE_DIR"] = old


@pytest.fixture(scope="module")
def muni(cache_env: Path) -> City:
    return load_city(MUNICIPALITY)


def test_municipality_builds_by_name_is_cached_and_validates(muni: City, cache_env: Path) -> None:
    assert muni.name == "Chongqing municipality"
    folder = Path(str(muni.source))
    assert folder.parent == cache_env / "cities" and folder.name.startswith("municipality-")
    # load_city validated every layer (it raises TwinDataError otherwise)
    d = muni.districts
    assert len(d) == 38 and set(d["level"]) == {"core"}
    assert int(d["population"].sum()) == CENSUS_TOTAL
    # the census is spread over the cells and sums back to each district's figure
    by_cell = muni.cells.groupby("district_id")["population"].sum()
    assert np.allclose(by_cell.reindex(d["district_id"]).to_numpy(), d["population"], rtol=1e-9)
    # roads of every class, bridges and tunnels; no pipes (documented)
    e = muni.road_edges
    assert {"expressway", "arterial", "local", "mountain"} <= set(e["road_class"])
    assert e["bridge"].sum() > 38 and e["tunnel"].sum() > 0 and muni.pipes.empty
    # the six air bases, each in the district it serves
    air = muni.stations[muni.stations["force"] == "air"]
    assert sorted(air["name_en"]) == sorted(b.en for b in AIR_BASES)
    assert dict(zip(air["name_en"], air["district_id"])) == {b.en: b.district_id for b in AIR_BASES}
    # a second load by name finds the cached folder (no second build)
    assert named_city(MUNICIPALITY) == folder


def test_a_folder_named_like_a_built_in_city_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "municipality").mkdir()
    with pytest.raises(TwinDataError) as err:  # the empty folder is read, not the built-in
        load_city("municipality")
    assert "municipality" in str(err.value)
    sc = tmp_path / "sc.toml"
    sc.write_text('city = "central"\n', encoding="utf-8")
    assert load_scenario(sc).city == "central"  # a name, not resolved against the folder
    sc.write_text('city = "municipality"\n', encoding="utf-8")
    assert load_scenario(sc).city == str(tmp_path / "municipality")  # the folder exists


def test_far_county_seat_air_by_hand(muni: City) -> None:
    """Chengkou (城口), the county seat farthest from every air base.

    By hand: the seat (the boundary file's centre, 108.6649 E 31.9463 N) lies 128.9 km from
    Wanzhou Wuqiao (108.433 E 30.802 N), its nearest base. From the alarm: call handling
    60 s (median) + launch 600-900 s + flight 128,900 m / 60 m/s = 2,148 s + approach 180 s
    = 2,988-3,288 s <= 3,600 s: **by day, with the Wanzhou helicopter free, the seat is
    reached within the hour**. At night (19:00-07:00) no helicopter takes off: an alarm at
    22:00 waits 9 h for the 07:00 launch and misses the 60-min target by far. The far
    north of the county is farther: the road node farthest from every base (Chengkou,
    108.50 E 32.20 N) is 155.0 km from Wanzhou: 60 + 600 + 155,000 / 60 + 180 = 3,423 s with
    the fastest launch (met), 3,723 s with the slowest (missed) — so no place of the
    municipality is out of reach by day for a free helicopter, and the far north of Chengkou
    misses whenever the launch takes more than about 12 min.
    """
    d = load_districts(sources_path()).to_crs(muni.crs)
    seat_xy = seats(d[d["district_id"] == CHENGKOU])[0]
    air = muni.stations[muni.stations["force"] == "air"]
    base_xy = np.array([[p.x, p.y] for p in air.geometry])
    dist = np.hypot(*(base_xy - seat_xy).T)
    nearest = int(np.argmin(dist))
    assert air["name_en"].iloc[nearest] == WANZHOU_AIR
    assert dist[nearest] == pytest.approx(128_900, abs=300)
    spec = DEFAULT_FORCES["air"]
    flight = fly_walk_s(spec, tuple(base_xy[nearest]), tuple(seat_xy))
    assert flight == pytest.approx(128_900 / 60 + 180, abs=6)
    best = CALL_MEDIAN_S + spec.turnout_s + flight
    worst = CALL_MEDIAN_S + (spec.turnout_max_s or spec.turnout_s) + flight
    assert 2_980 < best < worst < 3_300 < 3_600  # by day: met
    limits = AirLimits()
    assert limits.grounded(22 * 3600.0, np.zeros(1, bool))  # by night: grounded until 07:00
    assert not limits.grounded(31 * 3600.0, np.zeros(2, bool))  # 07:00 next day
    assert (31 - 22) * 3600.0 + best > 3_600
    # The road node farthest from every base: met with the fastest launch, missed with the slowest
    nodes = np.array([[p.x, p.y] for p in muni.road_nodes.geometry])
    to_base = np.hypot(*(nodes[:, None, :] - base_xy[None]).transpose(2, 0, 1)).min(axis=1)
    far = int(np.argmax(to_base))
    assert muni.road_nodes["district_id"].iloc[far] == CHENGKOU
    assert to_base[far] == pytest.approx(155_000, abs=500)
    fastest = CALL_MEDIAN_S + spec.turnout_s + to_base[far] / 60 + 180
    slowest = CALL_MEDIAN_S + (spec.turnout_max_s or spec.turnout_s) + to_base[far] / 60 + 180
    assert fastest < 3_600 < slowest


def test_twin_run_city_municipality_end_to_end(muni: City, tmp_path: Path) -> None:
    out = tmp_path / "run"
    r = CliRunner().invoke(
        app, ["run", "--city", "municipality", "--days", "0.2", "--out", str(out), "--no-maps"]
    )
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["city"]["name"] == "Chongqing municipality"
    inc = pd.read_parquet(out / "incidents.parquet")
    # a fifth of a day for 32 M people: hundreds of incidents across most of the 38 districts
    assert len(inc) > 200 and inc["district_id"].nunique() >= 30
    comp = pd.read_csv(out / "compliance.csv")
    ground = comp[(comp["target"] == "30min") & (comp["from"] == "alarm")]
    scoped = set(ground["scope"][ground["scope"].str.startswith("district:")].str[9:])
    assert scoped <= set(inc["district_id"]) and scoped - CENTRAL_NINE  # outer counties too
    assert math.isfinite(float(ground[ground["scope"] == "city"]["met_share"].iloc[0]))


def test_build_script_needs_out_for_the_municipality(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``geodata/build.py --municipality`` without ``--out`` would overwrite the central
    twin's folder: refused with a usage error, nothing written."""
    with pytest.raises(SystemExit) as ex:
        build_main(["--municipality"], default_out=tmp_path / "chongqing")
    assert ex.value.code == 2 and "--municipality needs --out" in capsys.readouterr().err
    assert not (tmp_path / "chongqing").exists()
