"""The compiled law's snapshot in the store: the same tables as a compilation, and never used for
another law or other code."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import polars as pl

from tariffstack.engine.compile import CompiledLaw, compile_law
from tariffstack.engine.snapshot import PREFIX, law_digest, load_or_compile
from tariffstack.law.loader import default_law_dir, load_law


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
