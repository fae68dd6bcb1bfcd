"""Functions the ``twin`` CLI calls (``twin map DIR``, ``twin replay DIR``, ``twin run``).

The city drawn is ``city_path`` when given, else the folder named by the run's
summary.json (``"city"``: a path, or ``{"name": ..., "source": path}``), else the embedded
Chongqing twin.
"""

from __future__ import annotations

from pathlib import Path

from twin.model.city import City, load_city
from twin.viz.data import read_summary
from twin.viz.briefing import write_briefing
from twin.viz.export import write_map
from twin.viz.replay import write_replay


def city_for(results_dir: Path, city_path: Path | None) -> City:
    """The City a results folder was made with (see module docstring)."""
    if city_path is None:
        named = read_summary(Path(results_dir)).get("city")
        if isinstance(named, dict):  # {"name": ..., "source": path or null}
            named = named.get("source") or named.get("path")
        city_path = Path(named) if named else None
    return load_city(city_path)


def map_command(results_dir: Path, city_path: Path | None = None) -> list[Path]:
    """``twin map DIR``: (re)write map.html, map.png and briefing.html; return their paths."""
    results_dir = _folder(results_dir)
    city = city_for(results_dir, city_path)
    files = write_map(results_dir, city)
    return [*files.paths, write_briefing(results_dir, city)]


def replay_command(results_dir: Path, city_path: Path | None = None) -> Path:
    """``twin replay DIR``: write replay.html; return its path."""
    results_dir = _folder(results_dir)
    if not has_routes(results_dir):
        from twin.errors import TwinDataError

        raise TwinDataError.one(str(results_dir), "this run recorded no unit routes to replay",
                                "run it again with routes: twin run SCENARIO --routes --out DIR "
                                "(on by default for drills and runs of a day or less)",
                                title="cannot replay")
    return write_replay(results_dir, city_for(results_dir, city_path))


def has_routes(results_dir: Path) -> bool:
    """Whether the results folder holds at least one recorded trip."""
    import pyarrow.parquet as pq

    p = Path(results_dir) / "routes.parquet"
    return p.exists() and pq.ParquetFile(p).metadata.num_rows > 0


def write_all(results_dir: Path, city: City) -> list[Path]:
    """Everything viz draws for a finished run (called by ``twin run`` before the folder is
    moved into place): map.html, map.png, briefing.html, and replay.html when routes were
    recorded."""
    results_dir = Path(results_dir)
    files = write_map(results_dir, city)
    out = [*files.paths, write_briefing(results_dir, city)]
    if has_routes(results_dir):
        out.append(write_replay(results_dir, city))
    return out


def _folder(results_dir: Path) -> Path:
    """The results folder, or a TwinDataError saying it is not one."""
    from twin.errors import TwinDataError

    p = Path(results_dir)
    if not p.is_dir():
        raise TwinDataError.one(str(p), "no such results folder",
                                "give a folder written by `twin run --out DIR`",
                                title="cannot draw maps")
    return p
