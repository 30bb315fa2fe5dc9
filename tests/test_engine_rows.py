"""Per-line (and per-key) columns put beside the lines by position give what the join gives, and
refuse what a join would resolve silently (an id twice, an id that is no line's, a key missing)."""

from __future__ import annotations

import datetime as dt
import random

import polars as pl
import pytest

from tariffstack.engine import rows
from tariffstack.engine.rows import (
    PerLineTotals,
    consecutive_start,
    join_by_position,
    left_join_lines,
    semi_join_by_position,
)


def _lines(ids: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {"line_id": ids, "value": [i * 10 for i in ids]}, schema={"line_id": pl.Int64, "value": pl.Int64}
    )


def _per_line(ids: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {"line_id": ids, "msg": [f"m{i}" for i in ids], "when": [dt.datetime(2025, 3, 4, 0, 1)] * len(ids)},
        schema={"line_id": pl.Int64, "msg": pl.String, "when": pl.Datetime("us")},
    )


@pytest.fixture(autouse=True)
def _by_position_from_few_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rows, "POSITION_MIN_ROWS", 2)


@pytest.mark.parametrize("first", [0, 500_000])
def test_by_position_equals_the_left_join(first: int) -> None:
    rng = random.Random(first)
    ids = list(range(first, first + 5_000))
    some = rng.sample(ids, 3_100)  # in no order, a line with no row gets nulls
    lines, per_line = _lines(ids), _per_line(some)
    expected = lines.join(per_line, on="line_id", how="left", maintain_order="left")
    assert consecutive_start(lines["line_id"]) == first
    assert left_join_lines(lines, per_line).equals(expected)
    assert left_join_lines(lines, per_line.head(0)).equals(expected.with_columns(msg=None, when=None))


def test_lines_not_numbered_in_order_take_the_join() -> None:
    lines, per_line = _lines([4, 2, 9, 3]), _per_line([9, 4])
    assert consecutive_start(lines["line_id"]) is None
    assert left_join_lines(lines, per_line)["msg"].to_list() == ["m4", None, "m9", None]


def test_an_id_twice_or_outside_the_lines_is_refused() -> None:
    lines = _lines(list(range(10)))
    with pytest.raises(ValueError, match="has an id twice"):
        left_join_lines(lines, _per_line([1, 1, 2]))
    with pytest.raises(ValueError, match="not one of the lines'"):
        left_join_lines(lines, _per_line([3, 10]))
    with pytest.raises(ValueError, match="not one of the lines'"):
        left_join_lines(lines, _per_line([-1]))


def test_few_lines_take_the_join_with_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    lines, per_line = _lines(list(range(50))), _per_line([7, 3, 40])
    by_position = left_join_lines(lines, per_line)
    monkeypatch.setattr(rows, "POSITION_MIN_ROWS", 10**9)
    assert left_join_lines(lines, per_line).equals(by_position)


def _per_key(ids: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {"key_id": ids, "rate": [i * 7 for i in ids]}, schema={"key_id": pl.Int64, "rate": pl.Int64}
    )


@pytest.mark.parametrize("min_rows", [2, 10**9])  # by position, and the join it stands for
def test_keys_by_position_equal_the_inner_join_in_the_lines_order(
    monkeypatch: pytest.MonkeyPatch, min_rows: int
) -> None:
    monkeypatch.setattr(rows, "POSITION_MIN_ROWS", min_rows)
    rng = random.Random(7)
    keys = list(range(300))
    rng.shuffle(keys)  # the per-key rows in no order
    lines = pl.DataFrame({"line_id": range(2_000), "key_id": [rng.randrange(300) for _ in range(2_000)]})
    per_key = _per_key(keys)
    got = join_by_position(lines, per_key, "key_id", 300)
    assert got.equals(lines.join(per_key, on="key_id", maintain_order="left"))
    assert got["line_id"].to_list() == list(range(2_000))


