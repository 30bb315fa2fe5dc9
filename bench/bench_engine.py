"""Benchmark of the engine: throughput, memory, boundary and latency, each run in its own process.

    python bench/bench_engine.py [--sizes 100000,1000000,10000000] [--baseline-src DIR] [--out FILE]

Frames (fixed seeds, reproducible):

- **bench**: real HTS10 codes from the store (the codes valid over 2025-01-01 … 2026 whose rate is
  computable from value and one quantity), drawn uniformly; entry times uniform over 2025-01-01 …
  2026-11-28 to the minute; values $1 … $10M; half the lines with a USMCA claim. Nearly every line
  is its own key: the worst case for the per-key engine.
- **realistic**: lines drawn in proportion to 2024 U.S. imports from Canada by HTS10
  (``<data>/trade/us_imports_2024_hs10_country.csv.gz``, Census code 1220; claim shares from
  ``usmca_product_shares_2024.csv``), entry days uniform over the
  23 months 2025-01 … 2026-11 (noon), a USMCA claim with the line's 2024 claim share, values
  lognormal around $50,000.

Each measurement runs in a fresh process, so the peak RSS (``ru_maxrss``) is that run's. Sizes
above 1,000,000 are evaluated as successive frames of 1,000,000 lines (the engine also chunks one
large frame itself), which bounds memory. ``--baseline-src`` points at the ``src`` directory of
another checkout (e.g. the previous commit) to measure it in the same run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

START = datetime(2025, 1, 1)
SPAN_MINUTES = int((datetime(2026, 11, 28) - START).total_seconds() // 60)
CHUNK = 1_000_000


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _engine():
    from tariffstack.api import Engine

    engine = Engine()
    _ = engine.compiled, engine.store.mfn_indexed, engine.store.revisions
    return engine


def sample_codes(engine) -> pl.DataFrame:
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


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    try:
        from tariffstack.law.vocabulary import SCHEMA
    except ImportError:  # a baseline checkout from before the vocabulary moved
        from tariffstack.io.entry import SCHEMA

    missing = {name: pl.lit(None, dtype=dtype) for name, dtype in SCHEMA.items() if name not in frame.columns}
    return frame.with_columns(**missing).select(list(SCHEMA)).cast(SCHEMA)


def bench_frame(codes: pl.DataFrame, n: int, seed: int) -> pl.DataFrame:
    rng = random.Random(seed)
    picks = [rng.randrange(codes.height) for _ in range(n)]
    frame = pl.DataFrame(
        {
            "line_id": range(n),
            "hts10": codes["hts10"].gather(picks),
            "origin": ["CA"] * n,
            "importing_country": ["US"] * n,
            "entry_ts": [START + timedelta(minutes=rng.randrange(SPAN_MINUTES)) for _ in range(n)],
            "value_cents": [rng.randrange(100, 10_000_000_00) for _ in range(n)],
            "spi": [("S" if rng.random() < 0.5 else None) for _ in range(n)],
            "unit": codes["unit"].gather(picks),
        }
    ).with_columns(qty_milli=pl.when(pl.col("unit").is_not_null()).then(pl.lit(1_000_000)))
    return _typed(frame)


def realistic_frame(codes: pl.DataFrame, data_dir: Path, n: int, seed: int) -> pl.DataFrame:
    trade = data_dir / "trade"
    imports = pl.read_csv(
        trade / "us_imports_2024_hs10_country.csv.gz",
        schema_overrides={"hs10": pl.String, "cty_code": pl.Int64},
    ).filter((pl.col("cty_code") == 1220) & (pl.col("imports") > 0))
    shares = pl.read_csv(trade / "usmca_product_shares_2024.csv", schema_overrides={"hts10": pl.String})
    flows = (
        imports.select(hts10="hs10", value="imports")
        .join(
            shares.filter(pl.col("cty_code") == 1220).select("hts10", "usmca_share"), on="hts10", how="left"
        )
        .with_columns(pl.col("usmca_share").fill_null(0.0))
        .join(codes, on="hts10")
        .sort("hts10")
    )
    weights = (flows["value"] / flows["value"].sum()).to_list()
    rng = random.Random(seed)
    picks = rng.choices(range(flows.height), weights=weights, k=n)
    days = (date(2026, 11, 30) - date(2025, 1, 1)).days
    shares = flows["usmca_share"].gather(picks).to_list()
    frame = pl.DataFrame(
        {
            "line_id": range(n),
            "hts10": flows["hts10"].gather(picks),
            "origin": ["CA"] * n,
            "importing_country": ["US"] * n,
            "entry_ts": [datetime(2025, 1, 1, 12) + timedelta(days=rng.randrange(days)) for _ in range(n)],
            "value_cents": [max(100, int(rng.lognormvariate(math.log(5_000_000), 1.5))) for _ in range(n)],
            "spi": [("S" if rng.random() < share else None) for share in shares],
            "unit": flows["unit"].gather(picks),
        }
    ).with_columns(qty_milli=pl.when(pl.col("unit").is_not_null()).then(pl.lit(1_000_000)))
    return _typed(frame)


def _frames(kind: str, lines: int, engine, data_dir: Path):
    codes = sample_codes(engine)
    for start in range(0, lines, CHUNK):
        n = min(CHUNK, lines - start)
        seed = 20251128 + start
        yield bench_frame(codes, n, seed) if kind == "bench" else realistic_frame(codes, data_dir, n, seed)


# --- measurements (each in its own process) ---------------------------------------------------


def run_evaluate(kind: str, lines: int, data_dir: Path) -> dict:
    engine = _engine()
    engine.evaluate_frame(next(_frames(kind, 1000, engine, data_dir)))  # warm-up
    elapsed, out_lines = 0.0, 0
    for frame in _frames(kind, lines, engine, data_dir):
        started = time.perf_counter()
        result = engine.evaluate_frame(frame)
        elapsed += time.perf_counter() - started
        out_lines += result.lines.height
        del frame, result
    return {
        "lines": lines,
        "seconds": elapsed,
        "lines_per_s": lines / elapsed,
        "peak_mb": peak_mb(),
        "output_lines": out_lines,
    }


def _raw_rows(frame: pl.DataFrame) -> list[dict]:
    """The typed frame back as raw JSON-like objects (what a client sends)."""
    raw = frame.select(
        hts="hts10",
        origin="origin",
        entry_date=pl.col("entry_ts").dt.strftime("%Y-%m-%dT%H:%M"),
        value=(pl.col("value_cents") / 100).round(2).cast(pl.String),
        spi="spi",
        quantity=pl.when(pl.col("unit").is_not_null()).then(pl.lit(1000)),
        unit="unit",
    )
    return [{k: v for k, v in row.items() if v is not None} for row in raw.to_dicts()]


def run_validate(lines: int, data_dir: Path) -> dict:
    from tariffstack.io import entry

    engine = _engine()
    frame = next(_frames("realistic", lines, engine, data_dir))
    rows = _raw_rows(frame)
    out = {}
    started = time.perf_counter()
    entry.lines_frame(rows)
    out["json_objects_per_s"] = lines / (time.perf_counter() - started)
    if hasattr(entry, "validate_frame"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "lines.parquet"
            pl.DataFrame(rows).write_parquet(path)
            started = time.perf_counter()
            entry.validate_frame(pl.read_parquet(path))
            out["parquet_rows_per_s"] = lines / (time.perf_counter() - started)
    out["peak_mb"] = peak_mb()
    return out


def run_calc(lines: int, data_dir: Path) -> dict:
    engine = _engine()
    rows = _raw_rows(next(_frames("realistic", lines, engine, data_dir)))
    engine.calc(rows[:10])
    started = time.perf_counter()
    results = engine.calc(rows)
    elapsed = time.perf_counter() - started
    return {"lines": len(results), "seconds": elapsed, "peak_mb": peak_mb()}


def _one_cpu() -> None:
    """Every thread of this process on its first CPU, as ``tariffstack serve`` runs small requests
    (written here, not imported, so an older checkout is measured the same way)."""
    cpu = {min(os.sched_getaffinity(0))}
    for task in Path("/proc/self/task").iterdir():
        os.sched_setaffinity(int(task.name), cpu)


def run_latency(data_dir: Path) -> dict:
    """``Engine.calc`` of 1, 10 and 100 lines: first with the threads free on every CPU, then as
    the web server runs it (every thread on one CPU, warmed as the server is at start)."""
    engine = _engine()
    rows = _raw_rows(next(_frames("realistic", 4000, engine, data_dir)))
    out = {}
    for offset, prefix in ((0, ""), (2000, "server_")):  # the second phase on lines not seen before
        if prefix:
            _one_cpu()
            if hasattr(engine, "warm_stacks"):  # as the server warms (older checkouts: what they had)
                engine.warm_stacks()
            elif hasattr(engine, "warm_scopes"):
                engine.warm_scopes()
        for size, repeats in ((1, 300), (10, 100), (100, 50)):
            times = []
            for i in range(repeats):
                start = offset + (i * size) % 1800
                batch = rows[start : start + size]
                started = time.perf_counter()
                engine.calc(batch)
                times.append(time.perf_counter() - started)
            times.sort()
            out[f"{prefix}p50_{size}_ms"] = statistics.median(times) * 1000
            out[f"{prefix}p99_{size}_ms"] = times[int(len(times) * 0.99) - 1] * 1000
    return out


def run_cold(src: Path) -> dict:
    line = {"hts": "7306.30.5010", "origin": "CA", "entry_date": "2025-08-10", "value": "100000"}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "line.json"
        path.write_text(json.dumps([line]))
        times = []
        env = {**os.environ, "PYTHONPATH": str(src)}
        cmd = [sys.executable, "-c", "from tariffstack.cli import app; app()", "calc", str(path), "--compact"]
        for _ in range(5):
            started = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, env=env)
            times.append(time.perf_counter() - started)
    return {"cold_start_s": statistics.median(times)}


def _child(args: list[str], src: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, __file__, "--child", *args]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--baseline-src", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "engine.json")
    parser.add_argument("--child", nargs="*")
    args = parser.parse_args()
    data_dir = Path(os.environ.get("TARIFFSTACK_DATA_DIR", "../shared/data"))
    if args.child:
        name, *rest = args.child
        result = {
            "evaluate": lambda: run_evaluate(rest[0], int(rest[1]), data_dir),
            "validate": lambda: run_validate(int(rest[0]), data_dir),
            "calc": lambda: run_calc(int(rest[0]), data_dir),
            "latency": lambda: run_latency(data_dir),
        }[name]()
        print(json.dumps(result))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    sources = {"this": Path(__file__).resolve().parent.parent / "src"}
    if args.baseline_src:
        sources["baseline"] = args.baseline_src.resolve()
    results: dict = {
        "date": date.today().isoformat(),
        "python": sys.version.split()[0],
        "polars": pl.__version__,
    }
    for label, src in sources.items():
        r: dict = {}
        for kind in ("bench", "realistic"):
            for n in sizes:
                if label == "baseline" and n > 1_000_000:
                    continue  # the previous engine needs ~3.6 KB per line; 10M lines do not fit
                r[f"evaluate_{kind}_{n}"] = _child(["evaluate", kind, str(n)], src)
                print(label, kind, n, r[f"evaluate_{kind}_{n}"], flush=True)
        r["validate_100000"] = _child(["validate", "100000"], src)
        r["calc_11000"] = _child(["calc", "11000"], src)
        r["latency"] = _child(["latency"], src)
        r["cold"] = run_cold(src)
        print(label, {k: v for k, v in r.items() if not k.startswith("evaluate")}, flush=True)
        results[label] = r
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
