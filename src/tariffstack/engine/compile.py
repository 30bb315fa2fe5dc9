"""Compile the law tree into the small tables the evaluator joins against.

This runs once per process (milliseconds); evaluation never reads YAML. Every table is keyed by
integers so that the per-line frames stay narrow: texts (labels, citations, reasons) live here and
are joined onto results only when they are printed.

Tables (one row per ...):
- ``provisions``: provision ``pid`` with its measure (``mid``), heading (``hid``: one id per
  measure+heading), kind, base, reporting order, authority, void-after-ruling flag;
- ``countries``: (pid, origin);
- ``scope``: (pid, prefix, plen, include), list files expanded, ``*`` as the empty prefix;
- ``rates``: ``rate_idx`` rows covering all time per pid (a sentinel "not in force before ..."
  row first), with ppm or top-up and the reference of that dated value;
- ``exceptions``: (pid, except_hid): the provision yields when that heading of its measure applies;
- ``rules`` / ``rule_winners`` / ``rule_losers``: precedence rules in declared order, with the
  provisions on each side;
- ``measures``: ``mid`` with id, label, importing country and country scope.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from tariffstack.engine.compiled import BASE_KINDS, BITS_PER_WORD, KEY_SPACE, CompiledLaw
from tariffstack.engine.conditions import compile_all, compile_condition, describe_condition
from tariffstack.engine.money import percent_to_ppm
from tariffstack.law.loader import Law
from tariffstack.law.model import ListRef, Measure, parse_ts

BEGINNING = datetime(1900, 1, 1)
END = datetime(9999, 12, 31)


def _epochs(rates: pl.DataFrame, rules: pl.DataFrame) -> tuple[pl.Series, pl.DataFrame, pl.DataFrame]:
    """Cut time at every instant the law changes; within an epoch every rate and rule is constant.

    A line's epoch is the number of breakpoints at or before its entry time, so the evaluator
    finds each provision's rate with an integer join on (pid, epoch) instead of a time search.
    """
    instants = (
        set(rates["from_ts"].to_list()) | set(rules["rule_from"].to_list()) | set(rules["rule_to"].to_list())
    )
    breakpoints = sorted(t for t in instants if BEGINNING < t < END)
    starts = pl.DataFrame(
        {"epoch": range(len(breakpoints) + 1), "start": [BEGINNING, *breakpoints]},
        schema={"epoch": pl.Int64, "start": pl.Datetime("us")},
    )
    epoch_rates = (
        rates.select("rate_idx", "pid", "from_ts", "to_ts", "in_force", "ppm", "top_up_ppm")
        .join(starts, how="cross")
        .filter((pl.col("from_ts") <= pl.col("start")) & (pl.col("start") < pl.col("to_ts")))
        .select("pid", "epoch", "rate_idx", "in_force", "ppm", "top_up_ppm")
    )
    rule_epochs = (
        rules.select("rule_idx", "rule_from", "rule_to")
        .join(starts, how="cross")
        .filter((pl.col("rule_from") <= pl.col("start")) & (pl.col("start") < pl.col("rule_to")))
        .select("rule_idx", "epoch")
    )
    return pl.Series("breakpoints", breakpoints, dtype=pl.Datetime("us")), epoch_rates, rule_epochs


def _prefixes(items: list, law: Law) -> list[str]:
    out: list[str] = []
    for item in items:
        if isinstance(item, ListRef):
            if item.list not in law.lists:
                raise KeyError(f"list {item.list!r} not found under lists/")
            out.extend(law.lists[item.list])
        else:
            out.append("" if item == "*" else item.replace(".", ""))
    return out


def _ref_columns(measure: Measure, key: str) -> dict[str, str]:
    if key not in measure.references:
        raise KeyError(f"{measure.id}: reference {key!r} is not declared in references")
    ref = measure.references[key]
    return {"ref_instrument": ref.instrument, "ref_citation": ref.citation, "ref_url": ref.url}


def _rate_rows(pid: int, measure: Measure, prov) -> list[dict]:
    starts = [parse_ts(r.from_) for r in prov.rates]
    rows = [
        {
            "pid": pid,
            "from_ts": BEGINNING,
            "to_ts": starts[0],
            "in_force": False,
            "ppm": None,
            "top_up_ppm": None,
            "rate_text": None,
            "note": f"not in force before {prov.rates[0].from_}",
            **_ref_columns(measure, prov.rates[0].ref),
        }
    ]
    for i, dated in enumerate(prov.rates):
        in_force = dated.rate is not None or dated.top_up_to is not None
        rows.append(
            {
                "pid": pid,
                "from_ts": starts[i],
                "to_ts": starts[i + 1] if i + 1 < len(starts) else END,
                "in_force": in_force,
                "ppm": percent_to_ppm(dated.rate) if dated.rate else None,
                "top_up_ppm": percent_to_ppm(dated.top_up_to) if dated.top_up_to else None,
                "rate_text": dated.rate or (f"top-up to {dated.top_up_to}" if dated.top_up_to else None),
                "note": dated.note or ("" if in_force else f"not in force from {dated.from_}"),
                **_ref_columns(measure, dated.ref),
            }
        )
    return rows


def compile_law(law: Law, importing_country: str | None = None) -> CompiledLaw:
    """All measures (of ``importing_country`` if given) and their rules, as integer-keyed tables."""
    prov_rows, country_rows, scope_rows, rate_rows, measure_rows = [], [], [], [], []
    conditions: dict[int, tuple[pl.Expr, str]] = {}
    terms: dict[str, list[pl.Expr]] = {}  # each condition text's conditions, one expression each
    hids: dict[tuple[str, str], int] = {}
    pending_exceptions: list[tuple[int, str, str]] = []
    pid = 0
    measures = sorted(law.measures.values(), key=lambda m: (m.reporting_order, m.id))
    measures = [m for m in measures if not importing_country or m.importing_country == importing_country]
    for mid, measure in enumerate(measures):
        measure_rows.append(
            {
                "mid": mid,
                "measure_id": measure.id,
                "measure_label": measure.label,
                "importing_country": measure.importing_country,
                "measure_countries": sorted({c for p in measure.provisions for c in p.countries}),
                "verified_to": parse_ts(measure.verified_to),
                "ended_by_verified_to": _ended_by(measure),
                "confidence": measure.confidence,
            }
        )
        for order, prov in enumerate(measure.provisions):
            pid += 1
            hid = hids.setdefault((measure.id, prov.heading), len(hids))
            share = prov.base.deemed_minimum or prov.base.us_content_cap  # a share of the value, if any
            prov_rows.append(
                {
                    "pid": pid,
                    "mid": mid,
                    "hid": hid,
                    "measure_id": measure.id,
                    "heading": prov.heading,
                    "label": prov.label,
                    "is_duty": prov.kind == "duty",
                    "is_deposit": prov.kind == "deposit",
                    "kind": prov.kind,
                    "reported": prov.reported,
                    "prohibited": prov.prohibited,
                    "base_kind": prov.base.kind,
                    "base_code": BASE_KINDS.index(prov.base.kind),
                    "base_required": prov.base.if_missing == "error",
                    "share_ppm": percent_to_ppm(share) if share else None,
                    "reporting_order": measure.reporting_order * 1000 + order,
                    "authority": measure.authority,
                    "void": measure.void_after_ruling is not None,
                }
            )
            country_rows.extend(
                {"pid": pid, "origin": c, "importing_country": measure.importing_country}
                for c in prov.countries
            )
            for include, items in ((True, prov.products.include), (False, prov.products.exclude)):
                for prefix in _prefixes(items, law):
                    scope_rows.append({"pid": pid, "prefix": prefix, "plen": len(prefix), "include": include})
            rate_rows.extend(_rate_rows(pid, measure, prov))
            pending_exceptions.extend((pid, measure.id, h) for h in prov.except_headings)
            if prov.conditions:
                text = "; ".join(describe_condition(c) for c in prov.conditions)
                conditions[pid] = (compile_all(prov.conditions), text)
                terms.setdefault(text, [compile_condition(c) for c in prov.conditions])
    # Provisions with the same conditions (e.g. every USMCA exemption) share one bit; the bits are
    # packed 62 to an Int64 word, as many words as the law needs.
    sets: dict[str, pl.Expr] = {}
    for expr, text in conditions.values():
        sets.setdefault(text, expr)
    set_bits = {text: bit for bit, text in enumerate(sets)}
    condition_sets = list(sets.values())
    condition_terms = [terms[text] for text in sets]
    for row in prov_rows:
        cond = conditions.get(row["pid"])
        bit = set_bits[cond[1]] if cond else None
        row["cond_word"] = bit // BITS_PER_WORD if bit is not None else None
        row["cond_mask"] = 1 << (bit % BITS_PER_WORD) if bit is not None else None
    provisions = pl.DataFrame(
        prov_rows,
        schema_overrides={
            "pid": pl.Int64,
            "mid": pl.Int64,
            "hid": pl.Int64,
            "cond_word": pl.Int64,
            "cond_mask": pl.Int64,
            "share_ppm": pl.Int64,
        },
    )
    # The headings' order as integers, so explanations sort on an integer, not on text.
    provisions = provisions.with_columns(heading_rank=pl.col("heading").rank("dense").cast(pl.Int64))
    exc_rows = [
        {"pid": p, "except_hid": hids[(m, h)], "except_heading": h}
        for p, m, h in pending_exceptions
        if (m, h) in hids
    ]
    rules, winners, losers = _compile_rules(law, importing_country, provisions)
    rates = (
        pl.DataFrame(
            rate_rows, schema_overrides={"ppm": pl.Int64, "top_up_ppm": pl.Int64, "rate_text": pl.String}
        )
        .with_row_index("rate_idx")
        .with_columns(
            pl.col("rate_idx").cast(pl.Int64),
            pl.col("from_ts").cast(pl.Datetime("us")),
            pl.col("to_ts").cast(pl.Datetime("us")),
        )
    )
    breakpoints, epoch_rates, rule_epochs = _epochs(rates, rules)
    by_epoch = epoch_rates.join(
        provisions.select(
            "pid",
            "mid",
            "hid",
            "is_duty",
            "is_deposit",
            "base_code",
            "base_required",
            "cond_word",
            "cond_mask",
            "share_ppm",
        ),
        on="pid",
    ).select(
        (pl.col("pid") * KEY_SPACE + pl.col("epoch")).alias("pe"),
        *("rate_idx", "in_force", "ppm", "top_up_ppm", "mid", "hid", "is_duty", "is_deposit"),
        *("base_code", "base_required", "cond_word", "cond_mask", "share_ppm"),
    )
    acting = rules.filter(pl.col("effect") != "add").select("rule_idx")
    rule_sides = pl.concat(
        [
            side.join(acting, on="rule_idx")
            .join(rule_epochs, on="rule_idx")
            .select(pe=pl.col("pid") * KEY_SPACE + pl.col("epoch"), rule_idx="rule_idx", winner=pl.lit(won))
            for side, won in ((winners, True), (losers, False))
        ]
    )
    rule_layers = _rule_layers(rules, winners, losers, rule_epochs, rule_sides)
    in_force = by_epoch.filter(pl.col("in_force")).with_columns(
        pid=pl.col("pe") // KEY_SPACE, epoch=pl.col("pe") % KEY_SPACE
    )
    return CompiledLaw(
        in_force=in_force,
        by_epoch=by_epoch,
        rule_sides=rule_sides,
        rule_layers=rule_layers,
        breakpoints=breakpoints,
        epoch_rates=epoch_rates,
        rule_epochs=rule_epochs,
        provisions=provisions,
        countries=pl.DataFrame(
            country_rows, schema={"pid": pl.Int64, "origin": pl.String, "importing_country": pl.String}
        ),
        scope=pl.DataFrame(
            scope_rows, schema={"pid": pl.Int64, "prefix": pl.String, "plen": pl.Int64, "include": pl.Boolean}
        ),
        rates=rates,
        exceptions=pl.DataFrame(
            exc_rows, schema={"pid": pl.Int64, "except_hid": pl.Int64, "except_heading": pl.String}
        ),
        rules=rules,
        rule_winners=winners,
        rule_losers=losers,
        measures=pl.DataFrame(
            measure_rows,
            schema={
                "mid": pl.Int64,
                "measure_id": pl.String,
                "measure_label": pl.String,
                "importing_country": pl.String,
                "measure_countries": pl.List(pl.String),
                "verified_to": pl.Datetime("us"),
                "ended_by_verified_to": pl.Boolean,
                "confidence": pl.String,
            },
        ),
        conditions=conditions,
        condition_sets=condition_sets,
        condition_terms=condition_terms,
    )


def _compile_rules(
    law: Law, importing_country: str | None, provisions: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Rules in declared order (file by file), each side expanded to the provisions it names."""
    rule_rows, winner_rows, loser_rows = [], [], []
    by_measure: dict[str, list[tuple[int, str]]] = {}
    for pid, measure_id, heading in provisions.select("pid", "measure_id", "heading").iter_rows():
        by_measure.setdefault(measure_id, []).append((pid, heading))
    for file_id in sorted(law.rules):
        rule_file = law.rules[file_id]
        if importing_country and rule_file.importing_country != importing_country:
            continue
        for rule in rule_file.rules:
            idx = len(rule_rows)
            rule_rows.append(
                {
                    "rule_idx": idx,
                    "rule_id": rule.id,
                    "rule_label": rule.label,
                    "displace": rule.effect == "displace",
                    "effect": rule.effect,
                    "rule_from": parse_ts(rule.from_),
                    "rule_to": parse_ts(rule.to) if rule.to else END,
                    "rule_instrument": rule.ref.instrument,
                    "rule_citation": rule.ref.citation,
                    "rule_url": rule.ref.url,
                }
            )
            for party, rows in ((rule.winner, winner_rows), (rule.loser, loser_rows)):
                for measure_id in party.measures:
                    for pid, heading in by_measure.get(measure_id, []):
                        if not party.headings or heading in party.headings:
                            rows.append({"rule_idx": idx, "pid": pid})
    schema = {"rule_idx": pl.Int64, "pid": pl.Int64}
    rules = pl.DataFrame(
        rule_rows,
        schema={
            "rule_idx": pl.Int64,
            "rule_id": pl.String,
            "rule_label": pl.String,
            "displace": pl.Boolean,
            "effect": pl.String,
            "rule_from": pl.Datetime("us"),
            "rule_to": pl.Datetime("us"),
            "rule_instrument": pl.String,
            "rule_citation": pl.String,
            "rule_url": pl.String,
        },
    )
    return rules, pl.DataFrame(winner_rows, schema=schema), pl.DataFrame(loser_rows, schema=schema)


