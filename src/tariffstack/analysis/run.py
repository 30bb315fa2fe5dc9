"""The one place the analysis calls the engine.

Every series, breakdown, change feed and scenario builds one *raw* frame (columns named as the
entry-line input fields of the README, one row per line) and hands it to :func:`evaluate_raw`.
The raw columns this package produces are typed here, column by column (no loop per line), into
the engine's typed frame (:data:`tariffstack.law.vocabulary.SCHEMA`) and evaluated with
``Engine.evaluate_frame`` — the same evaluation as every other path, without the text parsing of
user input: money here is computed (shares of a value), so it is rounded to the cent here rather
than refused for its decimals, as user input would be. The flows are machine-made (ten-digit codes
from the schedule's own statistical lines, whole dollars), so no field needs the checks of user
input; a code the schedule does not know still comes back as an engine error, counted as
uncomputed.
"""

from __future__ import annotations

import polars as pl

from tariffstack.api import Engine
from tariffstack.engine.evaluate import Evaluation
from tariffstack.law.vocabulary import with_schema

# raw input field -> (typed column, conversion)
_MONEY = ("value", "steel_value", "aluminum_value", "copper_value", "us_content_value")
_PLAIN = {
    "hts": "hts10",
    "origin": "origin",
    "importing_country": "importing_country",
    "spi": "spi",
    "melt_country": "melt_country",
    "smelt_country": "smelt_country",
    "commerce_approved_us_content": "commerce_approved_us_content",
    "commerce_approved_quantity": "commerce_approved_quantity",
}


def typed_frame(raw: pl.DataFrame) -> pl.DataFrame:
    """Raw analysis columns → the engine's typed frame (``line_id`` = row index)."""
    unknown = set(raw.columns) - set(_MONEY) - set(_PLAIN) - {"entry_date"}
    if unknown:
        raise ValueError(f"raw frame: columns not typed here: {sorted(unknown)}")
    exprs: dict[str, pl.Expr] = {"line_id": pl.int_range(pl.len(), dtype=pl.Int64)}
    for name in _MONEY:
        if name in raw.columns:
            exprs[f"{name}_cents"] = (pl.col(name) * 100).round().cast(pl.Int64)
    for name, column in _PLAIN.items():
        if name in raw.columns:
            exprs[column] = pl.col(name)
    exprs["entry_ts"] = pl.col("entry_date").cast(pl.Datetime("us"))
    if "importing_country" not in raw.columns:
        exprs["importing_country"] = pl.lit("US")
    return with_schema(raw.select(**exprs))


def evaluate_raw(engine: Engine, raw: pl.DataFrame) -> Evaluation:
    """Evaluate a raw frame; ``summary.line_id`` and ``lines.line_id`` are the row index of ``raw``."""
    return engine.evaluate_frame(typed_frame(raw))
