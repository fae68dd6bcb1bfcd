"""twin.scenario.checks on ``[[reinforcement]]`` entries, on the tiny city (fire stations
F1–F3, professional P1): a name used twice is reported on the line of the second entry's
``name``, where the user has to change it; a staging station the city lacks on the line of
``staging``, with the closest station ids as the fix."""

from __future__ import annotations

from tinycity import tiny_city

from twin.scenario.checks import problems_against
from twin.scenario.spec import parse_scenario

TWICE = """name = "x"
[[reinforcement]]
name = "prov"
force = "fire"
units = 4
arrive_h = 6
[[reinforcement]]
name = "prov"
force = "fire"
units = 2
arrive_h = 12
staging = ["F9"]
"""


def test_a_name_used_twice_and_an_unknown_staging_station_in_full() -> None:
    got = [
        (p.where, p.what, p.fix, p.ids, p.line)
        for p in problems_against(parse_scenario(TWICE, "r.toml"), tiny_city())
    ]
    # line 8 is the second entry's `name = "prov"` (lines counted from 1 in TWICE)
    assert got == [
        (
            "r.toml",
            "two [[reinforcement]] entries are named 'prov'",
            "give each reinforcement its own name",
            ("prov",),
            8,
        ),
        # F9 is as close to F1, F2 and F3 (one letter of two in common: ratio 2·1/4 = 0.5,
        # difflib's ties in reverse order); line 12 is `staging = ["F9"]`
        (
            "r.toml",
            "reinforcement 'prov' stages at unknown or removed station 'F9'",
            "did you mean F3 or F2 or F1?",
            ("F9",),
            12,
        ),
    ]
