"""Words for the evaluator's frames: reasons, references and error messages.

The evaluator decides everything with integer keys; this module joins the compiled law's texts
onto the same frames (never re-deciding anything), so an explanation always matches the amounts.
"""

from __future__ import annotations

import functools
import threading

import polars as pl

from tariffstack.engine.compiled import CompiledLaw
from tariffstack.engine.evaluate import Evaluation
from tariffstack.engine.query import run
from tariffstack.engine.sorted_keys import appended, block_bounds, held, position
from tariffstack.hts.codes import dotted_expr
from tariffstack.hts.store import Store

MFN_AUTHORITY = "HTSUS column 1 (19 U.S.C. 1202)"


def error_messages(ev: Evaluation, store: Store) -> pl.DataFrame:
    """``line_id, message`` for every line with an input or schedule error."""
    return run(error_messages_query(ev, store))


def error_messages_query(ev: Evaluation, store: Store) -> pl.LazyFrame:
    """:func:`error_messages` as a query (the contract's reads it: a call of clean lines runs no
    query of its own for it)."""
    inputs = ev.summary.lazy().filter(pl.col("error").is_not_null()).select("line_id", message="error")
    if ev.mfn["mfn_error"].null_count() == ev.mfn.height:
        return inputs
    bad = ev.mfn.filter(pl.col("mfn_error").is_not_null())
    side = pl.col("use_special")
    rows = (
        bad.join(store.mfn_indexed, on="mfn_idx", how="left", suffix="_store")
        .join(
            store.nearest_codes_frame(bad.filter(pl.col("mfn_error") == 1)).select(
                "hts10", "entry_day", near=pl.col("near").list.eval(dotted_expr(pl.element())).list.join(", ")
            ),
            on=["hts10", "entry_day"],
            how="left",
        )
        .with_columns(
            text=pl.when(side).then(pl.col("usmca_text")).otherwise(pl.col("general_text")),
            status=pl.when(side).then(pl.col("usmca_status")).otherwise(pl.col("general_status")),
            spec1=pl.when(side).then(pl.col("usmca_spec1_unit")).otherwise(pl.col("general_spec1_unit")),
            spec2=pl.when(side).then(pl.col("usmca_spec2_unit")).otherwise(pl.col("general_spec2_unit")),
            hts=dotted_expr(pl.col("hts10")),
        )
    )
    code = pl.col("mfn_error")
    shown_text = (
        pl.when(side & (pl.col("status") == "text")).then(pl.col("special_text")).otherwise(pl.col("text"))
    )
    message = (
        pl.when(code == 1)
        .then(
            pl.concat_str(
                pl.format("hts: {} is not in the schedule in force on {}", "hts", "entry_day"),
                pl.when(pl.col("near").is_not_null() & (pl.col("near") != ""))
                .then(pl.format("; nearest valid codes: {}", "near"))
                .otherwise(pl.lit("")),
            )
        )
        .when(code == 2)
        .then(
            pl.format(
                "spi: S (USMCA) is not offered in the special column of {} ('{}')", "hts", "special_text"
            )
        )
        .when(code == 3)
        .then(
            pl.format(
                "hts: {} {} rate '{}' cannot be computed from value and quantity "
                "({} rate; classify the parts or give the entered duty)",
                "hts",
                pl.when(side).then(pl.lit("USMCA special")).otherwise(pl.lit("general")),
                shown_text,
                "status",
            )
        )
        .when(code == 4)
        .then(
            pl.format("quantity: required for the specific rate '{}' of {} (per {})", "text", "hts", "spec1")
        )
        .when(code == 5)
        .then(pl.format("unit: the rate '{}' of {} is per {}; got {}", "text", "hts", "spec1", "unit"))
        .otherwise(
            pl.format("quantity2: the rate '{}' of {} needs a second quantity per {}", "text", "hts", "spec2")
        )
    )
    return pl.concat([inputs, rows.lazy().select("line_id", message=message)])


def _columns(*names: str, **exprs: pl.Expr | str) -> list[pl.Expr]:
    """A select's arguments as one list (names first, then the named expressions, in order)."""
    return [pl.col(n) for n in names] + [
        (pl.col(e) if isinstance(e, str) else e).alias(n) for n, e in exprs.items()
    ]


