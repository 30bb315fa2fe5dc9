"""Section 232 steel and aluminum derivative lists of 2025 (HTSUS notes 16(l)-(n) and 19(i)-(k)).

The notes were rewritten by Proclamation 11021 in April 2026, so the 2025 lists are rebuilt from
three legal texts, each tranche kept apart because each has its own effective date:

* the tranche of 12:01 a.m. ET Mar 12, 2025: the HTS lines that USITC footnoted "See U.S. note 16
  (19)" in 2025 Revision 5 (the revision that published the Mar 12 notes), and for aluminum the
  note 19(i)-(k) text still printed in the 2026 Rev 6 chapter 99 notes;
* the inclusions of 12:01 a.m. EDT Aug 18, 2025: BIS notice FR 2025-15819, Annex I (codes parsed
  from the Federal Register text);
* the smaller additions of Apr 4 and Jul 1, 2025, read from the notices that made them.

Each function returns ``(name, rows, provenance)`` for ``gen_lists._write``.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from list_text import Rows

_DOTTED = re.compile(r"(?<![\d.])(\d{4}\.\d{2}(?:\.\d{2,4})?)(?![\d.]*\d)")
FR_AUG18 = "FR-2025-15819-bis-inclusions.txt"
FR_URL = "https://www.federalregister.gov/d/2025-15819"
_STAMPINGS = ("87081030", "87082921")  # note 19(i)(E)-(F): bumper and body stampings "of aluminum"
STEEL_ARTICLES_CH73 = ("7301.10", "7302.10", "7302.40", "7302.90", "7304", "7305", "7306")


def dotted_codes(path: Path, first: int, last: int, encoding: str) -> Rows:
    """Every dotted HTS code on lines ``first``-``last`` of a text (chapter 99 headings skipped)."""
    lines = path.read_text(encoding=encoding).split("\n")
    rows: Rows = []
    for number in range(first, last + 1):
        for code in _DOTTED.findall(lines[number - 1]):
            if not code.startswith("99"):
                rows.append((code.replace(".", ""), f"{path.name}:{number}"))
    return rows


def footnoted_codes(hts_json: Path, note: int) -> Rows:
    """HTS rows whose USITC footnote points to U.S. note ``note`` of chapter 99 subchapter III."""
    pattern = re.compile(rf"note {note}\b")
    rows: Rows = []
    with gzip.open(hts_json) as handle:
        schedule = json.load(handle)
    for row in schedule:
        if any(pattern.search(f.get("value", "")) for f in row.get("footnotes") or []):
            rows.append((row["htsno"].replace(".", ""), f"{hts_json.name}: footnote of {row['htsno']}"))
    return rows


def stat_line(hts_json: Path, code8: str, description: str) -> tuple[str, str]:
    """The one statistical line of ``code8`` whose description is ``description`` (e.g. "Of aluminum").

    Notes 16(l) and 19(i) name the 2020 derivative stampings by metal ("bumper stampings of aluminum
    ... described in subheading 8708.10.30"); the schedule gives each metal its own statistical line,
    so the list names that line, not the whole subheading (which would charge both metals on one good).
    """
    with gzip.open(hts_json) as handle:
        schedule = json.load(handle)
    hits = [
        row["htsno"]
        for row in schedule
        if row["htsno"].replace(".", "").startswith(code8)
        and len(row["htsno"].replace(".", "")) == 10
        and row["description"].strip().rstrip(":") == description
    ]
    if len(hits) != 1:
        raise ValueError(f"{code8}: expected one statistical line {description!r}, found {hits}")
    return hits[0].replace(".", ""), f"{hts_json.name}: {hits[0]} {description}"


def _common(title: str, instrument: str, citation: str, url: str, generated_by: str, source: str) -> dict:
    return {
        "title": title,
        "instrument": instrument,
        "citation": citation,
        "url": url,
        "generated_by": f"scripts/derivative_lists.py ({generated_by})",
        "source": source,
    }


def steel_lists(data: Path) -> list[tuple[str, Rows, dict]]:
    """Notes 16(m) and 16(n): the Mar 12 tranches (from the Rev 5 footnotes) and the Aug 18 inclusions."""
    rev5 = data / "hts" / "hts_2025_rev_5.json.gz"
    fr = data.parent / "sources" / "federal_register" / FR_AUG18
    footnoted = footnoted_codes(rev5, 16)
    ch73 = [
        r for r in footnoted if r[0].startswith("73") and not r[0].startswith(_undotted(STEEL_ARTICLES_CH73))
    ]
    outside = [r for r in footnoted if not r[0].startswith(("72", "73", "87"))]
    p10896 = "Proclamation 10896, Adjusting Imports of Steel Into the United States (Feb 10, 2025); BIS notice 90 FR 11249"
    return [
        (
            "s232_steel_deriv_m_2025_03",
            ch73,
            _common(
                "Section 232 derivative iron or steel products of chapter 73 (note 16(m), heading 9903.81.90), from Mar 12, 2025",
                p10896,
                "Proc. 10896 cl. 1-3; HTSUS ch. 99 subch. III note 16(m) as added Mar 12, 2025 (2025 Rev 4 change record)",
                "https://www.federalregister.gov/d/2025-03904",
                "footnoted_codes note 16, chapter 73, less the steel articles of note 16(j)",
                "shared/data/hts/hts_2025_rev_5.json.gz: USITC footnote 'See U.S. note 16' on chapter 73 rows",
            )
            | {
                "confidence": "M",
                "cross_check": f"{len(ch73)} codes: the chapter 73 rows footnoted to note 16 in 2025 Rev 5, less "
                "7301.10, 7302.10/.40/.90 and 7304-7306 (steel articles, note 16(j)). The note 16(m) text of 2025 "
                "was not available; the footnotes mark the provisions USITC tied to note 16 when it published "
                "the Mar 12 notes (M). The nails of note 16(l) share 7317.00.30/.55/.65 and are excluded by "
                "the 9903.81.90 provision itself. Budget Lab has no 9903.81.90 rows to compare; Expeditors' reading "
                "of the Feb 18, 2025 annex counts the same 155 chapter 73 codes (and 12 outside it).",
            },
        ),
        (
            "s232_steel_deriv_n_2025_03",
            outside,
            _common(
                "Section 232 derivative iron or steel products outside chapter 73 (note 16(n)(1), heading 9903.81.91), from Mar 12, 2025",
                p10896,
                "Proc. 10896 cl. 1-3; HTSUS ch. 99 subch. III note 16(n) as added Mar 12, 2025",
                "https://www.federalregister.gov/d/2025-03904",
                "footnoted_codes note 16, outside chapters 72, 73 and 87",
                "shared/data/hts/hts_2025_rev_5.json.gz: USITC footnote 'See U.S. note 16' outside chapters 72-73",
            )
            | {
                "confidence": "M",
                "cross_check": f"{len(outside)} codes, all first footnoted in Rev 5 (Mar 14, 2025), the revision "
                "whose change record replaces note 16(n) by a compiler's note. Budget Lab has no Mar 12 "
                "9903.81.91 rows to compare.",
            },
        ),
        (
            "s232_steel_deriv_m_2025_08",
            dotted_codes(fr, 196, 198, "utf-8"),
            _aug18(
                "iron or steel products of chapter 73 added to note 16(m) (heading 9903.81.90)",
                "Annex I A.a",
                "196-198",
            )
            | {"confidence": "H", "cross_check": "4 codes, as printed; Budget Lab has no 9903.81.90 rows."},
        ),
        (
            "s232_steel_deriv_n_2025_08",
            dotted_codes(fr, 213, 343, "utf-8"),
            _aug18(
                "iron or steel products added as note 16(n)(3) (heading 9903.81.91)", "Annex I A.b", "213-343"
            )
            | {
                "confidence": "H",
                "cross_check": "388 codes as printed. Budget Lab s232_derivative_products.csv (357 rows for "
                "9903.81.91) truncates 10-digit statistical numbers to 8 digits (e.g. 2106.90.9998 as 21069099, "
                "8482.10.50 subdivisions as 84821050), which would take in sibling lines the notice does not "
                "name; the notice's own codes are kept.",
            },
        ),
    ]


def aluminum_lists(data: Path) -> list[tuple[str, Rows, dict]]:
    """Notes 19(i)-(k): the note text of 2026 Rev 6 less the later additions, and the Aug 18 inclusions."""
    notes = data / "us_notes" / "chapter99_2026_rev_6.txt"
    fr = data.parent / "sources" / "federal_register" / FR_AUG18
    j_aug = dotted_codes(fr, 499, 500, "utf-8")
    k_aug = dotted_codes(fr, 504, 543, "utf-8")
    later = {c for c, _ in j_aug + k_aug} | {"76129010", "22030000", "9401999030", "9401999070"}
    basic = data / "hts" / "hts_2025_basic.json.gz"
    of_aluminum = {code: stat_line(basic, code, "Of aluminum") for code in _STAMPINGS}
    i_all = [
        (of_aluminum[code][0], f"{source}; {of_aluminum[code][1]}") if code in of_aluminum else (code, source)
        for code, source in dotted_codes(notes, 16839, 16860, "latin-1")
    ]
    j_mar = [r for r in dotted_codes(notes, 16862, 16867, "latin-1") if r[0] not in later]
    k_mar = [r for r in dotted_codes(notes, 16877, 16906, "latin-1") if r[0] not in later]
    k_mar.append(("9401999081", f"{FR_AUG18}:655 (listed in note 19(k) until Jun 30, 2025)"))
    p10895 = "Proclamation 10895, Adjusting Imports of Aluminum Into the United States (Feb 10, 2025); BIS notice 90 FR 11251"
    rev6 = "shared/data/us_notes/chapter99_2026_rev_6.txt"
    return [
        (
            "s232_alu_deriv_i",
            i_all,
            _common(
                "Section 232 derivative aluminum products of note 19(i) (heading 9903.85.04): stranded wire of 7614 and the 2020 stampings",
                p10895,
                "Proc. 10895 cl. 1-3; HTSUS ch. 99 subch. III note 19(i)",
                "https://www.federalregister.gov/d/2025-03905",
                "dotted_codes, chapter 99 notes lines 16839-16860; stat_line for the stampings of (E)-(F)",
                f"{rev6} lines 16839-16860",
            )
            | {
                "confidence": "H",
                "cross_check": "6 codes; Budget Lab 9903.85.04: the same 6 at 8 digits. The stampings of (E) and (F) "
                'are named "of aluminum": they are written as the statistical lines 8708.10.3030 and 8708.29.2130 '
                "(Stampings: Of aluminum, in every 2025-2026 revision), since 8708.10.30 and 8708.29.21 also hold the "
                "steel stampings of note 16(l) (.3020, .2120), other stampings and, for 8708.10.3050, a note 19(k) "
                "derivative.",
            },
        ),
        (
            "s232_alu_deriv_j_2025_03",
            j_mar,
            _common(
                "Section 232 derivative aluminum products of chapter 76 (note 19(j), heading 9903.85.07), from Mar 12, 2025",
                p10895,
                "Proc. 10895 cl. 1-3; HTSUS ch. 99 subch. III note 19(j)",
                "https://www.federalregister.gov/d/2025-03905",
                "dotted_codes, chapter 99 notes lines 16862-16867, less the Apr 4 and Aug 18, 2025 additions",
                f"{rev6} lines 16862-16867",
            )
            | {
                "confidence": "H",
                "cross_check": f"{len(j_mar)} codes: the 24 of the 2026 note less 7612.90.10 (added Apr 4, 2025) and "
                "the 4 of FR 2025-15819; every one is footnoted to note 19 in 2025 Rev 5. Expeditors' reading of the "
                "Feb 18, 2025 annex counts 18 chapter 76 codes, one fewer; the annex itself is not in the reference "
                "data, so the note text is followed (M).",
            },
        ),
        (
            "s232_alu_deriv_j_2025_08",
            j_aug,
            _aug18(
                "aluminum products of chapter 76 added to note 19(j) (heading 9903.85.07)",
                "Annex I A.e",
                "499-500",
            )
            | {"confidence": "H", "cross_check": "4 codes, as printed."},
        ),
        (
            "s232_alu_deriv_k_2025_03",
            k_mar,
            _common(
                "Section 232 derivative aluminum products outside chapter 76 (note 19(k), heading 9903.85.08), from Mar 12, 2025",
                p10895,
                "Proc. 10895 cl. 1-3; HTSUS ch. 99 subch. III note 19(k)",
                "https://www.federalregister.gov/d/2025-03905",
                "dotted_codes, chapter 99 notes lines 16877-16906, less the Apr 4, Jul 1 and Aug 18, 2025 changes",
                f"{rev6} lines 16877-16906; FR 2025-15819 Annex II C (9401.99.9081 until Jul 1, 2025)",
            )
            | {
                "confidence": "H",
                "cross_check": f"{len(k_mar)} codes: the 224 of the 2026 note less 2203.00.00 (Apr 4), 9401.99.9030/.9070 "
                "(Jul 1, replacing 9401.99.9081) and the 118 of FR 2025-15819; every one is footnoted to note 19 "
                "in 2025 Rev 5. Budget Lab's 77 undated 9903.85.08 rows are the same provisions at 8 digits.",
            },
        ),
        (
            "s232_alu_deriv_k_2025_08",
            k_aug,
            _aug18("aluminum products added to note 19(k) (heading 9903.85.08)", "Annex I A.f", "504-543")
            | {
                "confidence": "H",
                "cross_check": "118 codes as printed. Budget Lab (117 rows dated 2025-08-18) truncates statistical "
                "numbers to 8 digits and lists 7302.90.00 where the notice prints 7308.20.0035; the notice is kept.",
            },
        ),
    ]


def _aug18(what: str, annex: str, lines: str) -> dict:
    return _common(
        f"Section 232 derivative {what}, from 12:01 a.m. EDT Aug 18, 2025",
        "BIS, Adoption and Procedures of the Section 232 Steel and Aluminum Tariff Inclusions Process, "
        "90 FR 40326 (Aug 19, 2025), FR Doc. 2025-15819",
        f"FR 2025-15819 {annex} (duty on the value of the metal content)",
        FR_URL,
        f"dotted_codes, lines {lines}",
        f"shared/sources/federal_register/{FR_AUG18} lines {lines}",
    )


def _undotted(prefixes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p.replace(".", "") for p in prefixes)
