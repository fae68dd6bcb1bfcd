"""One drawing of a finished run, shared by the pages ``twin run`` and ``twin map`` write
from it: the results folder read once, the city the run used drawn once
(:func:`twin.viz.runcity.run_city`), and the layers map.html and replay.html both show
(water, roads, closures, stations: :func:`twin.viz.layers.common_layers`) built once, on
first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from twin.model.city import City
from twin.viz.data import RunData, read_results
from twin.viz.layers import Common, common_layers
from twin.viz.runcity import StationChanges, run_city, station_changes


@dataclass
class Drawing:
    """A results folder read and its city drawn (``city``: the city the run used)."""

    run: RunData
    city: City
    changes: StationChanges
    _common: Common | None = field(default=None, repr=False)

    @property
    def common(self) -> Common:
        """The layers map.html and replay.html share, built on first use."""
        if self._common is None:
            self._common = common_layers(self.city, self.run)
        return self._common


def draw(results_dir: str | Path, base: City) -> Drawing:
    """Read the results folder and draw the city its run used from ``base``."""
    run = read_results(results_dir)
    drawn = run_city(run, base)
    return Drawing(run, drawn, station_changes(base, drawn))