@functools.cache
def _ch99_columns() -> list[pl.Expr]:
    """The columns of an applied Chapter 99 line (built once per process)."""
    return _columns(
        "line_id",
        "heading",
        "measure_id",
        "kind",
        "reporting_order",
        "base_cents",
        "rate_ppm",
        "amount_cents",
        "void",
        "reported",
        "authority",
        "ref_instrument",
        "ref_citation",
        "ref_url",
        remitted=pl.col("remit_rule_idx").is_not_null(),
        rate_text=pl.lit(None, dtype=pl.String),
        base_kind=pl.when(pl.col("rule_id").is_not_null())
        .then(
            pl.format(
                "value less the {} base (rule {}: {})",
                pl.col("winner_heading"),
                pl.col("rule_id"),
                pl.col("rule_citation"),
            )
        )
        .when(pl.col("base_missing") & (pl.col("base_kind") != "value"))
        .then(pl.format("full value ({} not given)", pl.col("base_kind")))
        .otherwise(pl.col("base_kind")),
    )


def _schedule_line(measure_id: str, heading: pl.Expr, **texts: pl.Expr | str) -> list[pl.Expr]:
    """The columns of a line of the schedule's customs duty (the U.S. MFN line or Canada's): on the
    line's value, at the key's rate, reported after the Chapter 99 lines; ``texts`` are the
    authority, references, rate text and base kind of that schedule."""
    return _columns(
        "line_id",
        heading=heading,
        measure_id=pl.lit(measure_id),
        kind=pl.lit("mfn"),
        reporting_order=pl.lit(10**9),
        base_cents="value_cents",
        rate_ppm="mfn_adval_ppm",
        amount_cents="mfn_cents",
        void=pl.lit(False),
        reported=pl.lit(True),
        remitted=pl.lit(False),
        **texts,
    )


@functools.cache
def _ca_columns() -> list[pl.Expr]:
    """The columns of Canada's customs-duty line (built once per process)."""
    return _schedule_line(
        "ca/customs_tariff",
        pl.concat_str(
            pl.col("hts10").str.slice(0, 4),
            pl.lit("."),
            pl.col("hts10").str.slice(4, 2),
            pl.lit("."),
            pl.col("hts10").str.slice(6, 2),
        ),
        authority=pl.lit("Customs Tariff (Canada), S.C. 1997, c. 36"),
        ref_instrument=pl.when(pl.col("use_special"))
        .then(pl.lit("CUSMA Tariff Schedule of Canada (Annex 2-B), rate for U.S. originating goods"))
        .otherwise(pl.lit("Customs Tariff, List of Tariff Provisions (MFN column)")),
        ref_citation=pl.lit("value for duty under ss. 47-55 of the Customs Act"),
        ref_url=pl.lit("https://www.cbsa-asfc.gc.ca/trade-commerce/tariff-tarif/"),
        rate_text="ca_text",
        base_kind=pl.lit("value for duty"),
    )


@functools.cache
def _mfn_columns() -> list[pl.Expr]:
    """The columns of the U.S. MFN line (built once per process)."""
    return _schedule_line(
        "us/mfn",
        dotted_expr(pl.col("hts10")),
        authority=pl.lit(MFN_AUTHORITY),
        ref_instrument=pl.format(
            "HTSUS {} ({})",
            pl.col("revision").str.replace("_rev_", " Revision ").str.replace("_basic", " Basic Edition"),
            pl.when(pl.col("use_special"))
            .then(pl.lit("special column, USMCA (S)"))
            .otherwise(pl.lit("general column")),
        ),
        ref_citation=pl.lit("19 U.S.C. 1202; the schedule in force on the entry date"),
        ref_url=pl.lit("https://hts.usitc.gov"),
        rate_text=pl.when(pl.col("use_special")).then(pl.col("usmca_text")).otherwise(pl.col("general_text")),
        base_kind=pl.lit("value"),
    )


def enters_canada(ev: Evaluation) -> bool:
    """Whether a line of the evaluation enters Canada (its schedule line is Canada's): the query
    branches that read Canada's tables are built only then."""
    return "ca_text" in ev.mfn.columns and ev.mfn["ca_text"].null_count() < ev.mfn.height


