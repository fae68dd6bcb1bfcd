"""Built-in cities by name (:data:`twin.build.names.NAMED_CITIES`): ``central`` is the
embedded central-Chongqing twin (shipped in ``twin/data/chongqing``); ``municipality`` is the
whole municipality, **built on first use** by :func:`twin.build.municipality.build_municipality`
(about half a minute) into the cache folder (:func:`twin.model.cache.cache_dir`, under
``cities/``) and reused afterwards. The cached folder's name carries a hash of the build's
code and sources, so a changed build is rebuilt, never mixed with an old one. When the cache
cannot be written the city is built into a temporary folder for this process, with one
:class:`~twin.model.cache.CacheWarning`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import warnings
from importlib import resources
from pathlib import Path

from twin.build.geo import sources_path
from twin.build.municipality import build_municipality
from twin.build.names import CENTRAL, MUNICIPALITY, NAMED_CITIES
from twin.model.cache import CacheWarning, cache_dir

MUNICIPALITY_SEED = 2020
"""The seed of the municipality build (the central twin's)."""


def embedded_path() -> Path:
    """The folder of the embedded default twin (central Chongqing)."""
    return Path(str(resources.files("twin.data") / "chongqing"))


def named_city(path: str | os.PathLike) -> Path | None:
    """The folder a city name stands for (building it if needed), or None when ``path`` is
    not a built-in name or a folder of that name exists."""
    name = str(path)
    if name not in NAMED_CITIES or Path(path).exists():
        return None
    if name == CENTRAL:
        return embedded_path()
    assert name == MUNICIPALITY
    return municipality_folder()


def build_key() -> str:
    """A hash of the municipality build's code, sources and seed (16 hex digits)."""
    h = hashlib.sha256(str(MUNICIPALITY_SEED).encode())
    build = Path(str(resources.files("twin.build")))
    for folder in (build, sources_path()):
        for p in sorted(folder.iterdir()):
            if p.is_file() and p.suffix in (".py", ".geojson", ".csv"):
                h.update(p.name.encode())
                h.update(p.read_bytes())
    return h.hexdigest()[:16]


def municipality_folder() -> Path:
    """The municipality twin's folder in the cache, built there first if absent."""
    folder = cache_dir() / "cities" / f"municipality-{build_key()}"
    if (folder / "city.json").is_file():
        return folder
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".municipality-", dir=folder.parent))
    except OSError as exc:
        warnings.warn(
            CacheWarning(
                f"cannot cache the municipality twin in {folder.parent} ({exc.strerror}); "
                "building it into a temporary folder for this run (slower next time)"
            ),
            stacklevel=2,
        )
        tmp = Path(tempfile.mkdtemp(prefix="twin-municipality-"))
        build_municipality(tmp, MUNICIPALITY_SEED)
        return tmp
    print(f"building the municipality twin into {folder} (first use, 20-90 s)", file=sys.stderr)
    try:
        build_municipality(tmp, MUNICIPALITY_SEED)
        os.replace(tmp, folder)
    except OSError:  # another process finished first: use its folder
        if not (folder / "city.json").is_file():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder
