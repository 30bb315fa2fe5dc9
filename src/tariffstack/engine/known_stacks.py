"""Each stack's parts, decided the first time a process meets the stack and kept with the compiled
law, as the scope classes of the codes are.

A stack (:mod:`~tariffstack.engine.stack`: a scope class, an epoch, the content facts given, the
condition bits) is a fact of the law alone: its provisions in force and their status, the
exceptions that apply, the flags of the applied provisions and the precedence outcomes decided per
stack (:mod:`~tariffstack.engine.outcomes`) are the same on every call that meets it. So they are
computed once, by the same functions, for the stacks a call meets that are not known yet, and kept
under a *known stack id* (``stack_id`` below, the same on every call); a later call finds its
stacks' ids by their hash (:func:`_find`) and gathers each part's rows by position. A call of one
line ran ~15 frame operations for this before (the pairs in force, the exceptions, the rule
outcomes); now it runs a few, whatever the stacks.

Parts (each sorted by ``stack_id``, appended as stacks become known; a stack's rows are
``<part>_start … <part>_end`` of the part, the bounds kept beside the stack's columns in ``index``,
whose row *i* is known stack *i*):

- ``live``: the applied provisions with their flags and rule columns (the lines' stack rows);
- ``acting``: (stack, rule) of the rules to run on the stack's lines, with the lines' own values;
- ``decided``, ``excepted``, ``hits``, ``displaced``: the explanation's per-stack rows (provisions
  in force that did not apply, the excepted ones, the heading that applied instead, the ones a
  rule displaced whatever the lines' values);
- ``stale``: (stack, measure, stale_from) of the measures with a provision in scope of the stack,
  in force or not, whose law is verified only to the day before ``stale_from`` (the caveats).
"""

from __future__ import annotations

import functools
import operator
import threading
from dataclasses import dataclass

import polars as pl

from tariffstack.engine.compiled import CompiledLaw
from tariffstack.engine.outcomes import rule_outcomes
from tariffstack.engine.query import run
from tariffstack.engine.rows import filled
from tariffstack.engine.sorted_keys import appended, block_bounds, holds, position
from tariffstack.engine.stack import apply_exceptions, in_force_pairs, stack_columns

PARTS = ("live", "acting", "decided", "excepted", "hits", "displaced", "stale")
DECIDED_COLUMNS = ("stack_id", "pid", "hid", "mid", "rate_idx", "status")
DISPLACED_COLUMNS = ("stack_id", "pid", "hid", "mid", "rate_idx", "status", "rule_idx", "winner_pid")
_LOCK = threading.Lock()


@dataclass
class StackParts:
    """The parts of a call's stacks (``stack_id`` the known stack id), the explanation's as queries
    (gathered only when an explanation is read)."""

    stacks: pl.DataFrame  # stack_id, class_id, epoch
    live: pl.DataFrame
    acting: pl.DataFrame  # stack_id, rule_idx
    decided: pl.LazyFrame
    excepted: pl.LazyFrame
    hits: pl.LazyFrame  # stack_id, pid, except_hid
    displaced: pl.LazyFrame
    stale: pl.LazyFrame  # stack_id, mid, stale_from


def stack_parts(
    stacks: pl.DataFrame, class_pids: pl.DataFrame, law: CompiledLaw
) -> tuple[pl.Series, StackParts]:
    """(the known stack id of each of the call's stacks, in the order of ``stacks``, whose row *i*
    is the call's stack *i*; their parts). ``stacks`` holds the stack columns and their
    ``stack_hash`` (:func:`~tariffstack.engine.stack.stack_keys`). Stacks not known yet are
    decided first."""
    local = stacks.select(*stack_columns(law), "stack_hash")
    with _LOCK:
        memo = law.memo.get("known_stacks")
        found = _find(local, memo)
        if memo is None or found["stack_id"].null_count():
            unknown = local.filter(found["stack_id"].is_null()) if memo is not None else local
            memo = _add(unknown.unique(maintain_order=True), class_pids, law, memo)
            law.memo["known_stacks"] = memo
            found = _find(local, memo)
        parts = {name: memo[name] for name in PARTS}
    at = found.select(_part_rows())
    rows = {name: at[name][0] for name in PARTS}
    return found["stack_id"], StackParts(
        stacks=found.select("stack_id", "class_id", "epoch"),
        live=parts["live"][rows["live"]],
        acting=parts["acting"][rows["acting"]],
        **{name: _gathered(parts[name], rows[name]) for name in PARTS[2:]},
    )


@functools.cache
def _part_rows() -> list[pl.Expr]:
    """Each part's row numbers of the call's stacks, all in one operation (a list each); built once."""
    return [
        pl.int_ranges(f"{name}_start", f"{name}_end")
        .list.explode(keep_nulls=False, empty_as_null=False)
        .implode()
        .alias(name)
        for name in PARTS
    ]


