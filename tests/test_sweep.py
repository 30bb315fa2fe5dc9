"""Whole-schedule sweep: every HTS10 line in force on the 15th of every month of 2025 and 2026,
Canadian origin, with and without a USMCA claim, through the public path (validation + evaluation).

Every line must come back computed, or with one of the two errors the law makes unavoidable: the
rate needs a fact the sweep cannot give (a component or reference rate), or the line offers no
USMCA rate to claim. Any other error, a missing row, or a negative amount fails the test. The run
time is printed (pytest -s) and reported in the issue notes.

The same sweep checks that no value is charged twice. Every line declares steel, aluminum and
copper content of $250 each on a $1,000 value, so a content-based duty has a base of its own;
then, on every line:

- the Section 232 metals duties (steel, aluminum, copper; 2025 and 2026 regimes) are alternatives
  for one article: one heading per article, or content lines whose bases add up to no more than
  the value (HTSUS notes 16(a), 16(j), 19(g)-(k); Proc. 10947 cl. 5-6);
- the bases charged on each metal's content add up to no more than that content;
- the vehicle and parts headings of the autos and MHDV programs are alternatives (a good is a
  vehicle or a part, under one program: notes 33(b)/(g), 38(b)/(i)): their bases add up to no more
  than the value.

Failing lines are listed by code, date and claim.
"""

from __future__ import annotations

import time
from datetime import date

import polars as pl

from tariffstack.api import Engine
from tariffstack.hts.store import Store

MONTHS = [date(year, month, 15) for year in (2025, 2026) for month in range(1, 13)]
VALUE = "1000.00"
CONTENT = {"steel_value": "250.00", "aluminum_value": "250.00", "copper_value": "250.00"}
CONTENT_CENTS = 25_000
ALTERNATIVE_FAMILIES = {
    "Section 232 metals": ["us/s232/steel", "us/s232/aluminum", "us/s232/copper", "us/s232/metals_2026"],
    "Section 232 vehicles and parts": ["us/s232/autos", "us/s232/mhdv"],
}


def _raw(store: Store) -> pl.DataFrame:
    """One row per (day, HTS10 in force, claim): the public input fields, as strings."""
    frames = []
    for day in MONTHS:
        in_force = store.mfn.filter((pl.col("valid_from") <= day) & (pl.col("valid_to") > day)).select(
            hts="hts10", unit="general_spec1_unit", unit2="general_spec2_unit"
        )
        for spi in (None, "S"):
            frames.append(
                in_force.with_columns(
                    origin=pl.lit("CA"),
                    entry_date=pl.lit(day.isoformat()),
                    value=pl.lit(VALUE),
                    spi=pl.lit(spi, dtype=pl.String),
                    quantity=pl.when(pl.col("unit").is_not_null()).then(pl.lit("10")),
                    quantity2=pl.when(pl.col("unit2").is_not_null()).then(pl.lit("10")),
                    **{field: pl.lit(amount) for field, amount in CONTENT.items()},
                )
            )
    return pl.concat(frames)


def _evaluate(engine: Engine, raw: pl.DataFrame):
    """The one call into the engine: the raw frame validated and evaluated columnwise."""
    return engine.evaluate_raw(raw)


def _charged(evaluation, engine: Engine, raw: pl.DataFrame) -> pl.DataFrame:
    """Applied duty lines with a positive rate: measure, heading, base kind and the line's facts."""
    provisions = engine.compiled.provisions.select("pid", "measure_id", "heading", "base_kind", "is_duty")
    facts = raw.with_row_index("line_id").select(pl.col("line_id").cast(pl.Int64), "hts", "entry_date", "spi")
    return (
        evaluation.lines.filter(pl.col("rate_ppm") > 0)
        .join(provisions, on="pid")
        .filter(pl.col("is_duty"))
        .join(facts, on="line_id")
    )


def _listed(frame: pl.DataFrame) -> str:
    return "\n".join(
        f"{r['hts']} {r['entry_date']} spi={r['spi']}: {r['headings']} bases {r['bases']}"
        for r in frame.head(60).iter_rows(named=True)
    ) + (f"\n... {frame.height} lines in all" if frame.height > 60 else "")


def _overlaps(charged: pl.DataFrame, value_cents: int) -> dict[str, pl.DataFrame]:
    failures = {}
    for family, measures in ALTERNATIVE_FAMILIES.items():
        failures[family] = (
            charged.filter(pl.col("measure_id").is_in(measures))
            .group_by("line_id", "hts", "entry_date", "spi")
            .agg(
                total=pl.col("base_cents").sum(),
                headings=pl.col("heading").sort(),
                bases=pl.col("base_cents"),
            )
            .filter(pl.col("total") > value_cents)
            .sort("hts", "entry_date", "spi", nulls_last=False)
        )
    for kind in ("steel_value", "aluminum_value", "copper_value"):
        failures[f"{kind} charged more than once"] = (
            charged.filter(pl.col("base_kind") == kind)
            .group_by("line_id", "hts", "entry_date", "spi")
            .agg(
                total=pl.col("base_cents").sum(),
                headings=pl.col("heading").sort(),
                bases=pl.col("base_cents"),
            )
            .filter(pl.col("total") > CONTENT_CENTS)
            .sort("hts", "entry_date", "spi", nulls_last=False)
        )
    return failures


def test_every_line_every_month_with_and_without_usmca(engine: Engine, store: Store) -> None:
    raw = _raw(store)
    started = time.perf_counter()
    evaluation = _evaluate(engine, raw)
    elapsed = time.perf_counter() - started
    summary = evaluation.summary
    print(f"\nsweep: {raw.height:,} lines in {elapsed:.1f} s")
    assert summary.height == raw.height
    assert summary["error"].null_count() == raw.height, "no input errors in the sweep"
    errors = summary.group_by("mfn_error").len().sort("mfn_error", nulls_last=True)
    print(errors)
    allowed = {None, 2, 3}  # 2: USMCA not offered on the line; 3: component/reference rate
    assert set(errors["mfn_error"].to_list()) <= allowed, errors
    computed = summary.filter(pl.col("mfn_error").is_null())
    assert computed["total_cents"].null_count() == 0
    assert computed["total_cents"].min() >= 0
    # Without a claim, exactly the lines whose general rate is not computable from value and
    # quantity come back with error 3, and every other line is computed.
    not_computable = sum(
        store.mfn.filter(
            (pl.col("valid_from") <= day)
            & (pl.col("valid_to") > day)
            & pl.col("general_status").is_in(["component", "reference", "text", "empty"])
        ).height
        for day in MONTHS
    )
    unclaimed = summary.join(
        raw.with_row_index("line_id").select(pl.col("line_id").cast(pl.Int64), "spi"), on="line_id"
    ).filter(pl.col("spi").is_null())
    assert unclaimed.filter(pl.col("mfn_error") == 3).height == not_computable
    assert unclaimed.filter(pl.col("mfn_error").is_null()).height == unclaimed.height - not_computable
    # No value charged twice.
    failures = _overlaps(_charged(evaluation, engine, raw), 100_000)
    for name, frame in failures.items():
        print(f"{name}: {frame.height} lines")
    report = "\n\n".join(f"{name}:\n{_listed(frame)}" for name, frame in failures.items() if frame.height)
    assert not report, report
