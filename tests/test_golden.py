"""Golden cases: each YAML case is run alone, then all cases as one batch; both must agree exactly
and match the expected amounts, headings and (where given) the owed duty after the IEEPA ruling."""

from __future__ import annotations

from pathlib import Path

import pytest

from tariffstack.api import Engine
from tariffstack.law.loader import load_yaml

GOLDEN_DIR = Path(__file__).parent / "golden"


def _cases() -> list[dict]:
    cases = []
    for path in sorted(GOLDEN_DIR.rglob("*.yaml")):
        for case in load_yaml(path):
            case["file"] = path.name
            cases.append(case)
    return cases


CASES = _cases()


def _strip(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "line"}


def _check(case: dict, result: dict) -> None:
    expect = case["expect"]
    assert result["error"] is None, result["error"]
    assert result["total_duty"] == expect["total_duty"], case["name"]
    if "headings" in expect:
        assert result["headings"] == expect["headings"], case["name"]
    if "additional_total" in expect:
        assert result["additional_total"] == expect["additional_total"], case["name"]
    if "adcvd_total" in expect:
        assert result["adcvd_total"] == expect["adcvd_total"], case["name"]
    if "caveats" in expect:
        assert len(result["caveats"]) == expect["caveats"], case["name"]
    if "prohibited" in expect:
        assert result["prohibited"] == expect["prohibited"], case["name"]
    if "owed_duty" in expect:
        assert result["owed_duty"] == expect["owed_duty"], case["name"]
    for heading, amount in expect.get("amounts", {}).items():
        got = [line["amount"] for line in result["lines"] if line["heading"] == heading]
        assert got == [amount], f"{case['name']}: {heading} amounts {got}"


def test_golden_cases_exist() -> None:
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "golden case names must be unique"
    assert all(c.get("source") for c in CASES), "every golden case cites its source"
    assert {f"GC0{i}" for i in range(1, 8)} | {"GC10", "GC15", "GC16", "GC20", "GC21", "GC22", "GC25"} <= {
        c["name"][:4] for c in CASES
    }


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case_alone(engine: Engine, case: dict) -> None:
    _check(case, engine.calc([case["input"]])[0])


def test_cases_as_one_batch_agree_with_alone(engine: Engine) -> None:
    batch = engine.calc([c["input"] for c in CASES])
    assert len(batch) == len(CASES)
    for case, together in zip(CASES, batch, strict=True):
        alone = engine.calc([case["input"]])[0]
        assert _strip(together) == _strip(alone), case["name"]
        _check(case, together)


def test_condition_sets_packed_into_several_words_give_the_same_results(
    engine: Engine, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The law has more condition sets than one Int64 holds; packing 8 to a word must not change a result."""
    import tariffstack.engine.compile as compile_module
    import tariffstack.engine.keys as keys_module

    rows = [c["input"] for c in CASES]
    expected = engine.calc(rows)  # compiled with 62 bits to a word
    assert len(engine.compiled.condition_sets) > 40
    monkeypatch.setattr(compile_module, "BITS_PER_WORD", 8)
    monkeypatch.setattr(keys_module, "BITS_PER_WORD", 8)
    narrow = Engine(settings)
    assert narrow.law.measures  # the law in hand is compiled (with the patched width), not a snapshot
    assert narrow.compiled.provisions["cond_word"].max() >= 5  # many words, not one
    assert narrow.calc(rows) == expected
