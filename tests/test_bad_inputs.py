"""Bad input gets a clear error naming the field and the value; in a batch every row comes back."""

from __future__ import annotations

import re

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tariffstack.api import Engine
from tariffstack.engine.money import MAX_VALUE_CENTS
from tariffstack.io.entry import validate_frame

GOOD = {"hts": "6203.42.4511", "origin": "CA", "entry_date": "2025-05-01", "value": "100000"}


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"hts": "9999.99.9999"}, "hts", "hts: 9999.99.9999 is not in the schedule in force on 2025-05-01"),
        ({"hts": "7308.90"}, "hts", "'7308.90' has 6 digits"),
        ({"entry_date": "2024-12-31"}, "entry_date", "'2024-12-31' is before 2025-01-01"),
        ({"entry_date": "31/12/2025"}, "entry_date", "'31/12/2025' is not a date"),
        ({"value": "-5"}, "value", "'-5' is negative"),
        ({"value": None}, "value", "missing"),
        ({"origin": None}, "origin", "missing"),
        ({"origin": "Canada"}, "origin", "'Canada' is not an ISO 3166 alpha-2"),
        ({"spi": "XX"}, "spi", "'XX' is not a program"),
        ({"colour": "blue"}, "colour", "unknown field"),
        ({"steel_value": "200000"}, "steel_value", "exceeds the line value"),
        ({"quantity": 5}, "unit", "quantity needs its unit"),
        ({"semiconductor_end_use": "gaming"}, "semiconductor_end_use", "'gaming' is not one of us_data"),
        ({"pharma_company_program": "deal"}, "pharma_company_program", "'deal' is not one of annex_iii"),
        ({"no_metal_content": "yes"}, "no_metal_content", "'yes' must be true or false"),
        ({"arrival_date": "29 Sep"}, "arrival_date", "'29 Sep' is not a date"),
        ({"spi": "UST"}, "spi", "'UST' is Canada's CUSMA treatment; a USMCA claim into the U.S. is S or S+"),
        ({"spi": "CUSMA"}, "spi", "'CUSMA' is Canada's CUSMA treatment"),
        (
            {"spi": "S", "importing_country": "CA"},
            "spi",
            "'S' is a U.S. program; a CUSMA claim into Canada is UST",
        ),
        ({"spi": "usmca", "importing_country": "ca"}, "spi", "'usmca' is a U.S. program"),
    ],
)
def test_bad_field_is_named(engine: Engine, change: dict, field: str, words: str) -> None:
    row = {**GOOD, **change}
    row = {k: v for k, v in row.items() if v is not None}
    result = engine.calc([row])[0]
    assert result["error"] is not None
    assert result["error"]["field"] == field
    assert words in result["error"]["message"]
    assert result["total_duty"] is None


@pytest.mark.parametrize(("spi", "importing"), [("S", "US"), ("S+", None), ("UST", "CA"), ("10", "ca")])
def test_a_program_of_the_importing_country_is_no_error(
    engine: Engine, spi: str, importing: str | None
) -> None:
    row = {**GOOD, "spi": spi, **({"importing_country": importing} if importing else {})}
    assert engine.calc([row])[0]["error"] is None


def test_unknown_code_suggests_nearest_valid_codes(engine: Engine) -> None:
    result = engine.calc([{**GOOD, "hts": "6203.42.4599"}])[0]
    assert "nearest valid codes: 6203.42.4503, 6203.42.4506, 6203.42.4511" in result["error"]["message"]


def test_specific_rate_needs_quantity(engine: Engine) -> None:
    result = engine.calc([{**GOOD, "hts": "2709.00.2090"}])[0]
    assert result["error"]["field"] == "quantity"
    assert "10.5¢/bbl" in result["error"]["message"]


def test_rate_needing_a_component_is_an_error_not_zero(engine: Engine) -> None:
    result = engine.calc([{**GOOD, "hts": "2106.90.5400"}])[0]
    assert result["error"]["field"] == "hts"
    assert "The rate applicable to the natural juice in heading 2009" in result["error"]["message"]


