"""Raw entry lines as a frame: JSON objects (or Python dicts) → one column per field seen.

The JSON is decoded by Polars in one call (orjson serialises Python objects first, also in one
call; a list of objects is read as NDJSON where it can be, see :func:`_read`), so the boundary has
no Python loop per line. Known fields are kept as text for the
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


NDJSON_MIN_BYTES = 32 << 20  # from this size, a list of plain objects is read as NDJSON (in parallel)
LIST_FIELDS = ("adcvd_cases",)  # the one field whose value may be a list (of case numbers)


def _as_text(column: str, dtype: pl.DataType) -> pl.Expr:
    """A field's JSON value as text for the validator: a list where one value belongs becomes its
    text (``[null]``), so the field's own check names it instead of the batch failing."""
    if isinstance(dtype, pl.List):
        items = pl.col(column).list.eval(pl.element().cast(pl.String).fill_null("null")).list.join(", ")
        return pl.concat_str(pl.lit("["), items, pl.lit("]")).alias(column)
    return pl.col(column).cast(pl.String)


def _read(text: bytes) -> pl.DataFrame:
    """The JSON list of objects ``text`` (as orjson writes it) as a frame.

    Read as NDJSON where it can be: orjson separates the objects of a list by ``},{`` and writes
    no line breaks, so each ``},{`` made a line break gives one object per line, which Polars reads
    in parallel (1,000,000 lines: 3.6 → 2.4 s with the replacement). Where the text also occurs
    elsewhere (in a string, in a list of objects) or an element is not an object, some line is not
    a JSON object (the first break inside a string leaves that string open), the read fails, and the
    list is read as one JSON document, as before. The document reader decides too where a type
    clash makes the NDJSON reader fail (``true`` beside numbers) and wherever a field may hold a
    list or an object (``":[`` or ``":{`` in the text: the two readers type those differently; in
    orjson's text a list or object value always follows ``":``). A property test checks that the
    raw frame is the same either way.

    Below ``NDJSON_MIN_BYTES`` the document reader is faster (one object: 9 µs against 250 µs;
    100,000 objects, 9.7 MB: 0.13 against 0.18 s here), so the NDJSON reader is used only above."""
    nested = b'":[' in text or b'":{' in text  # a field's value a list or an object (or such text)
    plain = text.startswith(b"[{") and text.endswith(b"}]") and not nested
    if plain and len(text) >= NDJSON_MIN_BYTES:
        try:
            return pl.read_ndjson(text[1:-1].replace(b"},{", b"}\n{"), infer_schema_length=None)
        except pl.exceptions.PolarsError:
            pass
    return pl.read_json(text, infer_schema_length=None)


def _decode(text: bytes) -> pl.DataFrame:
    """The rows of ``text`` as a raw frame: each field's value as text (a list of cases as a list
    of texts), with an empty row-error column when no field of that name was given (added in the
    same operation: a call of one line pays each)."""
    frame = _read(text)
    if not frame.width:
        return frame
    return frame.with_columns(
        # (an object where the list belongs is read as a struct, which the text cast refuses: the
        # row is then isolated with its error)
        *(
            pl.col(c).cast(pl.List(pl.String))
            if c in LIST_FIELDS and not isinstance(dtype, pl.Struct)
            else _as_text(c, dtype)
            for c, dtype in frame.schema.items()
            if c not in PASS_THROUGH
            and dtype != pl.String
            and not (c in LIST_FIELDS and dtype == pl.List(pl.String))
        ),
        *([] if ROW_ERROR in frame.columns else [pl.lit(None, dtype=pl.String).alias(ROW_ERROR)]),
    )


def _isolate(rows: list[Any]) -> pl.DataFrame:
    """Decode ``rows``; where the batch fails, halve it until the failing rows stand alone."""
    if not rows:
        return pl.DataFrame()
    try:
        frame = _decode(orjson.dumps(rows))
        if frame.height == len(rows):  # a batch that decodes to fewer rows is isolated too
            # Objects with no fields: no column holds their rows, and a frame of no columns loses
            # them when concatenated, so they get the (empty) row-error column.
            if frame.width == 0:
                return pl.select(pl.repeat(None, len(rows), dtype=pl.String).alias(ROW_ERROR))
            return frame
    except (pl.exceptions.PolarsError, orjson.JSONEncodeError, TypeError, ValueError):
        pass
    if len(rows) == 1:
        return _unreadable(rows[0])
    half = len(rows) // 2
    return _stacked(_isolate(rows[:half]), _isolate(rows[half:]))


def _stacked(first: pl.DataFrame, second: pl.DataFrame) -> pl.DataFrame:
    """The rows of both halves; a field typed differently in each (a list of cases in one, a text
    in the other) becomes text in both, so the field's own check names it on its rows."""
    try:
        return pl.concat([first, second], how="diagonal_relaxed")
    except pl.exceptions.PolarsError:
        clash = [c for c in first.columns if c in second.columns and first.schema[c] != second.schema[c]]
        parts = [part.with_columns(_as_text(c, part.schema[c]) for c in clash) for part in (first, second)]
        return pl.concat(parts, how="diagonal_relaxed")


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
