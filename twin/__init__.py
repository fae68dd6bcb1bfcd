"""Shancheng Twin (山城孪生): a digital-twin simulator for city emergency response.

The Python API, in the order of a run (see README, "Python API")::

    import twin
    city = twin.load_city()                              # the embedded central-Chongqing twin
    scenario = twin.load_scenario("scenarios/rainstorm.toml").with_(days=1)
    results = twin.run_scenario(scenario, city)          # check, apply, timeline, engine
    folder = twin.write_results(results, "results/rain") # atomically
    twin.write_map(folder, city)                         # map.html, map.png
    results = twin.read_results(folder)

Every bad input raises one :class:`TwinDataError` listing all problems.
"""

from twin.analysis.results import Results, read_results, write_results
from twin.errors import Problem, TwinDataError
from twin.model.city import City, load_city, save_city
from twin.scenario.apply import apply
from twin.scenario.checks import check_against
from twin.scenario.spec import Scenario, load_scenario, parse_scenario
from twin.sim.runner import run_scenario
from twin.version import __version__
from twin.viz import MapFiles, write_briefing, write_difference_map, write_map, write_replay

__all__ = [
    "City",
    "MapFiles",
    "Problem",
    "Results",
    "Scenario",
    "TwinDataError",
    "apply",
    "check_against",
    "load_city",
    "load_scenario",
    "parse_scenario",
    "read_results",
    "run_scenario",
    "save_city",
    "write_briefing",
    "write_difference_map",
    "write_map",
    "write_replay",
    "write_results",
    "__version__",
]
