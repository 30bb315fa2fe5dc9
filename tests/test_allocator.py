"""The allocator setting the ``tariffstack`` command makes for ``batch`` before Polars loads."""

from __future__ import annotations

import os
import subprocess
import sys

from tariffstack.main import BATCH_JEMALLOC_CONF, POLARS_JEMALLOC_CONF, prepare

SHOW = (
    "import os, sys; from tariffstack.main import prepare; prepare(sys.argv, os.environ); "
    "import polars; print(os.environ['_RJEM_MALLOC_CONF'])"
)


def _loaded(args: list[str], conf: str | None) -> str:
    """The setting Polars loads with, in a fresh process run as ``tariffstack ARGS``."""
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    if conf is not None:
        env["_RJEM_MALLOC_CONF"] = conf
    cmd = [sys.executable, "-c", SHOW, *args]  # argv[0] is "-c"; the args follow as argv[1:]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout.strip()


def test_a_batch_run_keeps_freed_pages_longer() -> None:
    # Polars puts its own default first; jemalloc applies options in order, so the last wins.
    assert _loaded(["batch", "in.csv"], None) == f"{POLARS_JEMALLOC_CONF},{BATCH_JEMALLOC_CONF}"
    # Inherited from a parent where Polars loaded first: replaced as well.
    assert _loaded(["batch"], POLARS_JEMALLOC_CONF).endswith(BATCH_JEMALLOC_CONF)


def test_other_commands_and_explicit_settings_are_left_alone() -> None:
    assert _loaded(["serve"], None) == POLARS_JEMALLOC_CONF
    assert _loaded(["batch"], "narenas:2") == f"{POLARS_JEMALLOC_CONF},narenas:2"


def test_prepare_only_touches_batch() -> None:
    env: dict[str, str] = {}
    prepare(["tariffstack", "calc", "x.json"], env)
    assert env == {}
    prepare(["tariffstack", "batch", "x.csv"], env)
    assert env == {"_RJEM_MALLOC_CONF": BATCH_JEMALLOC_CONF}
