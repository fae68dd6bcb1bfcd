"""viz pages in a real headless Chromium (/usr/bin/chromium via Playwright), network cut off.

Every page is opened in an ``offline`` context with a route that aborts any request that is
not ``file:``/``data:`` and records it; each test asserts nothing tried to leave. WebGL runs
on SwiftShader (see twin.viz.browser). The City and results folder come from test_viz.py.
"""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point
from test_viz import DRILL_LABEL, EVIL, X0, Y0, build_city, build_results

from twin.viz import layers as viz_layers
from twin.viz import pipes as viz_pipes
from twin.viz import style, write_briefing, write_map, write_replay
from twin.viz.basemap import water
from twin.viz.browser import CHROMIUM_ARGS, chromium_path

pytestmark = pytest.mark.browser

LOCAL = ("file:", "data:", "about:", "blob:")
WAIT_MS = 120_000
"""Upper bound on any wait for a state the page reports (never a fixed sleep): generous so
that a loaded machine is slow, not failing; a real hang is cut by pytest-timeout."""


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """One headless Chromium for the module (fresh profile, offline context).

    A missing browser fails these tests, with or without ``CI``: scripts/test.sh installs
    one (scripts/install-chromium.sh); to leave them out on purpose, ``-m "not browser"``."""
    import playwright.sync_api as sync_api  # the test extra installs it

    exe = chromium_path()
    if exe is None:
        pytest.fail(
            "no Chromium found: run bash scripts/install-chromium.sh "
            "(or leave the browser tests out with -m 'not browser')"
        )
    with tempfile.TemporaryDirectory() as profile, sync_api.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            profile,
            executable_path=exe,
            headless=True,
            args=CHROMIUM_ARGS,
            offline=True,
            viewport={"width": 1280, "height": 720},
            device_scale_factor=1,
        )
        yield ctx
        ctx.close()


class Tab:
    """A page whose every request is recorded; non-local ones are aborted."""

    def __init__(self, ctx: object) -> None:
        self.requests: list[str] = []
        self.left: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page = ctx.new_page()
        self.page.route("**/*", self._gate)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _gate(self, route: object) -> None:
        url = route.request.url
        if url.startswith(LOCAL):
            route.continue_()
        else:
            self.left.append(url)
            route.abort("internetdisconnected")

    def _dialog(self, dialog: object) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def open(self, path: Path) -> None:
        self.page.goto(path.resolve().as_uri(), wait_until="load")
        assert self.dialogs == [], f"page content ran as script: {self.dialogs}"
        self.ready()

    def ready(self) -> None:
        self.page.wait_for_function(
            "() => window.deckReady && window.deckReady()", timeout=WAIT_MS, polling=50
        )
        self.page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )

    def pixels(self, selector: str = "#deck-container") -> np.ndarray:
        from PIL import Image

        png = self.page.locator(selector).screenshot()
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)

    def offline_ok(self) -> None:
        assert self.left == [], f"requests tried to leave the machine: {self.left[:5]}"
        assert all(u.startswith(LOCAL) for u in self.requests), self.requests
        assert self.errors == [], self.errors

    def close(self) -> None:
        self.page.close()


@pytest.fixture()
def tab(chromium: object) -> Iterator[Tab]:
    t = Tab(chromium)
    yield t
    t.close()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    city = build_city()
    run = build_results(tmp_path_factory.mktemp("viz") / "run", city)
    write_map(run, city, png=False)
    write_replay(run, city)
    return run


def background() -> np.ndarray:
    return np.array([int(style.BACKGROUND[i : i + 2], 16) for i in (1, 3, 5)])


def fill_pixels(img: np.ndarray, share: float, tol: int = 14) -> int:
    """How many pixels show a district filled for ``share`` (alpha-blended on the page)."""
    a = style.DISTRICT_ALPHA / 255
    want = a * np.array(style.ramp(share)[:3]) + (1 - a) * background()
    return int((np.abs(img - want).sum(axis=2) < tol).sum())


