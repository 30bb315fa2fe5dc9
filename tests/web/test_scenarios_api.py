"""Scenarios over HTTP on the real server: post a scenario → validated at once → a job → its summary,
which must equal the library's own run of the same scenario file (the path `tariffstack scenario` uses)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import yaml

from tariffstack.analysis.diff import run_scenario
from tariffstack.analysis.flows import Assumptions
from tariffstack.api import Engine
from web.helpers import problem

SHIPPED = Path(__file__).resolve().parents[2] / "src/tariffstack/analysis/scenarios/s232_metals_deal_25.yaml"


def _wait(client: httpx.Client, job: dict) -> dict:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        status = client.get(job["status_url"]).json()
        if status["status"] in ("done", "failed"):
            return status
        time.sleep(0.2)
    raise AssertionError(f"scenario job {job['id']} did not finish")


def test_metals_deal_runs_and_equals_the_library_run(client: httpx.Client, engine: Engine) -> None:
    document = yaml.safe_load(SHIPPED.read_text())
    response = client.post("/v1/scenarios/compare", json=document)
    assert response.status_code == 202, response.text
    status = _wait(client, response.json())
    assert status["status"] == "done", status
    summary = status["summary"]
    direct = run_scenario(
        engine,
        engine.settings.data_dir,
        SHIPPED,
        Assumptions(content="full", us_content=0.0, weights="latest12"),
    )
    assert summary == direct
    assert summary["from"] == "2027-01-01"
    # Capping the 50% metals duties at 25% lowers the effective rate and the duty collected.
    assert summary["mean_etr_scenario"] < summary["mean_etr_baseline"]
    assert summary["duty_change_usd"] < 0


def test_unknown_measure_is_refused_naming_it(client: httpx.Client) -> None:
    document = {
        "name": "typo",
        "changes": [
            {"op": "set_rate", "measure": "us/s232/steal", "from": "2027-01-01T00:01", "rate": "25%"}
        ],
    }
    body = problem(client.post("/v1/scenarios/compare", json=document), 422, "scenario")
    assert "us/s232/steal" in body["detail"]


def test_not_a_scenario_is_refused(client: httpx.Client) -> None:
    problem(client.post("/v1/scenarios/compare", json={"name": 5, "changes": "none"}), 422, "scenario")
    problem(client.post("/v1/scenarios/compare", json=[1, 2]), 422, "body")
    problem(client.get("/v1/scenarios/0123456789abcdef"), 404, "job_id")