def test_batch_keeps_every_row_in_order(engine: Engine) -> None:
    rows = [GOOD, {**GOOD, "value": "-1"}, "not an object", {**GOOD, "hts": "3923.30.0090"}]
    results = engine.calc(rows)
    assert [r["line"] for r in results] == [0, 1, 2, 3]
    assert results[0]["total_duty"] == "41600.00"
    assert results[1]["error"]["field"] == "value"
    assert results[2]["error"]["field"] == "line"
    assert results[3]["total_duty"] == "28000.00"


def test_passthrough_ids_come_back(engine: Engine) -> None:
    result = engine.calc([{**GOOD, "entry_number": "ABC-1234567-8", "line_number": 3}])[0]
    assert (result["entry_number"], result["line_number"]) == ("ABC-1234567-8", 3)


@pytest.mark.parametrize("with_importing_country", [True, False])
def test_large_frames_read_repeated_fields_once_per_distinct_value_with_the_same_results(
    monkeypatch: pytest.MonkeyPatch, with_importing_country: bool
) -> None:
    """Above ``STAGE_MIN_ROWS`` lines, what is read from repeated fields (code, date, origin, claim,
    units) is computed per distinct value and joined back; every typed value and every message
    must be what the line-by-line pass gives, including nulls and bad values. Without any
    ``importing_country`` the field is a column of nulls, carried along rather than keyed."""

    from tariffstack.io import entry
    from tariffstack.io.raw import raw_from_objects

    variants = [
        GOOD,
        {**GOOD, "hts": "7308.90"},
        {**GOOD, "hts": "12x4"},
        {**GOOD, "hts": " 620342.4511 "},
        {**GOOD, "entry_date": "2024-12-31"},
        {**GOOD, "entry_date": "2025-08-01T00:01"},
        {**GOOD, "entry_date": "31/12/2025"},
        {**GOOD, "origin": "ca"},
        {**GOOD, "origin": "Canada"},
        {**GOOD, "spi": "s"},
        {**GOOD, "spi": "XX"},
        {**GOOD, "spi": "S", "importing_country": "CA", "origin": "US"},
        {**GOOD, "quantity": "5", "unit": "DOZ"},
        {**GOOD, "quantity": "5"},
        {k: v for k, v in GOOD.items() if k != "hts"},
        {k: v for k, v in GOOD.items() if k != "entry_date"},
    ]
    if not with_importing_country:
        variants[11] = {**GOOD, "spi": "S", "origin": "US"}
    rows = [variants[(i * 7919) % len(variants)] for i in range(entry.STAGE_MIN_ROWS + 5_000)]
    raw = raw_from_objects(rows)
    assert ("importing_country" in raw.columns) == with_importing_country
    staged, _ = entry.validate_frame(raw)
    monkeypatch.setattr(entry, "STAGE_MIN_ROWS", 10**12)
    direct, _ = entry.validate_frame(raw)
    assert staged.equals(direct)
    by_variant = staged.head(len(variants) * 3).with_columns(variant=pl.col("line_id") * 7919 % len(variants))
    bad_code = by_variant.filter(pl.col("variant") == 1)["error"][0]
    assert bad_code == "hts: '7308.90' has 6 digits; expected 8 or 10"
    assert by_variant.filter(pl.col("variant") == 3)["hts10"][0] == "6203424511"
    assert staged["error"].is_null().sum() < staged.height  # the bad variants did come out as errors


@pytest.mark.parametrize("rows", [[{}], [GOOD, {}, GOOD], [{}, {}], [{}, GOOD, {}]])
def test_an_empty_object_comes_back_as_a_line_with_its_missing_fields(engine: Engine, rows: list) -> None:
    results = engine.calc(rows)
    assert [r["line"] for r in results] == list(range(len(rows)))
    for row, result in zip(rows, results, strict=True):
        if row:
            assert result["total_duty"] == "41600.00"
        else:
            assert result["error"]["field"] == "hts"
            assert result["error"]["reason"] == "missing"


