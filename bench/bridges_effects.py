"""Bridges closed against the baseline: peak travel times on the crossings, and Yuzhong's cover.

Used by ``bench/scenario_effects.py --only-bridges`` (``--bridges-seeds N``). Each arm is
prepared once (``measures_common.scenario_replicator``: applied city, engine, travel-time
tables) and every seed reuses it; a run computes the incidents and compliance tables as
``run_scenario`` does, without the seed-independent coverage table. Three parts:

- **peak travel times** (deterministic) on the network emergency vehicles use in each arm
  (the scenario's traffic model: the fixed table by default, or ``[traffic] model =
  "assigned"``): the closed bridges, the remaining river crossings (bridges joining two
  districts, not closed) and Yuzhong's land exits (non-bridge edges with one end in 渝中,
  500103) — free-flow and peak seconds, summed over the group's edges; and the peak road
  time from Yuzhong's centre to its neighbours' centres (the detour the closure forces);
- **diverted flows** (assigned model only, the peak assignments, cached): flow (veh/h, both
  directions), general-traffic peak time and multipliers of the same groups (with no seeds
  asked for, only these two assignments are computed, not the arms' six);
- **response** over paired seeds (common random numbers: the same seeds in both arms): per
  seed, Yuzhong's ``5min`` (first fire vehicle within 5 min of dispatch) and ``full`` (whole
  first assignment within 30 min) shares, and the mean 1st-, 2nd- and 3rd-due fire-station
  road times (s) at Yuzhong's incidents, in the period and on the network (traffic and
  closures) of the arm; 95 % intervals of the paired differences (twin.analysis.paired).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from measures_common import Replicator, past

from twin.analysis.paired import Interval, paired_t, share_difference
from twin.hazards.regimes import conditions_at
from twin.model.city import City
from twin.model.roads import PERIODS, RoadNetwork, period_of, shortest_times
from twin.model.traffic import assign_period
from twin.scenario.spec import Scenario

YUZHONG = "500103"
NEIGHBOURS = ("500105", "500108", "500106", "500107")
"""Jiangbei (across the Jialing), Nan'an (across the Yangtze), Shapingba and Jiulongpo (by
land to the west)."""


def arm_network(arm: Replicator) -> tuple[RoadNetwork, np.ndarray | None]:
    """The network emergency vehicles use in the arm at t = 0 (its traffic model's factors)
    and the arm's closed edges then (None: none)."""
    city, traffic = arm.applied(), arm.config.traffic
    net = city.roads
    if traffic is not None:
        net = net.with_congestion(traffic.regimes[0].factors if traffic.regimes else traffic.base)
    return net, conditions_at(city, arm.scenario, 0.0).closed


def crossing_groups(city: City, closed: np.ndarray | None) -> pd.Series:
    """Per edge: "closed bridges", "remaining crossings", "land exits" or "" (other)."""
    net = city.roads
    did = city.road_nodes["district_id"].astype(str).to_numpy(object)
    du, dv = did[net.edge_u], did[net.edge_v]
    bridge = city.road_edges["bridge"].to_numpy(bool)
    shut = np.zeros(len(bridge), bool) if closed is None else closed
    group = np.full(len(bridge), "", object)
    exits = ((du == YUZHONG) != (dv == YUZHONG)) & ~bridge
    group[exits] = "land exits"
    group[bridge & (du != dv) & ~shut] = "remaining crossings"
    group[shut] = "closed bridges"
    return pd.Series(group)


def centre_nodes(city: City, districts: tuple[str, ...]) -> np.ndarray:
    """Per district: the road node nearest the mean position of the district's nodes."""
    did = city.road_nodes["district_id"].astype(str).to_numpy(object)
    xy = city.roads.xy
    return np.array([city.roads.snap(xy[did == d].mean(axis=0))[0][0] for d in districts])


def peak_times(base: Replicator, shut: Replicator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(crossing groups, detours): peak seconds per arm (module docstring)."""
    city = base.applied()
    nets = {"baseline": arm_network(base), "bridges closed": arm_network(shut)}
    groups = crossing_groups(city, nets["bridges closed"][1])
    rows = []
    for g in ("closed bridges", "remaining crossings", "land exits"):
        k = np.flatnonzero(groups.to_numpy() == g)
        free = city.roads.edge_time_s[k]
        for arm, (net, closed) in nets.items():
            peak = net.edge_times("peak", closed)[k]
            open_ = np.isfinite(peak)
            rows.append(
                {
                    "group": g,
                    "arm": arm,
                    "edges_open": f"{open_.sum()}/{len(k)}",
                    "km": float(city.road_edges["length_m"].to_numpy()[k].sum() / 1000),
                    "free_flow_s": float(free[open_].sum()),
                    "peak_s": float(peak[open_].sum()),
                    "peak_x": float(peak[open_].sum() / max(free[open_].sum(), 1e-9)),
                }
            )
    ids = (YUZHONG, *NEIGHBOURS)
    centre = centre_nodes(city, ids)
    names = city.districts.set_index(city.districts["district_id"].astype(str))["name"]
    det = {"to": [str(names.get(d, d)) for d in NEIGHBOURS]}
    for arm, (net, closed) in nets.items():
        m = net.matrix(net.edge_times("peak", closed))
        out = shortest_times(m, centre[:1])[0, centre[1:]]
        back = shortest_times(m, centre[:1], reverse=True)[0, centre[1:]]
        det[f"{arm}: out s"], det[f"{arm}: back s"] = out, back
    return pd.DataFrame(rows), pd.DataFrame(det)


def flow_table(city: City, shut: Scenario) -> pd.DataFrame:
    """Assigned model only: peak flows (veh/h, both directions), general-traffic peak time
    (s, summed over the open edges) and the general and emergency multipliers (weighted by
    free-flow time × flow) of the crossing groups, baseline vs ``shut``'s closures."""
    cond = conditions_at(city, shut, 0.0)
    groups = crossing_groups(city, cond.closed).to_numpy()
    arms = {
        "baseline": assign_period(city, "peak"),
        "bridges closed": assign_period(city, "peak", cond),
    }
    for label, tr in arms.items():
        print(
            f"  peak assignment, {label}: {tr.backend}, {tr.wall_s:.1f} s (0 = cached), "
            f"relative gap {tr.rgap:.1e}",
            flush=True,
        )
    rows = []
    for g in ("closed bridges", "remaining crossings", "land exits"):
        k = np.flatnonzero(groups == g)
        t0 = city.roads.edge_time_s[k]
        for label, tr in arms.items():
            flow = tr.flow_vph[k].sum(axis=1)
            open_ = (
                np.ones(len(k), bool)
                if label == "baseline" or cond.closed is None
                else ~cond.closed[k]
            )
            wt = t0 * (flow + 1e-9)
            rows.append(
                {
                    "group": g,
                    "arm": label,
                    "flow_vph": float(flow[open_].sum()),
                    "free_flow_s": float(t0[open_].sum()),
                    "general_peak_s": float((t0 * tr.general[k])[open_].sum()),
                    "general_x": float(np.average(tr.general[k], weights=wt))
                    if open_.any()
                    else np.nan,
                    "emergency_x": float(np.average(tr.emergency[k], weights=wt))
                    if open_.any()
                    else np.nan,
                }
            )
    return pd.DataFrame(rows)


@dataclass
class Arm:
    """Per-seed figures of one arm: counts met and counted for ``5min`` and ``full``, and
    the mean 1st/2nd/3rd-due road times (s)."""

    met: dict[str, list[float]] = field(default_factory=lambda: {"5min": [], "full": []})
    n: dict[str, list[float]] = field(default_factory=lambda: {"5min": [], "full": []})
    due: list[np.ndarray] = field(default_factory=list)


def due_tables(arm: Replicator) -> list[np.ndarray]:
    """Per period: fire stations' road times (s) to every node, sorted (row k = (k+1)-due),
    on the arm's network (its traffic and its closures at t = 0)."""
    net, closed = arm_network(arm)
    stations = arm.applied().stations
    st = stations[stations["force"] == "fire"]
    nodes, _ = net.snap(np.column_stack([st.geometry.x, st.geometry.y]))
    out = []
    for p in PERIODS:
        t = shortest_times(net.matrix(net.edge_times(p, closed)), np.unique(nodes))
        out.append(np.sort(t, axis=0)[:3])
    return out


def _one(rep: Replicator, seed: int, due: list[np.ndarray], arm: Arm) -> int:
    """One run of the arm with ``seed``: Yuzhong's figures appended to ``arm``."""
    res = rep.run(rep.config, rep.scenario.with_(seed=seed), keep_incidents=True)
    c = res.compliance
    for target in ("5min", "full"):
        sel = (c["scope"] == f"district:{YUZHONG}") & (c["target"] == target)
        r = c[sel & (c["from"] != "onset")]
        cnt = float(r["count"].iloc[0]) if len(r) else 0.0
        share = float(r["met_share"].iloc[0]) if len(r) and cnt else 0.0
        arm.met[target].append(share * cnt)
        arm.n[target].append(cnt)
    assert res.incidents is not None
    inc = res.incidents[res.incidents["district_id"] == YUZHONG]
    idx = rep.applied().roads._node_index
    node = np.array([idx[n] for n in inc["node_id"]], np.int64)
    per = np.array([period_of(t) for t in inc["alarm_s"]], np.int64)
    d = np.array([due[p][:, j] for p, j in zip(per, node)]).reshape(-1, 3)
    arm.due.append(np.nanmean(np.where(np.isfinite(d), d, np.nan), axis=0))
    return len(inc)


def run_pairs(
    base_prep: Replicator, shut_prep: Replicator, seeds: list[int], deadline: str | None = None
) -> tuple[Arm, Arm]:
    """Both arms, a pair of runs per seed (a cut-short run still gives pairs); no new pair
    is started after ``deadline`` ("HH:MM" UTC; at least two pairs are run)."""
    due_b, due_s = due_tables(base_prep), due_tables(shut_prep)
    base, shut = Arm(), Arm()
    for i, s in enumerate(seeds):
        if i >= 2 and past(deadline):
            print(f"  [deadline {deadline} UTC: stopped after {i} of {len(seeds)} pairs]")
            break
        t0 = time.perf_counter()
        nb = _one(base_prep, s, due_b, base)
        ns = _one(shut_prep, s, due_s, shut)
        print(
            f"    seed {s}: Yuzhong incidents {nb} / {ns} ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
    return base, shut


def fmt(i: Interval, unit: str = "s", scale: float = 1.0) -> str:
    """``+d unit [low, high] (method, n=…)``."""
    return (
        f"{i.estimate * scale:+.1f} {unit} [{i.low * scale:+.1f}, {i.high * scale:+.1f}] "
        f"({i.method}, n={i.n})"
    )


def report(base: Arm, shut: Arm) -> list[str]:
    """Lines with the paired differences (bridges closed − baseline)."""
    lines = []
    for target in ("5min", "full"):
        mb, nb = np.array(base.met[target]), np.array(base.n[target])
        mo, no = np.array(shut.met[target]), np.array(shut.n[target])
        i = share_difference(mo, no, mb, nb)
        lines.append(
            f"Yuzhong {target}: {mb.sum() / max(nb.sum(), 1):.1%} → {mo.sum() / max(no.sum(), 1):.1%} "
            f"({nb.sum():.0f} / {no.sum():.0f} incidents), difference {fmt(i, 'pp', 100)}"
        )
    for k, name in enumerate(("1st-due", "2nd-due", "3rd-due")):
        b = np.array([d[k] for d in base.due])
        o = np.array([d[k] for d in shut.due])
        lines.append(
            f"Yuzhong {name} road time: {np.nanmean(b):.0f} s → {np.nanmean(o):.0f} s, "
            f"difference {fmt(paired_t(o - b))}"
        )
    return lines
