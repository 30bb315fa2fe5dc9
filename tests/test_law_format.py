"""The law format: strict loading, lints that catch real mistakes, the published JSON Schema."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tariffstack.law.lint import check_alternatives, check_list_levels, lint_law
from tariffstack.law.loader import LawError, default_law_dir, load_law
from tariffstack.law.schema import schema_documents

MEASURE = """\
id: us/test/example
label: Example
importing_country: US
authority: Section 232
confidence: H
verified_to: "2026-11-28"
reporting_order: 40
references:
  p1: {instrument: Proclamation 1, citation: cl. 1, url: "https://example.gov/p1"}
provisions:
  - heading: "9903.81.87"
    label: Example heading
    countries: [CA]
    products: {include: ["7208"]}
    rates:
      - {from: "2025-03-12T00:01", rate: "25%", ref: p1}
"""


def _tree(tmp_path: Path, text: str, name: str = "example") -> Path:
    measures = tmp_path / "us" / "measures" / "test"
    measures.mkdir(parents=True)
    (measures / f"{name}.yaml").write_text(text)
    return tmp_path


def test_valid_measure_loads(tmp_path: Path) -> None:
    law = load_law(_tree(tmp_path, MEASURE))
    rate = law.measures["us/test/example"].provisions[0].rates[0]
    assert rate.from_ == "2025-03-12T00:01" and rate.rate == "25%"


def test_duplicate_key_rejected(tmp_path: Path) -> None:
    with pytest.raises(LawError, match="duplicate key 'label'"):
        load_law(_tree(tmp_path, MEASURE.replace("label: Example\n", "label: Example\nlabel: Again\n")))


def test_unknown_key_rejected(tmp_path: Path) -> None:
    with pytest.raises(LawError, match="colour"):
        load_law(_tree(tmp_path, MEASURE.replace("confidence: H\n", "confidence: H\ncolour: red\n")))


def test_unquoted_date_stays_a_string_and_is_checked(tmp_path: Path) -> None:
    text = MEASURE.replace('from: "2025-03-12T00:01"', "from: 2025-03-12 00:01")
    with pytest.raises(LawError, match="YYYY-MM-DD"):
        load_law(_tree(tmp_path, text))


def test_id_must_match_path(tmp_path: Path) -> None:
    with pytest.raises(LawError, match="does not match its path"):
        load_law(_tree(tmp_path, MEASURE, name="other"))


def test_bad_rate_text_rejected(tmp_path: Path) -> None:
    with pytest.raises(LawError, match="percentage"):
        load_law(_tree(tmp_path, MEASURE.replace('rate: "25%"', 'rate: "25 pct"')))


def test_lint_catches_prefix_not_in_schedule_and_descending_dates(tmp_path: Path, store) -> None:
    text = MEASURE.replace('include: ["7208"]', 'include: ["7208", "7299"]').replace(
        '      - {from: "2025-03-12T00:01", rate: "25%", ref: p1}\n',
        '      - {from: "2025-03-12T00:01", rate: "25%", ref: p1}\n'
        '      - {from: "2025-03-01T00:01", rate: "50%", ref: p2}\n',
    )
    issues = [str(i) for i in lint_law(load_law(_tree(tmp_path, text)), store)]
    assert any("prefix entry 7299 matches no HTS10 line in force on 2025-03-12T00:01" in i for i in issues)
    assert any("dated values do not ascend" in i for i in issues)
    assert any("undeclared reference 'p2'" in i for i in issues)


def test_lint_requires_list_provenance(tmp_path: Path) -> None:
    root = _tree(tmp_path, MEASURE)
    lists = root / "us" / "lists"
    lists.mkdir()
    (lists / "orphan.csv").write_text("prefix,source\n7208,somewhere\n")
    assert any("no .provenance.yaml sidecar" in str(i) for i in lint_law(load_law(root)))


def test_packaged_law_is_lint_clean(store, settings) -> None:
    assert [str(i) for i in lint_law(load_law(), store, data_dir=settings.data_dir)] == []


OVERLAP = (
    MEASURE
    + """\
  - heading: "9903.81.91"
    label: Derivative heading
    countries: [CA]
    products: {include: ["7208100000"]}
    rates:
      - {from: "2025-06-01T00:01", rate: "50%", ref: p1}
