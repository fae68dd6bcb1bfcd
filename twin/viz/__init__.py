"""Maps and exports for Shancheng Twin: draws a City and Results, computes nothing new.

Public API::

    viz.write_map(results_dir, city)       -> MapFiles (map.html, map.png, which renderer)
    viz.write_briefing(results_dir, city)  -> Path (briefing.html)
    viz.write_replay(results_dir, city)    -> Path (replay.html)

CLI-facing functions live in :mod:`twin.viz.commands`.
"""

from twin.viz.briefing import write_briefing
from twin.viz.export import MapFiles, write_map
from twin.viz.replay import write_replay

__all__ = ["MapFiles", "write_map", "write_briefing", "write_replay"]