def test_map_draws_offline_and_toggles(tab: Tab, folder: Path) -> None:
    tab.open(folder / "map.html")
    assert_loading_panel_went_through_its_steps(tab, folder / "map.html")
    img = tab.pixels()
    drawn = (np.abs(img - background()).sum(axis=2) > 30).mean()
    assert drawn > 0.25, f"only {drawn:.0%} of the map area differs from the background"
    # Yuzhong met 2/3 of its 30-minute targets, Jiangbei 1/2: both fills are on screen
    assert fill_pixels(img, 2 / 3) > 5_000
    assert fill_pixels(img, 1 / 2) > 5_000
    # a point inside Yuzhong (a quarter of the way from its centroid to a corner), projected
    # with deck's own viewport, shows Yuzhong's fill
    x, y = tab.page.evaluate("""() => {
        const d = deckInstance.props.layers.find(l => l.id === 'districts').props.data
            .find(r => r.tip.includes('Yuzhong'));
        const ring = d.polygon[0].slice(0, -1);
        const c = [0, 1].map(k => ring.reduce((s, p) => s + p[k], 0) / ring.length);
        const p = [0, 1].map(k => 0.75 * c[k] + 0.25 * ring[0][k]);
        return deckInstance.getViewports()[0].project(p);
    }""")
    block = img[int(y) - 2 : int(y) + 3, int(x) - 2 : int(x) + 3].reshape(-1, 3)
    a = style.DISTRICT_ALPHA / 255
    want = a * np.array(style.ramp(2 / 3)[:3]) + (1 - a) * background()
    assert np.abs(np.median(block, axis=0) - want).sum() < 14, (x, y, np.median(block, axis=0))

    # untick "Districts": deck's layer becomes invisible and the picture changes
    assert tab.page.evaluate("() => layerVisible('districts')") is True
    tab.page.locator("input[data-group=districts]").uncheck()
    tab.ready()
    assert tab.page.evaluate("() => layerVisible('districts')") is False
    after = tab.pixels()
    assert fill_pixels(after, 2 / 3) < 500
    assert (np.abs(after - img).sum(axis=2) > 30).mean() > 0.1

    # pipes are hidden by default; ticking water shows them
    assert tab.page.evaluate("() => layerVisible('pipes_water')") is False
    tab.page.locator("input[data-group=pipes_water]").check()
    tab.ready()
    assert tab.page.evaluate("() => layerVisible('pipes_water')") is True
    tab.offline_ok()


LOAD_STEPS = [
    "unpacking the map library 解压",
    "reading the data 读取数据",
    "building the layers 构建图层",
    "drawing the first frame 绘制",
]


def assert_loading_panel_went_through_its_steps(tab: Tab, html: Path) -> None:
    """The loading panel is shown as the page arrives (in the file, not hidden), went
    through every step while the page unpacked and decoded its data, and is hidden with
    its bar full once the first frame is drawn."""
    assert '<div class="panel" id="loading" role="status">' in html.read_text("utf-8")
    page = tab.page
    assert page.evaluate("() => window.__loadSteps") == LOAD_STEPS
    assert page.evaluate("() => document.documentElement.dataset.loading") == "done"
    assert page.is_hidden("#loading")
    bar = page.evaluate(
        "() => [document.getElementById('loading-bar').value,"
        " document.getElementById('loading-bar').max]"
    )
    assert bar == [len(LOAD_STEPS) + 1] * 2


