"""Broker headers → canonical entry-line field names.

ACE ES-003 reports and spreadsheet layouts name the same field many ways (``Entry No``,
``Entry Number``, ``ENTRY_NO``). A header is compared after folding case and dropping spaces,
underscores, hyphens, dots and ``#``, so one synonym covers its spellings. ``--map`` adds or
overrides any mapping. Columns that map to nothing are kept as pass-through input columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tariffstack.law.vocabulary import KNOWN_FIELDS

REQUIRED = ("hts", "origin", "entry_date", "value")
# Fields the batch layer reads besides the engine's own (refund routing, reconciliation).
BATCH_FIELDS = (
    "liquidation_date",
    "importer",
    "importer_type",
    "entry_type",
    "paid_duty",
)
PAID_HEADING = re.compile(r"^(?:paid)?(9903\d{4})(?:paid|duty|amount|dutypaid)?$")

SYNONYMS: dict[str, tuple[str, ...]] = {
    "entry_number": ("entryno", "entrynumber", "entry", "entrynum", "entrynbr", "entrysummarynumber"),
    "line_number": (
        "lineno",
        "linenumber",
        "line",
        "linenbr",
        "entrylinenumber",
        "entrysummarylinenumber",
        "lineitemnumber",
    ),
    "hts": (
        "hts",
        "htsnumber",
        "htsus",
        "htsusnumber",
        "htsno",
        "htscode",
        "hts10",
        "htsnum",
        "tariffnumber",
        "linetariffnumber",
        "htsusno",
        "classification",
    ),
    "origin": (
        "countryoforigin",
        "coo",
        "origin",
        "origincountry",
        "countryoforigincode",
        "ctryoforigin",
        "linecountryoforigin",
    ),
    "entry_date": ("entrydate", "dateofentry", "entrydt", "releasedate"),
    "value": (
        "enteredvalue",
        "value",
        "enteredvalueusd",
        "lineenteredvalue",
        "linetariffgoodsvalueamount",
        "goodsvalue",
        "customsvalue",
    ),
    "spi": ("spi", "specialprogramindicator", "specialprogram", "spiprimary", "linespi", "spicode"),
    "quantity": ("quantity", "qty", "quantity1", "linetariffquantity", "reportingquantity"),
    "unit": ("unit", "uom", "unitofmeasure", "uom1", "quantityunit"),
    "quantity2": ("quantity2", "qty2"),
    "unit2": ("unit2", "uom2"),
    "sku": ("sku", "partnumber", "partno", "productcode", "itemnumber"),
    "steel_value": ("steelvalue", "steelcontentvalue", "valueofsteelcontent"),
    "aluminum_value": ("aluminumvalue", "aluminiumvalue", "aluminumcontentvalue", "aluminiumcontentvalue"),
    "copper_value": ("coppervalue", "coppercontentvalue"),
    "us_content_value": ("uscontentvalue", "uscontent", "valueofuscontent"),
    "melt_country": ("meltcountry", "countryofmelt", "countryofmeltandpour"),
    "smelt_country": ("smeltcountry", "countryofsmelt", "countryofsmeltandcast"),
    "liquidation_date": ("liquidationdate", "liqdate", "dateofliquidation", "liquidateddate"),
    "importer": (
        "importer",
        "importerofrecord",
        "ior",
        "iornumber",
        "importernumber",
        "importerofrecordnumber",
        "importername",
    ),
    "importer_type": ("importertype",),
    "entry_type": ("entrytype", "entrytypecode"),
    "paid_duty": ("paidduty", "dutypaid", "totaldutypaid", "lineduty", "linedutyamount", "dutyamount"),
}


def fold(header: str) -> str:
    """``Entry No.`` → ``entryno``: case, spaces, underscores, hyphens, dots and ``#`` ignored."""
    return re.sub(r"[\s_\-.#/()]+", "", str(header)).lower()


def _lookup() -> dict[str, str]:
    table = {fold(name): name for name in (*KNOWN_FIELDS, *BATCH_FIELDS)}
    for canonical, names in SYNONYMS.items():
        for name in names:
            table[name] = canonical
    return table


LOOKUP = _lookup()


class HeaderError(ValueError):
    """The file's header cannot be mapped (missing required fields, two columns for one field)."""


@dataclass(frozen=True)
class Mapping:
    """Source column → canonical field, plus per-heading paid columns and pass-through columns."""

    fields: dict[str, str]  # canonical field → source column
    paid_headings: dict[str, str] = field(default_factory=dict)  # dotted heading → source column
    passthrough: tuple[str, ...] = ()  # source columns no field uses

    @property
    def source_columns(self) -> tuple[str, ...]:
        return (*self.fields.values(), *self.paid_headings.values())


def map_headers(columns: list[str], column_map: dict[str, str] | None = None) -> Mapping:
    """Map the header once per file; raise :class:`HeaderError` naming what is missing or doubled."""
    column_map = column_map or {}
    known = {*KNOWN_FIELDS, *BATCH_FIELDS}
    for source, target in column_map.items():
        if source not in columns:
            raise HeaderError(f"--map: column {source!r} is not in the file (columns: {', '.join(columns)})")
        if target not in known:
            raise HeaderError(f"--map: {target!r} is not a field (fields: {', '.join(sorted(known))})")
    fields: dict[str, str] = {}
    paid: dict[str, str] = {}
    rest: list[str] = []
    for column in columns:
        key = fold(column)
        target = column_map.get(column) or LOOKUP.get(key)
        heading = PAID_HEADING.match(key) if target is None else None
        if target is not None:
            if target in fields:
                raise HeaderError(
                    f"columns {fields[target]!r} and {column!r} both map to {target}; "
                    f"use --map to say which one (or rename one)"
                )
            fields[target] = column
        elif heading:
            code = heading.group(1)
            paid[f"{code[:4]}.{code[4:6]}.{code[6:]}"] = column
        else:
            rest.append(column)
    missing = [name for name in REQUIRED if name not in fields]
    if missing:
        raise HeaderError(
            f"missing required column(s) {', '.join(missing)}; the file has: {', '.join(columns) or '(none)'}"
            f" (map one with --map 'Header=field')"
        )
    return Mapping(fields=fields, paid_headings=paid, passthrough=tuple(rest))