def test_rows_that_do_not_decode_come_back_in_place_with_their_error(engine: Engine) -> None:
    rows = [GOOD] * 1_500 + ["text", {**GOOD, "value": 10**30}, {}, [GOOD]] + [GOOD] * 1_500
    results = engine.calc(rows)
    assert len(results) == len(rows)
    assert [r["line"] for r in results] == list(range(len(rows)))
    odd = results[1_500:1_504]
    assert odd[0]["error"]["reason"] == "expected an object with fields, got str"
    assert "number too large" in odd[1]["error"]["reason"]
    assert (odd[2]["error"]["field"], odd[2]["error"]["reason"]) == ("hts", "missing")
    assert odd[3]["error"]["reason"] == "expected an object with fields, got list"
    assert {r["total_duty"] for r in results[:1_500] + results[1_504:]} == {"41600.00"}


def _digits(*sizes: int) -> st.SearchStrategy[str]:
    """Digit strings of the given lengths (the edges of the limits are where a rule can be off)."""
    return st.sampled_from(sizes).flatmap(lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n))


_DIGITS = _digits(0, 1, 2, 11, 12, 13, 14, 15, 16, 17)
_NUMBER_TEXT = st.one_of(
    # shaped like a number: the edges of the digit counts, signs and spaces
    st.tuples(
        st.sampled_from(["", " ", "\t", "\u00a0"]),
        st.sampled_from(["", "+", "-", "++"]),
        _DIGITS,
        st.none() | _digits(0, 1, 2, 3, 4),
        st.sampled_from(["", " ", "\n"]),
    ).map(lambda p: p[0] + p[1] + p[2] + ("" if p[3] is None else "." + p[3]) + p[4]),
    # anything made of the characters that matter
    st.lists(
        st.sampled_from(["0", "1", "9", "99999", ".", "+", "-", " ", "\u00a0", "\u0663", "\uff11", "e", ","]),
        max_size=8,
    ).map("".join),
)


def _reference(text: str, places: int, max_digits: int) -> tuple[int | None, str | None]:
    """The number rule as written (:func:`tariffstack.io.entry._scaled`), in plain Python: (the
    value × 10**places, or the reason it is refused)."""
    trimmed = text.strip()
    bare = trimmed.removeprefix("+")
    match = re.fullmatch(r"([0-9]*)(?:\.([0-9]*))?", bare)
    whole, frac = (match.group(1), match.group(2) or "") if match else ("", "")
    if trimmed.startswith("-"):
        return None, "is negative"
    if not match or not (whole or frac):
        return None, "is not a number"
    if len(frac) > places:
        return None, f"has more than {places} decimal places"
    if len(whole) > max_digits:
        return None, "is too large"
    return int(whole or "0") * 10**places + int(frac.ljust(places, "0") or "0"), None


@given(st.lists(_NUMBER_TEXT, min_size=1, max_size=40))
def test_a_number_is_read_or_refused_as_the_rule_says(texts: list[str]) -> None:
    """Whatever the text (Unicode digits and spaces included), the value and the quantity are the
    rule's exact scaled integers, or the row's error is the rule's reason for the first refused."""
    _check_numbers(pl.Series(texts, dtype=pl.String), texts)


_EDGES = st.sampled_from([0, 1, 10**12 - 1, 10**12, 10**15 - 1, 10**15, 2**63 - 1])


@given(
    st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1) | _EDGES, min_size=1, max_size=40),
    st.sampled_from([pl.Int64, pl.UInt64]),
)
def test_an_integer_column_is_read_as_its_digits_would_be(numbers: list[int], dtype: pl.DataType) -> None:
    """A whole-number column (Parquet, JSON) is read without its text, with the same outcome."""
    if dtype == pl.UInt64:
        numbers = [min(abs(n) * 2, 2**64 - 1) for n in numbers]  # beyond Int64 too
    _check_numbers(pl.Series(numbers, dtype=dtype), [str(n) for n in numbers])


