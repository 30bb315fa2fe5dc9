"""Output files, written chunk by chunk in the format of the destination's extension.

CSV and Parquet are appended chunk by chunk (bounded memory); an Excel sheet holds at most
1,048,575 data rows, so ``.xlsx`` output is gathered in a temporary Parquet file and written at the
end (refused beyond the sheet limit, with the advice to write CSV or Parquet).
"""

from __future__ import annotations

import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from tariffstack.batch.readers import FORMATS, InputError

XLSX_MAX_ROWS = 1_048_575


def _is_text(dtype: pa.DataType) -> bool:
    return pa.types.is_string(dtype) or pa.types.is_large_string(dtype) or pa.types.is_string_view(dtype)


class Writer:
    """Append frames with one schema (the first frame's) to ``path``."""

    def __init__(self, path: Path, fmt: str | None = None) -> None:
        self.path = Path(path)
        self.fmt = fmt or FORMATS.get(self.path.suffix.lower())
        if self.fmt is None:
            raise InputError(f"{self.path.name}: cannot tell the output format from the extension")
        self.rows = 0
        self._schema: pa.Schema | None = None
        self._columns: list[str] | None = None
        self._parquet: pq.ParquetWriter | None = None
        self._csv = None
        self._tmp: Path | None = None

    def write(self, frame: pl.DataFrame) -> None:
        frame = frame.with_columns(pl.col(c).cast(pl.String) for c, t in frame.schema.items() if t == pl.Null)
        if self._columns is None:
            self._columns = frame.columns
        frame = frame.select(self._columns)
        self.rows += frame.height
        if self.fmt == "csv":
            if self._csv is None:
                self._csv = self.path.open("w", encoding="utf-8", newline="")
                frame.write_csv(self._csv)
            else:
                frame.write_csv(self._csv, include_header=False)
            return
        if self.fmt == "xlsx" and self.rows > XLSX_MAX_ROWS:
            raise InputError(
                f"{self.path.name}: more than {XLSX_MAX_ROWS:,} rows do not fit an Excel sheet; "
                "write .csv or .parquet"
            )
        # Polars' strings as Arrow string views: no copy (a 500,000-row chunk: 70–180 ms as large
        # strings). The Arrow schema is not stored in the file, so readers see Parquet's own types
        # (UTF-8 strings, decimals, dates), whatever their Arrow version.
        table = frame.to_arrow(compat_level=pl.CompatLevel.newest())
        if self._parquet is None:
            self._schema = table.schema
            target = self.path
            if self.fmt == "xlsx":
                self._tmp = Path(tempfile.mkdtemp(prefix="tariffstack-xlsx-")) / "out.parquet"
                target = self._tmp
            # Dictionary encoding pays on text (statuses, routes, headings repeat) but not on amounts
            # and ids, where it costs a third of the write time and saves nothing; min/max
            # statistics are kept for the numbers and dates (row-group pruning), not for the text.
            text = [f.name for f in self._schema if _is_text(f.type)]
            others = [f.name for f in self._schema if f.name not in text]
            self._parquet = pq.ParquetWriter(
                target,
                self._schema,
                use_dictionary=text,
                write_statistics=others or False,
                store_schema=False,
            )
        self._parquet.write_table(table.cast(self._schema))

    def close(self, empty_schema: dict[str, pl.DataType] | None = None) -> None:
        if self._columns is None and empty_schema is not None:
            self.write(pl.DataFrame(schema=empty_schema))
        if self._csv is not None:
            self._csv.close()
        if self._parquet is not None:
            self._parquet.close()
        if self.fmt == "xlsx" and self._tmp is not None:
            pl.read_parquet(self._tmp).write_excel(self.path, worksheet="results", autofit=False)
            self._tmp.unlink()


class OverlappedWriter:
    """A :class:`Writer` whose writes run on one background thread, in order, while the caller
    computes the next chunk.

    Encoding a chunk to Parquet or CSV releases the GIL (Arrow, Polars), so on a multi-core machine
    the write of chunk *i* overlaps the computation of chunk *i + 1*. At most one write is in
    flight: ``write`` first waits for the previous one (so memory holds one extra chunk at most, and
    an error in a write, e.g. an Excel sheet over its row limit, is raised in the caller at the next
    ``write`` or at ``close``).
    """

    def __init__(self, writer: Writer) -> None:
        self.writer = writer
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tariffstack-writer")
        self._pending: Future[None] | None = None

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def write(self, frame: pl.DataFrame) -> None:
        self._wait()
        self._pending = self._pool.submit(self.writer.write, frame)

    def close(self, empty_schema: dict[str, pl.DataType] | None = None) -> None:
        try:
            self._wait()
            self.writer.close(empty_schema=empty_schema)
        finally:
            self._pool.shutdown(wait=True)

    def __enter__(self) -> OverlappedWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        """After :meth:`close`, nothing to do; when the caller failed before it, the write in flight
        is let finish (its own error, if any, is not the one to report) and the thread stops."""
        if exc_type is not None:
            pending, self._pending = self._pending, None
            if pending is not None:
                pending.exception()
        self._pool.shutdown(wait=True)
