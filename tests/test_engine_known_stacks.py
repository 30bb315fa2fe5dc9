"""Stacks decided once per process and kept with the compiled law (:mod:`tariffstack.engine.
known_stacks`), and the contract's rows of each explanation key (:func:`tariffstack.engine.explain.
not_applied_rows`), give the results of a law that knows none, whatever the memo holds.

The lines are the golden cases' inputs (every measure and boundary the law encodes), each also with
content values given and with the USMCA claim, as in ``test_engine_precedence``.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import polars as pl
from test_engine_precedence import _contract, _fresh, _rows

from tariffstack.api import Engine
from tariffstack.engine.evaluate import evaluate
from tariffstack.engine.known_stacks import PARTS, _search
from tariffstack.io.entry import lines_frame
from tariffstack.settings import Settings


def _check_bounds(memo: dict) -> None:
    """Every known stack's rows of every part are its own, and the parts hold no other rows."""
    index = memo["index"]
    assert index["stack_id"].to_list() == list(range(index.height))  # a known id is its row
    for name in PARTS:
        start, end = index[f"{name}_start"], index[f"{name}_end"]
        assert (start <= end).all() and (end - start).sum() == memo[name].height
        owners = index.select(
            pl.col("stack_id").repeat_by(end - start).list.explode(keep_nulls=False, empty_as_null=False)
        )
        assert memo[name]["stack_id"].equals(owners.to_series())


def test_known_stacks_give_the_results_of_a_fresh_law(engine: Engine) -> None:
    """The lines evaluated with a fresh law, after other lines made some of their stacks known,
    and again once all are known (no stack added) give the same contract."""
    rows = _rows()
    half = len(rows) // 2
    cold, _ = _contract(engine, _fresh(engine.compiled), rows)
    warmed = _fresh(engine.compiled)
    _contract(engine, warmed, rows[half:] + rows[:5])
    before = warmed.memo["known_stacks"]["index"].height
    explained = warmed.memo["explained"]["keys"].len()
    partly_known, _ = _contract(engine, warmed, rows)
    known = warmed.memo["known_stacks"]["index"].height
    keys = warmed.memo["explained"]["keys"]
    again, _ = _contract(engine, warmed, rows)
    assert cold == partly_known == again
    assert 0 < before < known == warmed.memo["known_stacks"]["index"].height
    assert 0 < explained < keys.len() and warmed.memo["explained"]["keys"] is keys  # none added
    kept = warmed.memo["explained"]
    assert keys.is_sorted() and keys.n_unique() == keys.len()
    blocks = pl.DataFrame({"start": kept["start"], "end": kept["end"]}).sort("start", "end")
    assert (blocks["start"] <= blocks["end"]).all() and blocks["start"][0] == 0  # the rows in blocks
    assert (blocks["start"].shift(-1).drop_nulls() == blocks["end"].head(-1)).all()
    assert blocks["end"][-1] == kept["rows"].height
    # (lines whose rows are computed per line, a rule acting on their own values, are among them)
    typed, _ = lines_frame(rows)
    assert evaluate(typed, warmed, engine.store).line_stacks["per_line"].sum() > 10
    memo = warmed.memo["known_stacks"]
    assert all(memo[name].height for name in PARTS)  # every part has rows among these lines
    _check_bounds(memo)


def test_a_hash_two_stacks_share_is_told_apart(engine: Engine) -> None:
    """Stacks are found by their hash and checked column by column. Once every stack of the lines
    is known, the first is given the hash of the last (as a collision would): the last is still
    found (not taken for the first), the first, whose own hash is gone, is added once again, and
    the results are those of a fresh law."""
    rows = _rows()
    cold, _ = _contract(engine, _fresh(engine.compiled), rows)
    law = _fresh(engine.compiled)
    _contract(engine, law, rows)
    memo = law.memo["known_stacks"]
    known = memo["index"].height
    stolen = int(memo["index"]["stack_hash"][known - 1])
    index = memo["index"].with_columns(
        stack_hash=pl.when(pl.col("stack_id") == 0)
        .then(pl.lit(stolen, dtype=pl.UInt64))
        .otherwise("stack_hash")
    )
    law.memo["known_stacks"] = {**memo, "index": index, **_search(index)}
    first, _ = _contract(engine, law, rows)
    added = law.memo["known_stacks"]["index"].height
    second, _ = _contract(engine, law, rows)
    assert first == second == cold
    assert added == known + 1 == law.memo["known_stacks"]["index"].height
    assert (law.memo["known_stacks"]["index"]["stack_hash"] == stolen).sum() == 2
    _check_bounds(law.memo["known_stacks"])


