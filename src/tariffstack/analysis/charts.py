"""Charts (matplotlib, PNG and SVG): every chart has a title, labelled axes with units, and a
source line stating the weights and assumptions it was computed with."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import polars as pl

SOURCE = (
    "Source: tariffstack engine over U.S. imports from Canada "
    "(USITC DataWeb, Census 1220, by HTS10 and month)"
)
CLAIM_85 = 0.85  # "85 per cent of exports to the U.S. remain tariff-free"


def _finish(fig, ax, title: str, ylabel: str, note: str, path: Path) -> list[Path]:
    ax.set_title(title, fontsize=12, loc="left")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    fig.text(0.01, 0.01, f"{SOURCE}.\n{note}", fontsize=6.5, color="#444", va="bottom", wrap=True)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    out = []
    for ext in ("png", "svg"):
        target = path.with_suffix(f".{ext}")
        fig.savefig(target, dpi=130)
        out.append(target)
    plt.close(fig)
    return out


def timeline(
    daily: pl.DataFrame, events: pl.DataFrame, note: str, path: Path, title: str | None = None
) -> list[Path]:
    """Effective rate (assessed, and owed after the IEEPA ruling) by day, legal events annotated."""
    fig, ax = plt.subplots(figsize=(11, 5.5))
    dates = daily["date"].to_list()
    ax.plot(dates, daily["etr_total"].to_list(), label="assessed at entry", color="#b2182b", lw=1.8)
    ax.plot(
        dates,
        daily["etr_owed"].to_list(),
        label="owed after Learning Resources (IEEPA void)",
        color="#2166ac",
        lw=1.2,
        ls="--",
    )
    top = max(daily["etr_total"].max() or 1, 1) * 1.12
    for i, (day, label) in enumerate(events.select("date", "label").iter_rows()):
        ax.axvline(day, color="#999", lw=0.6, ls=":")
        ax.text(
            day,
            top * (0.98 - 0.055 * (i % 8)),
            label,
            fontsize=6,
            rotation=0,
            ha="left",
            va="top",
            color="#333",
        )
    ax.set_ylim(0, top)
    ax.set_xlabel("Date of entry")
    ax.legend(loc="lower right", fontsize=8)
    return _finish(
        fig,
        ax,
        title or "Effective U.S. tariff rate on goods of Canada, by day",
        "Duty / import value (%)",
        note,
        path,
    )


def stacked(daily: pl.DataFrame, categories: pl.DataFrame, note: str, path: Path) -> list[Path]:
    """Stacked area of the effective rate by authority (MFN, then each measure category)."""
    fig, ax = plt.subplots(figsize=(11, 5.5))
    names = ["etr_mfn"] + [f"etr_{c}" for c in categories["category"].to_list()]
    labels = ["MFN (column 1 / USMCA rate)", *categories["label"].to_list()]
    keep = [
        (n, lab)
        for n, lab in zip(names, labels, strict=True)
        if n in daily.columns and (daily[n].max() or 0) > 0.001
    ]
    ax.stackplot(
        daily["date"].to_list(),
        *[daily[n].fill_null(0).to_list() for n, _ in keep],
        labels=[lab for _, lab in keep],
        colors=[plt.get_cmap("tab20")(i % 20) for i in range(len(keep))],
        alpha=0.9,
    )
    ax.set_xlabel("Date of entry")
    ax.legend(loc="upper left", fontsize=7, ncol=2)
    return _finish(
        fig, ax, "Effective rate by legal authority (assessed)", "Duty / import value (%)", note, path
    )


def sector_bars(sectors: dict[str, pl.DataFrame], note: str, path: Path) -> list[Path]:
    """Effective rate by HS section on each given date (horizontal bars)."""
    fig, ax = plt.subplots(figsize=(11, 7))
    days = list(sectors)
    base = sectors[days[-1]].sort("value_usd", descending=True)
    order = base["section"].to_list()
    names = base.select(pl.concat_str("section", pl.lit(" "), pl.col("section_name").str.slice(0, 42)))[
        :, 0
    ].to_list()
    height = 0.8 / len(days)
    for k, day in enumerate(days):
        rates = dict(sectors[day].select("section", "etr_pct").iter_rows())
        ax.barh(
            [i + k * height for i in range(len(order))],
            [rates.get(s, 0) or 0 for s in order],
            height=height,
            label=day,
        )
    ax.set_yticks([i + 0.4 - height / 2 for i in range(len(order))], names, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("Duty / import value (%)")
    ax.legend(fontsize=8)
    return _finish(fig, ax, "Effective rate by HS section (sorted by import value)", "HS section", note, path)


def tariff_free(daily: pl.DataFrame, note: str, path: Path) -> list[Path]:
    """Share of value paying no additional duty, against the 85% claim and the USMCA claim share."""
    fig, ax = plt.subplots(figsize=(11, 5.5))
    dates = daily["date"].to_list()
    ax.plot(
        dates,
        [v * 100 for v in daily["tariff_free_share"].fill_null(0).to_list()],
        label="free of any additional duty",
        color="#1b7837",
        lw=1.8,
    )
    ax.plot(
        dates,
        [v * 100 for v in daily["usmca_claim_share"].fill_null(0).to_list()],
        label="value entered claiming USMCA",
        color="#762a83",
        lw=1.1,
        ls="--",
    )
    ax.plot(
        dates,
        [v * 100 for v in daily["duty_free_share"].fill_null(0).to_list()],
        label="free of any duty (MFN too)",
        color="#5aae61",
        lw=0.9,
        ls=":",
    )
    ax.axhline(CLAIM_85 * 100, color="#d6604d", lw=1.2)
    ax.text(dates[5], CLAIM_85 * 100 + 1, "the claim: 85% tariff-free", color="#d6604d", fontsize=8)
    ax.set_ylim(0, 105)
    ax.set_xlabel("Date of entry")
    ax.legend(loc="lower right", fontsize=8)
    return _finish(
        fig,
        ax,
        "Share of imports from Canada entering free of additional U.S. duty",
        "Share of import value (%)",
        note,
        path,
    )


def diff_lines(
    baseline: pl.DataFrame, scenario: pl.DataFrame, name: str, note: str, path: Path
) -> list[Path]:
    """Baseline vs scenario effective rate by day."""
    fig, ax = plt.subplots(figsize=(11, 5.5))
    ax.plot(
        baseline["date"].to_list(),
        baseline["etr_total"].to_list(),
        label="baseline (law as encoded)",
        color="#555",
        lw=1.6,
    )
    ax.plot(
        scenario["date"].to_list(),
        scenario["etr_total"].to_list(),
        label=f"scenario: {name}",
        color="#e08214",
        lw=1.6,
    )
    ax.set_ylim(bottom=0)
    ax.set_xlabel("Date of entry")
    ax.legend(loc="upper left", fontsize=8)
    return _finish(
        fig, ax, f"Effective rate, baseline vs scenario “{name}”", "Duty / import value (%)", note, path
    )
