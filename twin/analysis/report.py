"""Terminal reports (rich tables): the city summary and the 10/30/60 compliance table."""

from __future__ import annotations

import math

import pandas as pd
from rich.console import Console, JustifyMethod
from rich.table import Table

from twin.analysis.compliance import primary_rows
from twin.analysis.targets import PRIMARY

TARGET_LABELS = {t.name: t.label for t in PRIMARY}
"""Every registered target at its primary origin (the headline three first)."""


def minutes(seconds: float) -> str:
    """Seconds as minutes with one decimal ('–' for missing)."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    return f"{seconds / 60:.1f}"


def city_summary_table(summary: dict) -> Table:
    """A table of :meth:`twin.City.summary` figures."""
    t = Table(title=f"City twin: {summary['name']}", show_header=False)
    t.add_column("what")
    t.add_column("value", justify="right")
    t.add_row("districts (study area)", str(summary["districts"]))
    source = summary.get("population_source", "not stated")
    estimate = " — an ESTIMATE" if summary.get("population_estimate") else ""
    t.add_row(f"population ({source}{estimate})", f"{summary['population']:,}")
    t.add_row("road nodes / edges", f"{summary['road_nodes']:,} / {summary['road_edges']:,}")
    t.add_row("road length", f"{summary['road_km']:,} km")
    t.add_row("bridge / tunnel edges", f"{summary['bridges']:,} / {summary['tunnels']:,}")
    if "bridge_names" in summary:
        t.add_row(
            "bridge / tunnel names", f"{summary['bridge_names']:,} / {summary['tunnel_names']:,}"
        )
    for net, km in summary["pipes_km"].items():
        t.add_row(f"{net} pipes", f"{km:,} km")
    for force, n in summary["stations"].items():
        t.add_row(f"{force} stations (units)", f"{n:,} ({summary['units'].get(force, 0):,})")
    return t


def compliance_table(
    compliance: pd.DataFrame,
    scope: str = "city",
    title: str = "Response targets (5 min: from the dispatch order; others: from the alarm)",
) -> Table:
    """The 10/30/60 table for one scope ('city', 'district:<id>', ...): count, share met,
    mean, p50, p90, p95 (minutes)."""
    t = Table(title=title)
    columns: list[tuple[str, JustifyMethod]] = [
        ("target", "left"),
        ("incidents", "right"),
        ("met", "right"),
        ("mean", "right"),
        ("p50", "right"),
        ("p90", "right"),
        ("p95", "right"),
    ]
    for col, justify in columns:
        t.add_column(col, justify=justify)
    compliance = primary_rows(compliance)
    rows = compliance[compliance["scope"] == scope]
    for target, label in TARGET_LABELS.items():
        r = rows[rows["target"] == target]
        if r.empty:
            continue
        r = r.iloc[0]
        share = r["met_share"]
        colour = "green" if share >= 0.9 else "yellow" if share >= 0.75 else "red"
        met = "–" if pd.isna(share) else f"[{colour}]{share:.1%}[/{colour}]"
        t.add_row(
            label,
            f"{int(r['count']):,}",
            met,
            minutes(r["mean_s"]),
            minutes(r["p50_s"]),
            minutes(r["p90_s"]),
            minutes(r["p95_s"]),
        )
    t.caption = "times in minutes; share met = arrivals within the target / incidents that need it"
    return t


def district_table(
    compliance: pd.DataFrame, names: dict[str, str], target: str = "30min", top: int | None = None
) -> Table:
    """Share of incidents meeting ``target`` per district, worst first."""
    compliance = primary_rows(compliance)
    rows = compliance[
        (compliance["target"] == target) & compliance["scope"].str.startswith("district:")
    ].copy()
    rows = rows.sort_values(["met_share", "scope"])
    if top is not None:
        rows = rows.head(top)
    t = Table(title=f"{TARGET_LABELS.get(target, target)}: by district (worst first)")
    for col in ("district", "incidents", "met", "p50", "p90"):
        t.add_column(col, justify="left" if col == "district" else "right")
    for r in rows.itertuples(index=False):
        did = r.scope.split(":", 1)[1]
        t.add_row(
            names.get(did, did),
            f"{int(r.count):,}",
            "–" if pd.isna(r.met_share) else f"{r.met_share:.1%}",
            minutes(r.p50_s),
            minutes(r.p90_s),
        )
    return t


def print_tables(*tables: Table, console: Console | None = None) -> None:
    console = console or Console()
    for t in tables:
        console.print(t)
