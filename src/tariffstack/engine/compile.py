"""Compile the law tree into the tables the evaluator joins against.

This runs once per process (a few milliseconds); evaluation never reads YAML.

Tables (one row per ...):
- ``provisions``: provision (pid) with measure, heading, kind, base, reporting order, authority;
- ``countries``: (pid, origin) pairs;
- ``scope``: (pid, prefix, plen, include) rows, lists expanded, ``*`` as the empty prefix;
- ``rates``: (pid, interval) rows covering all time, each with ppm or "not in force" and its reference;
- ``exceptions``: (pid, excepting heading) pairs within a measure;
- ``rules``: precedence rules expanded to (winner measure/heading, loser measure/heading) rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from tariffstack.engine.conditions import compile_all, describe_condition
from tariffstack.engine.money import percent_to_ppm
from tariffstack.law.loader import Law
from tariffstack.law.model import ListRef, Measure, parse_ts

BEGINNING = datetime(1900, 1, 1)
END = datetime(9999, 12, 31)


@dataclass
class CompiledLaw:
    provisions: pl.DataFrame
    countries: pl.DataFrame
    scope: pl.DataFrame
    rates: pl.DataFrame
    exceptions: pl.DataFrame
    rules: pl.DataFrame
    measures: pl.DataFrame
    conditions: dict[int, tuple[pl.Expr, str]]


def _prefixes(items: list, law: Law) -> list[str]:
    out: list[str] = []
    for item in items:
        if isinstance(item, ListRef):
            if item.list not in law.lists:
                raise KeyError(f"list {item.list!r} not found under lists/")
            out.extend(law.lists[item.list])
        else:
            out.append("" if item == "*" else item.replace(".", ""))
    return out


def _ref_columns(measure: Measure, key: str) -> dict[str, str]:
    if key not in measure.references:
        raise KeyError(f"{measure.id}: reference {key!r} is not declared in references")
    ref = measure.references[key]
    return {
        "ref_key": key,
        "ref_instrument": ref.instrument,
        "ref_citation": ref.citation,
        "ref_url": ref.url,
    }


def compile_law(law: Law, importing_country: str | None = None) -> CompiledLaw:
    prov_rows, country_rows, scope_rows, rate_rows, exc_rows, measure_rows = [], [], [], [], [], []
    conditions: dict[int, tuple[pl.Expr, str]] = {}
    pid = 0
    for measure in sorted(law.measures.values(), key=lambda m: (m.reporting_order, m.id)):
        if importing_country and measure.importing_country != importing_country:
            continue
        countries = sorted({c for p in measure.provisions for c in p.countries})
        measure_rows.append(
            {
                "measure_id": measure.id,
                "measure_label": measure.label,
                "importing_country": measure.importing_country,
                "measure_countries": countries,
            }
        )
        for order, prov in enumerate(measure.provisions):
            pid += 1
            prov_rows.append(
                {
                    "pid": pid,
                    "measure_id": measure.id,
                    "heading": prov.heading,
                    "label": prov.label,
                    "kind": prov.kind,
                    "reported": prov.reported,
                    "prohibited": prov.prohibited,
                    "base_kind": prov.base.kind,
                    "base_if_missing": prov.base.if_missing,
                    "reporting_order": measure.reporting_order * 1000 + order,
                    "authority": measure.authority,
                    "confidence": measure.confidence,
                    "verified_to": parse_ts(measure.verified_to),
                    "void_after_ruling": measure.void_after_ruling,
                }
            )
            country_rows.extend({"pid": pid, "origin": c} for c in prov.countries)
            for include, items in ((True, prov.products.include), (False, prov.products.exclude)):
                for prefix in _prefixes(items, law):
                    scope_rows.append({"pid": pid, "prefix": prefix, "plen": len(prefix), "include": include})
            starts = [parse_ts(r.from_) for r in prov.rates]
            first = {
                "pid": pid,
                "from_ts": BEGINNING,
                "to_ts": starts[0],
                "in_force": False,
                "ppm": None,
                "top_up_ppm": None,
                "rate_text": None,
                "note": f"not in force before {prov.rates[0].from_}",
                **_ref_columns(measure, prov.rates[0].ref),
            }
            rate_rows.append(first)
            for i, dated in enumerate(prov.rates):
                end = starts[i + 1] if i + 1 < len(starts) else END
                in_force = dated.rate is not None or dated.top_up_to is not None
                rate_rows.append(
                    {
                        "pid": pid,
                        "from_ts": starts[i],
                        "to_ts": end,
                        "in_force": in_force,
                        "ppm": percent_to_ppm(dated.rate) if dated.rate else None,
                        "top_up_ppm": percent_to_ppm(dated.top_up_to) if dated.top_up_to else None,
                        "rate_text": dated.rate
                        or (f"top-up to {dated.top_up_to}" if dated.top_up_to else None),
                        "note": dated.note or ("" if in_force else f"not in force from {dated.from_}"),
                        **_ref_columns(measure, dated.ref),
                    }
                )
            exc_rows.extend({"pid": pid, "except_heading": h} for h in prov.except_headings)
            if prov.conditions:
                conditions[pid] = (
                    compile_all(prov.conditions),
                    "; ".join(describe_condition(c) for c in prov.conditions),
                )
    rule_rows = []
    for rule_file in law.rules.values():
        if importing_country and rule_file.importing_country != importing_country:
            continue
        for rank, rule in enumerate(rule_file.rules):
            for wm in rule.winner.measures:
                for lm in rule.loser.measures:
                    rule_rows.append(
                        {
                            "rule_id": rule.id,
                            "rank": rank,
                            "label": rule.label,
                            "effect": rule.effect,
                            "winner_measure": wm,
                            "winner_headings": rule.winner.headings,
                            "loser_measure": lm,
                            "loser_headings": rule.loser.headings,
                            "from_ts": parse_ts(rule.from_),
                            "to_ts": parse_ts(rule.to) if rule.to else END,
                            "ref_instrument": rule.ref.instrument,
                            "ref_citation": rule.ref.citation,
                            "ref_url": rule.ref.url,
                        }
                    )
    schema_rates = {
        "pid": pl.Int64,
        "from_ts": pl.Datetime("us"),
        "to_ts": pl.Datetime("us"),
        "in_force": pl.Boolean,
        "ppm": pl.Int64,
        "top_up_ppm": pl.Int64,
        "rate_text": pl.String,
        "note": pl.String,
        "ref_key": pl.String,
        "ref_instrument": pl.String,
        "ref_citation": pl.String,
        "ref_url": pl.String,
    }
    rules_schema = {
        "rule_id": pl.String,
        "rank": pl.Int64,
        "label": pl.String,
        "effect": pl.String,
        "winner_measure": pl.String,
        "winner_headings": pl.List(pl.String),
        "loser_measure": pl.String,
        "loser_headings": pl.List(pl.String),
        "from_ts": pl.Datetime("us"),
        "to_ts": pl.Datetime("us"),
        "ref_instrument": pl.String,
        "ref_citation": pl.String,
        "ref_url": pl.String,
    }
    return CompiledLaw(
        provisions=pl.DataFrame(
            prov_rows, schema_overrides={"pid": pl.Int64, "void_after_ruling": pl.String}
        ),
        countries=pl.DataFrame(country_rows, schema={"pid": pl.Int64, "origin": pl.String}),
        scope=pl.DataFrame(
            scope_rows, schema={"pid": pl.Int64, "prefix": pl.String, "plen": pl.Int64, "include": pl.Boolean}
        ),
        rates=pl.DataFrame(rate_rows, schema=schema_rates),
        exceptions=pl.DataFrame(exc_rows, schema={"pid": pl.Int64, "except_heading": pl.String}),
        rules=pl.DataFrame(rule_rows, schema=rules_schema),
        measures=pl.DataFrame(
            measure_rows,
            schema={
                "measure_id": pl.String,
                "measure_label": pl.String,
                "importing_country": pl.String,
                "measure_countries": pl.List(pl.String),
            },
        ),
        conditions=conditions,
    )
