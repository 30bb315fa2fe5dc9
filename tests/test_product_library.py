"""The library under the web pages: product scope for one code agrees with the evaluator's, the facts
asked are derived from the law (change the law and they change), the timeline is the engine's."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import polars as pl
import yaml

from tariffstack.analysis.timeline import product_timeline
from tariffstack.api import Engine
from tariffstack.hts.store import Store
from tariffstack.law.facts import facts_needed
from tariffstack.law.loader import default_law_dir, load_law
from tariffstack.law.scope import provisions_for


def test_scope_of_one_code_is_the_evaluators(engine: Engine, store: Store) -> None:
    """For a spread of real codes, the provisions :func:`provisions_for` finds are exactly the
    (line, provision) pairs the evaluator considered (applied, or not applied for a stated reason)."""
    codes = store.codes_on(date(2025, 9, 15)).unique().sort()
    sample = codes.gather(list(range(0, len(codes), 97))).to_list()
    rows = [{"hts": c, "origin": "CA", "entry_date": "2025-09-15", "value": "1000"} for c in sample]
    ev, _ = engine.evaluate_rows(rows)
    ok = ev.summary.filter(pl.col("error").is_null() & pl.col("mfn_error").is_null())["line_id"]
    prov = engine.compiled.provisions.select("pid", "measure_id", "heading", "label")
    considered = (
        pl.concat(
            [
                ev.lines.select("line_id", "pid"),
                ev.decided.select("line_id", "pid"),
                ev.overruled.select("line_id", "pid"),
            ]
        )
        .unique()
        .join(prov, on="pid")
    )
    by_line: dict[int, set[tuple[str, str, str]]] = {}
    for line_id, measure_id, heading, label in considered.select(
        "line_id", "measure_id", "heading", "label"
    ).rows():
        by_line.setdefault(line_id, set()).add((measure_id, heading, label))
    assert len(ok) > 150
    for line_id in ok.to_list():
        mine = {
            (r.measure.id, r.provision.heading, r.provision.label)
            for r in provisions_for(engine.law, sample[line_id], "CA", "US")
        }
        assert mine == by_line.get(line_id, set()), sample[line_id]


def _law_copy(tmp_path: Path) -> Path:
    root = tmp_path / "law"
    shutil.copytree(default_law_dir(), root)
    return root


def test_facts_follow_the_law_not_a_list(tmp_path: Path, store: Store) -> None:
    """Add a condition to a provision in a copy of the law: the product's form asks for that fact."""
    root = _law_copy(tmp_path)
    path = root / "us" / "measures" / "s232" / "steel.yaml"
    data = yaml.safe_load(path.read_text())
    first = next(  # chapter 73 articles on their steel content from Jun 4, 2025 (Proc. 10947 cl. 6)
        p
        for p in data["provisions"]
        if p["heading"] == "9903.81.87" and p.get("base", {}).get("kind") == "steel_value"
    )
    first.setdefault("conditions", []).append({"fact_not_true": "bulk_container"})
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    at = datetime(2025, 8, 10, 12)
    before = {f["field"] for f in facts_needed(load_law(), store, "7306305010", at)["facts"]}
    after = facts_needed(load_law(root), store, "7306305010", at)["facts"]
    assert "bulk_container" not in before
    asked = next(f for f in after if f["field"] == "bulk_container")
    assert asked["kind"] == "boolean" and asked["used_by"][0]["heading"] == "9903.81.87"


def test_timeline_points_are_engine_results(engine: Engine) -> None:
    """Every change point's total rate is what ``Engine.calc`` gives for a line entered then."""
    data = product_timeline(engine, "6203424511", "CA", None, "US", date(2025, 1, 1), date(2026, 12, 31))
    rows = [
        {"hts": "6203.42.4511", "origin": "CA", "entry_date": p["at"], "value": "1000000"}
        for p in data["points"]
    ]
    results = engine.calc(rows)
    for point, result in zip(data["points"], results, strict=True):
        assert point["total_rate"] == result["effective_rate"], point["at"]
        duty = {line["heading"] for line in result["lines"] if line["kind"] != "mfn"}
        assert {m["heading"] for m in point["measures"]} == duty
