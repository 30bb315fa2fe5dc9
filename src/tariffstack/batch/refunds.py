"""IEEPA refund per line: the amount, the route (CAPE, protest, contested), its deadline, interest.

All of it is read from :mod:`.refund_rules` (data with citations) and computed as expressions over
the whole chunk. Routes, for a line with IEEPA duty refundable, on the as-of date:

- **cape**: the entry is unliquidated (no liquidation date, or one after the as-of date) or was
  liquidated at most 80 days before; deadline = liquidation + 80 days (none while unliquidated);
- **protest**: liquidated 81-180 days before (or within 180 days while CAPE is not yet open);
  deadline = liquidation + 180 days (19 U.S.C. 1514(c)(3));
- **contested**: liquidated more than 180 days before (finally liquidated): not recoverable
  administratively; the positions of the court, CBP and reports are cited; no deadline.

Interest (19 U.S.C. 1505(c)) is an estimate: from the entry date (deposit) to the as-of date, at the
quarterly overpayment rates, compounded daily (26 U.S.C. 6622), rounded half up to the cent.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from tariffstack.batch.refund_rules import RefundRules
from tariffstack.io.distinct import STAGE_MIN_ROWS, per_distinct

ROUTES = pl.Enum(["cape", "protest", "contested", "excluded_from_cape"])
LIKELY_LIQUIDATED_DAYS = 314  # entries liquidate about 314 days after entry (19 CFR 159.11: one year)
NON_CORPORATE = ("non_corporate", "noncorporate", "individual", "non-corporate")


def _rate(text: str) -> float:
    return float(Decimal(text.rstrip("%")) / 100)


def refund_columns(
    frame: pl.DataFrame, rules: RefundRules, as_of: date, has_liquidation: bool
) -> pl.DataFrame:
    """``frame`` with the route (``route``, ``route_deadline``, ``route_basis``, ``route_confidence``)
    and the interest estimate (``interest_cents``, ``interest_confidence``) of each line.

    Everything but the interest amount depends on whether IEEPA duty is owed and on the line's
    dates, entry type and importer type, which a file has few combinations of: on a large frame it
    is computed once per distinct combination (:func:`~tariffstack.io.distinct.per_distinct`), and
    only the amount (the duty × the rate's growth, rounded half up) per line."""
    owed = (pl.col("ieepa_cents") > 0).fill_null(False).alias(_OWED)
    frame = frame.with_columns(owed)
    routes, confidence = route_columns(rules, as_of, has_liquidation, pl.col(_OWED))
    growth, interest_confidence = interest_growth(rules, as_of, pl.col(_OWED))
    kept = [pl.col(c) for c in ("route", "route_deadline", "route_basis")]
    stages = (routes, [*kept, confidence, growth.alias(_GROWTH), interest_confidence])
    if frame.height >= STAGE_MIN_ROWS:
        roots = [_OWED, "liquidation_date", "entry_type", "entry_day", "importer_type"]
        frame = frame.hstack(per_distinct(frame, roots, *stages))
    else:
        frame = frame.with_columns(stages[0]).with_columns(stages[1])
    return frame.with_columns(interest_cents(pl.col(_GROWTH), owed=pl.col(_OWED))).drop(_OWED, _GROWTH)


_OWED, _GROWTH = "__ieepa_owed", "__interest_growth"


def route_columns(
    rules: RefundRules, as_of: date, has_liquidation: bool, owed: pl.Expr
) -> tuple[list[pl.Expr], pl.Expr]:
    """Expressions over ``owed`` (whether IEEPA duty is refundable), ``liquidation_date``,
    ``entry_type``, ``entry_day``; then the route's confidence label (over ``route``, so applied
    after)."""
    cape, protest = rules.routes.cape, rules.routes.protest
    cape_open = as_of >= cape.opens_at.date()
    liq = pl.col("liquidation_date")
    days = (pl.lit(as_of) - liq).dt.total_days()
    unliquidated = liq.is_null() | (days < 0)
    within_cape = unliquidated | (days <= cape.max_days_after_liquidation)
    within_protest = ~unliquidated & (days <= protest.max_days_after_liquidation)
    excluded = pl.col("entry_type").is_in(cape.excluded_entry_types).fill_null(False)
    route = (
        pl.when(~owed)
        .then(None)
        .when(excluded & within_protest)
        .then(pl.lit("protest"))
        .when(excluded)
        .then(pl.lit("excluded_from_cape"))
        .when(within_cape & (pl.lit(cape_open) | unliquidated))
        .then(pl.lit("cape"))
        .when(within_protest)
        .then(pl.lit("protest"))
        .otherwise(pl.lit("contested"))
        .cast(ROUTES)
    )
    deadline = (
        pl.when(route == "cape")
        .then(liq + pl.duration(days=cape.max_days_after_liquidation))
        .when(route == "protest")
        .then(liq + pl.duration(days=protest.max_days_after_liquidation))
    )
    positions = "; ".join(
        f"{p.party} ({p.confidence}): {p.position}" for p in rules.routes.contested.positions
    )
    contested = f"finally liquidated, not recoverable administratively; contested: {positions}".replace(
        "{", "("
    )
    contested = contested.replace("}", ")")
    not_yet_open = "" if cape_open else f"; CAPE opens {cape.opens_at.date()}"
    old = (pl.lit(as_of) - pl.col("entry_day")).dt.total_days() > LIKELY_LIQUIDATED_DAYS
    no_date_basis = (
        "liquidation date not given: treated as unliquidated"
        if has_liquidation
        else "the file has no liquidation date: treated as unliquidated"
    )
    basis = (
        pl.when(~owed)
        .then(None)
        .when(excluded)
        .then(pl.format("entry type {} is excluded from CAPE Phase 1", pl.col("entry_type")))
        .when(liq.is_null() & old)
        .then(pl.lit(f"{no_date_basis}; entered over {LIKELY_LIQUIDATED_DAYS} days ago, probably liquidated"))
        .when(liq.is_null())
        .then(pl.lit(no_date_basis + not_yet_open))
        .when(unliquidated)
        .then(pl.format("liquidation scheduled {}" + not_yet_open, liq))
        .when(within_protest | within_cape)
        .then(pl.format("liquidated {}, {} days before {}", liq, days, pl.lit(str(as_of))))
        .otherwise(pl.format("liquidated {}, {} days before {}; " + contested, liq, days, pl.lit(str(as_of))))
    )
    confidence = (
        pl.col("route")
        .cast(pl.String)
        .replace_strict(
            {
                "cape": cape.confidence,
                "protest": protest.confidence,
                "contested": rules.routes.contested.confidence,
                "excluded_from_cape": cape.confidence,
            },
            default=None,
            return_dtype=pl.String,
        )
    )
    columns = [route.alias("route"), deadline.alias("route_deadline"), basis.alias("route_basis")]
    return columns, confidence.alias("route_confidence")


def interest_growth(rules: RefundRules, as_of: date, owed: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(the factor the deposit grows by from the entry day to ``as_of``, less 1; the confidence), over
    ``entry_day`` and ``importer_type``: daily compounding at each quarter's rate."""
    interest = rules.interest
    start, end = pl.col("entry_day"), pl.lit(as_of)
    corporate = ~pl.col("importer_type").str.to_lowercase().is_in(NON_CORPORATE).fill_null(False)
    if interest.default_importer_type == "non_corporate":
        corporate = (
            pl.col("importer_type").str.to_lowercase().is_in(["corporate", "corporation"]).fill_null(False)
        )
    log_factor = pl.lit(0.0)
    low = pl.lit(False)
    for index, period in enumerate(interest.rates):
        p_start = period.start
        p_end = interest.rates[index + 1].start if index + 1 < len(interest.rates) else date(9999, 1, 1)
        overlap = (
            (pl.min_horizontal(end, pl.lit(p_end)) - pl.max_horizontal(start, pl.lit(p_start)))
            .dt.total_days()
            .clip(lower_bound=0)
        )
        corp, non_corp = _rate(period.corporate), _rate(period.non_corporate)
        daily = pl.when(corporate).then(math.log1p(corp / 365)).otherwise(math.log1p(non_corp / 365))
        log_factor = log_factor + overlap * daily
        if period.confidence == "L":
            low = low | (overlap > 0)
    beyond = end > pl.lit(interest.known_to)
    confidence = (
        pl.when(owed)
        .then(pl.when(low | beyond).then(pl.lit("L")).otherwise(pl.lit(interest.confidence)))
        .alias("interest_confidence")
    )
    return log_factor.exp() - 1, confidence


def interest_cents(growth: pl.Expr, owed: pl.Expr) -> pl.Expr:
    """The IEEPA duty × ``growth``, rounded half up to the cent (none where no duty is owed)."""
    cents = (pl.col("ieepa_cents") * growth + 0.5).floor().cast(pl.Int64)
    return pl.when(owed).then(cents.clip(lower_bound=0)).alias("interest_cents")


def deadline_after(liquidated: date, days: int) -> date:
    """The last day of a window of ``days`` after liquidation (for tests and texts)."""
    return liquidated + timedelta(days=days)
