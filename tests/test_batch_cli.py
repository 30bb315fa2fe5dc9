"""``tariffstack batch``: exit codes, the summary, --map, --as-of and --refunds from the command line."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from tariffstack.cli import app

runner = CliRunner()


def test_batch_command_writes_output_summary_and_report(settings, store, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(
        "Entry Number,HTSUS,COO,Arrival,Entered Value,Liquidation Date\n"
        'B76-1234567-1,6203.42.4511,CA,2025-08-01,"100,000.00",2026-05-01\n',
        encoding="utf-8",
    )
    out, report = tmp_path / "out.csv", tmp_path / "report"
    args = ["batch", str(src), "-o", str(out), "--map", "Arrival=entry_date", "--as-of", "2026-06-01"]
    result = runner.invoke(app, [*args, "--refunds", str(report), "--store", str(settings.store_dir)])
    assert result.exit_code == 0, result.output
    assert "Rows read" in result.output and "51600.00" in result.output
    frame = pl.read_csv(out, infer_schema=False)
    # 6203.42.4511 on Aug 1, 2025 (noon): MFN 16.6% = 16,600 + IEEPA Canada 35% = 35,000.
    assert frame.select("total_duty", "owed_duty", "ieepa_refundable", "route", "route_deadline").row(0) == (
        "51600.00",
        "16600.00",
        "35000.00",
        "cape",
        "2026-07-20",  # liquidated May 1, 2026 + 80 days
    )
    assert (report / "cape" / "cape_unknown-importer_001.csv").read_text() == "Entry Number\nB7612345671\n"


def test_batch_command_refuses_unreadable_files(settings, store, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("Entry Number,HTS\nB76-1234567-1,0101.21.0010\n", encoding="utf-8")
    result = runner.invoke(app, ["batch", str(src), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 2
    assert "missing required column(s) origin, entry_date, value" in result.output
    bad_date = runner.invoke(app, ["batch", str(src), "-o", str(tmp_path / "o.csv"), "--as-of", "soon"])
    assert bad_date.exit_code == 2 and "--as-of" in bad_date.output
