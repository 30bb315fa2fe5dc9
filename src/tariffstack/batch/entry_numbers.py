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
    """The check digit (0-9) of an 11-character compact entry number (its first ten characters).

    One expression, for a few values; over a large column materialise :func:`filer_number` and
    :func:`serial_number` first and call :func:`check_digit_of` on them (each is read ten times)."""
    return check_digit_of(filer_number(compact), serial_number(compact))


def filer_number(compact: pl.Expr) -> pl.Expr:
    """The 3-character filer code read as one base-36 number (``0``-``9`` → 0-9, ``A``-``Z`` → 10-35);
    null when it is not three letters or digits (the shape check then refuses the number)."""
    return compact.str.slice(0, 3).str.to_integer(base=36, strict=False)


def serial_number(compact: pl.Expr) -> pl.Expr:
    """The seven digits after the filer code, as one integer."""
    return compact.str.slice(3, 7).cast(pl.Int64, strict=False)


def check_digit_of(filer: pl.Expr, serial: pl.Expr) -> pl.Expr:
    """The check digit from :func:`filer_number` and :func:`serial_number`, by integer arithmetic
    over the column (several times cheaper than per-character slices and look-ups): each filer
    character taken apart from the base-36 number and mapped to its value (A-I = 1-9, J-R = 1-9,
    S-Z = 2-9), each serial digit taken apart from the integer."""
    total = pl.lit(0, dtype=pl.Int64)
    for position in range(3):
        char = filer // 36 ** (2 - position) % 36
        letter = char - 10
        value = (
            pl.when(char < 10)
            .then(char)
            .when(letter < 9)
            .then(letter + 1)
            .when(letter < 18)
            .then(letter - 8)
            .otherwise(letter - 16)
        )
        total = total + (_doubled(value) if position % 2 == 1 else value)
    for position in range(3, 10):
        digit = serial // 10 ** (9 - position) % 10
        total = total + (_doubled(digit) if position % 2 == 1 else digit)
    return ((10 - total % 10) % 10).cast(pl.Int32)


def _doubled(digit: pl.Expr) -> pl.Expr:
    """The digit sum of 2d for a digit d (2nd, 4th, ... positions, 1-based): 2d, less 9 from d = 5."""
    return 2 * digit - 9 * (digit >= 5).cast(pl.Int64)


def compact_chars(column: pl.Expr) -> pl.Expr:
    """Upper case, spaces and hyphens dropped (possibly empty: see :func:`compact_text`)."""
    return without_spaces(upper_without_hyphens(column))


def upper_without_hyphens(column: pl.Expr) -> pl.Expr:
    """Upper case, hyphens dropped (a literal replace: several times cheaper than a regex)."""
    return column.cast(pl.String).str.to_uppercase().str.replace_all("-", "", literal=True)


def without_spaces(text: pl.Expr) -> pl.Expr:
    """Whitespace dropped. The regex runs only on the values that have some (Polars evaluates a
    ``then`` on the rows its condition selects), which entry numbers seldom do; over a
    materialised column (``text`` is read three times)."""
    return pl.when(text.str.contains(r"\s")).then(text.str.replace_all(r"\s", "")).otherwise(text)


def non_empty(text: pl.Expr) -> pl.Expr:
    """Empty → null. Over a materialised column: ``text`` is read twice here (test and value)."""
    return pl.when(text.str.len_chars() > 0).then(text)


def compact_text(column: pl.Expr) -> pl.Expr:
    """Upper case, spaces and hyphens dropped; empty → null (materialise it once, then check it)."""
    return non_empty(compact_chars(column))


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
