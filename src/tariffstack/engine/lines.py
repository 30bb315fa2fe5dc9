"""Per-line arithmetic on a broadcast stack: each applied provision's base from the line's own
value and content, the precedence rules where a stack needs them, and the amounts.

Precedence runs only on the lines of stacks where some rule has a winner and a loser applied (see
:func:`tariffstack.engine.stack.stacks_with_rules`): a remainder rule leaves the loser the value
after the winners' bases, and whether that remainder is positive is a fact of the line.
"""

from __future__ import annotations

import functools

import polars as pl

from tariffstack.engine.compiled import BASE_KINDS, CompiledLaw
from tariffstack.engine.keys import BASE_COLUMNS
from tariffstack.engine.money import ad_valorem_cents
from tariffstack.engine.query import Frame, run
from tariffstack.engine.stack import STATUS, pair_key

RULE_COLUMNS = {
    "rule_idx": pl.Int64,
    "winner_pid": pl.Int64,
    "remainder_rule_idx": pl.Int64,
    "remainder_winner_pid": pl.Int64,
    "remit_rule_idx": pl.Int64,
}


@functools.cache
def no_rule() -> list[pl.Expr]:
    """The rule columns of a row no precedence rule has touched (all null), built once."""
    return [pl.lit(None, dtype=dtype).alias(name) for name, dtype in RULE_COLUMNS.items()]


def with_bases(rows: Frame) -> Frame:
    """``base_cents`` and ``base_missing`` of each (line, provision) row, by the provision's base kind
    (on a frame, or as a step of a query)."""
    return rows.with_columns(**_bases())


@functools.cache
def _bases() -> dict[str, pl.Expr]:
    """The two columns' expressions, built once (a few hundred µs of Python a call otherwise)."""
    base = pl.col("value_cents")
    missing = pl.lit(False)
    for kind, column in BASE_COLUMNS.items():
        is_kind = pl.col("base_code") == BASE_KINDS.index(kind)
        base = pl.when(is_kind).then(pl.col(column).fill_null(pl.col("value_cents"))).otherwise(base)
        missing = pl.when(is_kind).then(pl.col(column).is_null()).otherwise(missing)
    is_non_us = pl.col("base_code") == BASE_KINDS.index("non_us_content_value")
    base = (
        pl.when(is_non_us)
        .then(pl.col("value_cents") - pl.col("us_content_value_cents").fill_null(0))
        .otherwise(base)
    )
    missing = pl.when(is_non_us).then(pl.col("us_content_value_cents").is_null()).otherwise(missing)
    # Canada's motor-vehicle surtax: A − B, B the larger of the deemed share and the content claimed.
    is_a_less_b = pl.col("base_code") == BASE_KINDS.index("value_less_ca_mx_content")
    deemed = ad_valorem_cents(pl.col("value_cents"), pl.col("share_ppm").fill_null(0))
    b_value = pl.max_horizontal(deemed, pl.col("ca_mx_content_value_cents").fill_null(0))
    base = pl.when(is_a_less_b).then(pl.col("value_cents") - b_value).otherwise(base)
    # 9903.82.20: the value less the U.S. content, which counts only up to a share of the value.
    is_capped = pl.col("base_code") == BASE_KINDS.index("value_less_capped_us_content")
    us_counted = pl.min_horizontal(pl.col("us_content_value_cents").fill_null(0), deemed)
    base = pl.when(is_capped).then(pl.col("value_cents") - us_counted).otherwise(base)
    return {"base_cents": base, "base_missing": missing}


def apply_precedence(applied: pl.DataFrame, law: CompiledLaw, acting: pl.DataFrame) -> pl.DataFrame:
    """Apply the rules as the law orders them, each only to the stacks it can act on; a displaced
    provision no longer wins later rules.

    ``acting`` holds (stack_id, rule_idx) for the rules that can act on each stack (see
    ``stacks_with_rules``); on the other stacks a rule would find no winner and loser applied
    together. A line is only ever touched by its own stack's rules, so one pass per precedence
    layer (rules that do not read each other's changes, see ``CompiledLaw.rule_layers``) serves
    every stack and every rule of the layer at once: the passes are the layers with a rule acting
    anywhere in the frame (nine at most today), never one per line or per set of rules. Stacking
    in full ('add') needs no pass.
    """
    applied = applied.with_columns(*no_rule(), _row=pl.int_range(pl.len(), dtype=pl.Int64))
    columns = applied.columns
    in_frame = set(acting["rule_idx"].unique().to_list())
    for layer in law.rule_layers:
        if in_frame.isdisjoint(layer["rules"]):
            continue
        sides = layer["sides"].lazy()
        rows = (
            applied.lazy()
            .filter(pl.col("status") == "applied")
            .with_columns(pe=pair_key("pid", "epoch"))
            .join(sides, on="pe")
            .join(acting.lazy().select("stack_id", rule="rule_idx"), on=["stack_id", "rule"], how="semi")
        )
        winners = run(
            rows.filter(pl.col("winner"))
            .group_by("line_id", "rule")
            .agg(w_base=pl.col("base_cents").sum(), w_pid=pl.col("pid").min())
        )
        if winners.is_empty():
            continue
        losers = rows.filter(~pl.col("winner")).join(winners.lazy(), on=["line_id", "rule"])
        rule, remit = pl.col("rule"), pl.col("remit")
        remainder = pl.col("base_cents") - pl.col("w_base")
        displaced = ~remit & (pl.col("displace") | (remainder <= 0))
        reduced = ~remit & ~displaced
        changed = losers.with_columns(
            status=pl.when(displaced).then(pl.lit("displaced", dtype=STATUS)).otherwise(pl.col("status")),
            rule_idx=pl.when(displaced).then(rule).otherwise(pl.col("rule_idx")),
            winner_pid=pl.when(displaced).then(pl.col("w_pid")).otherwise(pl.col("winner_pid")),
            remainder_rule_idx=pl.when(reduced).then(rule).otherwise(pl.col("remainder_rule_idx")),
            remainder_winner_pid=pl.when(reduced)
            .then(pl.col("w_pid"))
            .otherwise(pl.col("remainder_winner_pid")),
            remit_rule_idx=pl.when(remit).then(rule).otherwise(pl.col("remit_rule_idx")),
            base_cents=pl.when(reduced).then(remainder).otherwise(pl.col("base_cents")),
        ).select(columns)
        applied = run(
            pl.concat([applied.lazy().join(changed.select("_row"), on="_row", how="anti"), changed])
        )
    return applied.drop("_row")


def amounts(applied: Frame) -> Frame:
    """Rate (a top-up tops the MFN ad valorem rate up to its level) × base, rounded half up (on a
    frame, or as a step of a query)."""
    rate = (
        pl.when(pl.col("top_up_ppm").is_not_null())
        .then((pl.col("top_up_ppm") - pl.col("mfn_adval_ppm")).clip(lower_bound=0))
        .otherwise(pl.col("ppm").fill_null(0))
    )
    return applied.with_columns(rate_ppm=rate).with_columns(
        amount_cents=pl.when(pl.col("is_duty") | pl.col("is_deposit"))
        .then(ad_valorem_cents(pl.col("base_cents"), pl.col("rate_ppm")))
        .otherwise(0)
    )
