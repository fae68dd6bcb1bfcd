"""Progress bars of the long commands: on stderr, only on a terminal, never with --quiet.

The command really runs (``python -m twin.cli.main replay DIR`` in a child process) with its
stderr on a pseudo-terminal and its stdout on a pipe, so what is checked is what a user's
terminal receives. No timing is involved: rich draws a bar's final state when the bar
closes, so the last step's name and count are on the terminal however fast the steps ran.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from tinycity import tiny_city

from twin.analysis.results import write_results
from twin.model.city import load_city, save_city
from twin.scenario.spec import parse_scenario
from twin.sim.runner import run_scenario

TOML = 'name = "progress"\ndays = 0.25\nseed = 5\n[incidents]\nrate_multiplier = 40.0\n'
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("progress")
    save_city(tiny_city(), root / "city")
    city = load_city(root / "city")
    res = run_scenario(parse_scenario(TOML, "progress.toml"), city, record_routes=True)
    return write_results(res, root / "run")


def run_twin(*args: str, tty: bool) -> tuple[int, str, str]:
    """Run ``twin ARGS``; stderr on a pseudo-terminal when ``tty``, else on a pipe.
    Returns (exit status, stdout, stderr with terminal escapes removed)."""
    cmd = [sys.executable, "-m", "twin.cli.main", *args]
    env = {**os.environ, "COLUMNS": "100", "TWIN_PROGRESS": ""}
    if not tty:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        return p.returncode, p.stdout, p.stderr
    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:  # the terminal must be read while the child writes to it
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the child closed its end
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    out, _ = p.communicate(timeout=300)
    reader.join(timeout=30)
    os.close(master)
    text = b"".join(chunks).decode("utf-8", "replace")
    return p.returncode, out.decode("utf-8"), ANSI.sub("", text)


def test_replay_shows_its_steps_on_a_terminal_only(results_dir: Path) -> None:
    # the files `twin map` and `twin map --against` add keep the folder a results folder
    for name in ("results.gpkg", "districts.csv", "difference.html"):
        (results_dir / name).write_text("drawn by twin map\n", encoding="utf-8")
    code, out, err = run_twin("replay", str(results_dir), tty=True)
    assert code == 0, out + err
    assert "wrote" in out and "replay.html" in out
    # the bar's final state: the last step and the count of steps (city, replay, done)
    assert "done" in err and "3/3" in err, err
    assert "wrote" not in err  # the command's output stays on stdout
    code, out, err = run_twin("replay", str(results_dir), tty=False)
    assert code == 0 and "replay.html" in out
    assert "3/3" not in err and "done" not in err, err


def test_quiet_hides_the_bar_on_a_terminal(results_dir: Path) -> None:
    code, out, err = run_twin("--quiet", "replay", str(results_dir), tty=True)
    assert code == 0 and "replay.html" in out, out + err
    assert "3/3" not in err and "done" not in err, err
