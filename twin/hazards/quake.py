"""Earthquakes as timeline events: damaged bridges and tunnels, broken pipes, collapses
and fires.

Pure: reads a :class:`~twin.model.city.City` and a scenario ``Earthquake`` and returns a
:class:`~twin.hazards.timeline.Timeline`, drawing randomness only from the generator it
is given. Shaking: :mod:`twin.hazards.ground_motion` (BA08); damage:
:mod:`twin.hazards.fragility` (HAZUS, ALA 2001).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.hazards.fragility import (
    BREAK_SHARE,
    BREAKS_PER_CREW_DAY,
    BRIDGE_BETA,
    BRIDGE_CLASSES,
    BUILDING_BETA,
    BUILDING_COMPLETE_PGA_G,
    BUILDING_EXTENSIVE_PGA_G,
    CLOSE_FROM_STATE,
    COLLAPSE_SHARE_OF_COMPLETE,
    FIRE_IGNITIONS_PER_100K,
    LEAKS_PER_CREW_DAY,
    MAJOR_BRIDGE_M,
    MIN_SHAKING_PGA_G,
    PEOPLE_PER_BUILDING,
    REPAIR_CREWS,
    RESCUE_SHARE_OF_EXTENSIVE,
    STRUCTURE_RESTORATION_DAYS,
    TUNNEL_BETA,
    TUNNEL_CLASSES,
    damage_states,
    exceedance,
    pipe_repair_rate_per_km,
)
from twin.hazards.ground_motion import VS30_M_S, shaking_at
from twin.hazards.lifelines import REPAIR_TIME, pipe_failure_events
from twin.hazards.timeline import ClosureEvent, OutageEvent, ScheduledIncident, Timeline
from twin.model.city import City
from twin.model.pipe_roads import pipe_midpoints
from twin.model.pipes import pipe_network, population_points
from twin.scenario.spec import Earthquake

HOUR = 3600.0
DAY = 86400.0

COLLAPSE_CALL_WINDOW_S = 15 * 60.0
"""Collapses are reported uniformly within this window after the shock (assumption)."""
FIRE_ONSET_MEAN_S = 2 * HOUR
"""Post-earthquake ignitions: exponential onset delay with this mean (most in the first
hours; Scawthorn et al. 2005)."""
QUAKE_LEAK_DELAY_S = 30 * 60.0
"""Pipe damage is reported uniformly within this window after the shock (assumption)."""


def structures(city: City, kind: str) -> pd.DataFrame:
    """Bridges or tunnels (``kind`` = "bridge" | "tunnel") as structures: edges grouped by
    name (unnamed edges each on their own), with the structure's edges, length and centre."""
    e = city.road_edges
    idx = np.flatnonzero(e[kind].to_numpy(bool))
    if len(idx) == 0:
        return pd.DataFrame({"key": [], "name": [], "edges": [], "length_m": [], "x": [], "y": []})
    names = e["name"].astype(str).to_numpy(dtype=object)[idx]
    keys = np.where(names != "", names, e["edge_id"].astype(str).to_numpy(dtype=object)[idx])
    mids = e.geometry.values[idx].interpolate(0.5, normalized=True)
    frame = pd.DataFrame(
        {
            "key": keys,
            "name": names,
            "edge": idx,
            "length_m": e["length_m"].to_numpy(float)[idx],
            "x": mids.x,
            "y": mids.y,
        }
    )
    g = frame.groupby("key", sort=True)
    return pd.DataFrame(
        {
            "key": g.size().index,
            "name": g["name"].first().to_numpy(),
            "edges": g["edge"].apply(lambda s: tuple(int(v) for v in s)).to_numpy(),
            "length_m": g["length_m"].sum().to_numpy(),
            "x": g["x"].mean().to_numpy(),
            "y": g["y"].mean().to_numpy(),
        }
    )


def bridge_class(length_m: np.ndarray) -> np.ndarray:
    """HAZUS class of each bridge structure from its length."""
    return np.where(np.asarray(length_m) >= MAJOR_BRIDGE_M, "HWB1", "HWB10")


