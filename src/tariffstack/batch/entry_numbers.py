"""CBP entry numbers: canonical ``FFF-SSSSSSS-C`` form and check-digit validation, as expressions.

An entry number is a 3-character entry filer code, a 7-digit number the filer assigns, and a check
digit "computed from the first 10 characters based on a formula provided by Customs"
(19 CFR 142.3a(b)). The formula (CBP, ACE CATAIR Appendix E "Valid Entry Numbers", and AE Table 1 of
the Entry Summary Create/Update chapter; read here through stored public copies, confidence M):

1. letters of the filer code become digits: A-I = 1-9, J-R = 1-9, S-Z = 2-9;
2. the 2nd, 4th, 6th, 8th and 10th of the ten digits are doubled, and a two-digit product is
   replaced by the sum of its digits (14 → 5);
3. all ten values are added; the check digit is what brings the sum up to the next multiple of 10.

Worked by hand: ``B76-1234567``: B→2; odd positions 2+6+2+4+6 = 20; even positions 7,1,3,5,7
doubled 14→5, 2, 6, 10→1, 14→5 = 19; sum 39; check digit 1: ``B76-1234567-1``.
"""

from __future__ import annotations

import polars as pl

LETTER_VALUES = {
    **{chr(ord("A") + i): str(i + 1) for i in range(9)},  # A-I
    **{chr(ord("J") + i): str(i + 1) for i in range(9)},  # J-R
    **{chr(ord("S") + i): str(i + 2) for i in range(8)},  # S-Z
}
DOUBLED = {str(d): (2 * d) % 10 + (2 * d) // 10 for d in range(10)}  # digit sum of 2d
_SHAPE = r"^[A-Z0-9]{3}[0-9]{8}$"


def check_digit_expr(compact: pl.Expr) -> pl.Expr:
    """The check digit (0-9) of an 11-character compact entry number (its first ten characters)."""
    total = pl.lit(0, dtype=pl.Int32)
    for position in range(10):
        char = compact.str.slice(position, 1)
        digit = char.replace(LETTER_VALUES) if position < 3 else char
        if position % 2 == 1:  # 2nd, 4th, ... (1-based even positions)
            value = digit.replace_strict(DOUBLED, default=None, return_dtype=pl.Int32)
        else:
            value = digit.cast(pl.Int32, strict=False)
        total = total + value
    return (10 - total % 10) % 10


def compact_text(column: pl.Expr) -> pl.Expr:
    """Upper case, spaces and hyphens dropped; empty → null (materialise it once, then check it)."""
    text = column.cast(pl.String).str.to_uppercase().str.replace_all(r"[\s\-]", "")
    return pl.when(text.str.len_chars() > 0).then(text)


def check_entry_numbers(compact: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(canonical or null, error reason or null) over a column of :func:`compact_text` values."""
    text = compact
    shaped = compact.str.contains(_SHAPE)
    expected = check_digit_expr(compact)
    given = compact.str.slice(10, 1).cast(pl.Int32, strict=False)
    canonical = pl.concat_str(
        compact.str.slice(0, 3), pl.lit("-"), compact.str.slice(3, 7), pl.lit("-"), given
    )
    error = (
        pl.when(text.is_null())
        .then(None)
        .when(~shaped)
        .then(pl.lit("is not an entry number FFF-SSSSSSS-C (3-character filer code, 7 digits, check digit)"))
        .when(expected != given)
        .then(pl.format("has check digit {}; the number's first 10 characters give {}", given, expected))
    )
    valid = text.is_not_null() & shaped & (expected == given)
    return pl.when(valid).then(canonical), error


def normalize_entry_numbers(column: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(canonical ``FFF-SSSSSSS-C`` or null, error reason or null) for a column of entry numbers.

    One expression (convenient, slower: the compact text is recomputed per use); the batch path
    materialises :func:`compact_text` first and calls :func:`check_entry_numbers` on it.
    """
    return check_entry_numbers(compact_text(column))


def compact_entry_number(canonical: pl.Expr) -> pl.Expr:
    """``B76-1234567-1`` → ``B7612345671`` (the 11 characters, as ACE lists entry numbers)."""
    return canonical.str.replace_all("-", "", literal=True)
