"""Trade flows as entry lines: U.S. imports from Canada by HTS10 and month, split into the value
entered claiming USMCA and the rest, with the assumptions the flows do not carry.

The flows (USITC DataWeb via the Budget Lab tracker, ``trade/usmca_product_shares_YYYY_MM.csv``)
give, per HTS10 and month, the value of U.S. imports for consumption from Canada (Census 1220) and
the part entered under SPI S/S+. Each HTS10 × month becomes two entry lines: the claimed value with
``spi: S`` and the unclaimed value without a claim. The engine then decides every duty.

Months without flows (after the last monthly file) use one of three documented weight sets:

- ``latest12``: the average month of the last twelve monthly files;
- ``2025H2``: the average month of July-December 2025 (the Budget Lab's ``h2_average`` USMCA mode);
- ``2024annual``: 2024 imports (``us_imports_2024_hs10_country.csv.gz``, the Census 2024 weights
  behind the Budget Lab reference numbers) divided by 12, with the 2024 USMCA shares;
- ``budgetlab``: the same 2024 values with the July-December 2025 USMCA claim share of each
  HTS10 line (the Budget Lab tracker's ``h2_average`` mode), for like-for-like comparisons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

CANADA = 1220  # Census country code
WEIGHT_CHOICES = ("latest12", "2025H2", "2024annual", "budgetlab")
PROJECTION = "projection"  # weight key of the days after the last monthly file
_MONTH_FILE = re.compile(r"^usmca_product_shares_(\d{4})_(\d{2})\.csv$")


class AssumptionError(ValueError):
    """A bad assumption value; the message names the option and the value."""


@dataclass(frozen=True)
class Assumptions:
    """Facts the flows do not carry, each a documented, selectable choice shown on every output.

    - ``content``: metal content of goods whose Section 232 duty falls on the metal value.
      ``full`` (no content declared: the law's ``if_missing`` rule, CBP's rule that the duty falls
      on the full value when the content is not known), ``bea`` (steel/aluminum/copper value =
      the BEA input-output shares of ``lists/budgetlab/metal_content_shares_bea_hs10.csv`` × value),
      or ``flat:S`` (each metal's value = S × value).
    - ``us_content``: U.S. content share declared (with Commerce approval) on USMCA-claimed goods
      of chapter 87; ``0`` declares none, so the autos duties fall on the full value.
    - ``quantities``: the flows have no quantities, so a line whose MFN rate is specific or
      compound cannot be computed from value alone: ``omit`` leaves it out and reports its value
      as ``uncomputed_share`` (never a zero duty).
    - ``weights``: the weight set of the months after the last monthly file (see module doc).
    """

    content: str = "full"
    us_content: float = 0.0
    quantities: str = "omit"
    weights: str = "latest12"
    own_months: bool = True  # False: the weight set on every day (like-for-like with 2024-weight models)
    claim_rate: float | None = None  # scenario: USMCA claim share overriding the flows
    claim_chapters: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.weights not in WEIGHT_CHOICES:
            raise AssumptionError(f"weights: {self.weights!r} is not one of {', '.join(WEIGHT_CHOICES)}")
        if self.content not in ("full", "bea") and not re.match(r"^flat:(0(\.\d+)?|1(\.0+)?)$", self.content):
            raise AssumptionError(f"content: {self.content!r} is not full, bea or flat:S with 0 <= S <= 1")
        if not 0 <= self.us_content <= 1:
            raise AssumptionError(f"us_content: {self.us_content!r} must be a share from 0 to 1")
        if self.quantities != "omit":
            raise AssumptionError(f"quantities: {self.quantities!r} is not one of omit")
        if self.claim_rate is not None and not 0 <= self.claim_rate <= 1:
            raise AssumptionError(f"claim_rate: {self.claim_rate!r} must be a share from 0 to 1")

    def label(self) -> str:
        """One line for charts and tables."""
        claim = "" if self.claim_rate is None else f"; USMCA claim rate {self.claim_rate:.0%}"
        if self.claim_rate is not None and self.claim_chapters:
            claim += f" (ch. {','.join(self.claim_chapters)})"
        weights = (
            f"weights: each month's own flows, then {self.weights}"
            if self.own_months
            else f"weights: {self.weights} on every day"
        )
        return (
            f"{weights}; metal content: {self.content}; "
            f"U.S. content of USMCA ch. 87 goods: {self.us_content:.0%}; specific rates without "
            f"quantity: {self.quantities}{claim}"
        )


@dataclass
class Flows:
    """Monthly flows (``month`` = first day) and the projection weights, one row per HTS10.

    ``monthly``: month, hts10, total_cents, usmca_cents. ``projection``: hts10, total_cents,
    usmca_cents (an average month). ``last_month``: the first day of the last monthly file.
    """

    monthly: pl.DataFrame
    projection: pl.DataFrame
    last_month: date
    weights: str


def _read_month(path: Path) -> pl.DataFrame:
    return (
        pl.read_csv(path, infer_schema=False)
        .filter(pl.col("cty_code").cast(pl.Int64) == CANADA)
        .select(
            hts10=pl.col("hts10").str.zfill(10),
            total_cents=(pl.col("total_value").cast(pl.Float64) * 100).round().cast(pl.Int64),
            usmca_cents=(pl.col("usmca_value").cast(pl.Float64) * 100).round().cast(pl.Int64),
        )
    )


def month_files(trade_dir: Path) -> dict[date, Path]:
    found = {}
    for path in sorted(trade_dir.glob("usmca_product_shares_*_*.csv")):
        match = _MONTH_FILE.match(path.name)
        if match:
            found[date(int(match[1]), int(match[2]), 1)] = path
    if not found:
        raise FileNotFoundError(f"no usmca_product_shares_YYYY_MM.csv under {trade_dir}")
    return found


def _average(monthly: pl.DataFrame, months: list[date]) -> pl.DataFrame:
    n = len(months)
    return (
        monthly.filter(pl.col("month").is_in(months))
        .group_by("hts10")
        .agg(
            total_cents=(pl.col("total_cents").sum() / n).round().cast(pl.Int64),
            usmca_cents=(pl.col("usmca_cents").sum() / n).round().cast(pl.Int64),
        )
    )


def annual_2024(trade_dir: Path) -> pl.DataFrame:
    """2024 imports from Canada by HTS10 as an average month, with the 2024 USMCA claim share."""
    imports = (
        pl.read_csv(
            trade_dir / "us_imports_2024_hs10_country.csv.gz",
            infer_schema=False,
        )
        .filter(pl.col("cty_code").cast(pl.Int64) == CANADA)
        .group_by(hts10=pl.col("hs10").str.zfill(10))
        .agg(value=pl.col("imports").cast(pl.Float64).sum())
    )
    shares = (
        pl.read_csv(
            trade_dir / "usmca_product_shares_2024.csv",
            infer_schema=False,
        )
        .filter(pl.col("cty_code").cast(pl.Int64) == CANADA)
        .select(hts10=pl.col("hts10").str.zfill(10), share=pl.col("usmca_share").cast(pl.Float64))
    )
    return imports.join(shares, on="hts10", how="left").select(
        "hts10",
        total_cents=(pl.col("value") * 100 / 12).round().cast(pl.Int64),
        usmca_cents=(pl.col("value") * 100 / 12 * pl.col("share").fill_null(0)).round().cast(pl.Int64),
    )


def successor_codes(frame: pl.DataFrame, path: Path, rounds: int = 3) -> pl.DataFrame:
    """Move the value of codes the schedule replaced onto their successors (split evenly among
    several), following ``crosswalks/hts_concordance.csv`` (USITC revision concordance).

    Used for the projection only: an average month built from 2025 files carries 2025 codes, some
    of which the 2026 schedule replaced; without this their value would be uncomputed from 2026 on.
    """
    pairs = (
        pl.read_csv(path, infer_schema=False)
        .filter((pl.col("old_hts10") != "NA") & (pl.col("new_hts10") != "NA"))
        .filter(pl.col("old_hts10") != pl.col("new_hts10"))
        .select(hts10="old_hts10", successor="new_hts10")
        .unique()
    )
    pairs = pairs.with_columns(split=pl.len().over("hts10"))
    for _ in range(rounds):
        joined = frame.join(pairs, on="hts10", how="left")
        if joined["successor"].is_null().all():
            break
        share = 1 / pl.col("split").fill_null(1)
        frame = joined.group_by(hts10=pl.coalesce("successor", "hts10")).agg(
            total_cents=(pl.col("total_cents") * share).sum().round().cast(pl.Int64),
            usmca_cents=(pl.col("usmca_cents") * share).sum().round().cast(pl.Int64),
        )
    return frame


def load_flows(data_dir: Path, weights: str = "latest12", own_months: bool = True) -> Flows:
    """Every monthly file of Canadian flows, and the average month chosen for later days (for
    every day when ``own_months`` is false)."""
    if weights not in WEIGHT_CHOICES:
        raise AssumptionError(f"weights: {weights!r} is not one of {', '.join(WEIGHT_CHOICES)}")
    trade_dir = data_dir / "trade"
    files = month_files(trade_dir)
    monthly = pl.concat(
        [_read_month(path).with_columns(month=pl.lit(month)) for month, path in files.items()]
    ).filter(pl.col("total_cents") > 0)
    months = sorted(files)
    if weights == "latest12":
        projection = _average(monthly, months[-12:])
    elif weights == "2025H2":
        projection = _average(monthly, [date(2025, m, 1) for m in range(7, 13)])
    elif weights == "2024annual":
        projection = annual_2024(trade_dir)
    else:
        h2 = _average(monthly, [date(2025, m, 1) for m in range(7, 13)]).select(
            "hts10", share=pl.col("usmca_cents") / pl.col("total_cents")
        )
        projection = (
            annual_2024(trade_dir)
            .join(h2, on="hts10", how="left")
            .select(
                "hts10",
                "total_cents",
                usmca_cents=(pl.col("total_cents") * pl.col("share").fill_null(0)).round().cast(pl.Int64),
            )
        )
    concordance = data_dir / "crosswalks" / "hts_concordance.csv"
    if concordance.exists():
        projection = successor_codes(projection, concordance)
    if not own_months:
        monthly = monthly.head(0)
    return Flows(
        monthly=monthly.select("month", "hts10", "total_cents", "usmca_cents"),
        projection=projection.filter(pl.col("total_cents") > 0).sort("hts10"),
        last_month=months[-1],
        weights=weights,
    )


def split_lines(flows: pl.DataFrame, assumptions: Assumptions) -> pl.DataFrame:
    """HTS10 rows (``total_cents``, ``usmca_cents``, any key columns) → claimed and unclaimed lines.

    Returns the key columns plus ``hts10``, ``claimed`` and ``value_cents``; zero-value parts are
    dropped (they weigh nothing). A scenario's claim rate replaces the observed claimed value
    (on the chapters it names, or everywhere).
    """
    usmca = pl.col("usmca_cents")
    if assumptions.claim_rate is not None:
        override = (pl.col("total_cents") * assumptions.claim_rate).round().cast(pl.Int64)
        if assumptions.claim_chapters:
            in_scope = pl.col("hts10").str.slice(0, 2).is_in(list(assumptions.claim_chapters))
            override = pl.when(in_scope).then(override).otherwise(usmca)
        usmca = override
    usmca = pl.min_horizontal(usmca, pl.col("total_cents"))
    keys = [c for c in flows.columns if c not in ("total_cents", "usmca_cents")]
    claimed = flows.select(*keys, claimed=pl.lit(True), value_cents=usmca)
    unclaimed = flows.select(*keys, claimed=pl.lit(False), value_cents=pl.col("total_cents") - usmca)
    return pl.concat([claimed, unclaimed]).filter(pl.col("value_cents") > 0)


def content_columns(lines: pl.DataFrame, data_dir: Path, assumptions: Assumptions) -> pl.DataFrame:
    """Add the content facts (``steel_value_cents`` ...) the assumptions declare (null = not declared)."""
    metals = ("steel", "aluminum", "copper")
    if assumptions.content == "full":
        out = lines.with_columns(**{f"{m}_value_cents": pl.lit(None, dtype=pl.Int64) for m in metals})
    elif assumptions.content == "bea":
        shares = (
            pl.read_csv(
                data_dir / "lists" / "budgetlab" / "metal_content_shares_bea_hs10.csv",
                infer_schema=False,
            )
            .select(
                hts10=pl.col("hs10").str.zfill(10),
                **{f"_{m}": pl.col(f"{m}_share").cast(pl.Float64) for m in metals},
            )
            .unique("hts10")
        )
        out = (
            lines.join(shares, on="hts10", how="left")
            .with_columns(
                **{
                    f"{m}_value_cents": (pl.col("value_cents") * pl.col(f"_{m}").fill_null(0).clip(0, 1))
                    .round()
                    .cast(pl.Int64)
                    for m in metals
                }
            )
            .drop([f"_{m}" for m in metals])
        )
    else:
        share = float(assumptions.content.split(":", 1)[1])
        out = lines.with_columns(
            **{f"{m}_value_cents": (pl.col("value_cents") * share).round().cast(pl.Int64) for m in metals}
        )
    vehicles = pl.col("claimed") & pl.col("hts10").str.starts_with("87")
    if assumptions.us_content > 0:
        out = out.with_columns(
            us_content_value_cents=pl.when(vehicles).then(
                (pl.col("value_cents") * assumptions.us_content).round().cast(pl.Int64)
            ),
            commerce_approved_us_content=pl.when(vehicles).then(pl.lit(True)),
        )
    else:
        out = out.with_columns(
            us_content_value_cents=pl.lit(None, dtype=pl.Int64),
            commerce_approved_us_content=pl.lit(None, dtype=pl.Boolean),
        )
    return out
