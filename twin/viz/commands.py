"""Functions the ``twin`` CLI calls (``twin map DIR``, ``twin replay DIR``, ``twin run``).

The city drawn is ``city_path`` when given, else the folder named by the run's
summary.json (``"city"``: a path, or ``{"name": ..., "source": path}``), else the embedded
Chongqing twin.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow.parquet as pq

from twin.analysis.outdir import is_results_folder
from twin.errors import TwinDataError
from twin.model.city import City, load_city
from twin.progress import steps
from twin.viz.briefing import write_briefing
from twin.viz.data import read_summary
from twin.viz.difference import write_difference_map
from twin.viz.drawing import draw
from twin.viz.export import write_map
from twin.viz.planner import write_planner_files
from twin.viz.replay import write_replay


def city_for(results_dir: Path, city_path: Path | None) -> City:
    """The City a results folder was made with (see module docstring)."""
    if city_path is None:
        named = read_summary(Path(results_dir)).get("city")
        if isinstance(named, dict):  # {"name": ..., "source": path or null}
            named = named.get("source") or named.get("path")
        city_path = Path(named) if named else None
    return load_city(city_path)


def map_command(
    results_dir: Path,
    city_path: Path | None = None,
    *,
    against: Path | None = None,
    lang: str = "both",
) -> list[Path]:
    """``twin map DIR``: (re)write map.html, map.png, briefing.html, results.gpkg and
    districts.csv; with ``against`` (a baseline results folder) also difference.html and a
    briefing that answers against it. Returns the paths written."""
    results_dir = _folder(results_dir)
    base = _folder(against) if against is not None else None
    with steps(6 if base is not None else 5) as step:
        step("loading the city")
        city = city_for(results_dir, city_path)
        step("map.html and map.png")
        drawing = draw(results_dir, city)
        files = write_map(results_dir, city, drawing=drawing)
        step("briefing.html")
        out = [*files.paths, write_briefing(results_dir, city, lang=lang, other=base)]
        step("results.gpkg, districts.csv")
        out += write_planner_files(results_dir, city, drawing)
        if base is not None:
            step("difference.html")
            out.append(
                write_difference_map(base, results_dir, results_dir / "difference.html", city)
            )
        step("done")
    return out


def replay_command(results_dir: Path, city_path: Path | None = None) -> Path:
    """``twin replay DIR``: write replay.html; return its path."""
    results_dir = _folder(results_dir)
    if not has_routes(results_dir):
        raise TwinDataError.one(
            str(results_dir),
            "this run recorded no unit routes to replay",
            "run it again with routes: twin run SCENARIO --routes --out DIR "
            "(on by default for drills and runs of a day or less)",
            title="cannot replay",
        )
    with steps(3, "replay") as step:
        step("loading the city")
        city = city_for(results_dir, city_path)
        step("replay.html")
        out = write_replay(results_dir, city)
        step("done")
    return out


def has_routes(results_dir: Path) -> bool:
    """Whether the results folder holds at least one recorded trip."""
    p = Path(results_dir) / "routes.parquet"
    return p.exists() and pq.ParquetFile(p).metadata.num_rows > 0


def write_all(results_dir: Path, city: City, *, browser: bool = True) -> list[Path]:
    """Everything viz draws for a finished run (called by ``twin run`` before the folder is
    moved into place): map.html, map.png (``browser=False``: drawn with matplotlib, not
    Chromium), briefing.html, and replay.html when routes were recorded. The folder is
    read, the run's city drawn and the layers map and replay share built once."""
    results_dir = Path(results_dir)
    routes = has_routes(results_dir)
    with steps(5 if routes else 4) as step:
        step("map.html and map.png")
        drawing = draw(results_dir, city)  # read, drawn and layered once for every page
        files = write_map(results_dir, city, browser=browser, drawing=drawing)
        step("briefing.html")
        out = [*files.paths, write_briefing(results_dir, city)]
        step("results.gpkg, districts.csv")
        out += write_planner_files(results_dir, city, drawing)
        if routes:
            step("replay.html")
            out.append(write_replay(results_dir, city, drawing))
        step("done")
    return out


def _folder(results_dir: Path) -> Path:
    """The results folder, or a TwinDataError saying it is not one."""
    p = Path(results_dir)
    if not p.is_dir() or not is_results_folder(p):
        raise TwinDataError.one(
            str(p),
            "no such results folder"
            if not p.is_dir()
            else "not a results folder written by `twin run` (no summary.json)",
            "give a folder written by `twin run --out DIR`",
            title="cannot draw maps",
        )
    if not os.access(p, os.W_OK | os.X_OK):
        raise TwinDataError.one(
            str(p),
            "no permission to write the maps into this folder",
            "copy the folder somewhere you can write, or fix its permissions",
            title="cannot draw maps",
        )
    return p
