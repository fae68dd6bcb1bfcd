"""What one traffic assignment gives on the embedded twin, how long it takes, and why.

    nice -n 10 .venv/bin/python bench/traffic_assignment.py [--periods peak] [--zone-km 8]
        [--max-iter 20] [--as-before] [--scipy]

Per period (the cached assignment of ``twin.model.traffic.assign_period``, so a later
``bench/scenario_effects.py --traffic assigned`` with the same zones and iterations reads it
back): the demand (trips per hour between zones, the trips kept inside zones, the mean
free-flow trip time, the trips with an end in Yuzhong), where the zones are loaded, the
vehicle-km and vehicle-hours, the travel-time index (congested ÷ free-flow vehicle-hours)
city-wide, per road class and on the river crossings, the v/c ratios (weighted by
vehicle-km) and the share of links over capacity — the facts of the diagnosis in
docs/calibration.md, printed next to the independent figures they are checked against.
None of it is fitted.

``--as-before``: the assumptions before the diagnosis (0.5 vehicle trips per resident per
day; every bridge 2 lanes each way at its class's lane capacity) for comparison.
``--scipy``: also time the plain Frank–Wolfe fallback on the same demand (no cache).
``--trip-rate R``: R vehicle trips per resident per day instead of the module's (a
sensitivity run; it is cached under its own key).

Besides the per-class table it prints the model's figures defined as the independent ones
are: the trip-based index of Amap's reports and the space-mean speed on the trunk roads
(:func:`comparable_facts`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from twin.model import assignment, traffic, zones  # noqa: E402
from twin.model.assignment import Links, assign, bpr, trip_index  # noqa: E402
from twin.model.city import City, load_city  # noqa: E402
from twin.model.traffic import (  # noqa: E402
    Conditions,
    PeriodTraffic,
    assign_period,
    demand_vph,
    emergency_factor,
    links_of,
)
from twin.model.zones import Zones, build_zones  # noqa: E402

YUZHONG = "500103"
CHECKS = (
    "independent figures (docs/calibration.md, 'Check of the outcome' and 'Same quantity'): "
    "Amap's peak delay index (a trip's travel time ÷ its free-flow time, mean over trips, "
    "07–09 and 17–19 h, signal waits included): Chongqing 1.8+ (2019 Q1), 50-city mean 1.61 "
    "(2020) — compare the trip-based index above; TomTom's extra travel time over free flow, "
    "Chongqing morning/evening peak 1.87/1.86 (2020); the trunk network's (干路网) workday "
    "peak-hour speed 24.2 km/h (2022 annual report) — compare the trunk roads' space-mean "
    "speed above; bridges and tunnels under the staggered-travel rule 37.6 km/h at the peak "
    "(2021; +28.3 %, so ~29.3 before) = 1.33–1.71 on 50 km/h"
)


def capacity_before(city: City) -> np.ndarray:
    """The capacities before the diagnosis: every bridge by its class (2 lanes each way on
    arterials at 1,000 pcu/h/lane, 3 on expressways at 1,800)."""
    e = city.road_edges
    cls = e["road_class"].astype(str)
    per_lane = np.array([traffic.LANE_CAPACITY_VPH.get(c, 400.0) for c in cls])
    lanes = np.array([traffic.LANES.get(c, 1) for c in cls], float)
    connector = cls.isin(traffic.CONNECTOR_CLASSES).to_numpy() & ~e["bridge"].to_numpy(bool)
    return np.where(connector, traffic.UNLIMITED_VPH, lanes * per_lane)


def demand_facts(city: City, z: Zones, period: str) -> list[str]:
    """Lines on the demand of ``period``."""
    net = city.roads
    d = demand_vph(net, z, period)
    made = z.population * traffic.VEHICLE_TRIPS_PER_PERSON_DAY * traffic.HOUR_SHARE[period]
    c = dijkstra(net.matrix(net.edge_time_s), directed=True, indices=z.node)[:, z.node]
    c = np.where(np.isfinite(c), c, 0.0)
    did = city.road_nodes["district_id"].astype(str).to_numpy(object)[z.node]
    yz = did == YUZHONG
    bridge_end = set(net.edge_u[net.edge_bridge]) | set(net.edge_v[net.edge_bridge])
    return [
        f"demand: {made.sum():,.0f} pcu trips/h made ({traffic.VEHICLE_TRIPS_PER_PERSON_DAY} "
        f"per resident per day × {traffic.HOUR_SHARE[period]:.1%}), {d.sum():,.0f} between "
        f"zones ({1 - d.sum() / made.sum():.1%} kept inside zones, not loaded); mean "
        f"free-flow trip {float((d * c).sum() / d.sum()) / 60:.1f} min",
        f"Yuzhong: {yz.sum()} zones, {z.population[yz].sum():,.0f} people; trips with an end "
        f"there {d[yz].sum() + d[:, yz].sum() - d[np.ix_(yz, yz)].sum():,.0f}/h; zones loaded "
        f"at a bridge's end: {sum(int(n) in bridge_end for n in z.node)}",
    ]


def network_facts(city: City, cap: np.ndarray, tr: PeriodTraffic) -> pd.DataFrame:
    """Per group of edges (road class, Yuzhong's ten bridges, the other bridges, all):
    vehicle-km, the travel-time index of general traffic and of emergency vehicles
    (vehicle-hours congested ÷ free-flow), v/c weighted by vehicle-km, the share of loaded
    directed links over capacity, the largest v/c."""
    net = city.roads
    e = city.road_edges
    length_km = e["length_m"].to_numpy(float) / 1000
    t0 = net.edge_time_s
    did = city.road_nodes["district_id"].astype(str).to_numpy(object)
    yz_bridge = net.edge_bridge & ((did[net.edge_u] == YUZHONG) | (did[net.edge_v] == YUZHONG))
    groups = {
        c: (e["road_class"].astype(str) == c).to_numpy() & ~net.edge_bridge
        for c in ("expressway", "arterial", "local", "mountain")
    }
    groups["Yuzhong's 10 bridges"] = yz_bridge
    groups["other bridges"] = net.edge_bridge & ~yz_bridge
    groups["all roads"] = np.ones(len(t0), bool)
    rows = []
    for name, m in groups.items():
        f = tr.flow_vph[m]  # (k, 2) per direction
        c = cap[m][:, None]
        t = bpr(t0[m][:, None], f, c)
        ev = emergency_factor(t / t0[m][:, None]) * t0[m][:, None]
        vkm = float((f * length_km[m][:, None]).sum())
        vht0 = float((f * t0[m][:, None]).sum()) / 3600
        limited = np.broadcast_to(c < traffic.UNLIMITED_VPH, f.shape)
        vc = np.where(limited, f / c, np.nan)
        w = f * length_km[m][:, None]
        loaded = (f > 0) & limited
        rows.append(
            {
                "group": name,
                "edges": int(m.sum()),
                "veh_km_per_h": vkm,
                "flow_vph_both_ways": float(f.sum()),
                "tti_general": float((f * t).sum()) / 3600 / max(vht0, 1e-9),
                "tti_emergency": float((f * ev).sum()) / 3600 / max(vht0, 1e-9),
                "v_c_vkm_weighted": float(np.nansum(vc * w) / max(w[limited].sum(), 1e-9))
                if limited.any()
                else np.nan,
                "over_capacity": float((vc[loaded] > 1).mean()) if loaded.any() else np.nan,
                "max_v_c": float(np.nanmax(vc)) if limited.any() else np.nan,
            }
        )
    return pd.DataFrame(rows)


def bridge_facts(city: City, cap: np.ndarray, tr: PeriodTraffic) -> pd.DataFrame:
    """Per bridge with an end in Yuzhong: capacity each way (veh/h), flow each way (veh/h), v/c of the
    busier direction and the general traffic's time multiplier there."""
    net = city.roads
    e = city.road_edges
    did = city.road_nodes["district_id"].astype(str).to_numpy(object)
    k = np.flatnonzero(
        net.edge_bridge & ((did[net.edge_u] == YUZHONG) | (did[net.edge_v] == YUZHONG))
    )
    f = tr.flow_vph[k]
    busy = f.max(axis=1)
    return pd.DataFrame(
        {
            "bridge": e["name"].to_numpy(object)[k],
            "cap_vph_each_way": cap[k],
            "flow_u_v": f[:, 0],
            "flow_v_u": f[:, 1],
            "v_c_busier": busy / cap[k],
            "busier_x": bpr(1.0, busy, cap[k]),
        }
    )


def _fastest(links: Links, w: np.ndarray) -> sp.csr_matrix:
    """Directed adjacency of ``links`` weighted by ``w`` (s), the fastest of parallel links."""
    order = np.lexsort((w, links.b, links.a))
    a, b, ww = links.a[order], links.b[order], w[order]
    first = np.ones(len(a), bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    n = links.n_nodes
    return sp.csr_matrix((ww[first], (a[first], b[first])), shape=(n, n))


def comparable_facts(
    city: City, z: Zones, cap: np.ndarray, tr: PeriodTraffic, period: str
) -> list[str]:
    """The model's figures defined as the independent ones are (docs/calibration.md,
    "Same quantity"): the trip-based delay index of Amap's reports (a trip's congested
    travel time ÷ its free-flow travel time, each on its fastest route, over the trips
    between zones) and the space-mean speed (vehicle-km ÷ vehicle-hours) on the trunk roads
    (expressways and arterials) that the annual report's "干路网" peak speed describes."""
    net = city.roads
    links, edge = links_of(net, cap, Conditions())
    fwd = np.arange(len(edge)) < len(net.edge_ids)
    flow = np.where(fwd, tr.flow_vph[edge, 0], tr.flow_vph[edge, 1])
    t = bpr(links.t0_s, flow, links.capacity_vph)
    d = demand_vph(net, z, period)
    t_ff = dijkstra(_fastest(links, links.t0_s), indices=z.node)[:, z.node]
    t_pk = dijkstra(_fastest(links, t), indices=z.node)[:, z.node]
    m = (d > 0) & np.isfinite(t_ff) & (t_ff > 0)
    ratio = t_pk[m] / t_ff[m]
    bands = []
    for lo, hi in ((0, 10), (10, 20), (20, 40), (40, np.inf)):
        b = m & (t_ff >= lo * 60) & (t_ff < hi * 60)
        share = d[b].sum() / d[m].sum()
        idx = (d[b] * t_pk[b]).sum() / max((d[b] * t_ff[b]).sum(), 1e-9)
        bands.append(f"{lo}–{hi:g} min {share:.0%} ×{idx:.2f}")
    cls = city.road_edges["road_class"].astype(str).to_numpy()[edge]
    km = city.road_edges["length_m"].to_numpy(float)[edge] / 1000
    out = [
        f"trip-based index (Amap's definition; trips between zones, each on its fastest "
        f"route at the peak and at free flow): {trip_index(links, t, z.node, d):.2f} "
        f"(mean of the trips' ratios {np.average(ratio, weights=d[m]):.2f}; by free-flow "
        f"trip time: {', '.join(bands)})"
    ]
    for name, sel in (
        ("expressways", cls == "expressway"),
        ("arterials", cls == "arterial"),
        ("trunk roads (both)", np.isin(cls, ["expressway", "arterial"])),
    ):
        f, L = flow[sel], km[sel]
        out.append(
            f"space-mean speed on {name} (vehicle-km ÷ vehicle-hours): "
            f"{(f * L).sum() / (f * t[sel]).sum() * 3600:.1f} km/h ({(f * L).sum() / (f * links.t0_s[sel]).sum() * 3600:.1f} at free flow); "
            f"length-weighted {L.sum() / t[sel].sum() * 3600:.1f} km/h"
        )
    both = tr.flow_vph.sum(axis=1)
    ex = (city.road_edges["road_class"].astype(str) == "expressway").to_numpy()
    out.append(
        f"busiest expressway edges, both ways: {', '.join(f'{v:,.0f}' for v in np.sort(both[ex])[::-1][:3])} veh/h"
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--periods", nargs="+", default=["peak", "offpeak", "night"])
    ap.add_argument("--zone-km", type=float, help="traffic zones' side (default 6 km)")
    ap.add_argument("--max-iter", type=int, help="assignment iterations (default 30)")
    ap.add_argument("--as-before", action="store_true", help="the assumptions before #12's fix")
    ap.add_argument("--scipy", action="store_true", help="also time the scipy fallback")
    ap.add_argument("--trip-rate", type=float, help="vehicle trips per resident per day")
    a = ap.parse_args()
    if a.zone_km:
        zones.ZONE_SIZE_M = a.zone_km * 1000.0
    if a.max_iter:
        assignment.MAX_ITER = a.max_iter
    if a.as_before:
        traffic.VEHICLE_TRIPS_PER_PERSON_DAY = 0.5
        traffic.capacity_vph = capacity_before  # assign_period looks it up at call time
    if a.trip_rate:
        traffic.VEHICLE_TRIPS_PER_PERSON_DAY = a.trip_rate
    city = load_city()
    net = city.roads
    t0 = time.perf_counter()
    z = build_zones(city)
    cap = traffic.capacity_vph(city)
    print(
        f"network: {net.n_nodes:,} nodes, {len(net.edge_ids):,} edges; {len(z)} zones of "
        f"{zones.ZONE_SIZE_M / 1000:g} km ({z.population.sum():,.0f} people) in "
        f"{time.perf_counter() - t0:.1f} s; assumptions {'before' if a.as_before else 'now'}; "
        f"at most {assignment.MAX_ITER} iterations"
    )
    pd.set_option("display.width", 200)
    for period in a.periods:
        print(f"{period}:")
        for line in demand_facts(city, z, period):
            print("  " + line)
        tr = assign_period(city, period)
        print(
            f"  assignment: {tr.backend}, {tr.wall_s:.1f} s (0 = cached), relative gap "
            f"{tr.rgap:.1e}",
            flush=True,
        )
        for line in comparable_facts(city, z, cap, tr, period):
            print("  " + line)
        facts = network_facts(city, cap, tr)
        print(facts.to_string(index=False, float_format=lambda v: f"{v:,.3g}"))
        print(
            bridge_facts(city, cap, tr).to_string(index=False, float_format=lambda v: f"{v:,.3g}")
        )
        if a.scipy:
            links, _ = links_of(net, cap, Conditions())
            r = assign(links, z.node, demand_vph(net, z, period), backend="scipy")
            print(f"  scipy Frank–Wolfe: {r.wall_s:.1f} s, {r.iterations} it, gap {r.rgap:.1e}")
    print(CHECKS)


if __name__ == "__main__":
    main()