def line_rows(ev: Evaluation, law: CompiledLaw, store: Store) -> pl.LazyFrame:
    """Applied Chapter 99 lines and the MFN line of each computed line, with texts, in CBP order
    (a query: the caller collects it with what it builds on it, :mod:`tariffstack.engine.query`)."""
    same = ("heading", "measure_id", "kind", "authority", "base_kind")
    ch99 = (
        ev.lines.lazy()
        .with_columns(
            *law.lookup("provisions", "pid", **{c: c for c in same}),
            *law.lookup(
                "rates",
                "rate_idx",
                **{c: c for c in ("rate_text", "ref_instrument", "ref_citation", "ref_url")},
            ),
            *law.lookup("rules", "remainder_rule_idx", rule_id="rule_id", rule_citation="rule_citation"),
            *law.lookup("provisions", "remainder_winner_pid", winner_heading="heading"),
        )
        .select(_ch99_columns())
    )
    has_ca = enters_canada(ev)
    mfn_frame = (
        ev.mfn if "ca_text" in ev.mfn.columns else ev.mfn.with_columns(ca_text=pl.lit(None, dtype=pl.String))
    )
    is_ca = pl.col("ca_text").is_not_null()
    values = ev.summary.lazy().select("line_id", "value_cents")
    mfn = (
        mfn_frame.lazy()
        .filter(pl.col("mfn_error").is_null() & ~is_ca)
        .with_columns(
            *store.mfn_lookup(general_text="general_text", usmca_text="usmca_text"),
            revision=pl.lit(store.revisions["revision"]).gather(pl.col("rev_idx").cast(pl.UInt32)),
        )
        .join(values, on="line_id")
        .select(_mfn_columns())
    )
    parts = [ch99, mfn]
    if has_ca:  # (a query branch that would find no line of Canada's is not built)
        parts.append(
            mfn_frame.lazy()
            .filter(pl.col("mfn_error").is_null() & is_ca)
            .join(values, on="line_id")
            .select(_ca_columns())
        )
    return pl.concat(parts, how="diagonal_relaxed").sort("line_id", "reporting_order", "heading")


NO_HEADING = 1 << 62  # sorts a measure with nothing in scope after the headings of the line
REASON_KEY = ("pid", "status", "rate_idx", "except_hid", "winner_pid", "rule_idx")  # what a reason says


def _condition_texts(law: CompiledLaw) -> pl.DataFrame:
    """(pid, cond_text) of every provision with a condition: a table of the law alone, built once."""
    return law.derived(
        "condition_texts",
        lambda: pl.DataFrame(
            [{"pid": pid, "cond_text": text} for pid, (_, text) in law.conditions.items()],
            schema={"pid": pl.Int64, "cond_text": pl.String},
        ),
    )


def _reasons(combos: pl.LazyFrame, law: CompiledLaw) -> pl.LazyFrame:
    """The measure, heading and reason text of each distinct ``REASON_KEY`` (a few hundred even for
    millions of lines): the text is built once per reason, not once per line."""
    excepts = law.derived(
        "except_headings",
        lambda: law.provisions.select(except_hid="hid", except_heading="heading").unique("except_hid"),
    ).lazy()
    return (
        combos.with_columns(
            *law.lookup(
                "provisions",
                "pid",
                **{c: c for c in ("mid", "measure_id", "heading", "base_kind", "heading_rank")},
            ),
            *law.lookup("rates", "rate_idx", note="note"),
            *law.lookup("provisions", "winner_pid", winner_heading="heading"),
            *law.lookup(
                "rules",
                "rule_idx",
                **{c: c for c in ("rule_id", "rule_label", "rule_instrument", "rule_citation")},
            ),
        )
        .join(_condition_texts(law).lazy(), on="pid", how="left")
        .join(excepts, on="except_hid", how="left")
        .select(_reason_columns())
    )


@functools.cache
def _reason_columns() -> list[pl.Expr]:
    """A reason's key, measure, heading and text (built once per process)."""
    return _columns(
        *REASON_KEY,
        "mid",
        "measure_id",
        "heading",
        "heading_rank",
        reason=pl.when(pl.col("status") == "out_of_period")
        .then(pl.col("note"))
        .when(pl.col("status") == "condition_not_met")
        .then(pl.format("condition not met: {}", pl.col("cond_text")))
        .when(pl.col("status") == "missing_fact")
        .then(pl.format("missing fact for the base: {}", pl.col("base_kind")))
        .when(pl.col("status") == "excepted")
        .then(pl.format("heading {} applies instead", pl.col("except_heading")))
        .otherwise(
            pl.format(
                "displaced by rule {} ({} applies): {}; {} ({})",
                pl.col("rule_id"),
                pl.col("winner_heading"),
                pl.col("rule_label"),
                pl.col("rule_instrument"),
                pl.col("rule_citation"),
            )
        ),
    )


