"""Lints over the law tree: the checks a reviewer would otherwise do by eye, run as tests.

- every dated value names a reference declared in its measure;
- dated values ascend strictly within a provision, and rule periods end after they start;
- every HTS prefix (and every list entry) matches at least one HTS10 line of the schedule in force
  on each date the provision starts or changes rate while in force;
- every list file has a provenance sidecar, and every sidecar names its generator;
- measure ids match their paths (the loader enforces it; the lint restates it for the report);
- exception headings name headings of the same measure; rules name existing measures and headings.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

from tariffstack.hts.store import Store
from tariffstack.law.loader import Law
from tariffstack.law.model import ListRef, parse_ts


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


def lint_law(law: Law, store: Store | None = None) -> list[LintIssue]:
    """All lint findings; an empty list means the law tree is clean."""
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
    return issues