def test_replay_plays(tab: Tab, folder: Path) -> None:
    tab.open(folder / "replay.html")
    assert_loading_panel_went_through_its_steps(tab, folder / "replay.html")
    page = tab.page
    trips_time = "() => deckInstance.props.layers.find(l => l.id === 'trips').props.currentTime"
    t0 = page.evaluate(trips_time)
    # the drill frames the view and the clock: 10 min before the scripted leak (08:00)
    assert page.locator("#clock").inner_text() == "D0 07:50"
    assert t0 == 8 * 3600 - 600
    # the timeline shows the drill's rows (labelled), then all on request
    assert page.locator("#filter").input_value() == "drill"
    shown = page.locator("#timeline tbody tr:visible")
    n_drill = shown.count()
    assert 0 < n_drill < page.locator("#timeline tbody tr").count()
    assert DRILL_LABEL in page.locator("#timeline").inner_text()
    page.locator("#filter").select_option("all")
    assert shown.count() == page.locator("#timeline tbody tr").count() > n_drill
    page.locator("#filter").select_option("drill")
    page.evaluate("() => replay.seek(8 * 3600 + 150)")  # the fire unit is on its way
    tab.ready()
    assert page.evaluate(trips_time) == 8 * 3600 + 150
    assert page.locator("#clock").inner_text() == "D0 08:02"
    before = tab.pixels()
    page.locator("#speed").select_option("300")
    page.locator("#play").click()
    page.wait_for_function(f"() => replay.t > {8 * 3600 + 300}", timeout=WAIT_MS)
    page.locator("#play").click()  # pause
    tab.ready()
    t1 = page.evaluate(trips_time)
    assert t1 > 8 * 3600 + 300 > t0
    after = tab.pixels()
    assert (np.abs(after - before).sum(axis=2) > 30).sum() > 200, "the trails did not move"
    # the events table has highlighted the rows the clock passed
    assert page.locator("#timeline tr.past").count() >= 2
    # the scripted incident has its ring; hovering it shows its label
    x, y = page.evaluate("""() => {
        const d = deckInstance.props.layers.find(l => l.id === 'drill').props.data;
        return deckInstance.getViewports()[0].project(d[0].p);
    }""")
    page.mouse.move(x + 14, y)  # on the ring, off the dot
    tip = page.locator(".deck-tooltip")
    tip.wait_for(state="visible", timeout=WAIT_MS)
    assert DRILL_LABEL in tip.inner_text()
    tab.offline_ok()


def test_replay_draws_a_closure_only_while_it_lasts(tab: Tab, tmp_path: Path) -> None:
    """The run's one closure (the bridge) is shortened to 08:05-08:20. The replay opens at
    07:50: nothing drawn as closed; at 08:10 the bridge is (one edge, with its casing: the
    closure's yellow appears on the map); at 08:20 (its end, exclusive) and 08:30 it is gone
    again. Read from what the page reports: ``replay.closed`` and the deck's layer data."""
    city = build_city()
    run = build_results(tmp_path / "run", city)
    lifelines = pd.read_parquet(run / "lifelines.parquet")
    lifelines[["start_s", "end_s"]] = [8 * 3600.0 + 300, 8 * 3600.0 + 1200]
    lifelines.to_parquet(run / "lifelines.parquet", index=False)
    write_replay(run, city)
    tab.open(run / "replay.html")
    page = tab.page
    drawn = """() => [replay.closed, ...['closures', 'closures_casing'].map(
        id => deckInstance.props.layers.find(l => l.id === id).props.data.length)]"""

    def seen_at(t: float) -> tuple[list[int], int]:
        """What the page draws at ``t`` (s): closed edges as counted and in the deck's two
        closure layers, and the pixels in the closure's yellow (the legend's swatch too)."""
        page.evaluate(f"() => replay.seek({t})")
        tab.ready()
        img = tab.pixels()
        yellow = int((np.abs(img - np.array(style.CLOSED_COLOR[:3])).sum(axis=2) < 40).sum())
        return page.evaluate(drawn), yellow

    assert page.evaluate("() => replay.t") == 8 * 3600 - 600
    assert page.evaluate(drawn) == [0, 0, 0]
    before, yellow_before = seen_at(8 * 3600 - 600)
    during, yellow_during = seen_at(8 * 3600 + 600)
    assert before == [0, 0, 0] and during == [1, 1, 1]
    assert yellow_during - yellow_before > 500, (yellow_before, yellow_during)
    tip = page.evaluate(
        "() => deckInstance.props.layers.find(l => l.id === 'closures').props.data[0].tip"
    )
    assert tip.endswith("D0 08:05 – D0 08:20")
    for t in (8 * 3600 + 1200, 8 * 3600 + 1800):  # [start, end): gone at its end, and after
        after, yellow_after = seen_at(t)
        assert after == [0, 0, 0] and abs(yellow_after - yellow_before) < 50, (t, yellow_after)
    tab.offline_ok()


