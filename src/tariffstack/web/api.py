"""The HTTP API (``/v1/...``): a thin shell that validates parameters and calls the library.

Every answer comes from :class:`tariffstack.api.Engine` (loaded once per process, on
``app.state.engine``) or from the library modules over its law and store: product search
(:mod:`tariffstack.hts.search`), facts needed (:mod:`tariffstack.law.facts`), the timeline
(:mod:`tariffstack.analysis.timeline`) and the law catalog and change feed
(:mod:`tariffstack.analysis.catalog`).
No handler computes a duty or decides what applies.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal

import orjson
import polars as pl
from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from tariffstack.analysis.catalog import change_feed, list_measures, measure_detail, scope_counts
from tariffstack.analysis.timeline import LATEST, TimelineError, product_timeline
from tariffstack.api import Engine
from tariffstack.hts.codes import CodeError, dotted, normalize_hts
from tariffstack.hts.search import MAX_LIMIT, SearchError, search_products
from tariffstack.io.entry import EARLIEST_ENTRY, FieldError, parse_et
from tariffstack.io.output import CONTRACT_VERSION
from tariffstack.law.facts import facts_needed
from tariffstack.web.problems import PROBLEM, Problem
from tariffstack.web.schema import calculate_body_schema

MAX_LINES = 1000  # entry lines per /v1/calculate request (413 beyond; use /v1/batch for files)
MAX_BODY_BYTES = 2 * 1024 * 1024  # JSON request bodies
router = APIRouter()
Country = Literal["US", "CA"]
ISO2 = Annotated[str, Query(pattern=r"^[A-Za-z]{2}$", description="ISO alpha-2 country code")]


def json_response(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def engine_of(request: Request) -> Engine:
    return request.app.state.engine


def _check_day(field: str, day: date) -> date:
    if day < EARLIEST_ENTRY:
        raise Problem(
            422, field, day.isoformat(), f"{day} is before {EARLIEST_ENTRY}; the law here starts then"
        )
    if day > LATEST:
        raise Problem(422, field, day.isoformat(), f"{day} is after {LATEST}, the last date served")
    return day


def _code(value: str, field: str = "hts") -> str:
    try:
        return normalize_hts(value)
    except CodeError as exc:
        raise Problem(422, field, value, exc.reason) from exc


def _known_code(engine: Engine, code: str, country: str, value: str, day: date | None = None) -> None:
    """404 for a code the schedule does not have (on ``day``, or ever)."""
    if country == "CA":
        if engine.store.ca_cusma.filter(pl.col("tariff8") == code[:8]).is_empty():
            raise Problem(
                404, "hts", value, f"{dotted(code)} is not a tariff item of Canada's CUSMA schedule"
            )
        return
    rows = engine.store.mfn.filter(pl.col("hts10") == code)
    if day is not None:
        rows = rows.filter((pl.col("valid_from") <= day) & (pl.col("valid_to") > day))
    if rows.is_empty():
        near = engine.store.nearest_codes(code, day or date(2026, 1, 1))
        when = f" on {day}" if day else ""
        raise Problem(
            404,
            "hts",
            value,
            f"{dotted(code)} is not in the U.S. schedule{when}",
            nearest=[dotted(c) for c in near],
        )


@router.post(
    "/v1/calculate",
    tags=["calculate"],
    summary="Duty stacks of entry lines (the public JSON contract of `tariffstack calc`)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": calculate_body_schema(MAX_LINES)}},
        }
    },
    responses={
        200: {"description": "One result object per input line, in input order (errors per line)"},
        413: {"description": f"Body over {MAX_BODY_BYTES} bytes or more than {MAX_LINES} lines"},
    },
)
async def calculate(request: Request) -> Response:
    """One entry line (an object) or many (a list, at most ``MAX_LINES``) → exactly the JSON of
    ``tariffstack calc``: one object per line, each computed or carrying its ``error`` (field and
    reason). The request itself is refused (problem+json) only when it is not a JSON object or list."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise Problem(415, "content-type", media or None, "send the entry lines as application/json")
    body = await request.body()
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Problem(400, "body", body[:80].decode("utf-8", "replace"), f"malformed JSON: {exc}") from exc
    if isinstance(data, dict):
        rows = [data]
    elif isinstance(data, list):
        rows = data
    else:
        raise Problem(
            422, "body", data, f"expected an entry-line object or a list of them, got {type(data).__name__}"
        )
    if not rows:
        raise Problem(422, "body", [], "the list of entry lines is empty")
    if len(rows) > MAX_LINES:
        raise Problem(
            413,
            "body",
            f"{len(rows)} lines",
            f"at most {MAX_LINES} lines per request; upload a file to /v1/batch",
        )
    # Requests waiting together are evaluated in one engine call (see tariffstack.web.coalesce).
    answer = await request.app.state.coalescer.calc(rows, request.is_disconnected)
    if answer is None:  # the client gave up while queued: nothing was computed for no one
        return Response(status_code=499)
    return Response(answer, media_type="application/json")


