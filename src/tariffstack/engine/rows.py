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
    first = consecutive_start(lines[on]) if lines.height >= POSITION_MIN_ROWS else None
    if first is None:
        return lines.join(per_line, on=on, how="left", maintain_order="left")
    positions = per_line[on].cast(pl.Int64) - first
    if per_line.height and (positions.min() < 0 or positions.max() >= lines.height):  # type: ignore[operator]
        raise ValueError(f"{on}: a per-line row names an id that is not one of the lines'")
    slot = pl.repeat(None, lines.height, dtype=pl.UInt32, eager=True).scatter(
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
    if lines.height < POSITION_MIN_ROWS:
        return lines.join(per_id, on=on, maintain_order="left")
    if per_id.height != count:
        raise ValueError(f"{on}: {per_id.height} rows for {count} ids")
    slot = pl.repeat(None, count, dtype=pl.UInt32, eager=True).scatter(
        per_id[on], pl.arange(0, count, dtype=pl.UInt32, eager=True)
    )
    if slot.null_count():
        raise ValueError(f"{on}: the per-id frame has an id twice")
    return lines.hstack(per_id.drop(on).select(pl.all().gather(slot.gather(lines[on]))))
