"""The JSON boundary reads a list of objects as NDJSON where it can; the raw frame must then be
exactly the one the JSON document reader gives, row for row, errors included (property-based)."""

from __future__ import annotations

import orjson
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tariffstack.io import raw
from tariffstack.io.raw import ROW_ERROR, raw_from_objects

KEYS = ["hts", "value", "spi", "entry_id", "adcvd_cases"]
# Text made of the characters that matter to the split: braces, commas, quotes, escapes, line breaks.
TEXT = st.text(alphabet=st.sampled_from(list('{},"\\:[] \nabé☃')), max_size=12)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False), TEXT
)
VALUES = st.one_of(
    SCALARS,
    st.lists(TEXT, max_size=3),
    st.dictionaries(st.sampled_from(KEYS), SCALARS, max_size=2),
    st.lists(st.dictionaries(st.sampled_from(KEYS), SCALARS, max_size=2), max_size=2),
)
ELEMENTS = st.one_of(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=4), st.integers(-5, 5), TEXT)


def _by_document(text: bytes) -> pl.DataFrame:
    return pl.read_json(text, infer_schema_length=None)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ELEMENTS, min_size=1, max_size=6))
def test_raw_frame_equals_the_one_read_as_one_document(monkeypatch, rows: list) -> None:
    with monkeypatch.context() as patched:  # (the NDJSON reader, which only large texts take)
        patched.setattr(raw, "NDJSON_MIN_BYTES", 0)
        got = raw_from_objects(rows)
    with monkeypatch.context() as patched:
        patched.setattr(raw, "_read", _by_document)
        expected = raw_from_objects(rows)
    assert got.height == len(rows)
    assert got.schema == expected.schema
    assert got.equals(expected)


def test_objects_with_the_separator_in_a_string_are_read_whole(monkeypatch) -> None:
    monkeypatch.setattr(raw, "NDJSON_MIN_BYTES", 0)
    rows = [{"hts": "a},{b", "value": "1"}, {"hts": "},{},{", "value": "2"}, {"value": "3"}]
    frame = raw_from_objects(rows)
    assert frame["hts"].to_list() == ["a},{b", "},{},{", None]
    assert frame["value"].to_list() == ["1", "2", "3"]
    assert frame[ROW_ERROR].null_count() == 3


def test_a_list_of_plain_objects_is_read_as_ndjson(monkeypatch) -> None:
    """The fast path is taken (not only the fallback): the document reader is never called."""

    def refuse(text: bytes) -> pl.DataFrame:
        raise AssertionError("read as one document")

    monkeypatch.setattr(pl, "read_json", refuse)
    monkeypatch.setattr(raw, "NDJSON_MIN_BYTES", 0)
    rows = [{"hts": "7208.51.0030", "value": 1000}, {"hts": "0101.21.0010", "value": "12.50", "spi": "S"}]
    frame = raw_from_objects(rows)
    assert frame["value"].to_list() == ["1000", "12.50"]
    assert orjson.loads(orjson.dumps(rows))  # the rows are plain JSON objects


def test_a_small_list_is_read_as_one_document_and_a_large_one_as_ndjson(monkeypatch) -> None:
    """Which reader by the text's size: the document reader below ``NDJSON_MIN_BYTES`` (faster on
    a few objects), the NDJSON reader from there."""
    calls = []
    for name in ("read_json", "read_ndjson"):
        reader = getattr(pl, name)
        monkeypatch.setattr(
            pl, name, lambda text, *a, _r=reader, _n=name, **k: calls.append(_n) or _r(text, *a, **k)
        )
    rows = [{"hts": "7208.51.0030", "value": 1000}, {"hts": "0101.21.0010", "value": "12.50"}]
    small = raw_from_objects(rows)
    monkeypatch.setattr(raw, "NDJSON_MIN_BYTES", len(orjson.dumps(rows)))
    large = raw_from_objects(rows)
    assert calls == ["read_json", "read_ndjson"]
    assert small.equals(large)
