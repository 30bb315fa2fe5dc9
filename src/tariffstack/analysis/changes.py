"""``tariffstack changes``: the law change feed between two dates, from the law files and the engine.

A heading *changes* between D1 and D2 (both read at 12:00 noon ET) when one of its provisions has
a dated value that takes effect after D1 and at or before D2 (a new rate, a start or an end — a
start or end of one of several provisions of a heading is a change of its product scope), or when a
precedence rule naming it starts or ends in that window. For each, the instrument of the dated
value or rule, and from one engine run of the same flows (the weights of D2's month, or the
projection) at D1 and at D2: the HTS10 lines with Canadian trade on which the heading applies on
either date, their trade value, and the change of the heading's duty as a share of all value
(percentage points of the effective rate). The effect is the heading's, so a heading with several
changes in the window (a rate and a rule, say) shows the same effect on each of its rows; Canada's
orders (``importing_country`` CA) are listed from the law, with no flows to weigh them.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl

from tariffstack.analysis.flows import PROJECTION, Assumptions, load_flows
from tariffstack.analysis.series import NOON, Inputs, evaluate_plan, weighted_lines
from tariffstack.api import Engine


def law_events(engine: Engine, d1: date, d2: date) -> pl.DataFrame:
    """Dated values and rules taking effect in (D1 noon, D2 noon], one row per heading and change."""
    c = engine.compiled
    lo, hi = datetime.combine(d1, NOON), datetime.combine(d2, NOON)
    prov = c.provisions.select("pid", "hid", "mid", "measure_id", "heading").join(
        c.measures.select("mid", "importing_country"), on="mid"
    )
    rates = c.rates.sort("pid", "from_ts").with_columns(
        before=pl.col("rate_text").shift(1).over("pid"), was_in_force=pl.col("in_force").shift(1).over("pid")
    )
    dated = (
        rates.filter((pl.col("from_ts") > lo) & (pl.col("from_ts") <= hi))
        .join(prov, on="pid")
        .select(
            "importing_country",
            "measure_id",
            "heading",
            "hid",
            effective=pl.col("from_ts"),
            change=pl.when(~pl.col("in_force"))
            .then(pl.lit("ends (scope)"))
            .when(~pl.col("was_in_force").fill_null(False))
            .then(pl.lit("starts (scope)"))
            .otherwise(pl.lit("rate")),
            rate_before=pl.col("before"),
            rate_after=pl.col("rate_text"),
            instrument=pl.col("ref_instrument"),
            citation=pl.col("ref_citation"),
        )
    )
    rules = c.rules.filter(
        ((pl.col("rule_from") > lo) & (pl.col("rule_from") <= hi))
        | ((pl.col("rule_to") > lo) & (pl.col("rule_to") <= hi))
    )
    parties = pl.concat([c.rule_winners, c.rule_losers]).unique()
    ruled = (
        rules.join(parties, on="rule_idx")
        .join(prov, on="pid")
        .select(
            "importing_country",
            "measure_id",
            "heading",
            "hid",
            effective=pl.when(pl.col("rule_from") > lo)
            .then(pl.col("rule_from"))
            .otherwise(pl.col("rule_to")),
            change=pl.when(pl.col("rule_from") > lo)
            .then(pl.lit("precedence rule starts: ") + pl.col("rule_id"))
            .otherwise(pl.lit("precedence rule ends: ") + pl.col("rule_id")),
            rate_before=pl.lit(None, dtype=pl.String),
            rate_after=pl.lit(None, dtype=pl.String),
            instrument=pl.col("rule_instrument"),
            citation=pl.col("rule_citation"),
        )
    )
    return pl.concat([dated, ruled]).unique().sort("effective", "measure_id", "heading")


def change_feed(
    engine: Engine,
    data_dir: Path,
    d1: date,
    d2: date,
    hts_prefix: str | None = None,
    assumptions: Assumptions | None = None,
) -> tuple[pl.DataFrame, dict]:
    """Every heading that changed between the dates, with lines, value and effect; and the totals."""
    if d2 <= d1:
        raise ValueError(f"--to: {d2} must be after --from {d1}")
    assumptions = assumptions or Assumptions()
    flows = load_flows(data_dir, assumptions.weights, assumptions.own_months)
    events = law_events(engine, d1, d2)
    months = set(flows.monthly["month"].dt.strftime("%Y-%m").to_list())
    wkey = d2.strftime("%Y-%m") if d2.strftime("%Y-%m") in months else PROJECTION
    inputs = Inputs(engine, flows, assumptions, data_dir)
    lines = weighted_lines(inputs).filter(pl.col("wkey") == wkey)
    if hts_prefix:
        lines = lines.filter(pl.col("hts10").str.starts_with(hts_prefix.replace(".", "")))
    inputs.lines_override = lines
    days = pl.DataFrame({"wkey": [wkey, wkey], "eval_date": [d1, d2]})
    results, duties = evaluate_plan(inputs, days)
    computed = results.filter(pl.col("state") == "computed")
    value = {d: computed.filter(pl.col("eval_date") == d)["value_cents"].sum() for d in (d1, d2)}
    per = (
        duties.join(computed.select("uid", "eval_date", "hts10", "value_cents"), on="uid")
        .group_by("hid", "eval_date")
        .agg(
            duty=pl.col("amount_cents").sum(),
            codes=pl.col("hts10").unique(),
            value=pl.col("value_cents").sum(),
        )
    )
    at = {d: per.filter(pl.col("eval_date") == d).drop("eval_date") for d in (d1, d2)}
    effect = (
        at[d1]
        .join(at[d2], on="hid", how="full", suffix="_2", coalesce=True)
        .with_columns(
            hts10_lines=pl.concat_list(pl.col("codes").fill_null([]), pl.col("codes_2").fill_null([]))
            .list.unique()
            .list.len(),
            value_touched_usd=pl.max_horizontal(pl.col("value").fill_null(0), pl.col("value_2").fill_null(0))
            / 100,
            etr_effect_pp=(
                pl.col("duty_2").fill_null(0) / max(value[d2], 1)
                - pl.col("duty").fill_null(0) / max(value[d1], 1)
            )
            * 100,
        )
        .select("hid", "hts10_lines", "value_touched_usd", "etr_effect_pp")
    )
    feed = (
        events.join(effect, on="hid", how="left")
        .with_columns(
            pl.col("hts10_lines").fill_null(0),
            pl.col("value_touched_usd").fill_null(0.0),
            pl.col("etr_effect_pp").fill_null(0.0),
        )
        .drop("hid")
    )

    def etr(d: date) -> float:
        rows = computed.filter(pl.col("eval_date") == d)
        return float(rows["total_cents"].sum() / max(rows["value_cents"].sum(), 1) * 100)

    totals = {
        "from": d1.isoformat(),
        "to": d2.isoformat(),
        "weights": wkey,
        "hts_prefix": hts_prefix or "",
        "etr_from": round(etr(d1), 4),
        "etr_to": round(etr(d2), 4),
        "headings_changed": feed.select("measure_id", "heading").unique().height,
    }
    return feed, totals
