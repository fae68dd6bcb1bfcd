"""Bridges closed against the baseline: the traffic the closure diverts, and Yuzhong's cover.

Used by ``bench/scenario_effects.py`` (``--bridges-seeds N``). Two parts:

- **traffic** (deterministic, from the cached assignments): at the peak, the flow (veh/h,
  both directions) and the general-traffic and emergency multipliers on the crossings out of
  Yuzhong (渝中, 500103): the closed bridges, the remaining crossings (bridges and tunnels
  not closed) and the land exits (other roads leaving the district), baseline vs closed;
- **response** over paired seeds (common random numbers: the same seeds in both arms): per
  seed, Yuzhong's ``5min`` (first fire vehicle within 5 min of dispatch) and ``full`` (whole
  first assignment within 30 min) shares, and the mean 1st-, 2nd- and 3rd-due fire-station
  road times (s) at Yuzhong's incidents, in the period and on the network (traffic and
  closures) of the arm; 95 % intervals of the paired differences (twin.analysis.paired).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.analysis.paired import Interval, paired_t, share_difference
from twin.hazards.closures import closure_edges
from twin.hazards.regimes import conditions_at, scenario_traffic
from twin.model.city import City
from twin.model.roads import PERIODS, period_of, shortest_times
from twin.model.traffic import assign_period
from twin.scenario.spec import Scenario
from twin.sim.runner import run_scenario

YUZHONG = "500103"


def crossings(city: City, district: str = YUZHONG) -> pd.DataFrame:
    """Edges with exactly one end in ``district``: index, name, bridge/tunnel."""
    net = city.roads
    did = city.road_nodes["district_id"].astype(str).to_numpy(object)
    inside = did == district
    k = np.flatnonzero(inside[net.edge_u] != inside[net.edge_v])
    e = city.road_edges.iloc[k]
    return pd.DataFrame(
        {
            "edge": k,
            "name": e["name"].fillna("").astype(str).to_numpy(object),
            "structure": np.where(e["bridge"], True, e["tunnel"]).astype(bool),
        }
    )


def traffic_table(city: City, closed_sc: Scenario) -> pd.DataFrame:
    """Peak flows and multipliers of the crossings, baseline vs ``closed_sc``."""
    cr = crossings(city)
    closed = np.zeros(len(city.roads.edge_ids), bool)
    for c in closed_sc.closures:
        closed[closure_edges(city, c)] = True
    base = assign_period(city, "peak")
    shut = assign_period(city, "peak", conditions_at(city, closed_sc, 0.0))
    for label, tr in (("baseline", base), ("bridges closed", shut)):
        print(
            f"  peak assignment, {label}: {tr.backend}, {tr.wall_s:.1f} s wall "
            f"(0 = from the cache), relative gap {tr.rgap:.1e}",
            flush=True,
        )
    cr["group"] = np.where(
        closed[cr["edge"]],
        "closed bridges",
        np.where(cr["structure"], "remaining crossings", "land exits"),
    )
    rows = []
    for group, sub in cr.groupby("group", sort=False):
        k = sub["edge"].to_numpy()
        t0 = city.roads.edge_time_s[k]
        for label, tr in (("baseline", base), ("bridges closed", shut)):
            flow = tr.flow_vph[k].sum(axis=1)
            w = flow + 1e-9
            rows.append(
                {
                    "group": group,
                    "edges": len(k),
                    "arm": label,
                    "flow_vph": flow.sum()
                    if label == "baseline" or group != "closed bridges"
                    else 0.0,
                    "general_x": float(np.average(tr.general[k], weights=w * t0)),
                    "emergency_x": float(np.average(tr.emergency[k], weights=w * t0)),
                }
            )
    return pd.DataFrame(rows)


@dataclass
class Arm:
    """Per-seed figures of one arm."""

    met5: list[float]
    n5: list[float]
    metfull: list[float]
    nfull: list[float]
    due: list[np.ndarray]


def due_tables(city: City, scenario: Scenario) -> list[np.ndarray]:
    """Per period: fire stations' road times (s) to every node, sorted (row k = (k+1)-due),
    on the scenario's network (its traffic and its closures at t = 0)."""
    tr = scenario_traffic(city, scenario)
    factors = tr.regimes[0].factors if tr.regimes else tr.base
    net = city.roads.with_congestion(factors)
    st = city.stations[city.stations["force"] == "fire"]
    nodes, _ = net.snap(np.column_stack([st.geometry.x, st.geometry.y]))
    closed = conditions_at(city, scenario, 0.0).closed
    out = []
    for p in PERIODS:
        t = shortest_times(net.matrix(net.edge_times(p, closed)), np.unique(nodes))
        out.append(np.sort(t, axis=0)[:3])
    return out


