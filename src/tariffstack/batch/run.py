"""``run_file``: a batch file in, the results file (and the refund report) out.

The run reads the file in chunks, sends each through :func:`tariffstack.batch.compute.compute_chunk`
(locally, or per partition on Dask), and, in input order, numbers the rows, flags duplicates,
writes the output, adds up the summary and the per-entry refund partials. Memory stays bounded by
the chunk size, the duplicate keys (8 bytes per distinct line) and the per-entry partials.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from tariffstack.api import Engine
from tariffstack.batch.compute import MONEY_COLUMNS, Options, compute_chunk, money_column
from tariffstack.batch.entry_numbers import compact_chars
from tariffstack.batch.headers import Mapping, map_headers
from tariffstack.batch.parallel import ordered_map
from tariffstack.batch.readers import EXTRA, Source, open_source
from tariffstack.batch.writers import OverlappedWriter, Writer
from tariffstack.hts.codes import dotted_expr

CHUNK_ROWS = 500_000
LOCAL_WORKERS = 2  # chunks computed at once on one machine (see :mod:`tariffstack.batch.parallel`)
RESULT_COLUMNS = (
    "row",
    "status",
    "error",
    "error_field",
    "error_value",
    "error_reason",
    "duplicate",
    "duplicate_of",
    "entry_number_normalized",
    "hts_code",
    "entry_time",
    *MONEY_COLUMNS,
    "ieepa_refundable",
    "headings",
    "prohibited",
    "route",
    "route_deadline",
    "route_basis",
    "route_confidence",
    "interest_estimate",
    "interest_confidence",
    "paid_duty",
    "paid_difference",
    "reconciliation",
)
LINE_COLUMNS = (
    "record",
    "heading",
    "measure",
    "kind",
    "rate",
    "base",
    "amount",
    "line_refundable",
    "authority",
    "instrument",
    "citation",
    "url",
)


@dataclass
class BatchSummary:
    """What a run did. Totals are integer cents over computed, non-duplicate rows."""

    rows_read: int = 0
    computed: int = 0
    errors: int = 0
    duplicates: int = 0
    assessed_cents: int = 0
    owed_cents: int = 0
    refundable_cents: int = 0
    ieepa_refundable_cents: int = 0
    interest_cents: int = 0
    adcvd_cents: int = 0
    unknown_customs_duty: int = 0  # computed rows whose customs duty is not known (Canada MFN)
    reconciliation_flags: int = 0
    routes: dict[str, int] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    output: str = ""
    report_files: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def shape_rows(frame: pl.DataFrame, chunk: pl.DataFrame) -> pl.DataFrame:
    """Computed frame (+ ``row``, ``duplicate_of``) → the output columns, then the input's own columns."""
    cents = {
        "total_duty": "total_cents",
        "assessed_duty": "total_cents",
        "owed_duty": "owed_cents",
        "refundable": "refundable_cents",
        "additional_total": "additional_cents",
        "void_by_ruling": "void_cents",
        "remitted": "remitted_cents",
        "adcvd_total": "adcvd_cents",
        "ieepa_refundable": "ieepa_cents",
        "interest_estimate": "interest_cents",
        "paid_duty": "paid_cents",
        "paid_difference": "paid_difference_cents",
    }
    ok = pl.col("status") == "ok"
    computed = frame.select(
        "row",
        "status",
        "error",
        "error_field",
        "error_value",
        "error_reason",
        duplicate=pl.col("duplicate_of").is_not_null(),
        duplicate_of="duplicate_of",
        entry_number_normalized=(
            pl.col("entry_number") if "entry_number" in frame.columns else pl.lit(None, dtype=pl.String)
        ),
        hts_code=pl.when(ok).then(dotted_expr(pl.col("hts10"))),
        entry_time=pl.when(ok).then(pl.col("entry_ts").dt.strftime("%Y-%m-%dT%H:%M")),
        headings="headings",
        prohibited=pl.when(ok).then(pl.col("prohibited")),
        route=pl.col("route").cast(pl.String),
        route_deadline="route_deadline",
        route_basis="route_basis",
        route_confidence="route_confidence",
        interest_confidence="interest_confidence",
        reconciliation="reconciliation",
    )
    computed = computed.with_columns(money_column(frame[col]).alias(name) for name, col in cents.items())
    computed = computed.select(RESULT_COLUMNS)
    inputs = chunk.drop([c for c in chunk.columns if c == EXTRA])
    renamed = {c: f"{c} (input)" for c in inputs.columns if c in RESULT_COLUMNS or c in LINE_COLUMNS}
    return pl.concat([computed, inputs.rename(renamed)], how="horizontal")


