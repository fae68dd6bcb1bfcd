"""Scenario TOML as text: where a key is (file line), what a validation error means to a
user, safe scenario names, and leaving keys in error out of a lenient parse."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from twin.errors import Problem, TwinDataError
from twin.scenario.ranges import RANGES

MAX_NAME_LENGTH = 100
"""Longest scenario name (it names the default results folder)."""
FIX_NAME = (
    "use a plain name such as 'bridges-closed' (letters, digits, spaces, '-', '_'): "
    "it names the default results folder results/<name>"
)
FIX_KEYS = "see the comments in scenarios/*.toml for what each key takes"
FIX_DATE = (
    "write a TOML date without quotes or time, e.g. start_date = 2025-07-01 "
    "(or remove the key: an average day of the year)"
)


def unsafe_name(name: str) -> str | None:
    """Why ``name`` cannot name a scenario (and so its results folder), or None."""
    if not name.strip():
        return "the scenario name is empty"
    if name.strip() in (".", ".."):
        return f"the scenario name {name!r} is a path, not a name"
    if "/" in name or "\\" in name:
        return f"the scenario name {name!r} contains a path separator"
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return f"the scenario name {name!r} contains a control character"
    if len(name) > MAX_NAME_LENGTH:
        return f"the scenario name is {len(name)} characters long (at most {MAX_NAME_LENGTH})"
    return None


def toml_error_line(message: str) -> int | None:
    """The line number tomllib's error message names, if any."""
    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else None


def range_key(loc: tuple[Any, ...]) -> str | None:
    """The :data:`~twin.scenario.ranges.RANGES` key of an error location, if it has one."""
    parts = [str(p) for p in loc if not isinstance(p, int)]
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in RANGES:
            return ".".join(parts[:n])
    return None


def problem_from_error(where: str, text: str, err: Any) -> Problem:
    """A pydantic validation error as a :class:`Problem` naming the key, value and line."""
    loc = tuple(err["loc"])
    key = ".".join(str(p) for p in loc)
    value = err.get("input")
    if err["type"] == "extra_forbidden":
        what = f"unknown key '{key}'"
        fix = "remove it or correct its spelling (see scenarios/baseline.toml for the keys)"
    elif err["type"] == "value_error":  # a section's own check (e.g. Closure._what)
        what = f"'{key}': {err.get('ctx', {}).get('error', err['msg'])}"
        fix = FIX_NAME if loc == ("name",) else FIX_KEYS
    else:
        shown = value if not isinstance(value, dict) else "{…}"
        what = f"bad value for '{key}' = {shown!r}: {err['msg']}"
        rk = range_key(loc)
        fix = f"give {rk} a number in {RANGES[rk].text()} ({RANGES[rk].why})" if rk else FIX_KEYS
        if loc == ("start_date",):
            fix = FIX_DATE
    return Problem(where=where, what=what, fix=fix, line=locate_key(text, loc))


def without_errors(data: dict[str, Any], errors: list[Any]) -> dict[str, Any]:
    """``data`` with the key (or list item) of each error left out; an error on a key that
    is absent (a required key missing) leaves out the section holding it."""
    drop = object()
    for err in errors:
        loc = tuple(err["loc"])
        node: Any = data
        for part in loc[:-1]:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                node = None
                break
        last = loc[-1] if loc else None
        if node is not None and _has(node, last):
            node[last] = drop
        elif len(loc) > 1:
            _set(data, loc[:-1], drop)
    return _purge(data, drop)


def _has(node: Any, key: Any) -> bool:
    if isinstance(node, dict):
        return key in node
    return isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)


def _set(data: Any, loc: tuple[Any, ...], value: object) -> None:
    node = data
    for part in loc[:-1]:
        if not _has(node, part):
            return
        node = node[part]
    if _has(node, loc[-1]):
        node[loc[-1]] = value


def _purge(node: Any, drop: object) -> Any:
    if isinstance(node, dict):
        return {k: _purge(v, drop) for k, v in node.items() if v is not drop}
    if isinstance(node, list):
        return [_purge(v, drop) for v in node if v is not drop]
    return node


def locate_key(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best-effort line number (1-based) of the key at ``loc`` in TOML ``text``.

    Walks the path: tables (``[a]``, ``[[a]]`` counted by index) then ``key =`` lines.
    """
    lines = text.splitlines()
    start, table = 0, ""
    parts = [p for p in loc if not isinstance(p, int)]
    indices = [p for p in loc if isinstance(p, int)]
    for depth in range(len(parts), 0, -1):
        header = ".".join(parts[:depth])
        nth = indices[0] if indices else 0
        found = _find_header(lines, header, nth)
        if found is not None:
            start, table = found, header
            break
    rest = parts[len(table.split(".")) if table else 0 :]
    # the innermost key first, then its parents (a dict key may sit in an inline table)
    keys = list(reversed(rest)) if rest else ([parts[-1]] if parts else [])
    for key in keys:
        for i in range(start, len(lines)):
            stripped = lines[i].strip()
            if i > start and stripped.startswith("[") and table:
                break
            if re.match(rf"^\s*[\"']?{re.escape(str(key))}[\"']?\s*=", lines[i]):
                return i + 1
    return start + 1 if table else None


def _find_header(lines: list[str], header: str, nth: int) -> int | None:
    pat = re.compile(rf"^\s*\[\[?\s*{re.escape(header)}\s*\]\]?\s*(#.*)?$")
    hits = [i for i, ln in enumerate(lines) if pat.match(ln)]
    if not hits:
        return None
    return hits[min(nth, len(hits) - 1)]


def decode_text(raw: bytes, where: str) -> str:
    """The UTF-8 text of a scenario file; a binary or non-UTF-8 file is a scenario error
    naming the line of the first bad byte."""
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise TwinDataError.one(
            where,
            "this is a binary file, not a TOML text file",
            "give a scenario .toml file (a text file; see scenarios/)",
            line=line,
            title="bad scenario",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise TwinDataError.one(
            where,
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start} cannot be decoded",
            "save the file as UTF-8 (most editors: 'Save with encoding')",
            line=line,
            title="bad scenario",
        ) from None


def follows_a_dropped_key(loc: tuple[Any, ...], dropped: set[tuple[Any, ...]]) -> bool:
    """Whether a table's own check (``loc`` the table) failed only because a lenient parse
    dropped one of its keys: a scripted incident whose ``lat`` was out of range then has no
    place, which is no second problem."""
    return any(len(d) > len(loc) and d[: len(loc)] == loc for d in dropped)
