"""Evaluate a frame of entry lines against the compiled law: one vectorized path for 1 or 10⁷ lines.

Steps, each a join or an expression over whole columns:

1. **Schedule**: as-of join of (HTS10, entry day) to the MFN intervals; unknown/expired codes and
   rates that need facts not given become per-line errors.
2. **Candidates**: lines × provisions whose country scope holds the origin and whose product scope
   (longest prefix wins; excludes win at equal length) holds the HTS10.
3. **Period**: the rate interval in force at the entry time (intervals cover all time).
4. **Conditions**: each provision's compiled condition expression.
5. **Exceptions**: a provision yields to the headings it names as exceptions when they apply.
6. **Precedence**: rules from the law's rules file, in their declared order: displace the loser,
   or leave it the remainder of the value after the winners' bases.
7. **Amounts**: integer cents, rounded half up per line (see :mod:`tariffstack.engine.money`).

The explanation of one line is a filter of these same frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from tariffstack.engine.compile import CompiledLaw
from tariffstack.engine.money import ad_valorem_cents, specific_cents
from tariffstack.hts.codes import dotted
from tariffstack.hts.store import Store

USMCA_SPI = ["S", "S+"]


@dataclass
class Evaluation:
    """The results: ``summary`` (one row per input line), ``lines`` (applied Chapter 99 and MFN
    lines), ``not_applied`` (measures/headings that did not apply, with the reason)."""

    summary: pl.DataFrame
    lines: pl.DataFrame
    not_applied: pl.DataFrame
    caveats: pl.DataFrame


def _mfn(valid: pl.DataFrame, store: Store) -> pl.DataFrame:
    """MFN rate per line from the schedule in force on the entry day, with errors for bad codes."""
    mfn = store.mfn.sort("valid_from")
    keyed = valid.select(
        "line_id",
        "hts10",
        "spi",
        "value_cents",
        "qty_milli",
        "unit",
        "qty2_milli",
        "unit2",
        entry_day=pl.col("entry_ts").dt.date(),
    ).sort("entry_day")
    joined = keyed.join_asof(
        mfn,
        left_on="entry_day",
        right_on="valid_from",
        by="hts10",
        strategy="backward",
        check_sortedness=False,  # both sides are sorted just above
    )
    usmca = pl.col("spi").is_in(USMCA_SPI).fill_null(False)
    use_special = usmca & (pl.col("usmca_status") != "empty")
    pick = {  # the rate column set used for this line: the USMCA special rate when claimed and offered
        name: pl.when(use_special).then(pl.col(f"usmca_{name}")).otherwise(pl.col(f"general_{name}"))
        for name in ("status", "adval_ppm", "spec1_uc", "spec1_unit", "spec2_uc", "spec2_unit")
    }
    joined = joined.with_columns(
        mfn_status=pick["status"],
        mfn_adval_ppm=pick["adval_ppm"],
        mfn_spec1_uc=pick["spec1_uc"],
        mfn_spec1_unit=pick["spec1_unit"],
        mfn_spec2_uc=pick["spec2_uc"],
        mfn_spec2_unit=pick["spec2_unit"],
        mfn_column=pl.when(use_special).then(pl.lit("special (S)")).otherwise(pl.lit("general")),
        mfn_text=pl.when(use_special).then(pl.col("special_text")).otherwise(pl.col("general_text")),
    )
    hts = pl.format("hts: {} ", pl.col("hts10"))
    error = (
        pl.when(pl.col("valid_from").is_null() | (pl.col("entry_day") >= pl.col("valid_to")))
        .then(
            pl.concat_str(
                hts, pl.lit("is not in the schedule in force on "), pl.col("entry_day").cast(pl.String)
            )
        )
        .when(usmca & (pl.col("usmca_status") == "empty") & (pl.col("general_status") != "free"))
        .then(
            pl.concat_str(pl.lit("spi: S (USMCA) is not offered in the special column of "), pl.col("hts10"))
        )
        .when(pl.col("mfn_status").is_in(["component", "reference", "text", "empty"]))
        .then(
            pl.concat_str(
                hts,
                pl.lit("MFN rate '"),
                pl.col("mfn_text"),
                pl.lit("' cannot be computed from value and quantity (status "),
                pl.col("mfn_status"),
                pl.lit(")"),
            )
        )
        .when((pl.col("mfn_spec1_uc") > 0) & pl.col("qty_milli").is_null())
        .then(
            pl.concat_str(
                pl.lit("quantity: required for the specific rate '"),
                pl.col("mfn_text"),
                pl.lit("' (per "),
                pl.col("mfn_spec1_unit"),
                pl.lit(")"),
            )
        )
        .when((pl.col("mfn_spec1_uc") > 0) & (pl.col("unit") != pl.col("mfn_spec1_unit")))
        .then(
            pl.concat_str(
                pl.lit("unit: the rate '"),
                pl.col("mfn_text"),
                pl.lit("' is per "),
                pl.col("mfn_spec1_unit"),
                pl.lit("; got "),
                pl.col("unit"),
            )
        )
        .when(
            (pl.col("mfn_spec2_uc") > 0)
            & (pl.col("qty2_milli").is_null() | (pl.col("unit2") != pl.col("mfn_spec2_unit")))
        )
        .then(
            pl.concat_str(
                pl.lit("quantity2: the rate '"),
                pl.col("mfn_text"),
                pl.lit("' needs a second quantity per "),
                pl.col("mfn_spec2_unit"),
            )
        )
        .otherwise(None)
    )
    amount = (
        ad_valorem_cents(pl.col("value_cents"), pl.col("mfn_adval_ppm"))
        + specific_cents(pl.col("qty_milli").fill_null(0), pl.col("mfn_spec1_uc"))
        + specific_cents(pl.col("qty2_milli").fill_null(0), pl.col("mfn_spec2_uc"))
    )
    return (
        joined.with_columns(mfn_error=error)
        .with_columns(mfn_cents=pl.when(pl.col("mfn_error").is_null()).then(amount).otherwise(None))
        .select(
            "line_id",
            "mfn_error",
            "mfn_cents",
            "mfn_status",
            "mfn_adval_ppm",
            "mfn_column",
            "mfn_text",
            "description",
            "first_revision",
            "last_revision",
        )
    )


def _candidates(valid: pl.DataFrame, law: CompiledLaw) -> pl.DataFrame:
    """(line, provision) pairs in country and product scope; product scope on unique codes only."""
    codes = valid.select("hts10").unique()
    prefixes = codes.with_columns(
        prefix=pl.concat_list(pl.lit(""), *[pl.col("hts10").str.slice(0, n) for n in (2, 4, 6, 8, 10)])
    ).explode("prefix")
    hits = prefixes.join(law.scope, on="prefix")
    best = (
        hits.sort("plen", "include", descending=[False, True])  # at equal length, exclude sorts last
        .group_by("hts10", "pid")
        .agg(pl.col("include").last(), pl.col("prefix").last().alias("scope_prefix"))
    )
    in_scope = best.filter(pl.col("include")).drop("include")
    pairs = valid.select("line_id", "hts10", "origin").join(in_scope, on="hts10")
    return pairs.join(law.countries, on=["pid", "origin"], how="semi").select(
        "line_id", "pid", "scope_prefix"
    )


def _status_and_base(pairs: pl.DataFrame, valid: pl.DataFrame, law: CompiledLaw) -> pl.DataFrame:
    facts = valid.drop("error")
    frame = pairs.join(law.provisions, on="pid").join(facts, on="line_id")
    frame = frame.join(law.rates, on="pid").filter(
        (pl.col("from_ts") <= pl.col("entry_ts")) & (pl.col("entry_ts") < pl.col("to_ts"))
    )
    cond_ok: pl.Expr = pl.lit(True)
    cond_text: pl.Expr = pl.lit(None, dtype=pl.String)
    if law.conditions:
        chain_ok = None
        chain_text = None
        for pid, (expr, text) in law.conditions.items():
            chain_ok = (
                pl.when(pl.col("pid") == pid) if chain_ok is None else chain_ok.when(pl.col("pid") == pid)
            ).then(expr)
            chain_text = (
                pl.when(pl.col("pid") == pid) if chain_text is None else chain_text.when(pl.col("pid") == pid)
            ).then(pl.lit(text))
        cond_ok = chain_ok.otherwise(True)
        cond_text = chain_text.otherwise(None)
    base_fact = {
        "steel_value": "steel_value_cents",
        "aluminum_value": "aluminum_value_cents",
        "copper_value": "copper_value_cents",
        "us_content_value": "us_content_value_cents",
    }
    base = pl.col("value_cents")
    missing = pl.lit(False)
    for kind, column in base_fact.items():
        is_kind = pl.col("base_kind") == kind
        base = pl.when(is_kind).then(pl.col(column).fill_null(pl.col("value_cents"))).otherwise(base)
        missing = pl.when(is_kind).then(pl.col(column).is_null()).otherwise(missing)
    is_non_us = pl.col("base_kind") == "non_us_content_value"
    base = (
        pl.when(is_non_us)
        .then(pl.col("value_cents") - pl.col("us_content_value_cents").fill_null(0))
        .otherwise(base)
    )
    missing = pl.when(is_non_us).then(pl.col("us_content_value_cents").is_null()).otherwise(missing)
    return frame.with_columns(
        cond_ok=cond_ok,
        cond_text=cond_text,
        base_cents=base,
        base_missing=missing,
    ).with_columns(
        status=pl.when(~pl.col("in_force"))
        .then(pl.lit("out_of_period"))
        .when(~pl.col("cond_ok"))
        .then(pl.lit("condition_not_met"))
        .when(pl.col("base_missing") & (pl.col("base_if_missing") == "error"))
        .then(pl.lit("missing_fact"))
        .otherwise(pl.lit("applied")),
        reason=pl.when(~pl.col("in_force"))
        .then(pl.col("note"))
        .when(~pl.col("cond_ok"))
        .then(pl.concat_str(pl.lit("condition not met: "), pl.col("cond_text")))
        .when(pl.col("base_missing") & (pl.col("base_if_missing") == "error"))
        .then(pl.concat_str(pl.lit("missing fact for the base: "), pl.col("base_kind")))
        .otherwise(None),
        base_note=pl.when(pl.col("base_missing"))
        .then(pl.concat_str(pl.lit("full value ("), pl.col("base_kind"), pl.lit(" not given)")))
        .otherwise(pl.col("base_kind")),
    )


def _apply_exceptions(frame: pl.DataFrame, law: CompiledLaw) -> pl.DataFrame:
    applied = frame.filter(pl.col("status") == "applied").select(
        "line_id", "measure_id", pl.col("heading").alias("except_heading")
    )
    hits = (
        frame.filter(pl.col("status") == "applied")
        .select("line_id", "pid", "measure_id")
        .join(law.exceptions, on="pid")
        .join(applied, on=["line_id", "measure_id", "except_heading"], how="semi")
        .group_by("line_id", "pid")
        .agg(pl.col("except_heading").sort().first())
    )
    frame = frame.join(hits, on=["line_id", "pid"], how="left")
    return frame.with_columns(
        status=pl.when(pl.col("except_heading").is_not_null())
        .then(pl.lit("excepted"))
        .otherwise(pl.col("status")),
        reason=pl.when(pl.col("except_heading").is_not_null())
        .then(
            pl.concat_str(pl.lit("excepted: heading "), pl.col("except_heading"), pl.lit(" applies instead"))
        )
        .otherwise(pl.col("reason")),
    ).drop("except_heading")


def _party(frame: pl.DataFrame, measure_col: str, headings_col: str) -> pl.Expr:
    return (pl.col("measure_id") == pl.col(measure_col)) & (
        (pl.col(headings_col).list.len() == 0) | pl.col(headings_col).list.contains(pl.col("heading"))
    )


def _apply_precedence(frame: pl.DataFrame, law: CompiledLaw) -> pl.DataFrame:
    """Apply each rule in declared order; a displaced provision no longer wins later rules."""
    if law.rules.is_empty():
        return frame
    frame = frame.with_columns(rule_note=pl.lit(None, dtype=pl.String))
    for rule_id in law.rules.sort("rank")["rule_id"].unique(maintain_order=True):
        rule = law.rules.filter(pl.col("rule_id") == rule_id)
        applied = frame.filter(pl.col("status") == "applied")
        winners = (
            applied.filter(pl.col("kind") == "duty")
            .join(rule, left_on="measure_id", right_on="winner_measure")
            .filter(
                (
                    (pl.col("winner_headings").list.len() == 0)
                    | pl.col("winner_headings").list.contains(pl.col("heading"))
                )
                & (pl.col("from_ts_right") <= pl.col("entry_ts"))
                & (pl.col("entry_ts") < pl.col("to_ts_right"))
            )
            .group_by("line_id", "loser_measure", "loser_headings", "effect")
            .agg(
                pl.col("base_cents").sum().alias("winner_base"),
                pl.col("heading").sort().first().alias("winner_heading"),
            )
        )
        if winners.is_empty():
            continue
        hit = (
            applied.select("line_id", "pid", "measure_id", "heading")
            .join(winners, left_on=["line_id", "measure_id"], right_on=["line_id", "loser_measure"])
            .filter(
                (pl.col("loser_headings").list.len() == 0)
                | pl.col("loser_headings").list.contains(pl.col("heading"))
            )
            .select("line_id", "pid", "effect", "winner_base", "winner_heading")
        )
        label = rule["label"][0]
        citation = f"{rule['ref_instrument'][0]} ({rule['ref_citation'][0]})"
        frame = frame.join(hit, on=["line_id", "pid"], how="left")
        remainder = pl.col("base_cents") - pl.col("winner_base")
        displaced = (pl.col("effect") == "displace") | ((pl.col("effect") == "remainder") & (remainder <= 0))
        frame = frame.with_columns(
            status=pl.when(pl.col("effect").is_not_null() & displaced)
            .then(pl.lit("displaced"))
            .otherwise(pl.col("status")),
            reason=pl.when(pl.col("effect").is_not_null() & displaced)
            .then(
                pl.format(
                    "displaced by rule {}: {} ({} applies; {})",
                    pl.lit(rule_id),
                    pl.lit(label),
                    pl.col("winner_heading"),
                    pl.lit(citation),
                )
            )
            .otherwise(pl.col("reason")),
            rule_note=pl.when(pl.col("effect").is_not_null() & ~displaced)
            .then(
                pl.format(
                    "remainder after {} base (rule {}; {})",
                    pl.col("winner_heading"),
                    pl.lit(rule_id),
                    pl.lit(citation),
                )
            )
            .otherwise(pl.col("rule_note")),
            base_cents=pl.when(pl.col("effect").is_not_null() & ~displaced)
            .then(remainder)
            .otherwise(pl.col("base_cents")),
        ).drop("effect", "winner_base", "winner_heading")
    return frame


def evaluate(lines: pl.DataFrame, law: CompiledLaw, store: Store) -> Evaluation:
    """Evaluate every line; rows with an input error come out with that error and no duty."""
    valid = lines.filter(pl.col("error").is_null())
    mfn = _mfn(valid, store)
    valid = (
        valid.join(mfn.select("line_id", "mfn_error"), on="line_id")
        .filter(pl.col("mfn_error").is_null())
        .drop("mfn_error")
    )
    pairs = _candidates(valid, law)
    frame = _status_and_base(pairs, valid, law)
    frame = _apply_exceptions(frame, law)
    frame = _apply_precedence(frame, law)
    if "rule_note" not in frame.columns:
        frame = frame.with_columns(rule_note=pl.lit(None, dtype=pl.String))
    frame = (
        frame.join(mfn.select("line_id", "mfn_adval_ppm"), on="line_id")
        .with_columns(
            eff_ppm=pl.when(pl.col("top_up_ppm").is_not_null())
            .then((pl.col("top_up_ppm") - pl.col("mfn_adval_ppm")).clip(lower_bound=0))
            .otherwise(pl.col("ppm").fill_null(0))
        )
        .with_columns(
            amount_cents=pl.when(pl.col("kind") == "duty")
            .then(ad_valorem_cents(pl.col("base_cents"), pl.col("eff_ppm")))
            .otherwise(0)
        )
    )
    applied = frame.filter(pl.col("status") == "applied")
    ch99 = applied.select(
        "line_id",
        "heading",
        "measure_id",
        "kind",
        "reporting_order",
        base_cents=pl.col("base_cents"),
        base_kind=pl.when(pl.col("rule_note").is_not_null())
        .then(pl.col("rule_note"))
        .otherwise(pl.col("base_note")),
        rate_ppm=pl.col("eff_ppm"),
        rate_text=pl.col("rate_text"),
        amount_cents="amount_cents",
        authority="authority",
        ref_instrument="ref_instrument",
        ref_citation="ref_citation",
        ref_url="ref_url",
        void=pl.col("void_after_ruling").is_not_null(),
        prohibited="prohibited",
        reported="reported",
        scope_prefix="scope_prefix",
    )
    mfn_ok = mfn.filter(pl.col("mfn_error").is_null()).join(
        valid.select("line_id", "hts10", "value_cents"), on="line_id"
    )
    mfn_lines = mfn_ok.select(
        "line_id",
        heading=pl.col("hts10").map_elements(dotted, return_dtype=pl.String),
        measure_id=pl.lit("us/mfn"),
        kind=pl.lit("mfn"),
        reporting_order=pl.lit(10**9),
        base_cents="value_cents",
        base_kind=pl.lit("value"),
        rate_ppm="mfn_adval_ppm",
        rate_text=pl.col("mfn_text"),
        amount_cents="mfn_cents",
        authority=pl.lit("HTSUS column 1"),
        ref_instrument=pl.format("HTSUS {} ({} column)", pl.col("first_revision"), pl.col("mfn_column")),
        ref_citation=pl.lit("19 U.S.C. 1202"),
        ref_url=pl.lit("https://hts.usitc.gov"),
        void=pl.lit(False),
        prohibited=pl.lit(False),
        reported=pl.lit(True),
        scope_prefix=pl.lit(None, dtype=pl.String),
    )
    out_lines = pl.concat([ch99, mfn_lines], how="vertical_relaxed").sort(
        "line_id", "reporting_order", "heading"
    )
    not_applied = _not_applied(frame, valid, law).join(
        ch99.select("line_id", "measure_id", "heading"), on=["line_id", "measure_id", "heading"], how="anti"
    )  # a heading with several provisions (e.g. full value, then content) is shown once, as applied
    caveats = _caveats(frame)
    totals = out_lines.group_by("line_id").agg(
        total_cents=pl.col("amount_cents").sum(),
        void_cents=pl.col("amount_cents").filter(pl.col("void")).sum(),
        prohibited=pl.col("prohibited").any(),
    )
    summary = (
        lines.select("line_id", "error", "value_cents", "ad_rate_ppm", "cvd_rate_ppm", "hts10", "entry_ts")
        .join(mfn.select("line_id", "mfn_error", "description"), on="line_id", how="left")
        .join(totals, on="line_id", how="left")
        .with_columns(
            error=pl.coalesce("error", "mfn_error"),
            adcvd_cents=ad_valorem_cents(pl.col("value_cents"), pl.col("ad_rate_ppm").fill_null(0))
            + ad_valorem_cents(pl.col("value_cents"), pl.col("cvd_rate_ppm").fill_null(0)),
        )
        .with_columns(
            total_cents=pl.when(pl.col("error").is_null()).then(pl.col("total_cents").fill_null(0)),
            owed_cents=pl.when(pl.col("error").is_null()).then(
                pl.col("total_cents").fill_null(0) - pl.col("void_cents").fill_null(0)
            ),
            adcvd_cents=pl.when(pl.col("error").is_null()).then(pl.col("adcvd_cents")),
            prohibited=pl.col("prohibited").fill_null(False),
        )
        .drop("mfn_error", "void_cents")
        .sort("line_id")
    )
    summary = _suggest_codes(summary, store)
    return Evaluation(summary=summary, lines=out_lines, not_applied=not_applied, caveats=caveats)


def _caveats(frame: pl.DataFrame) -> pl.DataFrame:
    """Measures considered for a line whose law is verified only to a date before the entry date."""
    late = frame.filter(pl.col("entry_ts") >= pl.col("verified_to").dt.offset_by("1d"))
    return (
        late.select("line_id", "measure_id", "verified_to")
        .unique()
        .with_columns(
            caveat=pl.format(
                "{}: law verified to {}; changes after that date may be missing",
                pl.col("measure_id"),
                pl.col("verified_to").dt.date().cast(pl.String),
            )
        )
        .sort("line_id", "measure_id")
    )


def _suggest_codes(summary: pl.DataFrame, store: Store) -> pl.DataFrame:
    """Append the nearest valid codes to unknown-code errors (one lookup per distinct code and day)."""
    unknown = summary.filter(pl.col("error").str.contains("is not in the schedule in force on", literal=True))
    if unknown.is_empty():
        return summary
    pairs = unknown.select("hts10", day=pl.col("entry_ts").dt.date()).unique()
    hints = pl.DataFrame(
        [
            {"hts10": code, "day": day, "hint": ", ".join(dotted(c) for c in store.nearest_codes(code, day))}
            for code, day in pairs.iter_rows()
        ],
        schema={"hts10": pl.String, "day": pl.Date, "hint": pl.String},
    )
    return (
        summary.with_columns(day=pl.col("entry_ts").dt.date())
        .join(hints, on=["hts10", "day"], how="left")
        .with_columns(
            error=pl.when(pl.col("hint").is_not_null() & (pl.col("hint") != ""))
            .then(pl.format("{}; nearest valid codes: {}", pl.col("error"), pl.col("hint")))
            .otherwise(pl.col("error"))
        )
        .drop("day", "hint")
        .sort("line_id")
    )


def _not_applied(frame: pl.DataFrame, valid: pl.DataFrame, law: CompiledLaw) -> pl.DataFrame:
    """Headings in scope that did not apply, and measures with no heading in scope, with reasons."""
    in_scope = frame.filter(pl.col("status") != "applied").select(
        "line_id",
        "measure_id",
        "heading",
        "status",
        "reason",
        "ref_instrument",
        "ref_citation",
    )
    touched = frame.select("line_id", "measure_id").unique()
    measures = law.measures.explode("measure_countries")
    others = (
        valid.select("line_id", "origin", "importing_country")
        .join(law.measures.select("measure_id", "importing_country"), on="importing_country")
        .join(touched, on=["line_id", "measure_id"], how="anti")
        .join(
            measures.select("measure_id", origin=pl.col("measure_countries"), country_hit=pl.lit(True)),
            on=["measure_id", "origin"],
            how="left",
        )
        .select(
            "line_id",
            "measure_id",
            heading=pl.lit(None, dtype=pl.String),
            status=pl.when(pl.col("country_hit"))
            .then(pl.lit("product_out_of_scope"))
            .otherwise(pl.lit("country_out_of_scope")),
            reason=pl.when(pl.col("country_hit"))
            .then(pl.lit("product (HTS) not in the measure's scope"))
            .otherwise(pl.format("origin {} not in the measure's country scope", pl.col("origin"))),
            ref_instrument=pl.lit(None, dtype=pl.String),
            ref_citation=pl.lit(None, dtype=pl.String),
        )
    )
    return pl.concat([in_scope, others], how="vertical_relaxed").sort(
        "line_id", "measure_id", "heading", nulls_last=True
    )
