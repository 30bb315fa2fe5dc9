"""Run a chain of frame operations as one Polars query.

Every eager frame operation is a query of its own: on a frame of a few rows it costs 100–200 µs
on this project's machine whatever its size (planning, the Python wrapper, handing the work to
the thread pool), and a call of one line is a few hundred of them. A chain written on a
``LazyFrame`` and collected once pays that fixed part once: the seven joins and selects that put
a line's contract together take 1.2 ms instead of 2.0 ms.

The query is planned with the flags of an eager operation (no optimisation pass, only the
simplification of expressions), so it computes exactly what the eager chain would, in the same
order; only the fixed costs are shared. A frame that two
branches of a query read must be collected before (a query without common-subplan elimination
would compute it twice).
"""

from __future__ import annotations

from typing import TypeVar

import polars as pl

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)  # a step that runs on a frame or in a query
AS_EAGER = pl.QueryOptFlags.none(simplify_expression=True)


def run(query: pl.LazyFrame) -> pl.DataFrame:
    """The result of ``query``, collected in memory with the eager operations' planning."""
    return query.collect(engine="in-memory", optimizations=AS_EAGER)


SHARING = pl.QueryOptFlags.none(simplify_expression=True, comm_subexpr_elim=True)


def run_shared(query: pl.LazyFrame) -> pl.DataFrame:
    """:func:`run`, with common subexpressions computed once: for a select whose expressions read
    the same subexpression several times (a number's trimmed text is matched, then cast; a value is
    bounded, then kept). Polars computes each occurrence otherwise: a million values took 280 ms
    instead of 140."""
    return query.collect(engine="in-memory", optimizations=SHARING)
