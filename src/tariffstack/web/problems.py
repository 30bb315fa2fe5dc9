"""Errors as ``application/problem+json`` (RFC 9457), each naming the field and the value at fault.

Every error the app can produce goes through here: request validation (FastAPI's), the library's
own field errors, unknown routes, oversized bodies, and, as a last resort, an unexpected exception
(answered 500 with no stack trace; its detail stays in the server log).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM = "application/problem+json"
log = logging.getLogger("tariffstack.web")

TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input",
    500: "Internal error",
}


class Problem(Exception):
    """An error answer: HTTP status, the field at fault, its value, and why."""

    def __init__(self, status: int, field: str, value: Any, reason: str, **extra: Any) -> None:
        super().__init__(f"{field}: {reason}")
        self.status = status
        self.field = field
        self.value = value
        self.reason = reason
        self.extra = extra


def _jsonable(value: Any) -> Any:
    try:
        orjson.dumps(value)
        return value
    except TypeError:
        return repr(value)


def problem_response(
    status: int, field: str, value: Any, reason: str, instance: str = "", **extra: Any
) -> Response:
    body = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": f"{field}: {reason}",
        "field": field,
        "value": _jsonable(value),
        "instance": instance,
        **extra,
    }
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM)


def _field_of(loc: tuple | list) -> str:
    parts = [str(p) for p in loc if p not in ("query", "path", "body", "header")]
    return ".".join(parts) or (str(loc[0]) if loc else "request")


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem document."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return problem_response(exc.status, exc.field, exc.value, exc.reason, request.url.path, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": ("request",), "msg": "invalid", "input": None}
        return problem_response(
            422,
            _field_of(first.get("loc", ())),
            first.get("input"),
            first.get("msg", "invalid"),
            request.url.path,
            errors=[
                {
                    "field": _field_of(e.get("loc", ())),
                    "reason": e.get("msg"),
                    "value": _jsonable(e.get("input")),
                }
                for e in errors
            ],
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        field = "path" if exc.status_code == 404 else "method" if exc.status_code == 405 else "request"
        value = request.url.path if field == "path" else request.method
        return problem_response(exc.status_code, field, value, str(exc.detail), request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem_response(
            500, "request", request.url.path, "unexpected server error (logged)", request.url.path
        )


class BodyLimit:
    """Refuse request bodies over a size limit with 413 before they are read into memory.

    The limit is per path prefix (uploads get a larger one). A declared ``Content-Length`` over the
    limit is refused at once; a chunked body is counted as it streams.
    """

    def __init__(self, app: ASGIApp, default: int, by_prefix: dict[str, int]) -> None:
        self.app = app
        self.default = default
        self.by_prefix = by_prefix

    def _limit(self, path: str) -> int:
        for prefix, limit in self.by_prefix.items():
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                size = -1
            if size < 0 or size > limit:
                await self._refuse(scope, send, declared.decode("latin-1"), limit)
                return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(scope, send, f">{limit}", limit)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, size: str, limit: int) -> None:
        response = problem_response(
            413,
            "body",
            size,
            f"request body of {size} bytes is over the limit of {limit:,} bytes for this endpoint",
            scope["path"],
            limit_bytes=limit,
        )
        await response(scope, _no_receive, send)


class _TooLarge(Problem):
    """Raised while a body streams past the limit (answered 413 by the Problem handler or here)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, "body", f">{limit}", f"request body is over the limit of {limit:,} bytes")


async def _no_receive() -> Message:  # pragma: no cover - a response never reads the body
    return {"type": "http.disconnect"}
