"""The on-disk cache of travel-time arrays: where it is, whether it can be used, how big.

- **Where:** ``$TWIN_CACHE_DIR`` if set, else the platform's user cache folder
  (``platformdirs.user_cache_dir("shancheng-twin")``: ``~/.cache/shancheng-twin`` on Linux,
  honouring ``$XDG_CACHE_HOME``; ``~/Library/Caches/shancheng-twin`` on macOS).
- **Unusable cache** (the path is a file, a read-only folder, a full disk): runs carry on
  without it — travel times are recomputed — and a :class:`CacheWarning` says so once per
  process (the CLI prints it as one ``warning:`` line).
- **What is ours:** files named ``tt-<24 hex>-<period>.npz``, ``pipes-<24 hex>-<network>.npz``
  (:func:`twin.sim.placement.pipe_info`) and ``city-<24 hex>.pkl``
  (:mod:`twin.model.city_cache`), and their partial writes (the same names after a dot),
  and under ``cities/`` the built municipality folders ``municipality-<16 hex>`` whose
  ``city.json`` names our builder (and the
  ``.municipality-…`` folders of a build in progress or interrupted: :mod:`twin.model.named`).
  ``twin cache clear`` removes only those; anything else in the folder is left alone.
- **Bounded:** after each write, the least recently used files (modification time, touched
  on every read) are evicted until the cache holds at most ``$TWIN_CACHE_MAX_MB`` (default
  :data:`DEFAULT_MAX_MB`; the embedded twin needs ~120 MB per station set and closure set).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import platformdirs

APP = "shancheng-twin"
DEFAULT_MAX_MB = 2048.0
OURS = re.compile(
    r"^\.?((tt|pipes)-[0-9a-f]{24}-[a-z]+(\.[A-Za-z0-9_]+)?\.npz"
    r"|city-[0-9a-f]{24}(\.[A-Za-z0-9_]+)?\.pkl)$"
)
"""Names of the files this tool writes into the cache folder (travel times; loaded cities:
:mod:`twin.model.city_cache`)."""
CITIES = "cities"
"""The cache's sub-folder of built cities (:mod:`twin.model.named`)."""
OUR_CITY = re.compile(r"^(municipality-[0-9a-f]{16}|\.municipality-[A-Za-z0-9_]+)$")
"""Names of the folders this tool builds under :data:`CITIES`."""
BUILDER = "twin.build.municipality"
"""How a city.json written by our build names its source (``twin.build.municipality``)."""
_warned: set[str] = set()


class CacheWarning(UserWarning):
    """The travel-time cache cannot be used; the run goes on without it."""


def cache_dir() -> Path:
    """The cache folder (see the module docstring); not created here."""
    env = os.environ.get("TWIN_CACHE_DIR")
    return Path(env) if env else Path(platformdirs.user_cache_dir(APP, appauthor=False))


def max_bytes() -> float:
    """The cache's size limit in bytes (``$TWIN_CACHE_MAX_MB``, default 2048 MB)."""
    try:
        mb = float(os.environ.get("TWIN_CACHE_MAX_MB", DEFAULT_MAX_MB))
    except ValueError:
        mb = DEFAULT_MAX_MB
    return max(mb, 0.0) * 1e6


def warn_once(folder: Path, why: str) -> None:
    """One :class:`CacheWarning` per process and (folder, reason): the cache in ``folder``
    (travel times, loaded cities) cannot be used and the run carries on without it."""
    key = f"{folder}:{why}"
    if key not in _warned:
        _warned.add(key)
        warnings.warn(
            CacheWarning(
                f"travel-time cache {folder} cannot be used ({why}); carrying on without it "
                "(travel times are recomputed and cities reloaded from their layers: slower). "
                "Set TWIN_CACHE_DIR to a writable folder."
            ),
            stacklevel=3,
        )


