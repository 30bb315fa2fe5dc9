"""Product search over the schedule store: by code prefix or by words of the description path.

A broker types either digits (``7306``, ``7306.30.50``) or words (``steel pipe``). Digits match the
start of the code; words must all appear in the description path (the chain of headings from the
chapter down to the statistical line), case-insensitively. Results are the lines in force on the
given date (the U.S. schedule revision in force; for Canada, the CUSMA schedule of the store),
ranked and cut to ``limit``. Everything is one Polars filter and sort over the revision's rows.
"""

from __future__ import annotations

import re
from datetime import date

import polars as pl

from tariffstack.hts.codes import dotted_expr
from tariffstack.hts.store import Store

MAX_LIMIT = 100
_CODE_QUERY = re.compile(r"^[\d.\s\-]+$")
_WORD = re.compile(r"[\w'-]+", re.UNICODE)


class SearchError(ValueError):
    """A query that cannot be searched: ``field`` names the parameter."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _us_rows(store: Store, day: date) -> pl.DataFrame:
    revision = store.revision_on(day)
    return store.hts10.filter(pl.col("revision") == revision).select(
        code=pl.col("hts10"),
        hts=dotted_expr(pl.col("hts10")),
        path=pl.col("description"),
        units=pl.col("units"),
        general=pl.col("general_text"),
        special=pl.col("special_text"),
        revision=pl.lit(revision),
    )


def _ca_rows(store: Store) -> pl.DataFrame:
    return store.ca_cusma.select(
        code=pl.col("tariff8"),
        hts=pl.col("tariff_line"),
        path=pl.col("description"),
        units=pl.lit(""),
        general=pl.lit(None, dtype=pl.String),
        special=pl.col("us_duty_rate"),
        revision=pl.lit("CUSMA Annex 2-B (Canada)"),
    )


def search_products(store: Store, query: str, day: date, country: str = "US", limit: int = 20) -> dict:
    """Ranked products matching ``query`` on ``day``; ``country`` is the importing country."""
    text = (query or "").strip()
    if not text:
        raise SearchError("q", "empty query: give a code prefix (7306.30) or words (steel pipe)")
    if len(text) > 200:
        raise SearchError("q", f"{len(text)} characters; at most 200")
    if not 1 <= limit <= MAX_LIMIT:
        raise SearchError("limit", f"{limit} is not between 1 and {MAX_LIMIT}")
    if country not in ("US", "CA"):
        raise SearchError("country", f"{country!r} must be US or CA")
    try:
        rows = _us_rows(store, day) if country == "US" else _ca_rows(store)
    except LookupError as exc:
        raise SearchError("date", str(exc)) from exc
    if _CODE_QUERY.match(text):
        digits = re.sub(r"\D", "", text)
        if not digits:
            raise SearchError("q", f"{query!r} has no digits or words")
        hits = rows.filter(pl.col("code").str.starts_with(digits)).sort("code")
        mode = "code"
    else:
        words = [w.lower() for w in _WORD.findall(text)]
        if not words:
            raise SearchError("q", f"{query!r} has no digits or words")
        lower = pl.col("path").str.to_lowercase()
        leaf = lower.str.split(" > ").list.last()
        matches = [lower.str.contains(w, literal=True) for w in words]
        in_leaf = pl.sum_horizontal([leaf.str.contains(w, literal=True).cast(pl.Int32) for w in words])
        hits = (
            rows.filter(pl.all_horizontal(matches))
            .with_columns(_leaf_hits=in_leaf, _len=pl.col("path").str.len_chars())
            .sort(["_leaf_hits", "_len", "code"], descending=[True, False, False])
            .drop("_leaf_hits", "_len")
        )
        mode = "words"
    total = hits.height
    results = hits.head(limit).with_columns(description=pl.col("path").str.split(" > ").list.last())
    return {
        "query": text,
        "mode": mode,
        "country": country,
        "date": day.isoformat(),
        "revision": rows["revision"][0] if rows.height else None,
        "total": total,
        "results": results.drop("code", "revision").to_dicts(),
    }
