"""Tests of viz without a browser: layers, pages, escaping, the matplotlib PNG.

The City here is small and hand-made (GeoDataFrames in EPSG:32648 around Yuzhong,
Chongqing): three districts (two core, one outer), a street grid with an expressway, a
bridge over the Jialing, a tunnel and a mountain road, one station of every force, a water
and a gas main. The results folder is written with pandas/pyarrow in the documented format
(ARCHITECTURE.md, "Results folder"): it is honest test data for the drawing code, not the
output of a simulation. test_viz_browser.py imports the builders from here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import LineString, Point, box

from twin.analysis.results import read_results as read_run
from twin.model.city import City, empty_layer, load_city
from twin.viz import style
from twin.viz.answer import drill_outcome, headline
from twin.viz.briefing import write_briefing
from twin.viz.cells import cell_times
from twin.viz.data import read_results
from twin.viz.difference import delta_color, write_difference_map
from twin.viz.drill import drill_labels, is_scripted
from twin.viz.export import map_html, write_map
from twin.viz.layers import map_layers
from twin.viz.planner import write_planner_files
from twin.viz.replay import replay_html, write_replay
from twin.viz.safe import deck_bundle, deck_bundle_gzip, script_json

CRS = "EPSG:32648"
X0, Y0 = 650_000.0, 3_270_000.0
"""≈ 106.55 E, 29.55 N (Yuzhong district, Chongqing) in UTM 48N metres."""
EVIL = "<script>alert(1)</script>"
DRILL_LABEL = "drill: gas leak at 解放碑 Jiefangbei"


def gdf(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    """A GeoDataFrame in the city CRS."""
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)


def build_city(evil: bool = False) -> City:
    """A tiny real City; with ``evil``, a district and a station are named ``EVIL``."""
    districts = gdf(
        [
            {
                "district_id": "500103",
                "name": EVIL if evil else "渝中区",
                "name_en": "Yuzhong",
                "population": 589_000,
                "level": "core",
            },
            {
                "district_id": "500105",
                "name": "江北区",
                "name_en": "Jiangbei",
                "population": 925_000,
                "level": "core",
            },
            {
                "district_id": "500108",
                "name": "南岸区",
                "name_en": "Nan'an",
                "population": 863_000,
                "level": "outer",
            },
        ],
        [
            box(X0, Y0, X0 + 3000, Y0 + 3000),
            box(X0, Y0 + 3000, X0 + 3000, Y0 + 6000),
            box(X0 + 3000, Y0, X0 + 6000, Y0 + 6000),
        ],
    )
    # a 4 x 4 node grid, 1 km apart, y = 0..3 km in Yuzhong and 3 km in Jiangbei
    ids, pts, dist = [], [], []
    for i in range(4):
        for j in range(4):
            ids.append(f"n{i}{j}")
            pts.append(Point(X0 + 500 + i * 1000, Y0 + 500 + j * 1500))
            dist.append("500103" if j < 2 else "500105")
    nodes = gdf(
        [
            {"node_id": n, "elevation_m": 200.0 + 20 * k, "district_id": d}
            for k, (n, d) in enumerate(zip(ids, dist))
        ],
        pts,
    )
    pos = dict(zip(ids, pts))
    edges_spec = []
    for i in range(4):
        for j in range(4):
            if i < 3:
                edges_spec.append((f"n{i}{j}", f"n{i + 1}{j}", "expressway" if j == 0 else "local"))
            if j < 3:
                cls = "arterial" if i == 1 else ("mountain" if i == 3 else "local")
                edges_spec.append((f"n{i}{j}", f"n{i}{j + 1}", cls))
    rows, geoms = [], []
    for k, (u, v, cls) in enumerate(edges_spec):
        line = LineString([pos[u], pos[v]])
        bridge = (u, v) == ("n11", "n12")  # crosses the river between districts
        tunnel = (u, v) == ("n20", "n21")
        rows.append(
            {
                "edge_id": f"e{k}",
                "u": u,
                "v": v,
                "length_m": line.length,
                "road_class": cls,
                "speed_kph": {"expressway": 80.0, "arterial": 50.0, "mountain": 30.0}.get(
                    cls, 30.0
                ),
                "bridge": bridge,
                "tunnel": tunnel,
                "oneway": False,
                "name": "嘉陵江大桥 Jialing River Bridge" if bridge else f"路 {k}",
            }
        )
        geoms.append(line)
    edges = gdf(rows, geoms)
    forces = ["community", "fire", "professional", "social", "air"]
    stations = gdf(
        [
            {
                "station_id": f"s{k}",
                "force": f,
                "name": EVIL if (evil and f == "fire") else f"{f}站",
                "name_en": f"{f.title()} station",
                "district_id": "500103",
                "units": 2 + k,
            }
            for k, f in enumerate(forces)
        ],
        [Point(X0 + 700 + 500 * k, Y0 + 1200 + 300 * k) for k in range(5)],
    )
    pipes = gdf(
        [
            {
                "pipe_id": "w1",
                "network": "water",
                "u": "j1",
                "v": "j2",
                "diameter_mm": 300.0,
                "install_year": 1998,
                "material": "ductile iron",
                "length_m": 2000.0,
                "monitored": True,
            },
            {
                "pipe_id": "g1",
                "network": "gas",
                "u": "j3",
                "v": "j4",
                "diameter_mm": 200.0,
                "install_year": 2005,
                "material": "steel",
                "length_m": 2000.0,
                "monitored": False,
            },
        ],
        [
            LineString([(X0 + 300, Y0 + 300), (X0 + 2300, Y0 + 300)]),
            LineString([(X0 + 300, Y0 + 2600), (X0 + 2300, Y0 + 2600)]),
        ],
    )
    return City(
        name="Test Yuzhong",
        crs=CRS,
        districts=districts,
        road_nodes=nodes,
        road_edges=edges,
        pipes=pipes,
        junctions=empty_layer("junctions", CRS),
        stations=stations,
        cells=gdf(
            [
                {"cell_id": c, "district_id": d, "population": 1000}
                for c, d in (("sw", "500103"), ("nw", "500105"), ("se", "500108"), ("ne", "500108"))
            ],
            [
                box(X0, Y0, X0 + 3000, Y0 + 3000),
                box(X0, Y0 + 3000, X0 + 3000, Y0 + 6000),
                box(X0 + 3000, Y0, X0 + 6000, Y0 + 3000),
                box(X0 + 3000, Y0 + 3000, X0 + 6000, Y0 + 6000),
            ],
        ),
    )


def lonlat(city: City, x: float, y: float) -> tuple[float, float]:
    """A metric point of the test city in WGS84."""
    p = gpd.GeoSeries([Point(x, y)], crs=city.crs).to_crs("EPSG:4326").iloc[0]
    return p.x, p.y


def build_results(
    folder: Path,
    city: City,
    *,
    scenario: str = "drill: Yuzhong gas leak",
    label: str | None = DRILL_LABEL,
) -> Path:
    """Write a small results folder in the documented format.

    With ``label``, i1 is a scripted incident (``cause`` "script", that ``label``) and i2 a
    cascade of it (``parent_id``); without, there is no ``label`` column (older runs)."""
    folder.mkdir(parents=True, exist_ok=True)
    node_xy = {n: (p.x, p.y) for n, p in zip(city.road_nodes["node_id"], city.road_nodes.geometry)}
    spec = [  # incident, district, node, alarm, ground response (s)
        ("i1", "500103", "n00", 8 * 3600 + 60, 420.0),
        ("i2", "500103", "n21", 8 * 3600 + 300, 1500.0),
        ("i3", "500103", "n31", 8 * 3600 + 900, 2400.0),
        ("i4", "500105", "n12", 8 * 3600 + 1200, 900.0),
        ("i5", "500105", "n23", 8 * 3600 + 1500, 3900.0),
        ("i6", "500105", "n33", 8 * 3600 + 1800, np.nan),
    ]
    inc = []
    for iid, did, node, alarm, resp in spec:
        x, y = lonlat(city, *node_xy[node])

        def met(lim: float, resp: float = resp) -> object:
            return pd.NA if np.isnan(resp) else bool(resp <= lim)

        inc.append(
            {
                "incident_id": iid,
                "type": "gas_leak" if iid == "i1" else "fire",
                "district_id": did,
                "cell_id": "",
                "node_id": node,
                "x": x,
                "y": y,
                "onset_s": alarm - 60.0,
                "alarm_s": float(alarm),
                "detection_delay_s": 60.0,
                "detected_by": "call",
                "first_community_s": alarm + 240.0,
                "first_ground_s": alarm + resp,
                "first_air_s": np.nan,
                "resp_community_s": 240.0,
                "resp_ground_s": resp,
                "resp_air_s": np.nan,
                "met_10": met(600),
                "met_30": met(1800),
                "met_60": met(3600),
                "mutual_aid": did == "500105",
                "cleared_s": alarm + 3000.0,
            }
        )
    incidents = pd.DataFrame(inc)
    if label is not None:
        incidents["cause"] = ["script", "cascade:i1", "", "", "", ""]
        incidents["label"] = [label, "", "", "", "", ""]
        incidents["parent_id"] = [None, "i1", None, None, None, None]
    for c in ("met_10", "met_30", "met_60"):
        incidents[c] = incidents[c].astype("boolean")
    incidents.to_parquet(folder / "incidents.parquet", index=False)

    st = dict(zip(city.stations["station_id"], city.stations.geometry))
    routes, events = [], []
    for iid, sid, force, unit in (
        ("i1", "s1", "fire", "u-fire-1"),
        ("i2", "s0", "community", "u-comm-1"),
        ("i4", "s2", "professional", "u-pro-1"),
    ):
        row = incidents.set_index("incident_id").loc[iid]
        a = st[sid]
        b = node_xy[row["node_id"]]
        mid = (a.x, b[1])
        path = [list(lonlat(city, a.x, a.y)), list(lonlat(city, *mid)), list(lonlat(city, *b))]
        depart = float(row["alarm_s"]) + 30
        arrive = depart + 600
        routes.append(
            {
                "unit_id": unit,
                "force": force,
                "station_id": sid,
                "incident_id": iid,
                "leg": "to_scene",
                "depart_s": depart,
                "arrive_s": arrive,
                "path": path,
                "times_s": [depart, depart + 300, arrive],
            }
        )
        routes.append(
            {
                "unit_id": unit,
                "force": force,
                "station_id": sid,
                "incident_id": iid,
                "leg": "return",
                "depart_s": arrive + 1200,
                "arrive_s": arrive + 1800,
                "path": path[::-1],
                "times_s": [arrive + 1200, arrive + 1500, arrive + 1800],
            }
        )
        events += [
            {
                "t_s": float(row["alarm_s"]),
                "kind": "alarm",
                "incident_id": iid,
                "unit_id": None,
                "node_id": row["node_id"],
                "from_district": None,
                "to_district": row["district_id"],
            },
            {
                "t_s": depart,
                "kind": "dispatch",
                "incident_id": iid,
                "unit_id": unit,
                "node_id": None,
                "from_district": "500103",
                "to_district": row["district_id"],
            },
            {
                "t_s": arrive,
                "kind": "arrive",
                "incident_id": iid,
                "unit_id": unit,
                "node_id": row["node_id"],
                "from_district": None,
                "to_district": row["district_id"],
            },
            # as the engine writes them: no districts on these rows
            {
                "t_s": arrive,
                "kind": "work_started",
                "incident_id": iid,
                "unit_id": unit,
                "node_id": row["node_id"],
                "from_district": None,
                "to_district": None,
            },
            {
                "t_s": arrive + 1800,
                "kind": "available",
                "incident_id": None,
                "unit_id": unit,
                "node_id": "n01",
                "from_district": None,
                "to_district": None,
            },
        ]
    events.append(
        {
            "t_s": 8 * 3600.0,
            "kind": "closure_start",
            "incident_id": None,
            "unit_id": None,
            "node_id": None,
            "from_district": None,
            "to_district": None,
        }
    )
    pd.DataFrame(routes).to_parquet(folder / "routes.parquet", index=False)
    pd.DataFrame(events).sort_values("t_s").to_parquet(folder / "events.parquet", index=False)

    bridge = city.road_edges.loc[city.road_edges["bridge"], "edge_id"].iloc[0]
    pd.DataFrame(
        [
            {
                "kind": "closure",
                "ref": bridge,
                "name": "嘉陵江大桥 Jialing River Bridge",
                "network": None,
                "start_s": 8 * 3600.0,
                "end_s": 14 * 3600.0,
                "reason": "landslide 滑坡",
                "nodes_out": 0,
                "people_out": 0.0,
                "districts": "500103",
            }
        ]
    ).to_parquet(folder / "lifelines.parquet", index=False)

    comp = []
    for target, lim in (("10min", 600), ("30min", 1800), ("60min", 3600)):
        for scope, did in (
            ("city", None),
            ("district:500103", "500103"),
            ("district:500105", "500105"),
        ):
            r = incidents if did is None else incidents[incidents["district_id"] == did]
            t = r["resp_ground_s"].dropna()
            comp.append(
                {
                    "target": target,
                    "scope": scope,
                    "count": len(t),
                    "met_share": float((t <= lim).mean()),
                    "mean_s": t.mean(),
                    "p50_s": t.quantile(0.5),
                    "p90_s": t.quantile(0.9),
                    "p95_s": t.quantile(0.95),
                }
            )
    pd.DataFrame(comp).to_csv(folder / "compliance.csv", index=False)
    units = city.stations[["station_id", "force", "district_id", "units"]].copy()
    units["dispatches"], units["busy_s"], units["utilisation"] = 1, 1800.0, 0.02
    pd.DataFrame(units).to_csv(folder / "units.csv", index=False)
    cov = city.road_nodes[["node_id"]].copy()
    cov["t_ground_s"] = np.linspace(60, 2600, len(cov))
    cov["t_community_s"] = np.linspace(30, 1300, len(cov))
    pd.DataFrame(cov).to_parquet(folder / "coverage.parquet", index=False)
    summary = {
        "scenario": {"name": scenario, "days": 1},
        "seed": 42,
        "city": None,
        "started": "2025-06-01T08:00:00+08:00",
        "counts": {"incidents": len(incidents)},
    }
    (folder / "summary.json").write_text(json.dumps(summary, ensure_ascii=False), "utf-8")
    return folder


@pytest.fixture()
def city() -> City:
    return build_city()


@pytest.fixture()
def results(tmp_path: Path, city: City) -> Path:
    return build_results(tmp_path / "run", city)


# --- tests -------------------------------------------------------------------------------


def test_script_json_cannot_break_out() -> None:
    s = script_json({"name": "</script><script>alert(1)</script>", "x": "a\u2028b&c", "n": np.nan})
    assert "<" not in s and ">" not in s and "&" not in s and "\u2028" not in s
    assert json.loads(s) == {
        "name": "</script><script>alert(1)</script>",
        "x": "a\u2028b&c",
        "n": None,
    }


def test_ramp_is_cividis_dark_to_light() -> None:
    from matplotlib import colormaps

    for share in (0.0, 0.5, 1.0):
        want = [round(255 * c) for c in colormaps["cividis"](share)[:3]]
        assert style.ramp(share)[:3] == want
    lum = [
        sum(w * c for w, c in zip((0.2126, 0.7152, 0.0722), style.ramp(s / 10)[:3]))
        for s in range(11)
    ]
    assert lum == sorted(lum)  # lighter as more incidents meet the target: readable in grey
    assert style.ramp(float("nan")) == style.NO_DATA
    assert style.clock(86400 + 8 * 3600 + 15 * 60 + 59) == "D1 08:15"


def test_layers_use_the_engine_tables(city: City, results: Path) -> None:
    run = read_results(results)
    layers = {m.layer.id: m for m in map_layers(city, run, "30min")}
    assert {
        "districts",
        "roads_expressway",
        "roads_arterial",
        "roads_local",
        "roads_mountain",
        "bridges",
        "tunnels",
        "closures",
        "pipes_water",
        "pipes_gas",
        "routes",
        "stations_fire",
        "stations_community",
        "stations_air",
        "incidents_met",
        "incidents_missed",
        "labels",
        "outlines",
        "water",
    } <= set(layers)
    assert not layers["pipes_water"].visible and not layers["pipes_water"].layer.visible
    # Yuzhong: 2 of 3 reached within 30 min → 2/3 on the ramp
    yuzhong = [r for r in layers["districts"].layer.data if "Yuzhong" in r["tip"]][0]
    assert yuzhong["c"] == style.ramp(2 / 3)
    assert "67%" in yuzhong["tip"]
    # the closure is the bridge edge, drawn in the warning colour
    assert layers["closures"].layer.data[0]["tip"].startswith("CLOSED")
    # 10-minute target gives a different shading
    ten = {m.layer.id: m for m in map_layers(city, run, "10min")}
    y10 = [r for r in ten["districts"].layer.data if "Yuzhong" in r["tip"]][0]
    assert y10["c"] == style.ramp(1 / 3)


def test_coverage_argument_draws_areas_by_cell(city: City, results: Path) -> None:
    """Cells (3 km squares here) coloured by the median time of their road nodes: the first
    5 nodes at 300 s (≤ 5 min), the rest at 1200 s (10–30 min). Nodes sit at x = 0.5, 1.5,
    2.5, 3.5 km and y = 0.5, 2, 3.5, 5 km; node n<i><j> is the (4 i + j)-th: the first five
    are n00–n03 (x 0.5 km) and n10. The south-west cell (x, y < 3 km) holds n00, n01, n10,
    n11, n20, n21: three of six at 300 s, median (300 + 1200) / 2 = 750 s → 10–30 min band;
    the north-west cell holds n02, n03, n12, n13, n22, n23: two of six → 1200 s."""
    run = read_results(results)
    cov = pd.Series(
        np.where(np.arange(len(city.road_nodes)) < 5, 300.0, 1200.0),
        index=city.road_nodes["node_id"],
    )
    times = cell_times(city, cov)
    assert times["sw"] == pytest.approx(750.0) and times["nw"] == pytest.approx(1200.0)
    layers = {m.layer.id: m for m in map_layers(city, run, "30min", coverage=cov)}
    cells = layers["coverage"].layer.data
    assert not layers["coverage"].visible
    assert {tuple(c["c"]) for c in cells} == {tuple(style.COVERAGE_BANDS[2][1])}
    only_fast = pd.Series(300.0, index=city.road_nodes["node_id"])
    fast = {m.layer.id: m for m in map_layers(city, run, "30min", coverage=only_fast)}
    assert {tuple(c["c"]) for c in fast["coverage"].layer.data} == {
        tuple(style.COVERAGE_BANDS[0][1])
    }


def test_map_html_is_offline_and_escaped(tmp_path: Path) -> None:
    city = build_city(evil=True)
    run = read_results(build_results(tmp_path / "run", city, scenario=EVIL))
    html = map_html(city, run)
    # no script or stylesheet from the network, no CDN anywhere outside the inlined bundle
    assert not re.search(
        r"<(script|link|img|iframe)[^>]+(src|href)\s*=\s*['\"]?(https?:)?//", html, re.IGNORECASE
    )
    assert "@import" not in html and "fonts.googleapis" not in html
    # the evil names appear escaped in HTML text and \u003c-escaped in the JSON
    assert EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in html
    # bundle (gzip, base64: no "<script" inside), spec, page data, boot, loader
    assert deck_bundle() not in html
    assert html.count("</script>") == html.count("<script") == 5


def test_write_map_with_matplotlib_fallback(city: City, results: Path) -> None:
    files = write_map(results, city, browser=False)
    assert files.png_renderer == "matplotlib"
    assert deck_bundle_gzip() in files.html.read_text(encoding="utf-8")  # script inlined
    from PIL import Image

    img = np.asarray(Image.open(files.png).convert("RGB"))
    assert img.shape[:2] == (1800, 3200)
    # many pixels differ from the background, and the ramp colour of Yuzhong (2/3 met) shows
    bg = np.array([int(style.BACKGROUND[i : i + 2], 16) for i in (1, 3, 5)])
    assert (np.abs(img.astype(int) - bg).sum(axis=2) > 30).mean() > 0.2
    c = np.array(style.ramp(2 / 3)[:3], float)
    a = style.DISTRICT_ALPHA / 255
    blended = a * c + (1 - a) * bg  # drawn with alpha over the background
    assert (np.abs(img.astype(int) - blended).sum(axis=2) < 12).sum() > 10_000
    # the rivers are drawn without a browser too (the shipped water areas, opaque)
    river = np.array(style.WATER_COLOR[:3])
    assert (np.abs(img.astype(int) - river).sum(axis=2) < 12).sum() > 5_000


def test_briefing_answers_first_then_map_then_tables(city: City, results: Path) -> None:
    out = write_briefing(results, city, browser=False)
    html = out.read_text(encoding="utf-8")
    assert "data:image/png;base64," in html
    assert "srcdoc=" not in html and "deck-spec" not in html  # no second copy of the map
    # the answer: i1 (the drill's only scripted leak) escalated into i2 (a "fire")
    assert "1 of 1 gas leaks ignited" in html
    # 30 min: responses 420, 1500, 2400, 900, 3900 s (i6 none): 3 of 5 met
    assert "3 of 5 (60%; 95 % interval 15%–95%)" in html
    answer, the_map, tables = (
        html.index("Answer"),
        html.index('<img class="map"'),
        html.index("Districts, worst first"),
    )
    assert answer < the_map < tables < html.index("Appendix")
    # one order, worst first: Jiangbei (900, 3900 s: 1 of 2 met) before Yuzhong (420, 1500,
    # 2400 s: 2 of 3)
    assert html.index("Jiangbei") < html.index("Yuzhong", html.index("Districts, worst first"))
    assert "drill: Yuzhong gas leak" in html and "City 全市" in html
    en = write_briefing(results, city, browser=False, lang="en").read_text(encoding="utf-8")
    assert "结论" not in en and "Answer" in en


def test_replay_html(city: City, results: Path) -> None:
    run = read_results(results)
    html = replay_html(city, run)
    assert '"@@type":"TripsLayer"' in html
    assert html.count('data-t="') == len(run.events)
    out = write_replay(results, city)
    assert out.name == "replay.html"
    assert deck_bundle_gzip() in out.read_text(encoding="utf-8")  # the deck.gl script inlined


def test_missing_tables_still_draw(tmp_path: Path, city: City) -> None:
    folder = tmp_path / "bare"
    folder.mkdir()
    (folder / "summary.json").write_text(json.dumps({"scenario": {"name": "empty"}, "seed": 1}))
    html = map_html(city, read_results(folder))
    assert "empty" in html
    replay = replay_html(city, read_results(folder))
    assert 'id="replay-data"' in replay and '"@@type":"TripsLayer"' not in replay


def _json_block(html: str, block_id: str) -> dict:
    return json.loads(
        re.search(rf'<script type="application/json" id="{block_id}">(.*?)</script>', html).group(1)
    )


def _replay_data(html: str) -> dict:
    return _json_block(html, "replay-data")


def _page_bounds(html: str) -> list[float]:
    return _json_block(html, "page-data")["bounds"]


def test_replay_frames_the_drill(city: City, results: Path) -> None:
    run = read_results(results)
    html = replay_html(city, run)
    data = _replay_data(html)
    # the clock starts 10 minutes before the scripted leak's onset (08:00), not at midnight
    assert data["start"] == 8 * 3600 - 600 >= data["t0"]
    assert 'value="28200"' in html and "D0 07:50" in html
    # the view: i1 and i2 (its cascade) and the routes to them, padded; not i3..i6
    w, s, e, n = _page_bounds(html)
    inc = run.incidents.set_index("incident_id")
    for iid in ("i1", "i2"):
        assert w < inc.loc[iid, "x"] < e and s < inc.loc[iid, "y"] < n
    for r in run.routes[run.routes["incident_id"].isin(["i1", "i2"])].itertuples():
        assert all(w < x < e and s < y < n for x, y in r.path)
    assert not (s < inc.loc["i6", "y"] < n and w < inc.loc["i6", "x"] < e)
    # scripted incidents carry the ring flag and their label in the tooltip
    flagged = [i for i in data["incidents"] if i.get("s")]
    assert len(flagged) == 2 and flagged[0]["tip"].startswith(DRILL_LABEL)
    assert '"id":"drill"' in html and "drill (scripted) 演练" in html


def test_replay_without_a_drill_frames_the_incidents(tmp_path: Path, city: City) -> None:
    run = read_results(build_results(tmp_path / "plain", city, label=None))
    html = replay_html(city, run)
    data = _replay_data(html)
    assert data["start"] == data["t0"]
    w, s, e, n = _page_bounds(html)
    assert all(w < x < e and s < y < n for x, y in zip(run.incidents["x"], run.incidents["y"]))
    assert not any(i.get("s") for i in data["incidents"])
    assert '"id":"drill"' not in html
    assert 'data-filter="all"' in html and 'value="drill"' not in html


def test_labelled_pipe_failures_are_not_a_drill(tmp_path: Path, city: City) -> None:
    """A baseline's random pipe failures carry a label ("water pipe wp7") and cause
    ``pipe:<id>``; they are not scripted: no "0 of 2 scripted incidents" line in the
    briefing, no drill rings. Beside a real drill (i1, cause "script"), only i1 and its
    cascade i2 are the drill: 1 of 1 leaks ignited, whatever the pipes did."""
    plain = build_results(tmp_path / "plain", city, label=None)
    inc = pd.read_parquet(plain / "incidents.parquet")
    inc["cause"] = ["pipe:wp7", "", "pipe:gp3", "", "", ""]
    inc["label"] = ["water pipe wp7", "", "gas pipe gp3", "", "", ""]
    inc["parent_id"] = [None] * 6
    inc.to_parquet(plain / "incidents.parquet", index=False)
    run = read_results(plain)
    assert drill_labels(run) == {}
    assert drill_outcome(run) is None
    assert not any("scripted" in line for line in headline(run))
    assert not any(i.get("s") for i in _replay_data(replay_html(city, run))["incidents"])

    drill = build_results(tmp_path / "drill", city)
    inc = pd.read_parquet(drill / "incidents.parquet")
    inc.loc[inc["incident_id"] == "i3", ["cause", "label"]] = ["pipe:gp3", "gas pipe gp3"]
    inc.to_parquet(drill / "incidents.parquet", index=False)
    run = read_results(drill)
    assert set(drill_labels(run)) == {"i1", "i2"}
    assert headline(run)[0] == "1 of 1 gas leaks ignited."
    # an older results folder (no cause column): a label alone still marks the drill
    assert is_scripted(None, None, DRILL_LABEL) and not is_scripted("call", "pipe:wp7", "x")


def test_replay_timeline_filters_labels_and_where(city: City, results: Path) -> None:
    run = read_results(results)
    html = replay_html(city, run)
    assert 'data-filter="drill"' in html
    for value in ("drill", "fire", "all"):
        assert f'<option value="{value}"' in html
    assert re.search(r'<option value="drill" selected>', html)
    rows = re.findall(r'<tr data-t="[^"]*" class="([^"]*)">(.*?)</tr>', html)
    assert len(rows) == len(run.events)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r) for _, r in rows]
    # every row says where, in Chinese and English
    assert all(c[4] for c in cells), [c for c in cells if not c[4]]
    assert all(re.search(r"[\u4e00-\u9fff].* [A-Z]", c[4]) for c in cells)
    # drill rows: i1 and i2 (its cascade, labelled after it) and the closure
    drill = [c for cls, c in zip((r[0] for r in rows), cells) if "d" in cls.split()]
    assert {c[1] for c in drill} >= {"alarm", "dispatch", "arrive", "closure_start"}
    assert all(DRILL_LABEL in c[3] for c in drill if c[1] != "closure_start")
    i2 = [c for c in cells if c[3].startswith("i2")]
    assert i2 and all(f"{DRILL_LABEL} → fire" in c[3] for c in i2)
    assert not any(c[3].startswith("i4") for c in drill)
    # fire & rescue: the fire and professional units' rows, not the community responder's
    fire = [c for cls, c in zip((r[0] for r in rows), cells) if "f" in cls.split()]
    assert any(c[2] == "u-fire-1" for c in fire) and any(c[2] == "u-pro-1" for c in fire)
    assert not any(c[2] == "u-comm-1" for c in fire)


def test_replay_closures_carry_their_times(tmp_path: Path, city: City) -> None:
    """Each closed edge the replay draws carries its closure's start/end in seconds (``s``,
    ``e``; the page shows it only while ``s <= t < e``). The run: the fixture's bridge
    closure, 08:00-14:00 (s = 8 × 3600 = 28 800, e = 14 × 3600 = 50 400), and a closure of
    two edges "e0,e1" from 08:05 to 08:20 (s = 29 100, e = 30 000: both edges carry it);
    the outage row is not a closure. The tooltip still gives the times."""
    folder = build_results(tmp_path / "run", city)
    bridge = pd.read_parquet(folder / "lifelines.parquet")
    extra = bridge.assign(ref="e0, e1", name="路 0", start_s=8 * 3600.0 + 300, end_s=30_000.0)
    outage = bridge.assign(kind="outage", ref="gp1", start_s=0.0, end_s=60.0)
    pd.concat([bridge, extra, outage]).to_parquet(folder / "lifelines.parquet", index=False)
    html = replay_html(city, read_results(folder))
    spec = _json_block(html, "deck-spec")
    recs = next(lay for lay in spec["layers"] if lay["id"] == "closures")["data"]
    assert [(r["tip"].splitlines()[0], r["s"], r["e"]) for r in recs] == [
        ("CLOSED 封闭: 嘉陵江大桥 Jialing River Bridge", 28_800.0, 50_400.0),
        ("CLOSED 封闭: 路 0", 29_100.0, 30_000.0),
        ("CLOSED 封闭: 路 1", 29_100.0, 30_000.0),
    ]
    assert [r["tip"].splitlines()[-1] for r in recs] == [
        "D0 08:00 – D0 14:00",
        "D0 08:05 – D0 08:20",
        "D0 08:05 – D0 08:20",
    ]
    assert "road closed (now) 封闭中" in html  # the legend says so
    casing = next(lay for lay in spec["layers"] if lay["id"] == "closures_casing")["data"]
    assert [r["p"] for r in casing] == [r["p"] for r in recs]


def test_replay_escapes_scripted_labels(tmp_path: Path) -> None:
    city = build_city(evil=True)
    run = read_results(build_results(tmp_path / "evil", city, scenario=EVIL, label=EVIL))
    html = replay_html(city, run)
    assert EVIL not in html
    assert f'<span class="lbl">{EVIL.replace("<", "&lt;").replace(">", "&gt;")}</span>' in html
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in html
    # bundle (gzip, base64), spec, page data, boot, loader, replay data
    assert html.count("</script>") == html.count("<script") == 6


def test_replay_timeline_keeps_the_drill_when_cut(
    city: City, results: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import twin.viz.timeline

    monkeypatch.setattr(twin.viz.timeline, "MAX_EVENT_ROWS", 10)
    run = read_results(results)
    html = replay_html(city, run)
    classes = re.findall(r'<tr data-t="[^"]*" class="([^"]*)">', html)
    n_drill = sum("d" in c.split() for c in classes)
    assert len(classes) == 10 and n_drill == 9  # every drill row, then the earliest other
    assert f"10 of {len(run.events)} events" in html


def test_difference_map_colours_slower_cells(tmp_path: Path, city: City) -> None:
    """The other run's coverage is 10 min slower at every node of the south-west cell and
    unchanged elsewhere: that cell takes the slow end of the scale (±5 min), no other cell
    is drawn."""
    base = build_results(tmp_path / "base", city, scenario="baseline")
    other = build_results(tmp_path / "other", city, scenario="bridges closed")
    cov = pd.read_parquet(other / "coverage.parquet")
    sw = {"n00", "n01", "n10", "n11", "n20", "n21"}
    cov.loc[cov["node_id"].isin(sw), "t_ground_s"] += 600.0
    cov.to_parquet(other / "coverage.parquet", index=False)
    out = write_difference_map(base, other, tmp_path / "difference.html", city)
    spec = json.loads(
        re.search(r'id="deck-spec">(.*?)</script>', out.read_text("utf-8"), re.DOTALL).group(1)
    )
    delta = next(lay for lay in spec["layers"] if lay["id"] == "delta")["data"]
    assert [d["tip"].split("\n")[0] for d in delta] == ["cell sw"]
    assert delta[0]["c"] == delta_color(10.0) == delta_color(5.0)
    assert "+10.0 min" in delta[0]["tip"]
    assert delta_color(-10.0)[:3] != delta_color(10.0)[:3] != delta_color(0.0)[:3]


def test_planner_files_open_in_qgis_and_excel(city: City, results: Path) -> None:
    gpkg, csv = write_planner_files(results, city)
    raw = csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel reads Chinese
    table = pd.read_csv(csv, encoding="utf-8-sig")
    # worst first for 30 min: Jiangbei (1 of 2) before Yuzhong (2 of 3), then Nan'an (none)
    assert list(table["name"]) == ["江北区", "渝中区", "南岸区"]
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert {"districts", "incidents", "stations"} <= layers
    st = gpd.read_file(gpkg, layer="stations")
    assert len(st) == len(city.stations) and set(st["change"]) == {""}


def test_jupyter_displays_are_compact(city: City, results: Path) -> None:
    html = city._repr_html_()
    assert len(html) < 20_000 and "<svg" in html and "Test Yuzhong" in html
    assert "<script" not in html
    res = read_run(results)
    summary = res._repr_html_()
    assert "drill: Yuzhong gas leak" in summary and len(summary) < 5_000
    inline = res.map(city)._repr_html_()
    assert inline.startswith("<iframe srcdoc=") and "deck-spec" in inline


MAP_SIZE_LIMIT_MB = 4.5
"""The stated size of the embedded twin's map.html (README: ≈ 4 MB)."""
FIRST_FRAME_SPEC_LIMIT_MB = 1.2
"""The deck JSON the first frame decodes (the layers shown at first; README: ≈ 0.8 MB)."""


