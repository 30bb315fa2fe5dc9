"""Paid vs computed: flag lines that differ by more than a cent, with the likely reason.

Where the file carries what was paid (``paid_duty`` per line, or ``Paid 9903.01.10``-style columns
per heading), a line is flagged when paid and computed differ by more than one cent. The likely
reason is found by asking the engine again, on the flagged lines only and in one call, under
scenarios that each change one fact, in this order; the first whose total equals the paid amount
(within a cent) is the reason:

1. ``missing USMCA claim``: the line claimed nothing; with ``spi = S`` it matches;
2. ``USMCA claim not made at entry``: the line claims S; without it, it matches;
3. ``content line not split``: the metal content values were given; on the full value it matches;
4. ``rate of another date``: entered a day earlier or later, it matches (a boundary crossed);
5. otherwise ``wrong heading or classification`` (with the per-heading differences when known).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from tariffstack.batch.headers import Mapping
from tariffstack.batch.normalize import engine_frame

if TYPE_CHECKING:
    from tariffstack.api import Engine

CONTENT = ("steel_value", "aluminum_value", "copper_value")
SCENARIOS = (
    "missing USMCA claim",
    "USMCA claim not made at entry",
    "content line not split",
    "rate of another date (a day earlier)",
    "rate of another date (a day later)",
)


def _cents(text: pl.Expr) -> pl.Expr:
    """Amount text (``1234.5``) → integer cents; more than 2 decimals → null."""
    parts = text.str.split_exact(".", 1)
    whole, frac = parts.struct.field("field_0"), parts.struct.field("field_1").fill_null("")
    sign = pl.when(whole.str.starts_with("-")).then(-1).otherwise(1)
    cents = whole.str.replace("-", "").cast(pl.Int64, strict=False) * 100 + frac.str.pad_end(2, "0").cast(
        pl.Int64, strict=False
    )
    return pl.when(frac.str.len_chars() <= 2).then(sign * cents)


def _dollars(cents: pl.Expr) -> pl.Expr:
    return (cents.cast(pl.Decimal(20, 0)).cast(pl.Decimal(22, 2)) / 100).cast(pl.String)


def _shift(entry_date: pl.Expr, days: int) -> pl.Expr:
    as_date = entry_date.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    as_dt = entry_date.str.strptime(pl.Datetime, "%Y-%m-%dT%H:%M", strict=False)
    return (
        pl.when(entry_date.str.len_chars() == 10)
        .then((as_date + pl.duration(days=days)).dt.strftime("%Y-%m-%d"))
        .otherwise((as_dt + pl.duration(days=days)).dt.strftime("%Y-%m-%dT%H:%M"))
    )


def _scenarios(flagged: pl.DataFrame) -> pl.DataFrame:
    base = engine_frame(flagged)
    cols = base.columns
    frames = []
    spi = pl.col("spi") if "spi" in cols else pl.lit(None, dtype=pl.String)
    variants = [
        (0, spi.is_null(), {"spi": pl.lit("S")}),
        (1, spi.is_in(["S", "S+"]).fill_null(False), {"spi": pl.lit(None, dtype=pl.String)}),
        (
            2,
            pl.any_horizontal([pl.col(c).is_not_null() for c in CONTENT if c in cols] or [pl.lit(False)]),
            {c: pl.lit(None, dtype=pl.String) for c in CONTENT if c in cols},
        ),
        (3, pl.lit(True), {"entry_date": _shift(pl.col("entry_date"), -1)}),
        (4, pl.lit(True), {"entry_date": _shift(pl.col("entry_date"), 1)}),
    ]
    rows = base.with_columns(local_row=flagged["local_row"])
    for index, applies, changes in variants:
        frames.append(rows.filter(applies).with_columns(scenario=pl.lit(index, dtype=pl.Int32), **changes))
    return pl.concat(frames, how="diagonal_relaxed")


def reconcile(frame: pl.DataFrame, ch99: pl.DataFrame, mapping: Mapping, engine: Engine) -> pl.DataFrame:
    """Add ``paid_cents``, ``paid_difference_cents`` and ``reconciliation`` (null when they agree)."""
    if "paid_duty" not in mapping.fields and not mapping.paid_headings:
        return frame.with_columns(
            paid_cents=pl.lit(None, dtype=pl.Int64),
            paid_difference_cents=pl.lit(None, dtype=pl.Int64),
            reconciliation=pl.lit(None, dtype=pl.String),
        )
    from tariffstack.batch.compute import evaluate_raw

    heading_cols = {h: f"paid:{h}" for h in mapping.paid_headings}
    if "paid_duty" in mapping.fields:
        paid = _cents(pl.col("paid_duty"))
    else:  # per heading only: compare the Chapter 99 total
        paid = pl.sum_horizontal([_cents(pl.col(c)).fill_null(0) for c in heading_cols.values()])
    computed = pl.col("total_cents") if "paid_duty" in mapping.fields else pl.col("additional_cents")
    frame = frame.with_columns(paid_cents=pl.when(pl.col("status") == "ok").then(paid))
    frame = frame.with_columns(paid_difference_cents=pl.col("paid_cents") - computed)
    differs = pl.col("paid_difference_cents").abs() > 1
    # Per-heading differences, as text.
    per_heading = pl.lit(None, dtype=pl.String)
    if heading_cols:
        amounts = ch99.group_by("line_id", "heading").agg(pl.col("amount_cents").sum())
        notes = []
        for heading, col in heading_cols.items():
            got = amounts.filter(pl.col("heading") == heading).select(
                local_row=pl.col("line_id").cast(pl.UInt32), c=pl.col("amount_cents")
            )
            frame = frame.join(
                got.rename({"c": f"_c:{heading}"}), on="local_row", how="left", maintain_order="left"
            )
            paid_h, comp_h = _cents(pl.col(col)).fill_null(0), pl.col(f"_c:{heading}").fill_null(0)
            notes.append(
                pl.when((paid_h - comp_h).abs() > 1).then(
                    pl.format(
                        "{}: paid {}, computed {}",
                        pl.lit(heading),
                        _dollars(paid_h),
                        _dollars(comp_h),
                    )
                )
            )
        joined = pl.concat_str(notes, separator="; ", ignore_nulls=True)
        frame = frame.with_columns(_per_heading=pl.when(joined.str.len_chars() > 0).then(joined))
        frame = frame.drop([c for c in frame.columns if c.startswith("_c:")])
        per_heading = pl.col("_per_heading")
        differs = differs | per_heading.is_not_null()
    frame = frame.with_columns(_differs=differs.fill_null(False), _per_heading=per_heading)
    flagged = frame.filter(pl.col("_differs"))
    reason = pl.lit(None, dtype=pl.String)
    if not flagged.is_empty():
        scenarios = _scenarios(flagged)
        ev = evaluate_raw(engine, scenarios.drop("local_row", "scenario"))
        totals = ev.summary.select("line_id", "total_cents", "additional_cents").sort("line_id")
        tried = scenarios.select("local_row", "scenario").with_columns(
            s_total=totals["total_cents"], s_add=totals["additional_cents"]
        )
        target = flagged.select("local_row", "paid_cents")
        col = "s_total" if "paid_duty" in mapping.fields else "s_add"
        best = (
            tried.join(target, on="local_row")
            .filter((pl.col(col) - pl.col("paid_cents")).abs() <= 1)
            .group_by("local_row")
            .agg(pl.col("scenario").min())
        )
        frame = frame.join(best, on="local_row", how="left", maintain_order="left")
        names = {i: name for i, name in enumerate(SCENARIOS)}
        reason = pl.col("scenario").replace_strict(names, default=None, return_dtype=pl.String)
    else:
        frame = frame.with_columns(scenario=pl.lit(None, dtype=pl.Int32))
    fallback = pl.lit(
        "wrong heading or classification (no other claim, date or content split gives the paid amount)"
    )
    text = pl.coalesce(reason, fallback)
    text = (
        pl.when(pl.col("_per_heading").is_not_null())
        .then(pl.format("{} ({})", text, pl.col("_per_heading")))
        .otherwise(text)
    )
    return frame.with_columns(reconciliation=pl.when(pl.col("_differs")).then(text)).drop(
        "_differs", "_per_heading", "scenario"
    )
