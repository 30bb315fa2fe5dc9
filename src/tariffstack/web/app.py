"""The web app: the HTTP API, the pages and their static assets, over one Engine per process.

``create_app()`` loads the law and the store once (and warms the compiled law and the schedule
frames, so the first request is not the slow one), registers the problem+json error handlers and
the body-size limits, and serves everything locally: no page loads anything from another host.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from tariffstack.api import Engine
from tariffstack.web import api, batch, pages, problems, scenarios
from tariffstack.web.affinity import Affinity
from tariffstack.web.coalesce import Coalescer

STATIC_DIR = Path(__file__).parent / "static"


def warm(engine: Engine) -> None:
    """Load everything a request touches: compiled law, MFN and HTS frames, both importing countries,
    the scope class of every U.S. code and the stacks of goods of Canada on every day (see
    :meth:`Engine.warm_stacks`), so a request of a line not seen before decides nothing new."""
    engine.calc(
        [
            {"hts": "7306.30.5010", "origin": "CA", "entry_date": "2025-08-10", "value": "100"},
            {
                "hts": "7208.51.00",
                "origin": "US",
                "entry_date": "2025-08-10",
                "value": "100",
                "importing_country": "CA",
            },
        ]
    )
    _ = engine.store.hts10, engine.store.ca_cusma, engine.store.revisions
    engine.warm_stacks()


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, with every 4xx answer documented as a problem document."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status, text in (
                ("413", "Too large"),
                ("422", "Invalid input (problem+json names the field)"),
            ):
                if status == "413" and "requestBody" not in operation:
                    continue
                responses.setdefault(status, {"description": text})
            for status, response in responses.items():
                if status.startswith("4"):
                    response["content"] = api.PROBLEM_CONTENT
    schema.get("components", {}).get("schemas", {}).pop("HTTPValidationError", None)
    schema.get("components", {}).get("schemas", {}).pop("ValidationError", None)
    app.openapi_schema = schema
    return schema


def create_app(
    engine: Engine | None = None, *, jobs_dir: Path | None = None, affinity: Affinity | None = None
) -> FastAPI:
    """The app over ``engine``. ``affinity`` is the server process's CPU policy (see
    :mod:`tariffstack.web.affinity`; ``tariffstack serve`` narrows it); by default the threads stay
    where they are, as an app served inside another process (the tests) must leave them."""
    engine = engine or Engine()
    affinity = affinity or Affinity(narrow=False)
    warm(engine)
    app = FastAPI(
        title="tariffstack",
        version="1",
        description=(
            "Canada–U.S. tariff stacks: the duty owed on an entry line, under which measure, on what base, "
            f"and why. At most {api.MAX_LINES} lines and {api.MAX_BODY_BYTES:,} bytes per /v1/calculate "
            f"request (413 beyond); uploads to /v1/batch up to {batch.MAX_UPLOAD_BYTES:,} bytes. "
            "Errors are application/problem+json naming the field and the value."
        ),
        docs_url=None,
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.scope_counts = {}
    app.state.affinity = affinity
    app.state.coalescer = Coalescer(engine)
    app.state.jobs = batch.Jobs(jobs_dir, affinity)
    app.state.scenario_jobs = scenarios.ScenarioJobs(jobs_dir / "scenarios" if jobs_dir else None, affinity)
    problems.install(app)
    app.add_middleware(
        problems.BodyLimit, default=api.MAX_BODY_BYTES, by_prefix={"/v1/batch": batch.MAX_UPLOAD_BYTES}
    )
    app.include_router(api.router)
    if batch.batch_available():
        app.include_router(batch.router)
    app.include_router(scenarios.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
