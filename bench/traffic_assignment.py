"""How long one traffic assignment takes, and what it gives, on the embedded twin.

    nice -n 10 .venv/bin/python bench/traffic_assignment.py [--periods peak] [--scipy]

Per period: the zones and demand, the wall time of one user-equilibrium assignment (no
cache), its iterations and relative gap, the ratio of congested to free-flow vehicle-hours
(the model's peak-to-free-flow ratio: a consequence of the assumptions in
docs/calibration.md, not fitted), and the general and emergency multipliers of bridges and of
all roads (flow-weighted). ``--scipy`` also times the plain Frank–Wolfe fallback.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from twin.model.assignment import assign  # noqa: E402
from twin.model.city import load_city  # noqa: E402
from twin.model.traffic import (  # noqa: E402
    Conditions,
    capacity_vph,
    demand_vph,
    emergency_factor,
    links_of,
)
from twin.model.zones import build_zones  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--periods", nargs="+", default=["peak", "offpeak", "night"])
    ap.add_argument("--scipy", action="store_true", help="also time the scipy fallback")
    a = ap.parse_args()
    city = load_city()
    net = city.roads
    t0 = time.perf_counter()
    zones = build_zones(city)
    links, edge = links_of(net, capacity_vph(city), Conditions())
    print(
        f"network: {net.n_nodes:,} nodes, {len(net.edge_ids):,} edges, {len(edge):,} directed "
        f"links; {len(zones)} zones ({zones.population.sum():,.0f} people) in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    bridge = net.edge_bridge[edge]
    for period in a.periods:
        t0 = time.perf_counter()
        d = demand_vph(net, zones, period)
        print(
            f"{period}: demand {d.sum():,.0f} veh/h between zones ({time.perf_counter() - t0:.1f} s)"
        )
        for backend in ("aequilibrae", "scipy") if a.scipy else ("aequilibrae",):
            r = assign(links, zones.node, d, backend=backend)
            gen = r.time_s / links.t0_s
            ev = emergency_factor(gen)
            w = r.flow_vph
            vht = float(w @ r.time_s) / max(float(w @ links.t0_s), 1e-9)
            print(
                f"  {backend}: one assignment {r.wall_s:.1f} s, {r.iterations} iterations, "
                f"relative gap {r.rgap:.1e}; congested/free-flow vehicle-hours {vht:.2f}; "
                f"multiplier (flow-weighted) all roads {np.average(gen, weights=w + 1e-9):.2f} "
                f"(emergency {np.average(ev, weights=w + 1e-9):.2f}), bridges "
                f"{np.average(gen[bridge], weights=w[bridge] + 1e-9):.2f} "
                f"(emergency {np.average(ev[bridge], weights=w[bridge] + 1e-9):.2f}); "
                f"links over capacity {(w > links.capacity_vph).mean():.1%}"
            )


if __name__ == "__main__":
    main()
