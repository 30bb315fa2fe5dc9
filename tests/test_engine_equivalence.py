"""The per-key and per-stack path equals a line-by-line evaluation, on random frames (property-based).

The engine decides the MFN line once per key and the stack once per set of keys that share it, and
broadcasts both to the lines; a key or stack that left out a fact deciding it would give some line
its neighbour's result. Evaluating every random batch
as one frame, and each of its lines alone (where the line is its own key), must give the same
result object for every line. The codes are those of the golden cases (every measure and
boundary the law encodes); dates, claims, values, content and facts are drawn at random.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_golden import CASES

from tariffstack.api import Engine
from tariffstack.settings import Settings

US_CODES = sorted({c["input"]["hts"] for c in CASES if c["input"].get("importing_country", "US") == "US"})
CA_CODES = sorted({c["input"]["hts"] for c in CASES if c["input"].get("importing_country") == "CA"})
START = datetime(2025, 1, 1)
MINUTES = int((datetime(2026, 12, 31) - START).total_seconds() // 60)
# Instants the law changes at (12:00 and 12:01 a.m. of its effective dates), drawn more often.
EDGES = ["2025-03-04T00:01", "2025-08-01T00:01", "2026-02-24T00:00", "2026-04-06T00:01", "2025-06-04T00:01"]


@st.composite
def core(draw: st.DrawFn) -> dict:
    """What puts lines in the same key neighbourhood: code, origin, importing country, time."""
    canadian = bool(CA_CODES) and draw(st.integers(0, 4)) == 0
    when = draw(
        st.one_of(
            st.sampled_from(EDGES),
            st.integers(0, MINUTES).map(lambda m: (START + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M")),
        )
    )
    row = {
        "hts": draw(st.sampled_from(CA_CODES if canadian else US_CODES)),
        "origin": "US" if canadian else draw(st.sampled_from(["CA", "CA", "CA", "MX", "CN"])),
        "entry_date": when,
    }
    if canadian:
        row["importing_country"] = "CA"
    return row


def entry_line(draw: st.DrawFn, base: dict) -> dict:
    """A line on ``base`` with its own value, claim, content and facts."""
    value = draw(st.integers(1, 5_000_000_00))
    row = {**base, "value": f"{value // 100}.{value % 100:02d}"}
    if draw(st.booleans()):
        row["spi"] = "UST" if base.get("importing_country") == "CA" else "S"
    for field in ("steel_value", "aluminum_value", "copper_value", "us_content_value"):
        if draw(st.integers(0, 2)) == 0:
            share = draw(st.sampled_from([0, 25, 50, 100]))
            cents = value * share // 100
            row[field] = f"{cents // 100}.{cents % 100:02d}"
    for flag in ("not_a_vehicle_part", "no_metal_content", "commerce_approved_us_content", "donation"):
        if draw(st.integers(0, 5)) == 0:
            row[flag] = draw(st.booleans())
    if draw(st.integers(0, 5)) == 0:
        row["melt_country"] = draw(st.sampled_from(["US", "CA", "RU"]))
    return row


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cores=st.lists(core(), min_size=1, max_size=4), data=st.data())
def test_batch_equals_each_line_alone(engine: Engine, cores: list[dict], data: st.DataObject) -> None:
    count = data.draw(st.integers(2, 12))
    rows = [entry_line(data.draw, data.draw(st.sampled_from(cores))) for _ in range(count)]
    together = engine.calc(rows)
    assert [r["line"] for r in together] == list(range(len(rows)))
    for index, row in enumerate(rows):
        alone = engine.calc([row])[0]
        assert {**alone, "line": index} == together[index], row


def test_chunked_evaluation_equals_one_frame(engine: Engine) -> None:
    """Evaluating in chunks (the bounded-memory path for large inputs) changes no result."""
    from tariffstack.engine.evaluate import evaluate
    from tariffstack.io.entry import lines_frame

    rows = [case["input"] for case in CASES]
    typed, _ = lines_frame(rows)
    whole = evaluate(typed, engine.compiled, engine.store)
    chunked = evaluate(typed, engine.compiled, engine.store, chunk_rows=7)
    assert len(chunked._parts) == -(-len(rows) // 7)
    for name, keys in (
        ("summary", ["line_id"]),
        ("lines", ["line_id", "pid"]),
        ("not_applied", ["line_id", "pid"]),
    ):
        assert getattr(chunked, name).sort(keys).equals(getattr(whole, name).sort(keys)), name


def test_condition_sets_on_fields_no_line_gives_are_folded_to_the_same_bits(engine: Engine) -> None:
    """A condition whose fields are null on every line is evaluated once: a set with such a
    condition false is a constant 0, one with all of them true is the AND of its other conditions
    (or a constant 1). The condition words must equal those of every set evaluated on every line,
    both when the folded conditions are false for a missing fact and when they are true (no claim:
    not UST; a fact not shown true), and on lines that give some of those facts."""
    from tariffstack.engine.keys import _build_condition_words, _condition_words
    from tariffstack.io.entry import lines_frame

    law = engine.compiled
    base = {"hts": "7208.51.0030", "origin": "CA", "entry_date": "2025-08-10", "value": "1000"}
    frames = {
        "nothing else given": [base, {**base, "value": "2000"}],
        "claims, flags and a loading date on some lines": [
            base,
            {**base, "spi": "S", "donation": True},
            {**base, "loading_date": "2025-03-01", "melt_country": "RU"},
        ],
        "a claim beside facts not given, and one line that gives them": [
            {**base, "spi": "S"},
            {**base, "spi": "S+", "not_a_vehicle_part": True, "vehicle_or_aircraft_manufacturing_use": True},
            {**base, "commerce_approved_quantity": True, "melt_country": "CA"},
        ],
    }
    for name, rows in frames.items():
        typed, _ = lines_frame(rows)
        every_line = typed.select(_build_condition_words(law, frozenset(), typed.head(1)))
        folded = typed.select(_condition_words(law, typed))
        assert folded.equals(every_line), name
    # Sets that read the entry time are folded too when another of their conditions reads a fact
    # no line gives (a loading date, a remission code, a use): none is evaluated on the lines.
    typed, _ = lines_frame([{**base, "spi": "S"}])
    read = {name for word in _condition_words(law, typed) for name in word.meta.root_names()}
    assert read == {"spi"}, read
    roots = [frozenset(s.meta.root_names()) for s in law.condition_sets]
    typed, _ = lines_frame(frames["nothing else given"])
    empty = {c for c in typed.columns if typed[c].null_count() == typed.height}
    assert 0 < sum(r <= empty for r in roots) < len(roots)  # some sets folded, some not


def test_keys_of_one_scope_class_share_a_stack_and_each_line_keeps_its_own_result(engine: Engine) -> None:
    """Keys that differ only in what decides the MFN line (code, units, quantities given) share a
    stack (the provisions in force, their conditions and rules); keys at another epoch or with
    other content facts do not. The lines of a shared stack still get their own MFN line, bases
    and amounts: each equals the line evaluated alone."""
    from tariffstack.engine.keys import assign_keys, prepare_lines
    from tariffstack.engine.schedule import revision_starts
    from tariffstack.engine.stack import scope_classes, stack_keys
    from tariffstack.io.entry import lines_frame

    base = {"origin": "CA", "entry_date": "2025-08-10", "value": "1000"}
    rows = [
        {**base, "hts": "7208.51.0030"},
        {**base, "hts": "7208.51.0045", "value": "2500"},
        {**base, "hts": "7208.52.0000", "value": "4000", "quantity": "12", "unit": "kg"},
        {**base, "hts": "7208.51.0030", "entry_date": "2025-06-10"},  # another epoch
        {**base, "hts": "7208.51.0030", "steel_value": "400"},  # a content fact given
    ]
    typed, _ = lines_frame(rows)
    law = engine.compiled
    prepared = prepare_lines(typed.filter(typed["error"].is_null()), law, revision_starts(engine.store))
    line_keys, keys = assign_keys(prepared, law)
    scoped, _ = scope_classes(keys, law)
    assert scoped["class_id"].n_unique() == 1  # the three codes are in one scope class
    of_key, stacks = stack_keys(scoped, law, keys.height)
    stack_of_line = of_key.gather(line_keys.sort("line_id")["key_id"]).to_list()
    assert keys.height == 5 and stacks.height == 3
    assert stack_of_line[0] == stack_of_line[1] == stack_of_line[2]
    assert len({stack_of_line[0], stack_of_line[3], stack_of_line[4]}) == 3
    together = engine.calc(rows)
    assert len({r["total_duty"] for r in together[:3]}) == 3  # each line's own value and MFN line
    for index, row in enumerate(rows):
        assert {**engine.calc([row])[0], "line": index} == together[index], row


def test_keys_tell_apart_every_origin_claim_and_unit_and_refuse_what_they_cannot_hold(engine: Engine) -> None:
    """The key packs origin, claim and units as codes of closed vocabularies: two lines that differ
    in one of them never share a key, and a value outside a vocabulary (validation lets none
    through) is refused, never packed as if it were absent."""
    import polars as pl
    import pytest

    from tariffstack.engine.keys import assign_keys, prepare_lines
    from tariffstack.engine.schedule import revision_starts
    from tariffstack.io.entry import lines_frame

    base = {"hts": "7208.52.0000", "origin": "CA", "entry_date": "2025-08-10", "value": "1000"}
    rows = [
        base,
        {**base, "origin": "MX"},
        {**base, "origin": "ZW"},
        {**base, "spi": "S"},
        {**base, "quantity": "12", "unit": "kg"},
        {**base, "quantity": "12", "unit": "t"},
    ]
    typed, _ = lines_frame(rows)
    assert typed["error"].null_count() == typed.height  # every line valid
    law, starts = engine.compiled, revision_starts(engine.store)
    _, keys = assign_keys(prepare_lines(typed, law, starts), law)
    assert keys.height == len(rows)
    for column, strange in (("spi", "ZZ"), ("unit", "furlong"), ("origin", "C4")):
        odd = typed.with_columns(pl.lit(strange).alias(column))
        with pytest.raises(ValueError, match="outside the engine's vocabulary"):
            prepare_lines(odd, law, starts)


def test_scopes_resolved_ahead_give_the_lines_the_same_results_and_keys(settings: Settings) -> None:
    """``Engine.warm_scopes`` resolves every U.S. code's scope for goods of Canada before any line:
    the code keys it resolves are the ones the lines carry, and results are those of an engine
    that resolves each code when a line meets it."""
    from tariffstack.engine.keys import code_keys, prepare_lines
    from tariffstack.engine.schedule import revision_starts
    from tariffstack.io.entry import lines_frame

    warm, cold = Engine(settings), Engine(settings)
    warm.warm_scopes()
    memo = warm.compiled.memo["scope"]["codes"]
    assert memo.height == warm.store.mfn["hts10"].n_unique() > 20_000
    rows = [case["input"] for case in CASES]
    typed, _ = lines_frame(rows)
    valid = typed.filter(
        typed["error"].is_null() & (typed["origin"] == "CA") & (typed["importing_country"] == "US")
    )
    assert valid.height > 10
    prepared = prepare_lines(valid, warm.compiled, revision_starts(warm.store))
    ahead = code_keys(valid.select("hts10", "origin", "importing_country"))
    assert ahead["code_key"].equals(prepared["code_key"])
    assert set(prepared["code_key"]) <= set(memo["code_key"])
    assert warm.calc(rows) == cold.calc(rows)


def test_codes_met_are_found_alike_for_a_few_keys_and_for_many(settings: Settings) -> None:
    """A few keys find their code's scope class by binary search among the codes met, many by a
    hash join: both give every key its own code's class, and null for a code not met."""
    import polars as pl

    from tariffstack.engine.schedule import SMALL_FRAME
    from tariffstack.engine.stack import _classes_met

    engine = Engine(settings)
    engine.warm_scopes()
    codes = engine.compiled.memo["scope"]["codes"]
    assert codes["code_key"].is_sorted()
    wanted = pl.concat([codes["code_key"].sample(200, seed=7), pl.Series("code_key", [-1, 1 << 60])])
    few = _classes_met(codes, wanted)
    many = _classes_met(codes, pl.concat([wanted] * (SMALL_FRAME // wanted.len() + 1)))
    assert wanted.len() < SMALL_FRAME <= many.len()
    assert few.equals(many.head(wanted.len()))
    expected = wanted.to_frame().join(codes, on="code_key", how="left", maintain_order="left")["class_id"]
    assert few.equals(expected) and few.null_count() == 2 and few.head(200).null_count() == 0
