"""The public Python API (``import twin``) and ``twin --version``: a run of the tiny city from
scenario text to a map, through the names the README's "Python API" section shows."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from tinycity import tiny_city
from typer.testing import CliRunner

import twin
from twin.cli.main import app

README = Path(__file__).resolve().parent.parent / "README.md"


def test_twin_version_prints_the_installed_version():
    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0
    assert res.output.strip() == f"twin (shancheng-twin) {metadata.version('shancheng-twin')}"
    assert twin.__version__ == metadata.version("shancheng-twin")


def test_every_public_name_is_exported_and_named_in_the_readme():
    readme = README.read_text(encoding="utf-8")
    section = readme[readme.index("## Python API") :]
    section = section[: section.index("\n## ", 4)]
    for name in twin.__all__:
        assert hasattr(twin, name), name
        if name not in ("__version__", "Problem", "MapFiles"):
            assert re.search(rf"\b{name}\b", section), f"{name} is not in the README's API section"


def test_a_run_through_the_public_api(tmp_path):
    city = tiny_city()
    scenario = twin.parse_scenario('name = "api"\ndays = 0.25\nseed = 7\n')
    twin.check_against(scenario, city)
    assert twin.apply(scenario, city).stations is city.stations
    results = twin.run_scenario(scenario, city)
    assert isinstance(results, twin.Results)
    folder = twin.write_results(results, tmp_path / "api")
    back = twin.read_results(folder)
    assert back.summary["scenario"]["name"] == "api"
    assert len(back["incidents"]) == len(results["incidents"]) > 0
    files = twin.write_map(folder, city, png=False)
    assert (folder / "map.html").exists() and files is not None
