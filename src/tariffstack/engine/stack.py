"""The stack of a key: which provisions are in scope and in force, which conditions hold, which
exceptions apply, and whether a precedence rule can touch it.

Everything here is decided once per *stack*, never per line or per key: the keys that share a
scope class, an epoch, the content facts given and the condition bits meet the same provisions in
force with the same conditions, bases and rules, whatever their code, claim or units (those decide
the MFN line, :mod:`tariffstack.engine.schedule`). A 500,000-line bench chunk has 410,420 keys and
8,294 stacks. Only provisions in scope and in force at the stack's epoch are paired with it: a line
never meets the provisions of a measure whose period it is outside of, except as an
``out_of_period`` note.
"""

from __future__ import annotations

import functools
import threading

import polars as pl

from tariffstack.engine.compiled import BASE_KINDS, KEY_SPACE, CompiledLaw
from tariffstack.engine.keys import BASE_COLUMNS, PRESENT_BIT, word_count
from tariffstack.engine.query import run
from tariffstack.engine.rows import filled
from tariffstack.engine.schedule import SMALL_FRAME  # the few keys worked on alone
from tariffstack.engine.sorted_keys import held, position

STATUS = pl.Enum(["applied", "out_of_period", "condition_not_met", "missing_fact", "excepted", "displaced"])


def pair_key(left: str, right: str) -> pl.Expr:
    """One Int64 key for an (id, small id) pair: hash-set membership without a join."""
    return pl.col(left) * KEY_SPACE + pl.col(right)


def candidates(frame: pl.DataFrame, law: CompiledLaw, id_col: str = "line_id") -> pl.DataFrame:
    """(id, provision) pairs in country and product scope, for rows with ``hts10``, ``origin`` and
    ``importing_country``.

    Product scope is resolved on the distinct codes (longest prefix wins; an exclude wins at equal
    length), crossed with each provision's countries, then joined on integer code and origin.
    """
    prefixes = (
        frame.lazy()
        .select("hts10")
        .unique()
        .with_columns(
            prefix=pl.concat_list(pl.lit(""), *[pl.col("hts10").str.slice(0, n) for n in (2, 4, 6, 8, 10)])
        )
        .explode("prefix")
    )
    scope = (
        prefixes.join(law.scope.lazy(), on="prefix")
        .sort("plen", "include", descending=[False, True])  # at equal length, an exclude sorts last
        .group_by("hts10", "pid")
        .agg(pl.col("include").last())
        .filter(pl.col("include"))
        .join(law.countries.lazy(), on="pid")
        .select("importing_country", "origin", "pid", code=pl.col("hts10").cast(pl.UInt64))
    )
    rows = frame.lazy().select(id_col, "origin", "importing_country", code=pl.col("hts10").cast(pl.UInt64))
    return run(rows.join(scope, on=["code", "origin", "importing_country"]).select(id_col, "pid"))


@functools.cache
def _condition_ok(n_words: int) -> pl.Expr:
    """A pair meets its provision's conditions when the provision has none, or its bit is set."""
    bits = pl.col("cond_bits_0")
    for word in range(1, n_words):
        bits = pl.when(pl.col("cond_word") == word).then(pl.col(f"cond_bits_{word}")).otherwise(bits)
    return pl.col("cond_mask").is_null() | ((bits & pl.col("cond_mask")) != 0)


@functools.cache
def _fact_missing() -> pl.Expr:
    """The provision's base needs a content fact the stack's lines do not give."""
    missing = pl.lit(False)
    for kind, column in BASE_COLUMNS.items():
        absent = (pl.col("present") & PRESENT_BIT[column]) == 0
        missing = pl.when(pl.col("base_code") == BASE_KINDS.index(kind)).then(absent).otherwise(missing)
    us_absent = (pl.col("present") & PRESENT_BIT[BASE_COLUMNS["us_content_value"]]) == 0
    return (
        pl.when(pl.col("base_code") == BASE_KINDS.index("non_us_content_value"))
        .then(us_absent)
        .otherwise(missing)
    )


