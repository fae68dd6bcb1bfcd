"""The planners' app's JSON API (FastAPI's test client), on the tiny hand-made city.

Runs really run: the worker starts ``python -m twin.app.job`` child processes on a tiny
city saved to a folder, so the whole path (queue, child, status file, results folders,
paired comparison, downloads) is exercised. Bad input must answer 422 with the CLI's
problem list; unknown runs and unsafe file names 404.
"""

from __future__ import annotations

import io
import math
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from tinycity import node_xy, tiny_city

from twin.app.paired import holm, paired_table
from twin.app.server import create_app
from twin.model.city import City, load_city, save_city

RUN_TIMEOUT_S = 240.0


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> City:
    folder = tmp_path_factory.mktemp("tinycity") / "city"
    save_city(tiny_city(), folder)
    return load_city(folder)


@pytest.fixture(scope="module")
def client(city: City, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(city, tmp_path_factory.mktemp("runs"))) as c:
        yield c


def wait_done(client: TestClient, run_id: str) -> dict[str, Any]:
    """Poll the run until it is done or failed (a bounded wait on a reported state)."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        status = client.get(f"/api/runs/{run_id}").json()
        if status["status"] in ("done", "failed"):
            return status
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} not finished after {RUN_TIMEOUT_S} s: {status}")


def test_health_and_city(client: TestClient, city: City) -> None:
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["city"] == city.name
    info = client.get("/api/city").json()
    # each bank: 3 columns × 4 rows → 2·4 east-west + 3·3 north-south = 17 streets; ×2 + 2 bridges
    assert info["road_edges"] == len(city.road_edges) == 36
    assert info["bridge_edges"] == 2 and info["stations"]["fire"] == 3
    layers = client.get("/api/city/layers").json()
    assert {d["id"] for d in layers["districts"]} == {"D1", "D2", "D3"}
    # every bridge is clickable; local streets are not sent (tinycity: all local but bridges)
    assert sorted(r["name"] for r in layers["roads"]) == ["Long Bridge", "Short Bridge"]
    assert {s["id"] for s in layers["stations"]} == {"F1", "F2", "F3", "P1", "S1", "A1"}
    west, south, east, north = layers["bounds"]
    assert west < east and south < north


def test_shipped_scenarios_listed_and_read(client: TestClient) -> None:
    names = {s["name"]: s for s in client.get("/api/scenarios").json()}
    assert {"baseline", "rainstorm", "earthquake", "new-station"} <= set(names)
    assert names["rainstorm"]["hazard"] and not names["baseline"]["hazard"]
    one = client.get("/api/scenarios/rainstorm").json()
    assert one["scenario"]["rainstorm"][0]["intensity_mm_h"] == 80
    assert "[[rainstorm]]" in one["toml"]
    assert client.get("/api/scenarios/..%2Fbaseline").status_code == 404
    assert client.get("/api/scenarios/nope").status_code == 404


BAD_SCENARIOS = {
    "negative demand": ({"incidents": {"rate_multiplier": -1}}, "incidents.rate_multiplier"),
    "unknown key": ({"dayz": 3}, "dayz"),
    "unknown bridge": ({"closures": [{"name": "Shrot Bridge"}]}, "Short Bridge"),
    "station outside the city": (
        {
            "stations": {
                "add": [
                    {
                        "station_id": "X",
                        "force": "fire",
                        "name": "x",
                        "lon": 100.0,
                        "lat": 20.0,
                        "units": 2,
                    }
                ]
            }
        },
        "outside",
    ),
    "zero days": ({"days": 0}, "days"),
}


@pytest.mark.parametrize("case", sorted(BAD_SCENARIOS))
def test_bad_scenario_gets_422_with_the_problem_list(client: TestClient, case: str) -> None:
    body, needle = BAD_SCENARIOS[case]
    r = client.post("/api/runs", json={"scenario": {"name": "bad", **body}})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail["problems"], detail
    assert needle in detail["message"]
    assert all(p["where"] == "scenario (from the app)" for p in detail["problems"])


def test_problem_lines_point_into_the_toml_the_page_shows(client: TestClient) -> None:
    text = 'name = "x"\ndays = 1\n\n[incidents]\nrate_multiplier = -2\n'
    r = client.post("/api/runs", json={"toml": text})
    assert r.status_code == 422
    assert r.json()["detail"]["problems"][0]["line"] == 5


def test_scenario_must_be_json_or_toml_not_both(client: TestClient) -> None:
    both = client.post("/api/runs", json={"scenario": {}, "toml": "days = 1"})
    neither = client.post("/api/runs", json={})
    assert both.status_code == neither.status_code == 422
    assert "either as JSON or as TOML" in both.json()["detail"]["message"]
    extra = client.post("/api/runs", json={"scenario": {}, "path": "/etc/passwd"})
    assert extra.status_code == 422  # unknown request fields are refused, not ignored
    many = client.post("/api/runs", json={"scenario": {}, "replications": 500})
    assert many.status_code == 422


def test_check_turns_json_into_the_toml_of_a_scenario_file(client: TestClient, city: City) -> None:
    lon, lat = (float(v) for v in city.lonlat_from_xy(np.array(node_xy("n11")))[0])
    station = {
        "station_id": "N1",
        "force": "fire",
        "name": "新站",
        "lon": 100.0,
        "lat": 20.0,
        "units": 2,
    }
    body = {"scenario": {"name": "one-more", "days": 2, "stations": {"add": [station]}}}
    far = client.post("/api/scenario/check", json=body)
    assert far.status_code == 422 and "outside" in far.json()["detail"]["message"]
    station.update(lon=round(lon, 6), lat=round(lat, 6))
    ok = client.post("/api/scenario/check", json=body)
    assert ok.status_code == 200, ok.text
    toml = ok.json()["toml"]
    assert "[[stations.add]]" in toml and 'name = "新站"' in toml
    assert ok.json()["scenario"]["stations"]["add"][0]["units"] == 2


def test_unknown_runs_and_unsafe_file_names_are_404(client: TestClient) -> None:
    assert client.get("/api/runs/0123456789ab").status_code == 404
    assert client.get("/api/runs/..").status_code == 404
    assert client.get("/api/runs/not-an-id/download").status_code == 404


def test_a_run_runs_and_compares_with_its_reference(client: TestClient, city: City) -> None:
    """A closed bridge against the same day with it open: both run over the same 2 seeds."""
    cond = {"name": "ref", "days": 0.25, "seed": 7, "incidents": {"rate_multiplier": 40.0}}
    scen = {**cond, "name": "short-bridge-closed", "closures": [{"name": "Short Bridge"}]}
    r = client.post("/api/runs", json={"scenario": scen, "reference": cond, "replications": 2})
    assert r.status_code == 202, r.text
    run_id = r.json()["id"]
    status = wait_done(client, run_id)
    assert status["status"] == "done", status
    assert status["progress"] == 1.0
    result = status["result"]
    assert result["replications"] == 2
    assert {h["target"] for h in result["headline"]} <= {"10min", "30min", "60min"}
    assert all(h["scope"] == "city" for h in result["headline"])
    files = set(status["files"])
    assert {
        "comparison.csv",
        "reference/summary.json",
        "scenario/summary.json",
        "scenario/map.html",
    } <= files
    csv = pd.read_csv(io.StringIO(client.get(f"/api/runs/{run_id}/files/comparison.csv").text))
    assert set(csv["n"]) <= {0, 1, 2}
    summary = client.get(f"/api/runs/{run_id}/files/scenario/summary.json").json()
    assert summary["scenario"]["closures"][0]["name"] == "Short Bridge"
    assert summary["seed"] == 7  # replication 1 uses the scenario's seed
    for name in (
        "../request.json",
        "scenario/../../request.json",
        ".hidden",
        "/etc/passwd",
        "scenario//map.html",
        "a/b/c/d",
        "status.json/x",
        "%2e%2e/request.json",
    ):
        assert client.get(f"/api/runs/{run_id}/files/{name}").status_code == 404, name
    z = zipfile.ZipFile(io.BytesIO(client.get(f"/api/runs/{run_id}/download").content))
    assert f"{run_id}/comparison.csv" in z.namelist()
    assert all(n.startswith(f"{run_id}/") and ".." not in n for n in z.namelist())


def test_compare_of_a_scenario_with_itself_is_exactly_zero(client: TestClient) -> None:
    same = {"toml": 'name = "same"\ndays = 0.25\nseed = 3\n[incidents]\nrate_multiplier = 40.0\n'}
    r = client.post("/api/compare", json={"base": same, "other": same, "replications": 2})
    assert r.status_code == 202
    status = wait_done(client, r.json()["id"])
    assert status["status"] == "done", status
    rows = [row for row in status["result"]["rows"] if row["n"] == 2]
    assert rows, "no measure had a value in both replications"
    for row in rows:  # common random numbers: identical runs, identical measures
        assert row["diff"] == 0.0 and row["ci_low"] == row["ci_high"] == 0.0
        assert not row["significant"]


def compliance(values: dict[tuple[str, str], float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "target": t,
                "scope": s,
                "met_share": v,
                "p90_s": 100 * v,
                "mean_s": 10 * v,
                "count": 5,
            }
            for (t, s), v in values.items()
        ]
    )


def test_paired_table_by_hand() -> None:
    """Differences 0.1, 0.2, 0.3: mean 0.2, sd 0.1, t(0.975, 2) = 4.3027 → 0.2 ± 0.2484."""
    ref = [compliance({("30min", "city"): v}) for v in (0.5, 0.6, 0.7)]
    scen = [compliance({("30min", "city"): v}) for v in (0.6, 0.8, 1.0)]
    out = paired_table(ref, scen).set_index("measure")
    row = out.loc["met_share"]
    assert row["n"] == 3 and math.isclose(row["diff"], 0.2)
    half = 4.302652729749464 * 0.1 / math.sqrt(3)
    assert math.isclose(row["ci_low"], 0.2 - half) and math.isclose(row["ci_high"], 0.2 + half)
    assert math.isclose(row["reference"], 0.6) and math.isclose(row["scenario"], 0.8)
    assert math.isclose(out.loc["p90_s", "diff"], 20.0)  # p90 built as 100 × share


def test_one_pair_carries_no_interval() -> None:
    out = paired_table(
        [compliance({("30min", "city"): 0.5})], [compliance({("30min", "city"): 0.7})]
    )
    row = out.set_index("measure").loc["met_share"]
    assert math.isclose(row["diff"], 0.2) and math.isnan(row["ci_low"]) and math.isnan(row["p"])
    assert not row["significant"]


def test_holm_by_hand() -> None:
    """p = (0.01, 0.04, 0.03): sorted 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 → max(0.06, 0.04).

    With a NaN (no value): m = 2, 0.5·2 = 1.0, then 0.9·1 = 0.9 raised to the running max 1.0.
    """
    assert np.allclose(holm(np.array([0.01, 0.04, 0.03])), [0.03, 0.06, 0.06])
    assert np.allclose(holm(np.array([0.5, np.nan, 0.9])), [1.0, np.nan, 1.0], equal_nan=True)


def test_zero_true_difference_covers_zero_about_95_percent() -> None:
    """200 fixed seeds, 10 pairs each with no true difference: coverage within 91–98 %."""
    rng = np.random.default_rng(20261126)
    covered = 0
    for _ in range(200):
        base = rng.uniform(0.5, 0.9, 10)
        ref = [compliance({("30min", "city"): b}) for b in base]
        scen = [compliance({("30min", "city"): b + rng.normal(0, 0.02)}) for b in base]
        row = paired_table(ref, scen).set_index("measure").loc["met_share"]
        covered += row["ci_low"] <= 0.0 <= row["ci_high"]
    assert 182 <= covered <= 196, covered


def test_paired_table_needs_matching_replications() -> None:
    with pytest.raises(ValueError):
        paired_table([compliance({("30min", "city"): 0.5})], [])


def test_site_proposes_stations_the_page_can_accept(client: TestClient) -> None:
    """One new fire station within 5 min (MCLP): the tiny city's best site is on the east bank.

    Fire stations sit at n00 (west), n50 and n53 (east edge); at night-free off-peak times
    every street is 100 s, so the people least covered live in the middle columns — the
    proposal must be a road node of the city, inside its bounds, with the gain it promises.
    """
    r = client.post("/api/site", json={"k": 1, "force": "fire", "minutes": 5})
    assert r.status_code == 202, r.text
    status = wait_done(client, r.json()["id"])
    assert status["status"] == "done", status
    res = status["result"]
    assert res["kind"] == "site" and len(res["sites"]) == 1
    site = res["sites"][0]
    west, south, east, north = client.get("/api/city/layers").json()["bounds"]
    assert west <= site["lon"] <= east and south <= site["lat"] <= north
    assert site["node_id"].startswith("n")
    assert res["coverage_gain"] >= 0 and res["people_within_after"] >= res["people_within_before"]
    bad = client.post("/api/site", json={"k": 0})
    assert bad.status_code == 422
    unknown = client.post("/api/site", json={"k": 1, "force": "police"})
    assert unknown.status_code == 422
