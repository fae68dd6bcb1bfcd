"""Scenarios against a city: apply() is pure, check_against() reports every problem with its
file and line, closures find their edges by name."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from tinycity import X0, Y0, node_xy, tiny_city

from twin.errors import TwinDataError
from twin.hazards.closures import closure_edges
from twin.hazards.sensing import sensor_coverage
from twin.model.places import resolve_district
from twin.scenario.apply import apply
from twin.scenario.checks import check_against, problems_against
from twin.scenario.spec import Closure, load_scenario, parse_scenario
from twin.scenario.toml_text import locate_key

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
MY_SCENARIOS = (
    "bridges-closed",
    "rainstorm",
    "earthquake",
    "gas-leak-drill",
    "gas-leak-drill-sensors",
    "new-station",
)


def lonlat(node_or_xy) -> tuple[float, float]:
    xy = node_xy(node_or_xy) if isinstance(node_or_xy, str) else node_or_xy
    return Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True).transform(*xy)


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def line_of(text: str, fragment: str, nth: int = 0) -> int:
    hits = [i + 1 for i, ln in enumerate(text.splitlines()) if fragment in ln]
    return hits[nth]


# ------------------------------------------------------------------------------ closures


def test_closures_by_name_and_by_id_map_to_the_right_edges():
    city = tiny_city()
    ids = city.road_edges["edge_id"].tolist()
    assert closure_edges(city, Closure(name="Short Bridge")).tolist() == [ids.index("n21-n31")]
    assert closure_edges(city, Closure(name="  Long Bridge ")).tolist() == [ids.index("n23-n33")]
    got = closure_edges(city, Closure(edge_ids=("n00-n10", "n10-n20")))
    assert got.tolist() == sorted([ids.index("n00-n10"), ids.index("n10-n20")])


def test_a_name_closes_every_edge_so_named():
    city = tiny_city()
    edges = city.road_edges.copy()
    edges.loc[edges["edge_id"].isin(["n21-n31", "n23-n33"]), "name"] = "千厮门嘉陵江大桥"
    city = city.replace(road_edges=edges)
    got = closure_edges(city, Closure(name="千厮门嘉陵江大桥"))
    assert sorted(city.road_edges["edge_id"].to_numpy()[got]) == ["n21-n31", "n23-n33"]


def test_a_closure_may_name_either_part_of_a_bilingual_name():
    city = tiny_city()
    edges = city.road_edges.copy()
    edges.loc[edges["edge_id"] == "n21-n31", "name"] = (
        "千厮门嘉陵江大桥 / Qiansimen Jialing River Bridge"
    )
    city = city.replace(road_edges=edges)
    want = [city.road_edges["edge_id"].tolist().index("n21-n31")]
    for name in (
        "千厮门嘉陵江大桥",
        "Qiansimen Jialing River Bridge",
        "qiansimen jialing river bridge",
        "千厮门嘉陵江大桥 / Qiansimen Jialing River Bridge",
    ):
        assert closure_edges(city, Closure(name=name)).tolist() == want, name
    assert closure_edges(city, Closure(name="千厮门")).tolist() == []


def test_unknown_bridge_name_names_it_suggests_and_gives_the_line(tmp_path):
    city = tiny_city()
    edges = city.road_edges.copy()
    edges.loc[edges["edge_id"] == "n21-n31", "name"] = "千厮门嘉陵江大桥"
    city = city.replace(road_edges=edges)
    text = (
        'name = "x"\n\n[[closures]]\nname = "Long Bridge"\n\n'
        '[[closures]]\n# typo below\nname = "千厮门大桥"\nstart_h = 0\n'
    )
    sc = load_scenario(write(tmp_path, text))
    with pytest.raises(TwinDataError) as err:
        check_against(sc, city)
    assert len(err.value.problems) == 1
    p = err.value.problems[0]
    assert "千厮门大桥" in p.what and "did you mean 千厮门嘉陵江大桥?" in p.fix
    assert p.line == 8 and p.where.endswith("s.toml")
    assert "s.toml:8" in str(err.value)


def test_negative_duration_is_an_error_with_the_line(tmp_path):
    text = 'name = "x"\n[[closures]]\nname = "Short Bridge"\nstart_h = 1\nduration_h = -2\n'
    with pytest.raises(TwinDataError) as err:
        load_scenario(write(tmp_path, text))
    p = err.value.problems[0]
    assert p.line == 5 and "closures.0.duration_h" in p.what and "-2" in p.what


def test_check_against_collects_every_problem(tmp_path):
    city = tiny_city()
    lon, lat = lonlat("n11")
    text = f"""name = "many"
