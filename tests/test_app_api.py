"""The planners' app's JSON API (FastAPI's test client), on the tiny hand-made city.

Runs really run: the worker starts ``python -m twin.app.job`` child processes on a tiny
city saved to a folder, so the whole path (queue, child, status file, results folders,
paired comparison, downloads) is exercised. Bad input must answer 422 with the CLI's
problem list; unknown runs and unsafe file names 404.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from tinycity import node_xy, tiny_city

import twin.viz.style as style
from twin.analysis.compare import run_comparison
from twin.app.server import create_app
from twin.model.city import City, load_city, save_city
from twin.scenario.spec import parse_scenario

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
    # the page draws with the static maps' palette (twin.viz.style)
    pal = layers["palette"]
    assert pal["forces"]["fire"] == list(style.force_style("fire")["color"][:3])
    assert pal["new"] == style.NEW_COLOR[:3] and pal["water"] == style.WATER_COLOR[:3]


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
    assert set(csv["seeds"]) <= {1, 2}
    assert_same_as_twin_compare(client, city, csv, cond, scen)
    listed = {r["id"]: r for r in client.get("/api/runs").json()}
    assert listed[run_id]["status"] == "done"
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
    rows = status["result"]["rows"]
    assert rows, "no measure had a value in both replications"
    assert any(row["seeds"] == 2 for row in rows)
    for row in rows:  # common random numbers: identical runs, identical measures
        assert row["diff"] == 0.0 and not row["significant"]
        if row["low"] is None:  # a p90 with a value in one replication only: no interval
            assert row["seeds"] == 1 and row["method"] == "t"
            continue
        assert row["p"] == 1.0 and row["low"] <= 0.0 <= row["high"]
        if row["method"] == "t":  # every paired difference is 0: a zero-width interval
            assert row["low"] == row["high"] == 0.0


def test_page_static_files_and_run_list(client: TestClient) -> None:
    """The page and everything it loads come from the app (no CDN); nothing else is served
    from /static."""
    page = client.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text
    assert "http://" not in page.text and "https://" not in page.text
    for name, kind in (("app.js", "javascript"), ("app.css", "css"), ("deck.js", "javascript")):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200 and kind in r.headers["content-type"], name
    for name in ("index.html", "..%2Fserver.py", "../server.py", "nope.js", "%2e%2e"):
        assert client.get(f"/static/{name}").status_code == 404, name


def test_compare_with_a_bad_scenario_gets_422(client: TestClient) -> None:
    good = {"toml": 'name = "ok"\ndays = 0.25\n'}
    bad = {"scenario": {"name": "bad", "days": -1}}
    r = client.post("/api/compare", json={"base": good, "other": bad, "replications": 2})
    assert r.status_code == 422 and r.json()["detail"]["problems"], r.text
    r = client.post("/api/compare", json={"base": good, "other": good, "replications": 0})
    assert r.status_code == 422


def assert_same_as_twin_compare(
    client: TestClient, city: City, csv: pd.DataFrame, cond: dict, scen: dict
) -> None:
    """The app's comparison.csv is the table ``twin compare`` computes for the same two
    scenarios and seeds (one implementation: twin.analysis.compare), number for number."""
    specs = []
    for label, body in (("reference", cond), ("scenario", scen)):
        toml = client.post("/api/scenario/check", json={"scenario": body}).json()["toml"]
        specs.append(parse_scenario(toml, label).with_(name=label, city=str(city.source)))
    cli = run_comparison(specs, city, 2, workers=1, cells=False).table
    assert len(cli) == len(csv) > 0
    key = ["option", "target", "scope", "measure"]
    both = csv.merge(cli, on=key, suffixes=("_app", "_cli"))
    assert len(both) == len(csv)
    for col in ("base", "other", "diff", "low", "high", "p", "p_holm"):
        assert np.allclose(both[f"{col}_app"], both[f"{col}_cli"], equal_nan=True), col


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


def test_a_start_date_is_written_as_a_toml_date(client: TestClient) -> None:
    body = {"scenario": {"name": "summer", "days": 1, "start_date": "2025-07-01"}}
    r = client.post("/api/scenario/check", json=body)
    assert r.status_code == 200, r.text
    assert "start_date = 2025-07-01\n" in r.json()["toml"]  # a TOML date, not a string
    assert r.json()["scenario"]["start_date"] == "2025-07-01"
    bad = {"scenario": {"name": "x", "start_date": "2025-13-01"}}
    assert client.post("/api/scenario/check", json=bad).status_code == 422
