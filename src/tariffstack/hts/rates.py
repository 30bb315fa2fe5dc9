"""Parse HTS rate-of-duty texts into structured rates.

The schedule prints rates as text: ``Free``, ``6.8%``, ``4.4¢/kg``, ``$1.035/doz.``, ``0.9¢/kg + 2.6%``,
``Free (A+,AU,...,S,SG)``. The engine needs numbers. USITC's JSON sometimes carries the HTML of its
web edition inside a rate (``5% <u></u>``, ``$1.13/m<sup>3</sup>``, ``14.5¢/m<sup>2 </sup>+ 0.4%``):
the markup is typography, not law, so it is removed (tags dropped, entities decoded) before parsing.
This module turns each text into a :class:`Rate` with exact integer units (parts per million for
ad valorem; millionths of a cent per unit for specific rates), or says it cannot, and why.
Nothing unreadable becomes zero.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from decimal import Decimal

PPM_PER_PERCENT = 10_000
MICROCENTS_PER_CENT = 1_000_000

# Units as printed in rate texts → the canonical unit names used for quantities.
UNIT_SYNONYMS: dict[str, str] = {
    "kg": "kg",
    "clean kg": "kg",
    "g": "g",
    "t": "t",
    "liter": "liter",
    "liters": "liter",
    "l": "liter",
    "pf. liter": "pf_liter",
    "pf.liter": "pf_liter",
    "pf liter": "pf_liter",
    "proof liter": "pf_liter",
    "bbl": "bbl",
    "barrel": "bbl",
    "doz.": "doz",
    "doz": "doz",
    "dozen": "doz",
    "doz. pr.": "doz_pr",
    "pr.": "pr",
    "pr": "pr",
    "pair": "pr",
    "gross": "gross",
    "m2": "m2",
    "m²": "m2",
    "m3": "m3",
    "m": "m",
    "head": "no",
    "no.": "no",
    "no": "no",
    "each": "no",
    "article": "no",
    "jewel": "jewel",
    "thousand": "thousand",
    "1000": "thousand",
    "kwh": "kwh",
    "gbq": "gbq",
    "carat": "carat",
    "cu. m": "m3",
}

_NUMBER = r"(\d+(?:\.\d+)?)"
_AD_VALOREM = re.compile(rf"^{_NUMBER}\s*(?:%|percent)\s*(.*)$")
_CENTS = re.compile(rf"^{_NUMBER}\s*¢\s*(.*)$")
_DOLLARS = re.compile(rf"^\$\s*{_NUMBER}\s*(.*)$")
_PROGRAMS = re.compile(r"\(([^()]*)\)")
_REFERENCE = re.compile(r"^(The rate (of duty )?applicable to|See additional U\.S\. note \d+)", re.IGNORECASE)
_POLARITY = re.compile(rf"^{_NUMBER}¢/kg less {_NUMBER}¢/kg for each degree under 100 degrees.*not less than")
_PER_LINE = re.compile(rf"^{_NUMBER}¢/line/ ?gross \+ {_NUMBER}%$")
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")


def strip_markup(text: str) -> str:
    """The rate text without HTML tags or entities (``m<sup>3</sup>`` → ``m3``, ``5% <u></u>`` → ``5%``)."""
    if "<" not in text and "&" not in text:
        return text
    return html.unescape(_TAG.sub("", text)).replace("\xa0", " ")


@dataclass(frozen=True)
class Specific:
    """A specific duty: ``amount_microcents`` per ``unit`` (``qualifier`` says on what quantity)."""

    amount_microcents: int
    unit: str
    qualifier: str = ""


@dataclass(frozen=True)
class Rate:
    """A parsed rate. ``status`` is one of:

    - ``free``: no duty.
    - ``ad_valorem`` / ``specific`` / ``compound``: computable from value and quantity.
    - ``component``: ad valorem or specific on a part of the article (``on the case``, ``on lead
      content``): structured, but it needs the component's value or quantity.
    - ``reference``: the rate of another classification (``The rate applicable to each garment in
      the ensemble if separately entered``, ``See additional U.S. note 3``): structured as a pointer,
      computed by classifying the parts.
    - ``text``: anything else in words: not parsed.
    - ``empty``: no rate printed.
    """

    status: str
    text: str
    ad_valorem_ppm: int = 0
    specifics: tuple[Specific, ...] = field(default_factory=tuple)
    components: tuple[str, ...] = field(default_factory=tuple)

    @property
    def structured(self) -> bool:
        return self.status in {"free", "ad_valorem", "specific", "compound", "component", "reference"}

    @property
    def computable(self) -> bool:
        return self.status in {"free", "ad_valorem", "specific", "compound"}


def _to_int(number: str, scale: int) -> int:
    scaled = Decimal(number) * scale
    if scaled != scaled.to_integral_value():
        raise ValueError(f"rate {number} has more precision than the store keeps")
    return int(scaled)


def _parse_unit(rest: str) -> tuple[str, str] | None:
    """Split ``kg on drained weight`` into (``kg``, ``on drained weight``)."""
    rest = rest.strip().lower()
    if rest.startswith("each"):
        return "no", rest[4:].strip()
    if not rest.startswith("/"):
        return None
    rest = rest[1:].strip()
    for printed in sorted(UNIT_SYNONYMS, key=len, reverse=True):
        if rest.startswith(printed) and (len(rest) == len(printed) or not rest[len(printed)].isalnum()):
            return UNIT_SYNONYMS[printed], rest[len(printed) :].strip()
    return None


def _parse_term(term: str) -> tuple[int, Specific | None, str] | None:
    """One ``+``-separated term → (ad valorem ppm, specific or None, component qualifier)."""
    term = term.strip()
    if m := _AD_VALOREM.match(term):
        qualifier = m.group(2).strip()
        return _to_int(m.group(1), PPM_PER_PERCENT), None, qualifier
    for pattern, scale in ((_CENTS, MICROCENTS_PER_CENT), (_DOLLARS, 100 * MICROCENTS_PER_CENT)):
        if m := pattern.match(term):
            unit = _parse_unit(m.group(2))
            if unit is None:
                return None
            name, qualifier = unit
            return 0, Specific(_to_int(m.group(1), scale), name, qualifier), ""
    return None


def _strip_programs(text: str) -> str:
    return _PROGRAMS.sub("", text).strip()


def parse_rate(text: str | None) -> Rate:
    """Parse one column-1 general or column-2 rate text (special-program lists excluded)."""
    raw = strip_markup(text or "").strip()
    clean = " ".join(raw.split())
    if not clean:
        return Rate("empty", raw)
    if clean.lower().startswith("free"):
        return Rate("free", raw)
    if _REFERENCE.match(clean):
        return Rate("reference", raw, components=(clean,))
    if m := _POLARITY.match(clean):
        # Raw sugar: a specific rate reduced per degree of polarization under 100, with a floor.
        base = Specific(_to_int(m.group(1), MICROCENTS_PER_CENT), "kg", "at 100 degrees polarization")
        return Rate("component", raw, 0, (base,), ("degree of polarization",))
    if m := _PER_LINE.match(clean):
        return Rate("component", raw, _to_int(m.group(2), PPM_PER_PERCENT), (), ("lines per gross",))
    ad_valorem = 0
    specifics: list[Specific] = []
    components: list[str] = []
    for term in clean.split("+"):
        parsed = _parse_term(term)
        if parsed is None:
            return Rate("text", raw)
        ppm, specific, qualifier = parsed
        if qualifier:
            components.append(qualifier)
        ad_valorem += ppm
        if specific is not None:
            specifics.append(specific)
            if specific.qualifier and not _is_quantity_basis(specific.qualifier):
                components.append(specific.qualifier)
    if components:
        status = "component"
    elif specifics and ad_valorem:
        status = "compound"
    elif specifics:
        status = "specific"
    else:
        status = "ad_valorem"
    return Rate(status, raw, ad_valorem, tuple(specifics), tuple(components))


def _is_quantity_basis(qualifier: str) -> bool:
    """Qualifiers that only say which quantity is measured (the filer reports that quantity)."""
    return qualifier in {
        "on drained weight",
        "of total sugars",
        "on contents and container",
        "on entire contents of container",
        "on ethyl alcohol content",
    }


@dataclass(frozen=True)
class SpecialRates:
    """The special column split into (rate, programs) groups, e.g. Free for ``S``, 2.5% for ``AU``."""

    groups: tuple[tuple[Rate, tuple[str, ...]], ...]

    def for_program(self, program: str) -> Rate | None:
        for rate, programs in self.groups:
            if program in programs:
                return rate
        return None


_SPECIAL_GROUP = re.compile(r"([^()]*?)\s*\(([^()]*)\)")


def parse_special(text: str | None) -> SpecialRates:
    """``Free (A+,AU,S,SG) 2.5% (JP)`` → groups; ``See 9823.xx (S+)`` references stay text rates."""
    clean = " ".join(strip_markup(text or "").split())
    groups = []
    for rate_text, programs in _SPECIAL_GROUP.findall(clean):
        codes = tuple(p.strip() for p in programs.split(",") if p.strip())
        groups.append((parse_rate(rate_text), codes))
    return SpecialRates(tuple(groups))
