"""The OpenAPI description of an entry line, generated from the input module's field sets.

The engine validates every line itself (:func:`tariffstack.io.entry.validate_frame`); this schema
only documents the same fields for clients and for the fuzzer, so it is built from the same
constants and cannot drift from them.
"""

from __future__ import annotations

from typing import Any

from tariffstack.law.vocabulary import BOOL_FIELDS, ENUM_FIELDS, KNOWN_FIELDS, MONEY_FIELDS, PASS_THROUGH

STRING_OR_NUMBER = {"type": ["string", "number"]}
REQUIRED = ["hts", "origin", "entry_date", "value"]
DESCRIPTIONS = {
    "hts": "HTS code (U.S.) or Canadian tariff item, dotted or not, 8 or 10 digits",
    "origin": "Country of origin, ISO alpha-2",
    "entry_date": "Date of entry, Eastern time: YYYY-MM-DD (read as 12:00 noon) or YYYY-MM-DDTHH:MM",
    "value": "Entered value (USD; CAD into Canada), at most 2 decimals",
    "importing_country": "US (default) or CA",
    "spi": "Special program claimed: S or S+ (USMCA), UST (CUSMA into Canada)",
}


def _field_schema(name: str) -> dict[str, Any]:
    if name in BOOL_FIELDS:
        schema: dict[str, Any] = {"type": "boolean"}
    elif name in ENUM_FIELDS:
        schema = {"type": "string", "enum": list(ENUM_FIELDS[name][0])}
    elif name in MONEY_FIELDS or name in ("value", "quantity", "quantity2", "ad_rate", "cvd_rate"):
        schema = dict(STRING_OR_NUMBER)
    elif name == "metal_weight_share":
        schema = {"type": "number", "minimum": 0, "maximum": 1}
    elif name == "vehicle_age_years":
        schema = {"type": "number", "minimum": 0}
    elif name == "adcvd_cases":
        schema = {"type": ["array", "string"], "items": {"type": "string"}}
    elif name == "importing_country":
        schema = {"type": "string", "enum": ["US", "CA"]}
    elif name in PASS_THROUGH or name == "hts":
        schema = {"type": ["string", "integer"]}
    else:
        schema = {"type": "string"}
    if name in DESCRIPTIONS:
        schema["description"] = DESCRIPTIONS[name]
    return schema


def entry_line_schema() -> dict[str, Any]:
    return {
        "title": "EntryLine",
        "type": "object",
        "description": "One entry line (the README's input fields). Unknown fields are refused.",
        "properties": {name: _field_schema(name) for name in sorted(KNOWN_FIELDS)},
        "required": REQUIRED,
        "additionalProperties": False,
    }


def calculate_body_schema(max_lines: int) -> dict[str, Any]:
    line = entry_line_schema()
    return {"oneOf": [line, {"type": "array", "items": line, "minItems": 1, "maxItems": max_lines}]}
