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
_FILER_VALUES = {**{c: int(v) for c, v in LETTER_VALUES.items()}, **{str(d): d for d in range(10)}}
_FILER_DOUBLED = {c: DOUBLED[str(v)] for c, v in _FILER_VALUES.items()}


def check_digit_expr(compact: pl.Expr) -> pl.Expr:
    """The check digit (0-9) of an 11-character compact entry number (its first ten characters).

    The filer code's three characters are looked up (letter or digit → its value, doubled at the
    2nd); the seven digits after it are read as one integer and taken apart by arithmetic, which
    is several times cheaper over a column than seven one-character slices.
    """
    total = pl.lit(0, dtype=pl.Int64)
    for position in range(3):
        values = _FILER_DOUBLED if position % 2 == 1 else _FILER_VALUES
        char = compact.str.slice(position, 1)
        total = total + char.replace_strict(values, default=None, return_dtype=pl.Int64)
    serial = compact.str.slice(3, 7).cast(pl.Int64, strict=False)
    for position in range(3, 10):
        digit = serial // 10 ** (9 - position) % 10
        if position % 2 == 1:  # 2nd, 4th, ... (1-based even positions): the digit sum of 2d
            digit = 2 * digit - 9 * (digit >= 5).cast(pl.Int64)
        total = total + digit
    return ((10 - total % 10) % 10).cast(pl.Int32)


def compact_text(column: pl.Expr) -> pl.Expr:
    """Upper case, spaces and hyphens dropped; empty → null (materialise it once, then check it)."""
    text = column.cast(pl.String).str.to_uppercase().str.replace_all(r"[\s\-]", "")
    return pl.when(text.str.len_chars() > 0).then(text)


def check_entry_numbers(compact: pl.Expr, expected: pl.Expr | None = None) -> tuple[pl.Expr, pl.Expr]:
    """(canonical or null, error reason or null) over a column of :func:`compact_text` values;
    ``expected`` is their :func:`check_digit_expr` when the caller has materialised it."""
    text = compact
    shaped = compact.str.contains(_SHAPE)
    expected = check_digit_expr(compact) if expected is None else expected
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
