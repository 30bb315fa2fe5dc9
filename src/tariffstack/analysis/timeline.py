"""A product's duty over time: the engine evaluated at every instant the law or the schedule changes.

Nothing here decides a rate. The instants are the compiled law's breakpoints (every dated value and
precedence rule) and the product's HTS revision dates inside the window; one entry line per instant
is evaluated by the engine in one call, and consecutive instants with the same stack are merged.
Each change point carries the legal events (instrument, citation, url) dated at that instant for the
product's provisions, so the chart can say why the line moves.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import polars as pl

from tariffstack.engine.evaluate import Evaluation
from tariffstack.engine.money import ppm_to_percent

if TYPE_CHECKING:
    from tariffstack.api import Engine

EARLIEST = date(2025, 1, 1)
LATEST = date(2030, 12, 31)
VALUE = "1000000.00"  # a round value: rates come out exact to 1e-6 percent


class TimelineError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def evaluate_raw(engine: Engine, raw: pl.DataFrame) -> Evaluation:
    """The one call into the engine: the raw frame validated and evaluated columnwise."""
    return engine.evaluate_raw(raw)


def _pct(cents: int | None, value_cents: int | None) -> str | None:
    if cents is None or not value_cents:
        return None
    return str((Decimal(cents) * 100 / value_cents).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def _instants(engine: Engine, code: str, start: date, end: date) -> list[datetime]:
    lo, hi = datetime.combine(start, time(0, 0)), datetime.combine(end, time(23, 59))
    law_points = [t for t in engine.compiled.breakpoints.to_list() if lo < t <= hi]
    mfn = engine.store.mfn.filter(pl.col("hts10") == code)["valid_from"].to_list()
    hts_points = [datetime.combine(d, time(0, 0)) for d in mfn if start < d <= end]
    return sorted({lo, *law_points, *hts_points})


def product_timeline(
    engine: Engine,
    code: str,
    origin: str = "CA",
    spi: str | None = None,
    importing_country: str = "US",
    start: date = EARLIEST,
    end: date = date(2027, 12, 31),
    facts: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Change points of the total rate and of each heading's rate for one product, with the events.

    ``facts`` are entry-line fields held fixed over time (``value``, ``quantity`` and ``unit`` for a
    specific rate, content values, ...); rates are duty ÷ value. A fact the engine refuses makes every
    point carry that error (the caller reports it)."""
    if start < EARLIEST:
        raise TimelineError("from", f"{start} is before {EARLIEST}; the law here starts then")
    if end > LATEST:
        raise TimelineError("to", f"{end} is after {LATEST}")
    if end <= start:
        raise TimelineError("to", f"{end} is not after from ({start})")
    instants = _instants(engine, code, start, end)
    raw = pl.DataFrame(
        {
            "hts": [code] * len(instants),
            "origin": [origin] * len(instants),
            "entry_date": [t.isoformat(timespec="minutes") for t in instants],
            "value": [VALUE] * len(instants),
            "importing_country": [importing_country] * len(instants),
            **({"spi": [spi] * len(instants)} if spi else {}),
            **{key: [value] * len(instants) for key, value in (facts or {}).items()},
        }
    )
    ev = evaluate_raw(engine, raw)
    compiled = engine.compiled
    prov = compiled.provisions.select("pid", "heading", "measure_id", "kind", "label")
    lines = (
        ev.lines.filter(~pl.col("is_deposit") & pl.col("reported"))
        .join(prov, on="pid")
        .sort("line_id", "reporting_order")
    )
    by_line: dict[int, list[dict[str, Any]]] = {}
    for row in lines.select(
        "line_id", "pid", "heading", "measure_id", "kind", "rate_ppm", "amount_cents"
    ).rows(named=True):
        by_line.setdefault(row["line_id"], []).append(row)
    summary = ev.summary.sort("line_id")
    messages = dict(_errors(ev, engine).iter_rows())
    points: list[dict[str, Any]] = []
    pids_seen: set[int] = set()
    for row in summary.select("line_id", "total_cents", "additional_cents", "value_cents").rows(named=True):
        stack = by_line.get(row["line_id"], [])
        pids_seen.update(r["pid"] for r in stack)
        point = {
            "at": instants[row["line_id"]].isoformat(timespec="minutes"),
            "total_rate": _pct(row["total_cents"], row["value_cents"]),
            "additional_rate": _pct(row["additional_cents"], row["value_cents"]),
            "measures": [
                {
                    "heading": r["heading"],
                    "measure": r["measure_id"],
                    "kind": r["kind"],
                    "rate": ppm_to_percent(r["rate_ppm"] or 0),
                    "share_of_value": _pct(r["amount_cents"], row["value_cents"]),
                }
                for r in stack
            ],
            "error": messages.get(row["line_id"]),
        }
        key = (point["total_rate"], point["additional_rate"], str(point["measures"]), point["error"])
        if points and points[-1]["_key"] == key:
            continue
        point["_key"] = key
        points.append(point)
    for point in points:
        point.pop("_key")
    return {
        "hts10": code,
        "origin": origin,
        "spi": spi,
        "importing_country": importing_country,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "value": (facts or {}).get("value", VALUE),
        "points": points,
        "events": _events(engine, {p["at"] for p in points}, pids_seen, code, start, end),
    }


def _errors(ev: Evaluation, engine: Engine) -> pl.DataFrame:
    from tariffstack.engine.explain import error_messages

    return error_messages(ev, engine.store)


def _events(
    engine: Engine, change_points: set[str], pids: set[int], code: str, start: date, end: date
) -> list[dict[str, Any]]:
    """Legal events at the change points: the dated values of the product's provisions, the
    precedence rules starting or ending, and the HTS revisions that changed the product's MFN row."""
    compiled = engine.compiled
    rates = (
        compiled.rates.filter(pl.col("pid").is_in(sorted(pids)))
        .join(compiled.provisions.select("pid", "heading", "measure_id"), on="pid")
        .with_columns(at=pl.col("from_ts").dt.strftime("%Y-%m-%dT%H:%M"))
        .filter(pl.col("at").is_in(sorted(change_points)))
        .unique(["at", "heading", "ref_instrument", "rate_text"])
        .sort("at", "heading")
    )
    out = [
        {
            "at": r["at"],
            "kind": "law",
            "heading": r["heading"],
            "measure": r["measure_id"],
            "rate": r["rate_text"],
            "note": r["note"],
            "instrument": r["ref_instrument"],
            "citation": r["ref_citation"],
            "url": r["ref_url"],
        }
        for r in rates.rows(named=True)
    ]
    mfn = engine.store.mfn.filter(pl.col("hts10") == code)
    for r in mfn.select("valid_from", "first_revision", "general_text").rows(named=True):
        at = datetime.combine(r["valid_from"], time(0, 0)).isoformat(timespec="minutes")
        if start < r["valid_from"] <= end and at in change_points:
            out.append(
                {
                    "at": at,
                    "kind": "schedule",
                    "heading": None,
                    "measure": "mfn",
                    "rate": r["general_text"],
                    "note": "",
                    "instrument": f"HTSUS {r['first_revision'].replace('_', ' ')}",
                    "citation": "USITC Harmonized Tariff Schedule",
                    "url": "https://hts.usitc.gov/",
                }
            )
    return sorted(out, key=lambda e: e["at"])
