"""Writing and reading a results folder, atomically.

A run writes everything into ``<out>.tmp-<pid>-<random>`` next to the target (the marker
file, tables, then ``summary.json``, then maps), then renames the folder into place. An
interrupted run leaves only a ``.tmp-`` folder (ignored, and removed by a later run once its
owner process is gone), never a folder that looks complete. Which targets may be written
(never a user's own folder) and the lock against two writers: :mod:`twin.analysis.outdir`. Tables go to Parquet (incidents, events, routes, lifelines, coverage)
or CSV (compliance, units) exactly as listed in ARCHITECTURE.md.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from twin.analysis.outdir import MARKER, OutputLock, check_output, clean_stale, marker_text
from twin.errors import TwinDataError

PARQUET_TABLES = ("incidents", "events", "routes", "lifelines", "coverage")
CSV_TABLES = ("compliance", "units", "mutual_aid", "sweep", "replications", "surge", "rescues")
SUMMARY = "summary.json"


@dataclass
class Results:
    """The outcome of one run: tables (DataFrames) and a JSON-able summary."""

    tables: dict[str, pd.DataFrame]
    summary: dict = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def write_results(
    results: Results,
    out_dir: str | os.PathLike,
    extra: Callable[[Path], None] | None = None,
    *,
    kind: str = "run",
) -> Path:
    """Write ``results`` to ``out_dir`` atomically; return the final path.

    ``extra(tmp_dir)`` may add files (maps, briefing) before the folder is moved into
    place. An existing ``out_dir`` is replaced only once the new one is complete, and only
    if it is a results folder (:func:`twin.analysis.outdir.check_output`; a TwinDataError
    otherwise, with nothing touched).
    """
    final = check_output(out_dir)
    with OutputLock(final):
        check_output(final)  # again, under the lock
        clean_stale(final)
        tmp = final.with_name(f"{final.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        tmp.mkdir()
        try:
            (tmp / MARKER).write_text(marker_text(kind), encoding="utf-8")
            for name, df in results.tables.items():
                _write_table(df, tmp, name)
            (tmp / SUMMARY).write_text(
                json.dumps(results.summary, ensure_ascii=False, indent=2, default=str),
                encoding="utf-8",
            )
            if extra is not None:
                extra(tmp)
            (tmp / MARKER).write_text(
                marker_text(kind, [p.name for p in tmp.iterdir() if p.name != MARKER]),
                encoding="utf-8",
            )
            _swap_into_place(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return final


def _write_table(df: pd.DataFrame, folder: Path, name: str) -> None:
    if name in CSV_TABLES:
        df.to_csv(folder / f"{name}.csv", index=False)
    else:
        df.to_parquet(folder / f"{name}.parquet", index=False, compression="zstd")


def _swap_into_place(tmp: Path, final: Path) -> None:
    """Replace ``final`` by ``tmp``; the old folder is removed only after the rename."""
    if final.exists():
        old = final.with_name(f"{final.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)


def read_results(path: str | os.PathLike) -> Results:
    """Read a complete results folder (one with ``summary.json``)."""
    folder = Path(path)
    if not (folder / SUMMARY).exists():
        raise TwinDataError.one(
            str(folder),
            "not a complete results folder (no summary.json)",
            "give the folder a `twin run --out DIR` wrote; a folder "
            "without summary.json is from an interrupted run",
            title="cannot read results",
        )
    tables: dict[str, pd.DataFrame] = {}
    for name in PARQUET_TABLES:
        p = folder / f"{name}.parquet"
        if p.exists():
            tables[name] = pd.read_parquet(p)
    for name in CSV_TABLES:
        p = folder / f"{name}.csv"
        if p.exists():
            tables[name] = pd.read_csv(p)
    summary = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    return Results(tables, summary)
