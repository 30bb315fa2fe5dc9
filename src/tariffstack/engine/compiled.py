"""The compiled law: the small integer-keyed tables the evaluator joins against.

The type lives apart from the compiler (:mod:`tariffstack.engine.compile`) so the evaluation path
imports neither the YAML loader nor the law's pydantic model: a process that reads the compiled
law's snapshot (:mod:`tariffstack.engine.snapshot`) never loads them (about 0.15 s of a cold start).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TypeVar

import polars as pl

from tariffstack.law.vocabulary import BASE_KINDS

__all__ = ["BASE_KINDS", "BITS_PER_WORD", "KEY_SPACE", "CompiledLaw"]

T = TypeVar("T")
BITS_PER_WORD = 62  # condition-set bits per Int64 word (the sign bit and one spare are left unused)

KEY_SPACE = 1 << 20  # ids paired with a small id (provision, heading, epoch) stay below this


@dataclass
class CompiledLaw:
    provisions: pl.DataFrame
    countries: pl.DataFrame
    scope: pl.DataFrame
    rates: pl.DataFrame
    exceptions: pl.DataFrame
    rules: pl.DataFrame
    rule_winners: pl.DataFrame
    rule_losers: pl.DataFrame
    measures: pl.DataFrame
    conditions: dict[int, tuple[pl.Expr, str]]
    condition_sets: list[pl.Expr]
    # Each set's conditions (the set is their AND; each is null-safe): a condition whose facts no
    # line of a frame gives has one value on all of them, read once (engine/keys._condition_words)
    condition_terms: list[list[pl.Expr]]
    breakpoints: pl.Series
    epoch_rates: pl.DataFrame
    rule_epochs: pl.DataFrame
    by_epoch: pl.DataFrame  # epoch_rates with the provision columns the evaluator needs, keyed ``pe``
    rule_sides: pl.DataFrame  # (pe, rule_idx, winner): the sides of the acting rules, per epoch in force
    # The acting rules in precedence layers: {"rules": ids, "sides": (pe, winner, displace, remit, rule)}
    rule_layers: list[dict]
    in_force: pl.DataFrame  # by_epoch rows in force, with pid and epoch
    # Derived tables the evaluator builds once per compiled law (scope classes of the codes seen,
    # compiled condition words); never part of the law's identity.
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    def lookup(self, table: str, by: str, **columns: str) -> list[pl.Expr]:
        """``name=column`` of the law's ``table`` (provisions, rates, rules or measures) at each
        row's id in column ``by``: gathered by position, as the table's ids are consecutive
        (checked once per law), where a join would hash both sides. A null id reads nulls, as a
        left join does; an id the table
        does not have is an error, never a silent null (use a join where an id may be absent).
        Built once per law and set of columns."""
        return self.derived(
            ("lookup", table, by, tuple(columns.items())), lambda: self._lookup(table, by, columns)
        )

    def _lookup(self, table: str, by: str, columns: dict[str, str]) -> list[pl.Expr]:
        frame: pl.DataFrame = getattr(self, table)
        first = self.derived(("first_id", table), lambda: _first_id(frame, table))
        at = (pl.col(by) - first).cast(pl.UInt32)  # strict: an id below the first fails the query
        return [pl.lit(frame[column]).gather(at).alias(name) for name, column in columns.items()]

    def derived(self, key: Hashable, build: Callable[[], T]) -> T:
        """The table (or expressions) of the law alone under ``key``: built on first use, then kept
        in ``memo`` for every later call (building twice at once is harmless: the same value)."""
        if key not in self.memo:
            self.memo[key] = build()
        return self.memo[key]


ID_COLUMNS = {"provisions": "pid", "rates": "rate_idx", "rules": "rule_idx", "measures": "mid"}


def _first_id(frame: pl.DataFrame, table: str) -> int:
    """The first id of a law table whose ids are consecutive and in order (else a fault: raised)."""
    ids = frame[ID_COLUMNS[table]]
    if ids.is_empty():
        return 0
    first = int(ids[0])
    if ids.null_count() or not (ids == pl.int_range(first, first + ids.len(), eager=True)).all():
        raise ValueError(f"{table}: the ids in {ID_COLUMNS[table]} are not consecutive from {first}")
    return first
