"""The compiled law's snapshot in the store: the same tables as a compilation, and never used for
another law or other code."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import get_args

import polars as pl

from tariffstack.engine.compile import compile_law
from tariffstack.engine.compiled import BASE_KINDS, CompiledLaw
from tariffstack.engine.snapshot import PREFIX, law_digest, load_or_compile
from tariffstack.law.loader import default_law_dir, load_law
from tariffstack.law.model import BaseKind
from tariffstack.settings import Settings


def _equal(x: object, y: object) -> bool:
    """Equal as values: frames and series by content and type, expressions by structure."""
    if isinstance(x, pl.DataFrame):
        return isinstance(y, pl.DataFrame) and x.schema == y.schema and x.equals(y)
    if isinstance(x, pl.Series):
        return isinstance(y, pl.Series) and x.dtype == y.dtype and x.equals(y)
    if isinstance(x, pl.Expr):
        return isinstance(y, pl.Expr) and x.meta.eq(y)
    if isinstance(x, dict):
        return isinstance(y, dict) and x.keys() == y.keys() and all(_equal(x[k], y[k]) for k in x)
    if isinstance(x, list | tuple):
        return (
            type(x) is type(y) and len(x) == len(y) and all(_equal(p, q) for p, q in zip(x, y, strict=True))
        )
    return x == y


def _assert_same(a: CompiledLaw, b: CompiledLaw) -> None:
    for f in dataclasses.fields(CompiledLaw):
        if f.name == "memo":
            assert getattr(b, f.name) == {}  # derived per process, never stored
        else:
            assert _equal(getattr(a, f.name), getattr(b, f.name)), f.name


class _Compiler:
    def __init__(self, law_dir: Path) -> None:
        self.law_dir, self.calls = law_dir, 0

    def __call__(self) -> CompiledLaw:
        self.calls += 1
        return compile_law(load_law(self.law_dir))


def test_a_snapshot_gives_the_tables_of_a_compilation_without_compiling(tmp_path: Path) -> None:
    law_dir = default_law_dir()
    compiler = _Compiler(law_dir)
    compiled = load_or_compile(law_dir, tmp_path, compiler)
    assert compiler.calls == 1
    assert [p.name for p in tmp_path.glob(f"{PREFIX}*")] == [f"{PREFIX}{law_digest(law_dir)}.pickle"]
    loaded = load_or_compile(law_dir, tmp_path, compiler)
    assert compiler.calls == 1  # read, not compiled
    _assert_same(compiled, loaded)


def test_a_changed_law_file_is_compiled_again_and_replaces_the_old_snapshot(tmp_path: Path) -> None:
    law_dir = tmp_path / "law"
    shutil.copytree(default_law_dir(), law_dir)
    store = tmp_path / "store"
    compiler = _Compiler(law_dir)
    load_or_compile(law_dir, store, compiler)
    before = law_digest(law_dir)
    measure = next((law_dir / "us" / "measures").rglob("*.yaml"))
    measure.write_text(measure.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert law_digest(law_dir) != before
    load_or_compile(law_dir, store, compiler)
    assert compiler.calls == 2
    assert [p.name for p in store.glob(f"{PREFIX}*")] == [f"{PREFIX}{law_digest(law_dir)}.pickle"]


def test_an_unreadable_snapshot_is_compiled_again_and_rewritten(tmp_path: Path) -> None:
    law_dir = default_law_dir()
    path = tmp_path / f"{PREFIX}{law_digest(law_dir)}.pickle"
    path.write_bytes(b"not a pickle")
    compiler = _Compiler(law_dir)
    compiled = load_or_compile(law_dir, tmp_path, compiler)
    assert compiler.calls == 1
    _assert_same(compiled, load_or_compile(law_dir, tmp_path, compiler))
    assert compiler.calls == 1


def test_a_store_that_cannot_be_written_only_costs_the_compilation(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the store directory would be")
    compiler = _Compiler(default_law_dir())
    load_or_compile(default_law_dir(), blocked / "store", compiler)
    load_or_compile(default_law_dir(), blocked / "store", compiler)
    assert compiler.calls == 2


def test_an_engine_given_a_changed_law_compiles_that_law_not_the_snapshot(engine) -> None:
    """A scenario's engine carries a changed law in hand: its tables are that law's, though the
    store holds the snapshot of the law on disk."""
    from tariffstack.analysis.scenarios import scenario_engine

    assert engine.compiled.rules.height > 0  # (the snapshot of the law on disk exists by now)
    changed = scenario_engine(engine, dataclasses.replace(engine.law, rules={}))
    assert changed.compiled.rules.height == 0
    assert changed.compiled.provisions.equals(engine.compiled.provisions)


def test_the_base_kinds_codes_are_the_models_kinds_in_order() -> None:
    # ``base_code`` is the index in BASE_KINDS; the model validates the law's ``base.kind``.
    assert get_args(BaseKind) == BASE_KINDS


_CHILD = """
import atexit, json, sys
heavy = ("yaml", "pydantic", "tariffstack.law.loader", "tariffstack.law.model", "tariffstack.engine.compile")
report = sys.argv[2]
atexit.register(lambda: open(report, "w").write(json.dumps([m for m in heavy if m in sys.modules])))
from tariffstack.main import main
sys.argv = ["tariffstack", "calc", sys.argv[1], "--compact"]
main()
"""


def test_a_calculation_from_the_snapshot_never_imports_the_yaml_reader_or_the_model(
    settings: Settings, tmp_path: Path
) -> None:
    """The cold path, as ``tariffstack calc`` runs it: with the snapshot in the store, a fresh
    process neither reads nor compiles the YAML law, so it imports neither the loader, the law's
    model, the compiler nor pydantic (typer 0.29 validates every parameter with pydantic: ~0.1 s
    of each start, hence the pin below it)."""
    load_or_compile(default_law_dir(), settings.store_dir, _Compiler(default_law_dir()))
    lines = tmp_path / "line.json"
    lines.write_text(
        json.dumps([{"hts": "7306.30.5010", "origin": "CA", "entry_date": "2025-08-10", "value": "100000"}])
    )
    loaded = tmp_path / "loaded.json"  # a file, not stderr: a warning there would not be JSON
    env = {**os.environ, "TARIFFSTACK_STORE_DIR": str(settings.store_dir)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(lines), str(loaded)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    assert json.loads(loaded.read_text()) == []
    (result,) = json.loads(done.stdout)
    # Proc. 10947: 50% on the full value (no steel value given) under 9903.81.87; MFN free.
    assert result["total_duty"] == "50000.00"
    assert [(line["heading"], line["rate"]) for line in result["lines"]] == [
        ("9903.81.87", "50%"),
        ("7306.30.5010", "Free"),
    ]
