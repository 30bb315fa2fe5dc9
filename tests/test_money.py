"""Money is integer cents; each reported line is rounded half up to the cent (stated in the README)."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tariffstack.engine.money import ad_valorem_cents, cents_to_str, specific_cents, to_cents


def _av(value_cents: int, ppm: int) -> int:
    return pl.select(ad_valorem_cents(pl.lit(value_cents), pl.lit(ppm))).item()


def test_half_cent_rounds_up() -> None:
    assert _av(1, 500_000) == 1  # 50% of 1 cent = 0.5 cent -> 1 cent
    assert _av(3, 166_000) == 0  # 16.6% of 3 cents = 0.498 -> 0


def test_exact_amounts() -> None:
    assert _av(10_000_000, 166_000) == 1_660_000  # 16.6% of $100,000.00 = $16,600.00
    assert _av(12_345, 250_000) == 3_086  # 25% of $123.45 = $30.8625 -> $30.86
    assert _av(12_346, 250_000) == 3_087  # 25% of $123.46 = $30.865 -> $30.87


def test_specific_rate_per_quantity() -> None:
    # 10.5 cents per barrel on 10,000.000 barrels = $1,050.00
    assert pl.select(specific_cents(pl.lit(10_000_000), pl.lit(10_500_000))).item() == 105_000


def test_to_cents_rejects_sub_cent_and_text() -> None:
    assert to_cents("100000", "value") == 10_000_000
    assert to_cents("0.10", "value") == 10
    with pytest.raises(ValueError, match="value"):
        to_cents("1.005", "value")
    with pytest.raises(ValueError, match="value"):
        to_cents("ten", "value")


def test_cents_to_str() -> None:
    assert cents_to_str(4_160_000) == "41600.00"
    assert cents_to_str(5) == "0.05"


def test_batch_money_columns_are_the_exact_dollars_of_the_cents() -> None:
    """The batch output's Decimal(38, 2) columns, built without a division, equal cents / 100 exactly:
    negatives, nulls, the Int64 extremes, and a column in several chunks."""
    from decimal import Decimal

    from tariffstack.batch.compute import money, money_column

    values = [0, 1, -1, 99, -100, 123_456_789, -(2**63), 2**63 - 1, None, 10_000_000_000_00]
    cents = pl.concat(
        [pl.Series("c", values, dtype=pl.Int64), pl.Series("c", [5, None], dtype=pl.Int64)], rechunk=False
    )
    dollars = money_column(cents)
    assert dollars.dtype == pl.Decimal(38, 2)
    assert dollars.to_list() == pl.select(money(pl.lit(cents))).to_series().to_list()
    assert dollars.to_list()[:5] == [
        Decimal("0.00"),
        Decimal("0.01"),
        Decimal("-0.01"),
        Decimal("0.99"),
        Decimal("-1.00"),
    ]
    assert money_column(pl.Series("n", [None, None])).to_list() == [None, None]


@given(st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), max_size=200))
def test_contract_money_text_is_the_cents_over_100_exactly(cents: list[int | None]) -> None:
    """The contract's amounts (``"123.45"``, ``"-0.05"``) are the exact decimal of the cents, for any
    Int64, as Python's Decimal writes it."""
    from tariffstack.io.output import money

    texts = pl.DataFrame({"c": cents}, schema={"c": pl.Int64}).select(money(pl.col("c"))).to_series()
    assert texts.to_list() == [None if c is None else cents_to_str(c) for c in cents]
