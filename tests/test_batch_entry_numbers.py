"""Entry numbers: the CBP check digit (CATAIR Appendix E / AE Table 1) on numbers worked by hand."""

from __future__ import annotations

import polars as pl
import pytest

from tariffstack.batch.entry_numbers import normalize_entry_numbers


def _normalize(values: list[str | None]) -> list[tuple[str | None, str | None]]:
    canonical, error = normalize_entry_numbers(pl.col("e"))
    out = pl.DataFrame({"e": values}, schema={"e": pl.String}).select(c=canonical, err=error)
    return list(out.iter_rows())


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        # B→2; odd positions 2+6+2+4+6 = 20; even 7,1,3,5,7 → 14→5, 2, 6, 10→1, 14→5 = 19; 39 → 1.
        ("B76-1234567-1", "B76-1234567-1"),
        ("b7612345671", "B76-1234567-1"),
        # 3,1,6,0,1,2,3,4,5,6: odd 3+6+1+3+5 = 18; even 1,0,2,4,6 → 2,0,4,8,12→3 = 17; 35 → 5.
        ("316 0123456 5", "316-0123456-5"),
        # S→2, J→1: odd 2+1+0+0+0 = 3; even 1,0,0,0,1 → 2,0,0,0,2 = 4; 7 → 3.
        ("SJ1-0000001-3", "SJ1-0000001-3"),
        # Z→9 then nine 9s: odd 45; even 18→9 five times = 45; 90 → 0.
        ("Z99-9999999-0", "Z99-9999999-0"),
    ],
)
def test_valid_numbers_are_canonical(given: str, canonical: str) -> None:
    assert _normalize([given]) == [(canonical, None)]


def test_wrong_check_digit_names_the_expected_digit() -> None:
    [(canonical, error)] = _normalize(["B76-1234567-2"])
    assert canonical is None
    assert error == "has check digit 2; the number's first 10 characters give 1"


@pytest.mark.parametrize("bad", ["12-34", "B76-123456-1", "B76-12345678-1", "B7$-1234567-1", "B76-123456A-1"])
def test_malformed_numbers_are_refused(bad: str) -> None:
    [(canonical, error)] = _normalize([bad])
    assert canonical is None
    assert error.startswith("is not an entry number FFF-SSSSSSS-C")


def test_missing_numbers_are_not_errors() -> None:
    assert _normalize([None, "", "  "]) == [(None, None)] * 3
