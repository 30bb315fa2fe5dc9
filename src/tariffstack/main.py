"""The ``tariffstack`` command's entry point: process settings that must precede Polars, then the CLI.

Polars allocates through jemalloc and, on import, sets it to hand freed pages back to the kernel
after 0.5-1 s (``dirty_decay_ms:500,muzzy_decay_ms:1000``). A batch run allocates and frees
gigabytes per chunk, so its pages went back and were faulted in again: 42 of 182 CPU-seconds of a
10,000,000-line run were kernel time. Keeping freed pages for 30 s cut that to 8 s and the run from
107 to 84-95 s here, for about 0.7 GB more peak memory (bench/README.md). jemalloc reads the setting
when Polars loads, so it is made here, before the CLI imports Polars, and only for ``batch`` (whose
Dask workers, started from it, inherit it): for the web server, runs at 100 requests a second did
not show it helping. An explicit ``_RJEM_MALLOC_CONF`` is kept as given.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping, Sequence

BATCH_JEMALLOC_CONF = "dirty_decay_ms:30000,muzzy_decay_ms:30000"
POLARS_JEMALLOC_CONF = "dirty_decay_ms:500,muzzy_decay_ms:1000"  # what Polars sets when none is given


def prepare(argv: Sequence[str], environ: MutableMapping[str, str]) -> None:
    """Set the allocator for a ``batch`` run unless the environment already chose one (a value
    equal to Polars' own default is one inherited from a process where Polars loaded: replaced)."""
    if list(argv[1:2]) != ["batch"]:
        return
    if environ.get("_RJEM_MALLOC_CONF", POLARS_JEMALLOC_CONF) == POLARS_JEMALLOC_CONF:
        environ["_RJEM_MALLOC_CONF"] = BATCH_JEMALLOC_CONF


def main() -> None:
    prepare(sys.argv, os.environ)
    from tariffstack.cli import app  # imports Polars: after the allocator is set

    app()
