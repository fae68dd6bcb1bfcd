"""twin.model.validate's entry points on real folders: what ``twin validate PATH`` and
``load_city`` say, word for word, and where they say it (the file each problem is in)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_validate import tiny_layers, write_city

from twin.errors import Problem, TwinDataError
from twin.model.files import read_folder
from twin.model.validate import check_layers, validate_folder, validate_layers

# The tiny city lies in Chongqing (106.55° E): UTM zone 1 (EPSG:32601, 177–180° W) does not
# cover it, so a city.json stating that CRS is one problem, located in city.json.
FAR_CRS = "EPSG:32601"


def test_a_missing_folder_is_one_problem_that_says_what_to_give(tmp_path: Path) -> None:
    where = tmp_path / "nowhere"
    assert validate_folder(where) == [
        Problem(
            str(where),
            "no such city folder",
            "give a folder holding districts/road_nodes/road_edges layer files "
            "(see ARCHITECTURE.md, 'A city folder')",
        )
    ]


def test_the_crs_city_json_states_is_checked_against_the_data_there(tmp_path: Path) -> None:
    folder = write_city(tmp_path / "c", tiny_layers())
    assert validate_folder(folder) == []  # no city.json: the data's own UTM zone
    (folder / "city.json").write_text(json.dumps({"crs": FAR_CRS}), encoding="utf-8")
    problems = validate_folder(folder)
    assert [p.where for p in problems] == [str(folder / "city.json")]
    assert FAR_CRS in problems[0].what
    (folder / "city.json").write_text(json.dumps({"crs": "EPSG:32648"}), encoding="utf-8")
    assert validate_folder(folder) == []


def test_a_broken_city_json_is_reported_with_the_layers_problems(tmp_path: Path) -> None:
    layers = tiny_layers()
    layers["stations"].loc[0, "force"] = "police"
    folder = write_city(tmp_path / "c", layers)
    (folder / "city.json").write_text("{crs: ", encoding="utf-8")
    problems = validate_folder(folder)
    assert [(p.where, p.line) for p in problems] == [
        (str(folder / "city.json"), 1),
        ("stations", None),
    ]
    assert problems[0].what.startswith("not valid JSON")


def test_validate_layers_titles_the_error_and_locates_the_crs_in_city_json(tmp_path: Path) -> None:
    folder = write_city(tmp_path / "c", tiny_layers())
    layers = read_folder(folder)
    validate_layers(layers, str(folder))  # valid: returns quietly
    validate_layers(layers, str(folder), "EPSG:32648")
    with pytest.raises(TwinDataError) as info:
        validate_layers(layers, str(folder), FAR_CRS)
    assert info.value.title == f"city data at {folder} is invalid"
    assert [p.where for p in info.value.problems] == [str(folder / "city.json")]
    # layers that do not come from a folder (an importer's): the CRS problem names `where`
    with pytest.raises(TwinDataError) as info:
        validate_layers(layers, "my.gpkg", FAR_CRS)
    assert info.value.title == "city data at my.gpkg is invalid"
    assert [p.where for p in info.value.problems] == ["my.gpkg"]


def test_check_layers_runs_every_check_and_the_crs_only_when_given() -> None:
    layers = tiny_layers()
    assert list(check_layers(layers)) == []
    edges = layers["road_edges"]
    edges.loc[0, "v"] = "N9"  # E1 N1 → N9 and E2 N9 → N3: edges to no node, N2 cut off
    edges.loc[1, "u"] = "N9"
    layers["stations"] = layers["stations"].set_geometry(
        layers["stations"].geometry.translate(xoff=0.1)  # ~10 km east of every road node
    )
    layers["pipes"] = layers["pipes"].set_geometry(layers["pipes"].geometry.translate(yoff=0.1))
    layers["districts"].loc[0, "level"] = "inner"
    found = [p.where for p in check_layers(layers, FAR_CRS, "here.json")]
    # in the order of the checks: required layers (no core district), each layer (the
    # unknown level), the city's CRS, edge ends, connectivity, stations and pipes near roads
    assert found == [
        "districts",
        "districts",
        "here.json",
        "road_edges",
        "road_nodes",
        "stations",
        "pipes",
    ]
    assert [p.where for p in check_layers(layers)] == found[:2] + found[3:]
    # the CRS's place defaults to city.json, where a folder states it
    assert [p.where for p in check_layers(layers, FAR_CRS)][2] == "city.json"
