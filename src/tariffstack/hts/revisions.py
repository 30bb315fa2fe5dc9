"""The revision calendar: which HTS revision was the published schedule on a given date.

USITC publishes revisions; each change record opens with the revision's publication date. A
revision is taken to be the schedule in force from its publication date until the next one. This
calendar picks MFN rates, descriptions and valid codes for an entry date. It does **not** date any
Chapter 99 measure: legal effective dates come from the law files (copper appeared in the HTS on
1 July 2025 but took effect 1 August).
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

_FILE = re.compile(r"hts_(\d{4})_(basic|rev_(\d+))\.json\.gz$")
_RECORD = re.compile(r"(\d{4})HTS(Basic|Rev(\d+))_change_record\.txt$")
_DATE = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\s+(\d{1,2}),\s+(\d{4})\b"
)

# Revisions whose change record is not in the reference set. Each entry states its source.
PUBLICATION_OVERRIDES: dict[str, tuple[date, str]] = {
    "2026_rev_10": (
        date(2026, 6, 8),
        "No change record in the reference set; 2026 Revision 10 carries Proc. 11032 (effective "
        "12:01 a.m. EDT 8 Jun 2026 on publication). Date as in the Yale Budget Lab revision table "
        "(config/revision_dates.csv). Confidence M.",
    ),
}


@dataclass(frozen=True, order=True)
class Revision:
    """One HTS revision: ``key`` like ``2025_rev_17``; ``number`` 0 for the Basic edition."""

    year: int
    number: int
    key: str
    published: date
    source: str


def revision_key(year: int, number: int) -> str:
    return f"{year}_basic" if number == 0 else f"{year}_rev_{number}"


def parse_revision_file(path: Path) -> tuple[int, int] | None:
    m = _FILE.search(path.name)
    if not m:
        return None
    return int(m.group(1)), 0 if m.group(2) == "basic" else int(m.group(3))


def publication_date(record_text: str, year: int, number: int) -> date:
    """The first date printed in the record's heading block.

    Basic editions have no publication line; the Basic edition is in force from 1 January.
    """
    if number == 0:
        return date(year, 1, 1)
    head = " ".join(record_text.splitlines()[:8])
    m = _DATE.search(head)
    if not m:
        raise ValueError(f"no publication date in the first lines of the {year} Rev {number} change record")
    return datetime.strptime(f"{m.group(1)} {m.group(2)} {m.group(3)}", "%B %d %Y").date()


RELEASE_DATES_FILE = "release_dates.json"


def _release_dates(hts_dir: Path) -> dict[str, date]:
    """Dates the downloader recorded from the USITC release list (used when no change record)."""
    path = hts_dir / RELEASE_DATES_FILE
    if not path.exists():
        return {}
    return {key: date.fromisoformat(value) for key, value in json.loads(path.read_text()).items()}


def build_calendar(hts_dir: Path, records_dir: Path) -> list[Revision]:
    """Every revision that has a JSON file, dated from its change record or an override."""
    records: dict[tuple[int, int], Path] = {}
    if records_dir.exists():
        for path in records_dir.iterdir():
            if m := _RECORD.search(path.name):
                records[(int(m.group(1)), 0 if m.group(2) == "Basic" else int(m.group(3)))] = path
    released = _release_dates(hts_dir)
    revisions = []
    for path in sorted(hts_dir.glob("hts_*.json.gz")):
        parsed = parse_revision_file(path)
        if parsed is None:
            continue
        year, number = parsed
        key = revision_key(year, number)
        if key in PUBLICATION_OVERRIDES:
            published, source = PUBLICATION_OVERRIDES[key]
        elif number == 0:
            published, source = date(year, 1, 1), f"{year} Basic edition, in force from 1 January {year}"
        elif (year, number) in records:
            text = records[(year, number)].read_text(encoding="utf-8", errors="replace")
            published = publication_date(text, year, number)
            source = f"change record {records[(year, number)].name}"
        elif key in released:
            published, source = released[key], f"USITC release list date ({RELEASE_DATES_FILE})"
        else:
            raise ValueError(f"no change record and no override for HTS {key}: cannot date it")
        revisions.append(Revision(year, number, key, published, source))
    revisions.sort()
    for earlier, later in itertools.pairwise(revisions):
        if later.published < earlier.published:
            raise ValueError(f"HTS {later.key} is dated before {earlier.key}")
    return revisions
