"""Bad scenario files and implausible cities, one named case each (issue #8, the scenario and
validation items): each must give one :class:`TwinDataError` before anything runs, naming the
file (or layer), the line (for files) or the ids, and saying how to fix it.

Scenario cases are checked against the tiny city (tests/tinycity.py); city cases write the
tiny city as a folder, break one thing, and check both ``twin validate`` (validate_folder)
and loading (load_city).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyproj import Transformer
from shapely.affinity import translate
from tinycity import node_xy, tiny_city
from typer.testing import CliRunner

from twin.cli.main import app
from twin.errors import Problem, TwinDataError
from twin.model.city import load_city, save_city
from twin.model.validate import validate_folder
from twin.scenario.checks import check_against, load_city_for
from twin.scenario.ranges import ranges_table
from twin.scenario.spec import load_scenario


def lonlat(node_id: str) -> tuple[float, float]:
    return Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True).transform(
        *node_xy(node_id)
    )


LON, LAT = lonlat("n22")
"""A place inside the tiny city."""


def problems_of(path: Path) -> list[Problem]:
    """Every problem of the scenario file at ``path`` on the tiny city (as ``twin run`` sees
    them: read leniently, then checked against the city)."""
    with pytest.raises(TwinDataError) as err:
        check_against(load_scenario(path, strict=False), tiny_city())
    return err.value.problems


# ------------------------------------------------------------------------ scenario files
# (id, file content, fragment of the problem's text, line, fragment of its fix)

SCENARIO_CASES = [
    ("name-dotdot", 'name = ".."\n', "is a path, not a name", 1, "results folder"),
    ("name-dot", 'days = 1\nname = "."\n', "is a path, not a name", 2, "plain name"),
    ("name-empty", 'name = ""\n', "name is empty", 1, "plain name"),
    ("name-blank", 'name = "   "\n', "name is empty", 1, "plain name"),
    ("name-slash", 'name = "a/b"\n', "path separator", 1, "plain name"),
    ("name-backslash", 'name = "a\\\\b"\n', "path separator", 1, "plain name"),
    ("name-control-char", 'name = "bell\\u0007"\n', "control character", 1, "plain name"),
    ("name-too-long", f'name = "{"x" * 101}"\n', "101 characters", 1, "plain name"),
    (
        "rate-multiplier-1e6",
        "[incidents]\nrate_multiplier = 1e6\n",
        "incidents.rate_multiplier",
        2,
        "[0, 100]",
    ),
    (
        "type-multiplier-1e9",
        "[incidents]\ntype_multipliers = { building_fire = 1e9 }\n",
        "incidents.type_multipliers.building_fire",
        2,
        "[0, 1000]",
    ),
    (
        "station-units-1e12",
        "[fleet]\nstation_units = { F1 = 1000000000000 }\n",
        "fleet.station_units.F1",
        2,
        "[0, 1000] units",
    ),
    ("fleet-scale-1e6", "[fleet]\nscale = { fire = 1e6 }\n", "fleet.scale.fire", 2, "[0, 100]"),
    (
        "rain-1e300-mm-h",
        "[[rainstorm]]\nduration_h = 3\nintensity_mm_h = 1e300\n",
        "rainstorm.0.intensity_mm_h",
        3,
        "305 mm",
    ),
    (
        "rain-1000-hours",
        "[[rainstorm]]\nduration_h = 1000\nintensity_mm_h = 80\n",
        "rainstorm.0.duration_h",
        2,
        "(0, 240] h",
    ),
    (
        "quake-m9.6",
        f"[[earthquake]]\nlon = {LON}\nlat = {LAT}\nmagnitude = 9.6\n",
        "earthquake.0.magnitude",
        4,
        "[3, 9.5] Mw",
    ),
    (
        "quake-depth-1m",
        f"[[earthquake]]\nlon = {LON}\nlat = {LAT}\nmagnitude = 6\ndepth_km = 0.001\n",
        "earthquake.0.depth_km",
        5,
        "[1, 700] km",
    ),
    ("days-400", "days = 400\n", "days", 1, "(0, 366] days"),
    (
        "pipe-rate-1e9",
        "[pipes]\nfailure_rate_multiplier = 1e9\n",
        "pipes.failure_rate_multiplier",
        2,
        "[0, 100000]",
    ),
    (
        "closure-1e9-hours",
        '[[closures]]\nname = "Short Bridge"\nduration_h = 1e9\n',
        "closures.0.duration_h",
        3,
        "(0, 8784] h",
    ),
    (
        "scripted-after-a-year",
        '[[incidents.scripted]]\nt_min = 1e7\ntype = "building_fire"\nnode_id = "n22"\n',
        "incidents.scripted.0.t_min",
        2,
        "[0, 527040] min",
    ),
]


@pytest.mark.parametrize(
    ("text", "what", "line", "fix"), [pytest.param(*c[1:], id=c[0]) for c in SCENARIO_CASES]
)
def test_a_bad_scenario_value_is_one_located_problem(tmp_path, text, what, line, fix):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    found = [p for p in problems_of(path) if what in p.what]
    assert len(found) == 1, problems_of(path)
    assert found[0].where == str(path) and found[0].line == line
    assert fix in found[0].fix
    with pytest.raises(TwinDataError):  # strict reading (the library default) raises too
        load_scenario(path)


@pytest.mark.parametrize(
    ("raw", "what", "line"),
    [
        pytest.param(b'name = "caf\xe9"\n', "not UTF-8 text: byte 0xe9", 1, id="latin-1"),
        pytest.param(
            b"days = 1\n# \xff\xfe comment\n", "not UTF-8 text: byte 0xff", 2, id="bom-late"
        ),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file", 3, id="png"),
        pytest.param(b"seed = 1\n\x00\x01\x02", "binary file", 2, id="nul-bytes"),
    ],
)
def test_a_binary_or_non_utf8_scenario_file_is_a_clean_scenario_error(tmp_path, raw, what, line):
    path = tmp_path / "bad.toml"
    path.write_bytes(raw)
    for strict in (True, False):
        with pytest.raises(TwinDataError) as err:
            load_scenario(path, strict=strict)
        (p,) = err.value.problems
        assert what in p.what and p.where == str(path) and p.line == line and p.fix
        assert err.value.title == "bad scenario"


EVERYTHING_WRONG = """name = "all-at-once"
colour = "red"
[[closures]]
name = "Nonexistent Bridge"
[[stations.add]]
station_id = "F9"
force = "fire"
name = "far away"
lon = 0.5
lat = 0.5
units = 1
[incidents]
rate_multiplier = -1
"""


def test_form_errors_do_not_hide_the_problems_against_the_city(tmp_path):
    path = tmp_path / "all.toml"
    path.write_text(EVERYTHING_WRONG, encoding="utf-8")
    found = {(p.line, p.what.split(" ")[0]) for p in problems_of(path)}
    # the unknown key, the unknown bridge, the station outside the city, the negative rate
    assert {line for line, _ in found} == {2, 4, 9, 13}
    whats = " | ".join(p.what for p in problems_of(path))
    assert "unknown key 'colour'" in whats and "Nonexistent Bridge" in whats
    assert "'F9'" in whats and "rate_multiplier" in whats


def test_twin_run_lists_every_problem_at_once_and_exits_2(tmp_path):
    city_dir = save_city(tiny_city(), tmp_path / "tiny")
    path = tmp_path / "all.toml"
    path.write_text(EVERYTHING_WRONG, encoding="utf-8")
    res = CliRunner().invoke(
        app,
        ["run", str(path), "--city", str(city_dir), "--no-maps", "--out", str(tmp_path / "out")],
    )
    assert res.exit_code == 2, res.output
    assert "4 problems" in res.output and "Traceback" not in res.output
    for line in (2, 4, 9, 13):
        assert f"all.toml:{line}]" in res.output
    assert not (tmp_path / "out").exists()


def test_a_relative_city_path_is_relative_to_the_scenario_file(tmp_path, monkeypatch):
    save_city(tiny_city(), tmp_path / "plans" / "cities" / "tiny")
    path = tmp_path / "plans" / "s.toml"
    path.write_text('city = "cities/tiny"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # not where the scenario is
    sc = load_scenario(path)
    assert Path(sc.city) == tmp_path / "plans" / "cities" / "tiny"
    assert load_city_for(sc).name == "tiny"


def test_a_missing_relative_city_names_the_resolved_folder(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('city = "nowhere"\n', encoding="utf-8")
    with pytest.raises(TwinDataError) as err:
        load_city_for(load_scenario(path))
    (p,) = err.value.problems
    assert p.where == str(tmp_path / "nowhere") and "no such city folder" in p.what and p.fix


def test_a_bad_city_key_is_reported_without_loading_another_city(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('city = 5\n[[closures]]\nname = "Nonexistent Bridge"\n', encoding="utf-8")
    with pytest.raises(TwinDataError) as err:
        load_city_for(load_scenario(path, strict=False))
    (p,) = err.value.problems
    assert "'city'" in p.what and p.line == 1


# ---------------------------------------------------------------------- implausible cities


def _shift_first(gdf, dx_m: float):
    """Move the first feature ``dx_m`` metres east (the tiny city is in UTM 48N)."""
    g = gdf.copy()
    g.loc[g.index[0], "geometry"] = translate(g.geometry.iloc[0], xoff=dx_m)
    return g


def _set_first(gdf, col: str, value: float):
    g = gdf.copy()
    g.loc[g.index[0], col] = value
    return g


CITY_CASES = {
    # id: (change to the tiny city, or to its city.json; where; what; ids)
    "crs-utm-zone-1": ({"crs": "EPSG:32601"}, "city.json", "meant for longitude -180..-174", ()),
    "crs-web-mercator": ({"crs": "EPSG:3857"}, "city.json", "not metric-true", ()),
    "crs-utm-zone-45": ({"crs": "EPSG:32645"}, "city.json", "meant for longitude 84..90", ()),
    "elevation-10-km": (
        lambda c: c.replace(road_nodes=_set_first(c.road_nodes, "elevation_m", 10_000.0)),
        "road_nodes",
        "elevation_m",
        ("n00",),
    ),
    "elevation-minus-10-km": (
        lambda c: c.replace(junctions=_set_first(c.junctions, "elevation_m", -10_000.0)),
        "junctions",
        "elevation_m",
        ("gn00",),
    ),
    "speed-300-kph": (
        lambda c: c.replace(road_edges=_set_first(c.road_edges, "speed_kph", 300.0)),
        "road_edges",
        "speed_kph",
        ("n00-n10",),
    ),
    "pipe-20-km-off": (
        lambda c: c.replace(pipes=_shift_first(c.pipes, 20_000.0)),
        "pipes",
        "2 km from every road node",
        ("G1",),
    ),
    "station-20-km-off": (
        lambda c: c.replace(stations=_shift_first(c.stations, 20_000.0)),
        "stations",
        "farther than 500 m",
        ("F1",),
    ),
}


@pytest.mark.parametrize("case", list(CITY_CASES))
def test_an_implausible_city_is_rejected_by_validate_and_by_loading(tmp_path, case):
    change, where, what, ids = CITY_CASES[case]
    city = tiny_city()
    if callable(change):
        city = change(city)
    folder = save_city(city, tmp_path / "city")
    if isinstance(change, dict):
        meta = json.loads((folder / "city.json").read_text(encoding="utf-8"))
        (folder / "city.json").write_text(json.dumps({**meta, **change}), encoding="utf-8")
    expected_where = str(folder / "city.json") if where == "city.json" else where

    found = [p for p in validate_folder(folder) if what in p.what]
    assert len(found) == 1, validate_folder(folder)
    assert found[0].where == expected_where and found[0].fix
    assert set(ids) <= set(found[0].ids)
    with pytest.raises(TwinDataError) as err:
        load_city(folder)
    assert [p for p in err.value.problems if what in p.what and p.where == expected_where]


def test_the_tiny_city_and_its_crs_pass_the_same_checks(tmp_path):
    folder = save_city(tiny_city(), tmp_path / "city")
    assert validate_folder(folder) == []
    assert load_city(folder).crs == "EPSG:32648"


def test_the_readme_lists_the_ranges_the_schema_enforces():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert ranges_table() in readme


def test_twin_run_names_no_days_it_will_not_run_for_a_bad_value(tmp_path):
    """``days = "two"``: the lenient parse keeps the default (7) to go on checking, so the
    first line must not announce "7 days"; it says the scenario is being checked, and the
    error names the file, the line and the fix."""
    city_dir = save_city(tiny_city(), tmp_path / "tiny")
    path = tmp_path / "two.toml"
    path.write_text('name = "two"\nseed = 1\ndays = "two"\n', encoding="utf-8")
    res = CliRunner().invoke(
        app,
        ["run", str(path), "--city", str(city_dir), "--no-maps", "--out", str(tmp_path / "out")],
    )
    assert res.exit_code == 2, res.output
    assert "7 days" not in res.output and "checking the scenario (1 problem(s)" in res.output
    assert "two.toml:3] bad value for 'days'" in res.output and "Traceback" not in res.output
    assert "error: bad scenario: 1 problem" in res.output  # not "does not fit the city"
    assert not (tmp_path / "out").exists()


SWAPPED = """name = "swapped"
[[incidents.scripted]]
t_min = 60
type = "gas_leak"
lon = 29.557
lat = 106.577
[[incidents.scripted]]
t_min = 90
type = "gas_leak"
lon = 106.577
"""


def test_an_out_of_range_lat_is_one_problem_not_two(tmp_path):
    """lon and lat swapped: lat 106.577 is out of range (line 6). The lenient parse drops it
    to go on checking; the leak then has no place, which must not be listed as a second
    problem. A leak that really gives only lon (its table, line 7) still gets its own."""
    path = tmp_path / "swapped.toml"
    path.write_text(SWAPPED, encoding="utf-8")
    with pytest.raises(TwinDataError):
        load_scenario(path)  # strict: the first problems, at once
    problems = load_scenario(path, strict=False)._problems
    assert [(p.line, p.what.split(":")[0]) for p in problems] == [
        (6, "bad value for 'incidents.scripted.0.lat' = 106.577"),
        (7, "'incidents.scripted.1'"),
    ], problems
    assert "give exactly one place" in problems[1].what
