"""The Dask run (a real local ``distributed`` cluster, 2 workers) gives the single-machine output,
row for row, and the same summary and refund report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from tariffstack.api import Engine
from tariffstack.batch import run_file


def test_dask_local_cluster_matches_local_run(engine: Engine, tmp_path: Path) -> None:
    dates = ["2025-03-04T00:00", "2025-03-04T00:01", "2025-08-01", "2026-02-24T00:00", "not a date"]
    codes = ["0101.21.0010", "7306.30.5010", "9999.99.9999", "2204.21.5060"]
    rows = [
        {
            "Entry No": f"B76-{i // 3:07d}-0",  # the check digit is wrong on most: errors too
            "Line": str(i % 3 + 1),
            "HTS": codes[i % len(codes)],
            "COO": "CA",
            "Entry Date": dates[i % len(dates)],
            "Value": f"{1000 + i}.{i % 100:02d}",
            "SPI": "S" if i % 7 == 0 else "",
            "Liquidation Date": "2026-03-01" if i % 2 else "",
            "Paid Duty": "250.00",
        }
        for i in range(600)
    ]
    rows += rows[:5]  # duplicates across partitions
    src = tmp_path / "in.csv"
    pl.DataFrame(rows).write_csv(src)
    as_of = dt.date(2026, 6, 1)
    common = {"engine": engine, "as_of": as_of, "lines": True, "chunk_rows": 128}
    local = run_file(src, tmp_path / "local.parquet", refunds=tmp_path / "r1", **common)
    remote = run_file(src, tmp_path / "dask.parquet", refunds=tmp_path / "r2", dask="local:2", **common)
    a, b = pl.read_parquet(tmp_path / "local.parquet"), pl.read_parquet(tmp_path / "dask.parquet")
    assert a.height > 605 and a["row"].max() == 605
    assert a.equals(b)
    assert {**local.as_dict(), "seconds": 0, "output": "", "report_files": []} == {
        **remote.as_dict(),
        "seconds": 0,
        "output": "",
        "report_files": [],
    }
    assert local.duplicates == 5 and local.errors > 0 and local.computed > 0
    for name in ("entries.csv", "importers.csv"):
        assert (tmp_path / "r1" / name).read_bytes() == (tmp_path / "r2" / name).read_bytes()
