"""The public JSON contract of ``tariffstack calc``: one object per input line, in input order.

Every amount is a string with exactly two decimals (``"41600.00"``), never a float, so a script
reading the output gets the exact cents. Field meanings are documented in the README; the
contract is versioned by ``CONTRACT_VERSION`` and fields are only ever added, never renamed.

This module only reshapes the evaluator's frames; it computes nothing new except the effective
rate (total duty / value, as a percentage string with four decimals, rounded half up).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl

from tariffstack.engine.compile import CompiledLaw
from tariffstack.engine.evaluate import Evaluation
from tariffstack.engine.explain import caveat_rows, error_messages, line_rows, not_applied_rows
from tariffstack.engine.money import cents_to_str, ppm_to_percent
from tariffstack.hts.codes import dotted
from tariffstack.hts.store import Store

CONTRACT_VERSION = "1"


def _money(cents: int | None) -> str | None:
    return None if cents is None else cents_to_str(cents)


def _effective_rate(total_cents: int | None, value_cents: int | None) -> str | None:
    if total_cents is None or not value_cents:
        return None
    pct = Decimal(total_cents) * 100 / Decimal(value_cents)
    return str(pct.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def _split_error(message: str | None) -> dict[str, str] | None:
    if message is None:
        return None
    field, _, reason = message.partition(": ")
    return {"field": field, "reason": reason, "message": message}


def _group(frame: pl.DataFrame) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in frame.iter_rows(named=True):
        grouped[row["line_id"]].append(row)
    return grouped


def _line_row(row: dict[str, Any]) -> dict[str, Any]:
    rate = row["rate_text"] if row["kind"] == "mfn" else ppm_to_percent(row["rate_ppm"] or 0)
    return {
        "heading": row["heading"],
        "measure": row["measure_id"],
        "kind": row["kind"],
        "rate": rate,
        "base": _money(row["base_cents"]),
        "base_kind": row["base_kind"],
        "amount": _money(row["amount_cents"]),
        "refundable": bool(row["void"] or row["remitted"]),
        "remitted": bool(row["remitted"]),
        "authority": row["authority"],
        "reference": {
            "instrument": row["ref_instrument"],
            "citation": row["ref_citation"],
            "url": row["ref_url"],
        },
    }


def to_records(
    evaluation: Evaluation, law: CompiledLaw, store: Store, passthrough: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Evaluation frames → the list of per-line result objects (the public JSON contract)."""
    lines = _group(line_rows(evaluation, law, store))
    skipped = _group(not_applied_rows(evaluation, law))
    caveats = _group(caveat_rows(evaluation, law))
    errors = dict(error_messages(evaluation, store).iter_rows())
    descriptions = dict(
        evaluation.mfn.filter(pl.col("mfn_idx").is_not_null())
        .join(store.mfn_indexed.select("mfn_idx", "description"), on="mfn_idx")
        .select("line_id", "description")
        .iter_rows()
    )
    if "ca_text" in evaluation.mfn.columns:
        descriptions.update(
            evaluation.mfn.filter(pl.col("ca_text").is_not_null())
            .with_columns(tariff8=pl.col("hts10").str.slice(0, 8))
            .join(store.ca_cusma.select("tariff8", "description"), on="tariff8")
            .select("line_id", "description")
            .iter_rows()
        )
    out: list[dict[str, Any]] = []
    for row in evaluation.summary.iter_rows(named=True):
        line_id = row["line_id"]
        applied = lines.get(line_id, [])
        total, owed = row["total_cents"], row["owed_cents"]
        record: dict[str, Any] = {"line": line_id, **passthrough[line_id]}
        record.update(
            {
                "hts": dotted(row["hts10"]) if row["hts10"] else None,
                "entry_date": row["entry_ts"].isoformat(timespec="minutes") if row["entry_ts"] else None,
                "description": descriptions.get(line_id),
                "total_duty": _money(total),
                "assessed_duty": _money(total),
                "owed_duty": _money(owed),
                "refundable": _money(
                    None if row["void_cents"] is None else row["void_cents"] + row["remitted_cents"]
                ),
                "additional_total": _money(row["additional_cents"]),
                "void_by_ruling": _money(row["void_cents"]),
                "remitted": _money(row["remitted_cents"]),
                "adcvd_total": _money(row["adcvd_cents"]),
                "effective_rate": _effective_rate(total, row["value_cents"]),
                "headings": [
                    r["heading"] for r in applied if r["kind"] in ("duty", "exemption") and r["reported"]
                ],
                "lines": [_line_row(r) for r in applied],
                "not_applied": [
                    {
                        "measure": r["measure_id"],
                        "heading": r["heading"],
                        "status": r["status"],
                        "reason": r["reason"],
                    }
                    for r in skipped.get(line_id, [])
                ],
                "prohibited": bool(row["prohibited"]),
                "caveats": [r["caveat"] for r in caveats.get(line_id, [])],
                "error": _split_error(errors.get(line_id)),
            }
        )
        out.append(record)
    return out