def earthquake_timeline(
    city: City, quake: Earthquake, run_s: float, rng: np.random.Generator
) -> Timeline:
    """Damage and incidents of one earthquake (``quake``: a scenario ``Earthquake``)."""
    t0 = quake.t_h * HOUR
    if t0 >= run_s:
        return Timeline(notes=(f"earthquake at {quake.t_h} h comes after the run ends",))
    epi = city.xy_from_lonlat(quake.lon, quake.lat)
    m = quake.magnitude
    notes = [
        f"earthquake M{m:g} at {quake.lon:.3f}E {quake.lat:.3f}N, depth "
        f"{quake.depth_km:g} km; ground motion Boore & Atkinson (2008), "
        f"Vs30 {VS30_M_S:g} m/s"
    ]
    if quake.depth_km > 25:
        notes.append(
            "earthquake deeper than 25 km: BA08 is fitted to shallow crustal events; "
            "shaking may be overestimated"
        )
    closures: list[ClosureEvent] = []
    incidents: list[ScheduledIncident] = []
    outages: list[OutageEvent] = []

    # bridges (Sa 1 s) and tunnels (PGA)
    for kind in ("bridge", "tunnel"):
        s = structures(city, kind)
        if len(s) == 0:
            continue
        shake = shaking_at(s[["x", "y"]].to_numpy(float), epi, m)
        u = rng.random(len(s))
        if kind == "bridge":
            cls = bridge_class(s["length_m"].to_numpy())
            state = np.zeros(len(s), np.int64)
            for c in np.unique(cls):
                sel = cls == c
                state[sel] = damage_states(shake.sa1[sel], BRIDGE_CLASSES[c], BRIDGE_BETA, u[sel])
        else:
            state = damage_states(shake.pga, TUNNEL_CLASSES["HTU1"], TUNNEL_BETA, u)
        labels = {1: "slight", 2: "moderate", 3: "extensive", 4: "complete"}
        for i in np.flatnonzero(state >= CLOSE_FROM_STATE):
            ds = int(state[i])
            days = STRUCTURE_RESTORATION_DAYS[min(ds, 4)]
            name = str(s["name"].iat[i]) or str(s["key"].iat[i])
            closures.append(
                ClosureEvent(
                    tuple(s["edges"].iat[i]),
                    t0,
                    t0 + days * DAY,
                    f"earthquake: {kind} damage {labels[ds]}",
                    name,
                )
            )
        notes.append(
            f"earthquake: {int((state >= CLOSE_FROM_STATE).sum())} of {len(s)} "
            f"{kind}s damaged (≥ moderate) and closed"
        )

    # buried pipes
    p_inc, p_clo, p_out, p_notes = _quake_pipes(city, epi, m, t0, run_s, rng)
    incidents += p_inc
    closures += p_clo
    outages += p_out
    notes += p_notes

    # buildings: collapses (technical rescue) and fires
    incidents += _quake_buildings(city, epi, m, t0, rng)
    notes.append(building_loss_note(building_loss_range(city, epi, m)))
    counts = {
        k: sum(1 for i in incidents if i.type == k and i.cause == "earthquake")
        for k in ("building_collapse", "technical_rescue", "building_fire")
    }
    notes.append("earthquake: " + ", ".join(f"{v} {k}" for k, v in counts.items()))

    incidents = [i for i in incidents if i.onset_s < run_s]
    closures = [c for c in closures if c.start_s < run_s]  # pipe cordons up to 30 min late
    return Timeline(
        incidents=tuple(sorted(incidents, key=lambda i: i.onset_s)),
        closures=tuple(sorted(closures, key=lambda c: c.start_s)),
        outages=tuple(outages),
        notes=tuple(notes),
    )


def _quake_pipes(
    city: City, epi: np.ndarray, m: float, t0: float, run_s: float, rng: np.random.Generator
) -> tuple[list[ScheduledIncident], list[ClosureEvent], list[OutageEvent], list[str]]:
    """Pipe repairs from PGV (ALA 2001) → outages per network, leak/burst incidents and the
    road closures around them."""
    incidents: list[ScheduledIncident] = []
    closures: list[ClosureEvent] = []
    outages: list[OutageEvent] = []
    notes: list[str] = []
    pipes = city.pipes
    for network in ("water", "gas", "drainage"):
        net = pipe_network(city, network)
        if net.n_pipes == 0:
            continue
        mids = pipe_midpoints(city, net.pipe_rows)
        shake = shaking_at(mids, epi, m)
        materials = pipes["material"].to_numpy(dtype=object)[net.pipe_rows]
        rr = pipe_repair_rate_per_km(shake.pgv, materials)
        repairs = rng.poisson(rr * net.length_m / 1000.0)
        damaged = repairs > 0
        n_rep = int(repairs.sum())
        if n_rep == 0:
            notes.append(f"earthquake: no {network} pipe repairs")
            continue
        breaks = rng.binomial(repairs, BREAK_SHARE)
        leaks = repairs - breaks
        crew_days = breaks.sum() / BREAKS_PER_CREW_DAY + leaks.sum() / LEAKS_PER_CREW_DAY
        days = crew_days / REPAIR_CREWS
        end = t0 + max(days * DAY, REPAIR_TIME[network][0])
        out = net.out_mask(damaged)
        imp = net.impact(out)
        ids = net.pipe_ids[damaged]
        outages.append(
            OutageEvent(
                network,
                ",".join(map(str, ids)),
                t0,
                end,
                imp.junctions_out,
                imp.people_out,
                imp.districts,
                "earthquake",
            )
        )
        notes.append(
            f"earthquake: {n_rep} {network} pipe repairs on {int(damaged.sum())} pipes "
            f"({int(breaks.sum())} breaks); {imp.junctions_out} junctions and "
            f"{imp.people_out:.0f} people out for {days:.1f} days"
        )
        # emergencies: every gas pipe with a repair leaks; water pipes with a break burst
        if network == "gas":
            emergency = damaged
        elif network == "water":
            emergency = breaks > 0
        else:
            emergency = np.zeros(net.n_pipes, bool)
        k = np.flatnonzero(emergency)
        if len(k):
            onset = t0 + rng.uniform(0, QUAKE_LEAK_DELAY_S, len(k))
            inc, clo = pipe_failure_events(city, net.pipe_rows[k], onset, rng, cause="earthquake")
            incidents += inc
            closures += clo
    return incidents, closures, outages, notes


