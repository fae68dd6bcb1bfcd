"""``twin run``'s pages (map.html, map.png, briefing.html, results.gpkg, districts.csv,
replay.html) share one drawing of the run (``twin.viz.drawing``): the run's city drawn
once, and the layers map.html and replay.html both show (water, roads, closures, stations)
built once. Counted on a real run of the tiny city by wrapping the real functions in every
``twin.viz`` module that holds them (so a page calling its own copy would be counted)."""

from __future__ import annotations

import sys
from collections import Counter

from tinycity import tiny_city

import twin.viz.drawing as drawing_mod
import twin.viz.layers as layers_mod
from twin.analysis.results import write_results
from twin.scenario.spec import Scenario
from twin.sim.runner import run_scenario
from twin.viz.commands import write_all


def test_a_run_draws_its_city_and_shared_layers_once(tmp_path, monkeypatch):
    city = tiny_city()
    res = run_scenario(Scenario(name="tiny", days=0.5, seed=3), city)  # routes: a replay
    folder = write_results(res, tmp_path / "run")
    calls: Counter[str] = Counter()

    def counted(name: str, real: object) -> None:
        def wrapper(*a: object, **k: object) -> object:
            calls[name] += 1
            return real(*a, **k)  # type: ignore[operator]

        for mod_name, module in list(sys.modules.items()):
            if mod_name.startswith("twin.viz") and getattr(module, name, None) is real:
                monkeypatch.setattr(module, name, wrapper)

    for name in ("road_layers", "closure_layers", "station_layers", "water_layers"):
        counted(name, getattr(layers_mod, name))
    counted("run_city", drawing_mod.run_city)
    out = write_all(folder, city, browser=False)
    names = {p.name for p in out}
    assert {"map.html", "map.png", "briefing.html", "replay.html"} <= names
    assert calls == {
        "road_layers": 1,
        "closure_layers": 1,
        "station_layers": 1,
        "water_layers": 1,
        "run_city": 1,
    }
