"""Scenario files: strict YAML describing a modified copy of the law and of the assumptions.

A scenario is validated entirely before anything runs (the schema, then every measure, heading,
rule and list it names against the law); an error names the file, the key and the value. The
baseline :class:`~tariffstack.law.loader.Law` is never changed: the scenario builds new measure
and rule objects (the law's models are frozen) and a new ``Law`` that shares the untouched ones,
then compiles it in a separate :class:`~tariffstack.api.Engine` that reuses the baseline's store.

Operations (``op``):

- ``set_rate``: from a date, a provision's rate becomes ``rate`` (``null`` ends it; later dated
  values are dropped), or with ``cap: true`` every rate from that date on is lowered to ``rate``
  where it is higher (top-ups too);
- ``end_measure`` / ``remove_measure``: end every provision (of the named headings) from a date,
  or remove the measure altogether (it never existed);
- ``keep_in_force``: drop the dated values from a date on, so the last rate before it continues;
- ``not_void``: the measure is not voided by a court (owed = assessed);
- ``add_measure``: a whole new measure (the law's measure format, validated as such);
- ``add_provision``: a new heading (provision) in an existing measure (its dated values may cite
  ``ref: scenario``, the scenario file itself);
- ``set_scope``: replace a heading's product scope (include/exclude prefixes or lists);
- ``add_rule`` / ``remove_rule`` / ``move_rule``: precedence rules (added before a named rule or
  at the end of the file; moved before another rule);
- ``usmca_claim_rate``: the share of value entered claiming USMCA (everywhere or by chapter);
- ``assumptions``: weights, metal content, U.S. content;
- ``quota``: from a date, the value of each HTS10 line of the given products up to a volume
  (``2024annual``: the line's average 2024 month) enters with the facts a quota heading tests
  (Commerce-authorised quantity; melted/smelted in Canada); the rest without them.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tariffstack.analysis.flows import Assumptions, annual_2024
from tariffstack.api import Engine
from tariffstack.law.loader import Law, LawError, load_yaml
from tariffstack.law.model import (
    DatedRate,
    ListRef,
    Measure,
    PrecedenceRule,
    ProductScope,
    Provision,
    Reference,
    parse_ts,
)

SCENARIO_REF = "scenario"


class ScenarioError(ValueError):
    """A scenario that does not validate; the message names the file, the key and the value."""


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Dated(_Op):
    from_: Annotated[str, Field(alias="from", pattern=r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$")]


class SetRate(_Dated):
    op: Literal["set_rate"]
    measure: str
    headings: list[str] = Field(default_factory=list)
    rate: Annotated[str | None, Field(pattern=r"^\d+(\.\d+)?%$")]
    cap: bool = False


class EndMeasure(_Dated):
    op: Literal["end_measure"]
    measure: str
    headings: list[str] = Field(default_factory=list)


class KeepInForce(_Dated):
    op: Literal["keep_in_force"]
    measure: str
    headings: list[str] = Field(default_factory=list)


class RemoveMeasure(_Op):
    op: Literal["remove_measure"]
    measure: str


class NotVoid(_Op):
    op: Literal["not_void"]
    measure: str


class AddMeasure(_Op):
    op: Literal["add_measure"]
    measure: Measure


class AddProvision(_Op):
    op: Literal["add_provision"]
    measure: str
    provision: Provision


class SetScope(_Op):
    op: Literal["set_scope"]
    measure: str
    heading: str
    products: ProductScope


class AddRule(_Op):
    op: Literal["add_rule"]
    file: str
    rule: PrecedenceRule
    before: str | None = None


class RemoveRule(_Op):
    op: Literal["remove_rule"]
    rule: str


class MoveRule(_Op):
    op: Literal["move_rule"]
    rule: str
    before: str


class ClaimRate(_Op):
    op: Literal["usmca_claim_rate"]
    share: Annotated[float, Field(ge=0, le=1)]
    chapters: list[Annotated[str, Field(pattern=r"^\d{2}$")]] = Field(default_factory=list)


class SetAssumptions(_Op):
    op: Literal["assumptions"]
    weights: Literal["latest12", "2025H2", "2024annual"] | None = None
    content: Annotated[str | None, Field(pattern=r"^(full|bea|flat:(0(\.\d+)?|1(\.0+)?))$")] = None
    us_content: Annotated[float | None, Field(ge=0, le=1)] = None


class Quota(_Dated):
    op: Literal["quota"]
    products: list[str | ListRef]
    volume: Literal["2024annual"]
    facts: dict[Literal["commerce_approved_quantity", "melt_country", "smelt_country"], bool | str]


Change = Annotated[
    SetRate
    | EndMeasure
    | KeepInForce
    | RemoveMeasure
    | NotVoid
    | AddMeasure
    | AddProvision
    | SetScope
    | AddRule
    | RemoveRule
    | MoveRule
    | ClaimRate
    | SetAssumptions
    | Quota,
    Field(discriminator="op"),
]


class Scenario(_Op):
    """A named modification of the baseline law and assumptions."""

    name: str
    description: str
    data_limits: str = ""
    report_date: Annotated[str | None, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None
    changes: list[Change]


def _where(exc: ValidationError, data: object) -> str:
    parts = []
    for error in exc.errors()[:5]:
        loc = ".".join(str(p) for p in error["loc"])
        parts.append(f"key {loc}: value {error.get('input')!r}: {error['msg']}")
    return "; ".join(parts)


def load_scenario(path: Path, law: Law) -> Scenario:
    """Parse and validate a scenario file completely (schema, then names against the law)."""
    try:
        data = load_yaml(path)
    except LawError as exc:
        raise ScenarioError(str(exc)) from exc
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"{path}: {_where(exc, data)}") from exc
    _check_names(path, scenario, law)
    return scenario


def _check_names(path: Path, scenario: Scenario, law: Law) -> None:
    rule_ids = {r.id for f in law.rules.values() for r in f.rules}
    added = set()
    for i, change in enumerate(scenario.changes):
        key = f"changes.{i}"
        measure = getattr(change, "measure", None)
        if isinstance(change, AddMeasure):
            added.add(change.measure.id)
        elif isinstance(measure, str):
            if measure not in law.measures and measure not in added:
                raise ScenarioError(
                    f"{path}: key {key}.measure: value {measure!r}: no such measure in the law"
                )
            headings = getattr(change, "headings", None) or (
                [change.heading] if isinstance(change, SetScope) else []
            )
            known = (
                {p.heading for p in law.measures[measure].provisions} if measure in law.measures else set()
            )
            for heading in headings:
                if heading not in known:
                    raise ScenarioError(
                        f"{path}: key {key}.headings: value {heading!r}: not a heading of {measure}"
                    )
        if isinstance(change, AddProvision) and measure in law.measures:
            declared = {*law.measures[measure].references, SCENARIO_REF}
            for j, dated in enumerate(change.provision.rates):
                if dated.ref not in declared:
                    raise ScenarioError(
                        f"{path}: key {key}.provision.rates.{j}.ref: value {dated.ref!r}: not a reference of "
                        f"{measure} (use 'scenario' for the scenario file itself)"
                    )
        if isinstance(change, RemoveRule | MoveRule) and change.rule not in rule_ids:
            raise ScenarioError(f"{path}: key {key}.rule: value {change.rule!r}: no such precedence rule")
        if isinstance(change, MoveRule | AddRule) and change.before and change.before not in rule_ids:
            raise ScenarioError(f"{path}: key {key}.before: value {change.before!r}: no such precedence rule")
        if isinstance(change, AddRule) and change.file not in law.rules:
            raise ScenarioError(f"{path}: key {key}.file: value {change.file!r}: no such rule file")
        if isinstance(change, Quota):
            for item in change.products:
                if isinstance(item, ListRef) and item.list not in law.lists:
                    raise ScenarioError(f"{path}: key {key}.products: value {item.list!r}: no such list")


def _with_reference(measure: Measure, scenario: Scenario, path: Path) -> Measure:
    ref = Reference(
        instrument=f"Scenario: {scenario.name}",
        citation=scenario.description[:200],
        url=path.resolve().as_uri(),
    )
    return measure.model_copy(update={"references": {**measure.references, SCENARIO_REF: ref}})


def _rates_from(rates: list[DatedRate], start: str, new: list[DatedRate]) -> list[DatedRate]:
    cut = parse_ts(start)
    return [r for r in rates if parse_ts(r.from_) < cut] + new


def _capped(rates: list[DatedRate], start: str, cap: str) -> list[DatedRate]:
    """Rates from ``start`` on lowered to ``cap`` where higher (the value in force at ``start`` too)."""
    cut, limit = parse_ts(start), float(cap.rstrip("%"))

    def lower(r: DatedRate, at: str) -> DatedRate:
        text = r.rate or r.top_up_to
        if text is None or float(text.rstrip("%")) <= limit:
            return r.model_copy(update={"from_": at})
        key = "rate" if r.rate is not None else "top_up_to"
        return DatedRate.model_validate({"from": at, key: cap, "ref": SCENARIO_REF})

    before = [r for r in rates if parse_ts(r.from_) < cut]
    after = [lower(r, r.from_) for r in rates if parse_ts(r.from_) >= cut]
    current = [lower(before[-1], start)] if before and (before[-1].rate or before[-1].top_up_to) else []
    if after and parse_ts(after[0].from_) == cut:
        current = []
    return before + current + after


def apply(law: Law, scenario: Scenario, path: Path) -> Law:
    """A new Law with the scenario's law changes; ``law`` is left as it was."""
    measures = dict(law.measures)
    rules = dict(law.rules)
    for change in scenario.changes:
        if isinstance(change, AddMeasure):
            measures[change.measure.id] = change.measure
            continue
        if isinstance(change, RemoveMeasure):
            measures.pop(change.measure, None)
            continue
        if isinstance(change, AddRule | RemoveRule | MoveRule):
            rules = _apply_rule(rules, change)
            continue
        measure = getattr(change, "measure", None)
        if not isinstance(measure, str) or measure not in measures:
            continue
        m = _with_reference(measures[measure], scenario, path)
        if isinstance(change, NotVoid):
            measures[measure] = m.model_copy(update={"void_after_ruling": None})
            continue
        if isinstance(change, AddProvision):
            measures[measure] = m.model_copy(update={"provisions": [*m.provisions, change.provision]})
            continue
        heads = set(getattr(change, "headings", None) or [])
        provisions = []
        for prov in m.provisions:
            if heads and prov.heading not in heads:
                provisions.append(prov)
                continue
            if isinstance(change, SetRate):
                new = (
                    _capped(prov.rates, change.from_, change.rate)
                    if change.cap and change.rate
                    else _rates_from(
                        prov.rates,
                        change.from_,
                        [
                            DatedRate.model_validate(
                                {"from": change.from_, "rate": change.rate, "ref": SCENARIO_REF}
                            )
                        ],
                    )
                )
                prov = prov.model_copy(update={"rates": new})
            elif isinstance(change, EndMeasure):
                new = _rates_from(
                    prov.rates,
                    change.from_,
                    [DatedRate.model_validate({"from": change.from_, "rate": None, "ref": SCENARIO_REF})],
                )
                prov = prov.model_copy(update={"rates": new})
            elif isinstance(change, KeepInForce):
                kept = _rates_from(prov.rates, change.from_, [])
                if not kept:  # the provision would only have started later: it never does
                    continue
                prov = prov.model_copy(update={"rates": kept})
            elif isinstance(change, SetScope) and prov.heading == change.heading:
                prov = prov.model_copy(update={"products": change.products})
            provisions.append(prov)
        measures[measure] = m.model_copy(update={"provisions": provisions})
    return dataclasses.replace(law, measures=measures, rules=rules)


