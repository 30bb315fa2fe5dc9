"""Batch files: formats, encodings, header synonyms, malformed files and rows; every row comes out.

Files are generated in temporary directories; amounts are the engine's for lines whose duty the
golden cases establish (0101.21.0010 of Canada: free MFN, IEEPA Canada 25% from 12:01 a.m. Mar 4,
2025, 35% from 12:01 a.m. Aug 1, 2025).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from tariffstack.api import Engine
from tariffstack.batch import run_file
from tariffstack.batch.headers import HeaderError
from tariffstack.batch.readers import InputError

HEADER = "Entry No,Line No,HTS Number,Country of Origin,Entry Date,Entered Value,SPI,Importer\n"
GOOD = 'B76-1234567-1,1,0101.21.0010,CA,2025-05-01,"$10,000.00",,ACME\n'
AS_OF = dt.date(2026, 6, 1)


def _run(engine: Engine, path: Path, out: Path | None = None, **kwargs) -> tuple[pl.DataFrame, object]:
    out = out or path.with_name("out.parquet")
    summary = run_file(path, out, engine=engine, as_of=AS_OF, **kwargs)
    frame = (
        pl.read_excel(out)
        if out.suffix == ".xlsx"
        else (pl.read_parquet(out) if out.suffix == ".parquet" else pl.read_csv(out, infer_schema=False))
    )
    return frame, summary


def test_csv_rows_come_out_in_order_with_errors_and_ids_unchanged(engine: Engine, tmp_path: Path) -> None:
    src = tmp_path / "lines.csv"
    src.write_text(
        HEADER
        + GOOD
        + "B76-1234567-1,2,0101.21.0010,Canada,08/01/2025,10000,,ACME\n"  # noon Aug 1: 35%
        + "B76-1234567-1,3,0101.21.0010,CA,not a date,10000,,ACME\n"
        + "B76-1234567-2,4,0101.21.0010,CA,2025-05-01,10000,,ACME\n"  # wrong check digit
        + "B76-1234567-1,5,0101.21.0010,Narnia,2025-05-01,10000,,ACME\n"
        + "B76-1234567-1,6,0101.21.0010,CA,2025-05-01,12abc,,ACME\n"
        + "B76-1234567-1,7,0101.21.0010,CA,2025-05-01,99999999999.00,,ACME\n"  # over $10 billion
        + "B76-1234567-1,8,0101.21.0010,CA,2025-05-01,10000,S,ACME\n"
        + GOOD,  # the same entry and line as row 1: a duplicate
        encoding="utf-8",
    )
    frame, summary = _run(engine, src)
    assert frame["row"].to_list() == list(range(1, 10))
    assert frame["Line No"].to_list() == ["1", "2", "3", "4", "5", "6", "7", "8", "1"]
    assert frame["status"].to_list() == ["ok", "ok", "error", "error", "error", "error", "error", "ok", "ok"]
    assert frame["total_duty"].to_list()[:2] == [Decimal("2500.00"), Decimal("3500.00")]
    assert frame["total_duty"][7] == Decimal("0.00")  # USMCA claim: 9903.01.14
    assert frame["headings"][7] == "9903.01.14; 9903.01.26"
    errors = frame.filter(pl.col("status") == "error").select("row", "error_field", "error_value")
    assert errors.rows() == [
        (3, "entry_date", "not a date"),
        (4, "entry_number", "B76-1234567-2"),
        (5, "origin", "Narnia"),
        (6, "value", "12abc"),
        (7, "value", "99999999999.00"),
    ]
    assert frame["error"][3] == (
        "entry_number: 'B76-1234567-2' has check digit 2; the number's first 10 characters give 1"
    )
    assert "exceeds the per-line limit" in frame["error"][6]
    assert frame["duplicate"].to_list() == [False] * 8 + [True]
    assert frame["duplicate_of"][8] == 1
    assert (summary.rows_read, summary.computed, summary.errors, summary.duplicates) == (9, 4, 5, 1)
    # Totals leave out the duplicate: 2,500 + 3,500 + 0.
    assert summary.assessed_cents == 600_000
    assert summary.ieepa_refundable_cents == 600_000
    assert summary.owed_cents == 0
    assert frame["Entered Value"][0] == "$10,000.00"  # the input's own column, unchanged


def test_windows_1252_and_bom_files(engine: Engine, tmp_path: Path) -> None:
    text = HEADER.replace("Importer", "Importer Name") + GOOD.replace("ACME", "Société Générale Montréal")
    cp = tmp_path / "cp1252.csv"
    cp.write_bytes(text.encode("cp1252"))
    bom = tmp_path / "bom.csv"
    bom.write_bytes(text.encode("utf-8-sig"))
    for path in (cp, bom):
        frame, _ = _run(engine, path, tmp_path / f"{path.stem}.csv")
        assert frame["Importer Name"].to_list() == ["Société Générale Montréal"]
        assert frame["Entry No"].to_list() == ["B76-1234567-1"]
        assert frame["total_duty"].to_list() == ["2500.00"]


def test_utf16_and_binary_files_are_refused(engine: Engine, tmp_path: Path) -> None:
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes((HEADER + GOOD).encode("utf-16"))
    with pytest.raises(InputError, match="UTF-16"):
        run_file(utf16, tmp_path / "o.csv", engine=engine)
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"hts,origin\n\x81\x8d\x90,CA\n")
    with pytest.raises(InputError, match="neither UTF-8 nor Windows-1252"):
        run_file(junk, tmp_path / "o.csv", engine=engine)


def test_missing_required_columns_name_them(engine: Engine, tmp_path: Path) -> None:
    src = tmp_path / "partial.csv"
    src.write_text("Entry No,HTSUS,COO\nB76-1234567-1,0101.21.0010,CA\n", encoding="utf-8")
    with pytest.raises(HeaderError, match=r"missing required column\(s\) entry_date, value"):
        run_file(src, tmp_path / "o.csv", engine=engine)


def test_map_option_names_a_column(engine: Engine, tmp_path: Path) -> None:
    src = tmp_path / "odd.csv"
    src.write_text("Tariff Code X,COO,Arrived,Amt\n0101.21.0010,CA,2025-05-01,10000\n", encoding="utf-8")
    column_map = {"Tariff Code X": "hts", "Arrived": "entry_date", "Amt": "value"}
    frame, _ = _run(engine, src, column_map=column_map)
    assert frame["total_duty"].to_list() == [Decimal("2500.00")]
    with pytest.raises(HeaderError, match="not a field"):
        run_file(src, tmp_path / "o.csv", engine=engine, column_map={"Amt": "amount"})


def test_garbage_rows_do_not_stop_the_run(engine: Engine, tmp_path: Path) -> None:
    src = tmp_path / "garbage.csv"
    src.write_text(
        HEADER
        + GOOD
        + "this is not a row\n"
        + "B76-1234567-1,2,0101.21.0010,CA,2025-05-01,10000,,ACME,extra,fields\n"
        + ",,,,,,,\n"
        + GOOD.replace(",1,", ",9,"),
        encoding="utf-8",
    )
    frame, summary = _run(engine, src)
    assert frame["status"].to_list() == ["ok", "error", "error", "error", "ok"]
    assert frame["error_field"].to_list()[1:4] == ["entry_number", "line", "hts"]
    assert frame["error"][2] == "line: the row has 10 fields; the header has 8"
    assert summary.rows_read == 5


def test_empty_and_header_only_files(engine: Engine, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        run_file(empty, tmp_path / "o.csv", engine=engine)
    header_only = tmp_path / "header.csv"
    header_only.write_text(HEADER, encoding="utf-8")
    out = tmp_path / "header_out.csv"
    summary = run_file(header_only, out, engine=engine)
    assert summary.rows_read == 0
    frame = pl.read_csv(out)
    assert frame.height == 0
    assert {"row", "status", "error", "total_duty", "Entry No"} <= set(frame.columns)


def test_xlsx_in_and_out_and_truncated_workbook(engine: Engine, tmp_path: Path) -> None:
    src = tmp_path / "lines.xlsx"
    pl.DataFrame(
        {
            "ENTRY_NO": ["B76-1234567-1", "B76-1234567-1"],
            "HTSUS": [101210010, 101210010],  # a number: the leading zero is lost, as in Excel
            "COO": ["CA", "CA"],
            "Entry Date": [dt.datetime(2025, 5, 1, 9, 30), dt.datetime(2025, 8, 1, 0, 1)],
            "Entered Value": [10000.0, 10000.5],
        }
    ).write_excel(src)
    frame, _ = _run(engine, src, tmp_path / "out.xlsx")
    assert frame["status"].to_list() == ["ok", "ok"]
    assert frame["hts_code"].to_list() == ["0101.21.0010"] * 2
    # 25% of 10,000.00; 35% of 10,000.50 = 3,500.175 → 3,500.18 (half up).
    assert frame["total_duty"].to_list() == [2500.0, 3500.18]
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    with pytest.raises(InputError, match=r"not a readable \.xlsx workbook"):
        run_file(truncated, tmp_path / "o.csv", engine=engine)
    assert zipfile.is_zipfile(src)


def test_parquet_in_and_out_with_lines(engine: Engine, tmp_path: Path) -> None:
    src = tmp_path / "lines.parquet"
    pl.DataFrame(
        {
            "entry_number": ["B76-1234567-1", "B76-1234567-1"],
            "line_number": [1, 2],
            "hts": ["0101.21.0010", "9999.99.9999"],
            "origin": ["CA", "CA"],
            "entry_date": ["2025-08-01T00:01", "2025-05-01"],
            "value": ["10000", "10"],
        }
    ).write_parquet(src)
    frame, _ = _run(engine, src, tmp_path / "out.parquet", lines=True)
    assert frame.select("row", "record", "heading", "amount").rows() == [
        (1, "line", None, None),
        (1, "ch99", "9903.01.10", Decimal("3500.00")),
        (1, "ch99", "9903.01.26", Decimal("0.00")),
        (2, "line", None, None),
    ]
    assert frame["line_number"].to_list() == [1, None, None, 2]
    assert frame["status"][3] == "error"


def test_parquet_output_encodes_text_by_dictionary_and_keeps_number_statistics(
    engine: Engine, tmp_path: Path
) -> None:
    src = tmp_path / "in.csv"
    src.write_text(HEADER + GOOD + GOOD.replace(",1,", ",2,"), encoding="utf-8")
    out = tmp_path / "out.parquet"
    _run(engine, src, out)
    meta = pq.ParquetFile(out).metadata.row_group(0)
    columns = {meta.column(i).path_in_schema: meta.column(i) for i in range(meta.num_columns)}
    assert (
        "PLAIN_DICTIONARY" in columns["status"].encodings or "RLE_DICTIONARY" in columns["status"].encodings
    )
    assert not columns["status"].is_stats_set
    stats = columns["total_duty"].statistics
    assert stats is not None and stats.has_min_max
    assert not any("DICTIONARY" in e for e in columns["total_duty"].encodings)


def test_unterminated_quote_is_refused_not_swallowed(engine: Engine, tmp_path: Path) -> None:
    src = tmp_path / "quote.csv"
    src.write_text(
        HEADER + GOOD + 'B76-1234567-1,2,0101.21.0010,CA,2025-05-01,"10000,,ACME\n' + GOOD, encoding="utf-8"
    )
    with pytest.raises(InputError, match="the quote opened on line 3 is never closed"):
        run_file(src, tmp_path / "o.csv", engine=engine)


def test_semicolon_files_and_decimal_commas(engine: Engine, tmp_path: Path) -> None:
    src = tmp_path / "semi.csv"
    src.write_text(
        "HTS;COO;Entry Date;Value\n0101.21.0010;CA;2025-05-01;10000,00\n0101.21.0010;CA;2025-05-01;1,000\n",
        encoding="utf-8",
    )
    frame, _ = _run(engine, src)
    assert frame["status"].to_list() == ["error", "ok"]
    assert frame["error"][0] == (
        "value: '10000,00' is not an amount (a comma must separate thousands; use a point for decimals)"
    )
    assert frame["total_duty"][1] == Decimal("250.00")  # 25% of 1,000.00


def test_headings_are_in_cbp_order_whatever_the_order_of_the_lines(engine: Engine) -> None:
    """The Chapter 99 lines reach the headings unsorted: each line's text is put in CBP order
    (reporting order, then heading rank) however its lines come, e.g. reversed."""
    from tariffstack.batch.compute import _ch99, _headings

    rows = [{"hts": "0101.21.0010", "origin": "CA", "entry_date": "2025-05-01", "value": "10000", "spi": "S"}]
    ch99 = _ch99(engine, engine.evaluate_rows(rows)[0])
    assert ch99.height == 2
    for order in (ch99, ch99.reverse()):
        assert _headings(engine, order)["headings"].to_list() == ["9903.01.14; 9903.01.26"]