def load(name: str) -> dict[str, np.ndarray] | None:
    """The arrays cached under ``name``, or None (absent, unreadable or damaged: a damaged
    file is never trusted, it is recomputed and overwritten)."""
    path = cache_dir() / name
    try:
        if not path.is_file():
            return None
        with np.load(path) as z:
            arrays = {k: z[k] for k in z.files}
        os.utime(path)  # least recently used goes first
        return arrays
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def save(name: str, arrays: dict[str, np.ndarray]) -> bool:
    """Store ``arrays`` under ``name`` atomically; False (with one warning) if the cache
    cannot be written."""
    named: dict[str, Any] = arrays  # savez's own keywords are typed too
    return save_file(name, lambda f: np.savez(f, **named))


def save_file(name: str, write: Callable[[BinaryIO], object]) -> bool:
    """Write the cache file ``name`` with ``write(binary file)`` atomically (a temporary
    file in the cache folder, then a rename), then keep the cache within its size bound;
    False (with one warning) if the cache cannot be written."""
    folder = cache_dir()
    stem, dot, ext = name.rpartition(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=dot + ext, dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                write(f)
            os.replace(tmp, folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        warn_once(folder, exc.strerror or type(exc).__name__)
        return False
    evict(max_bytes())
    return True


@dataclass(frozen=True)
class CacheInfo:
    """What ``twin cache info`` prints."""

    folder: Path
    files: int
    bytes: int
    limit_bytes: float
    usable: bool


def our_files(folder: Path | None = None) -> list[Path]:
    """The files in the cache folder this tool wrote (by name), oldest use first."""
    folder = folder or cache_dir()
    try:
        files = [p for p in folder.iterdir() if OURS.match(p.name) and p.is_file()]
    except OSError:
        return []
    return sorted(files, key=lambda p: p.stat().st_mtime)


def info() -> CacheInfo:
    """Where the cache is, how many of our files it holds and their size."""
    folder = cache_dir()
    files = our_files(folder)
    usable = (folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)) or (
        not folder.exists() and _creatable(folder)
    )
    return CacheInfo(folder, len(files), sum(p.stat().st_size for p in files), max_bytes(), usable)


def _creatable(folder: Path) -> bool:
    parent = folder.parent
    while not parent.exists():
        parent = parent.parent
    return parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)


def our_cities(folder: Path | None = None) -> list[Path]:
    """The built-city folders this tool wrote under the cache's ``cities/``: a finished
    build (``municipality-<16 hex>``) whose ``city.json`` names our builder, or a build in
    progress or interrupted (``.municipality-…``, named by :func:`tempfile.mkdtemp`)."""
    cities = (folder or cache_dir()) / CITIES
    try:
        found = [p for p in cities.iterdir() if OUR_CITY.match(p.name) and p.is_dir()]
    except OSError:
        return []
    return sorted(p for p in found if p.name.startswith(".") or _built_by_us(p))


def _built_by_us(folder: Path) -> bool:
    """Does ``folder/city.json`` say the twin's own builder wrote it?"""
    try:
        meta = json.loads((folder / "city.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and str(meta.get("source", "")).startswith(BUILDER)


def clear() -> tuple[int, int]:
    """Remove every file this tool wrote into the cache — travel-time files and built
    cities (then ``cities/`` itself if that left it empty); return (files, bytes) removed."""
    n = size = 0
    for p in our_files():
        try:
            s = p.stat().st_size
            p.unlink()
        except OSError:
            continue
        n, size = n + 1, size + s
    for d in our_cities():
        files = [f for f in d.rglob("*") if f.is_file() and not f.is_symlink()]
        b = sum(f.stat().st_size for f in files)
        shutil.rmtree(d, ignore_errors=True)
        if not d.exists():
            n, size = n + len(files), size + b
    try:
        (cache_dir() / CITIES).rmdir()  # only when empty
    except OSError:
        pass
    return n, size


def evict(limit_bytes: float) -> int:
    """Remove least recently used files until ours total ≤ ``limit_bytes``; return count."""
    files = our_files()
    total = sum(p.stat().st_size for p in files)
    removed = 0
    for p in files:
        if total <= limit_bytes:
            break
        try:
            s = p.stat().st_size
            p.unlink()
        except OSError:
            continue
        total, removed = total - s, removed + 1
    return removed
