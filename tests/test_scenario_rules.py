"""Rules of applying a scenario worked out by hand on the tiny city: the fleet scale's
rounding, what added stations keep, where moved and added stations land, and the scenario's
own derived values (duration, ``with_``)."""

from __future__ import annotations

import pytest
from pyproj import Transformer
from tinycity import node_xy, tiny_city

from twin.errors import TwinDataError
from twin.scenario.apply import apply
from twin.scenario.spec import Scenario, parse_scenario


def lonlat(node: str) -> tuple[float, float]:
    return Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True).transform(*node_xy(node))


def units_after(text: str, **units: int) -> dict[str, int]:
    city = tiny_city(units=units or None)
    st = apply(parse_scenario(text, "rules.toml"), city).stations
    return dict(zip(st["station_id"], st["units"].astype(int)))


@pytest.mark.parametrize(
    "scale, f1, f2, f3",
    [
        # units × scale rounded half UP (not Python's round-half-even): 1 × 0.5 = 0.5 → 1,
        # 5 × 0.5 = 2.5 → 3, 4 × 0.5 = 2 → 2
        (0.5, 1, 3, 2),
        # 1 × 0.3 = 0.3 → 0, 5 × 0.3 = 1.5 → 2, 4 × 0.3 = 1.2 → 1
        (0.3, 0, 2, 1),
        # 1 × 1.49 = 1.49 → 1, 5 × 1.49 = 7.45 → 7, 4 × 1.49 = 5.96 → 6
        (1.49, 1, 7, 6),
        (0, 0, 0, 0),
    ],
)
def test_fleet_scale_rounds_half_up_per_station(scale, f1, f2, f3):
    got = units_after(f"[fleet]\nscale = {{ fire = {scale} }}\n", F2=5, F3=4)
    assert (got["F1"], got["F2"], got["F3"]) == (f1, f2, f3)
    # other forces untouched
    assert (got["C1"], got["C2"], got["P1"], got["S1"], got["A1"]) == (2, 2, 1, 1, 1)


def test_added_station_keeps_its_units_under_scale_and_station_units_overrides_both():
    lon, lat = lonlat("n22")
    base = f"""[fleet]
scale = {{ fire = 2.0 }}
{{extra}}
[[stations.add]]
station_id = "NEW"
force = "fire"
name = "new"
lon = {lon}
lat = {lat}
units = 3
"""
    got = units_after(base.replace("{extra}", ""))
    assert got["NEW"] == 3 and got["F1"] == 2  # scaled: the base stations only
    got = units_after(base.replace("{extra}", "station_units = { NEW = 7, F1 = 0 }"))
    assert got["NEW"] == 7 and got["F1"] == 0 and got["F2"] == 2


def test_moved_and_added_stations_take_the_district_they_land_in():
    e_lon, e_lat = lonlat("n52")  # D3 (east bank, rows 2–3)
    w_lon, w_lat = lonlat("n02")  # D1 (west bank)
    city = tiny_city()
    new = apply(
        parse_scenario(
            f"""[[stations.move]]
station_id = "F1"
lon = {e_lon}
lat = {e_lat}
[[stations.add]]
station_id = "W"
force = "social"
name = "w"
lon = {w_lon}
lat = {w_lat}
units = 2
""",
            "move.toml",
        ),
        city,
    )
    st = new.stations.set_index("station_id")
    assert st.loc["F1", "district_id"] == "D3"
    assert (st.loc["F1", "geometry"].x, st.loc["F1", "geometry"].y) == pytest.approx(
        node_xy("n52"), abs=0.01
    )
    assert st.loc["W", "district_id"] == "D1" and st.loc["W", "force"] == "social"
    assert (st.loc["W", "geometry"].x, st.loc["W", "geometry"].y) == pytest.approx(
        node_xy("n02"), abs=0.01
    )
    assert st.loc["F1", "units"] == 1 and len(st) == len(city.stations) + 1


def test_removed_stations_are_gone_and_the_rest_keep_their_order():
    got = (
        apply(parse_scenario('[stations]\nremove = ["F2", "C3"]\n', "rm.toml"), tiny_city())
        .stations["station_id"]
        .tolist()
    )
    base = tiny_city().stations["station_id"].tolist()
    assert got == [s for s in base if s not in ("F2", "C3")]