def _scope_reasons(pairs: pl.LazyFrame, law: CompiledLaw) -> pl.LazyFrame:
    """Status and reason of a measure with nothing in scope, per distinct (origin, importing country)."""
    measures = law.measures.lazy().select("mid", "measure_id", "importing_country", "measure_countries")
    in_country = pl.col("measure_countries").list.contains(pl.col("origin"))
    return pairs.join(measures, on="importing_country").select(
        "origin",
        "importing_country",
        "mid",
        "measure_id",
        status=pl.when(in_country)
        .then(pl.lit("product_out_of_scope"))
        .otherwise(pl.lit("country_out_of_scope")),
        reason=pl.when(in_country)
        .then(pl.lit("the HTS code is not in the measure's product scope"))
        .otherwise(pl.format("origin {} is not in the measure's country scope", pl.col("origin"))),
    )


NOT_APPLIED_COLUMNS = ("line_id", "measure_id", "heading", "status", "reason")
_EXPLAINED_LOCK = threading.Lock()


def not_applied_rows(ev: Evaluation, law: CompiledLaw) -> pl.LazyFrame:
    """Provisions in scope that did not apply, and measures with nothing in scope, with reasons;
    ordered by line, measure, heading (measures with nothing in scope last), provision (a query).

    Every line of a stack where no rule acts on the line's own values has the rows of every other
    line of that stack with the same origin, importer and whether its duty is known (an
    *explanation key*: the provisions, their statuses and the rules are the stack's, the measures
    with nothing in scope the origin's). So the rows of a key are computed on one of its lines
    the first time the process meets it, kept with the compiled law, and put on the key's lines
    by position afterwards (a call of one line ran ~12 frame operations for them, ~3 ms on one CPU;
    for a known key, one operation finds its block, which the contract's query gathers). The lines
    of stacks where a rule acts on their own values get theirs computed."""
    stacks = ev.line_stacks
    ruled = stacks["per_line"].any()
    shared = stacks.filter(~pl.col("per_line")) if ruled else stacks
    kept, start, end = known_explanations(ev, law, shared)
    # Each line's block of kept rows, gathered in the query that reads them (the contract's).
    start, end = pl.lit(start), pl.lit(end)
    rows = (
        shared.lazy()
        .select(
            line_id=pl.col("line_id")
            .repeat_by(end - start)
            .list.explode(keep_nulls=False, empty_as_null=False),
            row=pl.int_ranges(start, end, dtype=pl.Int64).list.explode(keep_nulls=False, empty_as_null=False),
        )
        .select("line_id", *(pl.lit(kept[c]).gather(pl.col("row")).alias(c) for c in NOT_APPLIED_COLUMNS[1:]))
    )
    if not ruled:
        return rows
    per_line = stacks.filter(pl.col("per_line")).select("line_id")
    return pl.concat([rows, _rows_of(ev, law, per_line)]).sort("line_id", maintain_order=True)


def learn_explanations(ev: Evaluation, law: CompiledLaw) -> None:
    """Compute and keep the rows of the explanation keys of ``ev``'s lines not known yet (a
    server's warm-up: its first request of a key then reads them)."""
    stacks = ev.line_stacks
    known_explanations(ev, law, stacks.filter(~pl.col("per_line")))


def known_explanations(
    ev: Evaluation, law: CompiledLaw, shared: pl.DataFrame
) -> tuple[pl.DataFrame, pl.Series, pl.Series]:
    """(the kept rows, the first and past-the-last row of each line of ``shared``: line_id,
    explanation_key), a key not known yet computed on the first of its lines and kept.

    Kept: ``keys`` (sorted) with each key's ``start`` and ``end`` among ``rows``, whose rows are
    appended in blocks of a key (a new key adds its rows at the end, so nothing kept is sorted
    again: the web server keeps ~540,000 rows)."""
    with _EXPLAINED_LOCK:
        memo = law.memo.get("explained")
        if memo is None:
            memo = law.memo["explained"] = _no_explanations(ev, law)
        found = _blocks(memo, shared["explanation_key"])
        if not found["known"].all():
            memo = _with_keys(memo, shared.filter(~found["known"]), ev, law)
            law.memo["explained"] = memo
            found = _blocks(memo, shared["explanation_key"])
        return memo["rows"], found["start"], found["end"]


def _blocks(memo: dict, keys: pl.Series) -> pl.DataFrame:
    """(known, start, end) of each of ``keys`` among the kept keys (start and end read something
    for a key not known: only ``known`` tells), in one operation."""
    wanted = pl.lit(keys)
    at = position(memo["keys"], wanted)
    return pl.select(
        known=held(memo["keys"], at, wanted),
        start=pl.lit(memo["start"]).gather(at),
        end=pl.lit(memo["end"]).gather(at),
    )


