"""The refund report: per entry, per importer, and the CAPE declaration files.

Written into the ``--refunds`` directory:

- ``entries.csv``: one row per entry (sum of its computed, non-duplicate lines): importer, lines,
  assessed duty, IEEPA refundable, interest estimate, route, deadline, liquidation date, confidence;
- ``importers.csv``: per importer, IEEPA refundable by route, interest, earliest deadline;
- ``cape/cape_<importer>_<n>.csv``: the CAPE declaration files, in CBP's published layout (one column
  ``Entry Number``, at most 9,999 entries per file), one set per importer of record, only entries
  routed to CAPE with IEEPA duty to recover;
- ``README.txt``: the rules applied, their sources and confidence, and the contested positions.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from tariffstack.batch.compute import Options, money
from tariffstack.batch.entry_numbers import compact_entry_number
from tariffstack.batch.refund_rules import RefundRules, refund_rules

NO_IMPORTER = "unknown-importer"


def combine(partials: list[pl.DataFrame], rules: RefundRules) -> pl.DataFrame:
    """Chunk partials → one row per entry."""
    if not partials:
        return pl.DataFrame()
    confidence = {
        "cape": rules.routes.cape.confidence,
        "protest": rules.routes.protest.confidence,
        "contested": rules.routes.contested.confidence,
        "excluded_from_cape": rules.routes.cape.confidence,
    }
    entries = (
        pl.concat(partials, how="vertical_relaxed")
        .group_by("entry_number")
        .agg(
            importer=pl.col("importer").drop_nulls().first(),
            lines=pl.col("lines").sum(),
            assessed_cents=pl.col("assessed_cents").sum(),
            ieepa_cents=pl.col("ieepa_cents").sum(),
            interest_cents=pl.col("interest_cents").sum(),
            route_min=pl.col("route_min").min(),
            route_max=pl.col("route_max").max(),
            deadline=pl.col("deadline").min(),
            liquidation_date=pl.col("liquidation_date").min(),
            liquidation_date_max=pl.col("liquidation_date_max").max(),
        )
        .sort("entry_number", nulls_last=True)
    )
    route = pl.when(pl.col("route_min") == pl.col("route_max")).then(pl.col("route_min"))
    note = (
        pl.when(pl.col("entry_number").is_null())
        .then(pl.lit("lines without an entry number: cannot be declared"))
        .when(pl.col("liquidation_date") != pl.col("liquidation_date_max"))
        .then(pl.lit("the lines give different liquidation dates; the earliest is used"))
        .when(pl.col("route_min") != pl.col("route_max"))
        .then(pl.format("lines route differently ({} / {})", pl.col("route_min"), pl.col("route_max")))
    )
    return entries.with_columns(
        route=route,
        route_confidence=route.replace_strict(confidence, default=None, return_dtype=pl.String),
        note=note,
    )


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or NO_IMPORTER


def write_cape_files(entries: pl.DataFrame, out_dir: Path, rules: RefundRules) -> list[Path]:
    """CBP's CAPE CSV: header ``Entry Number``, at most 9,999 entry numbers per file."""
    spec = rules.cape_file
    out_dir.mkdir(parents=True, exist_ok=True)
    declared = entries.filter(
        (pl.col("route") == "cape") & (pl.col("ieepa_cents") > 0) & pl.col("entry_number").is_not_null()
    ).with_columns(importer=pl.col("importer").fill_null(NO_IMPORTER))
    number = pl.col("entry_number")
    if spec.entry_number_format == "compact":
        number = compact_entry_number(number)
    written: list[Path] = []
    for (importer,), group in declared.sort("importer", "entry_number").group_by(
        "importer", maintain_order=True
    ):
        numbers = group.select(number.alias(spec.header))
        for index, start in enumerate(range(0, numbers.height, spec.max_entries_per_file), start=1):
            path = out_dir / f"cape_{_slug(str(importer))}_{index:03d}.csv"
            numbers.slice(start, spec.max_entries_per_file).write_csv(path)
            written.append(path)
    return written


def _readme(rules: RefundRules, options: Options) -> str:
    parts = [f"{rules.label}\nAs of {options.as_of}. Rules verified to {rules.verified_to}.\n"]
    for name, route in (
        ("cape", rules.routes.cape),
        ("protest", rules.routes.protest),
        ("contested", rules.routes.contested),
    ):
        parts.append(f"\n[{name}] {route.label} (confidence {route.confidence})\n  {route.confidence_note}\n")
        for ref in route.references:
            parts.append(f"  - {ref.instrument}: {ref.citation} <{ref.url}>\n")
    parts.append("\nPositions on finally liquidated entries:\n")
    for position in rules.routes.contested.positions:
        parts.append(f"  - {position.party} ({position.confidence}): {position.position}\n")
    interest = rules.interest
    parts.append(
        f"\nInterest: {interest.label} (confidence {interest.confidence})\n  {interest.confidence_note}\n"
    )
    for rate in interest.rates:
        parts.append(
            f"  - from {rate.from_}: corporate {rate.corporate}, non-corporate {rate.non_corporate} "
            f"({rate.confidence}; {rate.reference.instrument} <{rate.reference.url}>)\n"
        )
    cape = rules.cape_file
    parts.append(
        f"\nCAPE file: column '{cape.header}', at most {cape.max_entries_per_file:,} entries per file"
    )
    parts.append(f" (confidence {cape.confidence}). {cape.confidence_note}\n")
    return "".join(parts)


def write_refund_report(partials: list[pl.DataFrame], out_dir: Path, options: Options) -> list[Path]:
    rules = refund_rules()
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = combine(partials, rules)
    written: list[Path] = []
    readme = out_dir / "README.txt"
    readme.write_text(_readme(rules, options), encoding="utf-8")
    written.append(readme)
    if entries.is_empty():
        return written
    entries_path = out_dir / "entries.csv"
    entries.select(
        "entry_number",
        "importer",
        "lines",
        assessed_duty=money(pl.col("assessed_cents")),
        ieepa_refundable=money(pl.col("ieepa_cents")),
        interest_estimate=money(pl.col("interest_cents")),
        route="route",
        deadline="deadline",
        liquidation_date="liquidation_date",
        route_confidence="route_confidence",
        note="note",
    ).write_csv(entries_path)
    written.append(entries_path)
    by_route = {
        f"{route}_refundable": money(pl.col("ieepa_cents").filter(pl.col("route") == route).sum())
        for route in ("cape", "protest", "contested", "excluded_from_cape")
    }
    importers_path = out_dir / "importers.csv"
    (
        entries.with_columns(importer=pl.col("importer").fill_null(NO_IMPORTER))
        .group_by("importer")
        .agg(
            entries=pl.len(),
            lines=pl.col("lines").sum(),
            ieepa_refundable=money(pl.col("ieepa_cents").sum()),
            **by_route,
            interest_estimate=money(pl.col("interest_cents").sum()),
            earliest_deadline=pl.col("deadline").min(),
        )
        .sort("importer")
        .write_csv(importers_path)
    )
    written.append(importers_path)
    written.extend(write_cape_files(entries, out_dir / "cape", rules))
    return written