def test_default_map_of_the_embedded_twin_stays_small(tmp_path: Path) -> None:
    """The whole twin (39k road nodes, 95k pipes, 6k stations) with an empty run: the page
    is within the stated size; the layers hidden at first (local streets, pipes, community
    posts) are not in the deck the first frame builds but packed beside it."""
    (tmp_path / "summary.json").write_text('{"scenario": {"name": "size"}}', "utf-8")
    html = map_html(load_city(), read_results(tmp_path))
    assert len(html.encode("utf-8")) / 1e6 < MAP_SIZE_LIMIT_MB
    page = json.loads(re.search(r'id="page-data">(.*?)</script>', html, re.DOTALL).group(1))
    assert {"roads_local", "pipes_water", "pipes_gas", "pipes_drainage"} <= set(page["packed"])
    raw = re.search(r'id="deck-spec">(.*?)</script>', html, re.DOTALL).group(1)
    assert len(raw.encode("utf-8")) / 1e6 < FIRST_FRAME_SPEC_LIMIT_MB
    shown = {lay["id"] for lay in json.loads(raw)["layers"]}
    hidden = {"roads_local", "pipes_water", "stations_community"}  # (no coverage: no run)
    assert hidden <= set(page["hidden"]) and not hidden & shown
    assert {"roads_arterial", "bridges", "stations_fire", "water"} <= shown


