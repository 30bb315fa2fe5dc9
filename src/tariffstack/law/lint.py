"""Lints over the law tree: the checks a reviewer would otherwise do by eye, run as tests.

- every dated value names a reference declared in its measure;
- dated values ascend strictly within a provision, and rule periods end after they start;
- every HTS prefix (and every list entry) matches at least one HTS10 line of the schedule in force
  on each date the provision starts or changes rate while in force;
- every list file has a provenance sidecar, and every sidecar names its generator;
- measure ids match their paths (the loader enforces it; the lint restates it for the report);
- exception headings name headings of the same measure; rules name existing measures and headings;
- two duty provisions of one measure that take the same good in overlapping periods are declared
  alternatives (an exception heading or a precedence rule that picks one) or cited as stacking;
- (with the reference data) every list entry read from a legal text has the digit level printed there.
"""

from __future__ import annotations

import csv
import itertools
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tariffstack.hts.store import Store
from tariffstack.law.loader import Law, default_law_dir
from tariffstack.law.model import ListRef, Provision, parse_ts


@dataclass(frozen=True)
class LintIssue:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _prefixes_by_source(items: list, law: Law) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in items:
        if isinstance(item, ListRef):
            out.extend((p, f"list {item.list}") for p in law.lists.get(item.list, []))
        elif item != "*":
            out.append((item.replace(".", ""), "prefix"))
    return out


def _code_prefixes(store: Store, day: datetime) -> set[str]:
    """Every 2-, 4-, 6-, 8- and 10-digit prefix of the HTS10 lines in force on ``day``."""
    codes = store.codes_on(day.date())
    return {p for n in (2, 4, 6, 8, 10) for p in codes.str.slice(0, n).unique().to_list()}


def _check_prefixes(law: Law, store: Store | None) -> list[LintIssue]:
    if store is None:
        return []
    issues: list[LintIssue] = []
    known: dict[datetime, set[str]] = {}
    first_schedule = datetime.combine(store.revisions["in_force_from"].min(), datetime.min.time())
    for measure in law.measures.values():
        if measure.importing_country != "US":
            continue  # Canada's tariff is not in the reference data; its items are checked for form only
        for prov in measure.provisions:
            prefixes = _prefixes_by_source(prov.products.include + prov.products.exclude, law)
            for dated in prov.rates:
                if not prefixes or (dated.rate is None and dated.top_up_to is None):
                    continue
                # A value dated before the first schedule in the store is checked against that schedule.
                day = max(parse_ts(dated.from_), first_schedule)
                if day not in known:
                    known[day] = _code_prefixes(store, day)
                for prefix, source in prefixes:
                    if prefix not in known[day]:
                        issues.append(
                            LintIssue(
                                f"{measure.id} {prov.heading}",
                                f"{source} entry {prefix} matches no HTS10 line in force on {dated.from_}",
                            )
                        )
    return issues


