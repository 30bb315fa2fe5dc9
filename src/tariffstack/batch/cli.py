"""The ``tariffstack batch`` command: options → :func:`run_file`, a Rich progress bar, a summary."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tariffstack.batch.headers import HeaderError
from tariffstack.batch.readers import InputError
from tariffstack.batch.run import LOCAL_WORKERS, BatchSummary, run_file
from tariffstack.engine.money import cents_to_str
from tariffstack.settings import Settings


def parse_map(items: list[str]) -> dict[str, str]:
    """``["Broker Col=hts", ...]`` → ``{"Broker Col": "hts"}``."""
    mapping: dict[str, str] = {}
    for item in items:
        source, sep, target = item.rpartition("=")
        if not sep or not source.strip() or not target.strip():
            raise HeaderError(f"--map: {item!r} is not 'Header=field'")
        mapping[source.strip()] = target.strip()
    return mapping


def summary_table(summary: BatchSummary) -> Table:
    table = Table(title="Batch summary", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    rows = [
        ("Rows read", f"{summary.rows_read:,}"),
        ("Computed", f"{summary.computed:,}"),
        ("With errors", f"{summary.errors:,}"),
        ("Duplicates (flagged, not counted in totals)", f"{summary.duplicates:,}"),
        ("Assessed duty", cents_to_str(summary.assessed_cents)),
        ("Owed after Learning Resources v. Trump", cents_to_str(summary.owed_cents)),
        ("Refundable", cents_to_str(summary.refundable_cents)),
        ("  of which IEEPA", cents_to_str(summary.ieepa_refundable_cents)),
        ("Interest estimate (19 U.S.C. 1505)", cents_to_str(summary.interest_cents)),
        ("AD/CVD deposits", cents_to_str(summary.adcvd_cents)),
    ]
    if summary.unknown_customs_duty:
        rows.append(("Rows with customs duty not known", f"{summary.unknown_customs_duty:,}"))
    if summary.reconciliation_flags:
        rows.append(("Paid differs from computed", f"{summary.reconciliation_flags:,}"))
    for route, count in sorted(summary.routes.items()):
        rows.append((f"Lines routed to {route}", f"{count:,}"))
    if summary.ignored_columns:
        rows.append(("Columns passed through", ", ".join(summary.ignored_columns)))
    rows.append(("Seconds", f"{summary.seconds:.1f}"))
    for label, value in rows:
        table.add_row(label, value)
    return table


def run_batch_command(
    source: Path,
    out: Path,
    in_format: str | None,
    column_map: list[str],
    lines: bool,
    refunds: Path | None,
    as_of: str | None,
    dask: str | None,
    settings: Settings,
    err: Console,
    workers: int | None = None,
) -> int:
    """Run and report; 2 for a file that cannot be read as a whole (the message says why)."""
    from tariffstack.api import Engine

    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        err.print(f"[red]error[/red] --as-of: {as_of!r} is not a date (YYYY-MM-DD)", highlight=False)
        return 2
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    task = progress.add_task(source.name, total=None)

    def on_progress(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    try:
        with progress:
            summary = run_file(
                source,
                out,
                in_format=in_format,
                lines=lines,
                column_map=parse_map(column_map),
                on_progress=on_progress,
                engine=Engine(settings),
                as_of=day,
                refunds=refunds,
                dask=dask,
                workers=LOCAL_WORKERS if workers is None else workers,
            )
    except (InputError, HeaderError) as exc:
        err.print(f"[red]error[/red] {exc}", highlight=False)
        return 2
    err.print(summary_table(summary))
    err.print(
        f"wrote {summary.output}" + (f" and {len(summary.report_files)} report file(s)" if refunds else "")
    )
    return 0
