"""Input files → chunks of rows with the file's own columns, in order, in bounded memory.

- **CSV**: UTF-8, UTF-8 with BOM, or Windows-1252 (detected by a streaming decode; a Windows-1252
  file is transcoded to a temporary UTF-8 copy). Every value is read as text. A row with more
  fields than the header is not truncated silently: it is marked with ``__extra_fields`` and comes
  out as an error (found by counting the separators outside quotes on each physical line).
- **Parquet**: scanned lazily, sliced into chunks.
- **Excel (.xlsx)**: the first sheet, read whole (a sheet holds at most 1,048,576 rows).
"""

from __future__ import annotations

import codecs
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".pq": "parquet"}
EXTRA = "__extra_fields"
_WIN1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
_QUOTED = r'"(?:[^"]|"")*"'


class InputError(ValueError):
    """A file that cannot be read as a table; the message says why."""


def detect_format(path: Path, override: str | None = None) -> str:
    if override:
        if override not in set(FORMATS.values()):
            raise InputError(f"--format: {override!r} is not one of csv, xlsx, parquet")
        return override
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path.name}: cannot tell the format from the extension (use --format)")
    return fmt


def detect_encoding(path: Path) -> str:
    """``utf-8`` (with or without BOM) or ``cp1252``; anything else is an :class:`InputError`."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    saw_nul, seen_1252_gap, is_utf8 = False, False, True
    with path.open("rb") as handle:
        head = handle.read(2)
        if head in (b"\xff\xfe", b"\xfe\xff"):
            raise InputError(f"{path.name}: the file is UTF-16; save it as UTF-8 CSV")
        handle.seek(0)
        while block := handle.read(1 << 20):
            saw_nul = saw_nul or b"\x00" in block
            seen_1252_gap = seen_1252_gap or any(
                b in block for b in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
            )
            if is_utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    is_utf8 = False
        if is_utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                is_utf8 = False
    if saw_nul:
        raise InputError(
            f"{path.name}: the file contains NUL bytes (UTF-16 or binary?); save it as UTF-8 CSV"
        )
    if is_utf8:
        return "utf-8"
    if seen_1252_gap:
        raise InputError(f"{path.name}: the file is neither UTF-8 nor Windows-1252 text")
    return "cp1252"


def _transcode(path: Path, encoding: str, workdir: Path) -> Path:
    out = workdir / (path.stem + ".utf8.csv")
    with (
        path.open("r", encoding=encoding, newline="") as src,
        out.open("w", encoding="utf-8", newline="") as dst,
    ):
        while block := src.read(1 << 20):
            dst.write(block)
    return out


@dataclass
class Source:
    """An opened input: its format, the UTF-8 path to read, the header, and the row count."""

    path: Path
    fmt: str
    read_path: Path
    columns: list[str]
    rows: int
    encoding: str | None = None
    separator: str = ","
    _excel: pl.DataFrame | None = None
    _ragged: pl.DataFrame | None = None  # rows (0-based) with more fields than the header

    def read_slice(self, offset: int, length: int) -> pl.DataFrame:
        """Rows ``offset`` .. ``offset + length`` (0-based data rows), the file's columns as read."""
        if self.fmt == "xlsx":
            assert self._excel is not None
            return self._excel.slice(offset, length)
        if self.fmt == "parquet":
            return pl.scan_parquet(self.read_path).slice(offset, length).collect()
        frame = _scan_csv(self.read_path, self.separator).slice(offset, length).collect()
        if self._ragged is not None and not self._ragged.is_empty():
            local = self._ragged.filter(pl.col("row").is_between(offset, offset + length - 1))
            flags = pl.Series(EXTRA, [None] * frame.height, dtype=pl.String)
            if not local.is_empty():
                idx = (local["row"] - offset).to_list()
                texts = local["fields"].cast(pl.String).to_list()
                flags = flags.scatter(idx, texts)
            frame = frame.with_columns(flags)
        return frame


def _scan_csv(path: Path, separator: str = ",") -> pl.LazyFrame:
    return pl.scan_csv(path, infer_schema=False, truncate_ragged_lines=True, separator=separator)


