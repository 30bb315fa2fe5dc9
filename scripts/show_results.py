"""Print `tariffstack calc` JSON (from stdin) as a short duty-stack summary, one block per line."""

from __future__ import annotations

import json
import sys


def main() -> None:
    for result in json.load(sys.stdin):
        ident = f"{result.get('entry_number', '')} line {result.get('line_number', result['line'])}"
        if result["error"]:
            print(f"{ident}: ERROR {result['error']['message']}")
            continue
        print(
            f"{ident}: HTS {result['hts']} entered {result['entry_date']} ET - {result['description'][:70]}"
        )
        for line in result["lines"]:
            print(
                f"    {line['heading']:<14} {line['rate']:>10} x {line['base']:>12} = {line['amount']:>12}"
                f"   {line['reference']['citation'][:60]}"
            )
        print(
            f"    total duty {result['total_duty']} (effective {result['effective_rate']}%), "
            f"owed after the IEEPA ruling {result['owed_duty']}, refundable {result['refundable']}"
        )


if __name__ == "__main__":
    main()