def _apply_rule(rules: dict, change) -> dict:
    out = {}
    for file_id, rule_file in rules.items():
        items = list(rule_file.rules)
        if isinstance(change, RemoveRule | MoveRule):
            moved = [r for r in items if r.id == change.rule]
            items = [r for r in items if r.id != change.rule]
            if isinstance(change, MoveRule) and moved:
                idx = next((i for i, r in enumerate(items) if r.id == change.before), len(items))
                items[idx:idx] = moved
        if isinstance(change, AddRule) and file_id == change.file:
            idx = next((i for i, r in enumerate(items) if r.id == change.before), len(items))
            items[idx:idx] = [change.rule]
        out[file_id] = rule_file.model_copy(update={"rules": items})
    return out


def scenario_engine(baseline: Engine, law: Law) -> Engine:
    """An Engine on ``law`` that shares the baseline's settings and store (no reload)."""
    engine = Engine(baseline.settings)
    engine.store = baseline.store
    engine.law = law  # cached_property: the instance value wins; compiled follows from it
    return engine


def scenario_assumptions(base: Assumptions, scenario: Scenario) -> Assumptions:
    updates: dict = {}
    for change in scenario.changes:
        if isinstance(change, ClaimRate):
            updates.update(claim_rate=change.share, claim_chapters=tuple(change.chapters))
        if isinstance(change, SetAssumptions):
            updates.update({k: v for k, v in change.model_dump().items() if k != "op" and v is not None})
    return dataclasses.replace(base, **updates)


