"""Chunks computed on a few threads, results handed back in input order.

A chunk's computation is a few hundred Polars operations; many of them run on one core (a small
group-by, a string column of one chunk, the Python between operations), so with one chunk at a
time a two-core machine idles a good part of a run. Polars releases the GIL while it computes, so
two chunks in flight keep both cores busy (10M-line batch: see ``bench/README.md``). Results come
back in the order of the inputs, whatever order the threads finish in; at most ``workers`` chunks
are being computed at once, and one more item is queued, so a thread that finishes while the
caller is still busy with an earlier result starts the next item at once instead of waiting for
the caller (memory holds the chunks being computed, the finished ones not yet taken, and the one
the caller is using).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


def ordered_map(fn: Callable[[In], Out], items: Iterable[In], workers: int) -> Iterator[Out]:
    """``fn`` of each item, in the items' order, computed on up to ``workers`` threads.

    With one worker, ``fn`` runs in the caller's thread (no pool). An error in ``fn`` is raised
    where its result is taken, in order. When the caller stops early (an error of its own, or the
    generator closed), the items not yet started are cancelled and the ones running are let finish
    before the threads stop, so no thread outlives the run."""
    if workers < 1:
        raise ValueError(f"workers: {workers} is not a positive number of threads")
    if workers == 1:
        yield from map(fn, items)
        return
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tariffstack-chunk")
    pending: deque[Future[Out]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) > workers:  # the threads are busy and one item waits for the first free one
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True)