def lint_law(
    law: Law, store: Store | None = None, data_dir: Path | None = None, law_dir: Path | None = None
) -> list[LintIssue]:
    """All lint findings; an empty list means the law tree is clean.

    With ``data_dir`` (the reference data), list entries are also re-read at their cited source
    (:func:`check_list_levels`); ``law_dir`` is the law tree the lists are read from (default: packaged).
    """
    issues: list[LintIssue] = []
    for mid, measure in law.measures.items():
        path = law.measure_paths.get(mid)
        if path is not None and not path.as_posix().endswith(f"measures/{mid.split('/', 1)[1]}.yaml"):
            issues.append(LintIssue(mid, f"id does not match path {path}"))
        headings = {p.heading for p in measure.provisions}
        for prov in measure.provisions:
            where = f"{mid} {prov.heading}"
            if not prov.rates:
                issues.append(LintIssue(where, "no dated rate values"))
            starts = [parse_ts(r.from_) for r in prov.rates]
            if any(b <= a for a, b in itertools.pairwise(starts)):
                issues.append(
                    LintIssue(where, f"dated values do not ascend: {[r.from_ for r in prov.rates]}")
                )
            for dated in prov.rates:
                if dated.ref not in measure.references:
                    issues.append(
                        LintIssue(where, f"value from {dated.from_} cites undeclared reference {dated.ref!r}")
                    )
            for heading in prov.except_headings:
                if heading not in headings:
                    issues.append(LintIssue(where, f"exception heading {heading} is not a heading of {mid}"))
            for item in prov.products.include + prov.products.exclude:
                if isinstance(item, ListRef) and item.list not in law.lists:
                    issues.append(LintIssue(where, f"list {item.list} does not exist"))
        for key, ref in measure.references.items():
            if not (ref.instrument and ref.citation and ref.url.startswith("http")):
                issues.append(
                    LintIssue(mid, f"reference {key!r} needs instrument, citation and an http(s) url")
                )
    for name in law.lists:
        prov = law.list_provenance.get(name)
        if prov is None:
            issues.append(LintIssue(f"list {name}", "no .provenance.yaml sidecar"))
        elif not prov.generated_by:
            issues.append(LintIssue(f"list {name}", "provenance does not say how the list was made"))
    for file_id, rule_file in law.rules.items():
        for rule in rule_file.rules:
            where = f"{file_id} {rule.id}"
            if rule.to and parse_ts(rule.to) <= parse_ts(rule.from_):
                issues.append(LintIssue(where, f"period ends ({rule.to}) before it starts ({rule.from_})"))
            for party in (rule.winner, rule.loser):
                for mid in party.measures:
                    if mid not in law.measures:
                        issues.append(LintIssue(where, f"names unknown measure {mid}"))
                        continue
                    known = {p.heading for p in law.measures[mid].provisions}
                    for heading in party.headings:
                        if heading not in known and not any(
                            heading in {p.heading for p in law.measures[m].provisions}
                            for m in party.measures
                            if m in law.measures
                        ):
                            issues.append(LintIssue(where, f"heading {heading} is not in {party.measures}"))
    for name, items in law.lists.items():
        if name.startswith("ca/"):
            issues.extend(
                LintIssue(f"list {name}", f"{item!r} is not an 8-digit Canadian tariff item")
                for item in items
                if not (len(item) == 8 and item.isdigit())
            )
    issues.extend(_check_prefixes(law, store))
    issues.extend(check_alternatives(law))
    if data_dir is not None:
        issues.extend(check_list_levels(law_dir or default_law_dir(), data_dir)[0])
    return issues


# --- Scopes and alternatives (issue 11) -------------------------------------------------------------

_COMPLEMENTS = (
    ("spi_in", "spi_not_in"),
    ("fact_true", "fact_not_true"),
    ("fact_present", "fact_absent"),
    ("fact_in", "fact_not_in"),
    ("fact_below", "fact_at_least"),
)


def _in_force(prov: Provision) -> list[tuple[datetime, datetime]]:
    """The periods in which a provision has a rate (a ``null`` value ends one)."""
    starts = [parse_ts(r.from_) for r in prov.rates] + [datetime.max]
    return [
        (starts[i], starts[i + 1])
        for i, dated in enumerate(prov.rates)
        if dated.rate is not None or dated.top_up_to is not None
    ]


def _periods_meet(a: list[tuple[datetime, datetime]], b: list[tuple[datetime, datetime]]) -> bool:
    return any(s1 < e2 and s2 < e1 for s1, e1 in a for s2, e2 in b)


def _conditions_exclusive(a: Provision, b: Provision) -> bool:
    """True when one provision's condition is the plain complement of the other's (never both hold)."""
    for left, right in _COMPLEMENTS:
        for x, y in ((a, b), (b, a)):
            ours = [getattr(c, left) for c in x.conditions if getattr(c, left) is not None]
            theirs = [getattr(c, right) for c in y.conditions if getattr(c, right) is not None]
            if any(p == q for p in ours for q in theirs):
                return True
    return False


def _scope(items: list, law: Law) -> set[str]:
    return {p for p, _ in _prefixes_by_source(items, law)} | ({"*"} if "*" in items else set())


def _decides(code: str, include: set[str], exclude: set[str]) -> bool:
    """Whether a scope takes ``code`` (longest matching prefix; an exclude wins at equal length)."""
    for n in range(len(code), 1, -1):
        prefix = code[:n]
        if prefix in exclude:
            return False
        if prefix in include:
            return True
    return "*" in include and "*" not in exclude


def _shared_code(a: tuple[set[str], set[str]], b: tuple[set[str], set[str]]) -> str | None:
    """A code (the longer of two nested prefixes) that both scopes take, if there is one."""
    (inc_a, exc_a), (inc_b, exc_b) = a, b
    candidates = set()
    for x in inc_a:
        for y in inc_b:
            if x == "*" or y == "*":
                candidates.add(y if x == "*" else x)
            elif x.startswith(y) or y.startswith(x):
                candidates.add(x if len(x) >= len(y) else y)
    for code in sorted(candidates):
        if code != "*" and _decides(code, inc_a, exc_a) and _decides(code, inc_b, exc_b):
            return code
    return None


