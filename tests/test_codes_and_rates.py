"""HTS code normalisation and rate-text parsing, on texts printed in the schedule."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tariffstack.hts.codes import CodeError, normalize_hts, normalize_hts_expr
from tariffstack.hts.rates import parse_rate, parse_special


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("6203.42.4511", "6203424511"),
        ("6203424511", "6203424511"),
        ("6203.42.45", "6203424500"),
        ("203424511", "0203424511"),  # a spreadsheet dropped the leading zero of 0203.42.4511
        ("1012100", "0101210000"),  # 8-digit 0101.21.00 with its leading zero dropped
        (" 7208.51.0060 ", "7208510060"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize_hts(raw) == expected


@pytest.mark.parametrize("raw", ["", "7308.90", "abcd.ef.ghij", "62034245111", None])
def test_normalize_rejects(raw: object) -> None:
    with pytest.raises(CodeError):
        normalize_hts(raw)


def test_free() -> None:
    assert parse_rate("Free").status == "free"


def test_ad_valorem() -> None:
    rate = parse_rate("6.8%")
    assert (rate.status, rate.ad_valorem_ppm) == ("ad_valorem", 68_000)


@pytest.mark.parametrize(
    ("text", "microcents", "unit"),
    [
        ("4.4¢/kg", 4_400_000, "kg"),
        ("$1.035/doz.", 103_500_000, "doz"),
        ("6.3¢/liter", 6_300_000, "liter"),
        ("10.5¢/bbl", 10_500_000, "bbl"),
    ],
)
def test_specific(text: str, microcents: int, unit: str) -> None:
    rate = parse_rate(text)
    assert rate.status == "specific"
    assert (rate.specifics[0].amount_microcents, rate.specifics[0].unit) == (microcents, unit)


def test_compound() -> None:
    rate = parse_rate("0.9¢/kg + 2.6%")
    assert rate.status == "compound"
    assert rate.ad_valorem_ppm == 26_000
    assert rate.specifics[0].amount_microcents == 900_000


def test_component_and_reference_are_structured_but_not_computable() -> None:
    lead = parse_rate("1.7¢/kg on lead content")
    ensemble = parse_rate("The rate applicable to each garment in the ensemble if separately entered")
    assert lead.status == "component" and lead.structured and not lead.computable
    assert ensemble.status == "reference" and ensemble.structured and not ensemble.computable


def test_unparsed_text_is_reported_as_text_not_zero() -> None:
    rate = parse_rate("Rate to be determined by the Secretary")
    assert rate.status == "text" and not rate.structured


def test_special_program_list_gives_usmca_rate() -> None:
    special = parse_special("Free (A+,AU,BH,CL,CO,D,E,IL,JO,KR,MA,OM,P,PA,PE,S,SG) 2.1% (JP)")
    assert special.for_program("S").status == "free"
    assert special.for_program("JP").ad_valorem_ppm == 21_000
    assert special.for_program("S+") is None


@pytest.mark.parametrize(
    ("text", "status", "ppm", "specifics"),
    [
        # printed so in USITC's 2025 Rev 4, 6, 10, 14 and 2026 Rev 9 JSON (41 HTS10 codes)
        ("2.5% <u></u>", "ad_valorem", 25_000, ()),
        ("2.5%<u></u>", "ad_valorem", 25_000, ()),
        ("$1.13/m<sup>3</sup>", "specific", 0, ((113_000_000, "m3"),)),
        ("14.5¢/m<sup>2 </sup>+ 0.4%", "compound", 4_000, ((14_500_000, "m2"),)),
        ("6.5¢/gross<il></il>", "specific", 0, ((6_500_000, "gross"),)),
        ("3.7% &nbsp;", "ad_valorem", 37_000, ()),
    ],
)
def test_html_markup_in_rate_texts_is_typography(text: str, status: str, ppm: int, specifics: tuple) -> None:
    rate = parse_rate(text)
    assert (rate.status, rate.ad_valorem_ppm) == (status, ppm)
    assert tuple((s.amount_microcents, s.unit) for s in rate.specifics) == specifics
    assert "<" not in rate.text


def test_markup_in_the_special_column_does_not_hide_the_usmca_rate() -> None:
    assert parse_special("Free (A+,CA,MX,S) <u></u>").for_program("S").status == "free"


def test_per_article_rate_is_a_specific_rate_per_number() -> None:
    rate = parse_rate("13.5¢/kg + 6.3% + 1.9¢/article")
    assert rate.status == "compound"
    assert [(s.amount_microcents, s.unit) for s in rate.specifics] == [(13_500_000, "kg"), (1_900_000, "no")]


@given(
    st.lists(
        st.one_of(st.none(), st.text(alphabet="0123456789.- \t\nax\u0661\u0662", max_size=14)), max_size=50
    )
)
def test_the_vectorized_normalisation_is_the_python_one(texts: list[str | None]) -> None:
    """What the validator computes for a column of codes is :func:`normalize_hts` of each (null where
    it raises): padding, 8-digit lines, separators, any Unicode digit."""

    def expected(text: str | None) -> str | None:
        try:
            return normalize_hts(text)
        except CodeError:
            return None

    got = pl.DataFrame({"hts": texts}, schema={"hts": pl.String}).select(normalize_hts_expr(pl.col("hts")))
    assert got.to_series().to_list() == [expected(t) for t in texts]
