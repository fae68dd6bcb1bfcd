"""Size and time to first frame of the pages in headless Chromium (software WebGL).

    nice python bench/viz_pages.py [--loads 5] RESULTS_DIR [RESULTS_DIR ...]

With several folders the loads are interleaved (every page once, then again…) so that the
pages compared see the same machine load, and each page is also given as a ratio against
the same page of the first folder (size, first frame, all drawn, browser CPU); the load
average is printed before and after.

For each folder's map.html, briefing.html, replay.html and difference.html (those present):
file size, and the median over ``--loads`` fresh loads (a new browser each time, so no
cache) of

- deck pages (map, replay, difference): the time from navigation start to the deck's first
  frame (``window.__timing.firstFrame``, performance.now() origin = navigation start) and to
  ``deckReady()`` (every visible layer loaded and drawn), and the bundle's unpack time;
- the briefing (HTML with the map as an image, no WebGL): first contentful paint and the
  load event (every image decoded);

and the CPU time the browser's processes used until then (user + system, from /proc: what
the page costs, which the machine's other load changes far less than the wall times), in
Debian's Chromium with SwiftShader (the flags of twin.viz.browser: no GPU), network cut
off, 1600 × 900. A screenshot of the last load is written next to the page
(``<page>.bench.png``) to look at. The machine's other load changes the figures: run it
with ``nice`` on an idle machine and read the spread (min–max) as well as the median.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from twin.viz.browser import offline_page, wait_for_deck

PAGES = ("map.html", "briefing.html", "replay.html", "difference.html")


def browser_cpu_s() -> float:
    """CPU seconds (user + system) used so far by the processes this benchmark started (the
    Playwright driver and the browser's processes), from /proc: a figure the machine's
    other load changes far less than wall time."""
    tick = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    cpu: dict[int, int] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(pid)] = int(fields[1])
        cpu[int(pid)] = int(fields[11]) + int(fields[12])  # utime, stime
    ours, grew = {os.getpid()}, True
    while grew:
        more = {p for p, pp in parent.items() if pp in ours} - ours
        grew = bool(more)
        ours |= more
    ours.discard(os.getpid())
    return sum(cpu[p] for p in ours) / tick


def load_once(html: Path, shot: bool) -> dict[str, float]:
    """One fresh load of ``html``: times in seconds from navigation start."""
    with offline_page(1600, 900, 1.0) as off:
        cpu0 = browser_cpu_s()
        t = time.perf_counter()
        off.page.goto(html.resolve().as_uri(), wait_until="load", timeout=180_000)
        deck = off.page.evaluate("() => Boolean(document.getElementById('deck-bundle'))")
        if deck:
            wait_for_deck(off.page, 180.0)
            wall = time.perf_counter() - t
            timing = off.page.evaluate("() => window.__timing")
            out = {
                "first_frame_s": timing["firstFrame"] / 1000,
                "ready_s": wall,
                "bundle_s": off.page.evaluate("() => window.__bundleMs || 0") / 1000,
                "created_s": timing["created"] / 1000,
                "cpu_s": browser_cpu_s() - cpu0,
            }
        else:
            nav = off.page.evaluate(
                "() => { const n = performance.getEntriesByType('navigation')[0];"
                " const p = performance.getEntriesByName('first-contentful-paint')[0];"
                " return {load: n.loadEventEnd, fcp: p ? p.startTime : n.loadEventEnd}; }"
            )
            out = {
                "first_frame_s": nav["fcp"] / 1000,
                "ready_s": nav["load"] / 1000,
                "cpu_s": browser_cpu_s() - cpu0,
            }
        if shot:
            off.page.screenshot(path=str(html.with_suffix(".bench.png")))
        assert not off.blocked, off.blocked
    return out


def measure_all(pages: list[Path], loads: int) -> list[dict[str, object]]:
    """Size (MB) and the median (and range) of each time over ``loads`` loads of each page.
    The loads are interleaved (page 1, page 2, …, page 1, page 2, …) so that pages compared
    in one run see the same machine load."""
    runs: list[list[dict[str, float]]] = [[] for _ in pages]
    for i in range(loads):
        for k, html in enumerate(pages):
            runs[k].append(load_once(html, shot=i == loads - 1))
    out = []
    for html, rs in zip(pages, runs):
        m: dict[str, object] = {"size_mb": html.stat().st_size / 1e6, "loads": loads}
        for key in rs[0]:
            vals = [r[key] for r in rs]
            m[key] = (statistics.median(vals), min(vals), max(vals))
        out.append(m)
    return out


def _med(v: object) -> float:
    """The median of a (median, min, max) figure, or a plain number."""
    return float(v[0]) if isinstance(v, tuple) else float(v)  # type: ignore[arg-type]


def fmt(m: dict[str, object], key: str) -> str:
    med, lo, hi = m[key]  # type: ignore[misc]
    return f"{med:.2f} s ({lo:.2f}–{hi:.2f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="+", type=Path)
    ap.add_argument("--loads", type=int, default=5, help="fresh loads per page (median)")
    args = ap.parse_args()
    pages = [f / name for f in args.folders for name in PAGES if (f / name).exists()]
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    results = measure_all(pages, args.loads)
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    first: dict[str, dict[str, object]] = {}
    for p, m in zip(pages, results):
        extra = (
            f", bundle unpacked and run {fmt(m, 'bundle_s')}, deck created {fmt(m, 'created_s')}"
            if "bundle_s" in m
            else ""
        )
        extra += f"; browser CPU {fmt(m, 'cpu_s')}"
        first_key = "first frame" if "bundle_s" in m else "first paint"
        done = "all drawn" if "bundle_s" in m else "loaded"
        print(
            f"{p}: {m['size_mb']:.2f} MB; median of {m['loads']} loads: "
            f"{first_key} {fmt(m, 'first_frame_s')}, {done} {fmt(m, 'ready_s')}{extra}",
            flush=True,
        )
        base = first.setdefault(p.name, m)
        if base is not m:  # the same page of the first folder, measured in the same run
            ratios = ", ".join(
                f"{k} ×{_med(m[k]) / _med(base[k]):.2f}"
                for k in ("size_mb", "first_frame_s", "ready_s", "cpu_s")
                if k in m and k in base
            )
            print(f"    against {args.folders[0] / p.name}: {ratios}", flush=True)


if __name__ == "__main__":
    main()