def _quake_buildings(
    city: City, epi: np.ndarray, m: float, t0: float, rng: np.random.Generator
) -> list[ScheduledIncident]:
    """Building collapses (``building_collapse``), entrapments (``technical_rescue``) and
    fires (``building_fire``) around the epicentre, Poisson per population point with means
    scaled by its people and its PGA."""
    pts, pop, _ = population_points(city)
    if len(pts) == 0:
        return []
    shake = shaking_at(pts, epi, m)
    pga = np.where(shake.pga >= MIN_SHAKING_PGA_G, shake.pga, 0.0)
    buildings = pop / PEOPLE_PER_BUILDING
    p_complete = exceedance(pga, BUILDING_COMPLETE_PGA_G, BUILDING_BETA)
    p_extensive = exceedance(pga, BUILDING_EXTENSIVE_PGA_G, BUILDING_BETA)
    collapses = rng.poisson(buildings * p_complete * COLLAPSE_SHARE_OF_COMPLETE)
    p_trapped = np.maximum(p_extensive - p_complete * COLLAPSE_SHARE_OF_COMPLETE, 0.0)
    rescues = rng.poisson(buildings * p_trapped * RESCUE_SHARE_OF_EXTENSIVE)
    fires = rng.poisson(FIRE_IGNITIONS_PER_100K * pga**2 * pop / 1e5)
    nodes, _ = city.roads.snap(pts)
    out: list[ScheduledIncident] = []
    trapped = "people trapped in a damaged building"
    for kind, counts, label in (
        ("building_collapse", collapses, "building collapse"),
        ("technical_rescue", rescues, trapped),
    ):
        at = np.repeat(nodes, counts)
        for t, k in zip(t0 + rng.uniform(0, COLLAPSE_CALL_WINDOW_S, len(at)), at):
            out.append(ScheduledIncident(float(t), kind, int(k), "earthquake", label=label))
    at = np.repeat(nodes, fires)
    for t, k in zip(t0 + rng.exponential(FIRE_ONSET_MEAN_S, len(at)), at):
        out.append(
            ScheduledIncident(
                float(t), "building_fire", int(k), "earthquake", label="fire following earthquake"
            )
        )
    return out


LOSS_MEDIAN_RANGE = (0.7, 1.4)
"""Factors on the complete-damage median PGA (0.80 g) spanning plausible building stocks
(assumption: from well-engineered post-2008 towers to older unreinforced masonry)."""
LOSS_SHARE_RANGE = (0.05, 0.25)
"""Range of the collapsed share of completely damaged buildings (HAZUS uses 0.03–0.25 by
structure type; the twin's 0.13 is a generic mix)."""


def building_loss_range(city: City, epi: np.ndarray, m: float) -> dict[str, float]:
    """Expected building collapses (no random draw) at the twin's fragility, and the low and
    high ends over :data:`LOSS_MEDIAN_RANGE` × :data:`LOSS_SHARE_RANGE`; the people in
    shaken places (PGA ≥ the minimum) and collapses per 100 000 of them (an index).

    Not bounded against documented earthquakes: figures for Wenchuan 2008, Lushan 2013,
    Luding 2022 and Christchurch 2011 could not be checked offline, so the counts are a
    model's, to be read as a range or an index, not as a forecast."""
    pts, pop, _ = population_points(city)
    if len(pts) == 0:
        return {"expected": 0.0, "low": 0.0, "high": 0.0, "people": 0.0, "per_100k": 0.0}
    pga = shaking_at(pts, epi, m).pga
    shaken = pga >= MIN_SHAKING_PGA_G
    buildings = pop[shaken] / PEOPLE_PER_BUILDING

    def expected(median_factor: float, share: float) -> float:
        p = exceedance(pga[shaken], BUILDING_COMPLETE_PGA_G * median_factor, BUILDING_BETA)
        return float((buildings * p).sum() * share)

    lo_f, hi_f = LOSS_MEDIAN_RANGE
    lo_s, hi_s = LOSS_SHARE_RANGE
    people = float(pop[shaken].sum())
    mid = expected(1.0, COLLAPSE_SHARE_OF_COMPLETE)
    return {
        "expected": mid,
        "low": expected(hi_f, lo_s),
        "high": expected(lo_f, hi_s),
        "people": people,
        "per_100k": mid / people * 1e5 if people else 0.0,
    }


def building_loss_note(loss: dict[str, float]) -> str:
    """The building-loss range as a timeline note (say what it is and is not)."""
    return (
        f"earthquake building loss (model, not bounded against documented earthquakes — "
        f"their figures could not be checked offline; read as a range or an index): "
        f"expected collapses {loss['expected']:.0f}, range {loss['low']:.0f}–{loss['high']:.0f}"
        f" over the fragility's plausible parameters; index {loss['per_100k']:.1f} collapses "
        f"per 100 000 of the {loss['people']:.0f} people in shaken places"
    )
