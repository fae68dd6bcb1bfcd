"""Maps and exports for Shancheng Twin: draws a City and Results, computes nothing new.

Public API::

    viz.write_map(results_dir, city)       -> MapFiles (map.html, map.png, which renderer)
    viz.write_briefing(results_dir, city)  -> Path (briefing.html)
    viz.write_replay(results_dir, city)    -> Path (replay.html)
    viz.write_difference_map(base_dir, other_dir, out, city) -> Path (difference.html)
    viz.write_planner_files(results_dir, city) -> [results.gpkg, districts.csv]

``city`` is always the base city: the maps draw the one the run used (stations.parquet).

CLI-facing functions live in :mod:`twin.viz.commands`.
"""

from twin.viz.briefing import write_briefing
from twin.viz.difference import write_difference_map
from twin.viz.export import MapFiles, write_map
from twin.viz.notebook import attach
from twin.viz.planner import write_planner_files
from twin.viz.replay import write_replay

attach()  # City and Results display themselves in Jupyter; Results.map()

__all__ = [
    "MapFiles",
    "write_briefing",
    "write_difference_map",
    "write_map",
    "write_planner_files",
    "write_replay",
]
