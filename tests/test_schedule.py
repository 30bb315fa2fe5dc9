"""The schedule store, the revision calendar, rate coverage, and the USITC downloader on local files."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import polars as pl

from tariffstack.hts.coverage import rate_coverage
from tariffstack.hts.download import download, parse_release
from tariffstack.hts.revisions import build_calendar
from tariffstack.hts.store import Store, build_store


def test_revision_calendar_from_change_records(store: Store) -> None:
    rev = dict(store.revisions.select("revision", "in_force_from").iter_rows())
    assert rev["2025_basic"] == date(2025, 1, 1)
    assert rev["2025_rev_4"] == date(2025, 3, 12)
    assert rev["2025_rev_17"] == date(2025, 8, 1)
    assert rev["2026_rev_4"] == date(2026, 2, 25)
    assert rev["2026_rev_10"] == date(2026, 6, 8)
    assert (
        store.revision_on(date(2025, 8, 15)) == "2025_rev_17"
        or store.revision_on(date(2025, 8, 15)) > "2025_rev_17"
    )


def test_store_counts(store: Store) -> None:
    assert store.revisions.height == 44
    assert store.hts10.filter(pl.col("revision") == "2026_rev_10").height >= 19_833


def test_rate_coverage_2026_rev_10(store: Store) -> None:
    report = rate_coverage(store, "2026_rev_10")
    assert report["hts10_lines"] == 19_833
    assert report["by_status"]["text"] == 3  # two watch-movement formulas and 10¢/1,000 pins + 3.5%
    assert report["structured_general_pct"] == 99.98
    assert report["computable_from_value_and_quantity_pct"] == 97.86


def test_rate_texts_with_html_markup_are_parsed(store: Store) -> None:
    """2025 Rev 14 prints 41 general rates with HTML (``2.5% <u></u>``, ``$1.13/m<sup>3</sup>``)."""
    assert rate_coverage(store, "2025_rev_14")["computable_from_value_and_quantity_pct"] == 97.84
    rev14 = store.hts10.filter(pl.col("revision") == "2025_rev_14")
    assert rev14.filter(pl.col("general_text").str.contains("<")).is_empty()
    grapes = rev14.filter(pl.col("hts10") == "0806102015").row(0, named=True)
    assert (grapes["general_status"], grapes["general_spec1_uc"], grapes["general_spec1_unit"]) == (
        "specific",
        113_000_000,
        "m3",
    )


def test_description_path_and_usmca_rate(store: Store) -> None:
    row = store.mfn.filter(pl.col("hts10") == "3923300090").row(0, named=True)
    assert row["general_text"] == "3%"
    assert row["usmca_status"] == "free"
    assert row["description"].startswith("Articles for the conveyance or packing of goods")


def test_downloader_on_local_files(tmp_path: Path, settings) -> None:
    source = settings.hts_dir / "hts_2025_rev_4.json.gz"
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        rows = json.load(handle)
    served = tmp_path / "served"
    served.mkdir()
    (served / "2025HTSBasic.json").write_bytes(
        gzip.decompress((settings.hts_dir / "hts_2025_basic.json.gz").read_bytes())
    )
    (served / "2025HTSRev4.json").write_text(json.dumps(rows))
    (served / "releaseList").write_text(
        json.dumps(
            [
                {"name": "2025HTSBasic", "releaseStartDate": "2025-01-01"},
                {"name": "2025HTSRev4", "releaseStartDate": "2025-03-12T00:00:00"},
                {"name": "2024HTSRev9"},
                {"name": "not-a-release"},
            ]
        )
    )
    dest = tmp_path / "hts"
    written = download(
        dest,
        release_list_url=(served / "releaseList").as_uri(),
        file_url_template=served.as_uri() + "/{release}.json",
    )
    assert sorted(p.name for p in written) == ["hts_2025_basic.json.gz", "hts_2025_rev_4.json.gz"]
    assert (
        download(
            dest,
            release_list_url=(served / "releaseList").as_uri(),
            file_url_template=served.as_uri() + "/{release}.json",
        )
        == []
    )  # kept, not re-fetched
    calendar = build_calendar(dest, tmp_path / "no-records")
    assert [(r.key, r.published) for r in calendar] == [
        ("2025_basic", date(2025, 1, 1)),
        ("2025_rev_4", date(2025, 3, 12)),
    ]
    counts = build_store(dest, tmp_path / "no-records", tmp_path / "store")
    assert counts["revisions"] == 2
    built = Store(tmp_path / "store")
    assert built.mfn.filter(pl.col("hts10") == "6203424511")["general_text"].to_list() == ["16.6%"]


def test_downloader_rejects_a_non_hts_payload(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    (served / "releaseList").write_text(json.dumps([{"name": "2025HTSRev4"}]))
    (served / "2025HTSRev4.json").write_text(json.dumps({"error": "not found"}))
    try:
        download(
            tmp_path / "hts",
            release_list_url=(served / "releaseList").as_uri(),
            file_url_template=served.as_uri() + "/{release}.json",
        )
    except RuntimeError as exc:
        assert "expected a JSON list of HTS rows" in str(exc)
    else:
        raise AssertionError("a non-HTS payload must be rejected")
    assert not (tmp_path / "hts" / "hts_2025_rev_4.json.gz").exists()


def test_parse_release_names() -> None:
    assert parse_release("2026HTSRev10").key == "2026_rev_10"
    assert parse_release("2025HTSBasic").number == 0
    assert parse_release("2025 Revision 4") is None
