"""Strict YAML loading of the law tree.

YAML is read with a loader that rejects duplicate keys and keeps every scalar a string unless it
is plainly a number/bool/list (no date guessing: ``2025-03-04`` stays a string). A measure's id
must equal its path under ``measures/``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tariffstack.law.location import default_law_dir
from tariffstack.law.model import ListProvenance, Measure, RuleFile


class LawError(ValueError):
    """A law file that does not load; the message names the file and the problem."""


# libyaml's parser where PyYAML was built with it (the wheels are), the pure-Python one otherwise:
# the same safe constructors and resolvers either way, and the law tree loads several times faster.
_SAFE_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise LawError(f"duplicate key {key!r} at line {key_node.start_mark.line + 1}")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


def strict_loader(base: type) -> type:
    """A loader on ``base`` (``CSafeLoader`` or ``SafeLoader``) that rejects duplicate keys and
    leaves dates as strings (the timestamp resolver dropped: the models parse them)."""
    loader = type("StrictLoader", (base,), {})
    loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)
    loader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return loader


_StrictLoader = strict_loader(_SAFE_BASE)


def load_yaml(path: Path) -> object:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_StrictLoader)
    except (yaml.YAMLError, LawError) as exc:
        raise LawError(f"{path}: {exc}") from exc


@dataclass
class Law:
    """All measures, precedence rules and product lists of the law tree."""

    root: Path
    measures: dict[str, Measure] = field(default_factory=dict)
    rules: dict[str, RuleFile] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    list_provenance: dict[str, ListProvenance] = field(default_factory=dict)
    measure_paths: dict[str, Path] = field(default_factory=dict)

    def measures_for(self, country: str) -> list[Measure]:
        return [m for m in self.measures.values() if m.importing_country == country]


def _load_model(model: type, path: Path):
    from pydantic import ValidationError

    data = load_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise LawError(f"{path}: {exc}") from exc


def load_law(root: Path | None = None) -> Law:
    """Load ``<root>/<country>/{measures,rules,lists}``; raise :class:`LawError` on any problem."""
    root = root or default_law_dir()
    law = Law(root=root)
    for country_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")):
        country = country_dir.name
        for path in sorted((country_dir / "measures").rglob("*.yaml")):
            if path.name == "index.yaml":
                continue
            measure: Measure = _load_model(Measure, path)
            expected = f"{country}/" + path.relative_to(country_dir / "measures").with_suffix("").as_posix()
            if measure.id != expected:
                raise LawError(f"{path}: id {measure.id!r} does not match its path {expected!r}")
            law.measures[measure.id] = measure
            law.measure_paths[measure.id] = path
        for path in (
            sorted((country_dir / "rules").glob("*.yaml")) if (country_dir / "rules").exists() else []
        ):
            law.rules[f"{country}/{path.stem}"] = _load_model(RuleFile, path)
        lists_dir = country_dir / "lists"
        for path in sorted(lists_dir.glob("*.csv")) if lists_dir.exists() else []:
            name = f"{country}/{path.stem}"
            with path.open(encoding="utf-8", newline="") as handle:
                reader = csv.DictReader(handle)
                if not reader.fieldnames or "prefix" not in reader.fieldnames:
                    raise LawError(f"{path}: a list file needs a 'prefix' column")
                law.lists[name] = [row["prefix"].replace(".", "").strip() for row in reader]
            sidecar = path.with_suffix(".provenance.yaml")
            if sidecar.exists():
                law.list_provenance[name] = _load_model(ListProvenance, sidecar)
    return law
