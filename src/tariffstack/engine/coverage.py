"""The coverage table of the README, generated from the law files (never typed by hand).

For each measure: its headings, the periods of each heading (rate from → to), the number of HTS10
lines of the schedule in force on each given date (one 2025 and one 2026 date by default) that fall
in the measure's product and country scope for a Canadian good, its confidence and the date its
law is verified to.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from tariffstack.engine.compile import compile_law
from tariffstack.engine.stack import candidates
from tariffstack.hts.store import Store
from tariffstack.law.loader import Law
from tariffstack.law.model import ListRef

BEGIN_MARK = "<!-- coverage:begin -->"
END_MARK = "<!-- coverage:end -->"


def _periods(measure) -> str:
    parts = []
    for prov in measure.provisions:
        steps = []
        for dated in prov.rates:
            value = dated.rate or (f"top-up to {dated.top_up_to}" if dated.top_up_to else "ends")
            steps.append(f"{dated.from_.replace('T', ' ')} {value}")
        base = "" if prov.base.kind == "value" else f" on {prov.base.kind}"
        parts.append(f"{prov.heading}{base}: " + "; ".join(steps))
    return "<br>".join(dict.fromkeys(parts))


def lines_in_scope(law: Law, store: Store, day: date, origin: str = "CA") -> dict[str, int]:
    compiled = compile_law(law)
    codes = store.codes_on(day).unique().sort()
    frame = pl.DataFrame(
        {
            "line_id": range(len(codes)),
            "hts10": codes,
            "origin": [origin] * len(codes),
            "importing_country": ["US"] * len(codes),
        }
    )
    pairs = candidates(frame, compiled).join(compiled.provisions.select("pid", "measure_id"), on="pid")
    counts = pairs.group_by("measure_id").agg(pl.col("line_id").n_unique().alias("n"))
    return dict(counts.iter_rows())


def _canadian_items(law: Law) -> dict[str, int]:
    """Canada's tariff is not in the reference data: count the tariff items each order lists."""
    out = {}
    for measure in law.measures.values():
        if measure.importing_country != "CA":
            continue
        items: set[str] = set()
        for prov in measure.provisions:
            for item in prov.products.include:
                items.update(law.lists[item.list] if isinstance(item, ListRef) else [item.replace(".", "")])
        out[measure.id] = len(items - {"*"})
    return out


def coverage_markdown(law: Law, store: Store, days: list[date]) -> str:
    canadian = _canadian_items(law)
    counts = [lines_in_scope(law, store, day) | canadian for day in days]
    columns = " | ".join(f"Lines in scope {day}" for day in days)
    rows = [
        f"| Measure | Headings and periods (ET) | {columns} | Confidence | Verified to |",
        "|---|---|" + "---:|" * len(days) + "---|---|",
    ]
    for measure in sorted(
        law.measures.values(), key=lambda m: (m.importing_country, m.reporting_order, m.id)
    ):
        numbers = " | ".join(f"{c.get(measure.id, 0):,}" for c in counts)
        rows.append(
            f"| `{measure.id}`<br>{measure.label} | {_periods(measure)} | {numbers} "
            f"| {measure.confidence} | {measure.verified_to} |"
        )
    return "\n".join(rows)


def replace_block(readme: str, table: str) -> str:
    head, _, rest = readme.partition(BEGIN_MARK)
    _, _, tail = rest.partition(END_MARK)
    return f"{head}{BEGIN_MARK}\n{table}\n{END_MARK}{tail}"
