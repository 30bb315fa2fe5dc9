"""One chunk of input rows → one output row per input row (and, with ``lines``, the Chapter 99 lines).

This is the function every path runs: the single-machine run calls it per chunk, the Dask run per
partition. It normalises the broker's columns, evaluates them through :func:`evaluate_raw` (the one
call into the engine), and shapes the engine's frames into the batch output: row status and error
(field, value, reason), the duty totals, the headings in CBP order, and the IEEPA refund columns.
Row numbers are chunk-local (``local_row``, from 0); the caller adds the chunk's offset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl
import pyarrow as pa

from tariffstack.api import Engine
from tariffstack.batch.headers import Mapping
from tariffstack.batch.normalize import engine_frame, normalize
from tariffstack.batch.reconcile import reconcile
from tariffstack.batch.refund_rules import RefundRules, refund_rules
from tariffstack.batch.refunds import refund_columns
from tariffstack.engine.evaluate import Evaluation
from tariffstack.engine.explain import error_messages
from tariffstack.engine.rows import left_join_lines
from tariffstack.io.distinct import per_distinct

MONEY_COLUMNS = (
    "total_duty",
    "assessed_duty",
    "owed_duty",
    "refundable",
    "additional_total",
    "void_by_ruling",
    "remitted",
    "adcvd_total",
)


@dataclass(frozen=True)
class Options:
    """What a run computes besides the duty: refund routes (as of a date) and Chapter 99 lines."""

    as_of: date = field(default_factory=date.today)
    lines: bool = False


def evaluate_raw(engine: Engine, raw: pl.DataFrame) -> Evaluation:
    """The one call into the engine: a frame of entry-line fields → the evaluation.

    ``summary.line_id`` is the row index of ``raw``; the engine validates the frame columnwise.
    """
    return engine.evaluate_raw(raw)


def money(cents: pl.Expr) -> pl.Expr:
    """Integer cents → exact decimal dollars (two places)."""
    return cents.cast(pl.Decimal(38, 2)) / 100  # exact: cents / 100 has two decimal places


def money_column(cents: pl.Series) -> pl.Series:
    """:func:`money` of a whole column, without the 128-bit division: a Decimal(38, 2) holds its
    value as the integer number of hundredths, which is the cents, so the cents as Decimal(38, 0)
    are viewed at scale 2 (the same integers). 14 → 6 ms a 500,000-row column, twelve a chunk."""
    unscaled = cents.cast(pl.Decimal(38, 0)).to_arrow()
    return pl.Series(cents.name, unscaled.view(pa.decimal128(38, 2)))


def _ch99(engine: Engine, ev: Evaluation) -> pl.DataFrame:
    """Applied Chapter 99 lines (and deposits) with heading and measure, in no particular order:
    CBP's order is put where it shows (the headings text, the ``--lines`` rows), not on every line
    the totals are summed from (a sort of 700,000 lines a chunk, 90 ms).

    The citations (long text) are joined only to the lines that ``--lines`` writes out, not to
    every line the headings and totals are computed from."""
    provisions = engine.compiled.provisions.select(
        "pid", "heading", "heading_rank", "measure_id", "kind", "authority"
    )
    return ev.lines.join(provisions, on="pid")


def _in_cbp_order(ch99: pl.DataFrame) -> pl.DataFrame:
    return ch99.sort("line_id", "reporting_order", "heading_rank")


def _headings(engine: Engine, ch99: pl.DataFrame) -> pl.DataFrame:
    """``line_id``, ``headings``: the reported duty and exemption headings of each line, in CBP order,
    joined by "; ".

    A file has a few hundred distinct heading lists, so the text is made once per distinct list
    of provisions (a string join in a group-by per line took 0.34 s a 500,000-row chunk; grouping
    the integer ids and joining per distinct list, 0.05 s), and each distinct list is put in CBP
    order (reporting order, then heading rank) there."""
    provisions = engine.compiled.provisions.sort("reporting_order", "heading_rank", "pid")
    position = pl.int_range(provisions.height, dtype=pl.Int64, eager=True)
    reported = ch99.filter(pl.col("reported") & pl.col("kind").is_in(["duty", "exemption"]))
    # Sorted first: the group-by then runs on the sorted flag, no hashing (with the sort, 111 → 46 ms
    # a 500,000-row chunk; the rows are mostly in line order already, so the sort is cheap).
    per_line = reported.sort("line_id").group_by("line_id").agg(pids=pl.col("pid"))
    text = (
        pl.col("pids")
        .list.eval(
            pl.element()
            .sort_by(pl.element().replace_strict(provisions["pid"], position))
            .replace_strict(provisions["pid"], provisions["heading"])
        )
        .list.join("; ")
        .alias("headings")
    )
    return per_line.select("line_id").hstack(per_distinct(per_line, ["pids"], [text]))


def _with_references(engine: Engine, ch99: pl.DataFrame) -> pl.DataFrame:
    rates = engine.compiled.rates.select("rate_idx", "ref_instrument", "ref_citation", "ref_url")
    return ch99.join(rates, on="rate_idx", how="left", maintain_order="left")


def _ieepa(ch99: pl.DataFrame, rules: RefundRules) -> pl.DataFrame:
    return (
        ch99.filter(pl.col("measure_id").is_in(rules.measures) & pl.col("void"))
        .group_by("line_id")
        .agg(ieepa_cents=pl.col("amount_cents").sum())
    )


def _error_values(chunk: pl.DataFrame, mapping: Mapping, error_field: pl.Series) -> pl.Series:
    """The value, as the file has it, of the field each row's error names."""
    sources = {**mapping.fields, **{f"paid:{h}": c for h, c in mapping.paid_headings.items()}}
    sources.update({c: c for c in mapping.paid_headings.values()})
    candidates = [
        pl.when(pl.col("__field") == name).then(pl.col(source).cast(pl.String))
        for name, source in sources.items()
    ]
    if not candidates:
        return pl.Series("error_value", [None] * chunk.height, dtype=pl.String)
    return chunk.with_columns(__field=error_field).select(error_value=pl.coalesce(candidates)).to_series()


