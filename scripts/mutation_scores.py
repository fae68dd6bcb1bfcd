"""Mutation scores per module from mutmut's results (docs/testing.md).

Score a sample of mutants (docs/mutation-sample.tsv: group, mutant name) as
(killed + timeout) / checked, per group::

    mutmut results --all true | python scripts/mutation_scores.py score docs/mutation-sample.tsv

"no tests" (no selected test calls the function) counts as not killed; "not checked"
mutants are left out of the denominator and counted separately.
"""

from __future__ import annotations

import collections
import sys


def read_results(lines: list[str]) -> dict[str, str]:
    """mutant name → status from `mutmut results --all true`."""
    out = {}
    for line in lines:
        if ": " in line:
            name, status = line.strip().split(": ", 1)
            out[name.strip()] = status.strip()
    return out


def score(results: dict[str, str], rows: list[tuple[str, str]]) -> list[str]:
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for group, name in rows:
        groups[group].append(name)
    lines = []
    for group, names in groups.items():
        c = collections.Counter(results.get(n, "missing") for n in names)
        killed = c["killed"] + c["timeout"]
        checked = sum(v for k, v in c.items() if k not in ("not checked", "missing"))
        pct = f"{killed / checked:.0%}" if checked else "–"
        lines.append(f"{group:9s} sampled {len(names):3d}  checked {checked:3d}  "
                     f"killed {killed:3d}  score {pct:>4s}  {dict(c)}")
    return lines


def main() -> None:
    results = read_results(sys.stdin.readlines())
    with open(sys.argv[2], encoding="utf-8") as f:
        rows = [tuple(line.rstrip("\n").split("\t")) for line in f]
    print("\n".join(score(results, rows)))


if __name__ == "__main__":
    main()