def test_warmed_stacks_cover_lines_of_canada_on_any_day(settings: Settings, engine: Engine) -> None:
    """``Engine.warm_stacks`` decides the stacks of goods of Canada entering the U.S. (no content
    facts, with and without the USMCA claim) on every day: lines of such goods, on days drawn at
    random from 2025 to a year ahead, add no stack, and their results are those of a cold engine."""
    warm = Engine(settings)
    warm.warm_stacks(through=date(2026, 12, 1))
    known = warm.compiled.memo["known_stacks"]["index"].height
    assert known > 1000
    rng = random.Random(20261208)
    codes = (
        warm.store.mfn.filter(pl.col("general_status").is_in(["free", "ad_valorem"]))["hts10"].unique().sort()
    )
    rows = []
    for _ in range(300):
        day = date(2025, 1, 1) + timedelta(days=rng.randrange(365 * 3 - 1))
        code = codes[rng.randrange(codes.len())]
        rows.append(
            {
                "hts": code,
                "origin": "CA",
                "entry_date": day.isoformat(),
                "value": str(rng.randrange(100, 10**7)),
                **({"spi": "S"} if rng.random() < 0.5 else {}),
            }
        )
    results = warm.calc(rows)
    computed = sum(r["error"] is None for r in results)
    assert computed > 200  # (a code not in the schedule of the day is an error, not a stack)
    assert warm.compiled.memo["known_stacks"]["index"].height == known
    cold = Engine(settings)
    assert results == cold.calc(rows)


def test_lines_of_one_stack_keep_their_own_origin_and_duty_known_in_their_reasons(engine: Engine) -> None:
    """Lines of one stack share their explanation rows only with lines of the same origin and
    importer whose customs duty is as known: a horse of Mexico and one of Japan (no measure in
    scope for either) have the same stack but each its own origin in the reasons; two Canadian
    tariff items of one stack, one whose customs duty is not known (a specific rate), have the
    same stack but not the same rows. Each line, evaluated after the other or alone, reads its own."""
    horse = {"hts": "0101.21.0010", "entry_date": "2025-08-10", "value": "1000"}
    canada = {
        "origin": "US",
        "entry_date": "2025-10-10",
        "value": "1000",
        "importing_country": "CA",
        "spi": "UST",
    }
    pairs = [
        [{**horse, "origin": "MX"}, {**horse, "origin": "JP"}],
        [{**canada, "hts": "04021020"}, {**canada, "hts": "04041010"}],
    ]
    for first, second in pairs:
        law = _fresh(engine.compiled)
        typed, _ = lines_frame([first, second])
        stacks = evaluate(typed, law, engine.store).line_stacks.sort("line_id")["stack_id"]
        assert stacks.len() == 2 and stacks[0] == stacks[1]  # one stack
        alone = [_contract(engine, _fresh(engine.compiled), [row])[0][0] for row in (first, second)]
        assert alone[0]["not_applied"] != alone[1]["not_applied"]
        for order in ([first, second], [second, first]):
            law = _fresh(engine.compiled)
            for row in order:  # one call each: the second reads what the first left
                (result,), _ = _contract(engine, law, [row])
                assert result == alone[(first, second).index(row)]
            together, _ = _contract(engine, _fresh(engine.compiled), order)
            assert together == [
                {**alone[(first, second).index(row)], "line": n} for n, row in enumerate(order)
            ]
        if first["origin"] == "MX":
            assert "origin MX is not" in str(alone[0]) and "origin JP is not" in str(alone[1])
        else:  # (no measure listed as out of its scope where the duty is not known)
            assert "customs duty not known" in str(alone[0]["caveats"]) and alone[1]["total_duty"]


def test_a_first_call_that_meets_no_stack_leaves_a_memo_later_calls_read_alike(engine: Engine) -> None:
    """A process whose first call has no line with a stack (an input error, a code not in the
    schedule) keeps an empty memo of stacks and explanation keys; the next calls find nothing in it
    (no error from searching no keys) and give the results of a fresh law."""
    rows = _rows()
    bad = [{"hts": "9999.99.9999", "origin": "CA", "entry_date": "2025-08-10", "value": "100"}]
    law = _fresh(engine.compiled)
    first, _ = _contract(engine, law, bad)
    assert first[0]["error"] is not None
    assert law.memo["known_stacks"]["index"].height == 0 and law.memo["explained"]["keys"].len() == 0
    later, _ = _contract(engine, law, rows)
    cold, _ = _contract(engine, _fresh(engine.compiled), rows)
    assert later == cold
    assert law.memo["known_stacks"]["index"].height > 0 and law.memo["explained"]["keys"].len() > 0