def test_duration_and_with():
    sc = Scenario(days=1.5)
    assert sc.duration_s == 1.5 * 86400.0
    changed = sc.with_(days=2, seed=9)
    assert (changed.days, changed.seed, changed.duration_s) == (2.0, 9, 172800.0)
    assert sc.days == 1.5  # the original is unchanged (immutable)
    with pytest.raises(TwinDataError, match="days"):
        sc.with_(days=0)


# --------------------------------------------------------------- problems, each in full


def problems(text: str) -> list:
    from twin.scenario.checks import problems_against

    return list(problems_against(parse_scenario(text, "p.toml"), tiny_city()))


def test_problems_name_the_id_say_the_fix_and_give_the_line():
    text = """name = "p"
days = 1
[incidents]
type_multipliers = { gas_lek = 2.0 }
[[incidents.scripted]]
t_min = 10
type = "gas_lek"
node_id = "n00"
[[incidents.scripted]]
t_min = 20
type = "water_main_burst"
pipe_id = "G1"
[fleet]
station_units = { ZZZZ = 1 }
[[rainstorm]]
start_h = 30
duration_h = 1
intensity_mm_h = 80
districts = ["Qqqqqq"]
[[closures]]
edge_ids = ["n00-n10"]
start_h = 24
"""
    got = {(p.what, p.fix, p.ids, p.line) for p in problems(text)}
    want = {
        (
            "unknown incident type 'gas_lek'",
            "did you mean gas_leak or gas_explosion?",
            ("gas_lek",),
            4,
        ),
        (
            "unknown incident type 'gas_lek'",
            "did you mean gas_leak or gas_explosion?",
            ("gas_lek",),
            7,
        ),
        (
            "a water_main_burst cannot happen on pipe 'G1': it is a gas pipe",
            "give a water pipe's id",
            ("G1",),
            12,
        ),
        (
            "unknown or removed station 'ZZZZ' in fleet.station_units",
            "use a station_id of the stations layer or of [[stations.add]]",
            ("ZZZZ",),
            14,
        ),
        (
            "unknown district 'Qqqqqq'",
            "use a district id, Chinese or English name",
            ("Qqqqqq",),
            19,
        ),
        (
            "rainstorm starts at 30 h, after the run ends (24 h)",
            "start it earlier or raise days",
            (),
            16,
        ),
        (
            "closure starts at 24 h, after the run ends (24 h)",
            "start it earlier or raise days",
            (),
            22,
        ),
    }
    assert got == want


def test_a_toml_syntax_error_gives_its_line_and_with_errors_are_bad_scenarios():
    with pytest.raises(TwinDataError) as err:
        parse_scenario('name = "x"\ndays = 1\nseed = = 3\n', "syntax.toml")
    (p,) = err.value.problems
    assert p.line == 3 and p.where == "syntax.toml" and p.what.startswith("not valid TOML")
    assert str(err.value).startswith("bad scenario")
    with pytest.raises(TwinDataError) as err:
        parse_scenario('name = "x"\n', "ok.toml").with_(days=-1)
    assert str(err.value).startswith("bad scenario")
    assert err.value.problems[0].where == "ok.toml with days changed"


def test_epicentre_farther_than_300_km_from_every_road_is_reported():
    """Distances in the city's metric CRS: 299.9 km east of the easternmost road node (n53)
    is accepted, 300.1 km is reported with the rounded distance."""
    from twin.scenario.checks import MAX_EPICENTRE_KM

    x, y = node_xy("n53")
    to_ll = Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True)
    found = {}
    for km in (MAX_EPICENTRE_KM - 0.1, MAX_EPICENTRE_KM + 0.1):
        lon, lat = to_ll.transform(x + km * 1000, y)
        text = f"days = 1\n[[earthquake]]\nt_h = 1\nlon = {lon}\nlat = {lat}\nmagnitude = 6\n"
        found[km] = problems(text)
    assert found[MAX_EPICENTRE_KM - 0.1] == []
    (p,) = found[MAX_EPICENTRE_KM + 0.1]
    assert "is 300 km from the city (more than 300 km)" in p.what
    assert p.fix == "check lon and lat (WGS84 degrees)" and p.line == 4


def test_new_station_outside_the_city_says_where_to_put_it():
    text = (
        '[[stations.add]]\nstation_id = "FAR"\nforce = "fire"\nname = "far"\n'
        "lon = 100.0\nlat = 20.0\nunits = 1\n"
    )
    (p,) = problems(text)
    assert p.what == "new station 'FAR' at 100.0, 20.0 lies outside the city's core districts"
    assert p.fix == "place it inside the city, within 500 m of a road"
    assert p.ids == ("FAR",) and p.line == 5
