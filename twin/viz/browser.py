"""Headless Chromium (Debian's ``/usr/bin/chromium``) driven by Playwright, offline.

WebGL in this headless Chromium runs on SwiftShader (software Vulkan under ANGLE): the
flags ``--use-angle=swiftshader --enable-unsafe-swiftshader`` select it explicitly (recent
Chromium no longer falls back to SwiftShader for WebGL without the second flag). Every
page is opened with the network cut off: the context is ``offline`` and a route aborts any
request that is not ``file:``/``data:``/``about:``, recording it in :attr:`Offline.blocked`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu-sandbox",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--ignore-gpu-blocklist",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-quic",
    "--disable-default-apps",
    "--disable-extensions",
    "--metrics-recording-only",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
]
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


def chromium_path() -> str | None:
    """The Chromium executable to use (``$TWIN_CHROMIUM``, /usr/bin/chromium, or PATH)."""
    env = os.environ.get("TWIN_CHROMIUM")
    for cand in (env, CHROMIUM, shutil.which("chromium"), shutil.which("chromium-browser")):
        if cand and Path(cand).exists():
            return cand
    return None


@dataclass
class Offline:
    """A Playwright page with the network cut off; ``blocked`` lists refused URLs."""

    page: Any  # playwright.sync_api.Page (optional extra [browser])
    context: Any  # playwright.sync_api.BrowserContext
    blocked: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


@contextmanager
def offline_page(width: int = 1600, height: int = 900, scale: float = 1.0) -> Iterator[Offline]:
    """A fresh headless Chromium (own temporary profile) with one offline page."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 — optional extra [browser]

    exe = chromium_path()
    if exe is None:
        raise RuntimeError("no Chromium found (install Debian's `chromium` or set TWIN_CHROMIUM)")
    with tempfile.TemporaryDirectory(prefix="twin-chromium-") as profile, sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            profile,
            executable_path=exe,
            headless=True,
            args=CHROMIUM_ARGS,
            offline=True,
            viewport={"width": width, "height": height},
            device_scale_factor=scale,
            service_workers="block",
        )
        try:
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            off = Offline(page=page, context=ctx)
            ctx.route("**/*", lambda route: _gate(route, off))
            page.on("console", lambda m: off.console.append(f"{m.type}: {m.text}"))
            yield off
        finally:
            ctx.close()


def _gate(route: Any, off: Offline) -> None:
    """Let local URLs through; abort and record everything else."""
    url = route.request.url
    if url.startswith(LOCAL_SCHEMES):
        route.continue_()
    else:
        off.blocked.append(url)
        route.abort("internetdisconnected")


def wait_for_deck(page: Any, timeout_s: float = 30.0) -> None:
    """Wait until the page's deck has drawn every layer (``window.deckReady()``)."""
    page.wait_for_function(
        "() => window.deckReady && window.deckReady()", timeout=timeout_s * 1000, polling=100
    )
    # two more animation frames so the compositor has the last WebGL frame
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def screenshot_file(
    html: Path,
    png: Path,
    width: int = 1600,
    height: int = 900,
    scale: float = 2.0,
    timeout_s: float = 180.0,  # a busy 2-core machine needs ~60 s (bench/viz_pages.py)
) -> list[str]:
    """Render ``html`` (a deck page) to ``png``; return URLs that were blocked (should be none).

    Runs in a worker thread: Playwright's sync API refuses to run inside an asyncio loop
    (Jupyter, or another Playwright session in the caller), and a fresh thread has none.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_screenshot, html, png, width, height, scale, timeout_s).result()


def _screenshot(
    html: Path, png: Path, width: int, height: int, scale: float, timeout_s: float
) -> list[str]:
    with offline_page(width, height, scale) as off:
        off.page.goto(Path(html).resolve().as_uri(), wait_until="load", timeout=timeout_s * 1000)
        off.page.evaluate("() => document.documentElement.classList.add('snapshot')")
        wait_for_deck(off.page, timeout_s)
        off.page.screenshot(path=str(png), full_page=False)
        return list(off.blocked)
