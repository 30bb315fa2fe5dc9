"""The entry-line vocabulary: the fields an entry line may carry and the typed columns they become.

It sits below the engine and the input boundary alike: the condition compiler names these facts,
the validator (:mod:`tariffstack.io.entry`) produces these columns, and neither imports the other.
"""

from __future__ import annotations

import polars as pl

# The bases a provision's rate may apply to, in the order of their integer code in the compiled law
# (``base_code``); the law model's ``BaseKind`` names the same kinds (a test keeps them equal).
BASE_KINDS = (
    "value",
    "steel_value",
    "aluminum_value",
    "copper_value",
    "us_content_value",
    "non_us_content_value",
    "value_less_ca_mx_content",
    "value_less_capped_us_content",
)
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


def with_schema(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` as the engine's typed frame: every column of ``SCHEMA``, in its order and type; a
    field the frame does not have is null on every line."""
    return frame.select(
        (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in SCHEMA.items()
    )
