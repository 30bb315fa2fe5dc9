"""Benchmark: ``tariffstack batch`` on synthetic entry-line files (Parquet → Parquet with the default
workers and with one, CSV → Parquet, and the same Parquet run on a local Dask cluster), with wall
time, lines/s and peak RSS.

Each case runs with the allocator setting ``tariffstack batch`` makes (``tariffstack.main``).

Goals (issue 12): 10,000,000 lines Parquet → Parquet in under 60 s with peak memory under 4 GB;
1,000,000 lines from CSV in under 15 s; report the Dask overhead on the same data.

Reproducible: a fixed seed picks real HTS10 codes from the store (free or ad valorem MFN rates,
valid over the whole period), entry dates over 2025-01-01 .. 2026-11-28, a third with a USMCA claim,
valid entry numbers (3 lines each), values with cents. Each case runs in its own process, so its
peak RSS is its own (for Dask: the client, and the largest worker separately).

    python bench/bench_batch.py [--lines 10000000] [--csv-lines 1000000] [--dask local:2] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from tariffstack.api import Engine
from tariffstack.batch.entry_numbers import check_digit_expr
from tariffstack.batch.run import LOCAL_WORKERS
from tariffstack.main import prepare

START = date(2025, 1, 1)
DAYS = (date(2026, 11, 28) - START).days


def codes(engine: Engine) -> pl.Series:
    mfn = engine.store.mfn
    spans = mfn.group_by("hts10").agg(pl.col("valid_from").min(), pl.col("valid_to").max())
    whole = spans.filter((pl.col("valid_from") <= START) & (pl.col("valid_to").dt.year() > 2026))
    simple = mfn.filter(pl.col("general_status").is_in(["free", "ad_valorem"])).select("hts10").unique()
    return whole.join(simple, on="hts10").sort("hts10")["hts10"]


def synthetic(engine: Engine, n: int, seed: int = 20261202) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    pool = codes(engine)
    serial = pl.Series("s", np.arange(n) // 3).cast(pl.String).str.zfill(7)
    frame = pl.DataFrame({"first10": "B76" + serial})
    frame = frame.with_columns(check=check_digit_expr(pl.col("first10") + "0").cast(pl.String))
    entry = frame.select(
        pl.concat_str(
            pl.col("first10").str.slice(0, 3),
            pl.lit("-"),
            pl.col("first10").str.slice(3),
            pl.lit("-"),
            pl.col("check"),
        )
    ).to_series()
    days = rng.integers(0, DAYS, n)
    cents = rng.integers(100, 10_000_000, n)
    return pl.DataFrame(
        {
            "Entry Number": entry,
            "Line No": (pl.Series(np.arange(n) % 3 + 1)).cast(pl.String),
            "HTS Number": pool.gather(rng.integers(0, pool.len(), n)),
            "Country of Origin": ["CA"] * n,
            "Entry Date": pl.Series(days)
            .cast(pl.Int32)
            .cast(pl.Date)
            .dt.offset_by(f"{(START - date(1970, 1, 1)).days}d")
            .dt.strftime("%Y-%m-%d"),
            "Entered Value": (pl.Series(cents) // 100).cast(pl.String)
            + "."
            + (pl.Series(cents) % 100).cast(pl.String).str.zfill(2),
            "SPI": np.where(rng.random(n) < 1 / 3, "S", ""),
        }
    )


def run_case(src: str, dst: str, dask: str | None, workers: int) -> dict:
    """One run in this process (the parent starts a process per case)."""
    from tariffstack.batch import run_file

    started = time.perf_counter()
    summary = run_file(Path(src), Path(dst), engine=Engine(), dask=dask, workers=workers)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "rows": summary.rows_read,
        "computed": summary.computed,
        "errors": summary.errors,
        "lines_per_s": round(summary.rows_read / seconds),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "children_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--csv-lines", type=int, default=1_000_000)
    parser.add_argument("--dask", default="local:2")
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--case", nargs=4, metavar=("SRC", "DST", "DASK", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        src, dst, dask, workers = args.case
        print(json.dumps(run_case(src, dst, None if dask == "-" else dask, int(workers))))
        return
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench-batch-"))
    engine = Engine()
    parquet, csv = work / f"in_{args.lines}.parquet", work / f"in_{args.csv_lines}.csv"
    if not parquet.exists():
        synthetic(engine, args.lines).write_parquet(parquet)
    if not csv.exists():
        synthetic(engine, args.csv_lines).write_csv(csv)
    cases = [
        ("parquet -> parquet", parquet, work / "out_pq.parquet", "-", LOCAL_WORKERS),
        ("parquet -> parquet, 1 worker", parquet, work / "out_pq1.parquet", "-", 1),
        ("csv -> parquet", csv, work / "out_csv.parquet", "-", LOCAL_WORKERS),
        (f"parquet -> parquet, dask {args.dask}", parquet, work / "out_dask.parquet", args.dask, 1),
    ]
    env = dict(os.environ)
    prepare(["tariffstack", "batch"], env)  # the allocator setting `tariffstack batch` makes
    for name, src, dst, dask, workers in cases:
        cmd = [sys.executable, __file__, "--case", str(src), str(dst), dask, str(workers)]
        result = json.loads(
            subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout.splitlines()[-1]
        )
        print(json.dumps({"case": name, **result}))


if __name__ == "__main__":
    main()
