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

OUT = Path(__file__).resolve().parent.parent / "src" / "tariffstack" / "jurisdictions"
_CODE = re.compile(r"^\d{4}(\.\d{2}){0,2}(\.?\d{2})?$")
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
        if not tokens or not all(_CODE.match(t) for t in tokens):
            continue
        for token in tokens:
            code = token.replace(".", "")
            if code not in seen:
                seen.add(code)
                rows.append((code, f"{text_path.name}:{number}"))
    return rows


def budgetlab_category(csv_path: Path, category: str) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    with csv_path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            if row["category"] == category:
                rows.append((row["hts8"].strip(), f"{csv_path.name}:{number}"))
    return sorted(set(rows))


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
