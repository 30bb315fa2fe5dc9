"""The schema of a measure file and of the precedence rules.

Every model forbids unknown keys, so a typo in a law file is an error, not a silently ignored
field. Dates and times are strings in ET wall-clock form (``2025-03-04T00:01``), parsed here, so
YAML never guesses a type. The JSON Schema published in ``schema/`` is generated from these models.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_TS = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$")
# A U.S. Chapter 99 heading, an AD/CVD case number, or a Canadian order (and schedule) citation.
_HEADING = re.compile(r"^(\d{4}\.\d{2}\.\d{2}|[AC]-\d{3}-\d{3}|(SOR|SI)/\d{4}-\d{1,3}( [\w.()]+){0,3})$")
_PREFIX = re.compile(r"^(\*|\d{2,10})$")

BaseKind = Literal[
    "value",
    "steel_value",
    "aluminum_value",
    "copper_value",
    "us_content_value",
    "non_us_content_value",
    "value_less_ca_mx_content",
    "value_less_capped_us_content",
]


def parse_ts(text: str) -> datetime:
    """``2025-03-04`` (midnight, i.e. 12:00 a.m.) or ``2025-03-04T00:01`` (12:01 a.m.), ET."""
    if not _TS.match(text):
        raise ValueError(f"{text!r} is not YYYY-MM-DD or YYYY-MM-DDTHH:MM (Eastern time)")
    return datetime.fromisoformat(text)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reference(Strict):
    """A legal source: the instrument, its citation, and where to read it."""

    instrument: str
    citation: str
    url: str
    note: str = ""


class DatedRate(Strict):
    """A rate in force from ``from_`` (inclusive, ET) until the next dated value.

    ``rate`` is an ad valorem text (``25%``), ``null`` when the provision stops applying, or
    ``top_up_to`` sets the provision's rate to bring MFN + this duty up to a floor.
    """

    from_: str = Field(alias="from")
    rate: str | None = None
    top_up_to: str | None = None
    ref: str
    note: str = ""

    @field_validator("from_")
    @classmethod
    def _ts(cls, value: str) -> str:
        parse_ts(value)
        return value

    @field_validator("rate", "top_up_to")
    @classmethod
    def _pct(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^\d+(\.\d+)?%$", value):
            raise ValueError(f"rate {value!r} must be a percentage like '25%'")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> DatedRate:
        if self.rate is not None and self.top_up_to is not None:
            raise ValueError("give either rate or top_up_to, not both")
        return self


class ListRef(Strict):
    """A product list file under ``lists/`` (CSV with a ``prefix`` column and a provenance sidecar)."""

    list: str


class ProductScope(Strict):
    """HTS prefixes (2–10 digits, ``*`` = every product) and list files; longest prefix wins."""

    include: list[str | ListRef] = Field(default_factory=list)
    exclude: list[str | ListRef] = Field(default_factory=list)

    @field_validator("include", "exclude")
    @classmethod
    def _prefixes(cls, items: list[str | ListRef]) -> list[str | ListRef]:
        for item in items:
            if isinstance(item, str) and not _PREFIX.match(item.replace(".", "")):
                raise ValueError(f"product prefix {item!r} must be '*' or 2–10 digits (dots allowed)")
        return items


class FieldValues(Strict):
    field: str
    values: list[str]


class FieldBound(Strict):
    field: str
    value: float


class Condition(Strict):
    """One condition over entry-line facts; a provision applies when all its conditions hold.

    Exactly one key is set. The vocabulary is closed: the engine knows how to evaluate each.
    """

    spi_in: list[str] | None = None
    spi_not_in: list[str] | None = None
    fact_true: str | None = None
    fact_not_true: str | None = None
    fact_present: str | None = None
    fact_absent: str | None = None
    fact_in: FieldValues | None = None
    fact_not_in: FieldValues | None = None
    fact_below: FieldBound | None = None
    fact_at_least: FieldBound | None = None
    loaded_before: str | None = None
    entered_before: str | None = None
    not_arrived_before: str | None = None
    case_named: str | None = None
    any_of: list[Condition] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        set_keys = [k for k, v in self.__dict__.items() if v is not None]
        if len(set_keys) != 1:
            raise ValueError(f"a condition has exactly one key; got {set_keys or 'none'}")
        for key in ("loaded_before", "entered_before", "not_arrived_before"):
            if getattr(self, key) is not None:
                parse_ts(getattr(self, key))
        return self


class Base(Strict):
    """What the rate is applied to; ``if_missing`` says what to do when the fact is not given.

    ``value_less_ca_mx_content`` is the A − B formula of Canada's motor-vehicle surtax: the value
    less the Canadian/Mexican content claimed, or less ``deemed_minimum`` of the value when the
    claim is smaller or absent. ``value_less_capped_us_content`` is the value less the U.S. content,
    the U.S. content counting only up to ``us_content_cap`` of the value (9903.82.20: 25% on the
    non-U.S. content plus any U.S. content above 40%).
    """

    kind: BaseKind = "value"
    if_missing: Literal["value", "error"] = "value"
    deemed_minimum: str | None = None
    us_content_cap: str | None = None

    @model_validator(mode="after")
    def _shares(self) -> Base:
        for key, kind in (
            ("deemed_minimum", "value_less_ca_mx_content"),
            ("us_content_cap", "value_less_capped_us_content"),
        ):
            value = getattr(self, key)
            if (self.kind == kind) != (value is not None):
                raise ValueError(f"{key} goes with kind {kind}, and only with it")
            if value is not None and not re.match(r"^\d+(\.\d+)?%$", value):
                raise ValueError(f"{key} {value!r} must be a percentage like '15%'")
        return self


class Provision(Strict):
    """One Chapter 99 heading of a measure (or, for ``kind: deposit``, one AD/CVD case number),
    with its scope, conditions, base and rate history. Deposits are computed like duties but
    reported apart (``adcvd_total``), never in the customs duty."""

    heading: Annotated[str, Field(pattern=_HEADING.pattern)]
    label: str
    kind: Literal["duty", "exemption", "deposit"] = "duty"
    reported: bool = True
    countries: list[str]
    products: ProductScope
    conditions: list[Condition] = Field(default_factory=list)
    except_headings: list[str] = Field(default_factory=list)
    base: Base = Field(default_factory=Base)
    rates: list[DatedRate]
    prohibited: bool = False
    note: str = ""

    @model_validator(mode="after")
    def _heading_matches_kind(self) -> Provision:
        is_case = self.heading[:2] in ("A-", "C-")
        if is_case != (self.kind == "deposit"):
            raise ValueError(
                f"heading {self.heading}: AD/CVD case numbers go with kind 'deposit' and only with it"
            )
        return self


class Measure(Strict):
    """A legal measure: authority, references, provisions (Chapter 99 headings)."""

    id: str
    label: str
    importing_country: Literal["US", "CA"]
    authority: str
    references: dict[str, Reference]
    confidence: Literal["H", "M", "L"]
    confidence_note: str = ""
    verified_to: str
    reporting_order: int
    void_after_ruling: str | None = None
    provisions: list[Provision]

    @field_validator("verified_to")
    @classmethod
    def _date(cls, value: str) -> str:
        parse_ts(value)
        return value


class RuleParty(Strict):
    measures: list[str]
    headings: list[str] = Field(default_factory=list)


class PrecedenceRule(Strict):
    """``winner`` displaces ``loser`` on the whole line, or takes its part of the value
    (``remainder``: the loser applies to the value left after the winner's bases), or the two
    ``add`` (stack in full; the default for measures no rule names, stated when an instrument
    says so expressly), or ``remit``: the loser is payable at entry and remitted (a remission
    order claimed on the line)."""

    id: str
    label: str
    winner: RuleParty
    loser: RuleParty
    effect: Literal["displace", "remainder", "add", "remit"]
    from_: str = Field(alias="from")
    to: str | None = None
    ref: Reference

    @field_validator("from_", "to")
    @classmethod
    def _ts(cls, value: str | None) -> str | None:
        if value is not None:
            parse_ts(value)
        return value


class RuleFile(Strict):
    importing_country: Literal["US", "CA"]
    rules: list[PrecedenceRule]


class ListProvenance(Strict):
    """The sidecar of a list file: which instrument the list states and how the file was made."""

    title: str
    instrument: str
    citation: str
    url: str
    generated_by: str
    source: str
    confidence: Literal["H", "M", "L"]
    cross_check: str = ""
    note: str = ""
