"""Requests to /v1/calculate that wait together are evaluated in one engine call, and each answer
is exactly what the request alone gets from the engine."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson
import pytest

from tariffstack.api import Engine
from tariffstack.web.coalesce import Coalescer

EXAMPLES = json.loads((Path(__file__).resolve().parents[2] / "examples" / "entry_lines.json").read_text())
STEEL = {"hts": "7306.30.5010", "origin": "CA", "entry_date": "2025-08-10", "value": "100000"}
TO_CANADA = {**STEEL, "hts": "7208.51.00", "origin": "US", "importing_country": "CA"}
# Requests that differ in every way coalescing could mix up: ids of different JSON types, unknown
# fields, rows that are not objects, bad values, both importing countries, one line and many.
REQUESTS: list[list] = [
    EXAMPLES[:3],
    [{**STEEL, "sku": 5}],
    [{**STEEL, "sku": "A-5", "bogus": 1}, 7, {"value": "x"}],
    [{**STEEL, "entry_number": "B76-1234567-1", "line_number": "2", "quantity": "10"}],
    [TO_CANADA, {**TO_CANADA, "value": "-3"}],
    EXAMPLES[3:],
    [{**STEEL, "entry_date": "2024-12-31"}],
    [{**STEEL, "value": "250.50", "spi": "S"}] * 4,
]


def test_grouped_evaluation_equals_each_group_alone(engine: Engine) -> None:
    answers = engine.calc_json_groups([*REQUESTS, []])
    assert answers[-1] == b"[]"
    for rows, answer in zip(REQUESTS, answers, strict=False):
        alone = engine.calc(rows)
        assert orjson.loads(answer) == alone
        assert [r["line"] for r in alone] == list(range(len(rows)))
    # The ids keep each request's own JSON type; a request without ids gets none.
    assert orjson.loads(answers[1])[0]["sku"] == 5
    assert orjson.loads(answers[2])[0]["sku"] == "A-5"
    assert "sku" not in orjson.loads(answers[0])[0]


def test_concurrent_requests_share_engine_calls_and_get_their_own_answers(
    server: str, web_app, engine: Engine
) -> None:
    bodies = [REQUESTS[i % len(REQUESTS)] for i in range(24)]
    before = web_app.state.coalescer.calls

    def post(rows: list) -> list:
        with httpx.Client(base_url=server, timeout=60) as http:
            response = http.post("/v1/calculate", json=rows)
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json"
            return response.json()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        answers = list(pool.map(post, bodies))
    calls = web_app.state.coalescer.calls - before
    assert calls < len(bodies)  # one call per request would be 24
    for rows, answer in zip(bodies, answers, strict=True):
        assert answer == engine.calc(rows)


class _Failing:
    """An engine whose evaluation fails for any call that includes a request holding ``"boom"``."""

    def __init__(self) -> None:
        self.groups: list[int] = []

    def calc_json_groups(self, groups: list[list]) -> list[bytes]:
        self.groups.append(len(groups))
        if any("boom" in rows for rows in groups):
            raise RuntimeError("evaluation failed")
        return [orjson.dumps(rows) for rows in groups]


async def _gone() -> bool:
    return False


async def _hung_up() -> bool:
    return True


def test_a_failing_request_fails_alone_and_a_departed_client_is_not_computed() -> None:
    async def scenario() -> tuple[list, _Failing]:
        engine = _Failing()
        coalescer = Coalescer(engine, workers=1)  # type: ignore[arg-type]
        first = asyncio.ensure_future(coalescer.calc(["a"], _gone))
        await asyncio.sleep(0)  # the first call starts; the next four wait for it together
        rest = [
            asyncio.ensure_future(coalescer.calc(rows, gone))
            for rows, gone in ((["b"], _gone), (["boom"], _gone), (["c"], _hung_up), (["d"], _gone))
        ]
        results = await asyncio.gather(first, *rest, return_exceptions=True)
        return results, engine

    results, engine = asyncio.run(scenario())
    assert results[0] == b'["a"]'
    assert results[1] == b'["b"]'
    assert isinstance(results[2], RuntimeError)
    assert results[3] is None  # the client hung up: answered 499, never evaluated
    assert results[4] == b'["d"]'
    # The first call alone, then the three waiting together (which fails), then each alone.
    assert engine.groups == [1, 3, 1, 1, 1]


def test_a_call_takes_waiting_requests_up_to_its_line_limit() -> None:
    async def scenario() -> _Failing:
        engine = _Failing()
        coalescer = Coalescer(engine, workers=1, max_lines=4)  # type: ignore[arg-type]
        first = asyncio.ensure_future(coalescer.calc(["a"], _gone))
        await asyncio.sleep(0)
        rest = [asyncio.ensure_future(coalescer.calc(["x", "y"], _gone)) for _ in range(3)]
        await asyncio.gather(first, *rest)
        return engine

    # ["a"] alone; then two requests of two lines (4 lines, the limit); then the third.
    assert asyncio.run(scenario()).groups == [1, 2, 1]


@pytest.mark.parametrize("workers", [1, 2])
def test_every_waiting_request_is_answered(workers: int) -> None:
    async def scenario() -> list:
        coalescer = Coalescer(_Failing(), workers=workers)  # type: ignore[arg-type]
        return await asyncio.gather(*(coalescer.calc([str(i)], _gone) for i in range(50)))

    answers = asyncio.run(scenario())
    assert answers == [orjson.dumps([str(i)]) for i in range(50)]


async def _broken_check() -> bool:
    raise RuntimeError("the connection state is unknown")


def test_a_failing_disconnect_check_still_gets_the_request_computed() -> None:
    async def scenario() -> list:
        coalescer = Coalescer(_Failing(), workers=1)  # type: ignore[arg-type]
        both = asyncio.gather(coalescer.calc(["a"], _broken_check), coalescer.calc(["b"], _gone))
        return await asyncio.wait_for(both, timeout=10)  # an unanswered request fails, not hangs

    assert asyncio.run(scenario()) == [b'["a"]', b'["b"]']


def test_a_request_cancelled_while_waiting_is_not_computed_and_the_others_are_answered() -> None:
    async def scenario() -> tuple[list, _Failing]:
        engine = _Failing()
        coalescer = Coalescer(engine, workers=1)  # type: ignore[arg-type]
        first = asyncio.ensure_future(coalescer.calc(["a"], _gone))
        await asyncio.sleep(0)
        cancelled = asyncio.ensure_future(coalescer.calc(["x"], _gone))
        kept = asyncio.ensure_future(coalescer.calc(["b"], _gone))
        await asyncio.sleep(0)  # both are waiting behind the first call
        cancelled.cancel()
        return await asyncio.wait_for(asyncio.gather(first, kept), timeout=10), engine

    answers, engine = asyncio.run(scenario())
    assert answers == [b'["a"]', b'["b"]']
    assert engine.groups == [1, 1]  # "x" never went to the engine
