"""Broker values → the engine's input forms, as Polars expressions over whole columns.

What a spreadsheet holds is turned into what :mod:`tariffstack.io.entry` accepts, and nothing is
guessed: a value that fits no accepted form is an error on its row naming the field and the value.

- entry numbers → ``FFF-SSSSSSS-C`` with the check digit validated (:mod:`.entry_numbers`);
- countries: ISO 3166 alpha-2 codes, or English names (ISO 3166 names, official and common names);
- dates: ``YYYY-MM-DD`` (and ``T``/space ``HH:MM``), ``MM/DD/YYYY`` (U.S. order, as ACE writes it),
  ``YYYYMMDD``, ``04-Mar-2025``, ``Mar 4, 2025``; spreadsheet and Parquet date cells as they are.
  A date without a time stays date-only, which the engine reads as 12:00 noon ET;
- amounts: thousands separators, currency signs and codes (``$``, ``US$``, ``USD``, ``CAD``) and
  spaces dropped; a decimal comma is not guessed (``1.234,56`` is refused by the engine);
- booleans: ``true/false``, ``yes/no``, ``y/n``, ``1/0``, ``x``/empty.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pycountry

from tariffstack.batch.entry_numbers import (
    check_digit_of,
    check_entry_numbers,
    filer_number,
    non_empty,
    serial_number,
    upper_without_hyphens,
    without_spaces,
)
from tariffstack.batch.headers import Mapping
from tariffstack.batch.readers import EXTRA
from tariffstack.io.distinct import STAGE_MIN_ROWS, per_distinct
from tariffstack.law.vocabulary import BOOL_FIELDS, ENUM_FIELDS, KNOWN_FIELDS, MONEY_FIELDS

COUNTRY_FIELDS = ("origin", "melt_country", "smelt_country")
DATE_FIELDS = ("entry_date", "export_date", "loading_date", "arrival_date")
AMOUNT_FIELDS = ("value", *MONEY_FIELDS)
NUMBER_FIELDS = ("quantity", "quantity2", "ad_rate", "cvd_rate")
FLOAT_FIELDS = ("metal_weight_share", "vehicle_age_years")
DATETIME_FORMATS = (
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
)
DATE_FORMATS = (
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%Y%m%d",
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%Y/%m/%d",
)
TRUE = ("true", "yes", "y", "1", "x", "t")
FALSE = ("false", "no", "n", "0", "f")
_AMOUNT = r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$"


def _country_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            if hasattr(country, attr):
                names[getattr(country, attr).lower()] = country.alpha_2
    names.update({"usa": "US", "u.s.": "US", "u.s.a.": "US", "united states of america": "US", "uk": "GB"})
    return names


COUNTRY_NAMES = _country_names()
ISO2 = sorted({c.alpha_2 for c in pycountry.countries})


def _text(expr: pl.Expr) -> pl.Expr:
    """Stripped string; empty → null."""
    text = expr.cast(pl.String).str.strip_chars()
    return pl.when(text.str.len_chars() == 0).then(None).otherwise(text)


def country(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    text = _text(expr)
    upper = text.str.to_uppercase()
    by_name = text.str.to_lowercase().replace_strict(COUNTRY_NAMES, default=None, return_dtype=pl.String)
    code = pl.when(upper.is_in(ISO2)).then(upper).otherwise(by_name)
    error = pl.when(text.is_not_null() & code.is_null()).then(
        pl.lit("is neither an ISO 3166 alpha-2 code nor a country name")
    )
    return code, error


def date_text(expr: pl.Expr, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    """ISO text the engine reads: ``YYYY-MM-DD`` (date only) or ``YYYY-MM-DDTHH:MM``."""
    if dtype == pl.Date:
        return expr.dt.strftime("%Y-%m-%d"), pl.lit(None, dtype=pl.String)
    if isinstance(dtype, pl.Datetime):
        return expr.dt.strftime("%Y-%m-%dT%H:%M"), pl.lit(None, dtype=pl.String)
    text = _text(expr)
    with_time = pl.coalesce([text.str.strptime(pl.Datetime, f, strict=False) for f in DATETIME_FORMATS])
    date_only = pl.coalesce([text.str.strptime(pl.Date, f, strict=False) for f in DATE_FORMATS])
    out = pl.coalesce(with_time.dt.strftime("%Y-%m-%dT%H:%M"), date_only.dt.strftime("%Y-%m-%d"))
    error = pl.when(text.is_not_null() & out.is_null()).then(
        pl.lit("is not a date (YYYY-MM-DD[THH:MM], MM/DD/YYYY, YYYYMMDD, 04-Mar-2025, Mar 4, 2025)")
    )
    return out, error


def amount_text(expr: pl.Expr, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    """``$1,234.50`` → ``1234.50``; ``(12.00)`` → ``-12.00`` (which the engine refuses as negative)."""
    if dtype.is_integer():
        return expr.cast(pl.String), pl.lit(None, dtype=pl.String)
    if dtype.is_float():
        # A spreadsheet number: its shortest decimal text (1234.56, not 1234.5599999999999).
        return expr.cast(pl.String), pl.lit(None, dtype=pl.String)
    bare = bare_amount(expr)
    return amount_from_bare(bare, thousands_grouped(bare), bare.str.replace_all(",", "", literal=True))


def bare_amount(expr: pl.Expr) -> pl.Expr:
    """The amount text with currency signs, codes and spaces dropped and ``(x)`` read as ``-x``
    (one expression; over a large column :func:`_staged` materialises each step once)."""
    return in_parentheses_negative(unmarked(_text(expr)))


_MARKS = r"(?i)US\$|CA\$|C\$|\$|\bUSD\b|\bCAD\b|\bUS\b|[\s\u00a0]"


def unmarked(text: pl.Expr) -> pl.Expr:
    """Currency signs, codes and spaces dropped. The regex runs only on the values with a character
    other than digits and ``.,()-`` (Polars evaluates a ``then`` on the rows its condition selects):
    plain amounts, most of a file, skip it. ``text`` is read three times: give a column."""
    return pl.when(text.str.contains(r"[^0-9.,()\-]")).then(text.str.replace_all(_MARKS, "")).otherwise(text)


def in_parentheses_negative(bare: pl.Expr) -> pl.Expr:
    """``(12.00)`` → ``-12.00``; the regex only on the values that start with a parenthesis."""
    return pl.when(bare.str.starts_with("(")).then(bare.str.replace(r"^\((.*)\)$", "-$1")).otherwise(bare)


def thousands_grouped(bare: pl.Expr) -> pl.Expr:
    """A comma is a thousands separator only in groups of three ("1,234.50"); "10000,00" or
    "1.234,56" (a decimal comma) is refused rather than read as ten thousand or one point two."""
    return ~bare.str.contains(",") | bare.str.contains(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


def amount_from_bare(bare: pl.Expr, grouped: pl.Expr, cleaned: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(the amount text the engine reads, or null; the reason it is not an amount, or null)."""
    ok = grouped & cleaned.str.contains(_AMOUNT)
    error = pl.when(bare.is_not_null() & ~ok.fill_null(False)).then(
        pl.when(grouped)
        .then(pl.lit("is not an amount"))
        .otherwise(pl.lit("is not an amount (a comma must separate thousands; use a point for decimals)"))
    )
    return pl.when(ok).then(cleaned), error


