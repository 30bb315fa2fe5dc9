"""The law as a reader browses it: measures with their history, and the feed of changes between dates.

Everything is read from the loaded law files (and the schedule store's revision calendar); nothing
is restated. Scope counts are the coverage counts of :mod:`tariffstack.engine.coverage` (HTS10 lines
of the schedule in force on the date, for a Canadian good; for Canada's orders, the tariff items
they list).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from tariffstack.engine.coverage import _canadian_items, lines_in_scope
from tariffstack.hts.store import Store
from tariffstack.law.loader import Law
from tariffstack.law.model import ListRef, Measure, PrecedenceRule, Provision, parse_ts


def scope_counts(law: Law, store: Store, day: date) -> dict[str, int]:
    """Lines in scope per measure on ``day`` (the README coverage numbers)."""
    return lines_in_scope(law, store, day) | _canadian_items(law)


def _rate_text(dated) -> str:
    if dated.rate is not None:
        return dated.rate
    if dated.top_up_to is not None:
        return f"top-up to {dated.top_up_to}"
    return "ends"


def _provision(measure: Measure, prov: Provision) -> dict[str, Any]:
    return {
        "heading": prov.heading,
        "label": prov.label,
        "kind": prov.kind,
        "countries": prov.countries,
        "base": prov.base.kind,
        "conditions": [c.model_dump(exclude_none=True) for c in prov.conditions],
        "except_headings": prov.except_headings,
        "products": prov.products.model_dump(),
        "prohibited": prov.prohibited,
        "periods": [
            {
                "from": dated.from_,
                "rate": _rate_text(dated),
                "ref": dated.ref,
                "instrument": measure.references[dated.ref].instrument,
                "citation": measure.references[dated.ref].citation,
                "url": measure.references[dated.ref].url,
                "note": dated.note,
            }
            for dated in prov.rates
        ],
        "note": prov.note,
    }


def measure_summary(measure: Measure, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "id": measure.id,
        "label": measure.label,
        "importing_country": measure.importing_country,
        "authority": measure.authority,
        "confidence": measure.confidence,
        "verified_to": measure.verified_to,
        "void_after_ruling": measure.void_after_ruling,
        "headings": list(dict.fromkeys(p.heading for p in measure.provisions)),
        "lines_in_scope": counts.get(measure.id, 0),
        "first_in_force": min(p.rates[0].from_ for p in measure.provisions),
    }


def list_measures(law: Law, counts: dict[str, int], country: str | None = None) -> list[dict[str, Any]]:
    measures = sorted(law.measures.values(), key=lambda m: (m.importing_country, m.reporting_order, m.id))
    return [measure_summary(m, counts) for m in measures if country in (None, m.importing_country)]


def measure_detail(law: Law, measure_id: str, counts: dict[str, int]) -> dict[str, Any] | None:
    measure = law.measures.get(measure_id)
    if measure is None:
        return None
    rules = [
        {"file": file_id, **_rule(rule)}
        for file_id, rule_file in sorted(law.rules.items())
        for rule in rule_file.rules
        if measure_id in rule.winner.measures or measure_id in rule.loser.measures
    ]
    lists = sorted(
        {
            item.list
            for p in measure.provisions
            for item in (*p.products.include, *p.products.exclude)
            if isinstance(item, ListRef)
        }
    )
    return {
        **measure_summary(measure, counts),
        "confidence_note": measure.confidence_note,
        "references": {k: v.model_dump() for k, v in measure.references.items()},
        "provisions": [_provision(measure, p) for p in measure.provisions],
        "rules": rules,
        "lists": [
            {"list": name, **(law.list_provenance[name].model_dump() if name in law.list_provenance else {})}
            | {"entries": len(law.lists.get(name, []))}
            for name in lists
        ],
    }


def _rule(rule: PrecedenceRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "label": rule.label,
        "effect": rule.effect,
        "winner": rule.winner.model_dump(),
        "loser": rule.loser.model_dump(),
        "from": rule.from_,
        "to": rule.to,
        "instrument": rule.ref.instrument,
        "citation": rule.ref.citation,
        "url": rule.ref.url,
    }


def change_feed(
    law: Law, store: Store, start: date, end: date, country: str | None = None
) -> list[dict[str, Any]]:
    """Every dated change in ``[start, end]``: rate values of provisions (with the rate before),
    precedence rules starting or ending, and HTS revisions coming into force."""
    lo, hi = datetime.combine(start, time(0, 0)), datetime.combine(end, time(23, 59))
    events: list[dict[str, Any]] = []
    for measure in law.measures.values():
        if country not in (None, measure.importing_country):
            continue
        for prov in measure.provisions:
            before = "not in force"
            for dated in prov.rates:
                at = parse_ts(dated.from_)
                now = _rate_text(dated)
                if lo <= at <= hi:
                    ref = measure.references[dated.ref]
                    events.append(
                        {
                            "at": at.isoformat(timespec="minutes"),
                            "kind": "rate",
                            "importing_country": measure.importing_country,
                            "measure": measure.id,
                            "heading": prov.heading,
                            "label": prov.label,
                            "before": before,
                            "after": now,
                            "instrument": ref.instrument,
                            "citation": ref.citation,
                            "url": ref.url,
                            "note": dated.note,
                            "_order": measure.reporting_order,
                        }
                    )
                before = now
    for rule_file in law.rules.values():
        if country not in (None, rule_file.importing_country):
            continue
        for rule in rule_file.rules:
            for key, text in ((rule.from_, "starts"), (rule.to, "ends")):
                if key is None:
                    continue
                at = parse_ts(key)
                if lo <= at <= hi:
                    events.append(
                        {
                            "at": at.isoformat(timespec="minutes"),
                            "kind": "rule",
                            "importing_country": rule_file.importing_country,
                            "measure": ", ".join(rule.winner.measures),
                            "heading": None,
                            "label": f"{rule.label} ({rule.effect}) {text}",
                            "before": None,
                            "after": None,
                            "instrument": rule.ref.instrument,
                            "citation": rule.ref.citation,
                            "url": rule.ref.url,
                            "note": "",
                            "_order": 10_000,
                        }
                    )
    if country in (None, "US"):
        for row in store.revisions.rows(named=True):
            if start <= row["in_force_from"] <= end:
                events.append(
                    {
                        "at": datetime.combine(row["in_force_from"], time(0, 0)).isoformat(
                            timespec="minutes"
                        ),
                        "kind": "schedule",
                        "importing_country": "US",
                        "measure": "mfn",
                        "heading": None,
                        "label": f"HTSUS {row['revision'].replace('_', ' ')} in force ({row['date_source']})",
                        "before": None,
                        "after": None,
                        "instrument": f"Harmonized Tariff Schedule of the United States, {row['revision']}",
                        "citation": "USITC",
                        "url": "https://hts.usitc.gov/",
                        "note": "",
                        "_order": -1,
                    }
                )
    events.sort(key=lambda e: (e["at"], e["_order"], e["measure"], e["heading"] or ""))
    for event in events:
        event.pop("_order")
    return events
