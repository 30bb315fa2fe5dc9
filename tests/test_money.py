"""Money is integer cents; each reported line is rounded half up to the cent (stated in the README)."""

from __future__ import annotations

import polars as pl
import pytest

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
