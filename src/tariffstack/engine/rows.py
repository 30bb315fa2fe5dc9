"""Per-line columns put beside the lines by position, where a hash join on the line id would cost more.

The lines of an evaluation are numbered in order (``line_id`` = row index: 0, 1, 2, ... or a
chunk's consecutive range), and many frames hold at most one row per line (the MFN line, the
totals, an error message, the headings). Joining such a frame to the lines by ``line_id`` hashes
both sides; placing its rows at ``line_id - first`` is one scatter of row numbers and one gather
(a 500,000-line left join: ~37 → ~12 ms). :func:`left_join_lines` does that when the lines are
numbered consecutively and many, and is the plain join otherwise, with the same result either way.
"""

from __future__ import annotations

import polars as pl

# Below this many lines the join is kept: the checks and the scatter are a few more frame operations,
# and on a call of a few lines each operation's fixed cost outweighs what it saves.
POSITION_MIN_ROWS = 20_000


def filled(name: str, value: object, length: int, dtype: pl.DataType) -> pl.Series:
    """``length`` copies of ``value`` (a constant column, or the start of one scattered into):
    made from a Series of one value (~2 µs), where ``pl.repeat`` runs a query (~60 µs a call of
    one line)."""
    return pl.Series(name, [value], dtype=dtype).new_from_index(0, length)


def by_position(lines: int) -> bool:
    """Whether frames of this many lines are put together by position (else by a plain join)."""
    return lines >= POSITION_MIN_ROWS


def consecutive_start(ids: pl.Series) -> int | None:
    """The first id when ``ids`` are ``first, first + 1, ...`` in order (no nulls), else ``None``."""
    if ids.is_empty():
        return 0
    if ids.null_count() or not (ids.diff().drop_nulls() == 1).all():
        return None
    return int(ids[0])


def left_join_lines(lines: pl.DataFrame, per_line: pl.DataFrame, on: str = "line_id") -> pl.DataFrame:
    """``lines.join(per_line, on=on, how="left", maintain_order="left")`` for a ``per_line`` with at
    most one row per id: the lines in their order, ``per_line``'s columns beside them (null for a
    line it has no row for).

    By position when the lines' ids are consecutive. A ``per_line`` with an id twice or an id that
    is not a line's is a fault of the caller, raised, never resolved by keeping one of the rows."""
    if per_line.width == 1:  # nothing to put beside the lines
        return lines
    first = consecutive_start(lines[on]) if by_position(lines.height) else None
    if first is None:
        return lines.join(per_line, on=on, how="left", maintain_order="left")
    positions = per_line[on].cast(pl.Int64) - first
    if per_line.height and (positions.min() < 0 or positions.max() >= lines.height):  # type: ignore[operator]
        raise ValueError(f"{on}: a per-line row names an id that is not one of the lines'")
    slot = filled("slot", None, lines.height, pl.UInt32).scatter(
        positions, pl.arange(0, per_line.height, dtype=pl.UInt32, eager=True)
    )
    if lines.height - slot.null_count() != per_line.height:
        raise ValueError(f"{on}: the per-line frame has an id twice")
    return lines.hstack(per_line.drop(on).select(pl.all().gather(slot)))


def join_by_position(lines: pl.DataFrame, per_id: pl.DataFrame, on: str, count: int) -> pl.DataFrame:
    """``lines.join(per_id, on=on)`` for a ``per_id`` with exactly one row for each id ``0 … count − 1``
    (the keys as :func:`tariffstack.engine.keys.assign_keys` numbers them) and lines whose ids are
    all among them: each line's row is gathered by position instead of hashed (a 500,000-line join
    to 410,000 keys: ~57 → ~20 ms). The lines keep their order. A ``per_id`` without exactly one
    row per id is a fault of the caller, raised."""
    if not by_position(lines.height):
        return lines.join(per_id, on=on, maintain_order="left")
    if per_id.height != count:
        raise ValueError(f"{on}: {per_id.height} rows for {count} ids")
    slot = filled("slot", None, count, pl.UInt32).scatter(
        per_id[on], pl.arange(0, count, dtype=pl.UInt32, eager=True)
    )
    if slot.null_count():
        raise ValueError(f"{on}: the per-id frame has an id twice")
    return lines.hstack(per_id.drop(on).select(pl.all().gather(slot.gather(lines[on]))))


