"""Entry lines in, one typed frame out, with a per-row error instead of a dropped row.

Field names follow what brokers file (CBP Form 7501 / CBSA CAD) in snake_case. Validation happens
once here, at the boundary; the evaluator receives typed columns and never re-parses text. A row
with a bad field keeps its place and carries ``error = "<field>: <reason>"``.

Times are Eastern wall-clock. A date without a time (``2025-03-04``) is read as **12:00 noon ET**
on that day: after both the 12:00 a.m. and 12:01 a.m. boundaries that instruments use. Give a time
(``2025-03-04T00:00``) to ask about the first minute of a day.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

import polars as pl

from tariffstack.engine.money import MAX_VALUE_CENTS, to_cents, to_milli
from tariffstack.hts.codes import CodeError, normalize_hts
from tariffstack.hts.rates import UNIT_SYNONYMS

EARLIEST_ENTRY = date(2025, 1, 1)
DATE_ONLY_TIME = time(12, 0)
_ISO2 = re.compile(r"^[A-Z]{2}$")
_CASE = re.compile(r"^[AC]-\d{3}-\d{3}$")
_REMISSION = re.compile(r"^\d{2}-\d{4}[A-Z]?$")

MONEY_FIELDS = ("steel_value", "aluminum_value", "copper_value", "us_content_value", "ca_mx_content_value")
BOOL_FIELDS = (
    "commerce_approved_us_content",
    "commerce_approved_quantity",
    "transshipment_determined",
    "donation",
    "informational_material",
    "oem_original_equipment",
    "campobello_resident_personal_use",
    "import_for_reexport_permit",
    "semiconductor_parameters_met",
    "not_a_vehicle_part",
    "pharma_generic",
    "uas_thermal_imaging",
    "uas_component",
    "bulk_container",
    "civil_aircraft_gn6",
    "pharmaceutical_use",
    "no_metal_content",
    "vehicle_or_aircraft_manufacturing_use",
    "equipment_manufacturing_use",
    "particular_article",
    "motorcycle_manufacturing_use",
    "us_origin_api",
    "pharma_research_use",
)
# Note 39(d) end uses that take a semiconductor article out of heading 9903.79.01 (headings .03-.09).
SEMICONDUCTOR_END_USES = (
    "us_data_center",
    "us_repair",
    "us_research",
    "us_startup",
    "us_consumer_electronics",
    "us_civil_industrial",
    "us_public_sector",
)
# Company programs of the pharmaceuticals proclamation (note 40): Annex III companies (dutiable from
# Jul 31, 2026), approved onshoring plans (heading 9903.04.64), MFN-pricing agreements (9903.04.65).
PHARMA_COMPANY_PROGRAMS = ("annex_iii", "onshoring_plan", "mfn_pricing_agreement")
# Fields whose value must be one of a closed set, with the legal text that defines the set.
ENUM_FIELDS = {
    "semiconductor_end_use": (SEMICONDUCTOR_END_USES, "note 39(d)"),
    "pharma_company_program": (PHARMA_COMPANY_PROGRAMS, "note 40"),
}
PASS_THROUGH = ("entry_number", "line_number", "sku")
SPI_SYNONYMS = {"S": "S", "S+": "S+", "USMCA": "S", "CUSMA": "UST", "UST": "UST", "10": "UST"}
KNOWN_FIELDS = {
    "hts",
    "origin",
    "entry_date",
    "export_date",
    "loading_date",
    "arrival_date",
    "value",
    "spi",
    "quantity",
    "unit",
    "quantity2",
    "unit2",
    "metal_weight_share",
    "melt_country",
    "smelt_country",
    "vehicle_age_years",
    "ad_rate",
    "cvd_rate",
    "adcvd_cases",
    "producer",
    "remission_code",
    "importing_country",
    *ENUM_FIELDS,
    *MONEY_FIELDS,
    *BOOL_FIELDS,
    *PASS_THROUGH,
}

SCHEMA: dict[str, pl.DataType] = {
    "line_id": pl.Int64,
    "hts10": pl.String,
    "origin": pl.String,
    "importing_country": pl.String,
    "entry_ts": pl.Datetime("us"),
    "loading_ts": pl.Datetime("us"),
    "arrival_ts": pl.Datetime("us"),
    "export_ts": pl.Datetime("us"),
    "value_cents": pl.Int64,
    "spi": pl.String,
    "qty_milli": pl.Int64,
    "unit": pl.String,
    "qty2_milli": pl.Int64,
    "unit2": pl.String,
    "steel_value_cents": pl.Int64,
    "aluminum_value_cents": pl.Int64,
    "copper_value_cents": pl.Int64,
    "us_content_value_cents": pl.Int64,
    "ca_mx_content_value_cents": pl.Int64,
    "metal_weight_share": pl.Float64,
    "melt_country": pl.String,
    "smelt_country": pl.String,
    "vehicle_age_years": pl.Float64,
    "remission_code": pl.String,
    **dict.fromkeys(BOOL_FIELDS, pl.Boolean),
    **dict.fromkeys(ENUM_FIELDS, pl.String),
    "ad_rate_ppm": pl.Int64,
    "adcvd_cases": pl.List(pl.String),
    "producer": pl.String,
    "cvd_rate_ppm": pl.Int64,
    "error": pl.String,
}


class FieldError(ValueError):
    """A bad input field: ``field`` and ``reason`` make the message."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def parse_et(value: Any, field: str, *, date_only_time: time = DATE_ONLY_TIME) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime.combine(value, date_only_time)
    if not isinstance(value, str) or not value.strip():
        raise FieldError(field, f"{value!r} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM, Eastern time)")
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), date_only_time)
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise FieldError(
            field, f"{value!r} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM, Eastern time)"
        ) from exc
    if parsed.tzinfo is not None:
        raise FieldError(field, f"{value!r}: give Eastern wall-clock time without a UTC offset")
    return parsed


