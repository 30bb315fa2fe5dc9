"""``per_distinct``: outputs computed once per distinct value equal the row-by-row outputs, in row
order, nulls included."""

from __future__ import annotations

import random

import polars as pl

from tariffstack.io import distinct


def _frame(n: int = 30_000) -> pl.DataFrame:
    rng = random.Random(20261203)
    codes = [f"{rng.randrange(10**9, 10**10)}" for _ in range(300)] + [None, ""]
    days = ["2025-03-04", "2025-08-01", "2026-02-24", None]
    return pl.DataFrame(
        {"code": [rng.choice(codes) for _ in range(n)], "day": [rng.choice(days) for _ in range(n)]},
        schema={"code": pl.String, "day": pl.String},
    )


EXPRS = [
    pl.concat_str(pl.col("code").str.slice(0, 4), pl.lit("/"), pl.col("day")).alias("joined"),
    pl.col("code").str.len_chars().alias("code"),  # an output may bear a root's name
    pl.col("day").is_null().alias("no_day"),
]


def test_per_distinct_equals_the_row_by_row_outputs() -> None:
    frame = _frame()
    got = distinct.per_distinct(frame, ["code", "day"], EXPRS)
    assert got.equals(frame.select(EXPRS))
    staged = distinct.per_distinct(
        frame, ["code"], [pl.col("code").str.slice(0, 2).alias("two")], [(pl.col("two") + "!").alias("out")]
    )
    assert staged["out"].to_list() == frame.select(pl.col("code").str.slice(0, 2) + "!")["code"].to_list()


def test_values_in_runs_are_computed_once_per_run_with_the_row_by_row_outputs() -> None:
    """Sorted, the frame's values come in runs (computed per run); shuffled, they do not (hashed)."""
    shuffled = _frame()
    for frame in (shuffled.sort("code", "day", nulls_last=True), shuffled):
        got = distinct.per_distinct(frame, ["code", "day"], EXPRS, in_runs=True)
        assert got.equals(frame.select(EXPRS))
        staged = distinct.per_distinct(
            frame,
            ["code"],
            [pl.col("code").str.slice(0, 2).alias("two")],
            [(pl.col("two") + "!").alias("out")],
            in_runs=True,
        )
        assert staged["out"].to_list() == frame.select(pl.col("code").str.slice(0, 2) + "!")["code"].to_list()


def test_one_key_column_looked_up_by_value_equals_the_row_by_row_outputs() -> None:
    """One key column (text, a number, a date, a boolean; nulls included) takes the look-up path:
    every output, nested ones and one bearing the key's name included, equals the row by row one;
    a carried column is read like a key."""
    frame = _frame().with_columns(
        number=pl.col("code").str.slice(0, 2).cast(pl.Int64, strict=False),
        date=pl.col("day").str.to_date(),
        flag=pl.col("day").str.ends_with("01"),
        absent=pl.lit(None, dtype=pl.String),
    )
    for root in ("code", "number", "date", "flag"):
        exprs = [
            pl.col(root).cast(pl.String).alias(root),
            pl.concat_list(pl.col(root).cast(pl.String), pl.lit("x")).alias("listed"),
            pl.struct(key=pl.col(root), missing=pl.col("absent")).alias("nested"),
        ]
        got = distinct.per_distinct(frame, [root], exprs, carried=["absent"])
        assert got.equals(frame.select(exprs)), root