def _physical_lines(path: Path) -> pl.LazyFrame:
    return pl.scan_csv(
        path, has_header=False, separator="\x1f", quote_char=None, schema={"line": pl.String}
    ).with_row_index("physical")


def sniff_separator(path: Path) -> str:
    """The header's separator: the most frequent of ``, ; TAB |`` outside quotes (comma on a tie)."""
    header = _physical_lines(path).head(1).collect()["line"]
    text = header[0].replace('""', "") if header.len() else ""
    outside = pl.Series([text]).str.replace_all(_QUOTED, "")[0]
    counts = {sep: outside.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=lambda sep: (counts[sep], sep == ","))
    return best if counts[best] else ","


def _unterminated_quote(path: Path) -> int | None:
    """The physical line (1-based) whose quote is never closed, or None."""
    parity = (
        _physical_lines(path)
        .with_columns(odd=pl.col("line").str.count_matches('"').cum_sum() % 2 == 1)
        .with_columns(opens=pl.col("odd") & ~pl.col("odd").shift(1, fill_value=False))
        .collect()
    )
    if parity.is_empty() or not parity["odd"][-1]:
        return None
    return int(parity.filter(pl.col("opens"))["physical"][-1]) + 1


def _ragged_rows(path: Path, n_columns: int, rows: int, separator: str) -> pl.DataFrame:
    """Data rows whose field count exceeds the header's (only when records are one line each)."""
    counted = _physical_lines(path).with_columns(
        fields=pl.col("line").str.replace_all(_QUOTED, "").str.count_matches(re.escape(separator)) + 1
    )
    stats = counted.select(n=pl.len(), blank=(pl.col("line").str.strip_chars() == "").sum()).collect()
    if stats["n"][0] - 1 - stats["blank"][0] != rows:
        return pl.DataFrame(schema={"row": pl.Int64, "fields": pl.UInt32})  # multi-line records
    return (
        counted.filter((pl.col("physical") > 0) & (pl.col("line").str.strip_chars() != ""))
        .with_row_index("row")
        .filter(pl.col("fields") > n_columns)
        .select(pl.col("row").cast(pl.Int64), "fields")
        .collect()
    )


def open_source(path: Path, fmt: str | None = None, workdir: Path | None = None) -> Source:
    """Open and check the file once; :class:`InputError` for what cannot be read as a table."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    kind = detect_format(path, fmt)
    if kind == "xlsx":
        try:
            frame = pl.read_excel(path, engine="calamine", infer_schema_length=None)
        except Exception as exc:  # fastexcel raises its own types for corrupt archives
            raise InputError(
                f"{path.name}: not a readable .xlsx workbook ({type(exc).__name__}: {exc})"
            ) from exc
        return Source(path, kind, path, frame.columns, frame.height, _excel=frame)
    if kind == "parquet":
        try:
            schema = pl.scan_parquet(path).collect_schema()
            rows = pl.scan_parquet(path).select(pl.len()).collect().item()
        except Exception as exc:
            raise InputError(f"{path.name}: not a readable Parquet file ({exc})") from exc
        return Source(path, kind, path, list(schema.names()), rows)
    if path.stat().st_size == 0:
        raise InputError(f"{path.name}: the file is empty (no header row)")
    encoding = detect_encoding(path)
    read_path = path
    if encoding == "cp1252":
        read_path = _transcode(path, encoding, workdir or Path(tempfile.mkdtemp(prefix="tariffstack-")))
    line = _unterminated_quote(read_path)
    if line is not None:
        raise InputError(
            f"{path.name}: the quote opened on line {line} is never closed; no row after it can be read"
        )
    separator = sniff_separator(read_path)
    try:
        columns = list(_scan_csv(read_path, separator).collect_schema().names())
        rows = _scan_csv(read_path, separator).select(pl.len()).collect().item()
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"{path.name}: not a readable CSV file ({exc})") from exc
    if not columns or all(not c.strip() for c in columns):
        raise InputError(f"{path.name}: the file has no header row")
    source = Source(path, kind, read_path, columns, rows, encoding=encoding, separator=separator)
    source._ragged = _ragged_rows(read_path, len(columns), rows, separator)
    return source
