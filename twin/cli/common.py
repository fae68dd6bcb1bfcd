"""What every ``twin`` command module shares: the console it prints to and
:func:`reports_errors`, which turns bad input into a message and exit status 2."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console

from twin.errors import TwinDataError

console = Console(width=None if sys.stdout.isatty() else 120)


def reports_errors(fn: Callable) -> Callable:
    """Turn a TwinDataError into a clear message and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TwinDataError as exc:
            console.print("error:", style="bold red", end=" ")
            console.print(str(exc), highlight=False, markup=False)
            raise typer.Exit(2) from None

    return wrapper
