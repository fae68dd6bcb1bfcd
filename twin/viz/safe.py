"""Escaping for everything that reaches HTML, and the offline deck.gl bundle.

Every name from a City or a Results folder is data, never markup:

- :func:`text` escapes HTML text and attribute values (``html.escape``, quotes too);
- :func:`script_json` serialises JSON for a ``<script>`` element with ``<``, ``>``, ``&``
  and U+2028/U+2029 written as ``\\u003c`` etc., so a value holding ``</script>`` cannot
  end the element (the result is still valid JSON and a valid JS expression);
- :func:`deck_bundle` is the deck.gl script the pages inline (``data/deck.min.js``: only
  the deck.gl modules they use plus pydeck's ``createDeck``/``updateDeck``, built by
  ``scripts/build_deck_bundle.sh``; 0.8 MB against the 4.3 MB of pydeck's own bundle,
  which also carries mapbox-gl, maplibre-gl and the Jupyter widget), read once.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def text(value: object) -> str:
    """``value`` as escaped HTML text, safe in element content and quoted attributes."""
    return html.escape("" if value is None else str(value), quote=True)


def script_json(obj: Any) -> str:
    """Compact JSON of ``obj`` that is safe to place inside a ``<script>`` element.

    pydeck objects (``Deck``, ``Layer``, ``ViewState``) serialise as pydeck's own
    ``to_json`` does (its ``default_serialize``), but compact and with the C encoder (pydeck
    indents and sorts keys, which takes seconds for a whole twin). NaN and infinities become
    ``null`` (JSON has no NaN); non-ASCII text is kept as is.
    """
    try:
        raw = _dumps(obj)
    except ValueError:  # a NaN/inf somewhere: clean the whole structure (slower)
        raw = _dumps(_finite(obj))
    for char, escaped in _SCRIPT_ESCAPES.items():
        raw = raw.replace(char, escaped)
    return raw


def _dumps(obj: Any) -> str:
    return json.dumps(
        obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_default
    )


def _finite(obj: Any) -> Any:
    """``obj`` with float NaN/inf replaced by ``None`` (recursively, through pydeck objects)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, (str, int, bool)) or obj is None:
        return obj
    return _finite(_default(obj))


def _default(obj: Any) -> Any:
    """JSON for numpy scalars/arrays and pydeck objects."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    from pydeck.bindings.json_tools import default_serialize  # noqa: PLC0415 — pydeck internals, only for pydeck objects

    return default_serialize(obj)


DECK_BUNDLE = Path(__file__).parent / "data" / "deck.min.js"
"""The deck.gl script for the pages and the app (``scripts/build_deck_bundle.sh``)."""


@lru_cache(maxsize=1)
def deck_bundle() -> str:
    """The deck.gl script (:data:`DECK_BUNDLE`), ready to inline in a ``<script>``.

    It defines the globals pydeck's HTML uses — ``createDeck({container, jsonInput,
    tooltip})``, ``updateDeck(json, deck)`` (pydeck's JSON → deck.gl layers, same converter
    as @deck.gl/jupyter-widget) — and ``deck`` (``Deck``, ``WebMercatorViewport``, the
    @deck.gl/layers classes, ``TripsLayer``). Any ``</script`` is neutralised (the built
    file has none; checked anyway).
    """
    js = DECK_BUNDLE.read_text(encoding="utf-8")
    return js.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")


@lru_cache(maxsize=1)
def deck_bundle_gzip() -> str:
    """:func:`deck_bundle` gzip-compressed (mtime 0: the same bytes every run), base64."""
    raw = gzip.compress(deck_bundle().encode("utf-8"), compresslevel=9, mtime=0)
    return base64.b64encode(raw).decode("ascii")


def packed_segments(paths: list[list[list[float]]], scale: float = 1e5) -> tuple[str, int]:
    """Line segments (every consecutive pair of points of ``paths``, [lon, lat]) packed for
    the page: quantised to 1/``scale`` degree, delta-coded int32 (x, y, x, y, …: source
    then target of each segment), gzip, base64. Returns (text, number of segments); the page
    unpacks them into deck.gl binary attributes when the layer is first shown."""
    segs = [(a, b) for p in paths for a, b in zip(p, p[1:])]
    if not segs:
        return "", 0
    q = np.rint(np.asarray(segs, dtype=float).reshape(-1, 2) * scale).astype(np.int64)
    d = np.diff(q, axis=0, prepend=np.zeros((1, 2), np.int64)).astype("<i4")
    return base64.b64encode(gzip.compress(d.tobytes(), 9, mtime=0)).decode("ascii"), len(segs)


def packed_json(obj: Any) -> str:
    """``obj`` as compact JSON (NaN → null), gzip (mtime 0), base64: a hidden layer's data
    kept out of the deck until its box is ticked (the page unpacks it with ``__gunzip``)."""
    raw = script_json(obj).encode("utf-8")
    return base64.b64encode(gzip.compress(raw, 9, mtime=0)).decode("ascii")


def defer_layers(spec: dict[str, Any], layer_ids: set[str]) -> dict[str, str]:
    """Take the layers ``layer_ids`` out of a deck JSON ``spec`` (a dict, changed in place)
    and return each one's JSON (props and data) packed by :func:`packed_json`, by layer id:
    the page builds such a layer only when its box is first ticked, so the first frame
    neither decodes its data nor compiles its shaders."""
    out: dict[str, str] = {}
    kept = []
    for layer in spec.get("layers", []):
        if layer.get("id") in layer_ids:
            out[layer["id"]] = packed_json(layer)
        else:
            kept.append(layer)
    spec["layers"] = kept
    return out


def png_data_uri(path: Path) -> str:
    """A PNG file as a ``data:image/png;base64,...`` URI (for pages that must print alone)."""
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def write_text(path: Path, content: str) -> None:
    """Write a UTF-8 text file atomically (temporary name in the same folder, then rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(content, encoding="utf-8")
    tmp.replace(path)
