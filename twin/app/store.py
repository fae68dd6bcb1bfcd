"""Run folders of the planners' app: ids, status files, and paths that cannot escape.

Every run lives in ``<root>/<run id>/``; the id is 12 hex digits made here, and a file is
served only when its name is made of safe parts (no ``..``, no absolute path, no
separators other than ``/`` between safe names) and it resolves to a regular file inside
that run's folder. Nothing a client sends is ever used as a path as it is.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

RUN_ID = re.compile(r"^[0-9a-f]{12}$")
"""The shape of a run id (made by :meth:`RunStore.new_run`)."""
NAME_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}$")
"""One part of a file name a client may ask for (no leading dot, no ``..``)."""


class UnknownRun(LookupError):
    """No run with that id (or the id is malformed): the API answers 404."""


class UnknownFile(LookupError):
    """No such file in the run (or an unsafe name): the API answers 404."""


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` via a temporary file and ``os.replace``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(3)}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


class RunStore:
    """The app's own folder of runs (``root``), created if missing."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root.resolve()

    def new_run(self, request: dict[str, Any]) -> str:
        """Make a folder for a new run holding ``request.json`` and a queued status."""
        while True:
            run_id = secrets.token_hex(6)
            folder = self.root / run_id
            try:
                folder.mkdir()
                break
            except FileExistsError:  # pragma: no cover - 48-bit collision
                continue
        write_json_atomic(folder / "request.json", request)
        self.set_status(run_id, status="queued", progress=0.0, step="queued", created=time.time())
        return run_id

    def run_dir(self, run_id: str) -> Path:
        """The folder of ``run_id``; :class:`UnknownRun` if malformed or absent."""
        if not RUN_ID.match(run_id or ""):
            raise UnknownRun(run_id)
        folder = self.root / run_id
        if not folder.is_dir():
            raise UnknownRun(run_id)
        return folder

    def request(self, run_id: str) -> dict[str, Any]:
        """The request the run was made from."""
        return dict(json.loads((self.run_dir(run_id) / "request.json").read_text("utf-8")))

    def status(self, run_id: str) -> dict[str, Any]:
        """The run's status record (``status``, ``progress`` 0–1, ``step``, …)."""
        path = self.run_dir(run_id) / "status.json"
        return dict(json.loads(path.read_text("utf-8")))

    def set_status(self, run_id: str, **fields: Any) -> None:
        """Update the run's status record atomically (fields merged into the old one)."""
        path = self.root / run_id / "status.json"
        old: dict[str, Any] = {}
        if path.exists():
            old = json.loads(path.read_text("utf-8"))
        old.update(fields)
        write_json_atomic(path, old)

    def file_path(self, run_id: str, name: str) -> Path:
        """The file ``name`` (e.g. ``comparison.csv``, ``scenario/map.html``) of a run."""
        folder = self.run_dir(run_id)
        parts = name.split("/") if name else []
        if not parts or len(parts) > 3 or not all(NAME_PART.match(p) for p in parts):
            raise UnknownFile(name)
        path = (folder / Path(*parts)).resolve()
        if folder not in path.parents or not path.is_file():
            raise UnknownFile(name)
        return path

    def files(self, run_id: str) -> list[str]:
        """Every file of the run a client may download, as ``/``-separated names."""
        folder = self.run_dir(run_id)
        names = []
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder).parts
            if path.is_file() and len(rel) <= 3 and all(NAME_PART.match(p) for p in rel):
                names.append("/".join(rel))
        return names

    def list_runs(self) -> list[str]:
        """Run ids, newest first."""
        runs = [p for p in self.root.iterdir() if p.is_dir() and RUN_ID.match(p.name)]
        return [p.name for p in sorted(runs, key=lambda p: p.stat().st_mtime, reverse=True)]
