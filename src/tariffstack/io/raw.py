"""Raw entry lines as a frame: JSON objects (or Python dicts) → one column per field seen.

The JSON is decoded by Polars in one call (orjson serialises Python objects first, also in one
call), so the boundary has no Python loop per line. Known fields are kept as text for the
validator (numbers and booleans as their JSON text); pass-through ids keep their JSON type.
A row that cannot be decoded as an object of scalar fields (a number, a nested object, a type
clash with the other rows) is isolated by splitting the batch in halves until it stands alone,
and comes out with a ``line`` error: every input row comes back.
"""

from __future__ import annotations

from typing import Any

import orjson
import polars as pl

from tariffstack.law.vocabulary import PASS_THROUGH

ROW_ERROR = "_row_error"  # set on rows that could not be read as objects with fields


class InputError(ValueError):
    """The whole input is unreadable (not JSON, or not a list of objects)."""


LIST_FIELDS = ("adcvd_cases",)  # the one field whose value may be a list (of case numbers)


def _as_text(column: str, dtype: pl.DataType) -> pl.Expr:
    """A field's JSON value as text for the validator: a list where one value belongs becomes its
    text (``[null]``), so the field's own check names it instead of the batch failing."""
    if isinstance(dtype, pl.List):
        items = pl.col(column).list.eval(pl.element().cast(pl.String).fill_null("null")).list.join(", ")
        return pl.concat_str(pl.lit("["), items, pl.lit("]")).alias(column)
    return pl.col(column).cast(pl.String)


def _decode(text: bytes) -> pl.DataFrame:
    frame = pl.read_json(text, infer_schema_length=None)
    return frame.with_columns(
        pl.col(c).cast(pl.List(pl.String)) if c in LIST_FIELDS else _as_text(c, dtype)
        for c, dtype in frame.schema.items()
        if c not in PASS_THROUGH
        and dtype != pl.String
        and not (c in LIST_FIELDS and dtype == pl.List(pl.String))
    )


def _isolate(rows: list[Any]) -> pl.DataFrame:
    """Decode ``rows``; where the batch fails, halve it until the failing rows stand alone."""
    if not rows:
        return pl.DataFrame()
    try:
        frame = _decode(orjson.dumps(rows))
        if frame.height == len(rows):  # a batch that decodes to fewer rows is isolated too
            return frame
    except (pl.exceptions.PolarsError, orjson.JSONEncodeError, TypeError, ValueError):
        pass
    if len(rows) == 1:
        return _unreadable(rows[0])
    half = len(rows) // 2
    return pl.concat([_isolate(rows[:half]), _isolate(rows[half:])], how="diagonal_relaxed")


def _unreadable(row: Any) -> pl.DataFrame:
    """The one row of a row that did not decode: an object of no fields is a line whose every
    field is missing (its checks name them); anything else gets its ``line`` error."""
    if isinstance(row, dict) and not row:
        return pl.DataFrame({ROW_ERROR: [None]}, schema={ROW_ERROR: pl.String})
    reason = (
        f"expected an object with fields, got {type(row).__name__}"
        if not isinstance(row, dict)
        else "a field holds a nested object or list, or a number too large to read"
    )
    return pl.DataFrame({ROW_ERROR: [reason]})


def raw_from_objects(rows: list[Any]) -> pl.DataFrame:
    """Entry-line objects (parsed JSON or dicts) → the raw frame, one row per object, in order."""
    frame = _isolate(list(rows))
    if ROW_ERROR not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(ROW_ERROR))
    return frame


def raw_from_json(text: bytes | str) -> pl.DataFrame:
    """A JSON list of entry-line objects, or one object → the raw frame."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"input: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise InputError(f"input: expected a JSON list of entry-line objects, got {type(data).__name__}")
    return raw_from_objects(data)
