"""The planners' app in a real headless Chromium, served by a real `twin app` on 127.0.0.1.

The server is the installed command (`twin app`) on the tiny hand-made city,
and the page's every request that is not to that server is aborted and recorded: the app
must work with no network at all. The tests point and click as a planner would: add a
station by clicking the map, close a bridge by clicking it, run one short day, read the
comparison table, and see a bad value answered in the page.
"""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from tinycity import node_xy, tiny_city

import twin.viz.style as style
from twin.model.city import City, load_city, save_city
from twin.viz.browser import CHROMIUM_ARGS, chromium_path

pytestmark = pytest.mark.browser

FIRE_RGB = tuple(style.force_style("fire")["color"][:3])  # the static maps' fire colour
NEW_RGB = tuple(style.NEW_COLOR[:3])  # the ring of a new or moved station


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def city_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("appcity") / "tiny"
    save_city(tiny_city(), folder)
    return folder


@pytest.fixture(scope="module")
def server(city_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    runs = tmp_path_factory.mktemp("appruns")
    twin_cmd = str(Path(sys.executable).with_name("twin"))  # the installed console script
    proc = subprocess.Popen(
        [twin_cmd, "app", "--port", str(port), "--runs-dir", str(runs), "--city", str(city_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    raise AssertionError(f"twin app did not start: {out}") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    assert exe, "no Chromium: scripts/install-chromium.sh installs Debian's chromium"
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            profile,
            executable_path=exe,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
            device_scale_factor=1,
        )
        yield ctx
        ctx.close()


class AppTab:
    """The app's page; requests to anything but the app's own server are aborted."""

    def __init__(self, ctx: Any, base: str) -> None:
        self.base, self.left, self.errors = base, [], []
        self.page = ctx.new_page()
        self.page.route("**/*", self._gate)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(base + "/")
        self.page.wait_for_function(
            "() => window.__app && (window.__app.ready || window.__app.failed)",
            timeout=60_000,
            polling=100,
        )
        assert self.page.evaluate("() => window.__app.failed || null") is None
        self.page.wait_for_function("() => window.__app.frames > 0", timeout=60_000)

    def _gate(self, route: Any) -> None:
        url = route.request.url
        if url.startswith((self.base + "/", "data:", "blob:")):
            route.continue_()
        else:
            self.left.append(url)
            route.abort("internetdisconnected")

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = self.page.evaluate("([lon, lat]) => window.__app.project(lon, lat)", [lon, lat])
        return float(x), float(y)

    def frames(self) -> int:
        return int(self.page.evaluate("() => window.__app.frames"))

    def settle(self, since: int) -> None:
        """Wait until the map drew a frame after ``since`` and has nothing left to draw."""
        self.page.wait_for_function(
            "(n) => window.__app.frames > n && "
            "!window.__app.deck.needsRedraw({clearRedrawFlags: false})",
            arg=since,
            timeout=60_000,
            polling=100,
        )

    def pixel(self, x: float, y: float) -> np.ndarray:
        return self.column(x, y, y)[0]

    def column(self, x: float, y0: float, y1: float) -> np.ndarray:
        """The RGB pixels of the page at column ``x`` from row ``y0`` to ``y1`` (inclusive)."""
        top = round(y0)
        png = self.page.screenshot(
            clip={"x": round(x), "y": top, "width": 1, "height": round(y1) - top + 1}
        )
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))[:, 0].astype(int)


def lonlat(
    city: City, node: str, toward: str | None = None, frac: float = 0.0
) -> tuple[float, float]:
    x, y = np.array(node_xy(node), float)
    if toward is not None:
        x, y = (1 - frac) * np.array([x, y]) + frac * np.array(node_xy(toward), float)
    lon, lat = city.lonlat_from_xy(np.array([x, y]))[0]
    return float(lon), float(lat)


def test_add_station_close_bridge_run_and_compare(
    server: str, browser: Any, city_dir: Path
) -> None:
    city = load_city(city_dir)
    tab = AppTab(browser, server)
    # 1. add a fire station by clicking the map halfway between n20 and n22 (an empty spot)
    lon, lat = lonlat(city, "n20", "n22", 0.5)
    x, y = tab.xy(lon, lat)
    drawn = tab.frames()
    tab.page.mouse.click(x, y)
    added = tab.page.evaluate("() => window.__app.state.add")
    assert len(added) == 1 and added[0]["force"] == "fire"
    assert abs(added[0]["lon"] - lon) < 2e-4 and abs(added[0]["lat"] - lat) < 2e-4
    tab.settle(drawn)
    centre = tab.pixel(x, y)
    assert np.abs(centre - FIRE_RGB).max() < 40, centre
    # a new station: radius 9 px with a 3 px ring in the maps' "new" yellow; an existing
    # one: 5 px with a 1 px dark grey ring
    above = tab.column(x, y - 14, y - 4)
    nearest = np.abs(above - NEW_RGB).sum(axis=1).min()
    assert nearest < 60, f"no yellow NEW ring above the added station: {above.tolist()}"
    assert "NEW" in tab.page.evaluate(
        "() => window.__app.deck.props.layers"
        ".find(l => l.id === 'new-labels').props.data"
        ".map(d => d.isNew ? 'NEW' : '').join(',')"
    )
    # 2. close the Short Bridge by clicking its middle
    tab.page.check("input[name=tool][value=close]")
    bx, by = tab.xy(*lonlat(city, "n21", "n31", 0.5))
    tab.page.mouse.click(bx, by)
    closures = tab.page.evaluate("() => window.__app.state.closures")
    assert [c["name"] for c in closures] == ["Short Bridge"]
    assert "close Short Bridge from hour 0" in tab.page.inner_text("#changes")
    # 3. run one short day (busy, so incidents happen) and read the comparison
    tab.page.fill("#days", "0.25")
    tab.page.fill("#reps", "1")
    tab.page.fill("#rate", "40")
    tab.page.click("#run")
    tab.page.wait_for_function(
        "() => window.__app.lastStatus && "
        "['done', 'failed'].includes(window.__app.lastStatus.status)",
        timeout=240_000,
        polling=250,
    )
    assert tab.page.evaluate("() => window.__app.lastStatus.status") == "done"
    assert tab.page.is_visible("#results")
    head = tab.page.inner_text("#headline")
    assert "30min share met" in head and "one pair: no interval" in head
    rows = tab.page.locator("#districts tr").count()
    assert rows == 1 + 3  # header + the three districts of the tiny city
    assert "one replication: no interval" in tab.page.inner_text("#answer")
    assert tab.left == [] and tab.errors == []


def test_drag_moves_a_station(server: str, browser: Any, city_dir: Path) -> None:
    """Drag the fire station F1 (at n00) to halfway between n12 and n22 with the mouse:
    the station is drawn at the drop point and not at n00, the map did not pan, and the
    scenario moves F1 there."""
    city = load_city(city_dir)
    tab = AppTab(browser, server)
    tab.page.check("input[name=tool][value=move]")
    x0, y0 = tab.xy(*lonlat(city, "n00"))
    lon, lat = lonlat(city, "n12", "n22", 0.5)
    x1, y1 = tab.xy(lon, lat)
    drawn = tab.frames()
    tab.page.mouse.move(x0, y0)
    tab.page.mouse.down()
    for f in (0.25, 0.5, 0.75, 1.0):  # pointer moves as a hand makes them
        tab.page.mouse.move(x0 + f * (x1 - x0), y0 + f * (y1 - y0))
    tab.page.mouse.up()
    tab.page.wait_for_function("() => window.__app.moves === 1", timeout=30_000, polling=100)
    moved = tab.page.evaluate("() => window.__app.state.move")
    assert set(moved) == {"F1"}
    assert abs(moved["F1"]["lon"] - lon) < 2e-4 and abs(moved["F1"]["lat"] - lat) < 2e-4
    assert tab.xy(lon, lat) == (x1, y1)  # the drag moved the station, not the map
    assert "move F1 to" in tab.page.inner_text("#changes")
    tab.settle(drawn)
    assert np.abs(tab.pixel(x1, y1) - FIRE_RGB).max() < 40, tab.pixel(x1, y1)
    assert np.abs(tab.pixel(x0, y0) - FIRE_RGB).max() > 60, tab.pixel(x0, y0)
    spec = tab.page.evaluate("() => window.__app.scenarioJson()")
    assert [m["station_id"] for m in spec["stations"]["move"]] == ["F1"]
    assert tab.left == [] and tab.errors == []


def test_bad_value_is_answered_in_the_page(server: str, browser: Any) -> None:
    tab = AppTab(browser, server)
    tab.page.fill("#rate", "-3")
    tab.page.click("#run")
    tab.page.wait_for_selector("#errors:not([hidden])", timeout=30_000)
    text = tab.page.inner_text("#errors")
    assert "incidents.rate_multiplier" in text and "greater than or equal to 0" in text
    assert tab.page.is_hidden("#results")
    assert tab.left == [] and tab.errors == []
