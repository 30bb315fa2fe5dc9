"""Build and read the local schedule store (Parquet).

Files in the store directory:

- ``revisions.parquet``: revision key, publication date, in-force interval, source of the date.
- ``hts10.parquet``: one row per (revision, HTS10) with the description path, units, the 8-digit
  rate texts and their parsed form (general, USMCA special, column 2).
- ``ch99.parquet``: the Chapter 99 heading rows per revision (heading, description, rate texts).
- ``mfn.parquet``: the HTS10 rows collapsed into intervals of identical rates (the engine's
  as-of table): ``hts10, valid_from, valid_to`` plus the parsed columns.

The importer is the same whether the JSON came from ``../shared/data/hts`` or from the downloader.
"""

from __future__ import annotations

import gzip
import json
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from tariffstack.hts.rates import Rate, parse_rate, parse_special
from tariffstack.hts.revisions import Revision, build_calendar, parse_revision_file, revision_key

USMCA_PROGRAMS = ("S", "S+")
FAR_FUTURE = date(9999, 12, 31)


@lru_cache(maxsize=4096)
def _parsed(text: str) -> Rate:
    return parse_rate(text)


@lru_cache(maxsize=4096)
def _usmca(text: str) -> Rate:
    """The rate for a USMCA claim (S or S+), or ``empty`` when the line offers none."""
    special = parse_special(text)
    for program in USMCA_PROGRAMS:
        rate = special.for_program(program)
        if rate is not None:
            return rate
    return Rate("empty", "")


def _rate_columns(prefix: str, rate: Rate) -> dict[str, object]:
    specs = [*list(rate.specifics), None, None]
    return {
        f"{prefix}_text": rate.text,
        f"{prefix}_status": rate.status,
        f"{prefix}_adval_ppm": rate.ad_valorem_ppm,
        f"{prefix}_spec1_uc": specs[0].amount_microcents if specs[0] else 0,
        f"{prefix}_spec1_unit": specs[0].unit if specs[0] else None,
        f"{prefix}_spec2_uc": specs[1].amount_microcents if specs[1] else 0,
        f"{prefix}_spec2_unit": specs[1].unit if specs[1] else None,
    }


def read_revision_rows(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def flatten_revision(rows: list[dict], key: str) -> tuple[list[dict], list[dict]]:
    """Turn one revision's JSON rows into HTS10 records and Chapter 99 heading records.

    The indent hierarchy gives each line its description path; the rate texts come from the
    nearest ancestor (or the line itself) that prints a general rate, which is the 8-digit line.
    An 8-digit rate line with no statistical suffix yields the HTS10 ``xxxxxxxx00``.
    """
    stack: list[tuple[int, dict]] = []
    hts10: list[dict] = []
    ch99: list[dict] = []
    pending8: dict | None = None

    def flush_pending() -> None:
        nonlocal pending8
        if pending8 is not None:
            hts10.append(pending8)
            pending8 = None

    for row in rows:
        indent = int(row.get("indent") or 0)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, row))
        code = (row.get("htsno") or "").replace(".", "").strip()
        if code.startswith("9903"):
            ch99.append(
                {
                    "revision": key,
                    "heading": row["htsno"].strip(),
                    "description": (row.get("description") or "").strip(),
                    "general": (row.get("general") or "").strip(),
                    "special": (row.get("special") or "").strip(),
                    "other": (row.get("other") or "").strip(),
                }
            )
            continue
        if len(code) not in (8, 10):
            continue
        rate_row = next((r for _, r in reversed(stack) if (r.get("general") or "").strip()), None)
        path = " > ".join((r.get("description") or "").strip() for _, r in stack)
        record = {
            "revision": key,
            "hts10": code if len(code) == 10 else code + "00",
            "hts8": code[:8],
            "description": path,
            "units": ",".join(u.strip() for u in (row.get("units") or []) if u),
            "general_text": (rate_row.get("general") or "").strip() if rate_row else "",
            "special_text": (rate_row.get("special") or "").strip() if rate_row else "",
            "other_text": (rate_row.get("other") or "").strip() if rate_row else "",
        }
        if len(code) == 8:
            flush_pending()
            pending8 = record
        else:
            if pending8 is not None and pending8["hts8"] == code[:8]:
                pending8 = None  # annotated: the 8-digit line is not reported itself
            hts10.append(record)
    flush_pending()
    return hts10, ch99


def _with_parsed(records: list[dict]) -> list[dict]:
    for record in records:
        record.update(_rate_columns("general", _parsed(record["general_text"])))
        record.update(_rate_columns("usmca", _usmca(record["special_text"])))
        record["other_status"] = _parsed(record["other_text"]).status
    return records


