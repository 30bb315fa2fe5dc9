"""Entry lines in, one typed frame out, with a per-row error instead of a dropped row.

Field names follow what brokers file (CBP Form 7501 / CBSA CAD) in snake_case. Validation happens
once here, at the boundary, as Polars expressions over whole columns: each field yields its typed
column and, where its value is bad, a message; a row's error is its first message in field order
(``"<field>: <reason>"``), and a row with an error keeps its place with no typed values. The
evaluator receives typed columns and never re-parses text.

Times are Eastern wall-clock. A date without a time (``2025-03-04``) is read as **12:00 noon ET**
on that day: after both the 12:00 a.m. and 12:01 a.m. boundaries that instruments use. Give a time
(``2025-03-04T00:00``) to ask about the first minute of a day.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time
from typing import Any

import polars as pl

from tariffstack.engine.money import MAX_VALUE_CENTS
from tariffstack.engine.query import run, run_shared
from tariffstack.hts.codes import normalize_hts_expr
from tariffstack.hts.rates import UNIT_SYNONYMS
from tariffstack.io.distinct import STAGE_MIN_ROWS, per_distinct
from tariffstack.io.raw import ROW_ERROR, raw_from_objects
from tariffstack.law.vocabulary import (
    BOOL_FIELDS,
    ENUM_FIELDS,
    KNOWN_FIELDS,
    MONEY_FIELDS,
    PASS_THROUGH,
    SCHEMA,
    SPI_SYNONYMS,
)

EARLIEST_ENTRY = date(2025, 1, 1)
DATE_ONLY_TIME = time(12, 0)
CANONICAL_UNITS = frozenset(UNIT_SYNONYMS.values())
UNIT_LOOKUP = {**UNIT_SYNONYMS, **{u: u for u in CANONICAL_UNITS}}
_PLAIN_DECIMAL = r"^[0-9]*(?:\.[0-9]*)?$"  # ASCII digits, then at most one point and digits
SHARE_MIN_ROWS = 2_000  # from this many rows, the first pass shares common subexpressions
_INDEX = "_line_index"  # the row index while validating (an input column may be named anything)
_DATE_HELP = "is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM, Eastern time)"


def _text(field: str) -> pl.Expr:
    return pl.col(field).cast(pl.String)


def _shown(field: str) -> pl.Expr:
    """The value as the message shows it: ``'text'``."""
    return pl.concat_str(pl.lit("'"), _text(field), pl.lit("'"))


def _message(field: str, reason: pl.Expr | str) -> pl.Expr:
    reason = pl.lit(reason) if isinstance(reason, str) else reason
    return pl.concat_str(pl.lit(f"{field}: "), reason)


def _bad(condition: pl.Expr, field: str, reason: pl.Expr | str) -> pl.Expr:
    return pl.when(condition).then(_message(field, reason))


def _given(field: str) -> pl.Expr:
    return pl.col(field).is_not_null() & (_text(field).str.strip_chars() != "")


def _bare(field: str) -> pl.Expr:
    """A number's text trimmed of whitespace and of one leading ``+``."""
    return _text(field).str.strip_chars().str.strip_prefix("+")


