"""Which precedence rules act on each stack, and the outcome of those that need no line value,
decided once per stack *signature* and kept with the compiled law.

Two stacks at the same epoch, with the same content facts given and the same provisions applied
(:func:`~tariffstack.engine.stack.stack_signatures`), meet the same rules with the same bases: a
rule that displaces or remits has the same outcome on both, since it reads only which provisions
apply at which epoch, and a remainder rule on bases that are all the line's whole value leaves the
loser nothing (value − value ≤ 0) whatever the value. So a signature's outcome is a fact of the
law alone, like the scope class of a code: it is decided the first time a signature is met (on one
stack of it, with the precedence passes of :func:`~tariffstack.engine.lines.apply_precedence`) and
read from the memo afterwards. A call of a hundred lines met ~40 precedence queries per call
before; once its signatures are known it reads them in three. (Since the stacks themselves are
kept, :mod:`~tariffstack.engine.known_stacks`, this runs only for the stacks a process meets first.)

The memo holds, per signature (``sig_id``):

- ``sigs``: the signature's columns, its id, and whether any rule acts on it (``ruled``);
- ``decided``: for signatures whose rules are decided per stack, each applied provision's status
  and rule columns after the rules;
- ``by_value``: for signatures with a remainder rule on a base of part of the value (decided on
  each line, whose remainder's sign is a fact of the line), the rules to run on their lines.
"""

from __future__ import annotations

import threading

import polars as pl

from tariffstack.engine.compiled import CompiledLaw
from tariffstack.engine.lines import RULE_COLUMNS, apply_precedence, no_rule
from tariffstack.engine.query import run
from tariffstack.engine.stack import STATUS, stack_signatures, stacks_with_rules, whole_value_base

_LOCK = threading.Lock()
DECIDED_SCHEMA = {"sig_id": pl.Int64, "pid": pl.Int64, "status": STATUS, **RULE_COLUMNS}


def rule_outcomes(
    applied_only: pl.DataFrame, live_s: pl.DataFrame, law: CompiledLaw
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(the applied rows with the rule columns, the rows of stacks whose rules are decided per
    stack, (stack_id, rule_idx) of the rules to run on the lines of each remaining stack).

    ``applied_only`` holds the applied (stack, provision) rows, ``live_s`` the same with the
    provisions' flags. Where no rule acts on any stack of the frame (most calls of a few lines),
    every row keeps its provision and no further query runs."""
    signatures = stack_signatures(applied_only, law)
    columns = [c for c in signatures.columns if c != "stack_id"]
    with _LOCK:
        memo = law.derived("rule_outcomes", lambda: _empty_memo(signatures))
        of_stack = run(signatures.lazy().join(memo["sigs"].lazy(), on=columns, how="left"))
        unknown = of_stack.filter(pl.col("sig_id").is_null())
        if not unknown.is_empty():
            _decide(unknown.drop("sig_id", "ruled"), columns, applied_only, live_s, law, memo)
            of_stack = run(signatures.lazy().join(memo["sigs"].lazy(), on=columns))
        decided, by_value = memo["decided"], memo["by_value"]
    stack_sig = of_stack.filter(pl.col("ruled")).select("stack_id", "sig_id")
    if stack_sig.is_empty():
        unruled = live_s.with_columns(no_rule())
        return unruled, unruled.clear(), stack_sig.select("stack_id", rule_idx="sig_id")
    stack_ruled = run(
        live_s.lazy()
        .drop("status")
        .join(stack_sig.lazy(), on="stack_id")
        .join(decided.lazy(), on=["sig_id", "pid"])
        .drop("sig_id")
    )
    acting_rules = run(stack_sig.lazy().join(by_value.lazy(), on="sig_id").select("stack_id", "rule_idx"))
    live_s = run(
        pl.concat(
            [
                live_s.lazy()
                .join(stack_ruled.lazy().select("stack_id").unique(), on="stack_id", how="anti")
                .with_columns(no_rule()),
                stack_ruled.lazy()
                .filter(pl.col("status") == "applied")
                .select(*live_s.columns, *RULE_COLUMNS),
            ],
            how="diagonal",
        )
    )
    return live_s, stack_ruled, acting_rules


def _empty_memo(signatures: pl.DataFrame) -> dict[str, pl.DataFrame]:
    sig_schema = {**signatures.drop("stack_id").schema, "sig_id": pl.Int64, "ruled": pl.Boolean}
    return {
        "sigs": pl.DataFrame(schema=sig_schema),
        "decided": pl.DataFrame(schema=DECIDED_SCHEMA),
        "by_value": pl.DataFrame(schema={"sig_id": pl.Int64, "rule_idx": pl.Int64}),
    }


def _decide(
    unknown: pl.DataFrame,
    columns: list[str],
    applied_only: pl.DataFrame,
    live_s: pl.DataFrame,
    law: CompiledLaw,
    memo: dict[str, pl.DataFrame],
) -> None:
    """Decide the signatures of ``unknown`` (stack_id and signature columns) on one stack each
    (the smallest id) and add them to the memo."""
    reps = run(
        unknown.lazy()
        .group_by(columns)
        .agg(stack_id=pl.col("stack_id").min())
        .sort("stack_id")
        .with_row_index("sig_id", offset=memo["sigs"].height)
        .with_columns(pl.col("sig_id").cast(pl.Int64))
    )
    rep_rules = stacks_with_rules(applied_only.join(reps.select("stack_id"), on="stack_id", how="semi"), law)
    ruled = reps["stack_id"].is_in(rep_rules["stack_id"].implode())
    memo["sigs"] = pl.concat([memo["sigs"], reps.select(*columns, "sig_id", ruled=ruled)])
    if rep_rules.is_empty():
        return
    # Stacks with a remainder rule and a base of part of the value are decided per line.
    part_value = live_s.lazy().join(reps.lazy(), on="stack_id", how="semi").filter(~whole_value_base())
    rep_by_value = run(
        rep_rules.lazy()
        .with_columns(law.lookup("rules", "rule_idx", effect="effect"))
        .filter(pl.col("effect") == "remainder")
        .select("stack_id")
        .unique()
        .join(part_value.select("stack_id"), on="stack_id", how="semi")
    )
    rep_ruled = apply_precedence(
        run(
            live_s.lazy()
            .join(rep_rules.lazy().select("stack_id").unique(), on="stack_id", how="semi")
            .join(rep_by_value.lazy(), on="stack_id", how="anti")
            .with_columns(line_id=pl.col("stack_id"), base_cents=pl.lit(0, dtype=pl.Int64))
        ),
        law,
        rep_rules,
    )
    sig_of = reps.lazy().select("stack_id", "sig_id")
    decided = run(rep_ruled.lazy().join(sig_of, on="stack_id").select(list(DECIDED_SCHEMA)))
    by_value = run(
        rep_rules.lazy()
        .join(rep_by_value.lazy(), on="stack_id", how="semi")
        .join(sig_of, on="stack_id")
        .select("sig_id", "rule_idx")
    )
    memo["decided"] = pl.concat([memo["decided"], decided])
    memo["by_value"] = pl.concat([memo["by_value"], by_value])