def _money(row: dict, field: str) -> int | None:
    if row.get(field) is None:
        return None
    try:
        cents = to_cents(row[field], field)
    except ValueError as exc:
        raise FieldError(field, str(exc).split(": ", 1)[1]) from exc
    if cents < 0:
        raise FieldError(field, f"{row[field]!r} is negative")
    if cents > MAX_VALUE_CENTS:
        raise FieldError(field, f"{row[field]!r} exceeds the per-line limit of 10,000,000,000.00")
    return cents


def _country(row: dict, field: str, required: bool = False) -> str | None:
    value = row.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise FieldError(field, "missing (ISO 3166 alpha-2 code, e.g. CA)")
        return None
    text = str(value).strip().upper()
    if not _ISO2.match(text):
        raise FieldError(field, f"{value!r} is not an ISO 3166 alpha-2 country code")
    return text


CANONICAL_UNITS = frozenset(UNIT_SYNONYMS.values())


def _unit(row: dict, field: str) -> str | None:
    """A unit as printed in the HTS (``pf. liter``) or as the engine names it (``pf_liter``)."""
    value = row.get(field)
    if value is None:
        return None
    key = str(value).strip().lower()
    if key in CANONICAL_UNITS:
        return key
    if key not in UNIT_SYNONYMS:
        known = ", ".join(sorted(CANONICAL_UNITS))
        raise FieldError(field, f"{value!r} is not a known unit ({known})")
    return UNIT_SYNONYMS[key]


def _percent_ppm(row: dict, field: str) -> int | None:
    if row.get(field) is None:
        return None
    try:
        milli = to_milli(row[field], field)  # thousandths of a percent point
    except ValueError as exc:
        raise FieldError(field, str(exc).split(": ", 1)[1]) from exc
    if milli < 0:
        raise FieldError(field, f"{row[field]!r} is negative")
    return milli * 10  # 1 percent = 10_000 ppm = 1000 milli × 10


