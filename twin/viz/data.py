"""Reading a Results folder (ARCHITECTURE.md, "Results folder") for drawing.

Files that are absent (a run without routes, a city without pipes) read as empty tables with
the documented columns, so every renderer can draw what there is. Nothing is derived here
beyond joining by id and picking rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from twin.analysis.compliance import COMPLIANCE_COLUMNS, primary_rows
from twin.analysis.metrics import ROUTE_COLUMNS
from twin.hazards.lifelines import LIFELINE_COLUMNS

INCIDENT_COLUMNS = [
    "incident_id",
    "type",
    "district_id",
    "cell_id",
    "node_id",
    "x",
    "y",
    "onset_s",
    "alarm_s",
    "detection_delay_s",
    "detected_by",
    "first_community_s",
    "first_ground_s",
    "first_air_s",
    "resp_community_s",
    "resp_ground_s",
    "resp_air_s",
    "met_10",
    "met_30",
    "met_60",
    "mutual_aid",
    "cleared_s",
]
EVENT_COLUMNS = ["t_s", "kind", "incident_id", "unit_id", "node_id", "from_district", "to_district"]
UNIT_COLUMNS = [
    "station_id",
    "force",
    "district_id",
    "units",
    "dispatches",
    "busy_s",
    "utilisation",
]
COVERAGE_COLUMNS = ["node_id", "t_ground_s", "t_community_s"]


@dataclass(frozen=True)
class RunData:
    """The tables of one Results folder, as read."""

    folder: Path
    summary: dict = field(default_factory=dict)
    incidents: pd.DataFrame = field(default_factory=lambda: _empty(INCIDENT_COLUMNS))
    events: pd.DataFrame = field(default_factory=lambda: _empty(EVENT_COLUMNS))
    routes: pd.DataFrame = field(default_factory=lambda: _empty(list(ROUTE_COLUMNS)))
    lifelines: pd.DataFrame = field(default_factory=lambda: _empty(list(LIFELINE_COLUMNS)))
    compliance: pd.DataFrame = field(default_factory=lambda: _empty(COMPLIANCE_COLUMNS))
    units: pd.DataFrame = field(default_factory=lambda: _empty(UNIT_COLUMNS))
    coverage: pd.DataFrame = field(default_factory=lambda: _empty(COVERAGE_COLUMNS))

    @property
    def scenario_name(self) -> str:
        """The scenario's name from summary.json (``""`` when absent)."""
        scen = self.summary.get("scenario")
        return str(scen.get("name", "")) if isinstance(scen, dict) else str(scen or "")

    @property
    def seed(self) -> str:
        """The run's seed as text (``""`` when absent)."""
        seed = self.summary.get("seed")
        return "" if seed is None else str(seed)

    @property
    def started(self) -> str:
        """The run's date (ISO) from summary.json (``""`` when absent)."""
        return str(self.summary.get("started") or "")


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def read_results(folder: str | Path) -> RunData:
    """Read every table of a Results folder that exists (see module docstring)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no results folder at {folder}")
    return RunData(
        folder=folder,
        summary=read_summary(folder),
        incidents=_table(folder / "incidents.parquet", INCIDENT_COLUMNS),
        events=_table(folder / "events.parquet", EVENT_COLUMNS),
        routes=_table(folder / "routes.parquet", list(ROUTE_COLUMNS)),
        lifelines=_table(folder / "lifelines.parquet", list(LIFELINE_COLUMNS)),
        compliance=_table(folder / "compliance.csv", COMPLIANCE_COLUMNS),
        units=_table(folder / "units.csv", UNIT_COLUMNS),
        coverage=_table(folder / "coverage.parquet", COVERAGE_COLUMNS),
    )


def read_summary(folder: Path) -> dict:
    """summary.json as a dict (``{}`` when absent)."""
    p = Path(folder) / "summary.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}


def _table(path: Path, columns: list[str]) -> pd.DataFrame:
    """A parquet/CSV table, with any missing documented columns added as empty."""
    if not path.exists():
        return _empty(columns)
    if path.suffix == ".csv":
        df = pd.read_csv(
            path, dtype={"scope": str, "target": str, "station_id": str, "district_id": str}
        )
    else:
        df = pd.read_parquet(path)
    for c in columns:
        if c not in df.columns:
            df[c] = pd.Series([None] * len(df), dtype="object", index=df.index)
    return df


def district_compliance(compliance: pd.DataFrame, target: str) -> pd.DataFrame:
    """The per-district rows of compliance.csv for one target, indexed by district_id."""
    c = primary_rows(compliance)
    rows = c[
        (c["target"].astype(str) == target) & c["scope"].astype(str).str.startswith("district:")
    ].copy()
    rows["district_id"] = rows["scope"].astype(str).str.slice(len("district:"))
    return rows.set_index("district_id")


def city_compliance(compliance: pd.DataFrame) -> pd.DataFrame:
    """The city-wide rows of compliance.csv, indexed by target."""
    c = primary_rows(compliance)
    return c[c["scope"].astype(str) == "city"].set_index("target")


def closures(lifelines: pd.DataFrame) -> pd.DataFrame:
    """The closure rows of lifelines.parquet, one row per closed road edge (``edge_id``).

    ``ref`` is the road ``edge_id``; a closure of several edges may list them comma-separated
    (the engine writes ``"e1,e2,…"`` for one closure of a whole stretch).
    """
    cl = lifelines[lifelines["kind"].astype(str) == "closure"].copy()
    cl["edge_id"] = cl["ref"].astype(str).str.split(",")
    cl = cl.explode("edge_id", ignore_index=True)
    cl["edge_id"] = cl["edge_id"].str.strip()
    return cl[cl["edge_id"].astype(bool)]


def coverage_series(run: RunData, column: str = "t_ground_s") -> pd.Series:
    """One column of coverage.parquet as a Series of seconds indexed by node_id."""
    cov = run.coverage
    if cov.empty or column not in cov.columns:
        return pd.Series(dtype=float)
    return pd.Series(
        pd.to_numeric(cov[column], errors="coerce").to_numpy(float),
        index=cov["node_id"].astype(str),
        name=column,
    )


def district_order(compliance: pd.DataFrame, target: str) -> list[str]:
    """District ids in the one order used everywhere: worst first by the met share for
    ``target`` (lowest first), ties by p90 response time (slowest first), then by the number
    of incidents (most first), then by id; districts without incidents last (by id)."""
    d = district_compliance(compliance, target)
    share = pd.to_numeric(d["met_share"], errors="coerce")
    count = pd.to_numeric(d["count"], errors="coerce").fillna(0)
    p90 = pd.to_numeric(d["p90_s"], errors="coerce").fillna(-1.0)
    keyed = sorted(
        d.index,
        key=lambda i: (
            count[i] <= 0 or pd.isna(share[i]),
            share[i] if count[i] > 0 else 0.0,
            -p90[i],
            -count[i],
            str(i),
        ),
    )
    return [str(i) for i in keyed]
