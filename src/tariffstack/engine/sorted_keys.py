"""Look-ups in the sorted keys the process keeps (codes met, known stacks, explanation keys).

A memo kept with the compiled law grows to tens of thousands of keys in the web server (every U.S.
code, 15,000 stacks): a join against it hashes all of them on every call (~0.4–0.9 ms), a binary
search of the few keys a call wants reads a handful. The memos keep their keys sorted (or a sorted
copy with the row of each) so that one search serves, and their rows in blocks of a key, each
block's bounds found by the same search, a new key's block appended after the rest.
"""

from __future__ import annotations

import polars as pl


def position(keys: pl.Series, wanted: pl.Expr) -> pl.Expr:
    """The position of each wanted value among ``keys`` (sorted), as an expression: a value not
    there gets the position of the next key (the last where none is larger), or null when there are
    no keys; a gather at it reads something, never an error; :func:`held` tells whether it is the
    value. An expression, so a caller puts the search, the check and its gathers in one operation
    (a call of one line pays each operation, ~50 µs, more than the search)."""
    if keys.is_empty():
        return pl.repeat(None, wanted.len(), dtype=pl.UInt32)  # (null, one per wanted value)
    return pl.lit(keys).search_sorted(wanted, side="left").clip(upper_bound=keys.len() - 1)


def held(keys: pl.Series, at: pl.Expr, wanted: pl.Expr) -> pl.Expr:
    """Whether each wanted value is the key at its :func:`position` (an expression). Apart, so a
    caller that checks its rows another way first (the known stacks, by every column) pays it only
    when that check fails."""
    return (pl.lit(keys).gather(at) == wanted).fill_null(False)


def holds(keys: pl.Series, at: pl.Series, wanted: pl.Series) -> pl.Series:
    """:func:`held` at positions ``at`` (computed :func:`position`), computed (one operation)."""
    return pl.select(held(keys, pl.lit(at), pl.lit(wanted))).to_series()


def block_bounds(block_ids: pl.Series, wanted: pl.Series, before: int = 0) -> tuple[pl.Expr, pl.Expr]:
    """The first and past-the-last row of each wanted id's block, in rows sorted by id
    (``block_ids``) kept after ``before`` others: two expressions for one select, so the searches
    of several parts run as one operation."""
    ids, of_row = pl.lit(wanted), pl.lit(block_ids)
    start = before + of_row.search_sorted(ids, side="left").cast(pl.Int64)
    end = before + of_row.search_sorted(ids, side="right").cast(pl.Int64)
    return start, end


MAX_CHUNKS = 16


def appended(kept: pl.DataFrame, fresh: pl.DataFrame) -> pl.DataFrame:
    """A memo's kept rows with ``fresh`` after them; put in one piece of memory when the pieces grow
    many (a frame of many pieces is slower to gather from, and each new key adds one)."""
    frame = pl.concat([kept, fresh])
    return frame.rechunk() if frame.n_chunks() > MAX_CHUNKS else frame
