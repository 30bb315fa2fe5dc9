"""The compiled law kept in the store between processes, so a one-line ``tariffstack calc`` does
not read the law's YAML and compile it again (about 0.5 s of a cold start of 0.6–1.6 s here).

The snapshot is named by a digest of everything the compiled tables depend on: every file of the
law tree (bytes and path), the source of the code that reads and compiles it (``tariffstack.law``
and ``tariffstack.engine``), and the Python and Polars versions. Any change to any of these names
another snapshot, which is compiled from the law and written; a snapshot is never patched or
trusted under another name. A snapshot that cannot be read is compiled again; a store that cannot
be written to only costs the compilation. The store is the project's own local directory (the
same trust as its Parquet files), so the snapshot is a pickle of the compiled tables.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import platform
import tempfile
from collections.abc import Callable
from pathlib import Path

import polars as pl

from tariffstack.engine.compiled import CompiledLaw

PREFIX = "compiled-law-"
_CODE = (Path(__file__).resolve().parent, Path(__file__).resolve().parent.parent / "law")


def law_digest(law_dir: Path) -> str:
    """The digest that names the snapshot of the law under ``law_dir`` (see the module's docstring)."""
    digest = hashlib.sha256(f"python {platform.python_version()} polars {pl.__version__}".encode())
    for label, root in (("law", law_dir), *((f"code{i}", path) for i, path in enumerate(_CODE))):
        pattern = "*.py" if label.startswith("code") else "*"
        for path in sorted(p for p in root.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts):
            digest.update(f"\0{label}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def load_or_compile(law_dir: Path, store_dir: Path, compile_: Callable[[], CompiledLaw]) -> CompiledLaw:
    """The compiled law of ``law_dir``: its snapshot in ``store_dir`` if there is one, else
    ``compile_()``, whose result is then written as the snapshot (replacing older ones)."""
    path = store_dir / f"{PREFIX}{law_digest(law_dir)}.pickle"
    if path.exists():
        try:
            with path.open("rb") as handle:
                tables = pickle.load(handle)
            return CompiledLaw(**tables)
        except Exception:  # a truncated or foreign file: compiled again below, and replaced
            pass
    compiled = compile_()
    _write(path, compiled)
    return compiled


def _write(path: Path, compiled: CompiledLaw) -> None:
    tables = {f.name: getattr(compiled, f.name) for f in dataclasses.fields(compiled) if f.name != "memo"}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".snapshot-")
    except OSError:  # a store that cannot be written to: the law is compiled in each process
        return
    try:
        with os.fdopen(handle, "wb") as out:
            pickle.dump(tables, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)  # whole or not at all, for a process reading it meanwhile
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        return
    for old in path.parent.glob(f"{PREFIX}*.pickle"):
        if old != path:
            old.unlink(missing_ok=True)