days = 1

[incidents]
type_multipliers = {{ gas_leek = 2.0 }}

[[incidents.scripted]]
t_min = 5
type = "building_fire"
node_id = "n99"

[[incidents.scripted]]
t_min = 5000
type = "gas_leak"
lon = {lon}
lat = {lat}

[fleet]
station_units = {{ F9 = 3 }}

[stations]
remove = ["F1", "X7"]

[[sensors]]
network = "gas"
coverage = 0.8
district = "Atlantis"

[[closures]]
name = "Shrt Bridge"

[[closures]]
edge_ids = ["n00-n10", "zz-top"]
start_h = 30

[[rainstorm]]
duration_h = 2
intensity_mm_h = 60
districts = ["East North", "Nowhere"]
"""
    sc = load_scenario(write(tmp_path, text))
    problems = problems_against(sc, city)
    by_what = {p.what: p for p in problems}
    assert len(problems) == 10, "\n".join(map(str, problems))

    def find(fragment: str):
        hits = [p for w, p in by_what.items() if fragment in w]
        assert hits, f"no problem mentions {fragment!r}: {list(by_what)}"
        return hits[0]

    assert find("gas_leek").line == line_of(text, "type_multipliers")
    assert "did you mean gas_leak?" in find("gas_leek").fix
    assert find("n99").line == line_of(text, 'node_id = "n99"')
    assert find("5000 min").line == line_of(text, "t_min = 5000")
    assert find("F9").line == line_of(text, "station_units")
    assert find("X7").line == line_of(text, "remove = ")
    assert find("Atlantis").line == line_of(text, 'district = "Atlantis"')
    assert find("Shrt Bridge").fix.startswith("did you mean Short Bridge")
    assert find("Shrt Bridge").line == line_of(text, 'name = "Shrt Bridge"')
    assert find("zz-top").line == line_of(text, "edge_ids")
    assert find("30 h").line == line_of(text, "start_h = 30")
    assert find("Nowhere").line == line_of(text, "districts = ")
    with pytest.raises(TwinDataError):
        check_against(sc, city)


def test_districts_resolve_by_id_chinese_and_english_name():
    city = tiny_city()
    for key in ("D1", "西岸区", "西岸", "West Bank", "west bank", "West Bank District"):
        assert resolve_district(city, key) == "D1", key
    assert resolve_district(city, "East North") == "D3"
    assert resolve_district(city, "Atlantis") is None and resolve_district(city, None) is None


def test_locate_key_finds_dict_keys_in_inline_tables():
    text = '[fleet]\nscale = { fire = 2 }\nstation_units = { "F-1" = 3 }\n'
    assert locate_key(text, ("fleet", "station_units", "F-1")) == 3
    assert locate_key(text, ("fleet", "scale", "fire")) == 2


# -------------------------------------------------------------------------------- apply


def test_station_outside_the_city_is_an_error_naming_it(tmp_path):
    city = tiny_city()
    far_lon, far_lat = lonlat((X0 + 20_000, Y0))  # 17 km east of the city
    corner_lon, corner_lat = lonlat((X0 - 450, Y0 - 450))  # in D1's box, 636 m from n00
    text = f"""name = "bad stations"

[[stations.add]]
station_id = "FAR"
force = "fire"
name = "远方"
lon = {far_lon}
lat = {far_lat}
units = 1

[[stations.add]]
station_id = "CORNER"
force = "fire"
name = "角落"
lon = {corner_lon}
lat = {corner_lat}
units = 1
"""
    path = write(tmp_path, text, "new.toml")
    sc = load_scenario(path)
    with pytest.raises(TwinDataError) as err:
        apply(sc, city)
    probs = err.value.problems
    assert [p.ids for p in probs] == [("FAR",), ("CORNER",)]
    assert "outside the city" in probs[0].what and probs[0].line == line_of(text, "lon = ", 0)
    assert "m from the nearest road node" in probs[1].what
    assert probs[1].line == line_of(text, "lon = ", 1)
    assert all(p.where == str(path) for p in probs)


def _scenario_changing_everything() -> str:
    add_lon, add_lat = lonlat("n22")
    mv_lon, mv_lat = lonlat("n40")
    return f"""name = "what if"

