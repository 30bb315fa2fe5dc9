"""Precedence rules applied in layers, and decided once per stack signature, give what the rules
give one by one in the law's order.

The lines are the golden cases' inputs (every measure and boundary the law encodes), each also
with content values given (so remainder rules act on the lines' own values) and with the USMCA
claim: displacements, remainders and remissions all occur among them (asserted).
"""

from __future__ import annotations

import dataclasses

import polars as pl
from test_golden import CASES

from tariffstack.api import Engine
from tariffstack.engine.compiled import CompiledLaw
from tariffstack.engine.evaluate import evaluate
from tariffstack.io.entry import lines_frame
from tariffstack.io.output import to_records

CONTENT = ("steel_value", "aluminum_value", "copper_value", "us_content_value", "ca_mx_content_value")


def _rows() -> list[dict]:
    rows = []
    for case in CASES:
        line = {k: v for k, v in case["input"].items() if k not in CONTENT}
        rows.append(case["input"])
        share = str(int(float(line.get("value", "1000")) * 0.4))
        rows.append({**line, **dict.fromkeys(CONTENT, share)})
        rows.append({**line, "spi": "S"})
    return rows


def _fresh(law: CompiledLaw, **changes: object) -> CompiledLaw:
    """The same compiled law with nothing kept from earlier evaluations (its memo empty)."""
    return dataclasses.replace(law, memo={}, **changes)


def _contract(engine: Engine, law: CompiledLaw, rows: list[dict]) -> tuple[list[dict], pl.DataFrame]:
    typed, passthrough = lines_frame(rows)
    evaluation = evaluate(typed, law, engine.store)
    return to_records(evaluation, law, engine.store, passthrough), evaluation.lines


def test_rules_in_layers_give_what_the_rules_give_one_by_one(engine: Engine) -> None:
    law = engine.compiled
    assert len(law.rule_layers) < sum(len(layer["rules"]) for layer in law.rule_layers)  # layers share passes
    sides = pl.concat([layer["sides"] for layer in law.rule_layers])
    one_by_one = [
        {"rules": [rule], "sides": sides.filter(pl.col("rule") == rule)}
        for rule in sorted(sides["rule"].unique().to_list())
    ]
    rows = _rows()
    layered, lines = _contract(engine, _fresh(law), rows)
    sequential, _ = _contract(engine, _fresh(law, rule_layers=one_by_one), rows)
    assert layered == sequential
    statuses = {item["status"] for record in layered for item in record["not_applied"]}
    assert "displaced" in statuses
    assert lines["remainder_rule_idx"].is_not_null().any()  # a remainder rule on a line's own values
    assert lines["remit_rule_idx"].is_not_null().any()


def test_each_layer_holds_rules_that_do_not_read_each_others_changes(engine: Engine) -> None:
    """Within a layer, no rule's losers (at an epoch of both rules) are a side of a later rule
    of the layer; a provision at an epoch loses under one rule of a layer at most."""
    for layer in engine.compiled.rule_layers:
        sides = layer["sides"]
        for earlier in layer["rules"]:
            lost = sides.filter((pl.col("rule") == earlier) & ~pl.col("winner"))["pe"]
            later = sides.filter(pl.col("rule") > earlier)
            assert not later["pe"].is_in(lost.implode()).any(), (layer["rules"], earlier)
        assert sides.filter(~pl.col("winner"))["pe"].is_unique().all()


def test_outcomes_kept_per_signature_give_the_results_of_a_fresh_law(engine: Engine) -> None:
    """Results do not depend on what the memo of signature outcomes holds: the lines evaluated
    with a fresh law, after other lines filled the memo, and again once every signature is known
    (no new signature decided) are the same."""
    rows = _rows()
    half = len(rows) // 2
    cold, _ = _contract(engine, _fresh(engine.compiled), rows)
    warmed = _fresh(engine.compiled)
    _contract(engine, warmed, rows[half:] + rows[:5])
    partly_known, _ = _contract(engine, warmed, rows)
    memo = warmed.memo["rule_outcomes"]
    known = memo["sigs"].height
    again, _ = _contract(engine, warmed, rows)
    assert cold == partly_known == again
    assert memo is warmed.memo["rule_outcomes"] and warmed.memo["rule_outcomes"]["sigs"].height == known
    assert memo["decided"].height and memo["by_value"].height  # both kinds of outcome were kept
    assert memo["sigs"]["ruled"].any() and not memo["sigs"]["ruled"].all()
