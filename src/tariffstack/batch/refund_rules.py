"""The IEEPA refund rules as data: routes, windows, the CAPE file format, interest rates.

They live beside the law (``jurisdictions/us/refunds/ieepa.yaml``), with references and confidence
labels, and load through the same strict YAML reader and pydantic models (unknown keys refused).
The law loader reads only ``measures/``, ``rules/`` and ``lists/``, so this file is not a measure.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator

from tariffstack.law.loader import LawError, load_yaml
from tariffstack.law.model import Reference, Strict, parse_ts

Confidence = Literal["H", "M", "L"]


class CapeRoute(Strict):
    label: str
    opens: str
    unliquidated: bool
    max_days_after_liquidation: int
    excluded_entry_types: list[str]
    confidence: Confidence
    confidence_note: str
    references: list[Reference]

    @property
    def opens_at(self) -> datetime:
        return parse_ts(self.opens)


class ProtestRoute(Strict):
    label: str
    max_days_after_liquidation: int
    confidence: Confidence
    confidence_note: str
    references: list[Reference]


class Position(Strict):
    party: str
    position: str
    confidence: Confidence


class ContestedRoute(Strict):
    label: str
    confidence: Confidence
    confidence_note: str
    positions: list[Position]
    references: list[Reference]


class Routes(Strict):
    cape: CapeRoute
    protest: ProtestRoute
    contested: ContestedRoute


class CapeFile(Strict):
    header: str
    max_entries_per_file: int
    entry_number_format: Literal["compact", "hyphenated"]
    confidence: Confidence
    confidence_note: str
    references: list[Reference]


class QuarterRate(Strict):
    from_: str = Field(alias="from")
    corporate: str
    non_corporate: str
    confidence: Confidence
    reference: Reference

    @field_validator("corporate", "non_corporate")
    @classmethod
    def _percent(cls, text: str) -> str:
        if not text.endswith("%") or Decimal(text[:-1]) < 0:
            raise ValueError(f"{text!r} is not a percentage like '6%'")
        return text

    @property
    def start(self) -> date:
        return parse_ts(self.from_).date()


class Interest(Strict):
    label: str
    accrues_from: Literal["deposit"]
    accrues_to: Literal["as_of"]
    compounding: Literal["daily"]
    default_importer_type: Literal["corporate", "non_corporate"]
    rates_known_to: str
    confidence: Confidence
    confidence_note: str
    references: list[Reference]
    rates: list[QuarterRate]

    @field_validator("rates")
    @classmethod
    def _ordered(cls, rates: list[QuarterRate]) -> list[QuarterRate]:
        starts = [r.start for r in rates]
        if starts != sorted(starts) or len(set(starts)) != len(starts):
            raise ValueError("interest rates must be in date order, one per start date")
        return rates

    @property
    def known_to(self) -> date:
        return parse_ts(self.rates_known_to).date()


class RefundRules(Strict):
    id: str
    label: str
    measures: list[str]
    verified_to: str
    routes: Routes
    cape_file: CapeFile
    interest: Interest


def default_rules_path() -> Path:
    return Path(str(resources.files("tariffstack") / "jurisdictions" / "us" / "refunds" / "ieepa.yaml"))


def load_refund_rules(path: Path | None = None) -> RefundRules:
    """Load and validate the rules; :class:`LawError` names the file and the problem."""
    path = path or default_rules_path()
    try:
        return RefundRules.model_validate(load_yaml(path))
    except ValidationError as exc:
        raise LawError(f"{path}: {exc}") from exc


@lru_cache(maxsize=1)
def refund_rules() -> RefundRules:
    return load_refund_rules()