def test_answer_against_another_run(tmp_path: Path, city: City) -> None:
    """The sensors run: the scripted leak i1 did not escalate (no cascade row); the run
    without sensors: it ignited (i2, cause cascade:i1)."""
    without = build_results(tmp_path / "without", city, scenario="gas-leak-drill")
    with_ = build_results(tmp_path / "with", city, scenario="gas-leak-drill-sensors")
    inc = pd.read_parquet(with_ / "incidents.parquet")
    inc.loc[inc["incident_id"] == "i2", ["cause", "parent_id"]] = ["", None]
    inc.to_parquet(with_ / "incidents.parquet", index=False)
    lines = headline(read_results(with_), read_results(without))
    assert lines[0] == (
        "gas-leak-drill-sensors: 0 of 1 gas leaks ignited, against 1 of 1 in gas-leak-drill."
    )


def test_matplotlib_png_shows_cells_not_buried_by_incidents(
    city: City, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Results by cell in the browser-free PNG: the south-west 3 km cell (i1, i2 met, i3
    missed: 2/3; 3 incidents → alpha 80 + 120·3/5 = 152) is filled in its ramp colour over
    most of its area, and no incident dot (vermillion for i3) is drawn over the cells."""
    from PIL import Image

    import twin.viz.layers as viz_layers

    monkeypatch.setattr(viz_layers, "CELLS_SHOWN_MIN", 1)
    monkeypatch.setattr(viz_layers, "CELLS_SHOWN_PER_CELL", 1.0)  # the drawing, not the rule
    run = build_results(tmp_path / "cells", city)
    inc = pd.read_parquet(run / "incidents.parquet")
    inc["cell_id"] = ["sw", "sw", "sw", "nw", "nw", "nw"]
    inc.to_parquet(run / "incidents.parquet", index=False)
    files = write_map(run, city, browser=False)
    img = np.asarray(Image.open(files.png).convert("RGB")).astype(int)
    bg = np.array([int(style.BACKGROUND[i : i + 2], 16) for i in (1, 3, 5)])
    a = 152 / 255
    cell = a * np.array(style.ramp(2 / 3)[:3]) + (1 - a) * bg
    assert (np.abs(img - cell).sum(axis=2) < 12).sum() > 50_000
    missed = np.array(style.MISSED_COLOR[:3])
    assert (
        np.abs(img - missed).sum(axis=2) < 30
    ).sum() < 250  # the legend's marker only (i3, i5 drawn: 379)


def test_maps_start_by_district_when_cells_would_hold_one_or_two_incidents(
    city: City, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hand-made run's incidents the 30-minute target applies to are i1–i5 (i6 had no
    ground unit: NA). With the total threshold lowered to 1: in six cells (5 counted in 5
    cells, mean 1 < 3) or in two cells of three (i1–i3 | i4–i5: 5 in 2, mean 2.5 < 3) a
    cell's share reads 0, 50 or 100 %, so the maps start with the district fill; all six
    in one cell (5 in 1, mean 5 ≥ 3) start by cell. The PNG follows the same function."""
    import twin.viz.layers as viz_layers

    monkeypatch.setattr(viz_layers, "CELLS_SHOWN_MIN", 1)
    run = build_results(tmp_path / "thin", city)
    inc = pd.read_parquet(run / "incidents.parquet")
    layouts = (
        (["a", "b", "c", "d", "e", "f"], 5, False),
        (["sw"] * 3 + ["nw"] * 3, 2, False),
        (["sw"] * 6, 1, True),
    )
    for cells, n_cells, shown in layouts:
        inc["cell_id"] = cells
        inc.to_parquet(run / "incidents.parquet", index=False)
        data = read_results(run)
        counts = viz_layers.cell_results(city, data, "30min")["count"]
        assert (int(counts.sum()), len(counts)) == (5, n_cells)
        assert viz_layers.cells_shown(city, data, "30min") is shown
