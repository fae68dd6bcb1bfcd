"""The app's background queue: jobs run one after another, each in a child process.

The server only enqueues a run id and returns; a worker thread takes ids in order and runs
``python -m twin.app.job RUN_DIR`` for each, so a simulation never blocks the server (nor
holds its GIL), several runs may be queued, and a crash of one run is written to its status
instead of taking the server down. :meth:`Worker.stop` ends the running child, if any.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading

from twin.app.store import RunStore

_STOP = ""


class Worker:
    """Runs queued app jobs, ``parallel`` at a time (default 1: the machines have 2 cores)."""

    def __init__(self, store: RunStore, parallel: int = 1) -> None:
        self.store = store
        self._queue: queue.Queue[str] = queue.Queue()
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._loop, name=f"twin-app-worker-{i}", daemon=True)
            for i in range(max(1, parallel))
        ]
        for t in self._threads:
            t.start()

    def submit(self, run_id: str) -> int:
        """Queue ``run_id``; returns how many runs are waiting before it."""
        ahead = self._queue.qsize() + len(self._procs)
        self._queue.put(run_id)
        return ahead

    def _loop(self) -> None:
        while True:
            run_id = self._queue.get()
            if run_id == _STOP:
                return
            self._run(run_id)

    def _run(self, run_id: str) -> None:
        folder = self.store.root / run_id
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with open(folder / "worker.log", "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "twin.app.job", str(folder)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
            with self._lock:
                self._procs[run_id] = proc
            code = proc.wait()
            with self._lock:
                self._procs.pop(run_id, None)
        if self.store.status(run_id).get("status") not in ("done", "failed"):
            self.store.set_status(
                run_id,
                status="failed",
                step="failed",
                error=f"the run's process ended with status {code}",
            )

    def stop(self) -> None:
        """Stop taking jobs and end any running child process."""
        for _ in self._threads:
            self._queue.put(_STOP)
        with self._lock:
            procs = list(self._procs.values())
        for proc in procs:
            proc.terminate()