def _check_numbers(column: pl.Series, texts: list[str]) -> None:
    """The column as the value (quantity absent), then as the quantity (value valid)."""
    line = {"hts": "6203.42.4511", "origin": "CA", "entry_date": "2025-05-01"}
    as_value, _ = validate_frame(pl.DataFrame({**line, "value": column}))
    as_quantity, _ = validate_frame(pl.DataFrame({**line, "value": "100", "quantity": column, "unit": "kg"}))
    for field, typed, output, places, max_digits in (
        ("value", as_value, "value_cents", 2, 12),
        ("quantity", as_quantity, "qty_milli", 3, 15),
    ):
        for text, got, error in zip(texts, typed[output], typed["error"], strict=True):
            expected, why = _reference(text, places, max_digits)
            if field == "value" and why is None and expected > MAX_VALUE_CENTS:
                why = "exceeds the per-line limit"
            if why is None:
                assert (got, error) == (expected, None), (field, text)
            else:
                assert got is None
                assert error.startswith(f"{field}: '{text}' {why}"), (field, text, error)


def test_every_schedule_error_names_its_field_and_a_good_line_of_the_same_code_computes(
    engine: Engine, store
) -> None:
    """The schedule's six errors (code not in force, no USMCA rate to claim, a rate no amount can be
    computed from, a specific rate without its quantity, in another unit, without its second
    quantity), each on a real code of the schedule in force on the day, and the same codes computed
    when the line gives what the rate needs (1¢/kg on 1,000 kg is $10.00)."""
    import polars as pl

    day = "2025-08-10"
    live = store.mfn.filter(
        (pl.col("valid_from") <= pl.lit(day).str.to_date())
        & (pl.col("valid_to") > pl.lit(day).str.to_date())
        & ~pl.col("hts10").str.starts_with("99")
    ).sort("hts10")

    def code(where: pl.Expr) -> str:
        return live.filter(where)["hts10"][0]

    # (Only chapter 98 lines have no USMCA rate while their general rate is not free.)
    no_usmca = code((pl.col("usmca_status") == "empty") & (pl.col("general_status") != "free"))
    component = code(pl.col("general_status") == "component")
    per_kg = "0102294024"  # 1¢/kg
    assert live.filter(pl.col("hts10") == per_kg)["general_text"][0] == "1¢/kg"
    two_parts = code(pl.col("general_spec2_uc") > 0)
    parts = live.filter(pl.col("hts10") == two_parts).row(0, named=True)
    base = {"origin": "CA", "entry_date": day, "value": "1000"}
    cases = [
        ({"hts": "0102.29.4099"}, "hts", "is not in the schedule in force on 2025-08-10"),
        ({"hts": no_usmca, "spi": "S"}, "spi", "is not offered in the special column of"),
        ({"hts": component}, "hts", "cannot be computed from value and quantity"),
        ({"hts": per_kg}, "quantity", "required for the specific rate '1¢/kg'"),
        ({"hts": per_kg, "quantity": "1000", "unit": "liter"}, "unit", "is per kg; got liter"),
        (
            {"hts": two_parts, "quantity": "10", "unit": parts["general_spec1_unit"]},
            "quantity2",
            f"needs a second quantity per {parts['general_spec2_unit']}",
        ),
    ]
    results = engine.calc([{**base, **line} for line, _, _ in cases])
    for (line, field, reason), result in zip(cases, results, strict=True):
        assert result["error"] is not None and result["error"]["field"] == field, (line, result["error"])
        assert reason in result["error"]["message"], (line, result["error"]["message"])
        assert result["total_duty"] is None
    good = engine.calc([{**base, "hts": per_kg, "quantity": "1000", "unit": "kg"}])[0]
    assert good["error"] is None
    assert [line["amount"] for line in good["lines"] if line["kind"] == "mfn"] == ["10.00"]
