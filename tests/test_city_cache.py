"""The city cache (twin.model.city_cache): a loaded built-in city stored once and read back
identical; stale, damaged or foreign files are rebuilt; the key follows the data; nothing
is written outside the cache folder. And the placement's cached pipe ages and sensor
coverage (twin.sim.placement.pipe_info): the same arrays as computed, recomputed when damaged,
a new key when the pipes change."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from tests.tinycity import tiny_city
from twin.model import cache
from twin.model.city import LAYERS, City, embedded_path, load_city, save_city
from twin.model.city_cache import PREFIX, cached_city, city_key, read_city
from twin.sim.placement import REFERENCE_YEAR, pipe_info


def assert_same_city(a: City, b: City) -> None:
    """Every field equal, every layer equal with the same dtypes and byte-identical geometry."""
    assert (a.name, a.crs, a.source, a.meta) == (b.name, b.crs, b.source, b.meta)
    for layer in LAYERS:
        x, y = getattr(a, layer), getattr(b, layer)
        assert_geodataframe_equal(x, y, check_dtype=True, check_crs=True)
        assert list(x.columns) == list(y.columns)
        assert list(x.dtypes.astype(str)) == list(y.dtypes.astype(str))
        assert list(shapely.to_wkb(x.geometry.to_numpy())) == list(
            shapely.to_wkb(y.geometry.to_numpy())
        )


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime in ns) of every file under ``root``."""
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A city folder (the tiny city saved) and an empty cache folder (TWIN_CACHE_DIR)."""
    store = tmp_path / "cache"
    monkeypatch.setenv("TWIN_CACHE_DIR", str(store))
    return save_city(tiny_city(), tmp_path / "tiny"), store


def load(folder: Path) -> City:
    return cached_city(folder, lambda: load_city(folder), City)


def only_file(store: Path) -> Path:
    (path,) = store.iterdir()
    assert path.name == f"{PREFIX}{city_key(path.parent.parent / 'tiny')}.pkl"
    return path


def test_round_trip_is_identical_and_read_back(folders: tuple[Path, Path]) -> None:
    folder, store = folders
    first = load(folder)
    path = only_file(store)
    key = city_key(folder)
    again = read_city(path, key, City)
    assert again is not None
    assert_same_city(first, again)
    assert_same_city(load_city(folder), load(folder))
    assert path in cache.our_files(store)  # counted in the size bound, removed by clear


def test_damaged_or_foreign_file_is_rebuilt(folders: tuple[Path, Path]) -> None:
    folder, store = folders
    reference = load(folder)
    path = only_file(store)
    key = city_key(folder)
    for bad in (b"not a pickle", pickle.dumps({"key": "0" * 24, "fields": {}, "layers": {}})):
        path.write_bytes(bad)
        assert read_city(path, key, City) is None
        assert_same_city(reference, load(folder))
        assert read_city(path, key, City) is not None  # rewritten, readable again
    path.write_bytes(path.read_bytes()[:1000])  # truncated
    assert_same_city(reference, load(folder))


def test_key_follows_the_data(folders: tuple[Path, Path]) -> None:
    folder, store = folders
    before = city_key(folder)
    assert city_key(folder) == before  # stable
    meta = folder / "city.json"
    meta.write_text(meta.read_text(encoding="utf-8") + " ", encoding="utf-8")
    changed = city_key(folder)
    assert changed != before
    (folder / "extra.txt").write_text("x", encoding="utf-8")
    assert city_key(folder) not in (before, changed)
    load(folder)
    (stale,) = store.iterdir()
    save_city(tiny_city().replace(name="another"), folder)  # a different city
    (folder / "extra.txt").write_text("x", encoding="utf-8")
    assert load(folder).name == "another"  # not the stale file's city
    assert stale.exists() and len(list(store.iterdir())) == 2


def test_writes_only_into_the_cache_folder(tmp_path: Path, folders: tuple[Path, Path]) -> None:
    folder, store = folders
    data = snapshot(folder)
    load(folder)
    load(folder)
    assert snapshot(folder) == data
    outside = {p for p in tmp_path.rglob("*") if p.is_file()} - set(store.rglob("*"))
    assert {p.relative_to(tmp_path).parts[0] for p in outside} == {"tiny"}
    assert [p.name for p in store.iterdir() if p.name.startswith(".")] == []  # no partial file


def test_unwritable_cache_warns_once_and_loads(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, store = folders
    store.write_text("a file, not a folder", encoding="utf-8")
    with pytest.warns(cache.CacheWarning, match="cannot be used"):
        city = load(folder)
    assert_same_city(city, load_city(folder))
    assert store.read_text(encoding="utf-8") == "a file, not a folder"


def test_embedded_twin_is_cached_user_folders_are_not(
    folders: tuple[Path, Path],
) -> None:
    folder, store = folders
    load_city(folder)  # a user's folder: read as it is
    assert not store.exists()
    embedded = snapshot(embedded_path())
    first = load_city()
    (path,) = store.iterdir()
    assert path.name == f"{PREFIX}{city_key(embedded_path())}.pkl"
    second = load_city("central")
    assert_same_city(first, second)
    assert read_city(path, city_key(embedded_path()), City) is not None
    assert snapshot(embedded_path()) == embedded
    assert os.listdir(store) == [path.name]


# ------------------------------------------------ pipe ages and sensors (placement cache)


def test_pipe_info_cached_equals_computed_and_follows_the_pipes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "cache"
    monkeypatch.setenv("TWIN_CACHE_DIR", str(store))
    city = tiny_city()
    xy = city.roads.xy
    fresh = pipe_info(city.pipes, "gas", xy, use_cache=False)
    assert not store.exists()
    # by hand: n00 lies on G1 (1980, unmonitored) → age 2025 − 1980 = 45, not watched;
    # n10 is the end of both G1 and G2 and n20 lies on G2 (2015, monitored): age 45 or 10
    n00 = list(city.roads.node_ids).index("n00")
    assert fresh[0][n00] == REFERENCE_YEAR - 1980 and not fresh[1][n00]
    first = pipe_info(city.pipes, "gas", xy)
    (path,) = store.iterdir()
    assert path.name.startswith("pipes-") and path.name.endswith("-gas.npz")
    assert path in cache.our_files(store)
    path.write_bytes(path.read_bytes()[:50])  # damaged: recomputed and rewritten
    again = pipe_info(city.pipes, "gas", xy)
    for got in (first, again, pipe_info(city.pipes, "gas", xy)):
        np.testing.assert_array_equal(got[0], fresh[0])
        np.testing.assert_array_equal(got[1], fresh[1])
    older = city.pipes.assign(install_year=city.pipes["install_year"] - 1)
    aged = pipe_info(older, "gas", xy)
    assert len(list(store.iterdir())) == 2  # another key: another file
    np.testing.assert_array_equal(aged[0], fresh[0] + 1)
