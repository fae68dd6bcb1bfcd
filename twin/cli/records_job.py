"""``twin run --incidents FILE``: a run driven by incident records, and its validation.

:func:`prepare` reads the records against the city and returns the trace-driven scenario
(:func:`twin.importers.records.records_scenario`); after the run, :func:`writer` adds
``validation.csv`` (simulated vs recorded response times, :mod:`twin.analysis.recorded`),
``records_used.csv`` and, when rows were skipped, ``records_skipped.csv`` to the results
folder, and :func:`print_validation` prints the comparison.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from twin.analysis.recorded import paired, validation_table
from twin.errors import Problem, TwinDataError
from twin.importers.columns import read_map
from twin.importers.records import Records, read_records, records_scenario
from twin.model.city import City
from twin.scenario.spec import Scenario


def prepare(
    scenario: Scenario,
    city: City,
    path: Path,
    map_path: Path | None,
    skip_bad: bool,
    days: float | None,
    console: Console,
) -> tuple[Scenario, Records]:
    """The records of ``path`` checked against ``city``, and ``scenario`` driven by them."""
    records = read_records(path, read_map(map_path, "incidents"), city, skip_bad=skip_bad)
    if days is not None:
        late = records.table["onset_s"] >= days * 86400.0
        if late.any():
            raise TwinDataError(
                [
                    Problem(
                        str(path),
                        f"comes after the run ends ({days:g} days)",
                        "raise --days or leave it out",
                        line=int(ln),
                    )
                    for ln in records.table.loc[late, "line"]
                ],
                title="incident records outside the run",
            )
    if records.bad:
        console.print(
            f"[yellow]skipped {len(records.bad)} bad records[/] (also in records_skipped.csv):"
        )
        for p in records.bad[:20]:
            console.print(f"  {p.where}:{p.line}: {p.what}", markup=False)
    if records.table.empty:
        raise TwinDataError.one(
            str(path),
            "no usable incident records",
            "see the rows listed above",
            title="nothing to run",
        )
    start = "" if records.start is None else f", day 0 = {records.start.date()}"
    console.print(
        f"trace-driven: {len(records.table):,} recorded incidents from {path}"
        f"{start}; random demand off"
    )
    return records_scenario(scenario, records, days), records


def writer(
    records: Records, incidents: pd.DataFrame, then: Callable[[Path], None] | None
) -> Callable[[Path], None]:
    """A results-folder writer adding the validation files for the run's ``incidents``
    table (then calling ``then``, e.g. the maps)."""

    def write(folder: Path) -> None:
        pairs = paired(records.table, incidents)
        pairs.to_csv(folder / "records_used.csv", index=False)
        validation_table(pairs).to_csv(folder / "validation.csv", index=False)
        if records.bad:
            pd.DataFrame(
                [{"line": p.line, "problem": p.what, "fix": p.fix} for p in records.bad]
            ).to_csv(folder / "records_skipped.csv", index=False)
        if then is not None:
            then(folder)

    return write


def print_validation(folder: Path, console: Console) -> None:
    """The city and district/type rows of ``validation.csv`` as a table (minutes)."""
    table = pd.read_csv(folder / "validation.csv")
    t = Table(title="Recorded vs simulated response (from the call, minutes)")
    for col in (
        "scope",
        "records",
        "pairs",
        "recorded p50",
        "simulated p50",
        "recorded p90",
        "simulated p90",
        "gap p50",
    ):
        t.add_column(col, justify="left" if col == "scope" else "right")

    def m(v: float) -> str:
        return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v / 60:.1f}"

    for r in table.itertuples(index=False):
        share = "" if pd.isna(r.gap_share) else f" ({r.gap_share:+.0%})"
        t.add_row(
            r.scope,
            str(r.records),
            str(r.pairs),
            m(r.recorded_p50_s),
            m(r.simulated_p50_s),
            m(r.recorded_p90_s),
            m(r.simulated_p90_s),
            m(r.gap_p50_s) + share,
        )
    console.print(t)
