"""What ``twin site`` writes: the scenario TOML with the chosen stations, the budget table
and its plot."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from twin.model.city import City
from twin.siting.models import Solution
from twin.siting.problem import SitingProblem


def chosen_sites(
    p: SitingProblem, sol: Solution, city: City, force: str, units: int
) -> list[dict[str, object]]:
    """One dict per chosen site: id, node, lon/lat (WGS84), district, units."""
    net = city.roads
    nodes = p.candidate_node[sol.chosen]
    lonlat = city.lonlat_from_xy(net.xy[nodes]) if len(nodes) else np.empty((0, 2))
    districts = city.road_nodes["district_id"].astype(str).to_numpy()
    prefix = {
        "fire": "fire",
        "community": "comm",
        "professional": "prof",
        "social": "soc",
        "air": "air",
    }.get(force, force)
    return [
        {
            "station_id": f"{prefix}-site-{i + 1}",
            "node_id": str(net.node_ids[n]),
            "lon": round(float(lonlat[i, 0]), 6),
            "lat": round(float(lonlat[i, 1]), 6),
            "district_id": str(districts[n]),
            "units": units,
        }
        for i, n in enumerate(nodes)
    ]


def scenario_toml(
    base_name: str,
    sites: list[dict[str, object]],
    force: str,
    sol: Solution,
    minutes: float,
    period: str,
    days: float,
    seed: int,
    moved: tuple[str, ...] = (),
) -> str:
    """A scenario file adding ``sites`` (stations of ``force``), or with ``moved`` (existing
    station ids, one per site) moving those stations there; with how they were found."""
    head = [
        f"# {len(sites)} new {force} station(s) proposed by `twin site` ({sol.objective}, "
        f"{minutes:g} min, {period} road times).",
        f"# Optimiser: people within {minutes:g} min {sol.covered_before:,.0f} -> "
        f"{sol.covered_after:,.0f} (+{sol.coverage_gain:,.0f}).",
        "# Coordinates are WGS84 (Chinese map apps show GCJ-02, offset by a few hundred metres).",
        "# Check it: twin compare scenarios/baseline.toml THIS.toml --replications 20",
        "",
        f'name = "{base_name}"',
        f'description = "{len(sites)} new {force} station(s) sited by {sol.objective}"',
        f"seed = {seed}",
        f"days = {days:g}",
    ]
    if moved:
        head.insert(
            4,
            "# Moves chosen by a heuristic: the least-needed stations first, then "
            "the best new places for them.",
        )
    for i, s in enumerate(sites):
        if moved:
            head += [
                "",
                "[[stations.move]]",
                f'station_id = "{moved[i]}"',
                f"lon = {s['lon']}",
                f"lat = {s['lat']}",
            ]
            continue
        head += [
            "",
            "[[stations.add]]",
            f'station_id = "{s["station_id"]}"',
            f'force = "{force}"',
            f'name = "{s["station_id"]} (proposed)"',
            f"lon = {s['lon']}",
            f"lat = {s['lat']}",
            f"units = {s['units']}",
        ]
    return "\n".join(head) + "\n"


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` via a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def budget_table(solutions: list[Solution], minutes: float) -> pd.DataFrame:
    """k, people newly covered, marginal gain, mean time (min), solve time (s)."""
    rows = []
    prev = 0.0
    for k, s in enumerate(solutions, start=1):
        rows.append(
            {
                "k": k,
                "covered_gain": s.coverage_gain,
                "marginal_gain": s.coverage_gain - prev,
                "mean_min": s.mean_s_after / 60,
                "solve_s": s.solve_s,
                "minutes": minutes,
            }
        )
        prev = s.coverage_gain
    return pd.DataFrame(rows)


def budget_plot(table: pd.DataFrame, path: Path, force: str, minutes: float) -> Path:
    """PNG of people newly within ``minutes`` against k (matplotlib, Agg)."""
    import matplotlib  # noqa: PLC0415 — plotting loaded on use

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415 — plotting loaded on use

    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=120)
    ax.plot(table["k"], table["covered_gain"] / 1000, marker="o", color="#c0392b")
    ax.set_xlabel(f"new {force} stations (k)")
    ax.set_ylabel(f"people newly within {minutes:g} min (thousands)")
    ax.set_xticks(table["k"])
    ax.grid(alpha=0.3)
    ax.set_title("Budget view: where returns diminish")
    fig.tight_layout()
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.png")
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)
    return path


def sites_json(sites: list[dict[str, object]]) -> str:
    """The sites as JSON (for other tools)."""
    return json.dumps(sites, ensure_ascii=False, indent=2)


def sites_map(p: SitingProblem, sol: Solution, city: City, path: Path, minutes: float) -> Path:
    """PNG map (city metres): demand points sized by people, grey where already within
    ``minutes`` of an existing station, red where newly covered; existing and new stations."""
    import matplotlib  # noqa: PLC0415 — plotting loaded on use

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415 — plotting loaded on use

    xy = city.roads.xy
    limit = minutes * 60.0
    new_t = (
        p.times_s[:, sol.chosen].min(axis=1)
        if len(sol.chosen)
        else np.full(len(p.demand_node), np.inf)
    )
    before = p.existing_s <= limit
    gained = ~before & (new_t <= limit)
    size = 2 + 60 * p.demand_people / max(p.demand_people.max(), 1.0)
    d = xy[p.demand_node] / 1000
    fig, ax = plt.subplots(figsize=(7, 7), dpi=120)
    for geom in city.core_districts.geometry:
        for poly in getattr(geom, "geoms", [geom]):
            x, y = poly.exterior.xy
            ax.plot(np.asarray(x) / 1000, np.asarray(y) / 1000, color="#999999", lw=0.6)
    ax.scatter(
        d[~before & ~gained, 0],
        d[~before & ~gained, 1],
        s=size[~before & ~gained],
        c="#f5b041",
        alpha=0.6,
        label=f"beyond {minutes:g} min",
    )
    ax.scatter(
        d[before, 0],
        d[before, 1],
        s=size[before],
        c="#aab7b8",
        alpha=0.4,
        label=f"within {minutes:g} min today",
    )
    ax.scatter(
        d[gained, 0], d[gained, 1], s=size[gained], c="#c0392b", alpha=0.7, label="newly covered"
    )
    e = xy[p.existing_node] / 1000
    ax.scatter(e[:, 0], e[:, 1], marker="^", s=30, c="#1f618d", label=f"{p.force} stations")
    c = xy[p.candidate_node[sol.chosen]] / 1000
    ax.scatter(
        c[:, 0], c[:, 1], marker="*", s=220, c="#c0392b", edgecolors="black", label="proposed"
    )
    ax.set_aspect("equal")
    ax.set_xlabel("x (km, UTM 48N)")
    ax.set_ylabel("y (km, UTM 48N)")
    ax.legend(loc="lower right", fontsize=7)
    ax.set_title(f"Proposed {p.force} stations ({sol.objective}, {p.period})")
    fig.tight_layout()
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.png")
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)
    return path
