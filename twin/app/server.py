"""The app's HTTP server: a JSON API and the single page, on 127.0.0.1 by default.

FastAPI (typed, with its OpenAPI description at ``/docs`` and ``/openapi.json``) over the
run store and the worker. Everything the page needs is served from the package: the page,
its script and style, and the deck.gl bundle that pydeck ships — no CDN, no tile server.
A bad scenario gets 422 with the problem list the CLI prints; an unknown run or file 404.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from twin.app.citydata import city_json, city_summary
from twin.app.scenario_io import scenario_from_request, scenario_json, toml_text
from twin.app.store import RunStore, UnknownFile, UnknownRun
from twin.app.worker import Worker
from twin.errors import TwinDataError
from twin.model.city import City
from twin.scenario.spec import parse_scenario
from twin.viz.safe import deck_bundle

STATIC = ("app.js", "app.css")
MAX_REPLICATIONS = 50


class ScenarioIn(BaseModel):
    """A scenario as JSON (the TOML file's keys) or as TOML text — exactly one."""

    model_config = ConfigDict(extra="forbid")
    scenario: dict[str, Any] | None = None
    toml: str | None = None


class RunIn(ScenarioIn):
    """A run: the planner's scenario, what to compare it with, and how many replications.

    ``reference`` / ``reference_toml``: the scenario to compare with (default: the shipped
    baseline with the scenario's ``days`` and ``seed``)."""

    reference: dict[str, Any] | None = None
    reference_toml: str | None = None
    replications: int = Field(default=1, ge=1, le=MAX_REPLICATIONS)


class CompareIn(BaseModel):
    """Two scenarios compared over the same seeds (paired replications)."""

    model_config = ConfigDict(extra="forbid")
    base: ScenarioIn
    other: ScenarioIn
    replications: int = Field(default=5, ge=1, le=MAX_REPLICATIONS)


class SiteIn(BaseModel):
    """Where should ``k`` new stations of ``force`` go (the models of ``twin site``)."""

    model_config = ConfigDict(extra="forbid")
    k: int = Field(default=1, ge=1, le=10)
    force: Literal["fire", "professional", "social", "air", "community"] = "fire"
    objective: Literal["mclp", "pmedian", "lscp", "pcenter"] = "mclp"
    minutes: float = Field(default=5.0, gt=0, le=60)
    period: Literal["peak", "offpeak", "night"] = "offpeak"
    units: int | None = Field(default=None, ge=1, le=20)


def _problems(exc: TwinDataError) -> dict[str, Any]:
    return {
        "title": exc.title,
        "message": str(exc),
        "problems": [
            {"where": p.where, "line": p.line, "ids": list(p.ids), "what": p.what, "fix": p.fix}
            for p in exc.problems
        ],
    }


def create_app(city: City, runs_dir: Path, *, parallel: int = 1) -> FastAPI:
    """The app for ``city``, keeping its runs under ``runs_dir``."""
    store = RunStore(runs_dir)
    holder: dict[str, Worker] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        holder["worker"] = Worker(store, parallel)
        yield
        holder["worker"].stop()

    app = FastAPI(
        title="Shancheng Twin — planners' app",
        lifespan=lifespan,
        version=metadata.version("shancheng-twin"),
    )

    @app.exception_handler(TwinDataError)
    async def bad_input(_: Request, exc: TwinDataError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": _problems(exc)})

    @lru_cache(maxsize=1)
    def layers() -> dict[str, Any]:
        return city_json(city)

    def submit(request: dict[str, Any]) -> dict[str, Any]:
        run_id = store.new_run(request)
        ahead = holder["worker"].submit(run_id)
        return {"id": run_id, "queued_ahead": ahead, "status": "queued"}

    def reference_text(
        data: dict[str, Any] | None, text: str | None, days: float, seed: int
    ) -> str:
        if data is None and text is None:
            base = parse_scenario(_shipped("baseline"), "baseline").with_(days=days, seed=seed)
            return _toml_of(base)
        return scenario_from_request(data, text, city)[1]

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return (resources.files("twin.app") / "static" / "index.html").read_text("utf-8")

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        if name == "deck.js":
            return Response(deck_bundle(), media_type="text/javascript")
        if name not in STATIC:
            raise HTTPException(404, "no such file")
        body = (resources.files("twin.app") / "static" / name).read_text("utf-8")
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        return Response(body, media_type=kind)

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": metadata.version("shancheng-twin"), "city": city.name}

    @app.get("/api/city")
    def city_info() -> dict[str, Any]:
        return city_summary(city)

    @app.get("/api/city/layers")
    def city_layers() -> dict[str, Any]:
        return layers()

    @app.get("/api/scenarios")
    def scenarios() -> list[dict[str, Any]]:
        out = []
        for name in _shipped_names():
            spec = parse_scenario(_shipped(name), f"{name}.toml")
            out.append(
                {
                    "name": name,
                    "description": spec.description,
                    "hazard": bool(spec.rainstorm or spec.earthquake),
                }
            )
        return out

    @app.get("/api/scenarios/{name}")
    def scenario(name: str) -> dict[str, Any]:
        if name not in _shipped_names():
            raise HTTPException(404, f"no shipped scenario {name!r}")
        text = _shipped(name)
        return {
            "name": name,
            "toml": text,
            "scenario": scenario_json(parse_scenario(text, f"{name}.toml")),
        }

    @app.post("/api/scenario/check")
    def check(body: ScenarioIn) -> dict[str, Any]:
        spec, text = scenario_from_request(body.scenario, body.toml, city)
        return {"toml": text, "scenario": scenario_json(spec)}

    @app.post("/api/runs", status_code=202)
    def new_run(body: RunIn) -> dict[str, Any]:
        spec, text = scenario_from_request(body.scenario, body.toml, city)
        ref = reference_text(body.reference, body.reference_toml, spec.days, spec.seed)
        return submit(
            {
                "toml": text,
                "reference_toml": ref,
                "replications": body.replications,
                "city": city.source,
            }
        )

    @app.post("/api/compare", status_code=202)
    def compare(body: CompareIn) -> dict[str, Any]:
        base = scenario_from_request(body.base.scenario, body.base.toml, city)[1]
        other = scenario_from_request(body.other.scenario, body.other.toml, city)[1]
        return submit(
            {
                "toml": other,
                "reference_toml": base,
                "replications": body.replications,
                "city": city.source,
            }
        )

    @app.post("/api/site", status_code=202)
    def site(body: SiteIn) -> dict[str, Any]:
        if not (city.stations["force"] == body.force).any():
            raise TwinDataError.one(
                "site request",
                f"the city has no {body.force} stations",
                "site a force the city has, e.g. fire",
                title="bad request",
            )
        return submit({"kind": "site", **body.model_dump(), "city": city.source})

    @app.get("/api/runs")
    def runs() -> list[dict[str, Any]]:
        return [{"id": r, **_brief(store.status(r))} for r in store.list_runs()]

    @app.get("/api/runs/{run_id}")
    def run_status(run_id: str) -> dict[str, Any]:
        try:
            status = store.status(run_id)
        except UnknownRun:
            raise HTTPException(404, f"no run {run_id!r}") from None
        return {"id": run_id, **status, "files": store.files(run_id)}

    @app.get("/api/runs/{run_id}/files/{name:path}")
    def run_file(run_id: str, name: str) -> FileResponse:
        try:
            path = store.file_path(run_id, name)
        except (UnknownRun, UnknownFile):
            raise HTTPException(404, "no such run or file") from None
        return FileResponse(path)

    @app.get("/api/runs/{run_id}/download")
    def download(run_id: str) -> Response:
        try:
            names = store.files(run_id)
        except UnknownRun:
            raise HTTPException(404, f"no run {run_id!r}") from None
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in names:
                zf.write(store.file_path(run_id, name), f"{run_id}/{name}")
        return Response(
            buf.getvalue(),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="twin-run-{run_id}.zip"'},
        )

    return app


def _brief(status: dict[str, Any]) -> dict[str, Any]:
    return {k: status.get(k) for k in ("status", "progress", "step", "created")}


def _shipped_names() -> list[str]:
    folder = resources.files("twin.data") / "scenarios"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def _shipped(name: str) -> str:
    return (resources.files("twin.data") / "scenarios" / f"{name}.toml").read_text("utf-8")


def _toml_of(spec: Any) -> str:
    return toml_text(scenario_json(spec))
