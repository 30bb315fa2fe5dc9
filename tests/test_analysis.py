"""The analysis package: series against hand-computed values, against single-line engine results,
scenarios that never touch the baseline, and strict scenario validation."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from tariffstack.analysis.flows import AssumptionError, Assumptions, Flows, load_flows
from tariffstack.analysis.scenarios import (
    SCHEMA_PATH,
    ScenarioError,
    apply,
    load_scenario,
    scenario_engine,
    scenario_schema,
)
from tariffstack.analysis.series import Inputs, run_series

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "src" / "tariffstack" / "analysis" / "scenarios"
OCT = date(2025, 10, 1)


def _flows(rows: list[tuple[str, int, int]]) -> Flows:
    """A synthetic month (Oct 2025) of flows: (hts10, total USD, USMCA-claimed USD)."""
    monthly = pl.DataFrame(
        {
            "month": [OCT] * len(rows),
            "hts10": [r[0] for r in rows],
            "total_cents": [r[1] * 100 for r in rows],
            "usmca_cents": [r[2] * 100 for r in rows],
        }
    )
    return Flows(
        monthly=monthly, projection=monthly.drop("month").head(0), last_month=OCT, weights="latest12"
    )


SYNTHETIC = [
    ("6109100012", 1_000_000, 400_000),  # cotton T-shirts: MFN 16.5%; IEEPA Canada 35% unless USMCA
    ("7208510030", 2_000_000, 1_500_000),  # flat-rolled steel: MFN free; Section 232 50% on full value
    ("0101210010", 500_000, 500_000),  # pure-bred horses: free, all claimed
    ("2709002090", 3_000_000, 1_000_000),  # crude oil: 10.5¢/bbl needs a quantity when not claimed
]


@pytest.fixture(scope="module")
def synthetic_run(engine, settings):
    inputs = Inputs(engine, _flows(SYNTHETIC), Assumptions(), settings.data_dir)
    return run_series(inputs, start=OCT, end=date(2025, 10, 31))


def test_series_matches_hand_computed_values(synthetic_run):
    """15 Oct 2025: EO 14325 (35% from Aug 1, 2025), Proc. 10947 (steel 50% from Jun 4, 2025; with
    no content declared the duty falls on the full value and IEEPA takes the zero remainder),
    USMCA goods exempt from IEEPA (9903.01.14), MFN 16.5% on 6109.10.00.

    Computed value: 1,000,000 + 2,000,000 + 500,000 + 1,000,000 (claimed crude) = 4,500,000.
    Duty: 600,000 × (16.5% + 35%) = 309,000, plus 2,000,000 × 50% = 1,000,000: 1,309,000.
    The unclaimed crude (2,000,000 of 6,500,000) cannot be computed without a quantity."""
    day = synthetic_run.daily.filter(pl.col("date") == date(2025, 10, 15)).row(0, named=True)
    assert day["etr_total"] == pytest.approx(1_309_000 / 4_500_000 * 100)
    assert day["etr_mfn"] == pytest.approx(99_000 / 4_500_000 * 100)
    assert day["etr_ieepa_canada"] == pytest.approx(210_000 / 4_500_000 * 100)
    assert day["etr_s232_steel"] == pytest.approx(1_000_000 / 4_500_000 * 100)
    assert day["etr_owed"] == pytest.approx((1_309_000 - 210_000) / 4_500_000 * 100)  # IEEPA void
    assert day["tariff_free_share"] == pytest.approx(1_900_000 / 4_500_000)
    assert day["duty_free_share"] == pytest.approx(1_900_000 / 4_500_000)
    assert day["uncomputed_share"] == pytest.approx(2_000_000 / 6_500_000)
    assert day["usmca_claim_share"] == pytest.approx(3_400_000 / 4_500_000)
    assert day["total_usd"] == pytest.approx(1_309_000 / 31, abs=0.01)  # money per day: month ÷ 31


def test_one_evaluation_per_change_point(synthetic_run):
    """Every day of October takes one of few evaluation points, not one evaluation per day."""
    assert synthetic_run.daily.height == 31
    assert synthetic_run.points.height < 10
    assert synthetic_run.lines.select("eval_date").n_unique() == synthetic_run.points.height


def test_uncomputed_lines_keep_their_reason(synthetic_run):
    lines = synthetic_run.lines.filter(pl.col("state") == "uncomputed")
    assert set(lines["hts10"]) == {"2709002090"}
    assert set(lines["reason"]) == {"specific rate needs a quantity"}
    assert lines["total_cents"].is_null().all()  # never a zero duty


def test_series_agrees_with_single_line_engine_results(engine, settings):
    """Sampled rows of a real month through the public JSON contract, one row at a time."""
    flows = load_flows(settings.data_dir)
    month = flows.monthly.filter(pl.col("month") == OCT)
    sample = month.sort("total_cents", descending=True).head(400).sample(40, seed=7)
    real = Flows(monthly=sample, projection=sample.drop("month").head(0), last_month=OCT, weights="latest12")
    run = run_series(
        Inputs(engine, real, Assumptions(), settings.data_dir),
        start=date(2025, 10, 15),
        end=date(2025, 10, 15),
    )
    checked = 0
    for row in run.lines.iter_rows(named=True):
        line = {
            "hts": row["hts10"],
            "origin": "CA",
            "entry_date": "2025-10-15",
            "value": f"{row['value_cents'] // 100}.{row['value_cents'] % 100:02d}",
        }
        if row["claimed"]:
            line["spi"] = "S"
        [result] = engine.calc([line])
        if row["state"] == "uncomputed":
            assert result["error"] is not None or result["total_duty"] is None
            continue
        assert result["total_duty"] == f"{row['total_cents'] // 100}.{row['total_cents'] % 100:02d}"
        assert (
            result["additional_total"]
            == f"{row['additional_cents'] // 100}.{row['additional_cents'] % 100:02d}"
        )
        checked += 1
    assert checked >= 30


HEAD = "name: x\ndescription: y\nchanges:\n"


def _dump(law) -> str:
    return json.dumps(
        {
            "measures": {k: m.model_dump(mode="json") for k, m in sorted(law.measures.items())},
            "rules": {k: r.model_dump(mode="json") for k, r in sorted(law.rules.items())},
        },
        sort_keys=True,
    )


@pytest.mark.parametrize("name", sorted(p.stem for p in SCENARIOS.glob("*.yaml")))
def test_shipped_scenarios_validate_and_leave_the_baseline_unchanged(engine, name):
    before = _dump(engine.law)
    rates_before = engine.compiled.rates.height
    path = SCENARIOS / f"{name}.yaml"
    scenario = load_scenario(path, engine.law)
    changed = scenario_engine(engine, apply(engine.law, scenario, path))
    assert changed.compiled.provisions.height > 0
    assert _dump(engine.law) == before
    assert engine.compiled.rates.height == rates_before
    assert changed.law is not engine.law


def test_scenario_changes_the_copy_and_the_result(engine, settings, synthetic_run):
    """Steel at 25% for Canada from Oct 10, 2025: the steel line pays 25% from then; the baseline
    run of the same flows is unchanged."""
    path = ROOT / "tests" / "scenario_steel_25.yaml"
    path.write_text(
        "name: steel 25\ndescription: test\nchanges:\n"
        "  - {op: set_rate, measure: us/s232/steel, from: '2025-10-10T00:01', rate: '25%', cap: true}\n",
        encoding="utf-8",
    )
    try:
        scenario = load_scenario(path, engine.law)
        changed = scenario_engine(engine, apply(engine.law, scenario, path))
    finally:
        path.unlink()
    run = run_series(
        Inputs(changed, _flows(SYNTHETIC), Assumptions(), settings.data_dir),
        start=OCT,
        end=date(2025, 10, 31),
    )
    day = run.daily.filter(pl.col("date") == date(2025, 10, 15)).row(0, named=True)
    assert day["etr_s232_steel"] == pytest.approx(500_000 / 4_500_000 * 100)
    early = run.daily.filter(pl.col("date") == date(2025, 10, 5)).row(0, named=True)
    assert early["etr_s232_steel"] == pytest.approx(1_000_000 / 4_500_000 * 100)
    base = run_series(
        Inputs(engine, _flows(SYNTHETIC), Assumptions(), settings.data_dir), start=OCT, end=date(2025, 10, 31)
    )
    assert base.daily.equals(synthetic_run.daily)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            HEAD + "  - {op: set_rate, measure: us/s232/steel, from: '2026-01-01', rate: '25 percent'}\n",
            ["changes.0", "'25 percent'"],
        ),
        (
            HEAD + "  - {op: set_rate, measure: us/s232/nope, from: '2026-01-01', rate: '25%'}\n",
            ["changes.0.measure", "'us/s232/nope'"],
        ),
        (
            HEAD
            + "  - {op: end_measure, measure: us/s338/canada, from: '2026-01-01', headings: ['9903.99.99']}"
            "\n",
            ["changes.0.headings", "'9903.99.99'"],
        ),
        ("name: x\ndescription: y\nchanges:\n  - {op: usmca_claim_rate, share: 1.5}\n", ["changes.0", "1.5"]),
        ("name: x\ndescription: y\ncolour: red\nchanges: []\n", ["colour", "'red'"]),
        (
            "name: x\ndescription: y\nchanges:\n  - {op: remove_rule, rule: no-such-rule}\n",
            ["changes.0.rule", "'no-such-rule'"],
        ),
        ("name: x\ndescription: y\nchanges:\n  - {op: teleport}\n", ["changes.0", "teleport"]),
        ("name: x\nname: y\ndescription: z\nchanges: []\n", ["duplicate key"]),
    ],
)
def test_bad_scenarios_name_file_key_and_value(engine, tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, engine.law)
    message = str(info.value)
    assert str(path) in message
    for part in expected:
        assert part in message


def test_assumptions_are_validated():
    with pytest.raises(AssumptionError, match="weights: '2023' is not one of"):
        Assumptions(weights="2023")
    with pytest.raises(AssumptionError, match="content: 'flat:2' is not"):
        Assumptions(content="flat:2")
    assert "metal content: bea" in Assumptions(content="bea").label()


def test_scenario_schema_is_published_and_current():
    assert json.loads(SCHEMA_PATH.read_text(encoding="utf-8")) == scenario_schema()


def test_projection_moves_replaced_codes_to_their_successors(tmp_path):
    """A code the schedule split in two hands half its value to each successor; chains are followed."""
    from tariffstack.analysis.flows import successor_codes

    path = tmp_path / "concordance.csv"
    path.write_text(
        "old_hts10,new_hts10,revision_from,revision_to,change_type\n"
        "1111111111,2222222222,r1,r2,split\n1111111111,3333333333,r1,r2,split\n"
        "3333333333,4444444444,r2,r3,renamed\nNA,5555555555,r1,r2,added\n",
        encoding="utf-8",
    )
    frame = pl.DataFrame(
        {"hts10": ["1111111111", "9999999999"], "total_cents": [1000, 7], "usmca_cents": [500, 0]}
    )
    out = {
        r["hts10"]: (r["total_cents"], r["usmca_cents"])
        for r in successor_codes(frame, path).iter_rows(named=True)
    }
    assert out == {"2222222222": (500, 250), "4444444444": (500, 250), "9999999999": (7, 0)}


def test_change_feed_spirits_section_338(engine, settings):
    """Spirits of Canada (2208) between Aug 1 and Sep 1, 2026: the Section 338 duty (+50%, from
    12:01 a.m. Aug 22, 2026, Proc. 11056; USMCA claims do not exempt) starts on every line, so the
    effective rate rises by exactly 50 points; the feed names the heading, its instrument, the
    lines and value touched, all from the law files and the engine."""
    from tariffstack.analysis.changes import change_feed

    feed, totals = change_feed(engine, settings.data_dir, date(2026, 8, 1), date(2026, 9, 1), "2208")
    assert totals["etr_to"] - totals["etr_from"] == pytest.approx(50, abs=0.01)
    starts = feed.filter((pl.col("heading") == "9903.03.12") & (pl.col("change") == "starts (scope)")).row(
        0, named=True
    )
    assert starts["rate_after"] == "50%"
    assert starts["effective"] == datetime(2026, 8, 22, 0, 1)
    assert starts["instrument"]
    assert starts["hts10_lines"] > 10
    assert starts["value_touched_usd"] > 0
    effect = feed.filter(pl.col("change") == "starts (scope)").unique("heading")["etr_effect_pp"].sum()
    assert effect == pytest.approx(50, abs=0.01)


def test_rule_operations_reorder_and_remove_on_the_copy(engine, tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(
        HEAD
        + "  - {op: move_rule, rule: p10976-wood-over-ieepa, before: note39-semiconductors-over-others}\n"
        "  - {op: remove_rule, rule: mhdv-over-autos-overlap}\n"
        "  - {op: usmca_claim_rate, share: 0.5, chapters: ['87']}\n",
        encoding="utf-8",
    )
    before = [r.id for r in engine.law.rules["us/precedence"].rules]
    scenario = load_scenario(path, engine.law)
    after = [r.id for r in apply(engine.law, scenario, path).rules["us/precedence"].rules]
    assert after[0] == "p10976-wood-over-ieepa"
    assert "mhdv-over-autos-overlap" not in after
    assert len(after) == len(before) - 1
    assert [r.id for r in engine.law.rules["us/precedence"].rules] == before
    from tariffstack.analysis.scenarios import scenario_assumptions

    assumptions = scenario_assumptions(Assumptions(), scenario)
    assert (assumptions.claim_rate, assumptions.claim_chapters) == (0.5, ("87",))


def test_charts_are_written_as_png_and_svg(engine, settings, synthetic_run, tmp_path):
    from tariffstack.analysis import breakdown, charts
    from tariffstack.analysis.report import events

    daily = synthetic_run.daily
    note = Assumptions().label()
    sector = breakdown.by_sector(synthetic_run, date(2025, 10, 15), settings.data_dir)
    assert set(sector["section"]) == {"XI", "XV", "I", "V"}
    written = [
        *charts.timeline(daily, events(engine, daily), note, tmp_path / "timeline"),
        *charts.stacked(daily, synthetic_run.categories, note, tmp_path / "by_authority"),
        *charts.sector_bars({"2025-10-15": sector}, note, tmp_path / "sectors"),
        *charts.tariff_free(daily, note, tmp_path / "tariff_free"),
    ]
    assert sorted(p.suffix for p in written) == [".png"] * 4 + [".svg"] * 4
    for path in written:
        assert path.stat().st_size > 10_000
    assert "weights: each month" in (tmp_path / "timeline.svg").read_text(encoding="utf-8")


def test_cli_scenario_and_errors(settings, tmp_path):
    from typer.testing import CliRunner

    from tariffstack.cli import app

    runner = CliRunner()
    env = {"TARIFFSTACK_STORE_DIR": str(settings.store_dir)}
    out = tmp_path / "ca"
    result = runner.invoke(
        app, ["scenario", str(SCENARIOS / "canada_drops_surtaxes.yaml"), "--out", str(out)], env=env
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["duty_change_usd"] == 0 and summary["canadian_orders_changed"] > 0
    for name in (
        "daily_diff.csv",
        "authorities_diff.csv",
        "canadian_side_law.csv",
        "etr_diff.png",
        "etr_diff.svg",
        "index.html",
    ):
        assert (out / name).exists(), name
    bad = tmp_path / "bad.yaml"
    bad.write_text(HEAD + "  - {op: usmca_claim_rate, share: 2}\n", encoding="utf-8")
    result = runner.invoke(app, ["scenario", str(bad)], env=env)
    assert result.exit_code == 2 and "changes.0" in result.output
    result = runner.invoke(app, ["report", "--out", str(tmp_path / "r"), "--weights", "2023"], env=env)
    assert result.exit_code == 2 and "weights: '2023'" in result.output
    result = runner.invoke(app, ["changes", "--from", "2026-09-01", "--to", "2026-08-01"], env=env)
    assert result.exit_code == 2 and "--to" in result.output


def test_add_provision_adds_a_heading_that_the_engine_applies(engine, settings, tmp_path):
    """A new 10% heading on horses (0101) from Oct 10, 2025 in the Section 122 measure's copy."""
    path = tmp_path / "horses.yaml"
    provision = (
        "{heading: '9903.99.01', label: test, countries: [CA], products: {include: ['0101']}, "
        "rates: [{from: '2025-10-10T00:01', rate: '10%', ref: REF}]}"
    )
    path.write_text(
        HEAD
        + "  - {op: add_provision, measure: us/s122/surcharge, provision: "
        + provision.replace("REF", "x")
        + "}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r"changes\.0\.provision\.rates\.0\.ref: value 'x'"):
        load_scenario(path, engine.law)
    path.write_text(
        HEAD
        + "  - {op: add_provision, measure: us/s122/surcharge, provision: "
        + provision.replace("REF", "scenario")
        + "}\n",
        encoding="utf-8",
    )
    changed = scenario_engine(engine, apply(engine.law, load_scenario(path, engine.law), path))
    run = run_series(
        Inputs(changed, _flows(SYNTHETIC), Assumptions(), settings.data_dir),
        start=OCT,
        end=date(2025, 10, 31),
    )
    day = run.daily.filter(pl.col("date") == date(2025, 10, 15)).row(0, named=True)
    assert day["etr_s122_surcharge"] == pytest.approx(50_000 / 4_500_000 * 100)
    assert run.daily.filter(pl.col("date") == date(2025, 10, 5))["etr_s122_surcharge"][0] == 0
