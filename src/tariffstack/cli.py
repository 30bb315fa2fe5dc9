"""Command line: build the store, download the schedule, compute and explain duty stacks, lint the law.

``calc`` prints the public JSON contract (see the README); ``explain`` renders the same results for
one line as a table. Both run the same evaluation.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from tariffstack.api import Engine
from tariffstack.io.raw import InputError
from tariffstack.settings import Settings

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

app = typer.Typer(add_completion=False, help="Canada–U.S. tariff stacks: duty owed, measure, base and why.")


@cache
def err() -> Console:
    """The console for messages (stderr). Rich is imported on first use: a ``calc`` that prints JSON
    never loads it (~30 ms of a cold start)."""
    from rich.console import Console

    return Console(stderr=True)


COVERAGE_DATES = ["2025-09-15", "2026-09-15"]  # the README table counts lines in scope on these dates

DataOpt = Annotated[str | None, typer.Option("--data", help="Reference data dir (default ../shared/data)")]
StoreOpt = Annotated[str | None, typer.Option("--store", help="Local store dir (default .store)")]


def _read_text(source: str) -> bytes:
    """The bytes of a file or ``-`` (stdin)."""
    try:
        return sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise _fail(f"input: cannot read {source!r}: {exc.strerror}") from exc


def _read_rows(source: str) -> list[Any]:
    """Entry lines from a file or ``-`` (stdin): a JSON list of objects, or one object."""
    text = _read_text(source).decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(f"input: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    if isinstance(data, dict):
        return [data]
    if not isinstance(data, list):
        raise _fail(f"input: expected a JSON list of entry-line objects, got {type(data).__name__}")
    return data


def _fail(message: str) -> typer.Exit:
    err().print(f"[red]error[/red] {message}", highlight=False)
    return typer.Exit(code=2)


@app.command("build-store")
def build_store_cmd(data: DataOpt = None, store: StoreOpt = None) -> None:
    """Import every HTS revision JSON under <data>/hts into the local Parquet store."""
    from tariffstack.hts.store import build_ca_cusma, build_store

    settings = Settings.from_env(data, store)
    if not settings.hts_dir.exists():
        raise _fail(f"data: {settings.hts_dir} does not exist (set --data or TARIFFSTACK_DATA_DIR)")
    counts = build_store(settings.hts_dir, settings.change_records_dir, settings.store_dir)
    counts["ca_cusma_lines"] = build_ca_cusma(settings.data_dir / "canada", settings.store_dir)
    err().print(f"store built in {settings.store_dir}: {counts}")


@app.command()
def download(
    dest: Annotated[Path, typer.Option(help="Directory for hts_<year>_<rev>.json.gz files")],
    year: Annotated[list[int] | None, typer.Option(help="Only these years (default: 2025 on)")] = None,
    release_list: Annotated[str | None, typer.Option(help="Release list URL")] = None,
    file_url: Annotated[str | None, typer.Option(help="Per-release JSON URL template with {release}")] = None,
    force: Annotated[bool, typer.Option(help="Re-download files that exist")] = False,
) -> None:
    """Download the official USITC HTS JSON for every release into DEST."""
    from tariffstack.hts import download as dl

    written = dl.download(
        dest,
        years=set(year) if year else None,
        release_list_url=release_list or dl.RELEASE_LIST_URL,
        file_url_template=file_url or dl.FILE_URL_TEMPLATE,
        force=force,
    )
    err().print(f"{len(written)} file(s) written to {dest}")


@app.command()
def calc(
    source: Annotated[str, typer.Argument(help="JSON file of entry lines, or - for stdin")],
    data: DataOpt = None,
    store: StoreOpt = None,
    law: Annotated[Path | None, typer.Option(help="Law directory (default: the packaged law)")] = None,
    compact: Annotated[bool, typer.Option(help="One line of JSON")] = False,
) -> None:
    """Compute the duty stack of each entry line; print the JSON results (one object per line)."""
    text = _read_text(source)
    engine = Engine(Settings.from_env(data, store), law)
    try:
        out = engine.calc_json(text)
    except InputError as exc:
        raise _fail(str(exc)) from exc
    if not compact:
        out = orjson.dumps(orjson.loads(out), option=orjson.OPT_INDENT_2)
    sys.stdout.buffer.write(out + b"\n")
    sys.stdout.flush()


@app.command()
def explain(
    source: Annotated[str | None, typer.Argument(help="JSON file with one entry line, or -")] = None,
    hts: Annotated[str | None, typer.Option(help="HTS code")] = None,
    origin: Annotated[str, typer.Option(help="Country of origin")] = "CA",
    date: Annotated[str | None, typer.Option("--date", help="Entry date (YYYY-MM-DD[THH:MM], ET)")] = None,
    value: Annotated[str | None, typer.Option(help="Entered value")] = None,
    spi: Annotated[str | None, typer.Option(help="Special program claim, e.g. S")] = None,
    data: DataOpt = None,
    store: StoreOpt = None,
) -> None:
    """Explain one line as a table: Data | Calculation | Value."""
    if source is not None:
        rows = _read_rows(source)
        if len(rows) != 1:
            raise _fail(f"input: explain takes one entry line, got {len(rows)}")
        row = rows[0]
    else:
        row = {"hts": hts, "origin": origin, "entry_date": date, "value": value}
        if spi:
            row["spi"] = spi
    result = Engine(Settings.from_env(data, store)).calc([row])[0]
    from rich.console import Console

    Console().print(render_explanation(row, result))
    if result["error"]:
        raise typer.Exit(code=1)


def render_explanation(row: dict[str, Any], result: dict[str, Any]) -> Table:
    """The same result object as ``calc``, laid out for a reader."""
    from rich.table import Table

    table = Table(title=f"{result.get('hts') or row.get('hts')}  {result.get('description') or ''}")
    table.add_column("Data")
    table.add_column("Calculation")
    table.add_column("Value", justify="right")
    table.add_row(
        "Entry",
        f"origin {row.get('origin')}, entered {result.get('entry_date')} ET, spi {row.get('spi') or '-'}",
        str(row.get("value")),
    )
    if result["error"]:
        table.add_row("[red]Error[/red]", result["error"]["message"], "")
        return table
    for line in result["lines"]:
        ref = line["reference"]
        calc_text = f"{line['rate']} × {line['base']} ({line['base_kind']})"
        table.add_row(
            f"{line['heading']}\n[dim]{line['measure']}[/dim]",
            f"{calc_text}\n[dim]{ref['instrument']}; {ref['citation']}[/dim]",
            line["amount"],
        )
    for item in result["not_applied"]:
        table.add_row(
            f"[dim]{item['heading'] or item['measure']}[/dim]",
            f"[dim]not applied: {item['reason']}[/dim]",
            "",
        )
    table.add_row(
        "[bold]Total duty[/bold]",
        f"effective rate {result['effective_rate']}%",
        f"[bold]{result['total_duty']}[/bold]",
    )
    if result["refundable"] != "0.00":
        table.add_row(
            "Owed after Learning Resources v. Trump", "IEEPA amounts void, refundable", result["owed_duty"]
        )
    if result["adcvd_total"] != "0.00":
        table.add_row("AD/CVD deposits", "kept apart from customs duties", result["adcvd_total"])
    for caveat in result["caveats"]:
        table.add_row("[yellow]Caveat[/yellow]", caveat, "")
    return table


@app.command()
def lint(
    data: DataOpt = None,
    store: StoreOpt = None,
    law: Annotated[Path | None, typer.Option(help="Law directory")] = None,
) -> None:
    """Check the law files (references, date order, HTS prefixes in force, list provenance and levels,
    overlapping provisions declared)."""
    from tariffstack.hts.store import Store
    from tariffstack.law.lint import lint_law
    from tariffstack.law.loader import load_law

    settings = Settings.from_env(data, store)
    issues = lint_law(load_law(law), Store(settings.store_dir), data_dir=settings.data_dir, law_dir=law)
    for issue in issues:
        err().print(str(issue), highlight=False)
    err().print(f"{len(issues)} issue(s)")
    if issues:
        raise typer.Exit(code=1)


@app.command()
def schema(
    out: Annotated[Path, typer.Option(help="Directory for the JSON Schema files")] = Path(
        "src/tariffstack/schema"
    ),
) -> None:
    """Write the JSON Schema of measure files and rule files."""
    from tariffstack.law.schema import write_schemas

    for path in write_schemas(out):
        err().print(f"wrote {path}")


@app.command("coverage")
def coverage_cmd(
    days: Annotated[
        list[str] | None, typer.Option("--date", help="Date(s) for the HTS10 line counts (repeatable)")
    ] = None,
    readme: Annotated[
        Path | None, typer.Option(help="Rewrite the table between the markers of this file")
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Print (or write into the README) the coverage table generated from the law files."""
    from datetime import date as date_type

    from tariffstack.engine.coverage import coverage_markdown, replace_block
    from tariffstack.hts.store import Store
    from tariffstack.law.loader import load_law

    table = coverage_markdown(
        load_law(),
        Store(Settings.from_env(None, store).store_dir),
        [date_type.fromisoformat(day) for day in days or COVERAGE_DATES],
    )
    if readme is None:
        sys.stdout.write(table + "\n")
    else:
        readme.write_text(replace_block(readme.read_text(encoding="utf-8"), table), encoding="utf-8")


