"""The library entry point: load the law and the store once, then evaluate any number of lines.

The CLI, the tests, the batch runner, the web app and the benchmark all go through
:class:`Engine`, so there is one path from input rows to results: raw rows (JSON objects or a
frame of fields) → :func:`~tariffstack.io.entry.validate_frame` → :func:`~tariffstack.engine.
evaluate.evaluate` → (when asked) the contract's JSON.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from tariffstack.engine.compiled import CompiledLaw
from tariffstack.engine.evaluate import Evaluation, evaluate
from tariffstack.engine.explain import learn_explanations
from tariffstack.engine.keys import code_keys
from tariffstack.engine.snapshot import load_or_compile
from tariffstack.engine.stack import scope_classes
from tariffstack.hts.store import Store
from tariffstack.io.entry import passthrough_ids, validate_frame
from tariffstack.io.output import records_frame, to_json, to_json_groups, to_records
from tariffstack.io.raw import raw_from_json, raw_from_objects
from tariffstack.law.location import default_law_dir
from tariffstack.law.vocabulary import PASS_THROUGH, with_schema
from tariffstack.settings import Settings

if TYPE_CHECKING:
    from tariffstack.law.loader import Law

WARM_CHUNK = 200_000  # lines of the stacks' warm-up evaluated at once


class Engine:
    """Compiled law (per importing country) plus the schedule store."""

    def __init__(self, settings: Settings | None = None, law_dir: Path | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.law_dir = law_dir
        self.store = Store(self.settings.store_dir)

    @cached_property
    def law(self) -> Law:
        # Imported here: the YAML reader and the law's pydantic model cost ~0.15 s to import, and a
        # process that reads the compiled law's snapshot never needs them.
        from tariffstack.law.loader import load_law

        return load_law(self.law_dir)

    @cached_property
    def compiled(self) -> CompiledLaw:
        """The compiled law. An engine whose law is already in hand (loaded, or given: a scenario's
        changed law) compiles that; otherwise the law's snapshot in the store is used when the law
        files and the code are those it was compiled from (:mod:`tariffstack.engine.snapshot`)."""
        if "law" in self.__dict__:
            return self._compile()
        law_dir = self.law_dir or default_law_dir()
        return load_or_compile(law_dir, self.settings.store_dir, self._compile)

    def _compile(self) -> CompiledLaw:
        from tariffstack.engine.compile import compile_law  # imported only where a law is compiled

        return compile_law(self.law)

    def warm_scopes(self) -> None:
        """Resolve the product and country scope of every U.S. code for goods of Canada now (an
        evaluation resolves the codes it meets and keeps them with the compiled law), so the first
        line of a product costs no more than the next: ~0.2 s for 23,000 codes. The web app does
        this at start; a batch run does not need it (its codes are resolved in one pass)."""
        codes = self.store.mfn.select("hts10").unique(maintain_order=True)
        scope_classes(
            code_keys(codes.with_columns(origin=pl.lit("CA"), importing_country=pl.lit("US"))), self.compiled
        )

    def warm_stacks(self, through: date | None = None, per_class: int = 3) -> None:
        """Decide, before any request, the stacks a line of goods of Canada entering the U.S. meets
        (no content facts given, with and without a USMCA claim) on every day from 2025-01-01 to a
        year after ``through`` (default today), and at each change of the law in that span.

        An evaluation keeps each stack it decides with the compiled law
        (:mod:`tariffstack.engine.known_stacks`), and the contract the rows of each explanation
        key (:func:`tariffstack.engine.explain.not_applied_rows`); a call that meets a new one
        decides it then, several ms more on one CPU. A stack depends on the scope class, not the code, so
        ``per_class`` codes of each class (those the schedule lists longest, ad valorem or free
        where there are) are evaluated on each day: ~1 M lines, ~1 s. Only the memo changes;
        results do not (tested)."""
        self.warm_scopes()
        first = datetime(2025, 1, 1)
        last = datetime.combine(max(through or date.today(), first.date()), datetime.min.time())
        days = pl.datetime_range(first, last + timedelta(days=366), "1d", eager=True, time_unit="us")
        breaks = self.compiled.breakpoints.cast(days.dtype)
        times = pl.concat([days, breaks.filter(breaks.is_between(days.min(), days.max()))]).unique()
        typed = _warm_lines(self._class_codes(per_class), times.sort())
        for start in range(0, typed.height, WARM_CHUNK):  # (chunks: the warm-up's memory stays small)
            learn_explanations(self.evaluate_frame(typed.slice(start, WARM_CHUNK)), self.compiled)

    def _class_codes(self, per_class: int) -> pl.DataFrame:
        """``per_class`` U.S. codes of each scope class met for goods of Canada (the schedule's
        longest listed first, ad valorem or free first), with their unit."""
        rates = (
            self.store.mfn.group_by("hts10")
            .agg(
                rows=pl.len(),
                ad_valorem=pl.col("general_status").is_in(["free", "ad_valorem"]).all(),
                unit=pl.col("general_spec1_unit").drop_nulls().first(),
            )
            .with_columns(origin=pl.lit("CA"), importing_country=pl.lit("US"))
        )
        return (
            code_keys(rates)
            .join(self.compiled.memo["scope"]["codes"], on="code_key")
            .sort("ad_valorem", "rows", "hts10", descending=[True, True, False])
            .group_by("class_id", maintain_order=True)
            .head(per_class)
            .select("hts10", "origin", "importing_country", "unit")
        )

    def evaluate_frame(self, frame: pl.DataFrame) -> Evaluation:
        """Evaluate a typed frame (see :data:`tariffstack.law.vocabulary.SCHEMA`)."""
        return evaluate(frame, self.compiled, self.store)

    def evaluate_raw(self, raw: pl.DataFrame) -> Evaluation:
        """Validate and evaluate a frame of raw fields (columns named as the entry-line fields, text
        or native values, one row per line); ``summary.line_id`` is the row index."""
        typed, _ = validate_frame(raw)
        return self.evaluate_frame(typed)

    def evaluate_rows(self, rows: list[Any]) -> tuple[Evaluation, pl.DataFrame]:
        """Raw input objects → (evaluation, pass-through ids frame)."""
        typed, passthrough = validate_frame(raw_from_objects(rows))
        return self.evaluate_frame(typed), passthrough

    def records(self, raw: pl.DataFrame) -> pl.DataFrame:
        """A raw frame → the contract as a frame (one row per input row, nested columns)."""
        typed, passthrough = validate_frame(raw)
        return records_frame(self.evaluate_frame(typed), self.compiled, self.store, passthrough)

    def calc(self, rows: list[Any]) -> list[dict[str, Any]]:
        """Raw input objects → the public JSON result objects, one per input row, in order."""
        evaluation, passthrough = self.evaluate_rows(rows)
        return to_records(evaluation, self.compiled, self.store, passthrough)

    def calc_json(self, text: bytes | str) -> bytes:
        """JSON text (a list of entry-line objects, or one) → the contract as JSON bytes."""
        typed, passthrough = validate_frame(raw_from_json(text))
        return to_json(self.evaluate_frame(typed), self.compiled, self.store, passthrough)

    def calc_json_groups(self, groups: list[list[Any]]) -> list[bytes]:
        """Several requests' lines evaluated in one call → each request's contract JSON, exactly as
        :meth:`calc` would give it alone. The fixed cost of an evaluation (a few hundred frame
        operations, whatever the line count) is paid once for all of them.

        Each group is decoded alone (so a type clash between two requests' rows cannot touch the
        other), the entry fields are validated and evaluated together, and the pass-through ids
        are put back per group."""
        raws = [raw_from_objects(rows) for rows in groups]
        fields = [raw.drop(c for c in PASS_THROUGH if c in raw.columns) for raw in raws]
        typed, _ = validate_frame(pl.concat(fields, how="diagonal_relaxed"))
        passthroughs = [passthrough_ids(raw) for raw in raws]
        return to_json_groups(self.evaluate_frame(typed), self.compiled, self.store, passthroughs)


def _warm_lines(codes: pl.DataFrame, times: pl.Series) -> pl.DataFrame:
    """Typed lines of each code at each entry time, without and with the USMCA claim (a value of
    $1,000; one unit where the rate is per unit)."""
    lines = (
        codes.join(times.alias("entry_ts").to_frame(), how="cross")
        .join(pl.DataFrame({"spi": [None, "S"]}, schema={"spi": pl.String}), how="cross")
        .with_columns(
            line_id=pl.int_range(pl.len(), dtype=pl.Int64),
            value_cents=pl.lit(100_000, dtype=pl.Int64),
            qty_milli=pl.when(pl.col("unit").is_not_null()).then(pl.lit(1_000_000, dtype=pl.Int64)),
        )
    )
    return with_schema(lines)
