"""Benchmark: 1,000,000 synthetic Canadian entry lines through the engine, and a naive per-line loop.

Reproducible: a fixed seed picks real HTS10 codes from the store (lines whose MFN rate is
computable from value and quantity, valid over the whole period), entry times spread over
2025-01-01 .. 2026-11-28, half with a USMCA claim. The timed part is ``evaluate`` on the typed
frame (no file I/O, no JSON); the boundary validation of raw objects is timed separately.

    python bench/bench_engine.py [--lines 1000000] [--naive-lines 10000]
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from datetime import datetime, timedelta

import polars as pl

from tariffstack.api import Engine
from tariffstack.io.entry import lines_frame
from tariffstack.law.vocabulary import SCHEMA

START = datetime(2025, 1, 1)
SPAN_MINUTES = int((datetime(2026, 11, 28) - START).total_seconds() // 60)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sample_codes(engine: Engine) -> pl.DataFrame:
    """Codes valid from 2025-01-01 to the end, with a rate computable from value and one quantity."""
    mfn = engine.store.mfn
    spans = mfn.group_by("hts10").agg(pl.col("valid_from").min(), pl.col("valid_to").max(), pl.len())
    whole = spans.filter(
        (pl.col("valid_from") <= datetime(2025, 1, 1).date()) & (pl.col("valid_to").dt.year() > 2026)
    )
    rates = (
        mfn.filter(
            pl.col("general_status").is_in(["free", "ad_valorem", "specific", "compound"])
            & pl.col("general_spec2_unit").is_null()
        )
        .group_by("hts10")
        .agg(pl.col("general_spec1_unit").first(), pl.col("general_status").n_unique().alias("n"))
    )
    return whole.join(rates, on="hts10").select("hts10", unit=pl.col("general_spec1_unit")).sort("hts10")


def synthetic_frame(codes: pl.DataFrame, n: int, seed: int = 20251128) -> pl.DataFrame:
    rng = random.Random(seed)
    picks = [rng.randrange(codes.height) for _ in range(n)]
    hts = codes["hts10"].gather(picks)
    units = codes["unit"].gather(picks)
    minutes = [rng.randrange(SPAN_MINUTES) for _ in range(n)]
    frame = pl.DataFrame(
        {
            "line_id": range(n),
            "hts10": hts,
            "origin": ["CA"] * n,
            "importing_country": ["US"] * n,
            "entry_ts": [START + timedelta(minutes=m) for m in minutes],
            "value_cents": [rng.randrange(100, 10_000_000_00) for _ in range(n)],
            "spi": [("S" if rng.random() < 0.5 else None) for _ in range(n)],
            "unit": units,
        }
    ).with_columns(qty_milli=pl.when(pl.col("unit").is_not_null()).then(pl.lit(1_000_000)))
    missing = {name: pl.lit(None, dtype=dtype) for name, dtype in SCHEMA.items() if name not in frame.columns}
    return frame.with_columns(**missing).select(list(SCHEMA)).cast(SCHEMA)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--naive-lines", type=int, default=10_000)
    parser.add_argument("--validate-lines", type=int, default=100_000)
    args = parser.parse_args()

    engine = Engine()
    _ = engine.compiled, engine.store.mfn, engine.store.revisions
    codes = sample_codes(engine)
    frame = synthetic_frame(codes, args.lines)
    print(f"codes sampled from: {codes.height} HTS10 lines; frame: {frame.height:,} lines")
    base_mb = peak_mb()

    engine.evaluate_frame(frame.head(1000))  # warm-up
    t0 = time.perf_counter()
    result = engine.evaluate_frame(frame)
    elapsed = time.perf_counter() - t0
    errors = result.summary.filter(pl.col("error").is_not_null() | pl.col("mfn_error").is_not_null()).height
    print(
        f"vectorized: {args.lines:,} lines in {elapsed:.2f} s = {args.lines / elapsed:,.0f} lines/s; "
        f"{result.lines.height:,} output lines; {errors} lines with errors; "
        f"peak RSS {peak_mb():,.0f} MB (before: {base_mb:,.0f} MB)"
    )

    rows = [
        {
            "hts": r["hts10"],
            "origin": "CA",
            "entry_date": r["entry_ts"].isoformat(timespec="minutes"),
            "value": f"{r['value_cents'] / 100:.2f}",
            "spi": r["spi"],
            "quantity": 1000 if r["unit"] else None,
            "unit": r["unit"],
        }
        for r in frame.head(args.validate_lines).iter_rows(named=True)
    ]
    rows = [{k: v for k, v in row.items() if v is not None} for row in rows]
    t0 = time.perf_counter()
    lines_frame(rows)
    v_elapsed = time.perf_counter() - t0
    print(
        f"validation of raw objects: {len(rows):,} rows in {v_elapsed:.2f} s "
        f"= {len(rows) / v_elapsed:,.0f} rows/s"
    )

    naive = frame.head(args.naive_lines)
    t0 = time.perf_counter()
    for i in range(naive.height):
        engine.evaluate_frame(naive.slice(i, 1))
    n_elapsed = time.perf_counter() - t0
    print(
        f"naive per-line loop (same law, one evaluate call per line): {naive.height:,} lines in "
        f"{n_elapsed:.1f} s = {naive.height / n_elapsed:,.0f} lines/s"
    )
    print(f"peak RSS overall: {peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()