def _find(local: pl.DataFrame, memo: dict | None) -> pl.DataFrame:
    """The known stacks' rows of ``index`` (id, columns, part bounds) in the order of ``local``,
    null for a stack not known.

    Found by binary search of each stack's hash among the known stacks' hashes (sorted), then
    checked column by column: a join on the stack columns hashed all the known stacks on every
    call (~0.9 ms for 15,000), the search reads a few. A hash two stacks share is resolved by
    that join, for those stacks only, so a stack is never taken for another."""
    if memo is None:
        return local.with_columns(stack_id=pl.lit(None, dtype=pl.Int64))
    index, hashes, order = memo["index"], memo["hashes"], memo["order"]
    where = position(hashes, pl.lit(local["stack_hash"]))
    found_at = pl.select(at=where, row=pl.lit(order).gather(where))  # (one operation)
    at, rows = found_at["at"], index[found_at["row"]]
    if rows.select(local.columns).equals(local):  # (every stack known: one comparison)
        return rows
    same = functools.reduce(operator.and_, (rows[c].eq_missing(local[c]) for c in local.columns))
    unknown = filled("unknown", None, local.height, pl.Int64)
    found = rows.with_columns(rows[c].zip_with(same, unknown) for c in rows.columns if c not in local.columns)
    shared = ~same & holds(hashes, at, local["stack_hash"])
    if shared.any():  # (a hash two stacks share: the exact join, for those stacks only)
        exact = local.join(index, on=local.columns, how="left", maintain_order="left")
        found = found.with_columns(found[c].zip_with(~shared, exact[c]) for c in found.columns)
    return found.with_columns(local.get_columns())


def _gathered(part: pl.DataFrame, rows: pl.Series) -> pl.LazyFrame:
    return part.lazy().select(pl.all().gather(rows))


def _add(unknown: pl.DataFrame, class_pids: pl.DataFrame, law: CompiledLaw, memo: dict | None) -> dict:
    """The memo with the ``unknown`` stacks (their stack columns, distinct) decided and added."""
    first = 0 if memo is None else memo["index"].height
    fresh = unknown.with_columns(stack_id=pl.int_range(first, first + unknown.height, dtype=pl.Int64))
    decided = _decide(fresh, class_pids, law)
    # Each part's rows of a stack are start … end after the rows already kept: found by binary
    # search in the part's stack ids (sorted), for all the fresh ids and parts in one operation.
    bounds = []
    for name in PARTS:
        before = 0 if memo is None else memo[name].height
        start, end = block_bounds(decided[name]["stack_id"], fresh["stack_id"], before)
        bounds += [start.alias(f"{name}_start"), end.alias(f"{name}_end")]
    index = fresh.with_columns(bounds)
    if memo is None:
        return {"index": index, **decided, **_search(index)}
    kept = {name: appended(memo[name], frame) for name, frame in {"index": index, **decided}.items()}
    return {**kept, **_search(kept["index"])}


def _search(index: pl.DataFrame) -> dict[str, pl.Series]:
    """The known stacks' hashes in order (``hashes``) and their rows of ``index`` (``order``)."""
    order = index["stack_hash"].arg_sort()
    return {"hashes": index["stack_hash"].gather(order), "order": order}


def _decide(fresh: pl.DataFrame, class_pids: pl.DataFrame, law: CompiledLaw) -> dict[str, pl.DataFrame]:
    """Each part of the ``fresh`` stacks (``stack_id`` their new known ids), sorted by stack (the
    rows of a stack in the order the steps give them)."""
    pairs = in_force_pairs(fresh, class_pids, law)
    applied_s, hits = apply_exceptions(pairs.filter(pl.col("status") == "applied"), law)
    flags = law.lookup(
        "provisions",
        "pid",
        void="void",
        prohibited="prohibited",
        reported="reported",
        reporting_order="reporting_order",
    )
    applied_only = applied_s.filter(pl.col("status") == "applied")
    live, stack_ruled, acting = rule_outcomes(applied_only, run(applied_only.lazy().with_columns(flags)), law)
    parts = {
        "live": live,
        "acting": acting,
        "decided": pairs.filter(pl.col("status") != "applied").select(DECIDED_COLUMNS),
        "excepted": applied_s.filter(pl.col("status") == "excepted").select(DECIDED_COLUMNS),
        "hits": hits.select("stack_id", "pid", "except_hid")
        if not hits.is_empty()
        else pl.DataFrame(schema={"stack_id": pl.Int64, "pid": pl.Int64, "except_hid": pl.Int64}),
        "displaced": stack_ruled.filter(pl.col("status") != "applied").select(DISPLACED_COLUMNS),
        "stale": run(
            fresh.lazy()
            .select("stack_id", "class_id")
            .join(class_pids.lazy(), on="class_id")
            .select("stack_id", *law.lookup("provisions", "pid", mid="mid"))
            .unique()
            .join(_stale_measures(law).lazy(), on="mid")
        ),
    }
    return {name: _by_stack(frame) for name, frame in parts.items()}


def _by_stack(part: pl.DataFrame) -> pl.DataFrame:
    """``part`` sorted by stack, each stack's rows in their order (sorted only where it is not
    yet: a call that meets one new stack would sort seven frames of it)."""
    return part if part["stack_id"].is_sorted() else part.sort("stack_id", maintain_order=True)


def _stale_measures(law: CompiledLaw) -> pl.DataFrame:
    """(mid, stale_from): the day after a measure's law is verified to, for measures not known to
    have ended by that day (a line entered from then on gets a caveat)."""
    return law.derived(
        "stale_from",
        lambda: law.measures.filter(~pl.col("ended_by_verified_to")).select(
            "mid", stale_from=pl.col("verified_to").dt.offset_by("1d")
        ),
    )
