"""The library entry point: load the law and the store once, then evaluate any number of lines.

The CLI, the tests and the benchmark all go through :class:`Engine`, so there is one path from
input rows to results.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

from tariffstack.engine.compile import CompiledLaw, compile_law
from tariffstack.engine.evaluate import Evaluation, evaluate
from tariffstack.hts.store import Store
from tariffstack.io.entry import lines_frame
from tariffstack.io.output import to_records
from tariffstack.law.loader import Law, load_law
from tariffstack.settings import Settings


class Engine:
    """Compiled law (per importing country) plus the schedule store."""

    def __init__(self, settings: Settings | None = None, law_dir: Path | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.law_dir = law_dir
        self.store = Store(self.settings.store_dir)

    @cached_property
    def law(self) -> Law:
        return load_law(self.law_dir)

    @cached_property
    def compiled(self) -> CompiledLaw:
        return compile_law(self.law)

    def evaluate_frame(self, frame: pl.DataFrame) -> Evaluation:
        """Evaluate a typed frame (see :data:`tariffstack.io.entry.SCHEMA`)."""
        return evaluate(frame, self.compiled, self.store)

    def evaluate_rows(self, rows: list[Any]) -> tuple[Evaluation, list[dict[str, Any]]]:
        frame, passthrough = lines_frame(rows)
        return self.evaluate_frame(frame), passthrough

    def calc(self, rows: list[Any]) -> list[dict[str, Any]]:
        """Raw input objects → the public JSON result objects, one per input row, in order."""
        evaluation, passthrough = self.evaluate_rows(rows)
        return to_records(evaluation, self.compiled, self.store, passthrough)
