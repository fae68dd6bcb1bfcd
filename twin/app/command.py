"""``twin app``: start the planners' app on this machine and print its address."""

from __future__ import annotations

import socket
from pathlib import Path

import platformdirs
from rich.console import Console

from twin.app.server import create_app
from twin.errors import TwinDataError
from twin.model.city import load_city

DEFAULT_PORT = 8765


def default_runs_dir() -> Path:
    """Where the app keeps its runs unless told otherwise (the platform's user data dir)."""
    return Path(platformdirs.user_data_dir("shancheng-twin")) / "app-runs"


def check_port(host: str, port: int) -> None:
    """Stop with a clear error if ``host:port`` cannot be bound (in use, or not ours)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise TwinDataError.one(
                f"{host}:{port}",
                f"cannot listen there: {exc.strerror}",
                "choose another --port (or stop what uses it)",
                title="cannot start the app",
            ) from None


def serve(
    *, host: str, port: int, runs_dir: Path | None, city: Path | None, console: Console
) -> None:
    """Load the city, then serve the app on ``host:port`` until interrupted (Ctrl-C)."""
    import uvicorn  # noqa: PLC0415 - the server starts only for this command

    check_port(host, port)
    runs = runs_dir or default_runs_dir()
    the_city = load_city(city)
    app = create_app(the_city, runs)
    console.print(
        f"Shancheng Twin app for {the_city.name}: [bold]http://{host}:{port}/[/bold]"
        f"  (API docs: http://{host}:{port}/docs; runs kept in {runs}; Ctrl-C stops)"
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")
