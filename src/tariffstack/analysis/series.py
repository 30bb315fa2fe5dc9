"""The daily series: the engine run over the trade flows once per law change point, then expanded.

Within a day the law is read at 12:00 noon ET (the engine's reading of a date without a time),
after the 12:00 a.m. and 12:01 a.m. boundaries the instruments use. The result of a day changes
only when (a) the law changes — a breakpoint of the compiled law (any rate, scope or rule of any
measure starts or ends), (b) the schedule changes for a code with Canadian trade — a revision that
starts or ends an MFN interval of such a code, or (c) the weights change — the first day of each
month with its own flows, and the first day after the last one. These are the *evaluation dates*;
each day takes the result of the last evaluation date at or before it, with its month's weights.

All (evaluation date × flow line) rows go to the engine in as few frames as memory allows
(``chunk_lines``), through :func:`tariffstack.analysis.run.evaluate_raw`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import polars as pl

from tariffstack.analysis.flows import PROJECTION, Assumptions, Flows, content_columns, split_lines
from tariffstack.analysis.run import evaluate_raw
from tariffstack.api import Engine

START = date(2025, 1, 1)
END = date(2027, 12, 31)
NOON = time(12, 0)
CHUNK_LINES = 400_000
# Engine MFN error codes (tariffstack.engine.evaluate._mfn) → why a line could not be computed.
MFN_ERRORS = {
    1: "code not in the schedule in force",
    2: "USMCA claim on a line without a USMCA rate",
    3: "rate needs a fact beyond value (component, reference, text)",
    4: "specific rate needs a quantity",
    5: "specific rate in another unit",
    6: "second specific rate needs a quantity",
}


@dataclass
class Inputs:
    """What a run needs: the engine (baseline or scenario law), the flows, the assumptions."""

    engine: Engine
    flows: Flows
    assumptions: Assumptions
    data_dir: Path
    lines_override: pl.DataFrame | None = None  # scenario quota splits (see scenarios.apply_quota)


@dataclass
class Run:
    """Per-line results and the aggregates.

    - ``lines``: one row per (weight key, evaluation date, HTS10, claimed part): ``uid``, ``wkey``,
      ``eval_date``, ``hts10``, ``claimed``, ``value_cents``, ``state`` (computed / uncomputed /
      prohibited), ``reason``, ``total_cents``, ``owed_cents``, ``additional_cents``, ``void_cents``;
    - ``duties``: (uid, category, pid, hid, amount_cents) for every applied Chapter 99 provision;
    - ``points``: one row per (wkey, eval_date) with the sums and rates;
    - ``daily``: one row per day;
    - ``categories``: category, label, authority (derived from the law's measures).
    """

    lines: pl.DataFrame
    duties: pl.DataFrame
    points: pl.DataFrame
    daily: pl.DataFrame
    categories: pl.DataFrame
    assumptions: Assumptions
    weights: str


def categories(engine: Engine) -> pl.DataFrame:
    """Provision → reporting category, derived from the law: the measure id without the importing
    country (``ieepa/canada`` → ``ieepa_canada``; Section 232 keeps its program: ``s232_steel``)."""
    measures = engine.compiled.measures.select("mid", "measure_id", "importing_country")
    return (
        engine.compiled.provisions.select("pid", "hid", "mid", "heading", "authority", "is_deposit")
        .join(measures, on="mid")
        .with_columns(
            category=pl.col("measure_id").str.splitn("/", 2).struct.field("field_1").str.replace_all("/", "_")
        )
        .with_columns(
            label=pl.col("authority").str.split(",").list.first()
            + pl.lit(" (")
            + pl.col("measure_id").str.split("/").list.last().str.replace_all("_", " ")
            + pl.lit(")")
        )
    )


def category_table(engine: Engine) -> pl.DataFrame:
    cats = categories(engine).filter((pl.col("importing_country") == "US") & ~pl.col("is_deposit"))
    return (
        cats.group_by("category")
        .agg(pl.col("label").first(), pl.col("authority").first(), pl.col("measure_id").first())
        .sort("category")
    )


def _day(ts: datetime) -> date:
    """The first day whose noon reading sees a change at ``ts``."""
    return ts.date() if ts.time() <= NOON else ts.date() + timedelta(days=1)


def law_change_days(engine: Engine, start: date = START, end: date = END) -> list[date]:
    """Days on which any rate, scope or rule of the compiled law changes (its breakpoints)."""
    return sorted({_day(ts) for ts in engine.compiled.breakpoints.to_list() if start <= _day(ts) <= end})


def schedule_change_days(
    engine: Engine, codes: pl.Series, start: date = START, end: date = END
) -> list[date]:
    """Revision dates on which an MFN interval of one of ``codes`` starts or ends."""
    mfn = engine.store.mfn_indexed.filter(pl.col("hts10").is_in(codes.implode()))
    days = set(mfn["valid_from"].to_list()) | set(mfn["valid_to"].to_list())
    return sorted(d for d in days if start <= d <= end)


def _month_starts(start: date, end: date) -> list[date]:
    out, day = [], date(start.year, start.month, 1)
    while day <= end:
        out.append(day)
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return out


def plan(
    inputs: Inputs, start: date = START, end: date = END, extra_days: list[date] | None = None
) -> pl.DataFrame:
    """One row per day: ``date``, ``wkey`` (the month's own flows, or the projection), ``eval_date``."""
    flows = inputs.flows
    codes = pl.concat([flows.monthly["hts10"], flows.projection["hts10"]]).unique()
    months = sorted(set(flows.monthly["month"].to_list()))
    last = flows.last_month if months else start - timedelta(days=1)
    evals = (
        set(law_change_days(inputs.engine, start, end))
        | set(schedule_change_days(inputs.engine, codes, start, end))
        | {m for m in _month_starts(start, end) if m <= last + timedelta(days=31)}
        | {start}
        | set(extra_days or [])
    )
    evals = sorted(d for d in evals if start <= d <= end)
    days = pl.DataFrame({"date": pl.date_range(start, end, "1d", eager=True)})
    month_set = set(months)
    return (
        days.join_asof(pl.DataFrame({"eval_date": evals}), left_on="date", right_on="eval_date")
        .with_columns(month=pl.col("date").dt.truncate("1mo"))
        .with_columns(
            wkey=pl.when(pl.col("month").is_in(list(month_set)))
            .then(pl.col("month").dt.strftime("%Y-%m"))
            .otherwise(pl.lit(PROJECTION))
        )
        .select("date", "wkey", "eval_date")
    )


def weighted_lines(inputs: Inputs) -> pl.DataFrame:
    """The claimed/unclaimed lines of every weight key, with the assumptions' facts."""
    if inputs.lines_override is not None:
        return inputs.lines_override
    flows = inputs.flows
    table = pl.concat(
        [
            flows.monthly.select(
                wkey=pl.col("month").dt.strftime("%Y-%m"),
                hts10="hts10",
                total_cents="total_cents",
                usmca_cents="usmca_cents",
            ),
            flows.projection.select(
                wkey=pl.lit(PROJECTION), hts10="hts10", total_cents="total_cents", usmca_cents="usmca_cents"
            ),
        ]
    )
    return content_columns(split_lines(table, inputs.assumptions), inputs.data_dir, inputs.assumptions)


def raw_frame(lines: pl.DataFrame) -> pl.DataFrame:
    """Flow lines (with ``eval_date``) → entry-line fields for the engine."""
    cols: dict[str, pl.Expr] = {
        "hts": pl.col("hts10"),
        "origin": pl.lit("CA"),
        "entry_date": pl.col("eval_date").dt.combine(NOON),
        "value": pl.col("value_cents") / 100,
        "spi": pl.when(pl.col("claimed")).then(pl.lit("S")),
    }
    for name in ("steel_value", "aluminum_value", "copper_value", "us_content_value"):
        cents = f"{name}_cents"
        if cents in lines.columns and lines[cents].null_count() < lines.height:
            cols[name] = pl.col(cents) / 100
    dated = pl.col("eval_date") >= pl.col("fact_from") if "fact_from" in lines.columns else pl.lit(True)
    for name in (
        "commerce_approved_us_content",
        "commerce_approved_quantity",
        "melt_country",
        "smelt_country",
    ):
        if name in lines.columns and lines[name].null_count() < lines.height:
            quota_fact = name != "commerce_approved_us_content"  # scenario quota facts hold from their date
            cols[name] = pl.when(dated).then(pl.col(name)) if quota_fact else pl.col(name)
    return lines.select(**cols)


def _evaluate_chunk(
    engine: Engine, chunk: pl.DataFrame, cats: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    evaluation = evaluate_raw(engine, raw_frame(chunk))
    summary = evaluation.summary.sort("line_id")
    base = int(chunk["uid"][0])  # chunk uids are contiguous: uid = base + row index
    state = (
        pl.when(pl.col("error").is_not_null() | pl.col("mfn_error").is_not_null())
        .then(pl.lit("uncomputed"))
        .when(pl.col("prohibited"))
        .then(pl.lit("prohibited"))
        .otherwise(pl.lit("computed"))
    )
    reason = (
        pl.when(pl.col("error").is_not_null())
        .then(pl.col("error"))
        .otherwise(pl.col("mfn_error").replace_strict(MFN_ERRORS, default=None, return_dtype=pl.String))
    )
    results = summary.select(
        uid=pl.col("line_id") + base,
        state=state,
        reason=reason,
        total_cents="total_cents",
        owed_cents="owed_cents",
        additional_cents="additional_cents",
        void_cents="void_cents",
    )
    duties = (
        evaluation.lines.filter(~pl.col("is_deposit"))
        .select(uid=pl.col("line_id") + base, pid="pid", hid="hid", amount_cents="amount_cents")
        .join(cats.select("pid", "category"), on="pid", how="left")
    )
    return results, duties


def evaluate_plan(
    inputs: Inputs, days: pl.DataFrame, chunk_lines: int = CHUNK_LINES
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every (wkey, eval_date) pair × its lines through the engine; per-line results and duties."""
    pairs = days.select("wkey", "eval_date").unique().sort("eval_date", "wkey")
    lines = weighted_lines(inputs)
    frame = (
        pairs.join(lines, on="wkey")
        .sort("eval_date", "wkey", "hts10", "claimed")
        .with_row_index("uid")
        .with_columns(pl.col("uid").cast(pl.Int64))
    )
    cats = categories(inputs.engine)
    results, duties = [], []
    for offset in range(0, frame.height, chunk_lines):
        chunk = frame.slice(offset, chunk_lines)
        res, dut = _evaluate_chunk(inputs.engine, chunk, cats)
        results.append(res)
        duties.append(dut)
    keep = [c for c in ("uid", "wkey", "eval_date", "hts10", "claimed", "value_cents") if c in frame.columns]
    out = frame.select(keep).join(pl.concat(results), on="uid")
    return out, pl.concat(duties) if duties else pl.DataFrame()


def aggregate(lines: pl.DataFrame, duties: pl.DataFrame, cats: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Sums and rates over ``by`` (e.g. wkey, eval_date). Rates are in percent of the computed value
    (uncomputed and prohibited lines out of numerator and denominator); shares are fractions."""
    computed = pl.col("state") == "computed"
    value = pl.col("value_cents")
    sums = lines.group_by(by).agg(
        value_all_cents=value.sum(),
        value_cents=value.filter(computed).sum(),
        uncomputed_cents=value.filter(pl.col("state") == "uncomputed").sum(),
        prohibited_cents=value.filter(pl.col("state") == "prohibited").sum(),
        total_cents=pl.col("total_cents").filter(computed).sum(),
        owed_cents=pl.col("owed_cents").filter(computed).sum(),
        additional_cents=pl.col("additional_cents").filter(computed).sum(),
        void_cents=pl.col("void_cents").filter(computed).sum(),
        tariff_free_cents=value.filter(computed & (pl.col("additional_cents") == 0)).sum(),
        duty_free_cents=value.filter(computed & (pl.col("total_cents") == 0)).sum(),
        usmca_claimed_cents=value.filter(computed & pl.col("claimed")).sum(),
    )
    keyed = duties.join(lines.filter(computed).select("uid", *by), on="uid")
    wide = (
        keyed.group_by(*by, "category")
        .agg(cents=pl.col("amount_cents").sum())
        .pivot(on="category", index=by, values="cents")
        if keyed.height
        else lines.select(by).unique()
    )
    names = cats["category"].to_list()
    for name in names:
        if name not in wide.columns:
            wide = wide.with_columns(pl.lit(0, dtype=pl.Int64).alias(name))
    out = sums.join(wide.select(*by, *names), on=by, how="left").with_columns(
        [pl.col(n).fill_null(0) for n in names]
    )
    denom = pl.col("value_cents").cast(pl.Float64)
    rate = {
        "etr_total": pl.col("total_cents") / denom * 100,
        "etr_owed": pl.col("owed_cents") / denom * 100,
        "etr_mfn": (pl.col("total_cents") - pl.col("additional_cents")) / denom * 100,
        "etr_additional": pl.col("additional_cents") / denom * 100,
        **{f"etr_{n}": pl.col(n) / denom * 100 for n in names},
        "tariff_free_share": pl.col("tariff_free_cents") / denom,
        "duty_free_share": pl.col("duty_free_cents") / denom,
        "usmca_claim_share": pl.col("usmca_claimed_cents") / denom,
        "uncomputed_share": pl.col("uncomputed_cents") / pl.col("value_all_cents"),
        "prohibited_share": pl.col("prohibited_cents") / pl.col("value_all_cents"),
    }
    return out.with_columns(**rate).rename({n: f"duty_{n}_cents" for n in names})


def daily(days: pl.DataFrame, points: pl.DataFrame) -> pl.DataFrame:
    """Each day takes its (wkey, eval_date) point; money per day = the month's flows ÷ its days."""
    per_day = pl.col("date").dt.month_end().dt.day().cast(pl.Float64)
    money = [c for c in points.columns if c.endswith("_cents")]
    rates = [c for c in points.columns if c.startswith("etr_") or c.endswith("_share")]
    return (
        days.join(points, on=["wkey", "eval_date"], how="left")
        .select(
            "date",
            *rates,
            **{
                c.replace("_cents", "_usd"): (pl.col(c) / 100 / per_day).round(2)
                for c in money
                if c in ("value_all_cents", "value_cents", "total_cents", "owed_cents", "void_cents")
            },
            weights=pl.when(pl.col("wkey") == PROJECTION)
            .then(pl.lit("projection"))
            .otherwise(pl.lit("month")),
            eval_date="eval_date",
        )
        .sort("date")
    )


def run_series(
    inputs: Inputs,
    start: date = START,
    end: date = END,
    chunk_lines: int = CHUNK_LINES,
    extra_days: list[date] | None = None,
) -> Run:
    """The full daily series (and everything the report needs) for one law and one set of assumptions."""
    days = plan(inputs, start, end, extra_days)
    lines, duties = evaluate_plan(inputs, days, chunk_lines)
    cats = category_table(inputs.engine)
    points = aggregate(lines, duties, cats, ["wkey", "eval_date"])
    return Run(
        lines=lines,
        duties=duties,
        points=points,
        daily=daily(days, points),
        categories=cats,
        assumptions=inputs.assumptions,
        weights=inputs.flows.weights,
    )
