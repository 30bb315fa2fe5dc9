"""The server's CPU policy (:mod:`tariffstack.web.affinity`): every thread on one CPU while it
answers small requests, every CPU while a batch file or a scenario runs.

The policy moves the threads of a whole process, so it is exercised in processes of its own (a
script, and ``tariffstack serve`` itself), never in the test process."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from starlette.datastructures import UploadFile

from tariffstack.web import affinity as affinity_module
from tariffstack.web.affinity import Affinity
from tariffstack.web.batch import Jobs

ALL = sorted(os.sched_getaffinity(0))
SCRIPT = """
import json
import polars as pl
from tariffstack.web.affinity import Affinity, thread_cpus

pl.DataFrame({"a": list(range(200_000))}).group_by("a").len()  # Polars' pool threads exist
def seen():
    return sorted({tuple(sorted(cpus)) for cpus in thread_cpus().values()})
policy = Affinity(narrow=NARROW)
before = seen()
policy.start()
narrow = seen()
with policy.wide():
    wide = seen()
    with policy.wide():
        nested = seen()
    still_wide = seen()
after = seen()
print(json.dumps({"threads": len(thread_cpus()), "before": before, "narrow": narrow, "wide": wide,
                  "nested": nested, "still_wide": still_wide, "after": after}))
"""


def _run(narrow: bool) -> dict:
    script = SCRIPT.replace("NARROW", str(narrow))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_every_thread_goes_to_one_cpu_and_to_all_while_a_job_runs() -> None:
    seen = _run(narrow=True)
    assert seen["threads"] >= 2  # the main thread and Polars' pool
    one, every = [[ALL[0]]], [ALL]
    assert seen["before"] == every
    assert seen["narrow"] == one
    assert seen["wide"] == seen["nested"] == seen["still_wide"] == every  # widest until the last job ends
    assert seen["after"] == one


def test_without_narrowing_nothing_moves() -> None:
    seen = _run(narrow=False)
    assert {json.dumps(seen[k]) for k in ("before", "narrow", "wide", "nested", "after")} == {
        json.dumps([ALL])
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _served_cpus(*flags: str) -> tuple[list[int], set[str]]:
    """``tariffstack serve`` in its own process: the CPUs /healthz reports and the CPU lists of
    every thread of the server process, as the kernel reports them."""
    port = _free_port()
    exe = Path(sys.executable).with_name("tariffstack")
    server = subprocess.Popen([str(exe), "serve", "--port", str(port), *flags], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                if health.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
            time.sleep(0.2)
        tasks = Path(f"/proc/{server.pid}/task")
        lists = {
            line.split(":", 1)[1].strip()
            for task in tasks.iterdir()
            for line in (task / "status").read_text().splitlines()
            if line.startswith("Cpus_allowed_list")
        }
        return health.json()["cpus"], lists
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_the_server_answers_on_one_cpu_unless_told_otherwise() -> None:
    cpus, lists = _served_cpus()
    assert cpus == [ALL[0]] and lists == {str(ALL[0])}
    cpus, lists = _served_cpus("--all-cpus")
    assert cpus == ALL
    assert lists == {"0" if ALL == [0] else f"{ALL[0]}-{ALL[-1]}"}


def test_a_batch_job_runs_with_every_cpu(monkeypatch, tmp_path: Path) -> None:
    """A submitted job's body runs inside :meth:`Affinity.wide` (the threads are not moved here: a
    policy that does not narrow moves nothing)."""
    events: list[str] = []
    policy = Affinity(narrow=False)
    jobs = Jobs(tmp_path, policy)
    original = Affinity.wide

    def wide(self):  # the real context manager, with its entry and exit recorded
        events.append("wide")
        return original(self)

    monkeypatch.setattr(Affinity, "wide", wide)
    monkeypatch.setattr(jobs, "_run", lambda engine, job: events.append(f"run {job.filename} {policy._wide}"))
    jobs.submit(None, UploadFile(io.BytesIO(b"hts,origin\n"), filename="lines.csv"), None)
    jobs.pool.shutdown(wait=True)  # the job has run
    assert events == ["wide", "run lines.csv 1"] and policy._wide == 0
    assert affinity_module.supported()