def semi_join_by_position(per_id: pl.DataFrame, ids: pl.Series, on: str) -> pl.DataFrame:
    """``per_id.join(ids.to_frame(on), on=on, how="semi", maintain_order="left")`` for a ``per_id``
    numbered ``0 … n − 1`` in order (the keys as :func:`tariffstack.engine.keys.assign_keys` numbers
    them): the rows whose id is in ``ids``, kept by a mask scattered at the ids' positions instead
    of a hash join (a million keys: ~100 → ~55 ms, most of it the filter's copy). A ``per_id`` not
    numbered in order, or an id that is not one of its rows', is a fault of the caller, raised."""
    if not by_position(per_id.height):
        return per_id.join(ids.to_frame(on), on=on, how="semi", maintain_order="left")
    numbered = pl.arange(0, per_id.height, dtype=per_id[on].dtype, eager=True)
    if per_id[on].null_count() or not (per_id[on] == numbered).all():
        raise ValueError(f"{on}: the rows are not numbered 0 … {per_id.height - 1} in order")
    if ids.len() and (ids.min() < 0 or ids.max() >= per_id.height):  # type: ignore[operator]
        raise ValueError(f"{on}: an id that is not one of the rows'")
    keep = filled("keep", False, per_id.height, pl.Boolean).scatter(ids, True)
    return per_id.filter(keep)


class PerLineTotals:
    """One row per ``line_id`` of a frame of rows: the sum of each of ``sums`` and whether
    ``any_of`` is true on any of the line's rows (:meth:`query`); the expressions are built once.

    Rows flagged sorted by line id (:func:`tariffstack.engine.evaluate._in_line_order` checks,
    never assumes) are summed by running totals read at each line's last row, less the previous
    line's: a scan instead of a hash group-by (1.46M rows: ~105 → ~65 ms). The running totals of a
    million lines may pass Int64's range; Polars' integer sums wrap (modulo 2⁶⁴), so the
    difference of two running totals is each line's sum modulo 2⁶⁴ as well, bit for bit what a
    group-by's sum gives (a line's own total is far inside Int64: at most 10¹² cents of value per
    line). A test sums amounts whose running total wraps. Other rows take the group-by."""

    def __init__(self, sums: dict[str, pl.Expr], any_of: str) -> None:
        self.grouped_in = ["line_id", *(expr.alias(name) for name, expr in sums.items()), any_of]
        self.grouped = [*(pl.col(name).sum() for name in sums), pl.col(any_of).any()]
        # A null adds nothing, as in a group-by's sum (and a line with only nulls sums to 0).
        running = {name: expr.fill_null(0).cum_sum() for name, expr in sums.items()}
        running[any_of] = pl.col(any_of).cast(pl.Int64).fill_null(0).cum_sum()
        totals = {name: pl.col(name) - pl.col(name).shift(1).fill_null(0) for name in running}
        self.running = ["line_id", *(expr.alias(name) for name, expr in running.items())]
        self.last = pl.col("line_id") != pl.col("line_id").shift(-1).fill_null(-1)
        self.read = [
            "line_id",
            *(totals[name].cast(pl.Int64).alias(name) for name in sums),
            (totals[any_of] > 0).alias(any_of),
        ]

    def query(self, rows: pl.DataFrame) -> pl.LazyFrame:
        """The totals of ``rows`` (``line_id`` and the columns the sums read), as a query."""
        if not rows["line_id"].flags["SORTED_ASC"]:
            return rows.lazy().select(self.grouped_in).group_by("line_id").agg(self.grouped)
        return rows.lazy().select(self.running).filter(self.last).select(self.read)
