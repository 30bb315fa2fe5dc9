"""Breakdowns of one day's results: by HS section and chapter, by measure and heading, top lines.

All are sums over the per-line engine results of the evaluation point that holds on that day
(no second computation). Sections and chapters come from ``hs/harmonized-system.csv`` and
``hs/sections.csv`` of the reference data; chapters 98-99 (U.S. special provisions) are not in
the HS and are grouped as "Chapters 98-99 (U.S. special provisions)".
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from tariffstack.analysis.series import Run

SPECIAL = "XXII*"
SPECIAL_NAME = "Chapters 98-99 (U.S. special provisions, not in the HS)"


def hs_sections(data_dir: Path) -> pl.DataFrame:
    """chapter (2 digits) → section (roman numeral) and the section's name."""
    hs = pl.read_csv(data_dir / "hs" / "harmonized-system.csv", infer_schema=False)
    names = pl.read_csv(data_dir / "hs" / "sections.csv", infer_schema=False, encoding="utf8-lossy")
    names = names.rename({names.columns[0]: "section"}).with_columns(
        pl.col("section").str.strip_chars("\ufeff")
    )
    chapters = (
        hs.filter(pl.col("level") == "2")
        .select(chapter="hscode", section="section", chapter_name="description")
        .join(names.rename({"name": "section_name"}), on="section", how="left")
    )
    special = pl.DataFrame(
        {
            "chapter": ["98", "99"],
            "section": [SPECIAL, SPECIAL],
            "chapter_name": ["Special classification provisions (U.S.)", "Temporary legislation (U.S.)"],
            "section_name": [SPECIAL_NAME, SPECIAL_NAME],
        }
    )
    return pl.concat([chapters, special])


def point_for(run: Run, day: date) -> pl.DataFrame:
    """The (wkey, eval_date) row of ``run.daily`` for ``day``."""
    row = run.daily.filter(pl.col("date") == day)
    if row.is_empty():
        raise ValueError(
            f"date: {day} is outside the series {run.daily['date'].min()} … {run.daily['date'].max()}"
        )
    return row


def day_lines(run: Run, day: date) -> pl.DataFrame:
    row = point_for(run, day)
    eval_date = row["eval_date"][0]
    wkey = run.lines.filter(pl.col("eval_date") == eval_date)
    month = day.strftime("%Y-%m")
    keys = set(wkey["wkey"].unique().to_list())
    key = month if month in keys else "projection"
    return wkey.filter(pl.col("wkey") == key)


def _rates(frame: pl.DataFrame) -> pl.DataFrame:
    value = pl.col("value_usd")
    return frame.with_columns(
        etr_pct=(pl.col("duty_usd") / value * 100).round(3),
        tariff_free_share=(pl.col("tariff_free_usd") / value).round(4),
    )


def by_sector(run: Run, day: date, data_dir: Path, level: str = "section") -> pl.DataFrame:
    """Value, duty, effective rate and tariff-free share by HS section or chapter on ``day``."""
    lines = day_lines(run, day).filter(pl.col("state") == "computed")
    sections = hs_sections(data_dir)
    keys = ["section", "section_name"] if level == "section" else ["chapter", "chapter_name", "section"]
    return _rates(
        lines.with_columns(chapter=pl.col("hts10").str.slice(0, 2))
        .join(sections, on="chapter", how="left")
        .group_by(keys)
        .agg(
            value_usd=pl.col("value_cents").sum() / 100,
            duty_usd=pl.col("total_cents").sum() / 100,
            additional_usd=pl.col("additional_cents").sum() / 100,
            tariff_free_usd=pl.col("value_cents").filter(pl.col("additional_cents") == 0).sum() / 100,
        )
    ).sort("duty_usd", descending=True)


def by_heading(run: Run, day: date, headings: pl.DataFrame) -> pl.DataFrame:
    """Duty by measure and Chapter 99 heading on ``day``: amount, HTS10 lines and value touched."""
    lines = day_lines(run, day).filter(pl.col("state") == "computed")
    total_value = lines["value_cents"].sum()
    duties = run.duties.join(lines.select("uid", "hts10", "value_cents"), on="uid")
    return (
        duties.join(headings.select("pid", "heading", "measure_id", "category"), on=["pid"], how="left")
        .group_by("measure_id", "heading")
        .agg(
            duty_usd=pl.col("amount_cents").sum() / 100,
            hts10_lines=pl.col("hts10").n_unique(),
            value_usd=pl.col("value_cents").sum() / 100,
        )
        .with_columns(etr_contribution_pp=(pl.col("duty_usd") / (total_value / 100) * 100).round(4))
        .sort("duty_usd", descending=True)
    )


def top_lines(run: Run, day: date, n: int = 25, descriptions: pl.DataFrame | None = None) -> pl.DataFrame:
    """The HTS10 lines paying the most duty on ``day`` (claimed and unclaimed parts together)."""
    lines = day_lines(run, day).filter(pl.col("state") == "computed")
    out = (
        _rates(
            lines.group_by("hts10").agg(
                value_usd=pl.col("value_cents").sum() / 100,
                claimed_usd=pl.col("value_cents").filter(pl.col("claimed")).sum() / 100,
                duty_usd=pl.col("total_cents").sum() / 100,
                tariff_free_usd=pl.col("value_cents").filter(pl.col("additional_cents") == 0).sum() / 100,
            )
        )
        .sort("duty_usd", descending=True)
        .head(n)
    )
    if descriptions is not None:
        out = out.join(descriptions, on="hts10", how="left")
    return out


def descriptions(store, codes: pl.Series) -> pl.DataFrame:
    """Latest schedule description of each code (for tables)."""
    return (
        store.mfn_indexed.filter(pl.col("hts10").is_in(codes.implode()))
        .sort("valid_from")
        .group_by("hts10")
        .agg(description=pl.col("description").last().str.slice(0, 90))
    )