@app.command("rate-coverage")
def rate_coverage(
    revision: Annotated[str, typer.Option(help="Revision key")] = "2026_rev_10", store: StoreOpt = None
) -> None:
    """Share of HTS10 lines (chapters 01-97) whose general rate parsed into a structured rate."""
    from tariffstack.hts.coverage import rate_coverage as measure

    report = measure(Engine(Settings.from_env(None, store)).store, revision)
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


# --- analysis (issue 14): the engine over the trade flows; implementation in tariffstack.analysis ---

WeightsOpt = Annotated[
    str,
    typer.Option(
        "--weights", help="Weights after the last monthly file: latest12 | 2025H2 | 2024annual | budgetlab"
    ),
]
ContentOpt = Annotated[str, typer.Option("--content", help="Metal content: full | bea | flat:S")]
UsContentOpt = Annotated[
    float, typer.Option("--us-content", help="U.S. content share declared on USMCA chapter 87 goods")
]


AllDaysOpt = Annotated[
    bool,
    typer.Option(
        "--weights-all-days", help="Use the --weights set on every day, not only after the last month"
    ),
]


def _analysis_setup(
    data: str | None, store: str | None, weights: str, content: str, us_content: float, all_days: bool = False
):
    from tariffstack.analysis.flows import AssumptionError, Assumptions

    settings = Settings.from_env(data, store)
    try:
        assumptions = Assumptions(
            content=content, us_content=us_content, weights=weights, own_months=not all_days
        )
    except AssumptionError as exc:
        raise _fail(str(exc)) from exc
    return Engine(settings), settings.data_dir, assumptions


