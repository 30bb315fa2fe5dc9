"""``tariffstack scenario``: baseline vs scenario by day, authority and sector, and the lines whose
duty changes most. Both sides are full engine runs over the same flows; days before the
scenario's first change are identical by construction and are not re-evaluated."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from tariffstack.analysis import breakdown, charts
from tariffstack.analysis.flows import Assumptions, load_flows
from tariffstack.analysis.report import _table_html, img, write_html
from tariffstack.analysis.scenarios import (
    apply,
    first_day,
    load_scenario,
    quota_lines,
    scenario_assumptions,
    scenario_engine,
)
from tariffstack.analysis.series import START, Inputs, Run, categories, run_series, weighted_lines
from tariffstack.api import Engine


def canadian_side(baseline: Engine, scenario_law_engine: Engine) -> pl.DataFrame:
    """Canada's orders the scenario changes, with the tariff items they list (from the law).

    The reference data has no Canadian imports from the U.S. by tariff item, so the effect on
    Canada's side is shown as what changes in law (items, rates), not as duty on trade.
    """

    def table(engine: Engine) -> pl.DataFrame:
        c = engine.compiled
        prov = c.provisions.filter(pl.col("measure_id").str.starts_with("ca/")).select(
            "pid", "measure_id", "heading"
        )
        items = c.scope.filter(pl.col("include")).group_by("pid").agg(items=pl.col("prefix").n_unique())
        rates = c.rates.group_by("pid").agg(history=pl.col("rate_text").fill_null("ends").str.join(" → "))
        return (
            prov.join(items, on="pid", how="left")
            .join(rates, on="pid", how="left")
            .group_by("measure_id", "heading")
            .agg(items=pl.col("items").sum(), history=pl.col("history").sort().str.join(" | "))
        )

    before, after = table(baseline), table(scenario_law_engine)
    return (
        before.join(after, on=["measure_id", "heading"], how="full", suffix="_scenario", coalesce=True)
        .filter(pl.col("history").ne_missing(pl.col("history_scenario")))
        .select(
            "measure_id", "heading", "items", history_baseline="history", history_scenario="history_scenario"
        )
        .sort("measure_id", "heading")
    )


def compare_days(base: Run, scen: Run) -> pl.DataFrame:
    cols = ["etr_total", "etr_owed", "tariff_free_share", "total_usd", "owed_usd", "uncomputed_share"]
    return (
        base.daily.select("date", *cols)
        .join(scen.daily.select("date", *cols), on="date", suffix="_scenario")
        .with_columns(
            etr_change_pp=pl.col("etr_total_scenario") - pl.col("etr_total"),
            duty_change_usd=pl.col("total_usd_scenario") - pl.col("total_usd"),
        )
    )


def compare_authorities(base: Run, scen: Run) -> pl.DataFrame:
    cats = sorted(set(base.categories["category"]) | set(scen.categories["category"]))
    rows = []
    for cat in ["mfn", *cats]:
        col = f"etr_{cat}"
        b = base.daily[col].mean() if col in base.daily.columns else 0.0
        s = scen.daily[col].mean() if col in scen.daily.columns else 0.0
        rows.append({"authority": cat, "baseline_mean_etr": b, "scenario_mean_etr": s, "change_pp": s - b})
    return pl.DataFrame(rows)


def top_changes(base: Run, scen: Run, day: date, n: int = 25) -> pl.DataFrame:
    def per_line(run: Run) -> pl.DataFrame:
        lines = breakdown.day_lines(run, day).filter(pl.col("state") == "computed")
        return lines.group_by("hts10").agg(
            value_usd=pl.col("value_cents").sum() / 100, duty_usd=pl.col("total_cents").sum() / 100
        )

    return (
        per_line(base)
        .join(per_line(scen).drop("value_usd"), on="hts10", how="full", suffix="_scenario", coalesce=True)
        .with_columns(change_usd=pl.col("duty_usd_scenario").fill_null(0) - pl.col("duty_usd").fill_null(0))
        .sort(pl.col("change_usd").abs(), descending=True)
        .head(n)
    )


def run_scenario(
    engine: Engine, data_dir: Path, path: Path, assumptions: Assumptions, out: Path | None = None
) -> dict:
    """Validate, apply and evaluate a scenario; write tables and charts under ``out`` if given."""
    law = engine.law
    scenario = load_scenario(path, law)
    s_engine = scenario_engine(engine, apply(law, scenario, path))
    s_assumptions = scenario_assumptions(assumptions, scenario)
    start = max(first_day(scenario) or START, START)
    base_flows = load_flows(data_dir, assumptions.weights, assumptions.own_months)
    s_flows = (
        base_flows
        if s_assumptions.weights == assumptions.weights
        else load_flows(data_dir, s_assumptions.weights, assumptions.own_months)
    )
    base = run_series(Inputs(engine, base_flows, assumptions, data_dir), start=start)
    s_inputs = Inputs(s_engine, s_flows, s_assumptions, data_dir)
    s_inputs.lines_override = quota_lines(weighted_lines(s_inputs), scenario, s_engine.law, data_dir)
    scen = run_series(s_inputs, start=start)
    days = compare_days(base, scen)
    authorities = compare_authorities(base, scen)
    day = date.fromisoformat(scenario.report_date) if scenario.report_date else max(start, date(2027, 6, 15))
    top = top_changes(base, scen, day)
    ca = canadian_side(engine, s_engine)
    sectors = (
        breakdown.by_sector(base, day, data_dir)
        .select("section", "section_name", "value_usd", etr_baseline="etr_pct")
        .join(
            breakdown.by_sector(scen, day, data_dir).select("section", etr_scenario="etr_pct"),
            on="section",
            how="full",
            coalesce=True,
        )
        .with_columns(change_pp=pl.col("etr_scenario") - pl.col("etr_baseline"))
        .sort("value_usd", descending=True)
    )
    summary = {
        "scenario": scenario.name,
        "from": start.isoformat(),
        "mean_etr_baseline": round(days["etr_total"].mean(), 4),
        "mean_etr_scenario": round(days["etr_total_scenario"].mean(), 4),
        "duty_change_usd": round(days["duty_change_usd"].sum(), 2),
        "canadian_orders_changed": ca.height,
    }
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        days.write_csv(out / "daily_diff.csv")
        authorities.write_csv(out / "authorities_diff.csv")
        top.write_csv(out / f"top_changes_{day}.csv")
        sectors.write_csv(out / f"sectors_diff_{day}.csv")
        ca.write_csv(out / "canadian_side_law.csv")
        note = f"Scenario {path.name}: {s_assumptions.label()}"
        fig = charts.diff_lines(base.daily, scen.daily, scenario.name, note, out / "etr_diff")
        body = [
            ("Summary", _table_html(pl.DataFrame([summary]))),
            ("Effective rate by day", img(fig[0], "baseline vs scenario")),
            ("By authority (mean over the days shown)", _table_html(authorities)),
            (f"By HS section on {day}", _table_html(sectors)),
            (f"Lines whose duty changes most on {day}", _table_html(top)),
            ("Canada's side: orders changed (law; no Canadian import flows in the data)", _table_html(ca)),
            ("What the data cannot show", f"<p>{scenario.data_limits or 'nothing noted'}</p>"),
        ]
        write_html(out, f"Scenario: {scenario.name}", scenario.description, body)
    return summary


__all__ = ["categories", "run_scenario"]
