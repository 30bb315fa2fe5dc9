"""Product lists of the 2026 measures: the Section 122 annex exemptions and the Section 338 lists.

Each function returns ``(name, rows, provenance)`` for ``gen_lists._write``.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from list_text import Rows, note_codes

S122_URL = (
    "https://www.whitehouse.gov/presidential-actions/2026/02/"
    "imposing-a-temporary-import-surcharge-to-address-fundamental-international-payments-problems/"
)
S338_URL = (
    "https://www.whitehouse.gov/presidential-actions/2026/07/imposing-additional-duties-to-offset-canadian-"
    "discrimination-against-the-commerce-of-the-united-states-with-respect-to-{slug}/"
)


def s122_lists(data: Path) -> list[tuple[str, Rows, dict]]:
    """Note 2(aa)(ii): the annex products exempt from the Section 122 surcharge (heading 9903.03.03)."""
    notes = data / "us_notes" / "chapter99_2026_rev_6.txt"
    rows = note_codes(notes, 14829, 15087)
    budgetlab = data / "lists" / "budgetlab" / "s122_exempt_products.csv"
    with budgetlab.open(encoding="utf-8", newline="") as handle:
        theirs = {row[0].replace(".", "").strip() for row in list(csv.reader(handle))[1:] if row}
    mine = {code for code, _ in rows}
    return [
        (
            "s122_annex_exempt",
            rows,
            {
                "title": "Section 122 surcharge: products exempt under HTSUS note 2(aa)(ii) (heading 9903.03.03)",
                "instrument": "Proclamation 11012 of Feb 20, 2026, Imposing a Temporary Import Surcharge To "
                "Address Fundamental International Payments Problems, Annex I para. 2",
                "citation": "Proc. 11012 cl. 1-2; HTSUS ch. 99 subch. III note 2(aa)(ii)",
                "url": S122_URL,
                "generated_by": "scripts/lists_2026.py (note_codes, chapter 99 notes lines 14829-15087)",
                "source": "shared/data/us_notes/chapter99_2026_rev_6.txt lines 14829-15087",
                "confidence": "H",
                "cross_check": f"{len(rows)} codes ({len(mine)} distinct), incl. energy of chapter 27 and potash "
                f"3104.20.00. Budget Lab s122_exempt_products.csv ({len(theirs)} codes) is the union of "
                f"(aa)(ii), the particular articles of (aa)(iii) and the civil aircraft of (aa)(iv), plus "
                f"9031.49.70, which the note does not list; {len(mine - theirs)} of these codes are not in it.",
            },
        )
    ]


def s122_more_lists(data: Path) -> list[tuple[str, Rows, dict]]:
    """Notes 2(aa)(iii) (particular articles, 9903.03.04) and 2(aa)(iv) (civil aircraft, 9903.03.05)."""
    notes = data / "us_notes" / "chapter99_2026_rev_6.txt"
    lines = notes.read_text(encoding="latin-1").split("\n")
    block = lines[15088:15118]  # lines 15089-15118; a code may follow "subheading" on the next line
    codes = re.findall(r"subheading\s+(\d{4}\.\d{2}\.\d{2})", " ".join(block))
    particular = [
        (
            code.replace(".", ""),
            f"{notes.name}:{15089 + next(i for i, line in enumerate(block) if code in line)}",
        )
        for code in codes
    ]
    aircraft = note_codes(notes, 15127, 15262)
    common = {
        "instrument": "Proclamation 11012 of Feb 20, 2026, Imposing a Temporary Import Surcharge, Annex I",
        "url": S122_URL,
        "confidence": "H",
    }
    return [
        (
            "s122_particular_articles",
            particular,
            {
                "title": "Section 122 surcharge: subheadings of the particular articles of note 2(aa)(iii) (heading "
                "9903.03.04; only the article described, e.g. etrogs, acai, goods for religious purposes)",
                **common,
                "citation": "heading 9903.03.04; note 2(aa)(iii)(1)-(11)",
                "generated_by": "scripts/lists_2026.py (s122_more_lists: 'subheading NNNN.NN.NN', lines 15089-15118)",
                "source": "shared/data/us_notes/chapter99_2026_rev_6.txt lines 15089-15118",
                "cross_check": f"{len(particular)} subheadings, one per particular article (11 in the note).",
            },
        ),
        (
            "s122_civil_aircraft",
            aircraft,
            {
                "title": "Section 122 surcharge: civil aircraft provisions of note 2(aa)(iv) (heading 9903.03.05, "
                "general note 6 goods only)",
                **common,
                "citation": "heading 9903.03.05; note 2(aa)(iv)",
                "generated_by": "scripts/lists_2026.py (note_codes, chapter 99 notes lines 15127-15262)",
                "source": "shared/data/us_notes/chapter99_2026_rev_6.txt lines 15127-15262",
                "cross_check": f"{len(aircraft)} codes, the count of note 2(aa)(iv) in HTSUS 2026 Rev 6 (546).",
            },
        ),
    ]


def s338_lists(data: Path) -> list[tuple[str, Rows, dict]]:
    """Notes 51(b)(1)-(3): the products of Canada under headings 9903.03.12-.14 from Aug 22, 2026."""
    path = data / "lists" / "budgetlab" / "s338_products.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        table = list(enumerate(csv.DictReader(handle), start=2))
    specs = {
        "alcohol": ("s338_alcohol", "9903.03.12", "(b)(1)", "11046", "alcoholic beverages"),
        "dairy": ("s338_dairy", "9903.03.13", "(b)(2)", "11047", "dairy"),
        "motor_vehicles": ("s338_motor_vehicles", "9903.03.14", "(b)(3)", "11048", "motor vehicles"),
    }
    out = []
    for program, (name, heading, sub, number, topic) in specs.items():
        rows = [
            (row["hts8"].replace(".", "").strip(), f"{path.name}:{line}")
            for line, row in table
            if row["program"] == program
        ]
        out.append(
            (
                name,
                rows,
                {
                    "title": f"Section 338 duty on products of Canada ({topic}), note 51{sub}, heading {heading}, "
                    "as in force from Aug 22, 2026",
                    "instrument": f"Proclamation {number} of Jul 20, 2026, Imposing Additional Duties To Offset "
                    f"Canadian Discrimination Against the Commerce of the United States With Respect to {topic.title()}, "
                    "Annex II; date moved by Proclamation 11056 of Aug 18, 2026",
                    "citation": f"Proc. {number} cl. 1 and Annex II; HTSUS ch. 99 subch. III note 51{sub} (2026 Rev 17)",
                    "url": S338_URL.format(slug=topic.replace(" ", "-")),
                    "generated_by": f"scripts/lists_2026.py (s338_lists, program {program})",
                    "source": f"shared/data/lists/budgetlab/s338_products.csv, program {program}",
                    "confidence": "M",
                    "cross_check": f"{len(rows)} codes, the count of note 51{sub} as established Aug 22, 2026 (HTS "
                    "Rev 17, read in a stored public copy). The lists were changed from Sep 15, 2026 "
                    "(Procs. 11064/11065: (b)(1) to 101 codes, (b)(3) to 513) and those texts are not in the "
                    "reference data, so the measure stops being verified on Sep 14, 2026.",
                },
            )
        )
    return out


def s338_aircraft_list(data: Path) -> list[tuple[str, Rows, dict]]:
    """Note 51(d): civil aircraft provisions exempt from the Section 338 duties (heading 9903.03.16)."""
    path = data / "lists" / "budgetlab" / "s338_gn6_exempt_products.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [
            (row[0].replace(".", "").strip(), f"{path.name}:{line}")
            for line, row in enumerate(csv.reader(handle), start=1)
            if line > 1 and row
        ]
    return [
        (
            "s338_civil_aircraft",
            rows,
            {
                "title": "Section 338 duties on Canada: civil aircraft provisions of note 51(d) (heading 9903.03.16, "
                "general note 6 goods only, not unmanned aircraft)",
                "instrument": "Proclamations 11046-11048 of Jul 20, 2026, cl. 2; HTSUS ch. 99 subch. III note 51(d) (2026 Rev 17)",
                "citation": "note 51(d); heading 9903.03.16",
                "url": S338_URL.format(slug="motor-vehicles"),
                "generated_by": "scripts/lists_2026.py (s338_aircraft_list)",
                "source": "shared/data/lists/budgetlab/s338_gn6_exempt_products.csv",
                "confidence": "M",
                "cross_check": f"{len(rows)} codes: the Section 122 civil-aircraft list of note 2(aa)(iv) less unmanned aircraft "
                "(8806) plus 8108.90.60, 8471, 8517.13/.62 and 8528.52 provisions, consistent with the note 51(d) wording; "
                "the Rev 17 note text was read only in part in a stored public copy (M).",
            },
        )
    ]


def pharma_lists(data: Path) -> list[tuple[str, Rows, dict]]:
    """Note 40(c): patented pharmaceuticals and ingredients under headings 9903.04.60-.69 (Jul 31, 2026)."""
    path = data / "lists" / "tracker_2026" / "s232_pharma_products.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [
            (row["hts10"].strip(), f"{path.name}:{line}")
            for line, row in enumerate(csv.DictReader(handle), start=2)
        ]
    return [
        (
            "s232_pharma_2026_07",
            rows,
            {
                "title": "Section 232 pharmaceuticals: patented pharmaceutical articles and ingredients, note 40(c) "
                "as established Jul 31, 2026",
                "instrument": "Proclamation 11020 of Apr 2, 2026, Adjusting Imports of Pharmaceuticals and "
                "Pharmaceutical Ingredients Into the United States, Annex I; HTSUS ch. 99 subch. III note 40(c) (Rev 14)",
                "citation": "Proc. 11020 cl. 1-3; note 40(c)",
                "url": "https://www.whitehouse.gov/presidential-actions/2026/04/adjusting-imports-of-pharmaceuticals-and-pharmaceutical-ingredients-into-the-united-states/",
                "generated_by": "scripts/lists_2026.py (pharma_lists)",
                "source": "shared/data/lists/tracker_2026/s232_pharma_products.csv",
                "confidence": "H",
                "cross_check": f"{len(rows)} ten-digit lines, identical to note 40(c) of HTS 2026 Rev 14 (compared with "
                "a stored public copy of the Rev 14 note text). From Sep 29, 2026 (Rev 20) the note lists 149 lines: "
                "3004.20.0083, 3004.32.0060, 3004.39.0055 and 3004.90.9225 removed (encoded in the measure), some lines "
                "split and 14 statistical numbers added that are not in the reference schedule (not encoded).",
            },
        )
    ]
