"""Chunks on several threads: results in input order, errors where they belong, no thread left over,
and a batch run whose output does not depend on the number of workers."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tariffstack.api import Engine
from tariffstack.batch import run_file
from tariffstack.batch.parallel import ordered_map

ROWS = [
    'B76-1234567-1,1,0101.21.0010,CA,2025-05-01,"$10,000.00",,ACME',
    "B76-1234567-1,2,0101.21.0010,Canada,08/01/2025,10000,,ACME",
    "B76-1234567-1,3,0101.21.0010,CA,not a date,10000,,ACME",
    "B76-1234567-2,4,0101.21.0010,CA,2025-05-01,10000,,ACME",
    "B76-1234567-1,5,7208.51.0030,Narnia,2025-05-01,10000,,ACME",
    "B76-1234567-1,6,7208.51.0030,CA,2025-07-01,12abc,,ACME",
    "B76-1234567-1,7,8703.23.0190,CA,2025-05-01,55000.00,S,ACME",
    "B76-1234567-1,8,0101.21.0010,CA,2026-03-01,10000,S,ACME",
]


def _slow_square(x: int) -> int:
    time.sleep(0.02 * (5 - x % 5))  # later items finish first
    return x * x


def test_results_come_back_in_input_order() -> None:
    assert list(ordered_map(_slow_square, range(12), workers=3)) == [x * x for x in range(12)]
    assert list(ordered_map(_slow_square, range(12), workers=1)) == [x * x for x in range(12)]


def test_at_most_workers_items_run_at_once() -> None:
    running, most = 0, 0
    lock = threading.Lock()

    def work(x: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.01)
        with lock:
            running -= 1
        return x

    assert list(ordered_map(work, range(20), workers=2)) == list(range(20))
    assert most == 2


def test_a_free_thread_starts_the_next_item_while_the_caller_is_busy() -> None:
    """While the caller holds the first result (numbering, writing), the thread that computed it
    goes on to the item after those running: it does not wait for the caller to ask again."""
    started = {i: threading.Event() for i in range(6)}

    def work(x: int) -> int:
        started[x].set()
        return x

    results = ordered_map(work, range(6), workers=2)
    assert next(results) == 0
    assert started[2].wait(timeout=5)  # started before the caller asked for the second result
    assert list(results) == [1, 2, 3, 4, 5]


def test_an_error_is_raised_at_its_item_and_no_thread_is_left() -> None:
    def work(x: int) -> int:
        if x == 3:
            raise ValueError("item 3 failed")
        return x

    got: list[int] = []
    with pytest.raises(ValueError, match="item 3 failed"):
        for value in ordered_map(work, range(10), workers=2):
            got.append(value)
    assert got == [0, 1, 2]
    assert not [t for t in threading.enumerate() if t.name.startswith("tariffstack-chunk")]


def test_a_caller_that_stops_early_stops_the_threads() -> None:
    results = ordered_map(_slow_square, range(50), workers=2)
    assert next(results) == 0
    results.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("tariffstack-chunk")]


def test_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="workers: 0 is not a positive number"):
        list(ordered_map(_slow_square, range(3), workers=0))


@pytest.mark.parametrize("lines", [False, True])
def test_batch_output_is_the_same_for_one_and_two_workers(
    engine: Engine, tmp_path: Path, lines: bool
) -> None:
    src = tmp_path / "lines.csv"
    header = "Entry No,Line No,HTS Number,Country of Origin,Entry Date,Entered Value,SPI,Importer\n"
    src.write_text(header + "\n".join(ROWS[i % len(ROWS)] for i in range(5_000)) + "\n", encoding="utf-8")
    outputs = []
    for workers in (1, 2):
        out = tmp_path / f"out_{workers}.parquet"
        summary = run_file(src, out, engine=engine, lines=lines, chunk_rows=700, workers=workers)
        outputs.append((pl.read_parquet(out), summary))
    (one, s1), (two, s2) = outputs
    assert_frame_equal(one, two)
    assert one["row"].unique().len() == 5_000  # every input row, across 8 chunks
    assert (s1.computed, s1.errors, s1.duplicates, s1.assessed_cents) == (
        s2.computed,
        s2.errors,
        s2.duplicates,
        s2.assessed_cents,
    )
    assert s1.errors == 5_000 // len(ROWS) * 4  # rows 3–6 of each cycle


def test_duplicates_across_chunks_point_at_the_first_row_of_the_file() -> None:
    """Chunk by chunk, each row's ``duplicate_of`` is the first row of the whole file with its key
    (null for that first row), as one pass over all the keys gives it."""
    import random

    from tariffstack.batch.run import _Duplicates

    rng = random.Random(20261203)
    keys = pl.DataFrame(
        {"row": range(1, 30_001), "key": [rng.randrange(12_000) for _ in range(30_000)]},
        schema={"row": pl.Int64, "key": pl.UInt64},
    )
    expected = keys.select(
        duplicate_of=pl.when(pl.col("row").min().over("key") != pl.col("row")).then(
            pl.col("row").min().over("key")
        )
    )["duplicate_of"]
    duplicates = _Duplicates()
    got = pl.concat([duplicates.flag(keys.slice(start, 4_000)) for start in range(0, keys.height, 4_000)])
    assert got.to_list() == expected.to_list()
    assert got.null_count() == keys["key"].n_unique()