def compute_chunk(
    chunk: pl.DataFrame,
    mapping: Mapping,
    engine: Engine,
    options: Options,
    rules: RefundRules | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """(one row per input row in input order, the Chapter 99 lines or ``None``)."""
    rules = rules or refund_rules()
    norm = normalize(chunk, mapping).with_row_index("local_row")
    ev = evaluate_raw(engine, engine_frame(norm.drop("local_row", "norm_error")))
    ch99 = _ch99(engine, ev)
    headings = _headings(engine, ch99)
    messages = error_messages(ev, engine.store).select("line_id", engine_error="message")
    # One summary row per input row (line_id = the row's index), so sorted it lines up with ``norm``:
    # a sort of the summary and a side-by-side stack, where a join on the row would hash and then
    # gather every column of both (0.4 s a 500,000-row chunk). ``hstack`` refuses unequal heights.
    summary = ev.summary.select(
        "line_id",
        "hts10",
        "entry_ts",
        "total_cents",
        "owed_cents",
        "additional_cents",
        "void_cents",
        "remitted_cents",
        "adcvd_cents",
        "prohibited",
    ).sort("line_id")
    for per_line in (messages, headings, _ieepa(ch99, rules)):
        summary = left_join_lines(summary, per_line)
    frame = norm.hstack(summary.drop("line_id"))
    failed = pl.col("norm_error").is_not_null() | pl.col("engine_error").is_not_null()
    error = pl.coalesce("norm_error", "engine_error")
    frame = frame.with_columns(
        status=pl.when(failed).then(pl.lit("error")).otherwise(pl.lit("ok")),
        error=error,
        ieepa_cents=pl.when(~failed).then(pl.col("ieepa_cents").fill_null(0)),
        entry_day=pl.col("entry_ts").dt.date(),
        **{
            name: pl.when(~failed).then(pl.col(col))
            for name, col in (
                ("total_cents", "total_cents"),
                ("owed_cents", "owed_cents"),
                ("additional_cents", "additional_cents"),
                ("void_cents", "void_cents"),
                ("remitted_cents", "remitted_cents"),
                ("adcvd_cents", "adcvd_cents"),
            )
        },
    )
    frame = frame.with_columns(
        error_field=pl.col("error").str.split(": ").list.first(),
        error_reason=pl.col("error").str.splitn(": ", 2).struct.field("field_1"),
        refundable_cents=pl.col("void_cents") + pl.col("remitted_cents"),
    )
    frame = frame.with_columns(_error_values(chunk, mapping, frame["error_field"]))
    frame = frame.with_columns(headings=pl.when(~failed).then(pl.col("headings")))
    for name in ("liquidation_date", "entry_type", "importer_type"):
        if name not in frame.columns:
            frame = frame.with_columns(
                pl.lit(None, dtype=pl.Date if name.endswith("date") else pl.String).alias(name)
            )
    frame = refund_columns(frame, rules, options.as_of, "liquidation_date" in mapping.fields)
    frame = reconcile(frame, ch99, mapping, engine)
    if options.lines:
        ok_rows = frame.filter(pl.col("status") == "ok").select(line_id=pl.col("local_row").cast(pl.Int64))
        kept = _in_cbp_order(ch99.join(ok_rows, on="line_id", how="semi"))
        return frame, _lines_frame(_with_references(engine, kept))
    return frame, None


def _lines_frame(ch99: pl.DataFrame) -> pl.DataFrame:
    """One row per applied Chapter 99 line (duties, exemptions, AD/CVD deposits)."""
    return ch99.select(
        local_row=pl.col("line_id").cast(pl.UInt32),
        heading="heading",
        measure="measure_id",
        kind=pl.when(pl.col("is_deposit")).then(pl.lit("deposit")).otherwise(pl.col("kind")),
        rate=(pl.col("rate_ppm").cast(pl.Decimal(20, 0)).cast(pl.Decimal(24, 4)) / 10_000),
        base=money(pl.col("base_cents")),
        amount=money(pl.col("amount_cents")),
        line_refundable=pl.col("void"),
        authority="authority",
        instrument="ref_instrument",
        citation="ref_citation",
        url="ref_url",
    )
