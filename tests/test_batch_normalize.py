"""Broker amounts and entry numbers through the batch normaliser's staged columns."""

from __future__ import annotations

import random

import polars as pl

from tariffstack.batch.entry_numbers import DOUBLED, LETTER_VALUES, check_digit_expr
from tariffstack.batch.headers import map_headers
from tariffstack.batch.normalize import normalize


def _amounts(values: list[str | None]) -> list[tuple[str | None, str | None]]:
    chunk = pl.DataFrame(
        {
            "HTS": ["0101.21.0010"] * len(values),
            "COO": ["CA"] * len(values),
            "Entry Date": ["2025-05-01"] * len(values),
            "Entered Value": values,
        },
        schema={"HTS": pl.String, "COO": pl.String, "Entry Date": pl.String, "Entered Value": pl.String},
    )
    return normalize(chunk, map_headers(chunk.columns)).select("value", "norm_error").rows()


def test_amount_forms_brokers_write() -> None:
    assert _amounts(["$1,234.50", "US$ 12", "12 CAD", "C$7", "(12.00)", "1 000", None, "  "]) == [
        ("1234.50", None),
        ("12", None),
        ("12", None),
        ("7", None),
        ("-12.00", None),  # read as negative; the engine then refuses it as a value
        ("1000", None),
        (None, None),
        (None, None),
    ]


def test_amounts_that_fit_no_form_name_the_value() -> None:
    assert _amounts(["1.234,56", "abc", "$"]) == [
        (
            None,
            "value: '1.234,56' is not an amount (a comma must separate thousands; use a point for decimals)",
        ),
        (None, "value: 'abc' is not an amount"),
        (None, "value: '$' is not an amount"),
    ]


def _check_digit_by_hand(number: str) -> int:
    """19 CFR 142.3a(b) / CATAIR Appendix E, written out digit by digit."""
    total = 0
    for position, char in enumerate(number[:10]):
        digit = int(LETTER_VALUES.get(char, char))
        total += DOUBLED[str(digit)] if position % 2 == 1 else digit
    return (10 - total % 10) % 10


def test_column_check_digit_equals_the_formula_on_random_numbers() -> None:
    rng = random.Random(20260302)
    filer = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    numbers = [
        "".join(rng.choice(filer) for _ in range(3)) + "".join(rng.choice("0123456789") for _ in range(8))
        for _ in range(5_000)
    ]
    got = pl.DataFrame({"e": numbers}).select(c=check_digit_expr(pl.col("e")))["c"].to_list()
    assert got == [_check_digit_by_hand(n) for n in numbers]


def test_repeated_fields_per_distinct_value_equal_the_row_by_row_result(monkeypatch) -> None:
    """Above ``STAGE_MIN_ROWS`` rows, codes, countries, flags and line numbers are read once per
    distinct text and joined back, and messages are made on the rows with an error only: the
    frame must equal the one pass over every row, errors (field, value, reason) and nulls included."""
    from tariffstack.batch import normalize as module
    from tariffstack.io.distinct import STAGE_MIN_ROWS

    variants = {
        "Entry No": ["B76-1234567-1", "b76 1234567 1", "B76-1234567-2", "", None, "XX"],
        "Line No": ["1", " 2", "", None, "0003"],
        "HTS Number": ["0101.21.0010", "7208.51.0030 ", "8703230190.0", "", None, "abc"],
        "COO": ["CA", "Canada", " ca", "Narnia", "", None, "US"],
        "Entry Date": ["2025-05-01", "08/01/2025 13:05", "not a date", None, "20260301"],
        "Entered Value": ["$10,000.00", "12abc", "(5.00)", "1.234,56", "", None, "99"],
        "SPI": ["S", "s+", "", None, "A"],
        "Donation": ["yes", "N", "maybe", "", None],
    }
    n = STAGE_MIN_ROWS + 5_000
    chunk = pl.DataFrame(
        {
            name: [values[(i * (7 + k)) % len(values)] for i in range(n)]
            for k, (name, values) in enumerate(variants.items())
        },
        schema=dict.fromkeys(variants, pl.String),
    )
    mapping = map_headers(chunk.columns)
    staged = normalize(chunk, mapping)
    monkeypatch.setattr(module, "STAGE_MIN_ROWS", 10**12)
    direct = normalize(chunk, mapping)
    assert staged.equals(direct)
    errors = staged["norm_error"].drop_nulls()
    assert errors.len() > n // 2  # the frame exercises the error path, not only good rows
    fields = set(errors.str.split(":").list.first().to_list())
    assert {"entry_number", "origin", "entry_date", "value", "donation"} <= fields
    assert "origin: 'Narnia' is neither an ISO 3166 alpha-2 code nor a country name" in errors.to_list()
