"""How much of the schedule the rate parser turns into structured rates (reported, never hidden).

Two numbers: *structured* (the text became a typed rate: free, ad valorem, specific, compound,
component — a rate on part of the article, such as lead content or a watch battery — or reference
— "the rate applicable to each garment in the ensemble") and *computable* (the duty follows from
value and quantity alone). For a structured but not computable line the engine returns an
error naming the rate and the missing fact, never a silent zero. This report counts both.
"""

from __future__ import annotations

import polars as pl

from tariffstack.hts.store import Store

COMPUTABLE = ("free", "ad_valorem", "specific", "compound")
STRUCTURED = (*COMPUTABLE, "component", "reference")


def rate_coverage(store: Store, revision: str) -> dict:
    lines = store.hts10.filter((pl.col("revision") == revision) & (pl.col("hts10").str.slice(0, 2) < "98"))
    if lines.is_empty():
        raise LookupError(f"revision {revision!r} is not in the store")
    counts = dict(lines.group_by("general_status").len().iter_rows())
    total = lines.height
    structured = sum(counts.get(s, 0) for s in STRUCTURED)
    usmca = lines.filter(pl.col("usmca_status") != "empty")
    return {
        "revision": revision,
        "hts10_lines": total,
        "by_status": dict(sorted(counts.items())),
        "structured_general": structured,
        "structured_general_pct": round(100 * structured / total, 2),
        "computable_from_value_and_quantity_pct": round(
            100 * lines.filter(pl.col("general_status").is_in(COMPUTABLE)).height / total, 2
        ),
        "lines_with_usmca_special_rate": usmca.height,
        "unparsed_examples": lines.filter(~pl.col("general_status").is_in(STRUCTURED))
        .select("hts10", "general_text")
        .unique("general_text")
        .sort("hts10")
        .head(10)
        .rows(),
    }