def build_store(hts_dir: Path, records_dir: Path, store_dir: Path) -> dict[str, int]:
    """Import every revision JSON into the store; return counts for the build report."""
    calendar = build_calendar(hts_dir, records_dir)
    store_dir.mkdir(parents=True, exist_ok=True)
    all10: list[pl.DataFrame] = []
    all99: list[pl.DataFrame] = []
    for revision in calendar:
        path = (
            hts_dir
            / f"hts_{revision.year}_{'basic' if revision.number == 0 else f'rev_{revision.number}'}.json.gz"
        )
        rows10, rows99 = flatten_revision(read_revision_rows(path), revision.key)
        all10.append(pl.DataFrame(_with_parsed(rows10), infer_schema_length=None))
        all99.append(pl.DataFrame(rows99, infer_schema_length=None))
    revisions = calendar_frame(calendar)
    hts10 = pl.concat(all10, how="vertical_relaxed").unique(["revision", "hts10"], keep="first")
    hts10.write_parquet(store_dir / "hts10.parquet")
    pl.concat(all99, how="vertical_relaxed").write_parquet(store_dir / "ch99.parquet")
    revisions.write_parquet(store_dir / "revisions.parquet")
    mfn = mfn_intervals(hts10, revisions)
    mfn.write_parquet(store_dir / "mfn.parquet")
    return {"revisions": revisions.height, "hts10_rows": hts10.height, "mfn_intervals": mfn.height}


CA_CUSMA_FILE = "cusma_canada_tariff_schedule_annex2B.csv"
CA_CUSMA_SCHEMA = {
    "tariff8": pl.String,
    "tariff_line": pl.String,
    "description": pl.String,
    "us_duty_rate": pl.String,
}


def build_ca_cusma(canada_dir: Path, store_dir: Path) -> int:
    """Canada's CUSMA schedule (tariff line, rate for U.S. originating goods: ``0`` or ``*`` for
    supply-managed lines) into ``ca_cusma.parquet``; 0 rows when the file is absent."""
    path = canada_dir / CA_CUSMA_FILE
    if not path.exists():
        frame = pl.DataFrame(schema=CA_CUSMA_SCHEMA)
    else:
        frame = pl.read_csv(path, infer_schema=False).select(
            tariff8=pl.col("tariff_line").str.replace_all(r"\.", ""),
            tariff_line="tariff_line",
            description="description",
            us_duty_rate=pl.col("us_duty_rate").str.strip_chars(),
        )
    store_dir.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(store_dir / "ca_cusma.parquet")
    return frame.height


def calendar_frame(calendar: list[Revision]) -> pl.DataFrame:
    starts = [r.published for r in calendar]
    ends = [*starts[1:], FAR_FUTURE]
    return pl.DataFrame(
        {
            "revision": [r.key for r in calendar],
            "year": [r.year for r in calendar],
            "number": [r.number for r in calendar],
            "in_force_from": starts,
            "in_force_to": ends,
            "date_source": [r.source for r in calendar],
        }
    )


RATE_COLUMNS = [
    "description",
    "units",
    "general_text",
    "special_text",
    "other_text",
    "general_status",
    "general_adval_ppm",
    "general_spec1_uc",
    "general_spec1_unit",
    "general_spec2_uc",
    "general_spec2_unit",
    "usmca_text",
    "usmca_status",
    "usmca_adval_ppm",
    "usmca_spec1_uc",
    "usmca_spec1_unit",
    "usmca_spec2_uc",
    "usmca_spec2_unit",
]


def mfn_intervals(hts10: pl.DataFrame, revisions: pl.DataFrame) -> pl.DataFrame:
    """Collapse consecutive revisions with identical rate columns into one interval per code.

    A code absent from a revision ends its interval there (expired), and starts a new one if it
    comes back.
    """
    order = revisions.select("revision", "in_force_from", "in_force_to").with_row_index("rev_idx")
    frame = (
        hts10.join(order, on="revision")
        .sort("hts10", "rev_idx")
        .with_columns(pl.struct(RATE_COLUMNS).hash().alias("_sig"))
        .with_columns(
            new=(pl.col("_sig") != pl.col("_sig").shift(1).over("hts10"))
            | (pl.col("rev_idx") != pl.col("rev_idx").shift(1).over("hts10") + 1)
            | pl.col("rev_idx").shift(1).over("hts10").is_null()
        )
        .with_columns(pl.col("new").cum_sum().over("hts10").alias("_run"))
    )
    return (
        frame.group_by("hts10", "_run")
        .agg(
            pl.col("in_force_from").min().alias("valid_from"),
            pl.col("in_force_to").max().alias("valid_to"),
            pl.col("revision").first().alias("first_revision"),
            pl.col("revision").last().alias("last_revision"),
            *[pl.col(c).first() for c in RATE_COLUMNS],
        )
        .drop("_run")
        .sort("hts10", "valid_from")
    )


