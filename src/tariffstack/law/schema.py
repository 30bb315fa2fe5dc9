"""Publish the law format as JSON Schema, generated from the pydantic models (one source of truth)."""

from __future__ import annotations

import json
from pathlib import Path

from tariffstack.law.model import ListProvenance, Measure, RuleFile

SCHEMAS = {"measure": Measure, "rules": RuleFile, "list-provenance": ListProvenance}


def schema_documents() -> dict[str, dict]:
    return {name: model.model_json_schema(by_alias=True) for name, model in SCHEMAS.items()}


def write_schemas(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in schema_documents().items():
        path = out / f"{name}.schema.json"
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written