class _Duplicates:
    """First row of each line key seen so far (entry number + line number, or the whole row).

    A chunk's keys are matched against the keys seen with an inner join, whose hash table Polars
    builds on the smaller side (the chunk's keys); only the matches are then joined to the rows. A
    left join of the rows against every key seen rebuilt a table of all of them each chunk: a
    10,000,000-line file of distinct lines took 18 s there, growing with the square of the file."""

    def __init__(self) -> None:
        self.seen = pl.DataFrame(schema={"key": pl.UInt64, "first_row": pl.Int64})

    def flag(self, keys: pl.DataFrame) -> pl.Series:
        """``keys``: ``row``, ``key`` → the earlier row each row duplicates (null for a first)."""
        within = keys.with_columns(first_row=pl.col("row").min().over("key"))
        matched = within.select("key").unique().join(self.seen, on="key", how="inner")
        joined = within.join(
            matched.rename({"first_row": "first_row_seen"}), on="key", how="left", maintain_order="left"
        )
        first = pl.coalesce("first_row_seen", "first_row")
        result = joined.select(duplicate_of=pl.when(first != pl.col("row")).then(first))
        new = joined.filter((pl.col("row") == pl.col("first_row")) & pl.col("first_row_seen").is_null())
        self.seen = pl.concat([self.seen, new.select("key", "first_row")])
        return result["duplicate_of"]


def _key(mapping: Mapping, chunk: pl.DataFrame) -> pl.Expr:
    whole = pl.struct([pl.col(c) for c in chunk.columns if c != EXTRA]).hash(seed=0)
    if "entry_number" in mapping.fields and "line_number" in mapping.fields:
        en, ln = pl.col(mapping.fields["entry_number"]), pl.col(mapping.fields["line_number"])
        # Entry + line number identify a line: "B76-1234567-1" and "B7612345671" are one entry.
        en_key = compact_chars(en)
        ln_key = ln.cast(pl.String).str.strip_chars().str.strip_chars_start("0")
        by_line = pl.struct(en_key, ln_key).hash(seed=0)
        return pl.when(en.is_not_null() & ln.is_not_null()).then(by_line).otherwise(whole)
    return whole


def _entry_partials(frame: pl.DataFrame) -> pl.DataFrame:
    """Per entry: lines, IEEPA refundable, interest, route span, deadline (this chunk only)."""
    cols = frame.columns
    importer = pl.col("importer") if "importer" in cols else pl.lit(None, dtype=pl.String)
    entry = pl.col("entry_number") if "entry_number" in cols else pl.lit(None, dtype=pl.String)
    counted = frame.filter((pl.col("status") == "ok") & pl.col("duplicate_of").is_null())
    return counted.group_by(entry.alias("entry_number")).agg(
        importer=importer.drop_nulls().first(),
        lines=pl.len(),
        assessed_cents=pl.col("total_cents").sum(),
        ieepa_cents=pl.col("ieepa_cents").sum(),
        interest_cents=pl.col("interest_cents").sum(),
        route_min=pl.col("route").cast(pl.String).min(),
        route_max=pl.col("route").cast(pl.String).max(),
        deadline=pl.col("route_deadline").min(),
        liquidation_date=pl.col("liquidation_date").min(),
        liquidation_date_max=pl.col("liquidation_date").max(),
        first_entry_day=pl.col("entry_day").min(),
        confidence=pl.col("route_confidence").max(),
    )


def _accumulate(summary: BatchSummary, frame: pl.DataFrame) -> None:
    ok = pl.col("status") == "ok"
    counted = ok & pl.col("duplicate_of").is_null()
    stats = frame.select(
        rows=pl.len(),
        computed=ok.sum(),
        errors=(~ok).sum(),
        duplicates=pl.col("duplicate_of").is_not_null().sum(),
        assessed=pl.col("total_cents").filter(counted).sum(),
        owed=pl.col("owed_cents").filter(counted).sum(),
        refundable=pl.col("refundable_cents").filter(counted).sum(),
        ieepa=pl.col("ieepa_cents").filter(counted).sum(),
        interest=pl.col("interest_cents").filter(counted).sum(),
        adcvd=pl.col("adcvd_cents").filter(counted).sum(),
        unknown=(counted & pl.col("total_cents").is_null()).sum(),
        flags=pl.col("reconciliation").is_not_null().sum(),
    ).row(0, named=True)
    summary.rows_read += stats["rows"]
    summary.computed += stats["computed"]
    summary.errors += stats["errors"]
    summary.duplicates += stats["duplicates"]
    summary.assessed_cents += stats["assessed"] or 0
    summary.owed_cents += stats["owed"] or 0
    summary.refundable_cents += stats["refundable"] or 0
    summary.ieepa_refundable_cents += stats["ieepa"] or 0
    summary.interest_cents += stats["interest"] or 0
    summary.adcvd_cents += stats["adcvd"] or 0
    summary.unknown_customs_duty += stats["unknown"]
    summary.reconciliation_flags += stats["flags"]
    routes = frame.filter(counted & pl.col("route").is_not_null())["route"].cast(pl.String).value_counts()
    for route, count in routes.iter_rows():
        summary.routes[route] = summary.routes.get(route, 0) + count