def test_keys_by_position_refuse_a_key_twice_or_missing() -> None:
    lines = pl.DataFrame({"line_id": [0, 1, 2], "key_id": [0, 1, 1]})
    with pytest.raises(ValueError, match="an id twice"):
        join_by_position(lines, _per_key([0, 1, 1]), "key_id", 3)
    with pytest.raises(ValueError, match="2 rows for 3 ids"):
        join_by_position(lines, _per_key([0, 1]), "key_id", 3)


@pytest.mark.parametrize("min_rows", [2, 10**9])  # by position, and the semi join it stands for
def test_keys_kept_by_position_equal_the_semi_join(monkeypatch: pytest.MonkeyPatch, min_rows: int) -> None:
    monkeypatch.setattr(rows, "POSITION_MIN_ROWS", min_rows)
    rng = random.Random(11)
    per_key = _per_key(list(range(400)))
    kept = pl.Series("key_id", rng.sample(range(400), 170))  # in no order
    got = semi_join_by_position(per_key, kept, "key_id")
    assert got.equals(per_key.join(kept.to_frame(), on="key_id", how="semi", maintain_order="left"))
    assert got["key_id"].to_list() == sorted(kept.to_list())
    assert semi_join_by_position(per_key, kept.head(0), "key_id").is_empty()


def test_keys_kept_by_position_refuse_keys_out_of_order_or_an_unknown_id() -> None:
    with pytest.raises(ValueError, match="not numbered 0 … 2 in order"):
        semi_join_by_position(_per_key([0, 2, 1]), pl.Series([1]), "key_id")
    with pytest.raises(ValueError, match="not one of the rows'"):
        semi_join_by_position(_per_key([0, 1, 2]), pl.Series([3]), "key_id")


@pytest.mark.parametrize("flag_sorted", [True, False])  # running totals, and the group-by
def test_per_line_totals_equal_the_group_by_even_where_running_totals_wrap(flag_sorted: bool) -> None:
    rng = random.Random(5)
    ids = sorted(rng.randrange(400) for _ in range(3_000))
    big = 10**17  # the running total of 3,000 rows passes Int64's range (9.2 × 10¹⁸) a few times
    rows = pl.DataFrame(
        {
            "line_id": ids,
            "amount": [rng.choice([big, -big // 3, 7, None]) for _ in ids],
            "flag": [rng.random() < 0.05 if rng.random() < 0.9 else None for _ in ids],
        },
        schema={"line_id": pl.Int64, "amount": pl.Int64, "flag": pl.Boolean},
    )
    assert rows["amount"].cast(pl.Int128).sum() > 2**63  # the running totals wrap
    if flag_sorted:
        rows = rows.with_columns(pl.col("line_id").set_sorted())
    sums = {"total": pl.col("amount"), "positive": pl.when(pl.col("amount") > 0).then(pl.col("amount"))}
    got = PerLineTotals(sums, "flag").query(rows).collect().sort("line_id")
    expected = (
        rows.group_by("line_id")
        .agg(
            pl.col("amount").sum().alias("total"),
            pl.col("amount").filter(pl.col("amount") > 0).sum().alias("positive"),
            pl.col("flag").any(),
        )
        .sort("line_id")
    )
    assert got.equals(expected)
    assert got.filter(pl.col("line_id") == ids[0])["total"][0] == sum(
        a for i, a in zip(ids, rows["amount"].to_list(), strict=True) if i == ids[0] and a is not None
    )


def test_rows_are_flagged_sorted_only_when_they_are() -> None:
    """The engine sums each line's rows with a group-by that trusts the sorted flag; a flag set on
    rows out of order would sum the wrong rows together."""
    from tariffstack.engine.evaluate import _in_line_order
    from tariffstack.engine.query import run

    in_order = pl.DataFrame({"line_id": [0, 0, 1, 3, 3, 3]})
    out_of_order = pl.DataFrame({"line_id": [0, 3, 1, 3, 0, 3]})
    assert run(_in_line_order(in_order))["line_id"].flags["SORTED_ASC"]
    assert not run(_in_line_order(out_of_order))["line_id"].flags["SORTED_ASC"]