def validate_row(row: Any) -> dict[str, Any]:
    """One raw input object → typed values; raises :class:`FieldError` on the first bad field."""
    if not isinstance(row, dict):
        raise FieldError("line", f"expected an object with fields, got {type(row).__name__}")
    unknown = sorted(set(row) - KNOWN_FIELDS)
    if unknown:
        raise FieldError(unknown[0], f"unknown field (known fields: {', '.join(sorted(KNOWN_FIELDS))})")
    out: dict[str, Any] = {}
    try:
        out["hts10"] = normalize_hts(row.get("hts"))
    except CodeError as exc:
        raise FieldError("hts", f"{row.get('hts')!r} {exc.reason}") from exc
    out["origin"] = _country(row, "origin", required=True)
    importing = str(row.get("importing_country") or "US").strip().upper()
    if importing not in {"US", "CA"}:
        raise FieldError("importing_country", f"{row.get('importing_country')!r} must be US or CA")
    out["importing_country"] = importing
    if row.get("entry_date") is None:
        raise FieldError("entry_date", "missing")
    out["entry_ts"] = parse_et(row["entry_date"], "entry_date")
    if out["entry_ts"].date() < EARLIEST_ENTRY:
        raise FieldError(
            "entry_date", f"{row['entry_date']!r} is before 2025-01-01; the law here starts then"
        )
    for field, key in (
        ("loading_date", "loading_ts"),
        ("export_date", "export_ts"),
        ("arrival_date", "arrival_ts"),
    ):
        out[key] = parse_et(row[field], field) if row.get(field) is not None else None
    if row.get("value") is None:
        raise FieldError("value", "missing (entered value in USD, or value for duty in CAD)")
    out["value_cents"] = _money(row, "value")
    for field in MONEY_FIELDS:
        cents = _money(row, field)
        if cents is not None and cents > out["value_cents"]:
            raise FieldError(field, f"{row[field]!r} exceeds the line value {row['value']!r}")
        out[f"{field}_cents"] = cents
    spi = row.get("spi")
    if spi is not None and str(spi).strip():
        key = str(spi).strip().upper()
        if key not in SPI_SYNONYMS:
            raise FieldError(
                "spi", f"{spi!r} is not a program this engine models (S, S+ for USMCA; UST for CUSMA)"
            )
        out["spi"] = SPI_SYNONYMS[key]
    else:
        out["spi"] = None
    for qfield, ufield, qkey, ukey in (
        ("quantity", "unit", "qty_milli", "unit"),
        ("quantity2", "unit2", "qty2_milli", "unit2"),
    ):
        if row.get(qfield) is not None:
            try:
                out[qkey] = to_milli(row[qfield], qfield)
            except ValueError as exc:
                raise FieldError(qfield, str(exc).split(": ", 1)[1]) from exc
            if out[qkey] < 0:
                raise FieldError(qfield, f"{row[qfield]!r} is negative")
            if row.get(ufield) is None:
                raise FieldError(ufield, f"missing: {qfield} needs its unit")
        else:
            out[qkey] = None
        out[ukey] = _unit(row, ufield)
    share = row.get("metal_weight_share")
    if share is not None:
        if not isinstance(share, int | float) or isinstance(share, bool) or not 0 <= share <= 1:
            raise FieldError("metal_weight_share", f"{share!r} must be a number from 0 to 1")
        out["metal_weight_share"] = float(share)
    out["melt_country"] = _country(row, "melt_country")
    out["smelt_country"] = _country(row, "smelt_country")
    age = row.get("vehicle_age_years")
    if age is not None and (not isinstance(age, int | float) or isinstance(age, bool) or age < 0):
        raise FieldError("vehicle_age_years", f"{age!r} must be a non-negative number")
    out["vehicle_age_years"] = float(age) if age is not None else None
    for field in BOOL_FIELDS:
        value = row.get(field)
        if value is not None and not isinstance(value, bool):
            raise FieldError(field, f"{value!r} must be true or false")
        out[field] = value
    cases = row.get("adcvd_cases")
    if cases is not None:
        if isinstance(cases, str):
            cases = [c.strip() for c in cases.split(",") if c.strip()]
        if not isinstance(cases, list) or not all(isinstance(c, str) and _CASE.match(c) for c in cases):
            raise FieldError("adcvd_cases", f"{row['adcvd_cases']!r} must list case numbers like A-122-857")
    out["adcvd_cases"] = cases
    producer = row.get("producer")
    if producer is not None and (not isinstance(producer, str) or not producer.strip()):
        raise FieldError("producer", f"{producer!r} must be the producer/exporter name as in the order")
    out["producer"] = producer.strip() if producer else None
    code = row.get("remission_code")
    if code is not None and (not isinstance(code, str) or not _REMISSION.match(code.strip())):
        raise FieldError("remission_code", f"{code!r} is not a CBSA special authority code like 25-0466C")
    out["remission_code"] = code.strip() if code else None
    for field, (allowed, source) in ENUM_FIELDS.items():
        value = row.get(field)
        if value is not None and value not in allowed:
            raise FieldError(field, f"{value!r} is not one of {', '.join(allowed)} ({source})")
        out[field] = value
    if out["importing_country"] == "CA" and out["spi"] in ("S", "S+"):
        raise FieldError(
            "spi", f"{spi!r} is a U.S. program; a CUSMA claim into Canada is UST (tariff treatment 10)"
        )
    if out["importing_country"] == "US" and out["spi"] == "UST":
        raise FieldError(
            "spi", f"{spi!r} is Canada's CUSMA treatment; a USMCA claim into the U.S. is S or S+"
        )
    out["ad_rate_ppm"] = _percent_ppm(row, "ad_rate")
    out["cvd_rate_ppm"] = _percent_ppm(row, "cvd_rate")
    return out


def lines_frame(rows: list[Any]) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Validate every row; return the typed frame (one row per input row) and the pass-through ids."""
    records: list[dict[str, Any]] = []
    passthrough: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        ids = {k: row.get(k) for k in PASS_THROUGH if isinstance(row, dict) and row.get(k) is not None}
        passthrough.append(ids)
        try:
            record = validate_row(row)
            record["error"] = None
        except FieldError as exc:
            record = {"error": str(exc)}
        record["line_id"] = index
        records.append(record)
    frame = pl.DataFrame(records, schema=SCHEMA) if records else pl.DataFrame(schema=SCHEMA)
    return frame, passthrough
