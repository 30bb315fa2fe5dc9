"""Command line: build the store, download the schedule, compute and explain duty stacks, lint the law.

``calc`` prints the public JSON contract (see the README); ``explain`` renders the same results for
one line as a table. Both run the same evaluation.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from tariffstack.api import Engine
from tariffstack.settings import Settings

app = typer.Typer(add_completion=False, help="Canada–U.S. tariff stacks: duty owed, measure, base and why.")
err = Console(stderr=True)
COVERAGE_DATES = ["2025-09-15", "2026-09-15"]  # the README table counts lines in scope on these dates

DataOpt = Annotated[str | None, typer.Option("--data", help="Reference data dir (default ../shared/data)")]
StoreOpt = Annotated[str | None, typer.Option("--store", help="Local store dir (default .store)")]


def _read_rows(source: str) -> list[Any]:
    """Entry lines from a file or ``-`` (stdin): a JSON list of objects, or one object."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise _fail(f"input: cannot read {source!r}: {exc.strerror}") from exc
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
    err.print(f"[red]error[/red] {message}", highlight=False)
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
    err.print(f"store built in {settings.store_dir}: {counts}")


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
    err.print(f"{len(written)} file(s) written to {dest}")


@app.command()
def calc(
    source: Annotated[str, typer.Argument(help="JSON file of entry lines, or - for stdin")],
    data: DataOpt = None,
    store: StoreOpt = None,
    law: Annotated[Path | None, typer.Option(help="Law directory (default: the packaged law)")] = None,
    compact: Annotated[bool, typer.Option(help="One line of JSON")] = False,
) -> None:
    """Compute the duty stack of each entry line; print the JSON results (one object per line)."""
    rows = _read_rows(source)
    engine = Engine(Settings.from_env(data, store), law)
    results = engine.calc(rows)
    json.dump(results, sys.stdout, ensure_ascii=False, indent=None if compact else 2)
    sys.stdout.write("\n")


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
    Console().print(render_explanation(row, result))
    if result["error"]:
        raise typer.Exit(code=1)


def render_explanation(row: dict[str, Any], result: dict[str, Any]) -> Table:
    """The same result object as ``calc``, laid out for a reader."""
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
    """Check the law files (references, date order, HTS prefixes in force, list provenance)."""
    from tariffstack.hts.store import Store
    from tariffstack.law.lint import lint_law
    from tariffstack.law.loader import load_law

    settings = Settings.from_env(data, store)
    issues = lint_law(load_law(law), Store(settings.store_dir))
    for issue in issues:
        err.print(str(issue), highlight=False)
    err.print(f"{len(issues)} issue(s)")
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
        err.print(f"wrote {path}")


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

    from tariffstack.hts.store import Store
    from tariffstack.law.coverage import coverage_markdown, replace_block
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


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    data: DataOpt = None,
    store: StoreOpt = None,
) -> None:
    """Serve the web app and the HTTP API (prints the URL)."""
    from tariffstack.web.server import serve as run_server

    run_server(host, port, Settings.from_env(data, store))


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
        err,
    )
    if code:
        raise typer.Exit(code=code)


if __name__ == "__main__":
    app()