def _scaled(field: str, places: int, max_digits: int, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    """(value × 10**places as Int64, message) for a decimal number given as text or number.

    A number is a plain decimal: ASCII digits with at most one point, at least one digit, at most
    ``max_digits`` before the point and ``places`` after it, after whitespace and one leading ``+``.
    The value is one match and a decimal cast, whose integer is the scaled value (exactly: the match
    leaves the cast nothing to round): a million values in ~70 ms, where splitting the text into
    its parts and reading each took ~270. The message re-reads the parts, and is only built for
    the rows a check flags (:func:`_plan`). The select that runs these on a large frame shares
    common subexpressions (:func:`~tariffstack.engine.query.run_shared`).

    An integer column (a Parquet or JSON quantity) is that rule without its text: a whole number
    is its digits, so it fits when it is not negative and has at most ``max_digits`` of them (one
    comparison instead of writing a million numbers as text to read them again)."""
    bare = _bare(field)
    number = rf"(?:[0-9]{{1,{max_digits}}}(?:\.[0-9]{{0,{places}}})?|\.[0-9]{{1,{places}}})"
    # The same test on the text as given (``\s`` and ``strip_chars`` are both Unicode White_Space),
    # and the decimal cast reads the one leading "+": no trimmed copy of the text is made for the
    # value (a million values: 143 → 70 ms).
    fits = _text(field).str.contains(rf"^\s*\+?{number}\s*$")
    decimal = _text(field).str.strip_chars().cast(pl.Decimal(max_digits + places, places), strict=False)
    scaled = pl.when(fits).then(decimal.to_physical().cast(pl.Int64))
    if dtype.is_integer():
        whole_number = pl.col(field).cast(pl.Int64, strict=False)  # a UInt64 beyond Int64 is too large
        fits = (whole_number >= 0) & (whole_number < 10**max_digits)
        scaled = pl.when(fits).then(whole_number * 10**places)
    parts = pl.when(bare.str.contains(_PLAIN_DECIMAL)).then(bare.str.split_exact(".", 1))
    whole = parts.struct.field("field_0")
    frac = parts.struct.field("field_1").fill_null("")
    negative = _text(field).str.strip_chars().str.starts_with("-")
    readable = whole.is_not_null() & ((whole != "") | (frac != ""))
    message = (
        pl.when(negative & pl.col(field).is_not_null())
        .then(_message(field, pl.concat_str(_shown(field), pl.lit(" is negative"))))
        .when(~readable & pl.col(field).is_not_null())
        .then(_message(field, pl.concat_str(_shown(field), pl.lit(" is not a number"))))
        .when(readable & (frac.str.len_chars() > places))
        .then(
            _message(field, pl.concat_str(_shown(field), pl.lit(f" has more than {places} decimal places")))
        )
        .when(readable & (whole.str.len_chars() > max_digits))
        .then(_message(field, pl.concat_str(_shown(field), pl.lit(" is too large"))))
    )
    return scaled, message


def _money(field: str, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    cents, message = _scaled(field, 2, 12, dtype)
    limit = _bad(
        cents > MAX_VALUE_CENTS,
        field,
        pl.concat_str(_shown(field), pl.lit(" exceeds the per-line limit of 10,000,000,000.00")),
    )
    return pl.when(cents <= MAX_VALUE_CENTS).then(cents), pl.coalesce(message, limit)


def _timestamp(field: str, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    """An Eastern wall-clock time from a date, a datetime, or ISO text (date alone = noon)."""
    if dtype == pl.Datetime:
        return pl.col(field).cast(pl.Datetime("us")), pl.lit(None, dtype=pl.String)
    if dtype == pl.Date:
        return pl.col(field).dt.combine(DATE_ONLY_TIME).cast(pl.Datetime("us")), pl.lit(None, dtype=pl.String)
    text = _text(field).str.strip_chars()
    day = text.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    moment = pl.coalesce(
        *(
            text.str.strptime(pl.Datetime("us"), fmt, strict=False)
            for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")
        ),
        text.str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S%.f", strict=False),
    )
    value = pl.when(text.str.len_chars() == 10).then(day.dt.combine(DATE_ONLY_TIME)).otherwise(moment)
    offset = text.str.contains(r"T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)$")
    message = (
        pl.when(pl.col(field).is_not_null() & offset)
        .then(
            _message(
                field,
                pl.concat_str(_shown(field), pl.lit(": give Eastern wall-clock time without a UTC offset")),
            )
        )
        .when(pl.col(field).is_not_null() & value.is_null())
        .then(_message(field, pl.concat_str(_shown(field), pl.lit(f" {_DATE_HELP}"))))
    )
    return value.cast(pl.Datetime("us")), message


def _country(field: str, required: bool = False) -> tuple[pl.Expr, pl.Expr]:
    code = _text(field).str.strip_chars().str.to_uppercase()
    given = _given(field)
    message = pl.when(given & ~code.str.contains(r"^[A-Z]{2}$")).then(
        _message(field, pl.concat_str(_shown(field), pl.lit(" is not an ISO 3166 alpha-2 country code")))
    )
    if required:
        message = (
            pl.when(~given)
            .then(_message(field, "missing (ISO 3166 alpha-2 code, e.g. CA)"))
            .otherwise(message)
        )
    return pl.when(given & code.str.contains(r"^[A-Z]{2}$")).then(code), message


def _unit(field: str) -> tuple[pl.Expr, pl.Expr]:
    key = _text(field).str.strip_chars().str.to_lowercase()
    unit = key.replace_strict(UNIT_LOOKUP, default=None, return_dtype=pl.String)
    known = ", ".join(sorted(CANONICAL_UNITS))
    message = _bad(
        pl.col(field).is_not_null() & unit.is_null(),
        field,
        pl.concat_str(_shown(field), pl.lit(f" is not a known unit ({known})")),
    )
    return unit, message


def _number(field: str, upper: float | None, reason: str) -> tuple[pl.Expr, pl.Expr]:
    number = _text(field).str.strip_chars().cast(pl.Float64, strict=False)
    bad = number.is_null() | (number < 0) | number.is_nan()
    if upper is not None:
        bad = bad | (number > upper)
    message = _bad(pl.col(field).is_not_null() & bad, field, pl.concat_str(_shown(field), pl.lit(reason)))
    return pl.when(~bad).then(number), message


def _boolean(field: str, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    if dtype == pl.Boolean:
        return pl.col(field), pl.lit(None, dtype=pl.String)
    text = _text(field).str.strip_chars().str.to_lowercase()
    value = pl.when(text == "true").then(True).when(text == "false").then(False)
    message = _bad(
        pl.col(field).is_not_null() & value.is_null(),
        field,
        pl.concat_str(_shown(field), pl.lit(" must be true or false")),
    )
    return value, message


def _cases(dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    field = "adcvd_cases"
    if isinstance(dtype, pl.List):
        items = pl.col(field).cast(pl.List(pl.String))
        shown = pl.concat_str(pl.lit("["), items.list.join(", "), pl.lit("]"))
    else:
        items = (
            _text(field)
            .str.split(",")
            .list.eval(pl.element().str.strip_chars())
            .list.eval(pl.element().filter(pl.element() != ""))
        )
        shown = _shown(field)
    ok = items.list.eval(pl.element().str.contains(r"^[AC]-\d{3}-\d{3}$").fill_null(False)).list.all()
    message = _bad(
        pl.col(field).is_not_null() & ~ok,
        field,
        pl.concat_str(shown, pl.lit(" must list case numbers like A-122-857")),
    )
    return pl.when(ok).then(items), message


def _fields(schema: pl.Schema) -> dict[str, tuple[pl.Expr, pl.Expr]]:
    """Each output column: (typed value, message), in the order errors are reported; a name that
    starts with ``_`` is a check across fields: (its test over the typed columns, message)."""
    out: dict[str, tuple[pl.Expr, pl.Expr]] = {}
    hts = normalize_hts_expr(pl.col("hts"))
    digits = _text("hts").str.strip_chars().str.replace_all(r"[.\s\-]", "")
    out["hts10"] = (
        hts,
        pl.when(pl.col("hts").is_null())
        .then(_message("hts", "missing"))
        .when(~digits.str.contains(r"^\d+$"))
        .then(_message("hts", pl.concat_str(_shown("hts"), pl.lit(" must contain only digits and dots"))))
        .when(hts.is_null())
        .then(
            _message(
                "hts",
                pl.format(
                    "{} has {} digits; expected 8 or 10",
                    _shown("hts"),
                    pl.when(digits.str.len_chars().is_in([7, 9]))
                    .then(digits.str.len_chars() + 1)
                    .otherwise(digits.str.len_chars()),
                ),
            )
        ),
    )
    out["origin"] = _country("origin", required=True)
    importing = _text("importing_country").str.strip_chars().str.to_uppercase().fill_null("US")
    importing = pl.when(importing == "").then(pl.lit("US")).otherwise(importing)
    out["importing_country"] = (
        pl.when(importing.is_in(["US", "CA"])).then(importing),
        _bad(
            ~importing.is_in(["US", "CA"]),
            "importing_country",
            pl.concat_str(_shown("importing_country"), pl.lit(" must be US or CA")),
        ),
    )
    entry, entry_msg = _timestamp("entry_date", schema["entry_date"])
    out["entry_ts"] = (
        entry,
        pl.when(pl.col("entry_date").is_null())
        .then(_message("entry_date", "missing"))
        .otherwise(entry_msg)
        .fill_null(
            _bad(
                entry.dt.date() < EARLIEST_ENTRY,
                "entry_date",
                pl.concat_str(
                    _shown("entry_date"), pl.lit(" is before 2025-01-01; the law here starts then")
                ),
            )
        ),
    )
    for field, key in (
        ("loading_date", "loading_ts"),
        ("export_date", "export_ts"),
        ("arrival_date", "arrival_ts"),
    ):
        out[key] = _timestamp(field, schema[field])
    value, value_msg = _money("value", schema["value"])
    out["value_cents"] = (
        value,
        pl.when(pl.col("value").is_null())
        .then(_message("value", "missing (entered value in USD, or value for duty in CAD)"))
        .otherwise(value_msg),
    )
    for field in MONEY_FIELDS:
        cents, message = _money(field, schema[field])
        over = _bad(
            cents > value,
            field,
            pl.concat_str(_shown(field), pl.lit(" exceeds the line value "), _shown("value")),
        )
        out[f"{field}_cents"] = (cents, pl.coalesce(message, over))
    spi_key = _text("spi").str.strip_chars().str.to_uppercase()
    spi = spi_key.replace_strict(SPI_SYNONYMS, default=None, return_dtype=pl.String)
    out["spi"] = (
        spi,
        _bad(
            _given("spi") & spi.is_null(),
            "spi",
            pl.concat_str(
                _shown("spi"), pl.lit(" is not a program this engine models (S, S+ for USMCA; UST for CUSMA)")
            ),
        ),
    )
    for qfield, ufield, qkey in (("quantity", "unit", "qty_milli"), ("quantity2", "unit2", "qty2_milli")):
        quantity, q_msg = _scaled(qfield, 3, 15, schema[qfield])
        out[qkey] = (
            quantity,
            pl.coalesce(
                q_msg,
                _bad(
                    pl.col(qfield).is_not_null() & pl.col(ufield).is_null(),
                    ufield,
                    f"missing: {qfield} needs its unit",
                ),
            ),
        )
        out[ufield] = _unit(ufield)
    out["metal_weight_share"] = _number("metal_weight_share", 1.0, " must be a number from 0 to 1")
    out["melt_country"] = _country("melt_country")
    out["smelt_country"] = _country("smelt_country")
    out["vehicle_age_years"] = _number("vehicle_age_years", None, " must be a non-negative number")
    for field in BOOL_FIELDS:
        out[field] = _boolean(field, schema[field])
    out["adcvd_cases"] = _cases(schema["adcvd_cases"])
    producer = _text("producer").str.strip_chars()
    out["producer"] = (
        pl.when(producer != "").then(producer),
        _bad(
            pl.col("producer").is_not_null() & (producer == ""),
            "producer",
            pl.concat_str(_shown("producer"), pl.lit(" must be the producer/exporter name as in the order")),
        ),
    )
    remission = _text("remission_code").str.strip_chars()
    out["remission_code"] = (
        pl.when(remission.str.contains(r"^\d{2}-\d{4}[A-Z]?$")).then(remission),
        _bad(
            pl.col("remission_code").is_not_null() & ~remission.str.contains(r"^\d{2}-\d{4}[A-Z]?$"),
            "remission_code",
            pl.concat_str(
                _shown("remission_code"), pl.lit(" is not a CBSA special authority code like 25-0466C")
            ),
        ),
    )
    for field, (allowed, source) in ENUM_FIELDS.items():
        out[field] = (
            pl.when(_text(field).is_in(allowed)).then(_text(field)),
            _bad(
                pl.col(field).is_not_null() & ~_text(field).is_in(allowed),
                field,
                pl.concat_str(_shown(field), pl.lit(f" is not one of {', '.join(allowed)} ({source})")),
            ),
        )
    crossed = (
        pl.when((importing == "CA") & spi.is_in(["S", "S+"]))
        .then(
            _message(
                "spi",
                pl.concat_str(
                    _shown("spi"),
                    pl.lit(" is a U.S. program; a CUSMA claim into Canada is UST (tariff treatment 10)"),
                ),
            )
        )
        .when((importing == "US") & (spi == "UST"))
        .then(
            _message(
                "spi",
                pl.concat_str(
                    _shown("spi"),
                    pl.lit(" is Canada's CUSMA treatment; a USMCA claim into the U.S. is S or S+"),
                ),
            )
        )
    )
    # A check across fields: (the test of the typed columns that flags the row, the message).
    program_clash = ((pl.col("importing_country") == "CA") & pl.col("spi").is_in(["S", "S+"])) | (
        (pl.col("importing_country") == "US") & (pl.col("spi") == "UST")
    )
    out["_spi_program"] = (program_clash.fill_null(False), crossed)
    for field in ("ad_rate", "cvd_rate"):
        milli, message = _scaled(field, 3, 12, schema[field])
        out[f"{field}_ppm"] = (milli * 10, message)  # 1 percent = 10_000 ppm = 1000 milli × 10
    return out


# The input fields each output column reads (the required fields and the default importing
# country are always validated); an output whose fields are all absent is null without a check.
_ALWAYS = {"hts10", "origin", "importing_country", "entry_ts", "value_cents"}
_SOURCES: dict[str, tuple[str, ...]] = {
    "hts10": ("hts",),
    "entry_ts": ("entry_date",),
    "value_cents": ("value",),
    "loading_ts": ("loading_date",),
    "export_ts": ("export_date",),
    "arrival_ts": ("arrival_date",),
    **{f"{field}_cents": (field,) for field in MONEY_FIELDS},
    "spi": ("spi",),
    "_spi_program": ("spi",),
    "qty_milli": ("quantity",),
    "unit": ("unit", "quantity"),  # a quantity without its unit makes the row suspect
    "unit2": ("unit2", "quantity2"),
    "qty2_milli": ("quantity2",),
    "ad_rate_ppm": ("ad_rate",),
    "cvd_rate_ppm": ("cvd_rate",),
}


def _plan(schema: pl.Schema, present: frozenset[str]) -> tuple[list[pl.Expr], pl.Expr, list[pl.Expr]]:
    """(columns of the first pass, the cheap "row may be bad" test over them, the messages in
    report order) for the fields present; cached per input shape.

    A value that fails its field's check is null, so a row is suspect when a field given has no
    typed value, a required one is missing, or a check across fields fails; only suspect rows get
    their messages built (the messages re-read the inputs of those rows alone).
    """
    key = (tuple((name, str(dtype)) for name, dtype in schema.items()), present)
    if key not in _PLANS:
        first, messages, suspects = [], [], []
        for name, (expr, message) in _fields(schema).items():
            sources = set(_SOURCES.get(name, (name,))) & present
            if name not in _ALWAYS and not sources:
                continue
            messages.append(message)
            if name.startswith("_"):  # a check across fields (spi against importer), on the typed
                suspects.append(expr)  # columns: its message is built only for the rows it flags
                continue
            first.append(expr.alias(name))
            if name in _ALWAYS:
                suspects.append(pl.col(name).is_null())
            else:
                given = pl.any_horizontal(pl.col(c).is_not_null() for c in sorted(sources))
                first.append(given.alias(f"_given_{name}"))
                suspects.append(pl.col(f"_given_{name}") & pl.col(name).is_null())
        suspects.extend(_cross_checks(present))
        if len(_PLANS) > 256:
            _PLANS.clear()
        _PLANS[key] = (first, pl.any_horizontal(suspects), messages)
    return _PLANS[key]


def _cross_checks(present: frozenset[str]) -> list[pl.Expr]:
    """Checks between fields, whose values are each valid alone."""
    value = pl.col("value_cents")
    checks = [pl.col("entry_ts").dt.date() < EARLIEST_ENTRY]
    checks += [pl.col(f"{m}_cents") > value for m in MONEY_FIELDS if m in present]
    return checks


_PLANS: dict[tuple, tuple[list[pl.Expr], list[pl.Expr]]] = {}


def _unknown_fields(columns: list[str]) -> pl.Expr:
    unknown = sorted(c for c in columns if c not in KNOWN_FIELDS and c != ROW_ERROR)
    known = ", ".join(sorted(KNOWN_FIELDS))
    return pl.coalesce(
        pl.lit(None, dtype=pl.String),
        *(_bad(pl.col(c).is_not_null(), c, f"unknown field (known fields: {known})") for c in unknown),
    )


# Fields whose text repeats across lines (a million lines hold some thousands of codes and dates):
# on large frames, what is read from one of them alone is computed once per distinct text.
REPEATED_FIELDS = frozenset(
    {"hts", "origin", "entry_date", "spi", "unit", "unit2", "importing_country", *ENUM_FIELDS, *BOOL_FIELDS}
)


def _typed(
    frame: pl.LazyFrame | pl.DataFrame,
    height: int,
    exprs: list[pl.Expr],
    flagged: pl.Expr,
    suspect: pl.Expr,
    missing: frozenset[str],
) -> pl.DataFrame:
    """The first pass: ``line_id``, each typed column, the flag and whether the row is suspect. On
    a large frame (collected: ``frame`` is a query on a small one), an expression that reads repeated
    fields only is evaluated on the distinct values (or combinations) of those fields
    (:func:`~tariffstack.io.distinct.per_distinct`): the same results, and the code check of a
    million lines drops from ~0.8 to ~0.1 s. A field the input does not have (``missing``: a column
    of nulls) is carried along, not a key: an expression reading only such fields is cheap on the
    lines themselves, and one that reads a claim and a missing country is keyed on the claim."""
    staged: dict[tuple[str, ...], list[pl.Expr]] = {}
    carried: dict[tuple[str, ...], set[str]] = {}
    direct = []
    for expr in exprs:
        read = set(expr.meta.root_names()) if height >= STAGE_MIN_ROWS else set()
        roots = tuple(sorted(read - missing))
        if roots and read <= REPEATED_FIELDS | missing:
            staged.setdefault(roots, []).append(expr)
            carried.setdefault(roots, set()).update(read & missing)
        else:
            direct.append(expr)
    first = frame.lazy().select(pl.col(_INDEX).alias("line_id"), *direct, _flag=flagged)
    names = [expr.meta.output_name() for expr in exprs]
    if not staged:  # (one query; planned without sharing subexpressions on a few rows, where
        # their search, ~0.25 ms, costs more than it saves, ~0.14 ms per 1,000 rows)
        typed = first.select("line_id", *names, _suspect=pl.col("_flag") | suspect)
        return run_shared(typed) if height >= SHARE_MIN_ROWS else run(typed)
    frame = frame if isinstance(frame, pl.DataFrame) else run(frame)  # (validate_frame collects it)
    typed = run_shared(first).hstack(
        [
            column
            for roots, group in staged.items()
            for column in per_distinct(frame, roots, group, carried=sorted(carried[roots]))
        ]
    )
    return typed.select("line_id", *names, _suspect=pl.col("_flag") | suspect)


@functools.lru_cache(maxsize=256)
def _input_schema(raw: tuple[tuple[str, pl.DataType], ...], missing: tuple[str, ...]) -> pl.Schema:
    """The schema of the frame validated: the row index, the raw columns (``raw``: the raw frame's
    schema), the absent fields (text) and the row-error column (what the query of
    :func:`validate_frame` gives, without asking it). Built once per input shape."""
    schema = pl.Schema({_INDEX: pl.Int64, **dict(raw), **dict.fromkeys(missing, pl.String)})
    if ROW_ERROR not in schema:
        schema[ROW_ERROR] = pl.String
    return schema


def validate_frame(raw: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Validate a raw frame (one column per input field, any subset of the known fields; text or
    native values); return the typed frame (``SCHEMA``, one row per input row, ``line_id`` = row
    index) and the pass-through ids (``line_id`` and whichever of ``PASS_THROUGH`` were given).

    A frame below ``STAGE_MIN_ROWS`` rows is typed in one query (its input frame not collected
    apart) and, where no row is suspect, put in the schema in a second: a call of one line pays
    two queries, not six."""
    missing = [c for c in KNOWN_FIELDS if c not in raw.columns]
    frame = raw.lazy().with_columns(_absent(tuple(missing)))
    if ROW_ERROR not in raw.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(ROW_ERROR))
    frame = frame.with_row_index(_INDEX).with_columns(pl.col(_INDEX).cast(pl.Int64))
    if raw.height >= STAGE_MIN_ROWS:  # read again by the per-distinct passes
        frame = run(frame)
    present = frozenset(c for c in raw.columns if c in KNOWN_FIELDS)
    schema = _input_schema(tuple(raw.schema.items()), tuple(missing))
    typed_exprs, suspect, field_messages = _plan(schema, present)
    unknown = [c for c in raw.columns if c not in KNOWN_FIELDS and c != ROW_ERROR]
    flagged = pl.any_horizontal(pl.col(ROW_ERROR).is_not_null(), *(pl.col(c).is_not_null() for c in unknown))
    typed = _typed(frame, raw.height, typed_exprs, flagged, suspect, frozenset(missing))
    # Where no row is suspect, no message is built and no value blanked: on a call of a few lines
    # the messages' expressions alone cost a few ms to plan, whatever the rows.
    clean = not typed["_suspect"].any()
    if clean:
        result = typed.lazy().with_columns(error=pl.lit(None, dtype=pl.String))
    else:
        messages = [_message("line", pl.col(ROW_ERROR)), _unknown_fields(raw.columns), *field_messages]
        suspects = frame.lazy().filter(pl.lit(typed["_suspect"]))
        errors = run(suspects.select(pl.col(_INDEX).alias("line_id"), error=pl.coalesce(*messages)))
        result = typed.lazy().join(errors.lazy(), on="line_id", how="left")
    return run(result.select(_typed_columns(tuple(typed.columns), clean))), passthrough_ids(raw)


@functools.lru_cache(maxsize=64)
def _absent(missing: tuple[str, ...]) -> list[pl.Expr]:
    """Null text columns for the fields an input does not give (built once per set of fields)."""
    return [pl.lit(None, dtype=pl.String).alias(c) for c in missing]


@functools.lru_cache(maxsize=256)
def _typed_columns(columns: tuple[str, ...], clean: bool) -> list[pl.Expr]:
    """The typed frame's columns (``SCHEMA``, in its order and types) from the first pass's
    ``columns``: a row with an error keeps no value; a field the input does not have is null. Built
    once per input shape."""
    ok = pl.col("error").is_null()
    return [
        pl.col("line_id").cast(SCHEMA["line_id"]),
        *(
            (pl.col(c) if clean else pl.when(ok).then(pl.col(c))).cast(dtype).alias(c)
            if c in columns
            else pl.lit(None, dtype=dtype).alias(c)
            for c, dtype in SCHEMA.items()
            if c not in ("line_id", "error")
        ),
        pl.col("error").cast(SCHEMA["error"]),
    ]


def passthrough_ids(raw: pl.DataFrame) -> pl.DataFrame:
    """``line_id`` (the row index) and whichever of ``PASS_THROUGH`` the raw frame gives, as given."""
    given = [c for c in PASS_THROUGH if c in raw.columns]
    return raw.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("line_id"), *given)


def lines_frame(rows: list[Any]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Validate every row (objects as parsed from JSON); the typed frame and the pass-through ids."""
    return validate_frame(raw_from_objects(rows))


class FieldError(ValueError):
    """One bad value outside a frame (a query parameter): ``field`` and ``reason`` make the message."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def parse_et(value: object, field: str) -> datetime:
    """One Eastern wall-clock time, read exactly as an entry line's dates are (a date alone = noon)."""
    frame = pl.DataFrame({field: [None if value is None else str(value)]}, schema={field: pl.String})
    typed, message = _timestamp(field, pl.String)
    result = frame.select(typed.alias("at"), message.alias("message"))
    if result["message"][0] is not None or result["at"][0] is None:
        reason = (result["message"][0] or f"{field}: '{value}' {_DATE_HELP}").split(": ", 1)[1]
        raise FieldError(field, reason)
    return result["at"][0]
