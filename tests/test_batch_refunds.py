"""IEEPA refunds: amounts at the window edges, routes and deadlines, interest, the CAPE files,
reconciliation. Hand-checked: 0101.21.0010 of Canada is free under MFN, so the whole duty is the
IEEPA Canada duty (9903.01.10): 25% from 12:01 a.m. ET Mar 4, 2025, 35% from 12:01 a.m. Aug 1, 2025,
nothing for entries from 12:00 a.m. Feb 24, 2026 (CSMS 67834313)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from tariffstack.api import Engine
from tariffstack.batch import run_file
from tariffstack.batch.refund_rules import load_refund_rules
from tariffstack.law.loader import LawError

LETTERS = {**{chr(65 + i): i + 1 for i in range(9)}, **{chr(74 + i): i + 1 for i in range(9)}}
LETTERS.update({chr(83 + i): i + 2 for i in range(8)})


def check_digit(first10: str) -> int:
    """Reference implementation of CATAIR Appendix E, one number at a time (for generating tests)."""
    total = 0
    for position, char in enumerate(first10, start=1):
        value = LETTERS[char] if char.isalpha() else int(char)
        if position % 2 == 0:
            value = sum(divmod(2 * value, 10))
        total += value
    return (10 - total % 10) % 10


def entry(filer: str, number: int) -> str:
    first10 = f"{filer}{number:07d}"
    return f"{filer}-{number:07d}-{check_digit(first10)}"


def _frame(rows: list[dict]) -> pl.DataFrame:
    base = {"hts": "0101.21.0010", "origin": "CA", "value": "10000", "importer": "ACME"}
    return pl.DataFrame([{**base, **row} for row in rows], infer_schema_length=None)


def _run(engine: Engine, tmp_path: Path, rows: list[dict], as_of: dt.date, **kwargs) -> pl.DataFrame:
    src = tmp_path / "in.parquet"
    _frame(rows).write_parquet(src)
    run_file(src, tmp_path / "out.parquet", engine=engine, as_of=as_of, **kwargs)
    return pl.read_parquet(tmp_path / "out.parquet")


@pytest.mark.parametrize(
    ("entry_date", "refundable"),
    [
        ("2025-03-04T00:00", "0.00"),  # before 12:01 a.m. Mar 4, 2025
        ("2025-03-04T00:01", "2500.00"),
        ("2025-08-01T00:00", "2500.00"),  # still 25% until 12:01 a.m. Aug 1
        ("2025-08-01T00:01", "3500.00"),
        ("2026-02-23T23:59", "3500.00"),  # entered after the ruling, still assessed, refundable
        ("2026-02-24T00:00", "0.00"),  # collection ended at 12:00 a.m. Feb 24, 2026
    ],
)
def test_refundable_at_window_edges(engine: Engine, tmp_path: Path, entry_date: str, refundable: str) -> None:
    out = _run(engine, tmp_path, [{"entry_date": entry_date}], dt.date(2026, 6, 1))
    assert out["ieepa_refundable"].to_list() == [Decimal(refundable)]
    assert out["refundable"].to_list() == [Decimal(refundable)]
    assert out["route"].to_list() == (["cape"] if refundable != "0.00" else [None])


def test_routes_and_deadlines_around_80_and_180_days(engine: Engine, tmp_path: Path) -> None:
    # As of Jun 1, 2026: Mar 13 is 80 days before, Mar 12 is 81; Dec 3, 2025 is 180, Dec 2 is 181.
    liquidations = [None, "2026-06-20", "2026-03-13", "2026-03-12", "2025-12-03", "2025-12-02"]
    rows = [{"entry_date": "2025-08-01T00:01", "liquidation_date": d} for d in liquidations]
    out = _run(engine, tmp_path, rows, dt.date(2026, 6, 1))
    assert out["route"].to_list() == ["cape", "cape", "cape", "protest", "protest", "contested"]
    assert out["route_deadline"].to_list() == [
        None,
        dt.date(2026, 9, 8),  # scheduled liquidation Jun 20 + 80 days
        dt.date(2026, 6, 1),  # Mar 13 + 80 days
        dt.date(2026, 9, 8),  # Mar 12 + 180 days (19 U.S.C. 1514(c)(3))
        dt.date(2026, 6, 1),  # Dec 3, 2025 + 180 days
        None,
    ]
    assert out["route_confidence"].to_list() == ["M", "M", "M", "H", "H", "L"]
    assert out["route_basis"][4] == "liquidated 2025-12-03, 180 days before 2026-06-01"
    assert out["route_basis"][5].startswith(
        "liquidated 2025-12-02, 181 days before 2026-06-01; finally liquidated, not recoverable"
    )
    assert "importer-specific court orders" in out["route_basis"][5]


def test_before_cape_opens_liquidated_entries_go_to_protest(engine: Engine, tmp_path: Path) -> None:
    rows = [
        {"entry_date": "2025-08-01T00:01", "liquidation_date": None},
        {"entry_date": "2025-08-01T00:01", "liquidation_date": "2026-03-20"},
        {"entry_date": "2025-08-01T00:01", "liquidation_date": "2026-03-20", "entry_type": "8"},
    ]
    out = _run(engine, tmp_path, rows, dt.date(2026, 4, 1))
    assert out["route"].to_list() == ["cape", "protest", "protest"]
    assert out["route_basis"][0].endswith("CAPE opens 2026-04-20")
    assert out["route_basis"][2] == "entry type 08 is excluded from CAPE Phase 1"


def test_interest_estimate_compounds_daily_at_the_quarterly_rates(engine: Engine, tmp_path: Path) -> None:
    # $2,500 from Mar 4, 2025 to Jan 1, 2026: 303 days, all at the 6% corporate overpayment rate;
    # (1 + 0.06/365)^303 - 1 = 0.0510...; × 2,500 = 127.66 (individual, 7%: 149.56).
    rows = [
        {"entry_date": "2025-03-04T00:01", "importer_type": "corporate"},
        {"entry_date": "2025-03-04T00:01", "importer_type": "individual"},
    ]
    out = _run(engine, tmp_path, rows, dt.date(2026, 1, 1))
    expected = [round(2500 * ((1 + r / 365) ** 303 - 1), 2) for r in (0.06, 0.07)]
    assert [float(x) for x in out["interest_estimate"]] == expected == [127.66, 149.56]
    assert out["interest_confidence"].to_list() == ["M", "M"]
    # Past the last rate found (Q2 2026, one secondary page) the estimate is labelled L.
    later = _run(engine, tmp_path, rows[:1], dt.date(2026, 8, 1))
    assert later["interest_confidence"].to_list() == ["L"]
    days_2025, days_q1, days_after = 303, 90, 122  # to Jan 1; Jan-Mar 2026; Apr 1 - Aug 1
    factor = math.exp(
        days_2025 * math.log1p(0.06 / 365)
        + days_q1 * math.log1p(0.06 / 365)
        + days_after * math.log1p(0.05 / 365)
    )
    assert float(later["interest_estimate"][0]) == round(2500 * (factor - 1), 2)


def test_cape_files_split_at_9999_entries(engine: Engine, tmp_path: Path) -> None:
    n = 10_001
    on = {"entry_date": "2025-08-01T00:01", "line_number": "1"}
    rows = [{"entry_number": entry("B76", i), **on} for i in range(n)]
    rows.append({"entry_number": entry("B76", 5), **on, "line_number": "2"})  # a second line of one entry
    rows.append({"entry_number": entry("316", 1), **on, "liquidation_date": "2025-09-01"})
    report = tmp_path / "report"
    _run(engine, tmp_path, rows, dt.date(2026, 6, 1), refunds=report)
    files = sorted((report / "cape").glob("*.csv"))
    assert [f.name for f in files] == ["cape_ACME_001.csv", "cape_ACME_002.csv"]
    first, second = (pl.read_csv(f, infer_schema=False) for f in files)
    assert first.columns == ["Entry Number"]
    assert (first.height, second.height) == (9_999, 2)
    # B760000000: odd positions 2+6+0+0+0 = 8; even 7,0,0,0,0 → 14→5 = 5; 13 → check digit 7.
    assert first["Entry Number"][0] == "B7600000007"
    assert check_digit("B760000000") == 7
    declared = set(first["Entry Number"]) | set(second["Entry Number"])
    assert entry("316", 1).replace("-", "") not in declared  # finally liquidated: contested
    entries = pl.read_csv(report / "entries.csv", infer_schema=False)
    five = entries.filter(pl.col("entry_number") == entry("B76", 5))
    assert five.select("lines", "ieepa_refundable", "route").row(0) == ("2", "7000.00", "cape")
    importers = pl.read_csv(report / "importers.csv", infer_schema=False)
    assert importers.select("importer", "entries", "cape_refundable", "contested_refundable").row(0) == (
        "ACME",
        "10002",
        f"{3500 * (n + 1)}.00",
        "3500.00",
    )
    assert "importer-specific court orders" in (report / "README.txt").read_text(encoding="utf-8")


def test_reconciliation_names_the_likely_reason(engine: Engine, tmp_path: Path) -> None:
    rows = [
        {"entry_date": "2025-05-01", "paid_duty": "0.00"},  # paid as if USMCA was claimed
        {"entry_date": "2025-08-01", "paid_duty": "2500.00"},  # Aug 1 noon is 35%; 25% is Jul 31's rate
        {"entry_date": "2025-05-01", "paid_duty": "2500.00"},  # agrees
        {"entry_date": "2025-05-01", "paid_duty": "2500.01"},  # within a cent
        {"entry_date": "2025-05-01", "paid_duty": "1234.00"},
        # A USMCA steel derivative of chapter 73 on Sep 10, 2025 pays 50% on its steel content
        # (20,000.00, golden case); paid 50% on the full value instead: the content line was not split.
        {
            "hts": "7326.90.8688",
            "entry_date": "2025-09-10",
            "value": "100000",
            "steel_value": "40000",
            "spi": "S",
            "paid_duty": "50000.00",
        },
    ]
    out = _run(engine, tmp_path, rows, dt.date(2026, 6, 1))
    assert out["reconciliation"].to_list() == [
        "missing USMCA claim",
        "rate of another date (a day earlier)",
        None,
        None,
        "wrong heading or classification (no other claim, date or content split gives the paid amount)",
        "content line not split",
    ]
    assert out["paid_difference"].to_list() == [
        Decimal("-2500.00"),
        Decimal("-1000.00"),
        Decimal("0.00"),
        Decimal("0.01"),
        Decimal("-1266.00"),
        Decimal("30000.00"),
    ]


def test_rules_file_is_validated_strictly(tmp_path: Path) -> None:
    rules = load_refund_rules()
    assert rules.routes.cape.max_days_after_liquidation == 80
    assert rules.routes.protest.max_days_after_liquidation == 180
    assert rules.cape_file.max_entries_per_file == 9_999
    text = (Path(__file__).parents[1] / "src/tariffstack/jurisdictions/us/refunds/ieepa.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("max_days_after_liquidation: 80", "max_days_after_liquidaton: 80"))
    with pytest.raises(LawError, match="max_days_after_liquidaton"):
        load_refund_rules(bad)


def test_reconciliation_per_heading(engine: Engine, tmp_path: Path) -> None:
    rows = [
        {"entry_date": "2025-08-01", "Paid 9903.01.10": "2500.00"},  # 35% computed, 25% paid
        {"entry_date": "2025-05-01", "Paid 9903.01.10": "2500.00"},
    ]
    out = _run(engine, tmp_path, rows, dt.date(2026, 6, 1))
    assert out["reconciliation"].to_list() == [
        "rate of another date (a day earlier) (9903.01.10: paid 2500.00, computed 3500.00)",
        None,
    ]


def test_refund_columns_per_distinct_combination_equal_the_line_by_line_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Above ``STAGE_MIN_ROWS`` lines the routes, deadlines, bases and interest growth are computed
    once per (owed, liquidation date, entry type, entry day, importer type) and joined back; the
    interest amount stays per line. Every column must equal the pass over each line."""
    from tariffstack.batch import refunds
    from tariffstack.batch.refund_rules import refund_rules
    from tariffstack.io.distinct import STAGE_MIN_ROWS

    i = pl.col("i")
    entry_day = pl.lit(dt.date(2025, 3, 4)) + pl.duration(days=i % 400)
    frame = pl.DataFrame({"i": range(STAGE_MIN_ROWS + 3_000)}).select(
        ieepa_cents=pl.when(i % 11 == 0).then(0).otherwise(i * 7_919 % 5_000_000).cast(pl.Int64),
        entry_day=entry_day.cast(pl.Date),
        liquidation_date=pl.when(i % 3 == 0)
        .then(None)
        .otherwise(entry_day + pl.duration(days=i % 500))
        .cast(pl.Date),
        entry_type=pl.lit(pl.Series(["01", "08", None, "23"])).gather(i % 4),
        importer_type=pl.lit(pl.Series(["corporate", "individual", None])).gather(i % 3),
    )
    rules = refund_rules()
    staged = refunds.refund_columns(frame, rules, dt.date(2026, 9, 1), True)
    monkeypatch.setattr(refunds, "STAGE_MIN_ROWS", 10**12)
    direct = refunds.refund_columns(frame, rules, dt.date(2026, 9, 1), True)
    assert staged.equals(direct)
    assert set(staged["route"].drop_nulls().cast(pl.String)) >= {"cape", "protest", "contested"}
    assert staged["interest_cents"].drop_nulls().sum() > 0