def test_names_are_text_not_markup(tab: Tab, tmp_path: Path) -> None:
    city = build_city(evil=True)
    run = build_results(tmp_path / "evil", city, scenario=EVIL, label=EVIL)
    write_map(run, city, png=False, browser=False)
    write_replay(run, city)
    tab.open(run / "map.html")
    page = tab.page
    assert tab.dialogs == [], f"a name ran as script: {tab.dialogs}"
    assert EVIL in page.locator("#title").inner_text()  # scenario name, literally
    assert page.locator("#title script").count() == 0
    # hover the fire station (named EVIL): the tooltip shows the name as text
    x, y = page.evaluate("""() => {
        const s = deckInstance.props.layers.find(l => l.id === 'stations_fire').props.data[0];
        return deckInstance.getViewports()[0].project(s.p);
    }""")
    page.mouse.move(x, y)
    tip = page.locator(".deck-tooltip")
    tip.wait_for(state="visible", timeout=WAIT_MS)
    assert EVIL in tip.inner_text()
    assert tip.locator("script").count() == 0
    # the replay's timeline names the district (named EVIL) as text
    tab.open(run / "replay.html")
    assert tab.dialogs == [], f"a name ran as script: {tab.dialogs}"
    assert EVIL in page.locator("#timeline").inner_text()  # district and scripted label
    assert page.locator("#timeline .lbl", has_text=EVIL).count() > 0
    assert page.locator("#timeline script").count() == 0
    assert EVIL in page.locator("#title").inner_text()
    x, y = page.evaluate("""() => {
        replay.seek(8 * 3600 + 120);
        const d = deckInstance.props.layers.find(l => l.id === 'drill').props.data;
        return deckInstance.getViewports()[0].project(d[0].p);
    }""")
    tab.ready()
    page.mouse.move(x + 14, y)
    tip = page.locator(".deck-tooltip")
    tip.wait_for(state="visible", timeout=WAIT_MS)
    assert tip.inner_text().startswith(EVIL) and tip.locator("script").count() == 0
    # the briefing's answer and tables (written with the matplotlib PNG); it has no script
    out = write_briefing(run, city, browser=False)
    page.goto(out.as_uri(), wait_until="load")
    assert EVIL in page.locator("h1").inner_text()
    assert page.locator("script").count() == 0 and page.locator("h1 script").count() == 0
    assert tab.dialogs == [], f"a name ran as script: {tab.dialogs}"
    tab.offline_ok()