def scope_classes(keys: pl.DataFrame, law: CompiledLaw) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Group the keys' codes by the set of provisions in their country and product scope.

    Returns ``keys`` with a ``class_id`` and the (class_id, pid) table. Thousands of codes share a
    few hundred scope classes, so the provisions in force for a class at an epoch are found once.
    The classes of the codes seen are kept with the compiled law (they depend only on the law), so
    a code's scope is resolved once per process (:func:`_classes_met`).
    """
    with _SCOPE_LOCK:
        memo = law.derived(
            "scope",
            lambda: {
                "codes": pl.DataFrame(schema={"code_key": pl.Int64, "class_id": pl.Int64}),
                "classes": pl.DataFrame(schema={"class_id": pl.Int64, "members": pl.String}),
                "class_pids": pl.DataFrame(schema={"class_id": pl.Int64, "pid": pl.Int64}),
            },
        )
        class_id = _classes_met(memo["codes"], keys["code_key"])
        if class_id.null_count():
            # (the distinct codes first: a filter of every key copied the text columns of a million)
            codes = keys.select("code_key", "hts10", "origin", "importing_country").unique("code_key")
            _add_codes(memo, codes.filter(_classes_met(memo["codes"], codes["code_key"]).is_null()), law)
            class_id = _classes_met(memo["codes"], keys["code_key"])
            if class_id.null_count():  # a fault (a key without a code), never a class guessed
                raise ValueError("scope: a key's code was not resolved")
        return keys.with_columns(class_id), memo["class_pids"]


def _classes_met(codes: pl.DataFrame, wanted: pl.Series) -> pl.Series:
    """The class of each wanted code among the codes met (``codes``, sorted by ``code_key``), null
    for a code not met. Many keys probe a hash of the codes met (734,547 keys: ~6 ms); a few are
    found by binary search, since hashing every code met (the web server holds every U.S. code,
    23,354) costs ~370 µs a call of one line, the search a few µs."""
    if wanted.len() >= SMALL_FRAME:
        return wanted.to_frame().join(codes, on="code_key", how="left", maintain_order="left")["class_id"]
    wanted_keys = pl.lit(wanted)
    at = position(codes["code_key"], wanted_keys)
    met = held(codes["code_key"], at, wanted_keys)
    return pl.select(pl.when(met).then(pl.lit(codes["class_id"]).gather(at)).alias("class_id")).to_series()


_SCOPE_LOCK = threading.Lock()
NO_SCOPE = ""  # the members text of codes no provision covers


def _add_codes(memo: dict, codes: pl.DataFrame, law: CompiledLaw) -> None:
    sets = (
        candidates(codes, law, "code_key")
        .lazy()
        .group_by("code_key")
        .agg(members=pl.col("pid").sort().cast(pl.String).str.join(","))
    )
    sets = run(
        codes.lazy()
        .select("code_key")
        .join(sets, on="code_key", how="left")
        .with_columns(pl.col("members").fill_null(NO_SCOPE))
    )
    fresh = run(sets.lazy().select("members").unique().join(memo["classes"].lazy(), on="members", how="anti"))
    if not fresh.is_empty():
        start = memo["classes"].height
        fresh = fresh.with_row_index("class_id", offset=start).select(
            pl.col("class_id").cast(pl.Int64), "members"
        )
        memo["classes"] = pl.concat([memo["classes"], fresh])
        members = fresh.filter(pl.col("members") != NO_SCOPE)
        memo["class_pids"] = pl.concat(
            [
                memo["class_pids"],
                members.with_columns(pid=pl.col("members").str.split(","))
                .explode("pid")
                .select("class_id", pl.col("pid").cast(pl.Int64)),
            ]
        )
    coded = sets.join(memo["classes"], on="members").select("code_key", "class_id")
    memo["codes"] = pl.concat([memo["codes"], coded]).sort("code_key")


def stack_columns(law: CompiledLaw) -> list[str]:
    """The key facts that decide a stack (see the module's docstring)."""
    return ["class_id", "epoch", "present", *(f"cond_bits_{w}" for w in range(word_count(law)))]


def stack_keys(keys: pl.DataFrame, law: CompiledLaw, n_keys: int) -> tuple[pl.Series, pl.DataFrame]:
    """The stack of each key, and one row per stack with its facts (``stack_columns``) and their
    hash (``stack_hash``: how :mod:`~tariffstack.engine.known_stacks` finds a stack it knows).

    The first is a Series indexed by key id (``0 … n_keys − 1``, as :func:`assign_keys
    <tariffstack.engine.keys.assign_keys>` numbers them), null for keys not in ``keys``: the lines
    find their stack by position, without a join."""
    groups = run(
        keys.lazy()
        .group_by(stack_columns(law))
        .agg("key_id")
        .with_row_index("stack_id")
        .with_columns(pl.col("stack_id").cast(pl.Int64), stack_hash=pl.struct(stack_columns(law)).hash())
    )
    members = run(groups.lazy().select("stack_id", "key_id").explode("key_id"))
    of_key = filled("stack_id", None, n_keys, pl.Int64)
    return of_key.scatter(members["key_id"], members["stack_id"]), groups.drop("key_id")


def in_force_pairs(stacks: pl.DataFrame, class_pids: pl.DataFrame, law: CompiledLaw) -> pl.DataFrame:
    """(stack, provision) pairs in scope and in force at the stack's epoch, with rate and status."""
    n_words = word_count(law)
    classes = stacks.lazy().select("class_id").unique()
    in_force = law.in_force.lazy().join(class_pids.lazy().join(classes, on="class_id", how="semi"), on="pid")
    frame = stacks.lazy().select("stack_id", *stack_columns(law)).join(in_force, on=["class_id", "epoch"])
    status = (
        pl.when(~_condition_ok(n_words))
        .then(pl.lit("condition_not_met", dtype=STATUS))
        .when(_fact_missing() & pl.col("base_required"))
        .then(pl.lit("missing_fact", dtype=STATUS))
        .otherwise(pl.lit("applied", dtype=STATUS))
    )
    return run(
        frame.select(
            "stack_id",
            "pid",
            "mid",
            "hid",
            "is_duty",
            "is_deposit",
            "rate_idx",
            "ppm",
            "top_up_ppm",
            "epoch",
            "base_code",
            "share_ppm",
            "present",
            status=status,
        )
    )


def out_of_period_pairs(stacks: pl.DataFrame, class_pids: pl.DataFrame, law: CompiledLaw) -> pl.LazyFrame:
    """(stack, provision) pairs in scope but not in force at the stack's epoch (for explanations),
    as a query."""
    not_in_force = law.derived("not_in_force", lambda: law.by_epoch.filter(~pl.col("in_force")))
    return (
        stacks.lazy()
        .select("stack_id", "class_id", "epoch")
        .join(class_pids.lazy(), on="class_id")
        .with_columns(pe=pair_key("pid", "epoch"))
        .join(not_in_force.lazy(), on="pe")
        .select("stack_id", "pid", "hid", "mid", "rate_idx", status=pl.lit("out_of_period", dtype=STATUS))
    )


def apply_exceptions(
    applied: pl.DataFrame, law: CompiledLaw, id_col: str = "stack_id"
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Applied rows whose provision names an exception heading that also applies become excepted."""
    present = applied.select(key=pair_key(id_col, "hid"))["key"].implode()
    hits = run(
        applied.lazy()
        .select(id_col, "pid")
        .join(law.exceptions.lazy().select("pid", "except_hid"), on="pid")
        .filter(pair_key(id_col, "except_hid").is_in(present))
        .group_by(id_col, "pid")
        .agg(pl.col("except_hid").min())
    )
    if hits.is_empty():
        return applied, hits
    excepted = hits.select(key=pair_key(id_col, "pid"))["key"].implode()
    applied = applied.with_columns(
        status=pl.when(pair_key(id_col, "pid").is_in(excepted))
        .then(pl.lit("excepted", dtype=STATUS))
        .otherwise(pl.col("status"))
    )
    return applied, hits


@functools.cache
def whole_value_base() -> pl.Expr:
    """The (stack, provision) row's base is the line's whole value: base kind ``value``, or a
    content base whose fact the stack's lines do not give, which falls back to the value (see
    :func:`tariffstack.engine.lines.with_bases`)."""
    return (pl.col("base_code") == BASE_KINDS.index("value")) | _fact_missing()


_BITS = 63  # provision bits per Int64 word of a stack's bitset (bit 63 would be the sign)
_POWERS = pl.Series("bit", [1 << i for i in range(_BITS)], dtype=pl.Int64)


def stack_signatures(applied: pl.DataFrame, law: CompiledLaw) -> pl.DataFrame:
    """Each stack's signature: (stack_id, epoch, present, the set of applied provisions).

    Two stacks at the same epoch, with the same content facts given and the same provisions
    applied (their scope classes or condition bits may differ), meet the same precedence rules with
    the same bases (see :mod:`tariffstack.engine.outcomes`). ``applied`` holds the applied
    (stack_id, pid, epoch, present) rows.

    The set of applied provisions is held as a bitset (a few Int64 words ``_stack_0 …``, bit
    ``pid``): exact, and grouped and joined as plain integers rather than as sorted lists.
    """
    n_words = int(law.provisions["pid"].max()) // _BITS + 1
    # Each row's bit is gathered from the 63 powers of two: a lookup in a mapping of every pid
    # would build that mapping again on each call (1.1 ms for one line, against 0.1 ms).
    bits = applied.lazy().select(
        "stack_id",
        "epoch",
        "present",
        word=pl.col("pid") // _BITS,
        bit=pl.lit(_POWERS).gather(pl.col("pid") % _BITS),
    )
    return run(
        bits.group_by("stack_id").agg(
            pl.col("epoch").first(),
            pl.col("present").first(),
            *(
                pl.col("bit").filter(pl.col("word") == w).bitwise_or().fill_null(0).alias(f"_stack_{w}")
                for w in range(n_words)
            ),
        )
    )


def stacks_with_rules(applied: pl.DataFrame, law: CompiledLaw) -> pl.DataFrame:
    """(stack, rule) where the rule (other than 'add') has an applied winner and an applied loser
    in its period: only those stacks' lines need the precedence pass, with the lines' own bases,
    and only those rules can act (a rule's sides only lose members as the rules are applied)."""
    return run(
        applied.lazy()
        .filter(pl.col("status") == "applied")
        .select("stack_id", pe=pair_key("pid", "epoch"))
        .join(law.rule_sides.lazy(), on="pe")
        .group_by("stack_id", "rule_idx")
        .agg(sides=pl.col("winner").n_unique())
        .filter(pl.col("sides") == 2)
        .select("stack_id", "rule_idx")
    )
