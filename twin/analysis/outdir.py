"""Where results go, safely: output-path checks, results-folder markers and a lock per target.

Promises (each a test in ``tests/test_bad_inputs.py``):

- **A user's folder is never replaced.** Only a *results folder* may be replaced: one holding
  the marker file :data:`MARKER` that this tool writes (``{"format": 1, ...}``) or, written
  before markers existed, ``summary.json`` — and nothing but the files this tool writes
  (:data:`RESULT_FILES`; a user's notes added to it make it theirs). Any other
  existing folder, an existing file, ``/``, the working directory or one of its parents is
  refused with one :class:`~twin.errors.TwinDataError` naming the path — before the city is
  loaded or anything simulated (:func:`check_output`).
- **Unwritable targets fail first**: a path under a file, a folder without write permission.
- **One writer per target.** :class:`OutputLock` holds an exclusive ``fcntl`` lock on
  ``.<name>.lock`` beside the target from the check until the folder is in place; a second
  run with the same ``--out`` stops at once, naming the process that holds it.
- **Temporary folders** are named ``<name>.tmp-<pid>-<hex>`` (and ``<name>.old-<pid>-<hex>``
  while swapping); a later run removes one only when it carries the marker and its owner
  process is gone (never a live run's folder).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

from twin.errors import TwinDataError

MARKER = ".shancheng-results"
"""Marker file in every folder this tool writes (JSON: format version, kind, tool)."""
MARKER_FORMAT = 1
SUMMARY = "summary.json"
RESULT_FILES = re.compile(
    r"^(summary\.json|(incidents|events|routes|lifelines|coverage|stations)\.parquet|"
    r"(compliance|units|mutual_aid|sweep|replications|surge|rescues|districts)\.csv|"
    r"map\.(html|png)|"
    r"briefing\.html|replay\.html|difference\.html|results\.gpkg|validation\.csv|"
    r"records_(used|skipped)\.csv)$"
)
"""The files this tool writes into a results folder. A folder holding anything else (a
user's notes added to it) is not replaced."""
_TEMP = re.compile(r"\.(tmp|old)-(\d+)-[0-9a-f]+$")
_HELD: dict[Path, OutputLock] = {}


def marker_text(kind: str = "run", files: list[str] | None = None) -> str:
    """The marker file's content: JSON with the format version, the kind of folder and
    (written last) the files the tool put in it — so any writer's files are recognised."""
    data: dict = {"format": MARKER_FORMAT, "kind": kind, "tool": "shancheng-twin"}
    if files is not None:
        data["files"] = sorted(files)
    return json.dumps(data) + "\n"


def is_results_folder(folder: Path) -> bool:
    """Whether ``folder`` is a folder this tool wrote (so it may be replaced)."""
    if not folder.is_dir():
        return False
    marked = (folder / MARKER).is_file() or (folder / SUMMARY).is_file()
    listed = set(_marker(folder).get("files", ()))
    return marked and all(
        p.is_file() and (p.name == MARKER or p.name in listed or RESULT_FILES.match(p.name))
        for p in folder.iterdir()
    )


def _marker(folder: Path) -> dict:
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _refuse(path: Path, what: str, fix: str) -> TwinDataError:
    return TwinDataError.one(str(path), what, fix, title="cannot write results")


def check_output(out: str | os.PathLike, *, kind: str = "results") -> Path:
    """The absolute target folder for ``out``, or a TwinDataError saying why it cannot be one.

    Checks only: creates nothing. Call before loading the city or simulating.
    """
    raw = Path(out)
    final = Path(os.path.abspath(raw))
    fix = f"give --out a new folder (e.g. results/my-run) or a {kind} folder this tool wrote"
    if final == Path(final.anchor) or final.name in ("", ".", ".."):
        raise _refuse(raw, "is the file-system root, not a folder for results", fix)
    cwd = Path(os.path.abspath(os.getcwd()))
    if final == cwd or final in cwd.parents:
        raise _refuse(raw, "is the working directory or one of its parents", fix)
    if final.is_symlink() or (final.exists() and not final.is_dir()):
        raise _refuse(raw, "exists and is a file (or a link), not a results folder", fix)
    if final.is_dir():
        if any(final.iterdir()) and not is_results_folder(final):
            raise _refuse(
                raw,
                f"exists and is not a {kind} folder written by this tool "
                f"(no {MARKER} marker): it is left untouched",
                fix,
            )
        if not os.access(final, os.W_OK | os.X_OK):
            raise _refuse(raw, "is a results folder you may not write", "check its permissions")
    parent = final.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise _refuse(
            raw,
            f"lies under {parent}, which is a file, not a folder",
            "choose a path whose parent folders are folders",
        )
    why = _unwritable(parent)
    if why:
        raise _refuse(
            raw,
            f"cannot be created: cannot write in {parent} ({why})",
            "choose a folder you can write, e.g. results/ under your working directory",
        )
    return final


def _unwritable(folder: Path) -> str:
    """Why nothing can be written in ``folder`` ("" if it can): permissions, or a real
    probe (an empty hidden folder made and removed at once; root ignores permissions, a
    read-only file system does not)."""
    if not os.access(folder, os.W_OK | os.X_OK):
        return "no permission"
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".twin-probe-", dir=folder))
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return ""


