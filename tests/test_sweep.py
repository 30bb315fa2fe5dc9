"""Whole-schedule sweep: every HTS10 line in force on the 15th of every month of 2025 and 2026,
Canadian origin, with and without a USMCA claim, through the public path (validation + evaluation).

Every line must come back computed, or with one of the two errors the law makes unavoidable: the
rate needs a fact the sweep cannot give (a component or reference rate), or the line offers no
USMCA rate to claim. Any other error, a missing row, or a negative amount fails the test. The run
time is printed (pytest -s) and reported in the issue notes.
"""

from __future__ import annotations

import time
from datetime import date

import polars as pl

from tariffstack.api import Engine
from tariffstack.hts.store import Store

MONTHS = [date(year, month, 15) for year in (2025, 2026) for month in range(1, 13)]


def _rows(store: Store) -> list[dict]:
    rows = []
    for day in MONTHS:
        in_force = store.mfn.filter((pl.col("valid_from") <= day) & (pl.col("valid_to") > day))
        for code, unit1, unit2 in in_force.select(
            "hts10", "general_spec1_unit", "general_spec2_unit"
        ).iter_rows():
            base = {"hts": code, "origin": "CA", "entry_date": day.isoformat(), "value": "1000.00"}
            if unit1:
                base.update(quantity=10, unit=unit1)
            if unit2:
                base.update(quantity2=10, unit2=unit2)
            rows.append(base)
            claimed = dict(base, spi="S")
            rows.append(claimed)
    return rows


def test_every_line_every_month_with_and_without_usmca(engine: Engine, store: Store) -> None:
    rows = _rows(store)
    started = time.perf_counter()
    evaluation, _ = engine.evaluate_rows(rows)
    elapsed = time.perf_counter() - started
    summary = evaluation.summary
    print(f"\nsweep: {len(rows):,} lines in {elapsed:.1f} s")
    assert summary.height == len(rows)
    assert summary["error"].null_count() == len(rows), "no input errors in the sweep"
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
    unclaimed = summary.filter(pl.col("line_id") % 2 == 0)
    assert unclaimed.filter(pl.col("mfn_error") == 3).height == not_computable
    assert unclaimed.filter(pl.col("mfn_error").is_null()).height == unclaimed.height - not_computable
