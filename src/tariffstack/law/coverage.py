"""The coverage table of the README, generated from the law files (never typed by hand).

For each measure: its headings, the periods of each heading (rate from → to), the number of HTS10
lines of the schedule in force on a given date that fall in the measure's product and country
scope for a Canadian good, its confidence and the date its law is verified to.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from tariffstack.engine.compile import compile_law
from tariffstack.engine.evaluate import _candidates
from tariffstack.hts.store import Store
from tariffstack.law.loader import Law

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
    frame = pl.DataFrame({"line_id": range(len(codes)), "hts10": codes, "origin": [origin] * len(codes)})
    pairs = _candidates(frame, compiled).join(compiled.provisions.select("pid", "measure_id"), on="pid")
    counts = pairs.group_by("measure_id").agg(pl.col("line_id").n_unique().alias("n"))
    return dict(counts.iter_rows())


def coverage_markdown(law: Law, store: Store, day: date) -> str:
    counts = lines_in_scope(law, store, day)
    rows = [
        f"| Measure | Headings and periods (ET) | HTS10 lines in scope on {day} (origin CA) "
        "| Confidence | Verified to |",
        "|---|---|---:|---|---|",
    ]
    for measure in sorted(
        law.measures.values(), key=lambda m: (m.importing_country, m.reporting_order, m.id)
    ):
        rows.append(
            f"| `{measure.id}`<br>{measure.label} | {_periods(measure)} | {counts.get(measure.id, 0):,} "
            f"| {measure.confidence} | {measure.verified_to} |"
        )
    return "\n".join(rows)


def replace_block(readme: str, table: str) -> str:
    head, _, rest = readme.partition(BEGIN_MARK)
    _, _, tail = rest.partition(END_MARK)
    return f"{head}{BEGIN_MARK}\n{table}\n{END_MARK}{tail}"