def _one(city: City, scenario: Scenario, seed: int, due: list[np.ndarray], arm: Arm) -> int:
    """One run of ``scenario`` with ``seed``: Yuzhong's figures appended to ``arm``."""
    res = run_scenario(scenario.with_(seed=seed), city, record_routes=False)
    c = res["compliance"]
    for target, met, n in (("5min", arm.met5, arm.n5), ("full", arm.metfull, arm.nfull)):
        sel = (c["scope"] == f"district:{YUZHONG}") & (c["target"] == target)
        r = c[sel & (c["from"] != "onset")]
        cnt = float(r["count"].iloc[0]) if len(r) else 0.0
        share = float(r["met_share"].iloc[0]) if len(r) and cnt else 0.0
        met.append(share * cnt)
        n.append(cnt)
    inc = res["incidents"]
    inc = inc[inc["district_id"] == YUZHONG]
    idx = city.roads._node_index
    node = np.array([idx[n] for n in inc["node_id"]], np.int64)
    per = np.array([period_of(t) for t in inc["alarm_s"]], np.int64)
    d = np.array([due[p][:, j] for p, j in zip(per, node)]).reshape(-1, 3)
    arm.due.append(np.nanmean(np.where(np.isfinite(d), d, np.nan), axis=0))
    return len(inc)


def run_pairs(
    city: City, base_sc: Scenario, shut_sc: Scenario, seeds: list[int], every: int = 5
) -> tuple[Arm, Arm]:
    """Both arms, seed by seed (a pair at a time: a cut-short run still gives pairs); the
    differences so far are printed every ``every`` pairs."""
    due_b, due_s = due_tables(city, base_sc), due_tables(city, shut_sc)
    base, shut = Arm([], [], [], [], []), Arm([], [], [], [], [])
    for i, s in enumerate(seeds, 1):
        t0 = time.perf_counter()
        nb = _one(city, base_sc, s, due_b, base)
        ns = _one(city, shut_sc, s, due_s, shut)
        print(
            f"    seed {s}: Yuzhong incidents {nb} / {ns} ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
        if i % every == 0 or i == len(seeds):
            print(f"  after {i} pairs:", flush=True)
            for line in report(base, shut):
                print("    " + line, flush=True)
    return base, shut


def fmt(i: Interval, unit: str = "s", scale: float = 1.0) -> str:
    return f"{i.estimate * scale:+.1f} {unit} [{i.low * scale:+.1f}, {i.high * scale:+.1f}] ({i.method}, n={i.n})"


def report(base: Arm, shut: Arm) -> list[str]:
    """Lines with the paired differences (bridges closed − baseline)."""
    lines = []
    for label, (mo, no, mb, nb) in (
        ("5min", (shut.met5, shut.n5, base.met5, base.n5)),
        ("full", (shut.metfull, shut.nfull, base.metfull, base.nfull)),
    ):
        pb = sum(mb) / max(sum(nb), 1)
        po = sum(mo) / max(sum(no), 1)
        i = share_difference(np.array(mo), np.array(no), np.array(mb), np.array(nb))
        lines.append(f"Yuzhong {label}: {pb:.1%} → {po:.1%}, difference {fmt(i, 'pp', 100)}")
    for k, name in enumerate(("1st-due", "2nd-due", "3rd-due")):
        b = np.array([d[k] for d in base.due])
        o = np.array([d[k] for d in shut.due])
        i = paired_t(o - b)
        lines.append(
            f"Yuzhong {name} road time: {np.nanmean(b):.0f} s → {np.nanmean(o):.0f} s, difference {fmt(i)}"
        )
    return lines