[fleet]
scale = {{ fire = 2.0, community = 0.75 }}
station_units = {{ C1 = 5, NEW = 4 }}

[stations]
remove = ["F1"]

[[stations.move]]
station_id = "F2"
lon = {mv_lon}
lat = {mv_lat}

[[stations.add]]
station_id = "NEW"
force = "fire"
name = "新站"
lon = {add_lon}
lat = {add_lat}
units = 3

[[sensors]]
network = "gas"
coverage = 1.0
district = "West Bank"
"""


def test_apply_changes_stations_fleet_and_sensors():
    city = tiny_city()
    new = apply(parse_scenario(_scenario_changing_everything(), "what-if.toml"), city)
    st = new.stations.set_index("station_id")
    assert "F1" not in st.index
    assert (st.loc["F2", "geometry"].x, st.loc["F2", "geometry"].y) == pytest.approx(node_xy("n40"))
    assert st.loc["F2", "district_id"] == "D2" and st.loc["F2", "units"] == 2  # scaled ×2
    assert st.loc["F3", "units"] == 2
    assert st.loc["C2", "units"] == 2  # round(2 × 0.75 = 1.5) half up → 2
    assert st.loc["C1", "units"] == 5  # exact override after scaling
    assert st.loc["NEW", "units"] == 4 and st.loc["NEW", "district_id"] == "D1"
    assert st.loc["NEW", "force"] == "fire" and st.loc["NEW", "name"] == "新站"
    assert str(new.stations["units"].dtype) == "int64" and new.stations.crs == city.stations.crs
    cov = sensor_coverage(new).set_index(["network", "district_id"])
    assert cov.loc[("gas", "D1"), "coverage"] == 1.0
    assert new.roads is city.roads  # roads unchanged: the arrays are shared, not rebuilt


def test_apply_never_mutates_the_base_city():
    city = tiny_city()
    _ = city.roads
    layers = ("districts", "road_nodes", "road_edges", "pipes", "junctions", "stations", "cells")
    before = {k: copy.deepcopy(getattr(city, k)) for k in layers}
    objects = {k: getattr(city, k) for k in layers}
    new = apply(parse_scenario(_scenario_changing_everything(), "what-if.toml"), city)
    assert new is not city
    assert new.stations is not city.stations and new.pipes is not city.pipes
    for k in layers:
        assert getattr(city, k) is objects[k], k
        pd.testing.assert_frame_equal(getattr(city, k), before[k], check_exact=True)
    assert city.stations["station_id"].tolist()[0] == "F1"
    assert not bool(city.pipes.set_index("pipe_id").loc["G1", "monitored"])


def test_apply_with_an_empty_scenario_keeps_every_layer():
    city = tiny_city()
    new = apply(parse_scenario('name = "nothing"\n'), city)
    assert new is not city and new.stations is city.stations and new.pipes is city.pipes


def test_unknown_or_duplicate_stations_are_errors():
    city = tiny_city()
    lon, lat = lonlat("n22")
    text = f"""[fleet]