def _declared_together(law: Law, mid: str, a: Provision, b: Provision) -> bool:
    """An exception heading or a precedence rule (any effect, stacking included) names the pair."""
    if a.heading in b.except_headings or b.heading in a.except_headings:
        return True
    for rule_file in law.rules.values():
        for rule in rule_file.rules:
            parties = (rule.winner, rule.loser)
            names = [
                mid in party.measures and (not party.headings or heading in party.headings)
                for party in parties
                for heading in (a.heading, b.heading)
            ]
            # winner names a and loser names b, or the other way round
            if (names[0] and names[3]) or (names[1] and names[2]):
                return True
    return False


def check_alternatives(law: Law) -> list[LintIssue]:
    """Two duty provisions of one measure whose scopes and periods overlap must be declared.

    The same good would otherwise be charged twice (e.g. 7616.99.51 as an aluminum article and
    7616.99.5190 as a derivative). Declared means: one names the other in ``except_headings``, a
    precedence rule names both (``displace``/``remainder`` picks one; ``add`` cites stacking), or
    their conditions are plain complements (``spi_in`` vs ``spi_not_in`` ...).
    """
    issues: list[LintIssue] = []
    for mid, measure in law.measures.items():
        duties = [p for p in measure.provisions if p.kind == "duty"]
        scopes = [(_scope(p.products.include, law), _scope(p.products.exclude, law)) for p in duties]
        for (i, a), (j, b) in itertools.combinations(enumerate(duties), 2):
            if not set(a.countries) & set(b.countries) or not _periods_meet(_in_force(a), _in_force(b)):
                continue
            code = _shared_code(scopes[i], scopes[j])
            if code is None or _conditions_exclusive(a, b) or _declared_together(law, mid, a, b):
                continue
            issues.append(
                LintIssue(
                    f"{mid} {a.heading} / {b.heading}",
                    f"'{a.label}' and '{b.label}' both take {code} in overlapping periods: declare them "
                    "alternatives (except_headings or a precedence rule) or cite their stacking (effect add)",
                )
            )
    return issues


_PRINTED = re.compile(r"(?<![\d.])(\d{4}(?:\.\d{2}){0,2}(?:\.?\d{2})?)(?![\d.]*\d)")
_SOURCE = re.compile(r"^([\w.-]+\.(?:txt|json\.gz))(?::(\d+)|: footnote of ([\d.]+)|: ([\d.]+) )")


def check_list_levels(law_dir: Path, data_dir: Path) -> tuple[list[LintIssue], int]:
    """Every list entry read from a legal text has the digits the text prints at that place.

    An 8-digit entry where the text names a 10-digit statistical line (or the reverse) widens or
    narrows the scope. Entries whose source is a text of the reference data (Chapter 99 notes,
    annexes, Federal Register, USITC footnotes) are re-read at the cited line; returns the issues and
    the number of entries checked.
    """
    roots = {p.name: p for sub in ("us_notes", "hts") for p in (data_dir / sub).glob("*")} | {
        p.name: p for p in (data_dir.parent / "sources").glob("*/*.txt")
    }
    cache: dict[str, list[str]] = {}
    issues: list[LintIssue] = []
    checked = 0
    for path in sorted(law_dir.glob("*/lists/*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                entry = row["prefix"].replace(".", "")
                verdicts = []
                for part in (row.get("source") or "").split("; "):
                    match = _SOURCE.match(part.strip())
                    if match and match.group(1) in roots:
                        verdicts.append(_printed_at(entry, match.groups(), roots, cache))
                if not verdicts:
                    continue
                checked += 1
                if not any(verdicts):
                    issues.append(
                        LintIssue(
                            f"list {path.parent.parent.name}/{path.stem} row {number}",
                            f"entry {entry} is not printed at that digit level at its source {row['source']}",
                        )
                    )
    return issues, checked


def _printed_at(entry: str, source: tuple, roots: dict[str, Path], cache: dict[str, list[str]]) -> bool:
    """Whether the cited text line (or USITC row) prints ``entry`` with exactly its digits."""
    name, line, footnote, stat = source
    if not line:
        return (footnote or stat).replace(".", "") == entry
    if name not in cache:
        cache[name] = roots[name].read_text(encoding="latin-1").split("\n")
    text = cache[name][int(line) - 1]
    printed = {c.replace(".", "") for c in _PRINTED.findall(text)}
    return entry in printed
