"""The output writers: chunks land in order, and an error in a background write is not lost."""

from __future__ import annotations

import threading
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tariffstack.batch.readers import InputError
from tariffstack.batch.writers import XLSX_MAX_ROWS, OverlappedWriter, Writer


def test_overlapped_writes_keep_the_chunk_order(tmp_path: Path) -> None:
    chunks = [pl.DataFrame({"row": range(i * 1000, (i + 1) * 1000), "status": "ok"}) for i in range(7)]
    for name in ("out.parquet", "out.csv"):
        writer = OverlappedWriter(Writer(tmp_path / name))
        for chunk in chunks:
            writer.write(chunk)
        writer.close()
        read = pl.read_parquet if name.endswith("parquet") else pl.read_csv
        assert_frame_equal(read(tmp_path / name), pl.concat(chunks), check_dtypes=False)


def test_an_error_in_a_background_write_is_raised_in_the_caller(tmp_path: Path) -> None:
    # One row over the sheet limit: the write fails on the writer's thread; the caller sees it at
    # the next call (here: close), with the message the direct writer gives.
    writer = OverlappedWriter(Writer(tmp_path / "out.xlsx"))
    writer.write(pl.DataFrame({"row": range(XLSX_MAX_ROWS + 1)}))
    with pytest.raises(InputError, match="more than 1,048,575 rows do not fit an Excel sheet"):
        writer.close()
    assert not (tmp_path / "out.xlsx").exists()


def test_a_failure_in_the_caller_stops_the_writer_thread(tmp_path: Path) -> None:
    """The run's own error is the one raised; the write in flight finishes and its thread ends."""
    with (
        pytest.raises(RuntimeError, match="the next chunk failed"),
        OverlappedWriter(Writer(tmp_path / "out.parquet")) as writer,
    ):
        writer.write(pl.DataFrame({"row": range(1000)}))
        raise RuntimeError("the next chunk failed")
    assert not [t for t in threading.enumerate() if t.name.startswith("tariffstack-writer")]
