"""Progress bars for the steps that take more than a couple of seconds (simulating, map
writing, the briefing, the replay, sweeps, comparisons, siting).

Every bar goes to **stderr** (so ``twin run > table.txt`` keeps a clean table), is drawn
only when stderr is a terminal (nothing when piped, logged or run by a script), and not at
all after :func:`set_quiet` (``twin --quiet …``). Library calls show nothing unless the
caller asks: only the ``twin`` command turns bars on. ``TWIN_PROGRESS=always`` draws them
even when stderr is not a terminal (for logs that want them; the tests use a
pseudo-terminal instead).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

_QUIET = [False]

Step = Callable[[str], None]
"""Called with the name of the step about to run (the bar advances by one)."""


def set_quiet(quiet: bool) -> None:
    """Hide (``True``) or allow (``False``) every progress bar of this process."""
    _QUIET[0] = bool(quiet)


def stderr_console() -> Console:
    """A console on stderr, treated as a terminal when ``TWIN_PROGRESS=always``."""
    force = os.environ.get("TWIN_PROGRESS", "").lower() == "always"
    return Console(stderr=True, force_terminal=True if force else None)


def shown(console: Console) -> bool:
    """Whether bars are drawn on ``console``: a terminal, and not quiet."""
    return console.is_terminal and not _QUIET[0]


def _bar(*columns: object) -> Progress:
    console = stderr_console()
    return Progress(
        *columns,  # type: ignore[arg-type]
        console=console,
        transient=True,
        disable=not shown(console),
        redirect_stdout=False,  # stdout stays the command's output alone
        redirect_stderr=False,
    )


@contextmanager
def steps(total: int, what: str = "maps") -> Iterator[Step]:
    """A bar over ``total`` named steps; yields ``step(name)``, called before each step."""
    with _bar(
        TextColumn("{task.description:<30}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    ) as bar:
        task = bar.add_task(what, total=total)
        started = [False]

        def step(name: str) -> None:
            if started[0]:
                bar.advance(task)
            started[0] = True
            bar.update(task, description=name)

        yield step
        bar.update(task, completed=total)


@contextmanager
def counter(what: str) -> Iterator[Callable[[int, int], None]]:
    """A bar of things done out of a total (replications); yields ``update(done, total)``."""
    with _bar(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as bar:
        task = bar.add_task(what, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@contextmanager
def fraction(what: str) -> Iterator[Callable[[float], None]]:
    """A bar of a fraction 0–1 (simulated time); yields ``update(fraction)``."""
    with _bar(TextColumn(what), BarColumn(), TaskProgressColumn(), TimeElapsedColumn()) as bar:
        task = bar.add_task(what, total=1.0)

        def update(frac: float) -> None:
            bar.update(task, completed=frac)

        yield update


@contextmanager
def spinner(what: str) -> Iterator[None]:
    """A bar without a known end (one long call: solving, writing one page)."""
    with _bar(TextColumn(what), BarColumn(), TimeElapsedColumn()) as bar:
        bar.add_task(what, total=None)
        yield