def first_day(scenario: Scenario) -> date | None:
    """The first day the scenario can change anything (None: from the start of the series)."""
    days = []
    for change in scenario.changes:
        start = getattr(change, "from_", None)
        if start is None:
            return None
        days.append(datetime.fromisoformat(start).date())
    return min(days) if days else None


def quota_lines(lines: pl.DataFrame, scenario: Scenario, law: Law, data_dir: Path) -> pl.DataFrame:
    """Split lines of the quota products into an in-quota part (with the quota facts) and the rest."""
    for change in scenario.changes:
        if not isinstance(change, Quota):
            continue
        prefixes = []
        for item in change.products:
            prefixes.extend(law.lists[item.list] if isinstance(item, ListRef) else [item.replace(".", "")])
        volume = annual_2024(data_dir / "trade").select("hts10", quota_cents="total_cents")
        in_scope = pl.any_horizontal([pl.col("hts10").str.starts_with(p) for p in prefixes])
        totals = lines.group_by("wkey", "hts10").agg(line_total=pl.col("value_cents").sum())
        tagged = (
            lines.join(totals, on=["wkey", "hts10"])
            .join(volume, on="hts10", how="left")
            .with_columns(
                share=pl.when(in_scope)
                .then(
                    pl.min_horizontal(pl.lit(1.0), pl.col("quota_cents").fill_null(0) / pl.col("line_total"))
                )
                .otherwise(0.0)
            )
        )
        value_in = (pl.col("value_cents") * pl.col("share")).round().cast(pl.Int64)
        scale = [c for c in lines.columns if c.endswith("_value_cents")]
        inside = tagged.with_columns(
            value_cents=value_in, **{c: (pl.col(c) * pl.col("share")).round().cast(pl.Int64) for c in scale}
        )
        inside = inside.with_columns(
            **{k: pl.lit(v) for k, v in change.facts.items()},
            fact_from=pl.lit(datetime.fromisoformat(change.from_).date()),
        )
        outside = tagged.with_columns(
            value_cents=pl.col("value_cents") - value_in,
            **{c: pl.col(c) - (pl.col(c) * pl.col("share")).round().cast(pl.Int64) for c in scale},
        )
        drop = ["line_total", "quota_cents", "share"]
        lines = pl.concat([inside.drop(drop), outside.drop(drop)], how="diagonal").filter(
            pl.col("value_cents") > 0
        )
    return lines


SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "scenario.schema.json"


def scenario_schema() -> dict:
    """The JSON Schema of scenario files, generated from the models (published in ``schema/``)."""
    return Scenario.model_json_schema(by_alias=True)


def write_scenario_schema(path: Path = SCHEMA_PATH) -> Path:
    import json

    path.write_text(json.dumps(scenario_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
