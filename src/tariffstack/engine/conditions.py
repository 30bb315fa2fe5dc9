"""The closed condition vocabulary, compiled to Polars expressions over entry-line columns.

Each condition of a provision becomes one boolean expression; a provision's conditions are ANDed.
A missing fact never satisfies a condition that asks for it (null → False), so "exempt if the
importer shows X" needs X to be shown.
"""

from __future__ import annotations

from functools import reduce

import polars as pl

from tariffstack.law.model import Condition, parse_ts
from tariffstack.law.vocabulary import BOOL_FIELDS, ENUM_FIELDS

# Entry-line facts a condition may name, with their column in the evaluation frame (every boolean and
# closed-vocabulary input field under its own name).
FACT_COLUMNS: dict[str, str] = {
    "spi": "spi",
    "origin": "origin",
    "melt_country": "melt_country",
    "smelt_country": "smelt_country",
    "steel_value": "steel_value_cents",
    "aluminum_value": "aluminum_value_cents",
    "copper_value": "copper_value_cents",
    "us_content_value": "us_content_value_cents",
    "metal_weight_share": "metal_weight_share",
    "vehicle_age_years": "vehicle_age_years",
    "loading_date": "loading_ts",
    "arrival_date": "arrival_ts",
    "ad_rate": "ad_rate_ppm",
    "cvd_rate": "cvd_rate_ppm",
    "producer": "producer",
    "ca_mx_content_value": "ca_mx_content_value_cents",
    "remission_code": "remission_code",
    "export_date": "export_ts",
    **{field: field for field in (*BOOL_FIELDS, *ENUM_FIELDS)},
}


class ConditionError(ValueError):
    pass


def _column(name: str) -> pl.Expr:
    if name not in FACT_COLUMNS:
        raise ConditionError(f"condition names unknown fact {name!r}; known: {sorted(FACT_COLUMNS)}")
    return pl.col(FACT_COLUMNS[name])


def compile_condition(cond: Condition) -> pl.Expr:
    """One condition → a boolean expression (nulls are False)."""
    if cond.spi_in is not None:
        expr = pl.col("spi").is_in(cond.spi_in)
    elif cond.spi_not_in is not None:
        expr = pl.col("spi").is_null() | ~pl.col("spi").is_in(cond.spi_not_in)
    elif cond.fact_true is not None:
        expr = _column(cond.fact_true) == True  # noqa: E712 - null-aware comparison
    elif cond.fact_not_true is not None:
        expr = ~(_column(cond.fact_not_true) == True).fill_null(False)  # noqa: E712
    elif cond.fact_present is not None:
        expr = _column(cond.fact_present).is_not_null()
    elif cond.fact_absent is not None:
        expr = _column(cond.fact_absent).is_null()
    elif cond.fact_in is not None:
        expr = _column(cond.fact_in.field).is_in(cond.fact_in.values)
    elif cond.fact_not_in is not None:
        col = _column(cond.fact_not_in.field)
        expr = col.is_null() | ~col.is_in(cond.fact_not_in.values)
    elif cond.fact_below is not None:
        expr = _column(cond.fact_below.field) < cond.fact_below.value
    elif cond.fact_at_least is not None:
        expr = _column(cond.fact_at_least.field) >= cond.fact_at_least.value
    elif cond.loaded_before is not None:
        expr = pl.col("loading_ts") < parse_ts(cond.loaded_before)
    elif cond.entered_before is not None:
        expr = pl.col("entry_ts") < parse_ts(cond.entered_before)
    elif cond.not_arrived_before is not None:
        # An import ban's "goods imported before" relief needs the arrival shown; without it the ban holds.
        expr = pl.col("arrival_ts").is_null() | (pl.col("arrival_ts") >= parse_ts(cond.not_arrived_before))
    elif cond.case_named is not None:
        expr = pl.col("adcvd_cases").list.contains(cond.case_named)
    elif cond.any_of is not None:
        expr = reduce(lambda a, b: a | b, (compile_condition(c) for c in cond.any_of))
    else:  # pragma: no cover - the model guarantees one key
        raise ConditionError("empty condition")
    return expr.fill_null(False)


_PHRASES = {
    "fact_true": "{} is true",
    "fact_not_true": "{} is not true",
    "fact_present": "{} is given",
    "fact_absent": "{} is not given",
    "loaded_before": "loaded before {}",
    "entered_before": "entered before {}",
    "not_arrived_before": "not shown to have arrived in the U.S. before {}",
    "case_named": "the line names AD/CVD case {}",
}


def describe_condition(cond: Condition) -> str:
    """A short human text for explanations (``spi in [S, S+]``, ``donation is true``)."""
    for key, value in cond.__dict__.items():
        if value is None:
            continue
        if key == "any_of":
            return "any of (" + "; ".join(describe_condition(c) for c in value) + ")"
        if key in ("spi_in", "spi_not_in"):
            return f"spi {'in' if key == 'spi_in' else 'not in'} [{', '.join(value)}]"
        if key in ("fact_in", "fact_not_in"):
            return f"{value.field} {'in' if key == 'fact_in' else 'not in'} [{', '.join(value.values)}]"
        if key in ("fact_below", "fact_at_least"):
            return f"{value.field} {'<' if key == 'fact_below' else '>='} {value.value:g}"
        return _PHRASES[key].format(value)
    return "?"


def compile_all(conditions: list[Condition]) -> pl.Expr:
    if not conditions:
        return pl.lit(True)
    return reduce(lambda a, b: a & b, (compile_condition(c) for c in conditions))
