"""Evaluate a frame of entry lines against the compiled law: one vectorized path for 1 or 10⁷ lines.

Steps, each a join or an expression over whole columns:

1. **Schedule**: as-of join of (HTS10, entry day) to the MFN intervals; unknown or expired codes
   and rates that need facts not given become per-line errors.
2. **Candidates**: lines × provisions whose country scope holds the origin and whose product scope
   (longest prefix wins; an exclude wins at equal length) holds the HTS10.
3. **Period**: as-of join to the dated rate rows of each provision (they cover all time).
4. **Conditions**: each provision's compiled condition expression.
5. **Exceptions**: a provision yields to the headings of its measure it names, when they apply.
6. **Precedence**: the rules, in declared order: displace the loser, or leave it the remainder
   of the value after the winners' bases.
7. **Amounts**: integer cents, rounded half up per line (see :mod:`tariffstack.engine.money`).

The frames stay narrow and integer-keyed (provision ``pid``, ``rate_idx``, ``rule_idx``); the
texts of an explanation are joined on by :mod:`tariffstack.engine.explain` from the same frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from tariffstack.engine.compile import BASE_KINDS, BITS_PER_WORD, CompiledLaw
from tariffstack.engine.money import ad_valorem_cents, specific_cents
from tariffstack.hts.store import Store

USMCA_SPI = ["S", "S+"]
KEY_SPACE = 1 << 20  # provision and heading ids stay below this; line ids below 2**43
STATUS = pl.Enum(["applied", "out_of_period", "condition_not_met", "missing_fact", "excepted", "displaced"])
BASE_COLUMNS = {
    "steel_value": "steel_value_cents",
    "aluminum_value": "aluminum_value_cents",
    "copper_value": "copper_value_cents",
    "us_content_value": "us_content_value_cents",
}
FORMULA_COLUMNS = ("ca_mx_content_value_cents",)  # facts a base formula reads


@dataclass
class Evaluation:
    """Results, one frame per grain (rows in no particular order; printers sort):

    - ``summary``: one row per input line (error, totals, owed after the IEEPA ruling, AD/CVD);
    - ``mfn``: the MFN line of each line (store row, column used, amount, or a schedule error);
    - ``lines``: applied Chapter 99 provisions (base, rate, amount, remainder rule if any);
    - ``decided``: provisions in scope that did not apply (out of period, condition not met,
      missing fact);
    - ``overruled``: provisions that applied but were excepted or displaced (with the rule and
      the winning provision);
    - ``exception_hits``: (line, provision, heading that applied instead) for excepted provisions;
    - ``caveats``: (line, measure) pairs whose law is verified only to a date before the entry.
    """

    summary: pl.DataFrame
    mfn: pl.DataFrame
    lines: pl.DataFrame
    decided: pl.DataFrame
    overruled: pl.DataFrame
    exception_hits: pl.DataFrame
    caveats: pl.DataFrame

    @property
    def not_applied(self) -> pl.DataFrame:
        """``decided`` less headings that applied through another provision, with exception heading ids."""
        return (
            pl.concat([self.decided, self.overruled], how="diagonal")
            .join(self.lines.select("line_id", "hid"), on=["line_id", "hid"], how="anti")
            .join(self.exception_hits, on=["line_id", "pid"], how="left")
            .sort("line_id", "pid")
        )


def _mfn(valid: pl.DataFrame, store: Store) -> pl.DataFrame:
    """MFN rate and amount per line from the schedule in force on the entry day; error codes."""
    mfn = store.mfn_indexed
    keyed = valid.select(
        "line_id",
        "hts10",
        "spi",
        "value_cents",
        "qty_milli",
        "unit",
        "qty2_milli",
        "unit2",
        code=pl.col("hts10").cast(pl.UInt64),
        entry_day=pl.col("entry_ts").dt.date(),
    ).sort("entry_day")
    joined = keyed.join_asof(
        mfn.select(
            "mfn_idx",
            "code",
            "valid_from",
            "valid_to",
            "general_status",
            "usmca_status",
            *[
                f"{side}_{name}"
                for side in ("general", "usmca")
                for name in ("adval_ppm", "spec1_uc", "spec1_unit", "spec2_uc", "spec2_unit")
            ],
        ),
        left_on="entry_day",
        right_on="valid_from",
        by="code",
        strategy="backward",
        check_sortedness=False,  # both sides are sorted
    )
    usmca = pl.col("spi").is_in(USMCA_SPI).fill_null(False)
    use_special = usmca & (pl.col("usmca_status") != "empty")
    joined = joined.with_columns(
        use_special=use_special,
        **{
            f"mfn_{name}": pl.when(use_special)
            .then(pl.col(f"usmca_{name}"))
            .otherwise(pl.col(f"general_{name}"))
            for name in ("status", "adval_ppm", "spec1_uc", "spec1_unit", "spec2_uc", "spec2_unit")
        },
    )
    error_code = (
        pl.when(pl.col("valid_from").is_null() | (pl.col("entry_day") >= pl.col("valid_to")))
        .then(1)
        .when(usmca & (pl.col("usmca_status") == "empty") & (pl.col("general_status") != "free"))
        .then(2)
        .when(pl.col("mfn_status").is_in(["component", "reference", "text", "empty"]))
        .then(3)
        .when((pl.col("mfn_spec1_uc") > 0) & pl.col("qty_milli").is_null())
        .then(4)
        .when((pl.col("mfn_spec1_uc") > 0) & (pl.col("unit") != pl.col("mfn_spec1_unit")))
        .then(5)
        .when(
            (pl.col("mfn_spec2_uc") > 0)
            & (pl.col("qty2_milli").is_null() | (pl.col("unit2") != pl.col("mfn_spec2_unit")))
        )
        .then(6)
        .otherwise(None)
        .cast(pl.Int8)
    )
    amount = (
        ad_valorem_cents(pl.col("value_cents"), pl.col("mfn_adval_ppm"))
        + specific_cents(pl.col("qty_milli").fill_null(0), pl.col("mfn_spec1_uc"))
        + specific_cents(pl.col("qty2_milli").fill_null(0), pl.col("mfn_spec2_uc"))
    )
    calendar = store.revisions.select("in_force_from").with_row_index("rev_idx").sort("in_force_from")
    return (
        joined.with_columns(mfn_error=error_code)
        .with_columns(mfn_cents=pl.when(pl.col("mfn_error").is_null()).then(amount))
        .join_asof(calendar, left_on="entry_day", right_on="in_force_from", strategy="backward")
        .select(
            "line_id",
            "mfn_error",
            "mfn_cents",
            "mfn_idx",
            "rev_idx",
            "use_special",
            "mfn_adval_ppm",
            "unit",
            "hts10",
            "entry_day",
        )
        .sort("line_id")
    )


CA_FREE = "Free (UST: CUSMA, tariff treatment 10)"
CA_UNKNOWN = {
    "no_claim": "Canada's MFN rate for this tariff item (not in the reference data)",
    "supply_managed": "supply-managed line: the within- or over-access rate (not in the reference data)",
    "not_listed": "tariff item not in the CUSMA schedule file: customs duty not known",
}


def _customs_duty_ca(valid: pl.DataFrame, store: Store) -> pl.DataFrame:
    """Customs duty of U.S. goods entering Canada: 0 under a CUSMA claim on a line the CUSMA schedule
    makes free; otherwise not known (Canada's MFN tariff is not in the reference data) — never 0."""
    cusma = store.ca_cusma.select("tariff8", "us_duty_rate")
    frame = valid.select(
        "line_id",
        "hts10",
        "spi",
        "unit",
        tariff8=pl.col("hts10").str.slice(0, 8),
        entry_day=pl.col("entry_ts").dt.date(),
    ).join(cusma, on="tariff8", how="left")
    claimed = (pl.col("spi") == "UST").fill_null(False)
    free = claimed & (pl.col("us_duty_rate") == "0")
    return frame.select(
        "line_id",
        "hts10",
        "unit",
        "entry_day",
        mfn_error=pl.lit(None, dtype=pl.Int8),
        mfn_cents=pl.when(free).then(pl.lit(0, dtype=pl.Int64)),
        use_special=claimed,
        mfn_adval_ppm=pl.lit(0, dtype=pl.Int64),
        ca_text=pl.when(free)
        .then(pl.lit(CA_FREE))
        .when(pl.col("us_duty_rate").is_null())
        .then(pl.lit(CA_UNKNOWN["not_listed"]))
        .when(claimed)
        .then(pl.lit(CA_UNKNOWN["supply_managed"]))
        .otherwise(pl.lit(CA_UNKNOWN["no_claim"])),
    )


def _candidates(valid: pl.DataFrame, law: CompiledLaw) -> pl.DataFrame:
    """(line, provision) pairs in country and product scope.

    Product scope is resolved on the distinct codes (longest prefix wins; an exclude wins at equal
    length), crossed with each provision's countries, then joined to the lines on integer code
    and origin: one join over the lines.
    """
    codes = valid.select("hts10").unique()
    prefixes = codes.with_columns(
        prefix=pl.concat_list(pl.lit(""), *[pl.col("hts10").str.slice(0, n) for n in (2, 4, 6, 8, 10)])
    ).explode("prefix")
    scope = (
        prefixes.join(law.scope, on="prefix")
        .sort("plen", "include", descending=[False, True])  # at equal length, an exclude sorts last
        .group_by("hts10", "pid")
        .agg(pl.col("include").last())
        .filter(pl.col("include"))
        .join(law.countries, on="pid")
        .select("importing_country", "origin", "pid", code=pl.col("hts10").cast(pl.UInt64))
    )
    lines = valid.select("line_id", "origin", "importing_country", code=pl.col("hts10").cast(pl.UInt64))
    return lines.join(scope, on=["code", "origin", "importing_country"]).select("line_id", "pid")


def _condition_columns(law: CompiledLaw) -> set[str]:
    return {name for expr, _ in law.conditions.values() for name in expr.meta.root_names()}


def _word_count(law: CompiledLaw) -> int:
    return max(1, -(-len(law.condition_sets) // BITS_PER_WORD))


def _condition_words(law: CompiledLaw) -> list[pl.Expr]:
    """Every distinct condition set evaluated once per line, packed into Int64 words
    (``cond_bits_0``, ``cond_bits_1``, ...; bit = set number modulo 62)."""
    words = []
    for word in range(_word_count(law)):
        sets = law.condition_sets[word * BITS_PER_WORD : (word + 1) * BITS_PER_WORD]
        bits = [
            pl.when(expr).then(pl.lit(1 << bit, dtype=pl.Int64)).otherwise(pl.lit(0, dtype=pl.Int64))
            for bit, expr in enumerate(sets)
        ]
        words.append(
            (pl.sum_horizontal(bits) if bits else pl.lit(0, dtype=pl.Int64)).alias(f"cond_bits_{word}")
        )
    return words


def _condition_ok(n_words: int) -> pl.Expr:
    """A pair meets its provision's conditions when the provision has none, or its bit is set."""
    bits = pl.col("cond_bits_0")
    for word in range(1, n_words):
        bits = pl.when(pl.col("cond_word") == word).then(pl.col(f"cond_bits_{word}")).otherwise(bits)
    return pl.col("cond_mask").is_null() | ((bits & pl.col("cond_mask")) != 0)


def _status_and_base(pairs: pl.DataFrame, valid: pl.DataFrame, law: CompiledLaw) -> pl.DataFrame:
    """Rate in force (by epoch), condition, base and status of every (line, provision) pair."""
    facts = valid.select(
        sorted(
            {"line_id", "entry_ts", "value_cents", *BASE_COLUMNS.values(), *FORMULA_COLUMNS}
            | _condition_columns(law)
        )
    )
    facts = facts.select(
        "line_id",
        "value_cents",
        *BASE_COLUMNS.values(),
        *FORMULA_COLUMNS,
        *_condition_words(law),
        epoch=law.breakpoints.search_sorted(facts["entry_ts"], side="right").cast(pl.Int64),
    )
    by_epoch = law.epoch_rates.join(
        law.provisions.select(
            "pid",
            "mid",
            "hid",
            "is_duty",
            "is_deposit",
            "base_code",
            "base_required",
            "cond_word",
            "cond_mask",
            "share_ppm",
        ),
        on="pid",
    ).with_columns(pe=_key("pid", "epoch"))
    frame = (
        pairs.join(facts, on="line_id")
        .with_columns(pe=_key("pid", "epoch"))
        .join(by_epoch.drop("pid", "epoch"), on="pe")
    )
    cond_ok = _condition_ok(_word_count(law))
    base = pl.col("value_cents")
    missing = pl.lit(False)
    for kind, column in BASE_COLUMNS.items():
        is_kind = pl.col("base_code") == BASE_KINDS.index(kind)
        base = pl.when(is_kind).then(pl.col(column).fill_null(pl.col("value_cents"))).otherwise(base)
        missing = pl.when(is_kind).then(pl.col(column).is_null()).otherwise(missing)
    is_non_us = pl.col("base_code") == BASE_KINDS.index("non_us_content_value")
    base = (
        pl.when(is_non_us)
        .then(pl.col("value_cents") - pl.col("us_content_value_cents").fill_null(0))
        .otherwise(base)
    )
    missing = pl.when(is_non_us).then(pl.col("us_content_value_cents").is_null()).otherwise(missing)
    # Canada's motor-vehicle surtax: A − B, B the larger of the deemed share and the content claimed.
    is_a_less_b = pl.col("base_code") == BASE_KINDS.index("value_less_ca_mx_content")
    deemed = ad_valorem_cents(pl.col("value_cents"), pl.col("share_ppm").fill_null(0))
    b_value = pl.max_horizontal(deemed, pl.col("ca_mx_content_value_cents").fill_null(0))
    base = pl.when(is_a_less_b).then(pl.col("value_cents") - b_value).otherwise(base)
    # 9903.82.20: the value less the U.S. content, which counts only up to a share of the value.
    is_capped = pl.col("base_code") == BASE_KINDS.index("value_less_capped_us_content")
    us_counted = pl.min_horizontal(pl.col("us_content_value_cents").fill_null(0), deemed)
    base = pl.when(is_capped).then(pl.col("value_cents") - us_counted).otherwise(base)
    status = (
        pl.when(~pl.col("in_force"))
        .then(pl.lit("out_of_period", dtype=STATUS))
        .when(~cond_ok)
        .then(pl.lit("condition_not_met", dtype=STATUS))
        .when(missing & pl.col("base_required"))
        .then(pl.lit("missing_fact", dtype=STATUS))
        .otherwise(pl.lit("applied", dtype=STATUS))
    )
    return frame.select(
        "line_id",
        "pid",
        "mid",
        "hid",
        "is_duty",
        "is_deposit",
        "rate_idx",
        "ppm",
        "top_up_ppm",
        "epoch",
        status=status,
        base_cents=base,
        base_missing=missing,
    )


def _key(line: str, other: str) -> pl.Expr:
    """One Int64 key for a (line, small id) pair: hash-set membership without a join."""
    return pl.col(line) * KEY_SPACE + pl.col(other)


def _apply_exceptions(applied: pl.DataFrame, law: CompiledLaw) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Applied rows whose provision names an exception heading that also applies become excepted."""
    present = applied.select(key=_key("line_id", "hid"))["key"].implode()
    hits = (
        applied.select("line_id", "pid")
        .join(law.exceptions.select("pid", "except_hid"), on="pid")
        .filter(_key("line_id", "except_hid").is_in(present))
        .group_by("line_id", "pid")
        .agg(pl.col("except_hid").min())
    )
    if hits.is_empty():
        return applied, hits
    excepted = hits.select(key=_key("line_id", "pid"))["key"].implode()
    applied = applied.with_columns(
        status=pl.when(_key("line_id", "pid").is_in(excepted))
        .then(pl.lit("excepted", dtype=STATUS))
        .otherwise(pl.col("status"))
    )
    return applied, hits


def _apply_precedence(applied: pl.DataFrame, law: CompiledLaw) -> pl.DataFrame:
    """Apply each rule in declared order; a displaced provision no longer wins later rules."""
    applied = applied.with_columns(
        rule_idx=pl.lit(None, dtype=pl.Int64),
        winner_pid=pl.lit(None, dtype=pl.Int64),
        remainder_rule_idx=pl.lit(None, dtype=pl.Int64),
        remainder_winner_pid=pl.lit(None, dtype=pl.Int64),
        remit_rule_idx=pl.lit(None, dtype=pl.Int64),
    )
    for rule in law.rules.iter_rows(named=True):
        if rule["effect"] == "add":
            continue  # stacking in full is what happens without a rule; the rule documents it
        idx = rule["rule_idx"]
        win_pids = law.rule_winners.filter(pl.col("rule_idx") == idx)["pid"].implode()
        lose_pids = law.rule_losers.filter(pl.col("rule_idx") == idx)["pid"].implode()
        epochs = law.rule_epochs.filter(pl.col("rule_idx") == idx)["epoch"].implode()
        live = (pl.col("status") == "applied") & pl.col("epoch").is_in(epochs)
        winners = (
            applied.filter(live & pl.col("pid").is_in(win_pids))
            .group_by("line_id")
            .agg(w_base=pl.col("base_cents").sum(), w_pid=pl.col("pid").min())
        )
        if winners.is_empty():
            continue
        touched = (
            live & pl.col("pid").is_in(lose_pids) & pl.col("line_id").is_in(winners["line_id"].implode())
        )
        losers = applied.filter(touched).join(winners, on="line_id")
        if rule["effect"] == "remit":  # payable at entry, then remitted: the line stays, flagged
            losers = losers.with_columns(remit_rule_idx=pl.lit(idx, dtype=pl.Int64)).drop("w_base", "w_pid")
            applied = pl.concat([applied.filter(~touched), losers], how="vertical")
            continue
        remainder = pl.col("base_cents") - pl.col("w_base")
        displaced = pl.lit(rule["displace"]) | (remainder <= 0)
        losers = losers.with_columns(
            status=pl.when(displaced).then(pl.lit("displaced", dtype=STATUS)).otherwise(pl.col("status")),
            rule_idx=pl.when(displaced).then(pl.lit(idx)).otherwise(pl.col("rule_idx")),
            winner_pid=pl.when(displaced).then(pl.col("w_pid")).otherwise(pl.col("winner_pid")),
            remainder_rule_idx=pl.when(displaced).then(pl.col("remainder_rule_idx")).otherwise(pl.lit(idx)),
            remainder_winner_pid=pl.when(displaced)
            .then(pl.col("remainder_winner_pid"))
            .otherwise(pl.col("w_pid")),
            base_cents=pl.when(displaced).then(pl.col("base_cents")).otherwise(remainder),
        ).drop("w_base", "w_pid")
        applied = pl.concat([applied.filter(~touched), losers], how="vertical")
    return applied


def _with_mfn_rate(applied: pl.DataFrame, mfn: pl.DataFrame, law: CompiledLaw) -> pl.DataFrame:
    """The MFN ad valorem rate, which top-up provisions need (joined only when the law has one)."""
    if law.rates["top_up_ppm"].is_null().all():
        return applied.with_columns(mfn_adval_ppm=pl.lit(0, dtype=pl.Int64))
    return applied.join(mfn.select("line_id", "mfn_adval_ppm"), on="line_id")


def _caveats(frame: pl.DataFrame, valid: pl.DataFrame, law: CompiledLaw) -> pl.DataFrame:
    """(line, measure) pairs considered for a line entered after the measure's verified-to day,
    except measures known to have ended by that day."""
    empty = pl.DataFrame(schema={"line_id": pl.Int64, "mid": pl.Int64})
    if valid.is_empty():
        return empty
    late = (
        law.measures.filter(~pl.col("ended_by_verified_to"))
        .select("mid", stale_from=pl.col("verified_to").dt.offset_by("1d"))
        .filter(pl.col("stale_from") <= valid["entry_ts"].max())
    )
    if late.is_empty():
        return empty
    return (
        frame.select("line_id", "mid")
        .join(late, on="mid")
        .join(valid.select("line_id", "entry_ts"), on="line_id")
        .filter(pl.col("entry_ts") >= pl.col("stale_from"))
        .select("line_id", "mid")
        .unique()
        .sort("line_id", "mid")
    )


def evaluate(lines: pl.DataFrame, law: CompiledLaw, store: Store) -> Evaluation:
    """Evaluate every line; rows with an input error come out with that error and no duty."""
    valid = lines.filter(pl.col("error").is_null())
    importers = set(valid["importing_country"].unique().to_list())
    if importers <= {"US"}:
        mfn = _mfn(valid, store)
    else:
        mfn = pl.concat(
            [
                _mfn(valid.filter(pl.col("importing_country") == "US"), store),
                _customs_duty_ca(valid.filter(pl.col("importing_country") == "CA"), store),
            ],
            how="diagonal",
        )
    ok = valid.join(mfn.filter(pl.col("mfn_error").is_null()).select("line_id"), on="line_id", how="semi")
    frame = _status_and_base(_candidates(ok, law), ok, law)
    decided = frame.filter(pl.col("status") != "applied")  # out of period, condition, missing fact: final
    applied, exception_hits = _apply_exceptions(frame.filter(pl.col("status") == "applied"), law)
    applied = _apply_precedence(applied, law)
    provision_flags = law.provisions.select("pid", "void", "prohibited", "reported", "reporting_order")
    lines_out = (
        _with_mfn_rate(applied.filter(pl.col("status") == "applied"), mfn, law)
        .with_columns(
            rate_ppm=pl.when(pl.col("top_up_ppm").is_not_null())
            .then((pl.col("top_up_ppm") - pl.col("mfn_adval_ppm")).clip(lower_bound=0))
            .otherwise(pl.col("ppm").fill_null(0))
        )
        .with_columns(
            amount_cents=pl.when(pl.col("is_duty") | pl.col("is_deposit"))
            .then(ad_valorem_cents(pl.col("base_cents"), pl.col("rate_ppm")))
            .otherwise(0)
        )
        .join(provision_flags, on="pid")
        .select(
            "line_id",
            "pid",
            "hid",
            "rate_idx",
            "base_cents",
            "base_missing",
            "rate_ppm",
            "amount_cents",
            "remainder_rule_idx",
            "remainder_winner_pid",
            "void",
            "prohibited",
            "reported",
            "reporting_order",
            "is_deposit",
            "remit_rule_idx",
        )
    )
    customs = ~pl.col("is_deposit")
    totals = lines_out.group_by("line_id").agg(
        ch99_cents=pl.col("amount_cents").filter(customs).sum(),
        deposit_cents=pl.col("amount_cents").filter(pl.col("is_deposit")).sum(),
        void_cents=pl.col("amount_cents").filter(pl.col("void") & customs).sum(),
        remitted_cents=pl.col("amount_cents").filter(pl.col("remit_rule_idx").is_not_null() & customs).sum(),
        prohibited=pl.col("prohibited").any(),
    )
    adcvd = (
        ad_valorem_cents(pl.col("value_cents"), pl.col("ad_rate_ppm").fill_null(0))
        + ad_valorem_cents(pl.col("value_cents"), pl.col("cvd_rate_ppm").fill_null(0))
        + pl.col("deposit_cents").fill_null(0)
    )
    computed = pl.col("error").is_null() & pl.col("mfn_error").is_null()
    total = pl.col("mfn_cents") + pl.col("ch99_cents").fill_null(0)  # null when customs duty is not known
    refundable = pl.col("void_cents").fill_null(0) + pl.col("remitted_cents").fill_null(0)
    summary = (
        lines.select(
            "line_id",
            "error",
            "value_cents",
            "ad_rate_ppm",
            "cvd_rate_ppm",
            "hts10",
            "entry_ts",
            "origin",
            "importing_country",
        )
        .join(mfn.select("line_id", "mfn_error", "mfn_cents"), on="line_id", how="left")
        .join(totals, on="line_id", how="left")
        .select(
            "line_id",
            "error",
            "mfn_error",
            "value_cents",
            "hts10",
            "entry_ts",
            "origin",
            "importing_country",
            total_cents=pl.when(computed).then(total),
            owed_cents=pl.when(computed).then(total - refundable),
            additional_cents=pl.when(computed).then(pl.col("ch99_cents").fill_null(0)),
            void_cents=pl.when(computed).then(pl.col("void_cents").fill_null(0)),
            remitted_cents=pl.when(computed).then(pl.col("remitted_cents").fill_null(0)),
            adcvd_cents=pl.when(computed).then(adcvd),
            prohibited=pl.col("prohibited").fill_null(False),
        )
    )
    return Evaluation(
        summary=summary,
        mfn=mfn,
        lines=lines_out,
        decided=decided.select("line_id", "pid", "hid", "mid", "rate_idx", "status"),
        overruled=applied.filter(pl.col("status") != "applied").select(
            "line_id", "pid", "hid", "mid", "rate_idx", "status", "rule_idx", "winner_pid"
        ),
        exception_hits=exception_hits,
        caveats=_caveats(frame, ok, law),
    )