@router.get("/v1/hts/search", tags=["products"], summary="Products by code prefix or description words")
def hts_search(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Code prefix (7306.30) or words")],
    on: Annotated[
        date | None, Query(alias="date", description="Schedule in force on (default today)")
    ] = None,
    country: Annotated[Country, Query(description="Importing country")] = "US",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> Response:
    day = _check_day("date", on or date.today())
    try:
        return json_response(search_products(engine_of(request).store, q, day, country, limit))
    except SearchError as exc:
        raise Problem(422, exc.field, q if exc.field == "q" else None, exc.reason) from exc


@router.get("/v1/products/{hts}/facts", tags=["products"], summary="Entry facts this product's measures need")
def product_facts(
    request: Request,
    hts: Annotated[str, Path(max_length=20, description="HTS code, dotted or not")],
    on: Annotated[
        str | None, Query(alias="date", max_length=16, description="Entry date/time, ET (default today noon)")
    ] = None,
    origin: ISO2 = "CA",
    importing_country: Country = "US",
) -> Response:
    """Which facts the measures in scope and in force need, derived from their conditions and bases."""
    code = _code(hts)
    try:
        at = parse_et(on, "date") if on else datetime.combine(date.today(), time(12, 0))
    except FieldError as exc:
        raise Problem(422, "date", on, exc.reason) from exc
    _check_day("date", at.date())
    engine = engine_of(request)
    _known_code(engine, code, importing_country, hts, at.date())
    facts = facts_needed(engine.law, engine.store, code, at, origin.upper(), importing_country)
    return json_response({"hts": dotted(code), **facts})


@router.get("/v1/timeline", tags=["products"], summary="Total and per-heading rate of a product over time")
def timeline(
    request: Request,
    hts: Annotated[str, Query(min_length=1, max_length=20)],
    origin: ISO2 = "CA",
    spi: Annotated[Literal["S", "S+", "UST"] | None, Query(description="Special program claimed")] = None,
    importing_country: Country = "US",
    start: Annotated[date, Query(alias="from")] = date(2025, 1, 1),
    end: Annotated[date, Query(alias="to")] = date(2027, 12, 31),
    value: Annotated[
        str | None, Query(max_length=20, description="Entered value (default 1,000,000)")
    ] = None,
    quantity: Annotated[str | None, Query(max_length=20, description="Quantity, for a specific rate")] = None,
    unit: Annotated[str | None, Query(max_length=20, description="Unit of the quantity")] = None,
) -> Response:
    """Rates are duty ÷ value at each change point; give ``quantity`` and ``unit`` for a product
    whose MFN rate is specific (per kg, per barrel, ...)."""
    code = _code(hts)
    _check_day("from", start)
    _check_day("to", end)
    if end <= start:
        raise Problem(422, "to", end.isoformat(), f"{end} is not after from ({start})")
    if (spi == "UST") != (importing_country == "CA") and spi is not None:
        raise Problem(422, "spi", spi, "S/S+ are U.S. programs; UST is Canada's CUSMA treatment")
    engine = engine_of(request)
    _known_code(engine, code, importing_country, hts)
    try:
        facts = {k: v for k, v in (("value", value), ("quantity", quantity), ("unit", unit)) if v is not None}
        data = product_timeline(engine, code, origin.upper(), spi, importing_country, start, end, facts)
    except TimelineError as exc:
        raise Problem(422, exc.field, None, exc.reason) from exc
    for point in data["points"]:  # a fact refused or missing (a specific rate's quantity) is the request's
        field, _, reason = (point["error"] or "").partition(": ")
        if field in ("value", "quantity", "unit", "spi", "origin"):
            raise Problem(422, field, facts.get(field), reason)
    return json_response({"hts": dotted(code), **data})


def _counts(request: Request, day: date) -> dict[str, int]:
    cache: dict[date, dict[str, int]] = request.app.state.scope_counts
    if day not in cache:
        engine = engine_of(request)
        cache[day] = scope_counts(engine.law, engine.store, day)
    return cache[day]


@router.get("/v1/measures", tags=["law"], summary="Every measure with headings, scope counts and confidence")
def measures(
    request: Request,
    country: Annotated[Country | None, Query(description="Importing country")] = None,
    on: Annotated[
        date | None, Query(alias="date", description="Date of the scope counts (default today)")
    ] = None,
) -> Response:
    day = _check_day("date", on or date.today())
    return json_response(
        {
            "date": day.isoformat(),
            "measures": list_measures(engine_of(request).law, _counts(request, day), country),
        }
    )


@router.get("/v1/measures/{measure_id:path}", tags=["law"], summary="One measure: history, headings, sources")
def measure(
    request: Request,
    measure_id: Annotated[str, Path(max_length=100, description="Measure id, e.g. us/s232/steel")],
    on: Annotated[date | None, Query(alias="date")] = None,
) -> Response:
    day = _check_day("date", on or date.today())
    detail = measure_detail(engine_of(request).law, measure_id, _counts(request, day))
    if detail is None:
        known = sorted(engine_of(request).law.measures)
        raise Problem(404, "measure_id", measure_id, "no such measure", known=known)
    return json_response(detail)


@router.get("/v1/changes", tags=["law"], summary="The change feed: dated law and schedule changes")
def changes(
    request: Request,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
    country: Annotated[Country | None, Query(description="Importing country")] = None,
) -> Response:
    _check_day("from", start)
    _check_day("to", end)
    if end < start:
        raise Problem(422, "to", end.isoformat(), f"{end} is before from ({start})")
    engine = engine_of(request)
    events = change_feed(engine.law, engine.store, start, end, country)
    return json_response(
        {"from": start.isoformat(), "to": end.isoformat(), "count": len(events), "changes": events}
    )


@router.get("/healthz", tags=["service"], summary="Liveness: the law and store are loaded")
def healthz(request: Request) -> Response:
    engine = engine_of(request)
    return json_response(
        {
            "status": "ok",
            "contract_version": CONTRACT_VERSION,
            "measures": len(engine.law.measures),
            "hts_revisions": engine.store.revisions.height,
            "limits": {"max_lines": MAX_LINES, "max_body_bytes": MAX_BODY_BYTES},
            "cpus": sorted(request.app.state.affinity.current),
        }
    )


PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["title", "status", "detail", "field"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string", "description": "The input field (parameter or body part) at fault"},
        "value": {"description": "The value at fault"},
        "instance": {"type": "string"},
    },
}
PROBLEM_CONTENT = {PROBLEM: {"schema": PROBLEM_SCHEMA}}
