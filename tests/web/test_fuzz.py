"""Property-based fuzzing of the published OpenAPI description (schemathesis, positive and negative
cases) against the real server: never a 5xx, and every 4xx a problem+json document naming the field."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

PROBLEM = "application/problem+json"


OPERATIONS = [
    ("POST", "/v1/calculate"),
    ("GET", "/v1/hts/search"),
    ("GET", "/v1/products/{hts}/facts"),
    ("GET", "/v1/timeline"),
    ("GET", "/v1/measures"),
    ("GET", "/v1/measures/{measure_id}"),
    ("GET", "/v1/changes"),
    ("GET", "/healthz"),
    ("POST", "/v1/batch"),
    ("GET", "/v1/batch/{job_id}"),
    ("GET", "/v1/batch/{job_id}/result"),
    ("POST", "/v1/scenarios/compare"),
    ("GET", "/v1/scenarios/{job_id}"),
]


@pytest.fixture(scope="session")
def api_schema(server: str):
    return schemathesis.openapi.from_url(f"{server}/openapi.json")


def _header(response, name: str) -> str:
    value = response.headers.get(name) or response.headers.get(name.title()) or ""
    return value[0] if isinstance(value, list) else value


@schemathesis.check
def problem_names_the_field(ctx, response, case) -> bool | None:
    """A 4xx answer is application/problem+json whose ``field`` names the input at fault."""
    if 400 <= response.status_code < 500:
        media = _header(response, "content-type")
        assert media.startswith(PROBLEM), f"{response.status_code} answered as {media!r}"
        body = response.json()
        assert isinstance(body.get("field"), str) and body["field"], body
        assert body["detail"].startswith(f"{body['field']}: "), body
        assert body["status"] == response.status_code
        assert "Traceback" not in response.text
    return None


def test_every_operation_is_fuzzed(api_schema) -> None:
    published = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert published == set(OPERATIONS)


CASES = [
    (method, path, mode)
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if not (path == "/healthz" and mode is GenerationMode.NEGATIVE)  # no input to make invalid
]


@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=[f"{m} {p} {g.value}" for m, p, g in CASES])
def test_fuzz_api(api_schema, method: str, path: str, mode: GenerationMode) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def run(case) -> None:
        response = case.call()
        case.validate_response(response, checks=[not_a_server_error, problem_names_the_field])

    run()
