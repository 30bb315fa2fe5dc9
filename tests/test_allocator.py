"""The allocator setting the package makes before Polars loads (see ``tariffstack/__init__.py``)."""

from __future__ import annotations

import os
import subprocess
import sys

from tariffstack import JEMALLOC_CONF

SHOW = "import tariffstack, polars, os; print(os.environ['_RJEM_MALLOC_CONF'])"


def _conf(env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", SHOW], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_a_process_that_imports_the_package_first_keeps_freed_pages_longer() -> None:
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    # Polars puts its own default first; jemalloc applies options in order, so the last wins.
    assert _conf(env) == f"dirty_decay_ms:500,muzzy_decay_ms:1000,{JEMALLOC_CONF}"


def test_a_child_of_a_process_where_polars_loaded_first_gets_it_too() -> None:
    env = {**os.environ, "_RJEM_MALLOC_CONF": "dirty_decay_ms:500,muzzy_decay_ms:1000"}
    assert _conf(env).endswith(JEMALLOC_CONF)


def test_an_explicit_setting_is_kept() -> None:
    env = {**os.environ, "_RJEM_MALLOC_CONF": "narenas:2"}
    assert _conf(env) == "dirty_decay_ms:500,muzzy_decay_ms:1000,narenas:2"
