"""Batch over HTTP: upload a file (CSV, Excel or Parquet) → a job with progress → the result file.

The reading, evaluation and writing are the batch package's (:func:`tariffstack.batch.run_file`,
the same as ``tariffstack batch``); this module only stores the upload, runs one job at a time on a
worker thread (so a large file does not starve the interactive API), reports the progress the batch
reader gives, and serves the result. Every input row comes out again, computed or with its error.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import tempfile
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from starlette.responses import FileResponse, Response

from tariffstack.engine.money import cents_to_str
from tariffstack.web.affinity import Affinity
from tariffstack.web.problems import Problem

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".pq": "parquet"}
MEDIA = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
router = APIRouter(tags=["batch"])
log = logging.getLogger("tariffstack.web")
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="Job id returned by POST /v1/batch")]


def batch_available() -> bool:
    try:
        from tariffstack.batch import run_file  # noqa: F401
    except ImportError:
        return False
    return True


@dataclasses.dataclass
class Job:
    id: str
    filename: str
    src: FilePath
    dst: FilePath
    out_format: str
    status: str = "queued"
    done: int = 0
    total: int | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "filename": self.filename,
            "status": self.status,
            "done": self.done,
            "total": self.total,
            "out_format": self.out_format,
            "summary": self.summary,
            "error": self.error,
            "status_url": f"/v1/batch/{self.id}",
            "result_url": f"/v1/batch/{self.id}/result" if self.status == "done" else None,
        }


def _summary(summary: Any) -> dict[str, Any]:
    """The batch summary for a client: amounts as the contract's decimal strings, no server paths."""
    out: dict[str, Any] = {}
    for key, value in summary.as_dict().items():
        if key in ("output", "report_files"):
            continue
        if key.endswith("_cents") and isinstance(value, int):
            out[key.removesuffix("_cents")] = cents_to_str(value)
        else:
            out[key] = value
    return out


class Jobs:
    """Uploaded files and their jobs, in a working directory; one job runs at a time."""

    def __init__(self, root: FilePath | None = None, affinity: Affinity | None = None) -> None:
        self.affinity = affinity or Affinity(narrow=False)  # a job runs on every CPU
        self.root = root or FilePath(tempfile.mkdtemp(prefix="tariffstack-jobs-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch")

    def submit(self, engine: Any, upload: UploadFile, out_format: str | None) -> Job:
        name = FilePath(upload.filename or "upload").name
        suffix = FilePath(name).suffix.lower()
        if suffix not in FORMATS:
            raise Problem(
                415, "file", name, f"unsupported file type {suffix or '(none)'}; send {', '.join(FORMATS)}"
            )
        job_id = uuid.uuid4().hex[:16]
        folder = self.root / job_id
        folder.mkdir()
        src = folder / f"input{suffix}"
        with src.open("wb") as handle:
            shutil.copyfileobj(upload.file, handle)
        if src.stat().st_size == 0:
            shutil.rmtree(folder)
            raise Problem(422, "file", name, "the file is empty")
        fmt = out_format or FORMATS[suffix]
        job = Job(job_id, name, src, folder / f"result.{fmt}", fmt)
        with self.lock:
            self.jobs[job_id] = job
        self.pool.submit(self.affinity.widened(self._run), engine, job)
        return job

    def _run(self, engine: Any, job: Job) -> None:
        from tariffstack.batch import run_file
        from tariffstack.batch.headers import HeaderError
        from tariffstack.batch.readers import InputError

        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total

        job.status = "running"
        try:
            summary = run_file(
                job.src, job.dst, out_format=job.out_format, on_progress=progress, engine=engine
            )
        except (InputError, HeaderError) as exc:  # the file as a whole cannot be read: say why
            job.status, job.error = "failed", str(exc)
            return
        except Exception:  # never a trace to the client; the log has it
            log.exception("batch job %s failed", job.id)
            job.status, job.error = "failed", "unexpected error while computing the file (logged)"
            return
        job.summary = _summary(summary)
        job.status = "done"
        if job.total is None:
            job.total = job.done

    def get(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise Problem(404, "job_id", job_id, "no such batch job")
        return job


def _json(data: Any, status: int = 200) -> Response:
    import orjson

    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


@router.post("/v1/batch", status_code=202, summary="Upload entry lines as CSV, Excel or Parquet; start a job")
def submit(
    request: Request,
    file: Annotated[UploadFile, File(description="CSV, Excel (.xlsx) or Parquet file of entry lines")],
    out_format: Annotated[Literal["csv", "xlsx", "parquet"] | None, Form()] = None,
) -> Response:
    job = request.app.state.jobs.submit(request.app.state.engine, file, out_format)
    return _json(job.public(), 202)


@router.get("/v1/batch/{job_id}", summary="A batch job's status and progress")
def status(request: Request, job_id: JobId) -> Response:
    return _json(request.app.state.jobs.get(job_id).public())


@router.get("/v1/batch/{job_id}/result", summary="The result file of a finished job")
def result(request: Request, job_id: JobId) -> FileResponse:
    job = request.app.state.jobs.get(job_id)
    if job.status != "done":
        raise Problem(409, "job_id", job_id, f"job is {job.status}; the result is ready when it is done")
    stem = FilePath(job.filename).stem
    return FileResponse(
        job.dst, media_type=MEDIA[job.out_format], filename=f"{stem}.results.{job.out_format}"
    )
