"""Siting benchmark on the embedded twin: problem sizes and solve times per model.

Prints, for the fire force in the off-peak period with a 5-minute standard:
- building the problem (road times from candidates to demand, csgraph Dijkstra);
- MCLP (k = 3) and LSCP on every populated cell as demand and up to 2 000 candidate road
  nodes, through the sparse HiGHS route (the default for large covering models);
- the same MCLP on 300 candidates through spopt (dense PuLP build) and through HiGHS
  directly: the ratio is the reason for the sparse route, measured in this run;
- p-median and p-center (k = 3) through spopt on 150 aggregated demand points × 150
  candidates.

Run: nice -n 10 .venv/bin/python bench/bench_siting.py
"""

from __future__ import annotations

import time

from twin.model.city import load_city
from twin.sim.engine import Engine, EngineConfig
from twin.siting.models import solve
from twin.siting.problem import build_problem


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    print(f"{label:<58} {dt:8.2f} s", flush=True)
    return out, dt


def main() -> None:
    city, _ = timed("load the embedded twin", load_city)
    eng, _ = timed(
        "engine (fleet, placement, station travel times)", lambda: Engine(city, EngineConfig())
    )
    big, _ = timed(
        "problem: cells × ≤2000 candidates, times ≤ 5 min",
        lambda: build_problem(
            city, "fire", "offpeak", max_candidates=2000, limit_s=300.0, engine=eng
        ),
    )
    print(
        f"  {len(big.demand_node):,} demand points, {len(big.candidate_node):,} candidates, "
        f"{len(big.existing_ids)} existing fire stations"
    )
    s, _ = timed("MCLP k=3 (HiGHS, sparse)", lambda: solve(big, "mclp", 3, 5.0, "highs"))
    print(f"  +{s.coverage_gain:,.0f} people within 5 min")
    s, _ = timed("LSCP (HiGHS, sparse)", lambda: solve(big, "lscp", 0, 5.0, "highs"))
    print(f"  {len(s.chosen)} new stations to cover every coverable point")
    small, _ = timed(
        "problem: cells × ≤300 candidates, times ≤ 5 min",
        lambda: build_problem(
            city, "fire", "offpeak", max_candidates=300, limit_s=300.0, engine=eng
        ),
    )
    a, t_spopt = timed(
        "MCLP k=3, 300 candidates (spopt, dense PuLP)",
        lambda: solve(small, "mclp", 3, 5.0, "spopt"),
    )
    b, t_highs = timed(
        "MCLP k=3, 300 candidates (HiGHS, sparse)", lambda: solve(small, "mclp", 3, 5.0, "highs")
    )
    print(
        f"  same coverage: {abs(a.coverage_gain - b.coverage_gain) < 1e-6}; "
        f"spopt / sparse time ratio {t_spopt / max(t_highs, 1e-9):.1f}×"
    )
    agg, _ = timed(
        "problem: 150 demand × 150 candidates, full times",
        lambda: build_problem(
            city, "fire", "offpeak", max_demand=150, max_candidates=150, engine=eng
        ),
    )
    s, _ = timed("p-median k=3 (spopt + HiGHS)", lambda: solve(agg, "pmedian", 3, 5.0))
    print(f"  mean time {s.mean_s_before / 60:.2f} → {s.mean_s_after / 60:.2f} min")
    s, _ = timed("p-center k=3 (spopt + HiGHS)", lambda: solve(agg, "pcenter", 3, 5.0))
    print(f"  worst time {s.worst_s_before / 60:.1f} → {s.worst_s_after / 60:.1f} min")


if __name__ == "__main__":
    main()