station_units = {{ NOPE = 1 }}
[[stations.add]]
station_id = "F2"
force = "fire"
name = "dup"
lon = {lon}
lat = {lat}
units = 1
[[stations.move]]
station_id = "GHOST"
lon = {lon}
lat = {lat}
"""
    with pytest.raises(TwinDataError) as err:
        apply(parse_scenario(text, "dup.toml"), city)
    whats = " | ".join(p.what for p in err.value.problems)
    assert "NOPE" in whats and "'F2' already exists" in whats and "GHOST" in whats
    assert {p.line for p in err.value.problems} == {2, 4, 11}


# ----------------------------------------------------------------------- scenario files


@pytest.mark.parametrize("name", MY_SCENARIOS)
def test_scenario_files_parse_and_say_what_they_answer(name):
    path = SCENARIOS / f"{name}.toml"
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().startswith("#"), "each scenario starts with the question it answers"
    sc = load_scenario(path)
    assert sc.name and sc.days > 0


def test_the_drill_with_sensors_differs_only_in_sensors():
    a, b = (SCENARIOS / "gas-leak-drill.toml"), (SCENARIOS / "gas-leak-drill-sensors.toml")
    sa, sb = load_scenario(a), load_scenario(b)
    assert sa.incidents == sb.incidents and sa.days == sb.days and sa.seed == sb.seed
    assert not sa.sensors and sb.sensors


@pytest.mark.slow
@pytest.mark.parametrize("name", MY_SCENARIOS)
def test_scenario_files_fit_the_embedded_twin(name):
    from twin.hazards.build import build_timeline

    city = _embedded()
    sc = load_scenario(SCENARIOS / f"{name}.toml")
    check_against(sc, city)
    applied = apply(sc, city)
    tl = build_timeline(sc, applied, np.random.default_rng(sc.seed))
    if name == "bridges-closed":
        shut = [c for c in tl.closures if c.reason.startswith("what-if")]
        assert len(shut) == 10 and all(c.start_s == 0 and c.end_s >= sc.duration_s for c in shut)
    if name == "gas-leak-drill-sensors":
        leaks = [i for i in tl.incidents if i.cause == "script"]
        assert len(leaks) == 8 and all(i.monitored and i.pipe_id for i in leaks)


_CITY = {}


def _embedded():
    from twin.model.city import load_city

    if "c" not in _CITY:
        _CITY["c"] = load_city()
    return _CITY["c"]


# ------------------------------------------------------------------ review fixes: bad values


@pytest.mark.parametrize(
    "text, key",
    [
        # inf passed the schema and died in build_timeline (ZeroDivisionError in hazards)
        ("[[rainstorm]]\nduration_h = inf\nintensity_mm_h = 80\n", "rainstorm.0.duration_h"),
        ("[incidents]\nrate_multiplier = inf\n", "incidents.rate_multiplier"),
        ('[[closures]]\nname = "Short Bridge"\nduration_h = nan\n', "closures.0.duration_h"),
        ("days = true\n", "days"),  # a bool was taken as 1 day
        ('days = "7"\n', "days"),  # a string was taken as 7
        ("[fleet.scale]\nfire = true\n", "fleet.scale.fire"),
        ("[pipes]\nfailures = 1\n", "pipes.failures"),
        ('[[closures]]\nname = ""\n', "closures.0.name"),
        ("seed = 99999999999999999999\n", "seed"),  # overflowed int64 columns later
    ],
)
def test_non_finite_bool_and_string_numbers_are_rejected_with_the_key(text, key):
    with pytest.raises(TwinDataError) as err:
        parse_scenario(text, "s.toml")
    (p,) = err.value.problems
    assert f"'{key}'" in p.what and p.line is not None


def test_with_reports_bad_changes_as_a_twin_data_error():
    base = parse_scenario('name = "x"\n', "x.toml")
    with pytest.raises(TwinDataError) as err:
        base.with_(days=400)  # a pydantic ValidationError traceback before
    assert "'days' = 400" in str(err.value) and "x.toml" in str(err.value)
    assert base.with_(seed=np.int64(5)).seed == 5


def test_a_section_check_reads_plainly_with_its_line():
    text = 'name = "x"\n\n[[closures]]\nname = "A"\nedge_ids = ["e"]\n'
    with pytest.raises(TwinDataError) as err:
        parse_scenario(text, "x.toml")
    (p,) = err.value.problems
    assert p.line == 3 and p.what.startswith("'closures.0': give either name")
    assert "Value error" not in p.what


def test_two_scenarios_parsed_under_one_name_keep_their_own_lines():
    # the text used to be kept in a module dict keyed by the name: the later one won
    city = tiny_city()
    a = parse_scenario('name = "a"\n\n\n[[closures]]\nname = "Nope"\n')
    b = parse_scenario('[[closures]]\nname = "Nope"\n')
    lines = []
    for s in (a, b, a.with_(days=2)):
        with pytest.raises(TwinDataError) as err:
            check_against(s, city)
        lines.append(err.value.problems[0].line)
    assert lines == [5, 2, 5]


def test_a_scripted_gas_leak_on_a_water_pipe_is_an_error():
    text = '[[incidents.scripted]]\nt_min = 5\ntype = "gas_leak"\npipe_id = "W1"\n'
    problems = problems_against(parse_scenario(text, "s.toml"), tiny_city())
    (p,) = problems
    assert "it is a water pipe" in p.what and p.line == 4 and "gas pipe" in p.fix
    ok = text.replace("W1", "G1")
    assert not problems_against(parse_scenario(ok, "s.toml"), tiny_city())
