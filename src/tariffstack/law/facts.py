"""Which entry facts a product's measures need, derived from the law's conditions and bases.

No list of facts is kept per product. For a code, an origin and an entry time, the provisions in
scope and in force are found (:mod:`tariffstack.law.scope`), and every fact their conditions test
(``fact_true: donation``, ``fact_in: melt_country``, ``case_named``, ``loaded_before``, ...) and
every base they apply their rate to (``steel_value``, the value less U.S. content, ...) becomes a
question, with the headings that ask it. The MFN rate adds the quantity and unit when it is a
specific rate, and the USMCA/CUSMA claim when the schedule offers one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl

from tariffstack.hts.store import Store
from tariffstack.law.loader import Law
from tariffstack.law.model import Condition, Provision, parse_ts
from tariffstack.law.scope import provisions_for
from tariffstack.law.vocabulary import BOOL_FIELDS, ENUM_FIELDS, MONEY_FIELDS

# The input field a base kind reads (a base on the whole value reads none).
BASE_FIELDS = {
    "steel_value": "steel_value",
    "aluminum_value": "aluminum_value",
    "copper_value": "copper_value",
    "us_content_value": "us_content_value",
    "non_us_content_value": "us_content_value",
    "value_less_ca_mx_content": "ca_mx_content_value",
    "value_less_capped_us_content": "us_content_value",
}
COUNTRY_FIELDS = ("melt_country", "smelt_country")
DATE_FIELDS = ("loading_date", "export_date", "arrival_date")
NUMBER_FIELDS = {"metal_weight_share": (0, 1), "vehicle_age_years": (0, None)}
PERCENT_FIELDS = ("ad_rate", "cvd_rate")
LABELS = {
    "spi": "Special program claimed (USMCA S / S+; CUSMA UST)",
    "steel_value": "Value of the steel content",
    "aluminum_value": "Value of the aluminum content",
    "copper_value": "Value of the copper content",
    "us_content_value": "Value of the U.S. content",
    "ca_mx_content_value": "Canadian and Mexican content (CAD)",
    "melt_country": "Country where the steel was melted and poured",
    "smelt_country": "Country where the aluminum was smelted and cast",
    "metal_weight_share": "Share of metal in the good's weight (0-1)",
    "vehicle_age_years": "Age of the vehicle (years)",
    "loading_date": "Date loaded onto the vessel (in transit)",
    "export_date": "Date of export",
    "arrival_date": "Date the goods arrived in the U.S.",
    "adcvd_cases": "AD/CVD case numbers the line falls under",
    "producer": "Producer / exporter as named in the order",
    "ad_rate": "Antidumping deposit rate (%), if known",
    "cvd_rate": "Countervailing deposit rate (%), if known",
    "remission_code": "CBSA special authority code of a remission claim",
    "quantity": "Quantity",
    "quantity2": "Second quantity",
}


def _kind(field: str) -> str:
    if field in BOOL_FIELDS:
        return "boolean"
    if field in MONEY_FIELDS:
        return "money"
    if field in ENUM_FIELDS or field == "spi":
        return "enum"
    if field in COUNTRY_FIELDS:
        return "country"
    if field in DATE_FIELDS:
        return "date"
    if field in NUMBER_FIELDS or field in ("quantity", "quantity2"):
        return "number"
    if field in PERCENT_FIELDS:
        return "percent"
    if field == "adcvd_cases":
        return "cases"
    return "text"


def _label(field: str) -> str:
    return LABELS.get(field) or field.replace("_", " ").capitalize()


def _condition_facts(cond: Condition) -> list[tuple[str, list[str]]]:
    """(input field, values the law names for it) for one condition (``any_of`` flattened)."""
    if cond.any_of is not None:
        return [fact for sub in cond.any_of for fact in _condition_facts(sub)]
    if cond.spi_in is not None or cond.spi_not_in is not None:
        return [("spi", list(cond.spi_in or cond.spi_not_in or []))]
    for key in ("fact_true", "fact_not_true", "fact_present", "fact_absent"):
        if getattr(cond, key) is not None:
            return [(getattr(cond, key), [])]
    for key in ("fact_in", "fact_not_in"):
        value = getattr(cond, key)
        if value is not None:
            return [(value.field, list(value.values))]
    for key in ("fact_below", "fact_at_least"):
        value = getattr(cond, key)
        if value is not None:
            return [(value.field, [])]
    if cond.loaded_before is not None:
        return [("loading_date", [])]
    if cond.not_arrived_before is not None:
        return [("arrival_date", [])]
    if cond.case_named is not None:
        return [("adcvd_cases", [cond.case_named])]
    return []  # entered_before: the entry date, always given


def _in_force(prov: Provision, at: datetime) -> bool:
    current = None
    for dated in prov.rates:
        if parse_ts(dated.from_) <= at:
            current = dated
    return current is not None and (current.rate is not None or current.top_up_to is not None)


def _mfn_facts(store: Store, code: str, at: datetime) -> tuple[dict[str, Any] | None, list[dict]]:
    """The MFN row in force and the quantity facts its specific rate needs."""
    day = at.date()
    rows = store.mfn.filter(
        (pl.col("hts10") == code) & (pl.col("valid_from") <= day) & (pl.col("valid_to") > day)
    )
    if rows.is_empty():
        return None, []
    row = rows.row(0, named=True)
    facts = []
    for side in ("general", "usmca"):
        for n, (qfield, ufield) in enumerate((("quantity", "unit"), ("quantity2", "unit2")), start=1):
            unit = row[f"{side}_spec{n}_unit"]
            if row[f"{side}_spec{n}_uc"] and unit:
                facts.append(
                    {
                        "field": qfield,
                        "unit_field": ufield,
                        "unit": unit,
                        "reason": f"{'USMCA' if side == 'usmca' else 'general'} rate '{row[f'{side}_text']}'",
                    }
                )
    return row, facts


def facts_needed(
    law: Law,
    store: Store,
    code: str,
    at: datetime,
    origin: str = "CA",
    importing_country: str = "US",
) -> dict[str, Any]:
    """The questions a fact form asks for this product, each with the headings that need it."""
    facts: dict[str, dict[str, Any]] = {}

    def ask(field: str, measure, prov: Provision, why: str, values: list[str]) -> None:
        fact = facts.setdefault(
            field,
            {"field": field, "kind": _kind(field), "label": _label(field), "options": [], "used_by": []},
        )
        for value in values:
            if value not in fact["options"]:
                fact["options"].append(value)
        use = {"measure": measure.id, "heading": prov.heading, "label": prov.label, "why": why}
        if use not in fact["used_by"]:
            fact["used_by"].append(use)

    reached = [r for r in provisions_for(law, code, origin, importing_country) if _in_force(r.provision, at)]
    for reach in reached:
        prov = reach.provision
        if prov.base.kind in BASE_FIELDS:
            ask(BASE_FIELDS[prov.base.kind], reach.measure, prov, f"base: {prov.base.kind}", [])
        for cond in prov.conditions:
            for field, values in _condition_facts(cond):
                ask(field, reach.measure, prov, "condition", values)
    for field, (allowed, _source) in ENUM_FIELDS.items():
        if field in facts:
            facts[field]["options"] = list(allowed)
    mfn_row, quantities = (None, []) if importing_country != "US" else _mfn_facts(store, code, at)
    ordered = list(facts.values())
    for q in quantities:
        if not any(f["field"] == q["field"] for f in ordered):
            ordered.append(
                {
                    "field": q["field"],
                    "kind": "quantity",
                    "label": f"{_label(q['field'])} ({q['unit']})",
                    "unit_field": q["unit_field"],
                    "unit": q["unit"],
                    "options": [],
                    "used_by": [{"measure": "mfn", "heading": None, "label": "MFN", "why": q["reason"]}],
                }
            )
    spi = next((f for f in ordered if f["field"] == "spi"), None)
    offered = importing_country == "CA" or (mfn_row is not None and mfn_row["usmca_status"] != "empty")
    if spi is None and offered:
        spi = {"field": "spi", "kind": "enum", "label": _label("spi"), "options": [], "used_by": []}
        ordered.insert(0, spi)
    if spi is not None:
        spi["options"] = ["UST"] if importing_country == "CA" else ["S", "S+"]
    return {
        "hts10": code,
        "origin": origin,
        "importing_country": importing_country,
        "at": at.isoformat(timespec="minutes"),
        "in_schedule": mfn_row is not None if importing_country == "US" else None,
        "mfn_rate": mfn_row["general_text"] if mfn_row else None,
        "usmca_rate": mfn_row["usmca_text"] if mfn_row else None,
        "measures": sorted({r.measure.id for r in reached}),
        "facts": ordered,
    }