def _ended_by(measure: Measure) -> bool:
    """True when every provision's last dated value ends it on or before the verified-to day.

    Such a measure is known to be over, so later entries need no "law verified to" caveat for it.
    """
    verified = parse_ts(measure.verified_to)
    return all(
        p.rates[-1].rate is None and parse_ts(p.rates[-1].from_) <= verified for p in measure.provisions
    )


def _rule_layers(
    rules: pl.DataFrame,
    winners: pl.DataFrame,
    losers: pl.DataFrame,
    rule_epochs: pl.DataFrame,
    rule_sides: pl.DataFrame,
) -> list[dict]:
    """The acting rules (all but 'add') in layers that one precedence pass each can apply at once.

    The rules act in the law's declared order, a rule reading its sides' provisions (whether they
    still apply, their bases) and changing its losers'. A later rule goes in a later layer than an
    earlier one whose losers it reads, and never in an earlier layer than one that reads its own
    losers; rules are compared only where their periods meet (a side is a provision at an epoch).
    Rules left in one layer neither read nor change what another of the layer changes, so the
    layer gives what the rules give one after the other: today's 26 rules take 9 passes, not 26.
    Each layer holds its rules' ids and their sides, keyed ``pe`` (provision × epoch) as
    ``rule_sides``, with the rule's id as ``rule``, its ``displace`` and ``remit``; a provision at
    an epoch loses under at most one rule of a layer (checked)."""
    acting = rules.filter(pl.col("effect") != "add")

    def of_rule(table: pl.DataFrame, idx: int, column: str = "pid") -> set[int]:
        return set(table.filter(pl.col("rule_idx") == idx)[column].to_list())

    order = [
        (idx, of_rule(winners, idx), of_rule(losers, idx), of_rule(rule_epochs, idx, "epoch"))
        for idx in acting["rule_idx"].to_list()
    ]
    layer_of: list[int] = []
    for j, (_, won_j, lost_j, epochs_j) in enumerate(order):
        layer = 0
        for i, (_, won_i, lost_i, epochs_i) in enumerate(order[:j]):
            if not epochs_i & epochs_j:
                continue
            if lost_i & (won_j | lost_j):  # j reads what i changes: after it
                layer = max(layer, layer_of[i] + 1)
            if lost_j & (won_i | lost_i):  # i reads what j changes: not before it
                layer = max(layer, layer_of[i])
        layer_of.append(layer)
    kinds = acting.select("rule_idx", "displace", remit=pl.col("effect") == "remit")
    layers = []
    for layer in range(max(layer_of, default=-1) + 1):
        ids = [idx for (idx, *_), at in zip(order, layer_of, strict=True) if at == layer]
        frame = (
            rule_sides.filter(pl.col("rule_idx").is_in(ids))
            .join(kinds, on="rule_idx")
            .select("pe", "winner", "displace", "remit", rule="rule_idx")
        )
        lost = frame.filter(~pl.col("winner"))["pe"]
        if lost.n_unique() != lost.len():
            raise ValueError(f"rules {ids}: a provision loses under two rules of one precedence layer")
        layers.append({"rules": ids, "sides": frame})
    return layers
