"""Reading HTS codes out of the legal texts (Chapter 99 notes, annexes), shared by the list generators."""

from __future__ import annotations

import re
from pathlib import Path

Rows = list[tuple[str, str]]
CODE = re.compile(r"^\d{4}(\.\d{2}){0,2}(\.?\d{2})?$")
# The PDF text sometimes runs a page's running head into the first grid line of the next page.
_RUNNING_HEAD = "U.S. Notes (con.)"


def note_codes(text_path: Path, first_line: int, last_line: int) -> Rows:
    """Codes from lines of the Chapter 99 notes text that hold only codes (a note's list grid).

    A running head glued to a grid line ("U.S. Notes (con.)   2714.10.00 ...") is dropped first.
    """
    rows: Rows = []
    lines = text_path.read_text(encoding="latin-1").split("\n")
    for number in range(first_line, last_line + 1):
        tokens = lines[number - 1].replace(_RUNNING_HEAD, "").split()
        if tokens and all(CODE.match(t) for t in tokens):
            rows.extend((t.replace(".", ""), f"{text_path.name}:{number}") for t in tokens)
    return rows
