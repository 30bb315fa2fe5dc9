"""``tariffstack report``: the daily series, breakdowns, charts and a self-contained index.html."""

from __future__ import annotations

import base64
import html
import json
from datetime import date
from pathlib import Path

import polars as pl

from tariffstack.analysis import breakdown, charts
from tariffstack.analysis.flows import Assumptions, load_flows
from tariffstack.analysis.series import Inputs, Run, categories, law_change_days, run_series
from tariffstack.api import Engine

DEFAULT_DATES = [date(2025, 10, 15), date(2026, 9, 15)]
EVENT_MIN_PP = 0.3  # annotate law changes that move the effective rate by at least this much


def baseline_run(
    engine: Engine, data_dir: Path, assumptions: Assumptions, extra_days: list[date] | None = None
) -> Run:
    flows = load_flows(data_dir, assumptions.weights, assumptions.own_months)
    return run_series(Inputs(engine, flows, assumptions, data_dir), extra_days=extra_days)


def daily_columns(run: Run) -> pl.DataFrame:
    """The published daily table: date, rates in percent, shares as fractions, money per day."""
    first = ["date", "etr_total", "etr_owed", "etr_mfn", "etr_additional"]
    cats = [f"etr_{c}" for c in run.categories["category"].to_list()]
    shares = [
        "tariff_free_share",
        "duty_free_share",
        "usmca_claim_share",
        "uncomputed_share",
        "prohibited_share",
    ]
    rest = [c for c in run.daily.columns if c not in {*first, *cats, *shares}]
    return run.daily.select(*first, *cats, *shares, *rest).with_columns(
        weights_after_last_month=pl.lit(run.weights)
    )


def events(engine: Engine, daily: pl.DataFrame) -> pl.DataFrame:
    """Law change days that move the effective rate, labelled with the measures whose dated values
    take effect then (from the compiled law). On the first day of a month with its own flows the
    move also contains the change of weights, and the label says so."""
    days = law_change_days(engine)
    rates = engine.compiled.rates.join(
        engine.compiled.provisions.select("pid", "heading", "measure_id"), on="pid"
    ).filter(pl.col("measure_id").str.starts_with("us/"))
    jumps = daily.select("date", "weights", jump=pl.col("etr_total").diff()).filter(
        pl.col("date").is_in(days)
    )
    out = []
    for day, weights, jump in jumps.iter_rows():
        if jump is None or abs(jump) < EVENT_MIN_PP:
            continue
        new_weights = day.day == 1 and weights == "month"
        on_day = rates.filter(pl.col("from_ts").dt.date() == day)
        measures = on_day["measure_id"].unique().sort().to_list()
        short = ", ".join(m.split("/", 1)[1] for m in measures[:3]) + ("…" if len(measures) > 3 else "")
        tail = f"{jump:+.1f}, with the month's new weights" if new_weights else f"{jump:+.1f}"
        out.append({"date": day, "jump_pp": round(jump, 2), "label": f"{day:%d %b %y}: {short} ({tail})"})
    return pl.DataFrame(out, schema={"date": pl.Date, "jump_pp": pl.Float64, "label": pl.String})


def reference_comparison(daily: pl.DataFrame, data_dir: Path) -> pl.DataFrame:
    """Budget Lab's published Canada rates beside ours on the same dates."""
    path = data_dir / "reference" / "budgetlab_reference_checks.csv"
    ref = pl.read_csv(path, infer_schema=False).filter(
        (pl.col("country") == "Canada")
        & pl.col("metric").is_in(["statutory_rate_import_weighted", "weighted_etr_canada_tracker"])
    )
    return (
        ref.select(
            "metric",
            date=pl.col("date").str.to_date(),
            budgetlab_pct=pl.col("value").cast(pl.Float64),
            notes="notes",
        )
        .join(daily.select("date", "etr_total", "etr_owed", "uncomputed_share"), on="date", how="left")
        .with_columns(diff_pp=(pl.col("etr_total") - pl.col("budgetlab_pct")).round(2))
        .sort("date")
    )


def _table_html(frame: pl.DataFrame, limit: int = 40) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    rows = []
    for row in frame.head(limit).iter_rows():
        cells = "".join(
            f"<td>{html.escape(f'{v:,.4f}' if isinstance(v, float) else str(v))}</td>" for v in row
        )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def write_html(out: Path, title: str, note: str, sections: list[tuple[str, str]]) -> Path:
    """One self-contained page: charts inlined as base64 PNG, tables as HTML."""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;font-size:12px;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:2px 6px}"
        "th{background:#f3f3f3}td{text-align:right}img{max-width:100%}.note{color:#555;font-size:13px}</style>",
        f"</head><body><h1>{html.escape(title)}</h1><p class='note'>{html.escape(note)}</p>",
    ]
    for heading, body in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>{body}")
    parts.append("</body></html>")
    target = out / "index.html"
    target.write_text("\n".join(parts), encoding="utf-8")
    return target