class Store:
    """Read access to a built store; frames load lazily and once."""

    def __init__(self, store_dir: Path) -> None:
        self.dir = store_dir
        self._cache: dict[object, Any] = {}  # frames by name, expressions by what they read

    def _load(self, name: str) -> pl.DataFrame:
        if name not in self._cache:
            path = self.dir / f"{name}.parquet"
            if not path.exists():
                raise FileNotFoundError(
                    f"schedule store not built: {path} is missing (run `tariffstack build-store`)"
                )
            self._cache[name] = pl.read_parquet(path)
        return self._cache[name]

    @property
    def mfn(self) -> pl.DataFrame:
        return self._load("mfn")

    @property
    def mfn_indexed(self) -> pl.DataFrame:
        """The MFN intervals with a stable row index ``mfn_idx`` (results refer to rows by it)."""
        if "mfn_indexed" not in self._cache:
            self._cache["mfn_indexed"] = self.mfn.with_row_index("mfn_idx").with_columns(
                pl.col("mfn_idx").cast(pl.Int64), code=pl.col("hts10").cast(pl.UInt64)
            )
        return self._cache["mfn_indexed"]

    def mfn_lookup(self, **columns: str) -> list[pl.Expr]:
        """``name=column`` of the MFN interval at each row's ``mfn_idx`` (its row number in
        :attr:`mfn_indexed`): gathered by position instead of joined. A null index reads nulls."""
        key = ("mfn_lookup", tuple(columns.items()))  # (built once per set of columns)
        if key not in self._cache:
            at = pl.col("mfn_idx").cast(pl.UInt32)
            self._cache[key] = [
                pl.lit(self.mfn_indexed[column]).gather(at).alias(name) for name, column in columns.items()
            ]
        return self._cache[key]

    @property
    def ca_cusma(self) -> pl.DataFrame:
        """Canada's CUSMA schedule (empty when the store was built without the Canadian data)."""
        if "ca_cusma" not in self._cache:
            path = self.dir / "ca_cusma.parquet"
            self._cache["ca_cusma"] = (
                pl.read_parquet(path) if path.exists() else pl.DataFrame(schema=CA_CUSMA_SCHEMA)
            )
        return self._cache["ca_cusma"]

    @property
    def revisions(self) -> pl.DataFrame:
        return self._load("revisions")

    @property
    def hts10(self) -> pl.DataFrame:
        return self._load("hts10")

    @property
    def ch99(self) -> pl.DataFrame:
        return self._load("ch99")

    def revision_on(self, day: date) -> str:
        rows = self.revisions.filter((pl.col("in_force_from") <= day) & (pl.col("in_force_to") > day))
        if rows.is_empty():
            raise LookupError(f"no HTS revision in force on {day}")
        return rows["revision"][0]

    def codes_on(self, day: date) -> pl.Series:
        """HTS10 codes valid on ``day`` (for lints and nearest-code suggestions)."""
        return self.mfn.filter((pl.col("valid_from") <= day) & (pl.col("valid_to") > day))["hts10"]

    def nearest_codes_frame(self, pairs: pl.DataFrame, limit: int = 3) -> pl.DataFrame:
        """For each (``hts10``, ``entry_day``): ``near``, up to ``limit`` codes valid on the day that
        share the longest prefix (2 to 10 digits) with the code, sorted (for error messages)."""
        pairs = pairs.select("hts10", "entry_day").unique()
        if pairs.is_empty():
            return pairs.with_columns(near=pl.lit([], dtype=pl.List(pl.String)))
        lengths = list(range(10, 1, -1))
        chapters = pairs["hts10"].str.slice(0, 2).unique().implode()
        wanted = (
            pairs.with_columns(plen=pl.lit(lengths))
            .explode("plen")
            .with_columns(prefix=pl.col("hts10").str.slice(0, pl.col("plen")))
        )
        valid = (
            self.mfn.filter(pl.col("hts10").str.slice(0, 2).is_in(chapters))  # no match shares fewer digits
            .select("valid_from", "valid_to", near_code="hts10")
            .with_columns(plen=pl.lit(lengths))
            .explode("plen")
            .with_columns(prefix=pl.col("near_code").str.slice(0, pl.col("plen")))
        )
        in_force = (pl.col("valid_from") <= pl.col("entry_day")) & (pl.col("valid_to") > pl.col("entry_day"))
        hits = (
            wanted.join(valid, on=["plen", "prefix"])
            .filter(in_force)
            .filter(pl.col("plen") == pl.col("plen").max().over("hts10", "entry_day"))
            .select("hts10", "entry_day", "near_code")
            .unique()
            .sort("near_code")
            .group_by("hts10", "entry_day", maintain_order=True)
            .agg(near=pl.col("near_code").head(limit))
        )
        return pairs.join(hits, on=["hts10", "entry_day"], how="left").with_columns(
            pl.col("near").fill_null([])
        )

    def nearest_codes(self, code10: str, day: date, limit: int = 3) -> list[str]:
        """Valid codes on ``day`` sharing the longest prefix with ``code10`` (for error messages)."""
        pairs = pl.DataFrame(
            {"hts10": [code10], "entry_day": [day]}, schema={"hts10": pl.String, "entry_day": pl.Date}
        )
        return self.nearest_codes_frame(pairs, limit)["near"][0].to_list()


def revision_files(hts_dir: Path) -> list[str]:
    return sorted(revision_key(*p) for f in hts_dir.glob("*.json.gz") if (p := parse_revision_file(f)))