def boolean(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    text = _text(expr).str.to_lowercase()
    value = pl.when(text.is_in(TRUE)).then(True).when(text.is_in(FALSE)).then(False)
    error = pl.when(text.is_not_null() & value.is_null()).then(pl.lit("is not true/false (yes/no, 1/0)"))
    return value, error


def number(expr: pl.Expr, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    if dtype.is_numeric():
        return expr.cast(pl.Float64), pl.lit(None, dtype=pl.String)
    text = _text(expr)
    value = text.str.replace_all(",", "").cast(pl.Float64, strict=False)
    return value, pl.when(text.is_not_null() & value.is_null()).then(pl.lit("is not a number"))


def hts_text(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A code stored as a number loses its dots and leading zero; the engine restores the zero."""
    if dtype.is_float():
        return expr.cast(pl.Int64, strict=False).cast(pl.String)
    return _text(expr).str.replace(r"\.0$", "")


def normalize(chunk: pl.DataFrame, mapping: Mapping) -> pl.DataFrame:
    """Canonical columns for the engine and the batch layer, plus ``norm_error``/``norm_field``.

    Engine fields come out under their own names (strings, floats for the two shares, booleans);
    ``liquidation_date`` as a Date, ``paid_duty`` and ``paid:<heading>`` as amount text, and
    ``entry_number`` canonical. ``norm_error`` is ``"<field>: '<value>' <reason>"`` for the first
    field (in header order) that no accepted form fits.
    """
    header_width = chunk.width - (EXTRA in chunk.columns)
    chunk = _staged(chunk, mapping)
    schema = chunk.schema
    exprs: dict[str, pl.Expr] = {}
    errors: list[tuple[str, pl.Expr]] = []
    for field, source in mapping.fields.items():
        col, dtype = pl.col(source), schema[source]
        err: pl.Expr | None = None
        if field == "entry_number":
            out, err = pl.col(STAGED + field), pl.col(STAGED + field + ":error")
        elif field in COUNTRY_FIELDS:
            out, err = country(col)
        elif field in DATE_FIELDS and dtype == pl.String:
            out, err = pl.col(STAGED + field), pl.col(STAGED + field + ":error")
        elif field in DATE_FIELDS:
            out, err = date_text(col, dtype)
        elif field == "liquidation_date":
            if dtype == pl.String:
                text, err = pl.col(STAGED + field), pl.col(STAGED + field + ":error")
            else:
                text, err = date_text(col, dtype)
            out = text.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        elif field in (*AMOUNT_FIELDS, "paid_duty"):
            out, err = _amount(source, dtype)
        elif field in BOOL_FIELDS:
            out, err = boolean(col) if dtype != pl.Boolean else (col, None)
        elif field in FLOAT_FIELDS:
            out, err = number(col, dtype)
        elif field in NUMBER_FIELDS:
            out, err = _amount(source, dtype)
            err = err if err is None else pl.when(err.is_not_null()).then(pl.lit("is not a number"))
        elif field == "hts":
            out = hts_text(col, dtype)
        elif field == "spi":
            out = _text(col).str.to_uppercase()
        elif field == "entry_type":
            out = _text(col).str.zfill(2)
        else:
            out = _text(col)
        exprs[field] = out.alias(field)
        if err is not None:
            errors.append(_FieldError(field, err, col.cast(pl.String)))
    for heading, source in mapping.paid_headings.items():
        out, err = _amount(source, schema[source])
        exprs[f"paid:{heading}"] = out.alias(f"paid:{heading}")
        errors.append(_FieldError(source, err, pl.col(source).cast(pl.String)))
    if EXTRA in chunk.columns:  # a CSV row with more fields than the header (see readers)
        extra = pl.format(
            "line: the row has {} fields; the header has {}", pl.col(EXTRA), pl.lit(header_width)
        )
        errors.insert(0, _FieldError("line", pl.col(EXTRA), None, extra))
    chunk, exprs, errors = _per_distinct_fields(chunk, mapping, exprs, errors)
    return _with_errors(chunk, errors).select(*exprs.values(), NORM_ERROR)


@dataclass(frozen=True, eq=False)
class _FieldError:
    """A field's reason (null where the value is fine) and how its message shows the value."""

    label: str
    reason: pl.Expr
    shown: pl.Expr | None  # the value as the file has it; None when ``message`` is given whole
    message: pl.Expr | None = None

    def text(self, reason: pl.Expr) -> pl.Expr:
        if self.message is not None:
            return self.message
        assert self.shown is not None
        return pl.format("{}: '{}' {}", pl.lit(self.label), self.shown, reason)


NORM_ERROR = "norm_error"
_REASON = "__reason:"
# Fields whose text repeats across a file's lines (codes, countries, flags): what is read from one
# of them alone is computed once per distinct text (:func:`~tariffstack.io.distinct.per_distinct`).
# Dates and entry numbers are staged the same way in :func:`_staged`; amounts are nearly unique.
REPEATED = frozenset(
    {
        "hts",
        "origin",
        "spi",
        "unit",
        "unit2",
        "importing_country",
        "line_number",
        "entry_type",
        "importer_type",
        "importer",
        "producer",
        "remission_code",
        "adcvd_cases",
        *COUNTRY_FIELDS,
        *ENUM_FIELDS,
        *BOOL_FIELDS,
    }
)


def _per_distinct_fields(
    chunk: pl.DataFrame, mapping: Mapping, exprs: dict[str, pl.Expr], errors: list[_FieldError]
) -> tuple[pl.DataFrame, dict[str, pl.Expr], list[_FieldError]]:
    """On a large chunk, the output and the reason of each repeated field computed per distinct
    text of its source column and stacked beside the chunk; the expressions then read those
    columns. Small chunks keep the expressions (one pass costs less than the join)."""
    if chunk.height < STAGE_MIN_ROWS:
        return chunk, exprs, errors
    position = {e.label: i for i, e in enumerate(errors)}
    exprs, errors = dict(exprs), list(errors)
    for field, source in mapping.fields.items():
        if field not in REPEATED:
            continue
        outputs = [exprs[field].alias(STAGED + field)]
        at = position.get(field)
        if at is not None:
            outputs.append(errors[at].reason.alias(STAGED + field + ":reason"))
        chunk = chunk.hstack(per_distinct(chunk, [source], outputs))
        exprs[field] = pl.col(STAGED + field).alias(field)
        if at is not None:
            errors[at] = _FieldError(field, pl.col(STAGED + field + ":reason"), errors[at].shown)
    return chunk, exprs, errors


def _with_errors(chunk: pl.DataFrame, errors: list[_FieldError]) -> pl.DataFrame:
    """``chunk`` with ``norm_error``: the message of the first field with a reason (in header order).

    The reasons are computed on every row; the messages (the field, the value, the reason) only
    on the rows that have one, which a file has few of."""
    if not errors:
        return chunk.with_columns(pl.lit(None, dtype=pl.String).alias(NORM_ERROR))
    names = [f"{_REASON}{i}" for i in range(len(errors))]
    chunk = chunk.with_columns(e.reason.alias(name) for e, name in zip(errors, names, strict=True))
    rows = chunk.select(pl.arg_where(pl.any_horizontal(pl.col(n).is_not_null() for n in names))).to_series()
    pairs = zip(errors, names, strict=True)
    messages = chunk[rows].select(
        pl.coalesce(pl.when(pl.col(n).is_not_null()).then(e.text(pl.col(n))) for e, n in pairs)
    )
    column = pl.repeat(None, chunk.height, dtype=pl.String, eager=True).scatter(rows, messages.to_series())
    return chunk.drop(names).with_columns(column.alias(NORM_ERROR))


STAGED = "__staged:"


AMOUNT_LIKE = (*AMOUNT_FIELDS, "paid_duty", *NUMBER_FIELDS)


def _staged(chunk: pl.DataFrame, mapping: Mapping) -> pl.DataFrame:
    """Columns computed once before the field expressions use them many times: the canonical entry
    number and its error, once per distinct entry number (an entry has several lines); dates
    parsed once per distinct value (a file has few distinct dates); and the cleaned text of each
    amount, whose value and error would otherwise each redo the same regexes."""
    if "entry_number" in mapping.fields:
        source = mapping.fields["entry_number"]
        compact = pl.col("__compact")  # materialised once: the check digit reads it ten times
        expected = pl.col("__check")  # and once more: the value and the error both read it
        out, err = check_entry_numbers(compact, expected)
        outputs = [out.alias(STAGED + "entry_number"), err.alias(STAGED + "entry_number:error")]
        stages = (
            [upper_without_hyphens(pl.col(source)).alias("__upper")],  # each stage computed once,
            [without_spaces(pl.col("__upper")).alias("__chars")],  # then read by the next
            [non_empty(pl.col("__chars")).alias("__compact")],
            [filer_number(compact).alias("__filer"), serial_number(compact).alias("__serial")],
            [check_digit_of(pl.col("__filer"), pl.col("__serial")).alias("__check")],
            outputs,
        )
        chunk = chunk.hstack(per_distinct(chunk, [source], *stages, in_runs=True))
    for field in (*DATE_FIELDS, "liquidation_date"):
        source = mapping.fields.get(field)
        if source is None or chunk.schema[source] != pl.String:
            continue
        out, err = date_text(pl.col(source), pl.String)
        outputs = [out.alias(STAGED + field), err.alias(STAGED + field + ":error")]
        chunk = chunk.hstack(per_distinct(chunk, [source], outputs))
    amounts = sorted(
        {mapping.fields[f] for f in AMOUNT_LIKE if f in mapping.fields} | set(mapping.paid_headings.values())
    )
    amounts = [source for source in amounts if chunk.schema[source] == pl.String]
    if amounts:
        # Each step materialised once, then read by the next (see :func:`bare_amount`).
        chunk = chunk.with_columns(_text(pl.col(s)).alias(_bare(s) + ":text") for s in amounts)
        chunk = chunk.with_columns(
            unmarked(pl.col(_bare(s) + ":text")).alias(_bare(s) + ":unmarked") for s in amounts
        )
        chunk = chunk.with_columns(
            in_parentheses_negative(pl.col(_bare(s) + ":unmarked")).alias(_bare(s)) for s in amounts
        )
        chunk = chunk.with_columns(
            expr
            for s in amounts
            for expr in (
                thousands_grouped(pl.col(_bare(s))).alias(_bare(s) + ":grouped"),
                pl.col(_bare(s)).str.replace_all(",", "", literal=True).alias(_bare(s) + ":cleaned"),
            )
        )
    return chunk


def _bare(source: str) -> str:
    return f"{STAGED}amount:{source}"


def _amount(source: str, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    """:func:`amount_text` of a source column, from the columns :func:`_staged` made for it."""
    if dtype != pl.String:
        return amount_text(pl.col(source), dtype)
    bare = _bare(source)
    return amount_from_bare(pl.col(bare), pl.col(bare + ":grouped"), pl.col(bare + ":cleaned"))


def engine_frame(norm: pl.DataFrame) -> pl.DataFrame:
    """The columns the engine takes (entry-line field names only)."""
    return norm.select([c for c in norm.columns if c in KNOWN_FIELDS])
