"""Scenarios over HTTP: post a scenario → it is validated at once → a job runs baseline vs scenario.

The scenario is the same document as a scenario file (the YAML of ``analysis/scenarios/``, sent as
YAML or as the equivalent JSON object) and goes through the analysis package's own loader and diff
(:func:`tariffstack.analysis.diff.run_scenario`, as ``tariffstack scenario``): a bad scenario is
refused before any work with the key and value at fault (422); a good one runs on a worker thread
(a whole daily series takes seconds) and its summary is served when done.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path as FilePath
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Path, Query, Request
from starlette.responses import Response

from tariffstack.web.affinity import Affinity
from tariffstack.web.problems import Problem

router = APIRouter(tags=["scenarios"])
log = logging.getLogger("tariffstack.web")
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="Job id from POST /v1/scenarios/compare")]
SCENARIO_EXAMPLE = {
    "name": "Section 232 metals at 25% for goods of Canada from 1 Jan 2027",
    "source": "what-if: a steel and aluminum deal",
    "changes": [],
}


@dataclasses.dataclass
class ScenarioJob:
    id: str
    name: str
    path: FilePath
    status: str = "queued"
    summary: dict[str, Any] | None = None
    error: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scenario": self.name,
            "status": self.status,
            "summary": self.summary,
            "error": self.error,
            "status_url": f"/v1/scenarios/{self.id}",
        }


class ScenarioJobs:
    """Posted scenarios and their runs, in a working directory; one run at a time."""

    def __init__(self, root: FilePath | None = None, affinity: Affinity | None = None) -> None:
        self.affinity = affinity or Affinity(narrow=False)  # a job runs on every CPU
        self.root = root or FilePath(tempfile.mkdtemp(prefix="tariffstack-scenarios-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.jobs: dict[str, ScenarioJob] = {}
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scenario")

    def submit(self, engine: Any, document: Any, weights: str, content: str) -> ScenarioJob:
        from tariffstack.analysis.flows import AssumptionError, Assumptions
        from tariffstack.analysis.scenarios import ScenarioError, load_scenario

        if not isinstance(document, dict):
            raise Problem(422, "scenario", type(document).__name__, "send the scenario as one object")
        try:
            assumptions = Assumptions(content=content, us_content=0.0, weights=weights, own_months=True)
        except AssumptionError as exc:
            raise Problem(422, "weights", f"{weights}/{content}", str(exc)) from exc
        job_id = uuid.uuid4().hex[:16]
        path = self.root / f"{job_id}.yaml"
        path.write_bytes(orjson.dumps(document))  # JSON is YAML: the file loader reads it strictly
        try:
            scenario = load_scenario(path, engine.law)
        except ScenarioError as exc:
            path.unlink()
            message = str(exc).replace(f"{path}: ", "").replace(str(path), "scenario")
            raise Problem(422, "scenario", None, message) from exc
        except Exception as exc:  # a document the loader did not foresee: still the client's input
            path.unlink()
            log.exception("scenario document not readable")
            raise Problem(422, "scenario", None, "not a scenario document (see the scenario schema)") from exc
        job = ScenarioJob(job_id, scenario.name, path)
        with self.lock:
            self.jobs[job_id] = job
        self.pool.submit(self.affinity.widened(self._run), engine, job, assumptions)
        return job

    def _run(self, engine: Any, job: ScenarioJob, assumptions: Any) -> None:
        from tariffstack.analysis.diff import run_scenario

        job.status = "running"
        try:
            summary = run_scenario(engine, engine.settings.data_dir, job.path, assumptions)
        except Exception:  # never a trace to the client; the log has it
            log.exception("scenario job %s failed", job.id)
            job.status, job.error = "failed", "unexpected error while running the scenario (logged)"
            return
        job.summary = orjson.loads(orjson.dumps(summary, default=str))
        job.status = "done"

    def get(self, job_id: str) -> ScenarioJob:
        job = self.jobs.get(job_id)
        if job is None:
            raise Problem(404, "job_id", job_id, "no such scenario job")
        return job


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


@router.post(
    "/v1/scenarios/compare",
    status_code=202,
    summary="Baseline vs a scenario (a scenario file's content as JSON); starts a job",
)
def compare(
    request: Request,
    scenario: Annotated[dict[str, Any], Body(examples=[SCENARIO_EXAMPLE])],
    weights: Annotated[
        str, Query(max_length=20, description="latest12 | 2025H2 | 2024annual | budgetlab")
    ] = ("latest12"),
    content: Annotated[str, Query(max_length=20, description="full | bea | flat:S")] = "full",
) -> Response:
    job = request.app.state.scenario_jobs.submit(request.app.state.engine, scenario, weights, content)
    return _json(job.public(), 202)


@router.get("/v1/scenarios/{job_id}", summary="A scenario job's status and, when done, its summary")
def status(request: Request, job_id: JobId) -> Response:
    return _json(request.app.state.scenario_jobs.get(job_id).public())