def owner_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (on this machine)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(final: Path) -> list[Path]:
    """Remove ``final``'s temporary folders whose owner process is gone; return them.

    An ``.old-`` folder whose owner died between the two renames of a swap is the previous
    results: it is put back when ``final`` is missing, never thrown away.
    """
    removed = []
    for p in sorted(final.parent.glob(f"{final.name}.*-*")):
        m = _TEMP.search(p.name)
        if (
            not m
            or p.name[: m.start()] != final.name
            or not (p / MARKER).is_file()
            or owner_alive(int(m.group(2)))
        ):
            continue
        if m.group(1) == "old" and not final.exists():
            os.replace(p, final)
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


class OutputLock:
    """An exclusive lock on writing ``final`` (``fcntl.flock`` on ``.<name>.lock`` beside it).

    Re-entrant within a process (``write_results`` inside ``twin run`` reuses the lock the
    run took before simulating). A second process gets a TwinDataError at once.
    """

    def __init__(self, final: Path) -> None:
        self.final = final
        self.path = final.parent / f".{final.name}.lock"
        self._file: IO[str] | None = None
        self._depth = 0

    def __enter__(self) -> OutputLock:
        held = _HELD.get(self.final)
        if held is not None:
            held._depth += 1
            return held
        self.final.parent.mkdir(parents=True, exist_ok=True)
        while True:
            f = open(self.path, "a+", encoding="utf-8")
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                f.seek(0)
                other = f.read().strip() or "another process"
                f.close()
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                raise TwinDataError.one(
                    str(self.final),
                    f"another run (pid {other}) is writing this folder now",
                    "wait for it to finish, or give this run another --out",
                    title="cannot write results",
                ) from None
            if _same_file(f, self.path):  # not a lock file another run just removed
                break
            f.close()
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        self._file, self._depth = f, 1
        _HELD[self.final] = self
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def release(self) -> None:
        """Drop one level; the lock file is removed when the outermost holder leaves."""
        held = _HELD.get(self.final)
        if held is not None and held is not self:
            held.release()
            return
        self._depth -= 1
        if self._depth > 0 or self._file is None:
            return
        _HELD.pop(self.final, None)
        try:
            self.path.unlink(missing_ok=True)
        finally:
            self._file.close()
            self._file = None


def _same_file(f: IO[str], path: Path) -> bool:
    try:
        return os.fstat(f.fileno()).st_ino == path.stat().st_ino
    except FileNotFoundError:
        return False


def prepare_output(out: str | os.PathLike, *, kind: str = "results") -> OutputLock:
    """Check ``out`` (:func:`check_output`) and return a lock to hold while writing it::

    with prepare_output(out) as lock:
        ...simulate...
        write_results(results, lock.final)
    """
    return OutputLock(check_output(out, kind=kind))


def safe_folder_name(name: str) -> str:
    """A folder-safe version of a scenario name: letters, digits, ``_ . -``; never ``.``,
    ``..``, empty, or starting with a dot."""
    s = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")
    return s or "run"


def default_output(name: str) -> Path:
    """``results/<safe name>`` under the working directory."""
    return Path("results") / safe_folder_name(name)
