"""Generate the law's product-list files from the legal texts (or a shared list), with provenance.

Run from the repository root::

    python scripts/gen_lists.py --data ../shared/data

Each list is written to ``src/tariffstack/jurisdictions/<country>/lists/<name>.csv`` with a
``prefix`` column and a ``source`` column (file and line the entry was read from), next to a
``.provenance.yaml`` sidecar naming the instrument. The generated files are committed; this script
is how every entry traces back to its instrument. Re-running it must give byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

import yaml
from derivative_lists import aluminum_lists, steel_lists
from list_text import CODE, note_codes
from lists_2026 import pharma_lists, s122_lists, s122_more_lists, s338_aircraft_list, s338_lists

OUT = Path(__file__).resolve().parent.parent / "src" / "tariffstack" / "jurisdictions"
_LEADING_LABEL = re.compile(r"^(Steel|Aluminum|Copper)( Articles| Derivatives)?\s+")


def _write(country: str, name: str, rows: list[tuple[str, str]], provenance: dict) -> None:
    lists = OUT / country / "lists"
    lists.mkdir(parents=True, exist_ok=True)
    with (lists / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["prefix", "source"])
        writer.writerows(rows)
    with (lists / f"{name}.provenance.yaml").open("w", encoding="utf-8") as handle:
        yaml.safe_dump(provenance, handle, sort_keys=False, allow_unicode=True, width=100)
    print(f"{country}/{name}: {len(rows)} entries")


def annex_codes(text_path: Path, first_line: int, last_line: int) -> list[tuple[str, str]]:
    """Codes on the lines of an annex that hold only codes (after an optional metal label).

    Description lines (which may mention a heading, e.g. "excluding iron of heading 7203") hold
    words and are skipped whole; page numbers have fewer than four digits and never match.
    """
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    lines = text_path.read_text(encoding="latin-1").split("\n")  # the PDF text is ISO-8859-1
    for number in range(first_line, last_line + 1):
        line = _LEADING_LABEL.sub("", lines[number - 1].strip())
        tokens = line.split()
        if not tokens or not all(CODE.match(t) for t in tokens):
            continue
        for token in tokens:
            code = token.replace(".", "")
            if code not in seen:
                seen.add(code)
                rows.append((code, f"{text_path.name}:{number}"))
    return rows


def read_budgetlab_codes(path: Path) -> set[str]:
    """The digits of every code in a Budget Lab list (txt one per line, or csv first column)."""
    text = path.read_text(encoding="utf-8").splitlines()
    if path.suffix == ".csv":
        text = [line.split(",")[0] for line in text[1:]]
    return {line.strip().replace(".", "") for line in text if line.strip()}


def budgetlab_category(csv_path: Path, category: str) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    with csv_path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            if row["category"] == category:
                rows.append((row["hts8"].strip(), f"{csv_path.name}:{number}"))
    return sorted(set(rows))


def _check_same(name: str, rows: list[tuple[str, str]], other: set[str]) -> None:
    mine = {code for code, _ in rows}
    if mine != other:
        print(
            f"{name}: differs from Budget Lab: only here {sorted(mine - other)}; only there {sorted(other - mine)}"
        )


def _csv_rows(path: Path) -> list[tuple[int, dict]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(enumerate(csv.DictReader(handle), start=2))


def canada_lists(canada: Path) -> None:
    """Canada's surtax schedules from the shared files (Finance Canada lists and the Orders' schedules)."""
    sor66 = canada / "sor_2025_66_schedule_items.csv"
    before = canada / "ca_countermeasures_before_2025-09-01.csv"
    after = canada / "ca_countermeasures_effective_2025-09-01.csv"
    in_force = canada / "ca_us_surtax_in_force_2026-09-08.csv"

    def items(path: Path, keep) -> list[tuple[str, str]]:
        return sorted(
            {(r["tariff_item"].replace(".", ""), f"{path.name}:{n}") for n, r in _csv_rows(path) if keep(r)}
        )

    def provenance(
        title: str, instrument: str, citation: str, url: str, source: str, cross: str, conf: str = "H"
    ) -> dict:
        return {
            "title": title,
            "instrument": instrument,
            "citation": citation,
            "url": url,
            "generated_by": "scripts/gen_lists.py (canada_lists)",
            "source": source,
            "confidence": conf,
            "cross_check": cross,
        }

    sa_before = {c for c, _ in items(before, lambda r: r["effective_date"] == "2025-03-13")}
    sa_after = {c for c, _ in items(after, lambda r: r["effective_date"] == "2025-03-13")}
    _write(
        "ca",
        "sor_2025_66",
        items(sor66, lambda r: True),
        provenance(
            "United States Surtax Order (2025-1), schedule (25%)",
            "United States Surtax Order (2025-1), SOR/2025-66 (P.C. 2025-265), schedule",
            "SOR/2025-66 s. 3(1) and schedule",
            "https://gazette.gc.ca/rp-pr/p2/2025/2025-03-12/html/sor-dors66-eng.html",
            "shared/data/canada/sor_2025_66_schedule_items.csv (all rows)",
            "1,270 items = Finance Canada's 1,256 goods items (ca_countermeasures_before_2025-09-01.csv, dated "
            "2025-03-04) + 14 Chapter 98/99 items; the file's 'order' column says '(2025)', the title is '(2025-1)'. "
            "The Gazette schedule itself could not be read item by item (M for equality with the Gazette).",
            "M",
        ),
    )
    removed = sorted((c, f"{before.name}") for c in sa_before - sa_after)
    _write(
        "ca",
        "sa_2025_removed_2025_09_01",
        removed,
        provenance(
            "United States Surtax Order (Steel and Aluminum 2025): goods removed from 1 Sep 2025",
            "SOR/2025-95 (P.C. 2025-398), as amended from 1 Sep 2025 (Order Amending and Repealing Certain Orders Made Under the Customs Tariff (United States Surtax), Aug 29, 2025)",
            "SOR/2025-95 s. 1(1), Schedule 1 (aluminum and other goods) before 1 Sep 2025",
            "https://gazette.gc.ca/rp-pr/p2/2025/2025-03-26/html/sor-dors95-eng.html",
            "Finance Canada lists: items dated 2025-03-13 in ca_countermeasures_before_2025-09-01.csv and not in ca_countermeasures_effective_2025-09-01.csv",
            f"{len(removed)} items (of 539 before, 294 after; every kept item was in the earlier list).",
            "M",
        ),
    )
    sa_rows = [
        (n, r) for n, r in _csv_rows(in_force) if r["order"].startswith("United States Surtax Order (Steel")
    ]
    for name, rate, schedules in (
        ("sa_2025_sch1_aluminum_25", "25%", ("Schedule 1 (aluminum)",)),
        ("sa_2025_sch1_1_aluminum_50", "50%", ("Schedule 1.1 (aluminum)",)),
        ("sa_2025_sch2_steel_25", "25%", ("Schedule 2 (steel)",)),
        ("sa_2025_sch2_1_steel_50", "50%", ("Schedule 2.1 (steel)",)),
    ):
        rows = sorted(
            {
                (r["tariff_item"].replace(".", ""), f"{in_force.name}:{n}")
                for n, r in sa_rows
                if r["schedule"] in schedules
            }
        )
        _write(
            "ca",
            name,
            rows,
            provenance(
                f"United States Surtax Order (Steel and Aluminum 2025), {schedules[0]}: 25% from 13 Mar 2025, {rate} from 8 Sep 2026",
                "SOR/2025-95 as amended by SOR/2026-187 (P.C. 2026-0786)",
                "SOR/2025-95 s. 1(1), 1(1.1) as amended",
                "https://orders-in-council.canada.ca/attachment.php?attach=48944&lang=en",
                f"shared/data/canada/{in_force.name}, rows of the Steel and Aluminum order in {schedules}",
                "Schedules 1+1.1+2+2.1 (294 items) equal Finance Canada's list from 1 Sep 2025 (items dated 2025-03-13); "
                "the schedules equal the Order in Council text with 0 differences (helper check against P.C. 2026-0786).",
            ),
        )
    assert {
        c for c, _ in items(in_force, lambda r: r["order"].startswith("United States Surtax Order (Steel"))
    } == sa_after
    _write(
        "ca",
        "mv_2025",
        items(in_force, lambda r: r["order"] == "United States Surtax Order (Motor Vehicles 2025)"),
        provenance(
            "United States Surtax Order (Motor Vehicles 2025), Schedule 1 (19 tariff items)",
            "SOR/2025-118 (P.C. 2025-463), Schedule 1",
            "SOR/2025-118 s. 1, 2",
            "https://gazette.gc.ca/rp-pr/p2/2025/2025-04-23/html/sor-dors118-eng.html",
            f"shared/data/canada/{in_force.name}, Motor Vehicles rows",
            "19 items; the same 19 appear in both Finance lists (dated 2025-04-09).",
        ),
    )
    for number, rate in (("1", "15%"), ("2", "25%"), ("3", "50%")):
        _write(
            "ca",
            f"us_2026_sch{number}",
            items(
                in_force,
                lambda r, n=number: (
                    r["order"] == "United States Surtax Order (2026)" and r["schedule"] == f"Schedule {n}"
                ),
            ),
            provenance(
                f"United States Surtax Order (2026), Schedule {number} ({rate})",
                "United States Surtax Order (2026), SOR/2026-186 (P.C. 2026-0785)",
                f"SOR/2026-186 s. 1(1)({'abc'[int(number) - 1]}), Schedule {number}",
                "https://orders-in-council.canada.ca/attachment.php?attach=48943&lang=en",
                f"shared/data/canada/{in_force.name}, rows of the 2026 order, Schedule {number}",
                "Equal to the Order in Council schedules (0 differences); 21 / 172 / 142 items.",
            ),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    data: Path = args.data

    annexes = data / "us_notes" / "s232_annexes_2026_text.txt"
    _write(
        "us",
        "s232_2026_annex_1a",
        annex_codes(annexes, 1, 202),
        {
            "title": "Section 232 metals, Annex I-A (50% on full value): steel, aluminum, "
            "copper articles and derivatives",
            "instrument": "Proclamation 11021, Strengthening Actions Taken to Adjust Imports of "
            "Aluminum, Steel, and Copper (Apr 2, 2026), Annex I-A",
            "citation": "Proc. 11021 cl. 2(a) and Annex I-A; HTSUS ch. 99 subch. III note 16(c)(i)-(v)",
            "url": "https://www.federalregister.gov/presidential-documents",
            "generated_by": "scripts/gen_lists.py (annex_codes, lines 1-202 of the annex text)",
            "source": "shared/data/us_notes/s232_annexes_2026_text.txt lines 1-202",
            "confidence": "H",
            "cross_check": "279 codes = note 16(c)(i)-(v) of HTSUS 2026 Rev 6: (i) 9 + (ii) 17 + (iii) 39 + "
            "(iv) 139 + (v) 76, less 7614.10.10 which is on (ii) and (iv). Budget Lab "
            "s232_annex_products.csv (annex 1a, 240 codes): all 240 are here; it lacks the 39 "
            "steel articles of (iii) (7206-7229, 7301.10, 7302.10/.40/.90, 7304-7306), which the "
            "annex text and note 16(c)(iii) both list, so they are kept. It also tags "
            "7601, 7604-7609, 7616.99.5160/.5170 and 7614.10.10 as steel; the annex lists them "
            "as aluminum. The rate (50%) is the same, so this list keeps them; the metal label "
            "follows the annex.",
        },
    )

    annex_common = {
        "instrument": "Proclamation 11021, Strengthening Actions Taken to Adjust Imports of Aluminum, Steel, and "
        "Copper (Apr 2, 2026)",
        "url": "https://www.whitehouse.gov/presidential-actions/2026/04/strengthening-actions-taken-to-adjust-imports-of-aluminum-steel-and-copper-into-the-united-states/",
        "confidence": "H",
    }
    sections = {
        "s232_2026_annex_1a_steel_articles": (
            annex_codes(annexes, 5, 38),
            "Annex I-A steel articles, note 16(c)(iii) (the articles of headings 9903.82.02 and 9903.82.18)",
            "Proc. 11021 cl. 2(a) and Annex I-A; note 16(c)(iii)",
            "lines 5-38",
            "39 codes, the count of note 16(c)(iii) in HTSUS 2026 Rev 6.",
        ),
        "s232_2026_annex_1a_aluminum_articles": (
            annex_codes(annexes, 127, 132),
            "Annex I-A aluminum articles, note 16(c)(i) (the articles of headings 9903.82.02 and 9903.82.19)",
            "Proc. 11021 cl. 2(a) and Annex I-A; note 16(c)(i)",
            "lines 127-132",
            "9 codes, the count of note 16(c)(i).",
        ),
        "s232_2026_annex_1a_derivatives": (
            annex_codes(annexes, 39, 126) + annex_codes(annexes, 133, 146),
            "Annex I-A steel and aluminum derivatives, notes 16(c)(ii) and (iv) (U.S.-metal heading 9903.82.06)",
            "Proc. 11021 cl. 2(c) and Annex I-A; notes 16(c)(ii), 16(c)(iv), 16(e)",
            "lines 39-126 and 133-146",
            "139 steel and 17 aluminum derivative codes (7614.10.10 is on both), the counts of notes 16(c)(iv) and (ii).",
        ),
        "s232_2026_annex_1b": (
            annex_codes(annexes, 203, 512),
            "Annex I-B (25%): steel and aluminum derivatives and copper articles, notes 16(c)(vi)-(viii) (heading 9903.82.09)",
            "Proc. 11021 cl. 3 and Annex I-B; notes 16(c)(vi)-(viii)",
            "lines 203-512",
            "388 distinct codes (410 entries), identical to notes 16(c)(vi) 105 + (vii) 301 + (viii) 4 of HTSUS 2026 Rev 6 "
            "(compared code by code in a helper session).",
        ),
        "s232_2026_annex_3": (
            annex_codes(annexes, 685, 722),
            "Annex III (temporary reduction to a 15% floor until Dec 31, 2027): notes 16(c)(ix)-(x) (headings 9903.82.07, .10)",
            "Proc. 11021 cl. 5 and Annex III; notes 16(c)(ix)-(x), 16(f)",
            "lines 685-722",
            "47 distinct codes (48 entries: 8424.89.90 is on both): (ix) 13 aluminum and (x) 35 steel derivatives, identical to the note.",
        ),
    }
    for name, (rows, title, citation, lines, check) in sections.items():
        _write(
            "us",
            name,
            rows,
            {
                "title": f"Section 232 metals 2026: {title}",
                **annex_common,
                "citation": citation,
                "generated_by": f"scripts/gen_lists.py (annex_codes, annex text {lines})",
                "source": f"shared/data/us_notes/s232_annexes_2026_text.txt {lines}",
                "cross_check": check,
            },
        )
    motorcycle = [row for row in sections["s232_2026_annex_1b"][0] if row[0].startswith(("84", "85", "87"))]
    _write(
        "us",
        "s232_2026_motorcycle_parts",
        list(dict(motorcycle).items()),
        {
            "title": "Section 232 metals 2026: annex I-B codes in chapters 84, 85 and 87, which heading 9903.82.13 "
            "(parts for manufacturing motorcycles) can cover",
            **annex_common,
            "citation": "heading 9903.82.13; note 16(g); Annex II note (motorcycle parts of Annex I-B)",
            "generated_by": "scripts/gen_lists.py (Annex I-B codes in chapters 84, 85, 87)",
            "source": "shared/data/us_notes/s232_annexes_2026_text.txt lines 203-512",
            "cross_check": "Derived from the Annex I-B list; from Jun 8, 2026 the same rule reads on the Rev 10 lists.",
        },
    )
    low_metal = [
        row
        for row in sections["s232_2026_annex_1b"][0] + sections["s232_2026_annex_3"][0]
        if not row[0].startswith(("72", "73", "74", "76"))
    ]
    _write(
        "us",
        "s232_2026_low_metal_eligible",
        list(dict(low_metal).items()),
        {
            "title": "Section 232 metals 2026: Annex I-B and III codes outside chapters 72, 73, 74 and 76, which "
            "heading 9903.82.03 (metal under 15% of the weight) can cover",
            **annex_common,
            "citation": "heading 9903.82.03; note 16(c) (the weight rule does not apply to chapters 72, 73, 74, 76)",
            "generated_by": "scripts/gen_lists.py (Annex I-B and III codes not in chapters 72-74, 76)",
            "source": "shared/data/us_notes/s232_annexes_2026_text.txt lines 203-512 and 685-722",
            "cross_check": "Derived from the two lists above; every Annex I-A code is in chapters 72-76, so I-A has none.",
        },
    )

    notes = data / "us_notes" / "chapter99_2026_rev_6.txt"
    budgetlab = data / "lists" / "budgetlab"
    copper = [r for r in annex_codes(annexes, 147, 195) if r[0].startswith("74")]
    copper += [r for r in annex_codes(annexes, 506, 506) if r[0].startswith("8544")]
    _check_same("copper", copper, read_budgetlab_codes(budgetlab / "s232_copper_products.csv"))
    _write(
        "us",
        "s232_copper_2025",
        copper,
        {
            "title": "Section 232 copper: semi-finished copper products and intensive copper derivatives "
            "(HTSUS note 36(b), 2025)",
            "instrument": "Proclamation 10962, Adjusting Imports of Copper Into the United States (Jul 30, 2025), "
            "Annex (HTSUS ch. 99 subch. III note 36(b))",
            "citation": "Proc. 10962 cl. 1 and Annex; CSMS 65794272",
            "url": "https://www.whitehouse.gov/presidential-actions/2025/07/adjusting-imports-of-copper-into-the-united-states/",
            "generated_by": "scripts/gen_lists.py (annex_codes: lines 147-195 codes 74xx, line 506 codes 8544)",
            "source": "shared/data/us_notes/s232_annexes_2026_text.txt (Annex I-A copper articles and Annex I-B "
            "8544.42/.49), which restate note 36(b): the Proclamation's own annex is two images",
            "confidence": "H",
            "cross_check": "80 codes (76 in ch. 74, 8544.42.10/.20/.90, 8544.49.10), identical to Budget Lab "
            "s232_copper_products.csv and to note 16(c)(v)+(viii) of HTSUS 2026 Rev 6; note 36(b) was never "
            "amended (change records: only 36(a) modified).",
        },
    )
    vehicles = note_codes(notes, 35344, 35349)
    _write(
        "us",
        "s232_autos_vehicles",
        vehicles,
        {
            "title": "Section 232 automobiles and light trucks (HTSUS note 33(b))",
            "instrument": "Proclamation 10908, Adjusting Imports of Automobiles and Automobile Parts Into the "
            "United States (Mar 26, 2025); HTSUS ch. 99 subch. III note 33(b)",
            "citation": "Proc. 10908 cl. 1 and Annex; note 33(b)",
            "url": "https://www.whitehouse.gov/presidential-actions/2025/03/adjusting-imports-of-automobiles-and-autombile-parts-into-the-united-states/",
            "generated_by": "scripts/gen_lists.py (note_codes, chapter 99 notes lines 35344-35349)",
            "source": "shared/data/us_notes/chapter99_2026_rev_6.txt lines 35344-35349",
            "confidence": "M",
            "cross_check": "17 eight-digit codes. The note's lead-in changed in 2025 (deal headings) but no change "
            "to the list was found; the 2026 Rev 6 list is taken to equal the Apr 3, 2025 list (M).",
        },
    )
    parts = note_codes(notes, 35444, 35487)
    _check_same("auto parts", parts, read_budgetlab_codes(budgetlab / "s232_auto_parts.txt"))
    _write(
        "us",
        "s232_auto_parts",
        parts,
        {
            "title": "Section 232 automobile parts (HTSUS note 33(g))",
            "instrument": "Proclamation 10908 as amended (Apr 29, 2025); Commerce notice of parts (90 FR 14705); "
            "HTSUS ch. 99 subch. III note 33(g)",
            "citation": "Proc. 10908 cl. 1; note 33(g)",
            "url": "https://www.whitehouse.gov/presidential-actions/2025/04/amendments-to-adjusting-imports-of-automobiles-and-automobile-parts-into-the-united-states/",
            "generated_by": "scripts/gen_lists.py (note_codes, chapter 99 notes lines 35444-35487)",
            "source": "shared/data/us_notes/chapter99_2026_rev_6.txt lines 35444-35487",
            "confidence": "M",
            "cross_check": "130 entries, identical to Budget Lab s232_auto_parts.txt. A correction of note 33(g) "
            "retroactive to May 3, 2025 (2025 Rev 30 change record) could not be read; the 2026 Rev 6 list is "
            "used for the whole period (M). Bare 8471 is on the legal list.",
        },
    )

    wood = {
        "s232_wood_softwood": ((36099, 36103), "softwood timber and lumber, note 37(b) (heading 9903.76.01)"),
        "s232_wood_upholstered": (
            (36125, 36128),
            "upholstered wooden products, note 37(d) (heading 9903.76.02)",
        ),
        "s232_wood_cabinets": (
            (36162, 36164),
            "kitchen cabinets and vanities and their parts, note 37(f) (heading 9903.76.03)",
        ),
    }
    for name, ((first, last), title) in wood.items():
        _write(
            "us",
            name,
            note_codes(notes, first, last),
            {
                "title": f"Section 232 timber and lumber: {title}",
                "instrument": "Proclamation 10976, Adjusting Imports of Timber, Lumber, and Their Derivative Products Into the United States (Sep 29, 2025), Annexes; HTSUS ch. 99 subch. III note 37",
                "citation": "Proc. 10976 cl. 1-3; note 37(b), (d), (f); CSMS 66492057",
                "url": "https://www.whitehouse.gov/presidential-actions/2025/09/adjusting-imports-of-timber-lumber-and-their-derivative-products-into-the-united-states/",
                "generated_by": f"scripts/gen_lists.py (note_codes, chapter 99 notes lines {first}-{last})",
                "source": f"shared/data/us_notes/chapter99_2026_rev_6.txt lines {first}-{last}",
                "confidence": "H",
                "cross_check": "Identical (same codes, same order) to tracker_2026/s232_wood_note37_products.csv; 22 codes over the three lists.",
            },
        )
    mhdv = {
        "s232_mhdv_vehicles": (
            (36279, 36285),
            "medium- and heavy-duty vehicles, note 38(b) (heading 9903.74.01)",
            "",
        ),
        "s232_mhdv_parts": (
            (36374, 36419),
            "medium- and heavy-duty vehicle parts, note 38(i) (heading 9903.74.08)",
            "s232_mhd_parts.txt",
        ),
    }
    for name, ((first, last), title, budget_file) in mhdv.items():
        rows = note_codes(notes, first, last)
        if budget_file:
            _check_same(name, rows, read_budgetlab_codes(budgetlab / budget_file))
        _write(
            "us",
            name,
            rows,
            {
                "title": f"Section 232 {title}",
                "instrument": "Proclamation 10984, Adjusting Imports of Medium- and Heavy-Duty Vehicles, Medium- and Heavy-Duty Vehicle Parts, and Buses Into the United States (Oct 17, 2025), Annexes; HTSUS ch. 99 subch. III note 38",
                "citation": "Proc. 10984 cl. 1; note 38(b), (i); 90 FR 48451",
                "url": "https://www.whitehouse.gov/presidential-actions/2025/10/adjusting-imports-of-medium-and-heavy-duty-vehicles-medium-and-heavy-duty-vehicle-parts-and-buses-into-the-united-states/",
                "generated_by": f"scripts/gen_lists.py (note_codes, chapter 99 notes lines {first}-{last})",
                "source": f"shared/data/us_notes/chapter99_2026_rev_6.txt lines {first}-{last}",
                "confidence": "H",
                "cross_check": "38(i): 182 codes, identical to Budget Lab s232_mhd_parts.txt; 167 of them also prefix-match note 33(g) auto parts. 38(b): 25 codes; tracker_2026 heading prefixes wrongly mark these vehicles USMCA-exempt (only parts are).",
            },
        )

    for name, rows, provenance in (
        steel_lists(data)
        + aluminum_lists(data)
        + s122_lists(data)
        + s122_more_lists(data)
        + s338_lists(data)
        + s338_aircraft_list(data)
        + pharma_lists(data)
    ):
        _write("us", name, rows, provenance)

    canada_lists(data / "canada")

    fentanyl = data / "lists" / "budgetlab" / "fentanyl_carveout_products.csv"
    _write(
        "us",
        "ieepa_ca_energy",
        budgetlab_category(fentanyl, "energy_ca"),
        {
            "title": "Energy and energy resources, and critical minerals, of Canada at 10% "
            "(heading 9903.01.13)",
            "instrument": "Executive Order 14197 (Mar 2, 2025) sec. 2; HTSUS ch. 99 subch. III note 2(k), "
            "heading 9903.01.13",
            "citation": "EO 14197; EO 14156 sec. 8(a) (definition of energy); CBP CSMS 64297449",
            "url": "https://www.federalregister.gov/d/2025-03775",
            "generated_by": "scripts/gen_lists.py (budgetlab_category energy_ca)",
            "source": "shared/data/lists/budgetlab/fentanyl_carveout_products.csv, category energy_ca (HTS8)",
            "confidence": "M",
            "cross_check": "CBP's own energy list spreadsheets (CSMS 64472173, 64514918, 65054354) "
            "could not be retrieved; the Budget Lab list is used as published. Crude oil 2709.00.20 and "
            "natural gas 2711 are in it, as the EO's definition requires.",
            "note": "Potash is not on this list: it paid 25% under 9903.01.10 until 9903.01.15 took effect "
            "on Mar 7, 2025 (EO 14231 sec. 2(b)).",
        },
    )


if __name__ == "__main__":
    main()