def _with_lines(rows: pl.DataFrame, lines: pl.DataFrame, offset: int) -> pl.DataFrame:
    """Interleave: each input row, then its Chapter 99 lines (``record`` = ``line`` / ``ch99``)."""
    lines = lines.with_columns(
        row=pl.col("local_row").cast(pl.Int64) + offset + 1, record=pl.lit("ch99")
    ).drop("local_row")
    ids = rows.select("row", "entry_number_normalized")
    lines = lines.join(ids, on="row", how="left", maintain_order="left")
    rows = rows.with_columns(record=pl.lit("line"))
    both = pl.concat([rows, lines], how="diagonal_relaxed").with_row_index("_order")
    both = both.sort("row", pl.col("record") != "line", "_order").drop("_order")
    first = ["row", *LINE_COLUMNS]
    return both.select(first + [c for c in rows.columns if c not in first])


ChunkResults = Iterator[tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None]]


def local_results(
    source: Source, mapping: Mapping, engine: Engine, options: Options, chunk_rows: int, workers: int
) -> ChunkResults:
    """Each chunk read and computed by :func:`compute_chunk` on one of ``workers`` threads, taken
    back in input order. The chunk is read on the thread that computes it, not by the caller."""
    _ = engine.compiled, engine.store.mfn_indexed, engine.store.revisions  # loaded before the threads start

    def compute(offset: int) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None]:
        chunk = source.read_slice(offset, chunk_rows)
        return (chunk, *compute_chunk(chunk, mapping, engine, options))

    return ordered_map(compute, range(0, source.rows, chunk_rows), workers)


def run_file(
    src: Path,
    dst: Path,
    *,
    in_format: str | None = None,
    out_format: str | None = None,
    lines: bool = False,
    column_map: dict[str, str] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    engine: Engine | None = None,
    as_of: date | None = None,
    refunds: Path | None = None,
    dask: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
    workers: int = LOCAL_WORKERS,
) -> BatchSummary:
    """Compute every row of ``src`` into ``dst`` (format from its extension, or ``out_format``).

    Raises :class:`~tariffstack.batch.readers.InputError` or
    :class:`~tariffstack.batch.headers.HeaderError` when the file as a whole cannot be read (no
    header, unreadable encoding, a required column missing); a bad *row* never stops the run.
    """
    started = time.perf_counter()
    options = Options(as_of=as_of or date.today(), lines=lines)
    with tempfile.TemporaryDirectory(prefix="tariffstack-batch-") as tmp:
        source = open_source(Path(src), in_format, Path(tmp))
        mapping = map_headers(source.columns, column_map)
        summary = BatchSummary(ignored_columns=list(mapping.passthrough), output=str(dst))
        if dask:
            from tariffstack.batch.distributed import dask_results

            store_dir = str(engine.settings.store_dir) if engine is not None else None
            results = dask_results(source, mapping, options, dask, chunk_rows, store_dir)
        else:
            results = local_results(source, mapping, engine or Engine(), options, chunk_rows, workers)
        with OverlappedWriter(Writer(Path(dst), out_format)) as writer:
            duplicates = _Duplicates()
            partials: list[pl.DataFrame] = []
            offset = 0
            if on_progress:
                on_progress(0, source.rows)
            for chunk, frame, line_frame in results:
                frame = frame.with_columns(row=pl.col("local_row").cast(pl.Int64) + offset + 1)
                keys = chunk.select(key=_key(mapping, chunk)).with_columns(row=frame["row"])
                frame = frame.with_columns(duplicate_of=duplicates.flag(keys))
                _accumulate(summary, frame)
                if refunds is not None:
                    partials.append(_entry_partials(frame))
                rows = shape_rows(frame, chunk)
                writer.write(_with_lines(rows, line_frame, offset) if line_frame is not None else rows)
                offset += chunk.height
                if on_progress:
                    on_progress(offset, source.rows)
            writer.close(empty_schema=_empty_schema(source, lines))
        if refunds is not None:
            from tariffstack.batch.report import write_refund_report

            summary.report_files = [str(p) for p in write_refund_report(partials, Path(refunds), options)]
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _empty_schema(source: Source, lines: bool) -> dict[str, pl.DataType]:
    """Header-only input: the output still has its header (every column, no rows)."""
    schema: dict[str, pl.DataType] = dict.fromkeys(RESULT_COLUMNS, pl.String)
    if lines:
        schema = {"row": pl.String, **dict.fromkeys(LINE_COLUMNS, pl.String), **schema}
    for column in source.columns:
        schema.setdefault(column if column not in schema else f"{column} (input)", pl.String)
    return schema