def _no_explanations(ev: Evaluation, law: CompiledLaw) -> dict:
    empty = pl.Series("key", [], dtype=pl.Int64)
    rows = run(_rows_of(ev, law, pl.DataFrame(schema={"line_id": pl.Int64})).drop("line_id"))
    return {"keys": empty, "start": empty, "end": empty, "rows": rows}


def _with_keys(memo: dict, fresh_lines: pl.DataFrame, ev: Evaluation, law: CompiledLaw) -> dict:
    """``memo`` with the keys of ``fresh_lines`` (line_id, explanation_key) computed on one line
    each."""
    fresh = run(fresh_lines.lazy().group_by(key="explanation_key").agg(pl.col("line_id").min()).sort("key"))
    computed = run(
        _rows_of(ev, law, fresh.select("line_id"))
        .join(fresh.lazy(), on="line_id", maintain_order="left")
        .sort("key", maintain_order=True)  # (each key's rows in their order, the keys in blocks)
    )
    first, past = block_bounds(computed["key"], fresh["key"], memo["rows"].height)
    bounds = fresh.select(start=first, end=past)
    start, end = bounds["start"], bounds["end"]
    keys = pl.concat([memo["keys"], fresh["key"]])
    order = keys.arg_sort()
    return {
        "keys": keys.gather(order),
        "start": pl.concat([memo["start"], start]).gather(order),
        "end": pl.concat([memo["end"], end]).gather(order),
        "rows": appended(memo["rows"], computed.drop("line_id", "key")),
    }


def _rows_of(ev: Evaluation, law: CompiledLaw, lines: pl.DataFrame) -> pl.LazyFrame:
    """:func:`not_applied_rows` of the lines in ``lines`` (line_id), computed on those lines (a
    query; the frames two of its branches read are collected first)."""
    not_applied = run(
        ev.not_applied_of(lines)
        .lazy()
        .select("line_id", *REASON_KEY)
        .with_columns(pl.col("status").cast(pl.String))
    )
    reasons = _reasons(not_applied.lazy().select(REASON_KEY).unique(), law)
    in_scope = run(not_applied.lazy().join(reasons, on=list(REASON_KEY), nulls_equal=True))
    touched = pl.concat(
        [
            ev.lines.lazy()
            .join(lines.lazy(), on="line_id", how="semi")
            .select("line_id", *law.lookup("provisions", "pid", mid="mid")),
            in_scope.lazy().select("line_id", "mid"),
        ]
    ).unique()
    computed = run(
        ev.summary.lazy()
        .join(lines.lazy(), on="line_id", how="semi")
        .filter(pl.col("total_cents").is_not_null())
        .select("line_id", "origin", "importing_country")
    )
    scope = _scope_reasons(computed.lazy().select("origin", "importing_country").unique(), law)
    others = (
        computed.lazy()
        .join(scope, on=["origin", "importing_country"])
        .join(touched, on=["line_id", "mid"], how="anti")
        .select(
            "line_id",
            "mid",
            "measure_id",
            "status",
            "reason",
            heading=pl.lit(None, dtype=pl.String),
            heading_rank=pl.lit(NO_HEADING, dtype=pl.Int64),
            pid=pl.lit(None, dtype=pl.Int64),
        )
    )
    columns = ["line_id", "mid", "measure_id", "heading", "status", "reason", "heading_rank", "pid"]
    return (
        pl.concat([in_scope.lazy().select(columns), others.select(columns)])
        .sort("line_id", "mid", "heading_rank", "pid", nulls_last=True)
        .select(NOT_APPLIED_COLUMNS)
    )


def caveat_rows(ev: Evaluation, law: CompiledLaw) -> pl.LazyFrame:
    """Law verified only to a date before the entry; customs duty not known (Canada's MFN tariff).
    A query, collected by the caller."""
    stale = (
        ev.caveats_query()
        .with_columns(law.lookup("measures", "mid", measure_id="measure_id", verified_to="verified_to"))
        .select(
            "line_id",
            caveat=pl.format(
                "{}: law verified to {}; later changes may be missing",
                pl.col("measure_id"),
                pl.col("verified_to").dt.date().cast(pl.String),
            ),
        )
    )
    if "ca_text" not in ev.mfn.columns:
        return stale
    unknown = (
        ev.mfn.lazy()
        .filter(pl.col("ca_text").is_not_null() & pl.col("mfn_cents").is_null())
        .select(
            "line_id",
            caveat=pl.format(
                "customs duty not known: {}; total_duty is null, additional_total is known", pl.col("ca_text")
            ),
        )
    )
    return pl.concat([stale, unknown])
