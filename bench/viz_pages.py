"""Size and time to first frame of the map pages in headless Chromium (software WebGL).

    python bench/viz_pages.py RESULTS_DIR [RESULTS_DIR ...]

For each folder's map.html (and replay.html when present): file size, time from navigation
to the page's first deck frame (``window.__timing.firstFrame``, performance.now() origin =
navigation start), and to ``deckReady()`` (every visible layer loaded and drawn), in
Debian's Chromium with SwiftShader (the flags of twin.viz.browser), network cut off.
Also a screenshot next to the page (``<page>.bench.png``) to look at.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from twin.viz.browser import offline_page, wait_for_deck


def measure(html: Path) -> dict[str, float]:
    """Size (MB) and times (s) of one page."""
    with offline_page(1600, 900, 1.0) as off:
        t = time.perf_counter()
        off.page.goto(html.resolve().as_uri(), wait_until="load", timeout=120_000)
        wait_for_deck(off.page, 120.0)
        wall = time.perf_counter() - t
        timing = off.page.evaluate("() => window.__timing")
        bundle = off.page.evaluate("() => window.__bundleMs || 0")
        off.page.screenshot(path=str(html.with_suffix(".bench.png")))
        assert not off.blocked, off.blocked
    return {
        "size_mb": html.stat().st_size / 1e6,
        "bundle_s": bundle / 1000,
        "first_frame_s": timing["firstFrame"] / 1000,
        "ready_s": wall,
    }


if __name__ == "__main__":
    for folder in sys.argv[1:]:
        for name in ("map.html", "replay.html"):
            p = Path(folder) / name
            if p.exists():
                m = measure(p)
                print(
                    f"{p}: {m['size_mb']:.2f} MB, bundle unpacked {m['bundle_s']:.2f} s, "
                    f"first frame {m['first_frame_s']:.2f} s, all drawn {m['ready_s']:.2f} s"
                )
