"""The one exception type users of Shancheng Twin see: :class:`TwinDataError`.

Every check at the boundary (city layers, scenario files, command-line arguments)
collects *all* the problems it finds as :class:`Problem` records and raises one
``TwinDataError`` listing them, each saying where (layer or file and line, ids), what is
wrong and how to fix it. Nothing deep inside pandas or NetworkX should reach a user.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MAX_IDS_SHOWN = 10


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input.

    ``where`` names the layer (``road_edges``) or file (``scenarios/x.toml``);
    ``ids`` the offending feature ids; ``line`` a line number in a file, if known.
    """

    where: str
    what: str
    fix: str = ""
    ids: tuple[str, ...] = ()
    line: int | None = None

    def __str__(self) -> str:
        loc = self.where if self.line is None else f"{self.where}:{self.line}"
        text = f"[{loc}] {self.what}"
        if self.ids:
            shown = ", ".join(map(str, self.ids[:MAX_IDS_SHOWN]))
            more = len(self.ids) - MAX_IDS_SHOWN
            text += f" (ids: {shown}{f', … and {more} more' if more > 0 else ''})"
        if self.fix:
            text += f"\n    how to fix: {self.fix}"
        return text


@dataclass
class TwinDataError(Exception):
    """Bad input: one or more :class:`Problem` s, all reported at once."""

    problems: list[Problem] = field(default_factory=list)
    title: str = "invalid input"

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"{self.title}: {n} problem{'s' if n != 1 else ''}"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])

    @classmethod
    def one(
        cls,
        where: str,
        what: str,
        fix: str = "",
        ids: Sequence[str] = (),
        line: int | None = None,
        title: str = "invalid input",
    ) -> TwinDataError:
        """A ``TwinDataError`` with a single problem."""
        return cls([Problem(where, what, fix, tuple(map(str, ids)), line)], title)


class ProblemList(list):
    """A list of :class:`Problem` s that raises them all at once when asked."""

    def add(
        self,
        where: str,
        what: str,
        fix: str = "",
        ids: Iterable[object] = (),
        line: int | None = None,
    ) -> None:
        self.append(Problem(where, what, fix, tuple(str(i) for i in ids), line))

    def raise_if_any(self, title: str = "invalid input") -> None:
        if self:
            raise TwinDataError(list(self), title)