def img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{data}'>"


def write_report(
    engine: Engine, data_dir: Path, out: Path, assumptions: Assumptions, dates: list[date] | None = None
) -> dict:
    """Compute the series and write every output under ``out``; returns a summary dict."""
    dates = dates or DEFAULT_DATES
    out.mkdir(parents=True, exist_ok=True)
    run = baseline_run(engine, data_dir, assumptions)
    table = daily_columns(run)
    table.write_csv(out / "daily.csv")
    table.write_parquet(out / "daily.parquet")
    note = assumptions.label()
    heads = categories(engine)
    codes = run.lines["hts10"].unique()
    desc = breakdown.descriptions(engine.store, codes)
    sectors: dict[str, pl.DataFrame] = {}
    sections_html: list[tuple[str, str]] = []
    for day in dates:
        tag = day.isoformat()
        sector = breakdown.by_sector(run, day, data_dir, "section")
        chapter = breakdown.by_sector(run, day, data_dir, "chapter")
        heading = breakdown.by_heading(run, day, heads)
        top = breakdown.top_lines(run, day, 25, desc)
        sector.write_csv(out / f"sections_{tag}.csv")
        chapter.write_csv(out / f"chapters_{tag}.csv")
        heading.write_csv(out / f"headings_{tag}.csv")
        top.write_csv(out / f"top_lines_{tag}.csv")
        sectors[tag] = sector
        sections_html += [
            (f"By HS section, {tag}", _table_html(sector)),
            (f"By measure and heading, {tag}", _table_html(heading)),
            (f"Top lines by duty, {tag}", _table_html(top, 25)),
        ]
    ev = events(engine, table)
    ev.write_csv(out / "events.csv")
    figures = {
        "timeline": charts.timeline(table, ev, note, out / "timeline"),
        "by_authority": charts.stacked(table, run.categories, note, out / "by_authority"),
        "sectors": charts.sector_bars(sectors, note, out / "sectors"),
        "tariff_free": charts.tariff_free(table, note, out / "tariff_free"),
    }
    ref = reference_comparison(table, data_dir)
    ref.write_csv(out / "budgetlab_comparison.csv")
    key = answers_85(table)
    (out / "summary.json").write_text(
        json.dumps({"assumptions": note, **key}, indent=2, default=str), encoding="utf-8"
    )
    monthly = (
        table.group_by(month=pl.col("date").dt.truncate("1mo"))
        .agg(
            pl.col("etr_total").mean(),
            pl.col("etr_owed").mean(),
            pl.col("tariff_free_share").mean(),
            pl.col("uncomputed_share").mean(),
        )
        .sort("month")
    )
    body = [
        ("Effective rate by day", img(figures["timeline"][0], "timeline")),
        ("By authority", img(figures["by_authority"][0], "stacked area by authority")),
        (
            "Tariff-free share and the 85% claim",
            img(figures["tariff_free"][0], "tariff-free share") + _table_html(pl.DataFrame([key])),
        ),
        ("By HS section", img(figures["sectors"][0], "sector bars")),
        ("Monthly means of the daily series", _table_html(monthly, 40)),
        ("Legal events annotated", _table_html(ev, 60)),
        ("Beside the Yale Budget Lab reference numbers", _table_html(ref)),
        *sections_html,
    ]
    write_html(out, "What the tariff war costs Canadian trade, day by day", note, body)
    return {
        "days": table.height,
        "evaluation_points": run.points.height,
        "lines_evaluated": run.lines.height,
        **key,
    }


def answers_85(daily: pl.DataFrame) -> dict:
    """The numbers behind the 85% question: October 2025, and from 22 Aug 2026 on."""
    oct25 = daily.filter(pl.col("date").dt.strftime("%Y-%m") == "2025-10")
    after = daily.filter((pl.col("date") >= date(2026, 8, 22)) & (pl.col("date") <= date(2026, 12, 31)))
    return {
        "oct2025_tariff_free_share": round(oct25["tariff_free_share"].mean(), 4),
        "oct2025_usmca_claim_share": round(oct25["usmca_claim_share"].mean(), 4),
        "oct2025_duty_free_share": round(oct25["duty_free_share"].mean(), 4),
        "from_2026_08_22_tariff_free_share": round(after["tariff_free_share"].mean(), 4),
        "from_2026_08_22_usmca_claim_share": round(after["usmca_claim_share"].mean(), 4),
    }