"""
)


def test_lint_flags_two_provisions_charging_one_good_in_one_period(tmp_path: Path) -> None:
    issues = [str(i) for i in check_alternatives(load_law(_tree(tmp_path, OVERLAP)))]
    assert len(issues) == 1
    assert "9903.81.87 / 9903.81.91" in issues[0] and "both take 7208100000" in issues[0]


@pytest.mark.parametrize(
    "declared",
    [
        # the article heading yields to the derivative heading (the text's "except for derivative ...")
        (
            '    products: {include: ["7208"]}\n',
            '    products: {include: ["7208"]}\n    except_headings: ["9903.81.91"]\n',
        ),
        # the derivative scope is narrowed to a line the article scope excludes
        (
            '    products: {include: ["7208"]}\n',
            '    products: {include: ["7208"], exclude: ["7208100000"]}\n',
        ),
        # the periods do not meet
        (
            '      - {from: "2025-03-12T00:01", rate: "25%", ref: p1}\n',
            '      - {from: "2025-03-12T00:01", rate: "25%", ref: p1}\n'
            '      - {from: "2025-06-01T00:01", rate: null, ref: p1}\n',
        ),
        # complementary conditions
        (
            '    products: {include: ["7208"]}\n',
            '    products: {include: ["7208"]}\n    conditions: [{spi_in: [S]}]\n',
        ),
    ],
)
def test_lint_accepts_overlaps_that_are_declared(tmp_path: Path, declared: tuple[str, str]) -> None:
    old, new = declared
    text = OVERLAP.replace(old, new, 1)
    if "spi_in" in new:
        text = text.replace(
            '    products: {include: ["7208100000"]}\n',
            '    products: {include: ["7208100000"]}\n    conditions: [{spi_not_in: [S]}]\n',
        )
    assert [str(i) for i in check_alternatives(load_law(_tree(tmp_path, text)))] == []


def test_lint_accepts_an_overlap_a_rule_declares(tmp_path: Path) -> None:
    root = _tree(tmp_path, OVERLAP)
    rules = root / "us" / "rules"
    rules.mkdir()
    (rules / "precedence.yaml").write_text(
        "importing_country: US\nrules:\n  - id: r1\n    label: derivative wins\n"
        '    winner: {measures: [us/test/example], headings: ["9903.81.91"]}\n'
        '    loser: {measures: [us/test/example], headings: ["9903.81.87"]}\n'
        '    effect: displace\n    from: "2025-03-12T00:01"\n'
        '    ref: {instrument: Heading 9903.81.87, citation: except for derivative products, url: "https://example.gov"}\n'
    )
    assert [str(i) for i in check_alternatives(load_law(root))] == []


def test_every_list_entry_has_the_digit_level_its_source_prints(settings) -> None:
    issues, checked = check_list_levels(default_law_dir(), settings.data_dir)
    assert [str(i) for i in issues] == []
    assert checked > 4000  # the entries read from the notes, annexes, FR text and USITC footnotes


def test_list_level_lint_catches_an_8_digit_entry_for_a_10_digit_line(tmp_path: Path, settings) -> None:
    root = _tree(tmp_path, MEASURE)
    lists = root / "us" / "lists"
    lists.mkdir()
    # FR 2025-15819 line 197 prints 7302.90.9000 (a statistical line), not 7302.90.90
    (lists / "wide.csv").write_text(
        "prefix,source\n73029090,FR-2025-15819-bis-inclusions.txt:197\n7302909000,FR-2025-15819-bis-inclusions.txt:197\n"
    )
    issues, checked = check_list_levels(root, settings.data_dir)
    assert checked == 2
    assert [str(i) for i in issues] == [
        "list us/wide row 2: entry 73029090 is not printed at that digit level at its source "
        "FR-2025-15819-bis-inclusions.txt:197"
    ]


def test_published_schema_matches_models() -> None:
    published = Path(__file__).resolve().parent.parent / "src" / "tariffstack" / "schema"
    for name, document in schema_documents().items():
        on_disk = json.loads((published / f"{name}.schema.json").read_text())
        assert on_disk == document, f"run `tariffstack schema` to refresh {name}.schema.json"


def test_every_list_file_traces_to_its_instrument() -> None:
    law = load_law()
    assert set(law.lists) == set(law.list_provenance)
    assert len(law.lists["us/s232_2026_annex_1a"]) == 279
    assert "7208" in law.lists["us/s232_2026_annex_1a"]
    assert "27090020" in law.lists["us/ieepa_ca_energy"]
    assert law.list_provenance["us/s232_2026_annex_1a"].instrument.startswith("Proclamation 11021")


def test_copy_of_packaged_law_loads_from_a_directory(tmp_path: Path) -> None:
    shutil.copytree(default_law_dir(), tmp_path / "law")
    assert set(load_law(tmp_path / "law").measures) == set(load_law().measures)


def test_readme_coverage_table_is_generated_from_the_law(store) -> None:
    from datetime import date

    from tariffstack.cli import COVERAGE_DATES
    from tariffstack.engine.coverage import BEGIN_MARK, END_MARK, coverage_markdown

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split(BEGIN_MARK)[1].split(END_MARK)[0].strip()
    expected = coverage_markdown(load_law(), store, [date.fromisoformat(d) for d in COVERAGE_DATES])
    assert block == expected, "run `tariffstack coverage --readme README.md`"
    semis = next(row for row in block.splitlines() if row.startswith("| `us/s232/semiconductors`"))
    assert "| 10 |" in semis  # the HTS10 lines of 8471.50, 8471.80 and 8473.30 (note 39(b)) in Sep 2025


def test_libyaml_and_pure_python_parsers_load_the_same_law(monkeypatch: pytest.MonkeyPatch) -> None:
    """The loader parses with libyaml where PyYAML has it; the whole tree must read exactly as the
    pure-Python parser (under the same strict constructors and resolvers) reads it."""
    import yaml

    from tariffstack.law import loader

    fast = load_law()
    assert issubclass(loader._StrictLoader, yaml.CSafeLoader)
    monkeypatch.setattr(loader, "_StrictLoader", loader.strict_loader(yaml.SafeLoader))
    slow = load_law()
    assert fast.measures.keys() == slow.measures.keys() and len(fast.measures) > 20
    assert {k: m.model_dump() for k, m in fast.measures.items()} == {
        k: m.model_dump() for k, m in slow.measures.items()
    }
    assert {k: r.model_dump() for k, r in fast.rules.items()} == {
        k: r.model_dump() for k, r in slow.rules.items()
    }
