"""Coalescing of ``/v1/calculate`` requests: those that arrive while the engine is busy are
evaluated together in one engine call, then answered each with its own JSON.

Why: an evaluation costs a few hundred frame operations whatever its size (about 50 ms for one
line on this machine, about 90 ms for a hundred), so one call per request caps a server at some
twenty requests a second and queues the rest for seconds. Evaluating the requests that waited
during the previous call in one call pays that fixed cost once for all of them: the rate the
server keeps up with grows with the load, and no request waits for more than the call before it
and its own. Each answer is exactly what the request alone would get
(:meth:`tariffstack.api.Engine.calc_json_groups`); it goes through the same engine path.

One engine call runs at a time by default: two at once were slower on this machine (2 cores), as
the calls' Python parts contend for the GIL and Polars already uses both cores inside a call
(at 100 one-line requests/s: p99 3.8 s with two over 30 s, 0.32 s with one over 20 s). A call
takes the waiting requests in arrival order up to ``max_lines`` lines (always at least one).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool

from tariffstack.api import Engine

WORKERS = 1  # engine calls in flight at once (see above)
MAX_LINES = 2000  # lines per coalesced engine call


@dataclass
class _Waiting:
    rows: list[Any]
    gone: Callable[[], Awaitable[bool]]  # has the client hung up while this request waited?
    answer: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class Coalescer:
    """Queue of requests waiting for the engine, drained by at most ``workers`` engine calls."""

    def __init__(self, engine: Engine, workers: int = WORKERS, max_lines: int = MAX_LINES) -> None:
        self.engine = engine
        self.workers = workers
        self.max_lines = max_lines
        self._waiting: deque[_Waiting] = deque()
        self._running = 0
        self.calls = 0  # engine calls made (the tests and the benchmark read it)

    async def calc(self, rows: list[Any], gone: Callable[[], Awaitable[bool]]) -> bytes | None:
        """The contract's JSON for ``rows``, or ``None`` when the client hung up while waiting."""
        waiting = _Waiting(rows, gone)
        self._waiting.append(waiting)
        if self._running < self.workers:
            self._running += 1
            asyncio.get_running_loop().create_task(self._drain())
        return await waiting.answer

    def _take(self) -> list[_Waiting]:
        taken, lines = [], 0
        while self._waiting and (not taken or lines + len(self._waiting[0].rows) <= self.max_lines):
            item = self._waiting.popleft()
            if not item.answer.done():  # a request cancelled while it waited is not computed
                taken.append(item)
                lines += len(item.rows)
        return taken

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = [item for item in self._take() if not await self._hung_up(item)]
                if batch:
                    await self._answer(batch)
        finally:
            self._running -= 1

    @staticmethod
    async def _hung_up(item: _Waiting) -> bool:
        """Answer ``None`` (499) for a client gone while it waited; a check that fails counts as
        still there, so no request is left without an answer."""
        if item.answer.done():  # cancelled after it was taken
            return True
        try:
            gone = await item.gone()
        except Exception:  # the server could not tell: compute it
            gone = False
        if gone:
            item.answer.set_result(None)
        return gone

    async def _answer(self, batch: list[_Waiting]) -> None:
        self.calls += 1
        try:
            answers = await run_in_threadpool(self.engine.calc_json_groups, [item.rows for item in batch])
            if len(answers) != len(batch):
                raise RuntimeError(f"{len(answers)} answers for {len(batch)} requests")
        except Exception as exc:  # one request's failure must not fail the others
            if len(batch) == 1:
                if not batch[0].answer.done():
                    batch[0].answer.set_exception(exc)
                return
            for item in batch:  # each alone: only the request that fails gets its error
                await self._answer([item])
            return
        for item, answer in zip(batch, answers, strict=True):
            if not item.answer.done():  # its handler may have been cancelled meanwhile
                item.answer.set_result(answer)
