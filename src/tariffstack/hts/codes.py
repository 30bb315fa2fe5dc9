"""HTS code normalisation.

Brokers type codes dotted (``6203.42.4511``) or not, spreadsheets drop leading zeros (``101210010``
for ``0101.21.0010``), and some lists give 8 digits. Everything internal is a 10-digit string.
"""

from __future__ import annotations

import re

import polars as pl

_NON_DIGIT = re.compile(r"[.\s\-]")


class CodeError(ValueError):
    """An HTS code that cannot be read; carries the offending value."""

    def __init__(self, value: object, reason: str) -> None:
        super().__init__(f"hts {value!r}: {reason}")
        self.value = value
        self.reason = reason


def normalize_hts(value: object) -> str:
    """Return the 10-digit form of one HTS code, or raise :class:`CodeError`.

    A 7- or 9-digit all-digit string is taken to have lost its leading zero (Excel). An 8-digit code
    becomes ``xxxxxxxx00`` only if that is how the caller wants it: we keep 8 digits padded with
    ``00`` because CBP reports the 8-digit rate line with suffix 00 when it is not annotated; the
    store lookup reports an error if that statistical number does not exist.
    """
    if value is None:
        raise CodeError(value, "missing")
    text = _NON_DIGIT.sub("", str(value).strip())
    if not text.isdigit():
        raise CodeError(value, "must contain only digits and dots")
    if len(text) in (7, 9):
        text = "0" + text
    if len(text) == 8:
        text += "00"
    if len(text) != 10:
        raise CodeError(value, f"has {len(text)} digits; expected 8 or 10")
    return text


def normalize_hts_expr(col: pl.Expr) -> pl.Expr:
    """Vectorized :func:`normalize_hts`; invalid codes become null (the caller reports them).

    One chain that reads each intermediate once: a ``when`` on the padded text would repeat the
    digit-stripping regex in every branch (twelve times; 3.7 → 0.4 ms for one line)."""
    return (
        col.cast(pl.String)
        .str.strip_chars()
        .str.replace_all(r"[.\s\-]", "")
        .str.replace(r"^(\d{7}|\d{9})$", "0${1}")  # the leading zero a spreadsheet dropped
        .str.replace(r"^(\d{8})$", "${1}00")  # an 8-digit rate line: statistical suffix 00
        .str.extract(r"^(\d{10})$", 1)
    )


def dotted_expr(code10: pl.Expr) -> pl.Expr:
    """Vectorized :func:`dotted` over a column of 10-digit codes."""
    return pl.concat_str(
        code10.str.slice(0, 4), pl.lit("."), code10.str.slice(4, 2), pl.lit("."), code10.str.slice(6)
    )


def dotted(code10: str) -> str:
    """``6203424511`` → ``6203.42.4511`` (the form printed in the HTS)."""
    return f"{code10[:4]}.{code10[4:6]}.{code10[6:]}"


def digits_only(code: str) -> str:
    """Strip the dots of a heading or prefix (``9903.01.10`` → ``99030110``)."""
    return _NON_DIGIT.sub("", code)
