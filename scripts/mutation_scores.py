"""Mutation scores per module from mutmut's results (docs/testing.md).

Score a sample of mutants (docs/mutation-sample.tsv: group, mutant name) as
(killed + timeout) / checked, per group::

    mutmut results --all true | python scripts/mutation_scores.py score docs/mutation-sample.tsv

"no tests" (no selected test calls the function) counts as not killed; "not checked"
mutants are left out of the denominator and counted separately. Each score comes with its
95 % Clopper–Pearson interval (scipy.stats.binomtest): samples are small.

Draw the sample (``n`` mutants per mutated module, sorted names, ``random.Random(seed)``)::

    mutmut results --all true | python scripts/mutation_scores.py sample 30 2026 > docs/mutation-sample.tsv

The sample files also record each mutant's status (columns 3–: before, after); score them
without mutmut's database::

    python scripts/mutation_scores.py recorded docs/mutation-sample.tsv docs/mutation-equivalent.tsv

A fourth file (mutant name first on each line) lists the names tests were aimed at before
their status was recorded: each column is then scored a second time without them (the
unbiased estimate)::

    python scripts/mutation_scores.py recorded docs/mutation-sample-1626.tsv \
        docs/mutation-equivalent.tsv docs/mutation-aimed-1626.tsv

Equivalent mutants (docs/mutation-equivalent.tsv: mutant name, reason) are left out of the
"excl. equivalent" score::

    ... | python scripts/mutation_scores.py score docs/mutation-sample.tsv docs/mutation-equivalent.tsv
"""

from __future__ import annotations

import collections
import random
import sys

from scipy.stats import binomtest


def read_results(lines: list[str]) -> dict[str, str]:
    """mutant name → status from `mutmut results --all true`."""
    out = {}
    for line in lines:
        if ": " in line:
            name, status = line.strip().split(": ", 1)
            out[name.strip()] = status.strip()
    return out


def module_of(name: str) -> str:
    """``twin.sim.engine.xǁRunǁf__mutmut_3`` → ``sim.engine``."""
    parts = name.split(".")
    return ".".join(parts[1:-1])


def sample(results: dict[str, str], n: int, seed: int) -> list[tuple[str, str]]:
    """``n`` mutant names per module (all of a module with fewer), drawn reproducibly
    (``random.Random("<seed>:<module>")`` over the sorted names)."""
    by_module: dict[str, list[str]] = collections.defaultdict(list)
    for name in sorted(results):
        by_module[module_of(name)].append(name)
    rows = []
    for module in sorted(by_module):
        names = by_module[module]
        rng = random.Random(f"{seed}:{module}")  # per module: a module's draw stands alone
        rows += [(module, name) for name in rng.sample(names, min(n, len(names)))]
    return rows


def _interval(k: int, n: int) -> str:
    ci = binomtest(k, n).proportion_ci(0.95)
    return f"{k / n:4.0%} [{ci.low:.0%}–{ci.high:.0%}]"


def score(
    results: dict[str, str], rows: list[tuple[str, str]], equivalent: frozenset[str] = frozenset()
) -> list[str]:
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for group, name in rows:
        groups[group].append(name)
    lines = []
    for group, names in groups.items():
        c = collections.Counter(results.get(n, "missing") for n in names)
        killed = c["killed"] + c["timeout"]
        checked = sum(v for k, v in c.items() if k not in ("not checked", "missing"))
        eq = sum(1 for n in names if n in equivalent and results.get(n) == "survived")
        pct = _interval(killed, checked) if checked else "–"
        pct_eq = _interval(killed, checked - eq) if checked - eq > 0 else "–"
        lines.append(
            f"{group:22s} sampled {len(names):3d}  checked {checked:3d}  killed {killed:3d}  "
            f"score {pct}  equivalent {eq}  excl. equivalent {pct_eq}  {dict(c)}"
        )
    if len(groups) > 1:  # and over every group at once
        lines += score(results, [("all", name) for _, name in rows], equivalent)
    return lines


def main() -> None:
    if sys.argv[1] == "recorded":  # scores from the status columns the sample file records
        with open(sys.argv[2], encoding="utf-8") as f:
            table = [line.rstrip("\n").split("\t") for line in f if line.strip()]
        equivalent = frozenset()
        if len(sys.argv) > 3:
            with open(sys.argv[3], encoding="utf-8") as f:
                equivalent = frozenset(line.split("\t")[0] for line in f if line.strip())
        aimed = frozenset()
        if len(sys.argv) > 4:  # names tests were aimed at before their status was recorded
            with open(sys.argv[4], encoding="utf-8") as f:
                aimed = frozenset(line.split("\t")[0] for line in f if line.strip())
        for k in range(2, max(len(r) for r in table)):
            statuses = {r[1]: r[k].split(" (")[0] for r in table if len(r) > k}
            print(f"-- column {k + 1}")
            print("\n".join(score(statuses, [(r[0], r[1]) for r in table], equivalent)))
            if aimed:
                print(f"-- column {k + 1}, the names no test was aimed at")
                rows = [(r[0], r[1]) for r in table if r[1] not in aimed]
                print("\n".join(score(statuses, rows, equivalent)))
        return
    results = read_results(sys.stdin.readlines())
    if sys.argv[1] == "sample":
        rows = sample(results, int(sys.argv[2]), int(sys.argv[3]))
        print("\n".join(f"{g}\t{n}" for g, n in rows))
        return
    with open(sys.argv[2], encoding="utf-8") as f:
        rows = [tuple(line.rstrip("\n").split("\t")[:2]) for line in f]
    equivalent: frozenset[str] = frozenset()
    if len(sys.argv) > 3:
        with open(sys.argv[3], encoding="utf-8") as f:
            equivalent = frozenset(line.split("\t")[0] for line in f if line.strip())
    print("\n".join(score(results, rows, equivalent)))


if __name__ == "__main__":
    main()
