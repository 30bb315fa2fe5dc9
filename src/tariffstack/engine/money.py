"""Exact money and rate arithmetic.

Money is integer cents; ad valorem rates are integer parts per million (25% = 250 000 ppm);
specific rates are integer millionths of a cent per unit; quantities are integer thousandths of a
unit. Every amount is computed in integers and rounded **half up to the cent once per reported
line** (each Chapter 99 line and the MFN line); the total is the sum of the rounded lines, which is
how duty is summed on an entry summary.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import polars as pl

PPM = 1_000_000
MILLI = 1_000
MICROCENTS = 1_000_000
MAX_VALUE_CENTS = 10**12  # $10 billion per line keeps every product inside Int64


def percent_to_ppm(text: str) -> int:
    value = Decimal(text.rstrip("%")) * 10_000
    if value != value.to_integral_value():
        raise ValueError(f"rate {text} is finer than 0.0001%")
    return int(value)


def ppm_to_percent(ppm: int) -> str:
    """250000 → ``25%``; 166000 → ``16.6%``."""
    text = format(Decimal(ppm) / 10_000, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def _scaled(value: object, field: str, places: int) -> int:
    """``value`` × 10**places as an exact integer; more decimals than ``places`` is an error."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"{field}: {value!r} is not a number") from exc
    if not amount.is_finite():
        raise ValueError(f"{field}: {value!r} is not a finite number")
    scaled = amount.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{field}: {value!r} has more than {places} decimal places")
    return int(scaled)


def to_cents(value: object, field: str) -> int:
    """Exact cents from a number or numeric string; more than 2 decimals is an error, not a guess."""
    return _scaled(value, field, 2)


def to_milli(value: object, field: str) -> int:
    """Exact thousandths (quantities, percentage rates); more than 3 decimals is an error."""
    return _scaled(value, field, 3)


def cents_to_str(cents: int) -> str:
    """12345 → ``123.45`` (the JSON contract's money format)."""
    return str((Decimal(cents) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def div_round_half_up(numerator: pl.Expr, denominator: int) -> pl.Expr:
    """Integer division rounding half up, for non-negative numerators."""
    return (numerator + denominator // 2) // denominator


def ad_valorem_cents(base_cents: pl.Expr, ppm: pl.Expr) -> pl.Expr:
    """Cents × ppm fits Int64 (10^12 × 10^6); cast first so literal inputs behave like columns."""
    return div_round_half_up(base_cents.cast(pl.Int64) * ppm.cast(pl.Int64), PPM)


def specific_cents(quantity_milli: pl.Expr, microcents_per_unit: pl.Expr) -> pl.Expr:
    """Milli-units × microcents can pass 2^63 for huge quantities, so the product is Int128."""
    product = quantity_milli.cast(pl.Int128) * microcents_per_unit.cast(pl.Int128)
    return div_round_half_up(product, MILLI * MICROCENTS).cast(pl.Int64)