def test_write_map_renders_png_with_chromium(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from PIL import Image

    city = build_city()
    run = build_results(tmp_path / "run", city)
    files = write_map(run, city)
    assert files.png_renderer == "chromium", files.png_note
    assert "tried to reach the network" not in caplog.text
    img = np.asarray(Image.open(files.png).convert("RGB")).astype(int)
    assert img.shape[:2] == (1800, 3200)
    assert fill_pixels(img, 2 / 3) > 20_000


# --- what the pictures show: rivers, distinct categories, the scenario's new station ------


def _project(tab: Tab, lonlat: list[float]) -> tuple[float, float]:
    x, y = tab.page.evaluate("p => deckInstance.getViewports()[0].project(p)", lonlat)
    return float(x), float(y)


def _near(img: np.ndarray, x: float, y: float, color: list[int], r: int = 2, tol: int = 40) -> bool:
    """Whether the median of the (2r+1)² block at (x, y) is ``color`` (RGB, within tol)."""
    block = img[int(y) - r : int(y) + r + 1, int(x) - r : int(x) + r + 1].reshape(-1, 3)
    return bool(np.abs(np.median(block, axis=0) - np.array(color[:3])).sum() < tol)


def _count(
    img: np.ndarray, x: float, y: float, color: list[int], half: int = 30, tol: int = 60
) -> int:
    """Pixels of ``color`` in the (2 half)² box around (x, y)."""
    box = img[max(0, int(y) - half) : int(y) + half, max(0, int(x) - half) : int(x) + half]
    return int((np.abs(box - np.array(color[:3])).sum(axis=2) < tol).sum())


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results folder whose scenario added fire station s9 in Jiangbei (stations.parquet)."""
    city = build_city()
    run = build_results(tmp_path_factory.mktemp("viz") / "changed", city)
    extra = gpd.GeoDataFrame(
        [
            {
                "station_id": "s9",
                "force": "fire",
                "name": "新站",
                "name_en": "New station",
                "district_id": "500105",
                "units": 2,
            }
        ],
        geometry=[Point(X0 + 2200, Y0 + 4200)],
        crs=city.stations.crs,
    )
    stations = gpd.GeoDataFrame(
        pd.concat([city.stations, extra], ignore_index=True), crs=city.stations.crs
    )
    stations.to_parquet(run / "stations.parquet")
    write_map(run, city, png=False)
    return run


def test_pixels_show_rivers_categories_and_the_new_station(
    tab: Tab, folder: Path, changed: Path
) -> None:
    """On the rendered pixels: the Yangtze (it crosses the test city) is drawn in the water
    colour; a fire station (black) and a missed incident (vermillion) differ; the added
    station has the yellow "new" ring, which the same place on the base map lacks."""
    tab.open(changed / "map.html")
    img = tab.pixels()
    # rivers: points inside the water areas, in view, away from every other layer
    w, s, e, n = tab.page.evaluate(
        "() => JSON.parse(document.getElementById('page-data').textContent).bounds"
    )
    river = water().clip((w, s, e, n)).union_all()
    pts = gpd.GeoSeries(
        gpd.points_from_xy(*np.random.default_rng(1).uniform([w, s], [e, n], (4000, 2)).T),
        crs="EPSG:4326",
    )
    panels = tab.page.evaluate(
        "() => [...document.querySelectorAll('.panel')].map(e => {"
        "const r = e.getBoundingClientRect();"
        "return [r.left, r.top, r.right, r.bottom]; })"
    )
    xy = [_project(tab, [p.x, p.y]) for p in pts[pts.within(river)]]
    xy = [
        (x, y)
        for x, y in xy
        if 3 <= x < img.shape[1] - 3
        and 3 <= y < img.shape[0] - 3
        and not any(a - 3 <= x <= c + 3 and b - 3 <= y <= d + 3 for a, b, c, d in panels)
    ]
    assert len(xy) >= 20, "the test city should straddle the Yangtze"
    hits = [_near(img, x, y, style.WATER_COLOR) for x, y in xy[:60]]
    assert np.mean(hits) > 0.8, f"water colour at {np.mean(hits):.0%} of river points"
    # categories: a fire station's centre is black, a missed incident's vermillion
    fire = tab.page.evaluate(
        "() => deckInstance.props.layers.find(l => l.id === "
        "'stations_fire').props.data.find(d => !d.tip.includes('s9')).p"
    )
    missed = tab.page.evaluate(
        "() => deckInstance.props.layers.find(l => l.id === 'incidents_missed').props.data[0].p"
    )
    assert _near(img, *_project(tab, fire), style.FORCE_STYLE["fire"]["color"], r=1)
    assert _near(img, *_project(tab, missed), style.MISSED_COLOR, r=1)
    assert (
        np.abs(
            np.array(style.FORCE_STYLE["fire"]["color"][:3]) - np.array(style.MISSED_COLOR[:3])
        ).sum()
        > 250
    )
    # the new station: a ring of the "new" colour around it, not on the base map
    new = tab.page.evaluate(
        "() => deckInstance.props.layers.find(l => l.id === 'stations_new').props.data[0].p"
    )
    xy = _project(tab, new)
    assert _count(img, *xy, style.NEW_COLOR) > 60
    tab.open(folder / "map.html")
    assert _count(tab.pixels(), *_project(tab, new), style.NEW_COLOR) < 10
    tab.offline_ok()


def test_briefing_prints_to_two_pages(tab: Tab, changed: Path, tmp_path: Path) -> None:
    """Chromium prints briefing.html (A4) to at most two pages; the PDF pages are turned
    into PNGs (pdftoppm) for a person to look at."""
    city = build_city()
    out = write_briefing(changed, city, browser=False)
    tab.page.goto(out.as_uri(), wait_until="load")
    pdf = tab.page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert 1 <= pages <= 2, f"the briefing prints to {pages} pages"
    (tmp_path / "briefing.pdf").write_bytes(pdf)
    exe = shutil.which("pdftoppm")
    assert exe, "pdftoppm missing: bash scripts/install-chromium.sh installs poppler-utils"
    subprocess.run(
        [exe, "-r", "50", "-png", str(tmp_path / "briefing.pdf"), str(tmp_path / "page")],
        check=True,
    )
    assert len(list(tmp_path.glob("page-*.png"))) == pages
    tab.offline_ok()


def test_packed_layer_unpacks_when_ticked(
    tab: Tab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the tooltip limit at 0 every pipe network is packed (as a whole twin's are):
    the layer is not in the deck at first (nothing decoded or compiled for the first
    frame); ticking it builds the layer, unpacks the segments and draws the water main
    w1 (x 0.3–2.3 km, y 0.3 km) in its colour."""
    monkeypatch.setattr(viz_layers, "TIP_LIMIT", 0)
    monkeypatch.setattr(viz_pipes, "TIP_LIMIT", 0)  # the pipe layers are built there
    city = build_city()
    run = build_results(tmp_path / "packed", city)
    write_map(run, city, png=False)
    tab.open(run / "map.html")
    in_deck = "() => deckInstance.props.layers.map(l => l.id)"
    assert "pipes_water" not in tab.page.evaluate(in_deck)
    mid = gpd.GeoSeries([Point(X0 + 1300, Y0 + 300)], crs=city.crs).to_crs("EPSG:4326").iloc[0]
    before = tab.pixels()
    tab.page.locator("input[data-group=pipes_water]").check()
    tab.ready()
    after = tab.pixels()
    x, y = _project(tab, [mid.x, mid.y])
    assert not _near(before, x, y, style.PIPE_COLOR["water"], r=0)
    assert _near(after, x, y, style.PIPE_COLOR["water"], r=0, tol=60)
    # built in its place in the drawing order: above the roads, below the stations
    ids = tab.page.evaluate(in_deck)
    assert ids.index("roads_arterial") < ids.index("pipes_water") < ids.index("stations_fire")
    tab.offline_ok()


def test_cells_read_clearly_with_incidents_hidden(
    tab: Tab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Results by cell: with incidents in the south-west cell (i1 met, i2 met, i3 missed:
    2/3, 3 incidents → alpha 80 + 120·3/5 = 152) the cell's colour fills the screen where
    it lies, and no incident dot covers it: the incidents start hidden (no vermillion at
    the missed incident i3); ticking them draws it."""
    monkeypatch.setattr(viz_layers, "CELLS_SHOWN_MIN", 1)
    monkeypatch.setattr(viz_layers, "CELLS_SHOWN_PER_CELL", 1.0)  # the drawing, not the rule
    city = build_city()
    run = build_results(tmp_path / "cells", city)
    inc = pd.read_parquet(run / "incidents.parquet")
    inc["cell_id"] = ["sw", "sw", "sw", "nw", "nw", "nw"]
    inc.to_parquet(run / "incidents.parquet", index=False)
    write_map(run, city, png=False)
    tab.open(run / "map.html")
    assert tab.page.evaluate("() => layerVisible('cells')") is True
    assert tab.page.evaluate("() => layerVisible('incidents_missed')") is False
    img = tab.pixels()
    a = 152 / 255
    want = a * np.array(style.ramp(2 / 3)[:3]) + (1 - a) * background()
    assert int((np.abs(img - want).sum(axis=2) < 14).sum()) > 5_000
    xy = _project(tab, inc.loc[inc["incident_id"] == "i3", ["x", "y"]].iloc[0].tolist())
    assert _count(img, *xy, style.MISSED_COLOR, half=8, tol=40) == 0
    tab.page.locator("input[data-group=incidents]").check()
    tab.ready()
    assert _count(tab.pixels(), *xy, style.MISSED_COLOR, half=8, tol=40) > 10
    tab.offline_ok()


def test_drill_is_ringed_at_city_scale(tab: Tab, folder: Path) -> None:
    """The drill's incidents (i1 scripted, i2 its cascade) get a dark ring of a fixed size
    in pixels (radius 16 px, 4 px line) on a white halo, drawn on top: findable on the
    whole-city view. A ring pixel lies 16 px from the centre; a plain incident (i3) has no
    ring around it; unticking "Drill" removes the rings."""
    tab.open(folder / "map.html")
    img = tab.pixels()
    inc = pd.read_parquet(folder / "incidents.parquet").set_index("incident_id")
    ringed = tab.page.evaluate(
        "() => deckInstance.props.layers.find(l => l.id === 'drill').props.data.map(d => d.tip)"
    )
    assert [t.splitlines()[1].split(" ")[0] for t in ringed] == ["i1", "i2"]
    for iid in ("i2",):  # (i1 lies under the legend panel at this window size)
        x, y = _project(tab, inc.loc[iid, ["x", "y"]].tolist())
        ring = _count(img, x, y, style.DRILL_COLOR, half=22, tol=60)
        assert ring > 60, f"{iid}: {ring} ring pixels"
        assert any(
            _near(img, x + dx, y + dy, style.DRILL_COLOR, r=0, tol=60)
            for dx, dy in ((16, 0), (-16, 0), (0, 16), (0, -16))
        )
    x, y = _project(tab, inc.loc["i3", ["x", "y"]].tolist())
    assert _count(img, x, y, style.DRILL_COLOR, half=10, tol=60) < 5
    tab.page.locator("input[data-group=drill]").uncheck()
    tab.ready()
    x, y = _project(tab, inc.loc["i2", ["x", "y"]].tolist())
    assert _count(tab.pixels(), x, y, style.DRILL_COLOR, half=22, tol=60) < 5
    tab.offline_ok()


def test_hill_shading_darkens_the_slope_away_from_the_sun(tab: Tab, tmp_path: Path) -> None:
    """A hill: every node (the city's 16 and a 13 × 13 grid 400 m apart) at 200 m +
    300 m · exp(-r² / (0.5 km)²) around (4.6, 4.25) km, in Nan'an's empty north-east. The
    shading starts hidden; ticking "Hill shading" darkens the south-east slope (lit from the
    north-west: 0.5 km out the slope is atan(1.2 e⁻¹) ≈ 24°, the shade sin(45° − 24°) ≈ 0.36
    against 0.71 on flat ground: alpha 110 · 0.5 ≈ 55) and leaves the north-west slope (lit
    more than flat ground) clear."""
    city = build_city()
    nodes = city.road_nodes
    cx, cy = X0 + 4600.0, Y0 + 4250.0
    grid = [Point(X0 + 500 + i * 400.0, Y0 + 500 + j * 400.0) for i in range(13) for j in range(13)]
    hill = gpd.GeoDataFrame(
        {"node_id": [f"h{k}" for k in range(len(grid))], "district_id": "500103"},
        geometry=grid,
        crs=nodes.crs,
    )
    both = gpd.GeoDataFrame(pd.concat([nodes, hill], ignore_index=True), crs=nodes.crs)
    r2 = (both.geometry.x - cx) ** 2 + (both.geometry.y - cy) ** 2
    both["elevation_m"] = 200 + 300 * np.exp(-r2 / 500.0**2)
    city = dataclasses.replace(city, road_nodes=both)
    run = build_results(tmp_path / "hill", city)
    write_map(run, city, png=False)
    tab.open(run / "map.html")
    assert tab.page.evaluate("() => layerVisible('relief')") is False  # off at first
    off = tab.pixels()
    tab.page.locator("input[data-group=relief]").check()
    tab.page.wait_for_function(  # the image (a data URI) is decoded asynchronously
        "() => { const l = deckInstance.props.layers.find(l => l.id === 'relief');"
        " return Boolean(l && l.isLoaded && l.props.image && deckReady()); }",
        timeout=WAIT_MS,
        polling=50,
    )
    tab.ready()
    assert tab.page.evaluate("() => layerVisible('relief')") is True
    on = tab.pixels()

    def darkening(bearing_deg: float) -> float:
        """Median drop in brightness (sum of RGB) at 15 points 0.4–0.6 km from the top,
        ±15° about the bearing (0° = east): roads or water over a few do not matter."""
        ang = np.radians(bearing_deg + np.array([-15, -7.5, 0, 7.5, 15]))
        pts = [Point(cx + r * np.cos(a), cy + r * np.sin(a)) for r in (400, 500, 600) for a in ang]
        drops = []
        for p in gpd.GeoSeries(pts, crs=nodes.crs).to_crs("EPSG:4326"):
            x, y = _project(tab, [p.x, p.y])
            block = (slice(int(y) - 1, int(y) + 2), slice(int(x) - 1, int(x) + 2))
            drops.append(off[block].sum(axis=2).mean() - on[block].sum(axis=2).mean())
        return float(np.median(drops))

    dark = {b: darkening(b) for b in (-45, 45, 135, -135)}
    assert dark[-45] > 30, f"south-east slope not shaded: {dark}"
    assert abs(dark[135]) < 10, f"north-west slope shaded: {dark}"
    tab.offline_ok()
