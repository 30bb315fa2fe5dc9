"""tariffstack: Canada–U.S. tariff stacks, with the law as data and one vectorized evaluation path."""

import os

__version__ = "0.1.0"

# Polars allocates through jemalloc and, on import, sets it to hand freed pages back to the kernel
# after 0.5-1 s (``dirty_decay_ms:500,muzzy_decay_ms:1000``). A batch run allocates and frees
# gigabytes per chunk, so its pages went back and were faulted in again: 42 of 182 CPU-seconds of
# a 10,000,000-line run were kernel time. Keeping freed pages for 30 s cut that to 8 s and the run
# from 107 to 84-90 s here, for about 0.7 GB more peak memory (bench/README.md). (jemalloc's
# background purging thread made no measurable difference, so it is not started.) jemalloc reads
# the setting when Polars loads, so it takes effect in a process that imports this package first
# (the ``tariffstack`` command, and the processes it starts, such as Dask workers, which inherit
# it); an explicit ``_RJEM_MALLOC_CONF`` is kept.
JEMALLOC_CONF = "dirty_decay_ms:30000,muzzy_decay_ms:30000"
POLARS_JEMALLOC_CONF = "dirty_decay_ms:500,muzzy_decay_ms:1000"  # what Polars sets when none is given
if os.environ.get("_RJEM_MALLOC_CONF", POLARS_JEMALLOC_CONF) == POLARS_JEMALLOC_CONF:
    os.environ["_RJEM_MALLOC_CONF"] = JEMALLOC_CONF
