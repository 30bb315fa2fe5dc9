"""Which provisions of the law reach one product: the product-scope rule of the law files, for one code.

The evaluator resolves scope for millions of lines at once; the product pages need it for one code
(which facts to ask, which measures to list). The rule is the same: the longest matching prefix of
a provision's include and exclude lists decides, an exclude winning at equal length, ``*`` matching
every product with length 0. The prefix index is built once per loaded law.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from tariffstack.law.loader import Law
from tariffstack.law.model import ListRef, Measure, Provision


@dataclass(frozen=True)
class Reach:
    """One provision in scope of a product, with its measure."""

    measure: Measure
    index: int  # position of the provision in its measure
    provision: Provision


def _prefixes(items: list, law: Law) -> list[str]:
    out: list[str] = []
    for item in items:
        if isinstance(item, ListRef):
            out.extend(law.lists.get(item.list, []))
        else:
            out.append("" if item == "*" else item.replace(".", ""))
    return out


def _index(law: Law) -> dict[str, list[tuple[str, int, bool]]]:
    """prefix → [(measure id, provision index, include)] over the whole law (kept on the law object)."""
    cached = law.__dict__.get("_scope_index")
    if cached is not None:
        return cached
    index: dict[str, list[tuple[str, int, bool]]] = defaultdict(list)
    for measure in law.measures.values():
        for i, prov in enumerate(measure.provisions):
            for include, items in ((True, prov.products.include), (False, prov.products.exclude)):
                for prefix in set(_prefixes(items, law)):
                    index[prefix].append((measure.id, i, include))
    law.__dict__["_scope_index"] = dict(index)
    return law.__dict__["_scope_index"]


def provisions_for(law: Law, code: str, origin: str | None, importing_country: str) -> list[Reach]:
    """Provisions whose product scope holds ``code`` (digits) and whose countries hold ``origin``
    (any origin when ``None``), in reporting order."""
    best: dict[tuple[str, int], tuple[int, bool]] = {}
    index = _index(law)
    for length in range(0, len(code) + 1):
        for measure_id, i, include in index.get(code[:length], ()):
            key = (measure_id, i)
            current = best.get(key)
            # Longer prefixes win; at equal length an exclude wins.
            if current is None or length > current[0] or (length == current[0] and not include):
                best[key] = (length, include)
    out = []
    for (measure_id, i), (_, include) in best.items():
        measure = law.measures[measure_id]
        prov = measure.provisions[i]
        if not include or measure.importing_country != importing_country:
            continue
        if origin is not None and origin not in prov.countries:
            continue
        out.append(Reach(measure, i, prov))
    return sorted(out, key=lambda r: (r.measure.reporting_order, r.measure.id, r.index))