def _day(value: str, option: str):
    from datetime import date as date_type

    try:
        return date_type.fromisoformat(value)
    except ValueError as exc:
        raise _fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from exc


@app.command("report")
def report_cmd(
    out: Annotated[Path, typer.Option("--out", help="Output directory")],
    days: Annotated[list[str] | None, typer.Option("--date", help="Breakdown date(s), repeatable")] = None,
    weights: WeightsOpt = "latest12",
    content: ContentOpt = "full",
    us_content: UsContentOpt = 0.0,
    all_days: AllDaysOpt = False,
    data: DataOpt = None,
    store: StoreOpt = None,
) -> None:
    """Daily effective rate on goods of Canada 2025-2027 (engine over the trade flows), charts, index.html."""
    from tariffstack.analysis.report import write_report

    engine, data_dir, assumptions = _analysis_setup(data, store, weights, content, us_content, all_days)
    dates = [_day(d, "--date") for d in days] if days else None
    try:
        summary = write_report(engine, data_dir, out, assumptions, dates)
    except (FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    json.dump(summary, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


@app.command("scenario")
def scenario_cmd(
    file: Annotated[Path, typer.Argument(help="Scenario YAML (see src/tariffstack/analysis/scenarios/)")],
    out: Annotated[Path | None, typer.Option("--out", help="Output directory for tables and charts")] = None,
    weights: WeightsOpt = "latest12",
    content: ContentOpt = "full",
    us_content: UsContentOpt = 0.0,
    all_days: AllDaysOpt = False,
    data: DataOpt = None,
    store: StoreOpt = None,
) -> None:
    """Baseline vs scenario: effective rate and duty by day, authority and sector; lines changing most."""
    from tariffstack.analysis.diff import run_scenario
    from tariffstack.analysis.scenarios import ScenarioError

    if not file.exists():
        raise _fail(f"scenario: {file} does not exist")
    engine, data_dir, assumptions = _analysis_setup(data, store, weights, content, us_content, all_days)
    try:
        summary = run_scenario(engine, data_dir, file, assumptions, out)
    except ScenarioError as exc:
        raise _fail(str(exc)) from exc
    json.dump(summary, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


@app.command("changes")
def changes_cmd(
    from_: Annotated[str, typer.Option("--from", help="First date (YYYY-MM-DD)")],
    to: Annotated[str, typer.Option("--to", help="Second date (YYYY-MM-DD)")],
    hts: Annotated[str | None, typer.Option("--hts", help="Only HTS codes starting with this prefix")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table")] = False,
    weights: WeightsOpt = "latest12",
    data: DataOpt = None,
    store: StoreOpt = None,
) -> None:
    """Every heading whose rate, scope or precedence changed between two dates, with its effect."""
    from tariffstack.analysis.changes import change_feed

    engine, data_dir, assumptions = _analysis_setup(data, store, weights, "full", 0.0)
    try:
        feed, totals = change_feed(
            engine, data_dir, _day(from_, "--from"), _day(to, "--to"), hts, assumptions
        )
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        json.dump({**totals, "changes": feed.to_dicts()}, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"Law changes {totals['from']} → {totals['to']} "
        f"(effective rate {totals['etr_from']}% → {totals['etr_to']}%)"
    )
    for col in (
        "effective",
        "measure_id",
        "heading",
        "change",
        "rate_before",
        "rate_after",
        "instrument",
        "hts10_lines",
        "value_touched_usd",
        "etr_effect_pp",
    ):
        table.add_column(col)
    for row in feed.iter_rows(named=True):
        table.add_row(
            *[
                str(row["effective"]),
                row["measure_id"],
                row["heading"],
                row["change"],
                row["rate_before"] or "",
                row["rate_after"] or "",
                (row["instrument"] or "")[:60],
                str(row["hts10_lines"]),
                f"{row['value_touched_usd']:,.0f}",
                f"{row['etr_effect_pp']:+.3f}",
            ]
        )
    Console(width=220).print(table)


@app.command("scenario-schema")
def scenario_schema_cmd() -> None:
    """Write the JSON Schema of scenario files to src/tariffstack/schema/scenario.schema.json."""
    from tariffstack.analysis.scenarios import write_scenario_schema

    err().print(f"wrote {write_scenario_schema()}")


# --- web (issue 13): the local web app and HTTP API; implementation in tariffstack.web ---


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    data: DataOpt = None,
    store: StoreOpt = None,
    all_cpus: Annotated[
        bool,
        typer.Option(
            "--all-cpus", help="Let every thread run on every CPU (default: one CPU but for large jobs)"
        ),
    ] = False,
) -> None:
    """Serve the web app and the HTTP API (prints the URL)."""
    from tariffstack.web.server import serve as run_server

    run_server(host, port, Settings.from_env(data, store), all_cpus=all_cpus)


# --- batch (issue 12): entry files in and out; implementation in tariffstack.batch ---


@app.command()
def batch(
    source: Annotated[Path, typer.Argument(help="Entry lines: .csv, .xlsx or .parquet")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Results file: .csv, .xlsx or .parquet")],
    in_format: Annotated[
        str | None, typer.Option("--format", help="Input format (csv, xlsx, parquet)")
    ] = None,
    column_map: Annotated[
        list[str] | None,
        typer.Option("--map", help="'Header=field' for a column the synonyms miss (repeatable)"),
    ] = None,
    lines: Annotated[bool, typer.Option("--lines", help="Add one row per Chapter 99 line")] = False,
    refunds: Annotated[Path | None, typer.Option("--refunds", help="Directory for the refund report")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date for refund routes (default today)")
    ] = None,
    dask: Annotated[str | None, typer.Option("--dask", help="Scheduler address, or local:N")] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Chunks computed at once here (default 2; not with --dask)"),
    ] = None,
    data: DataOpt = None,
    store: StoreOpt = None,
) -> None:
    """Compute every row of a batch file; write the results, a summary, and the refund report."""
    from tariffstack.batch.cli import run_batch_command

    code = run_batch_command(
        source,
        out,
        in_format,
        column_map or [],
        lines,
        refunds,
        as_of,
        dask,
        Settings.from_env(data, store),
        err(),
        workers=workers,
    )
    if code:
        raise typer.Exit(code=code)


if __name__ == "__main__":
    app()
