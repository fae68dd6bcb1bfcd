"""``twin cache info|clear``: the travel-time cache and built cities (the ``cache`` sub-app)."""

from __future__ import annotations

import typer

from twin.cli.common import console, reports_errors
from twin.model import cache

cache_app = typer.Typer(no_args_is_help=True, help="See or clear the travel-time cache.")


@cache_app.command("info")
@reports_errors
def cache_info() -> None:
    """Where the travel-time cache is, how many files it holds and their size."""
    i = cache.info()
    console.print(
        f"cache folder: {i.folder}" + ("" if i.usable else "  (not usable: runs go on without it)"),
        highlight=False,
    )
    console.print(
        f"files: {i.files}, size: {i.bytes / 1e6:,.1f} MB "
        f"(limit {i.limit_bytes / 1e6:,.0f} MB, TWIN_CACHE_MAX_MB)",
        highlight=False,
    )


@cache_app.command("clear")
@reports_errors
def cache_clear() -> None:
    """Remove the files this tool wrote into the cache: travel times and built cities
    (``cities/municipality-…``, rebuilt on next use); nothing else."""
    n, size = cache.clear()
    console.print(
        f"removed {n} files ({size / 1e6:,.1f} MB) from {cache.cache_dir()}", highlight=False
    )
