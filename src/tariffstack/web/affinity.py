"""The CPUs the web server's threads run on: one while it answers small requests, all while a
batch file or a scenario runs.

Why: a one-line calculation is a few hundred Polars operations, and each hands its work to a
thread of Polars' pool. On this project's machine (two virtual CPUs) waking a pool thread that
sleeps on the *other* CPU costs ~100 µs, the wake-up going through the hypervisor, against a few µs
when it sleeps on the caller's CPU: a join of one row takes ~155 µs with the threads free to run
anywhere and ~45 µs with all of them on one CPU. So the server keeps every thread of its process
on one CPU while it answers small requests (``Engine.calc`` of one line, p50 33 → 19–21 ms; of 100
lines, 61 → 42–48 ms; up to ~5,000 lines no slower), and lets them run on every CPU while a large job
runs (:meth:`Affinity.wide`: a batch file or a scenario, which use both CPUs).

Linux only (``os.sched_setaffinity`` on each thread of ``/proc/self/task``); elsewhere, or with one
CPU, nothing changes. Threads started later inherit the mask of the thread that starts them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec

TASKS = Path("/proc/self/task")
P = ParamSpec("P")


def supported() -> bool:
    """Whether this system lets a process move its threads between CPUs (Linux)."""
    return hasattr(os, "sched_setaffinity") and TASKS.is_dir()


def thread_cpus() -> dict[int, set[int]]:
    """The CPUs each thread of this process may run on (thread id → CPUs)."""
    found = {}
    for entry in TASKS.iterdir():
        try:
            found[int(entry.name)] = os.sched_getaffinity(int(entry.name))
        except (ProcessLookupError, OSError):  # the thread ended meanwhile
            continue
    return found


def _apply(cpus: set[int]) -> None:
    """Every thread of the process on ``cpus``; a thread that cannot be moved stays where it is
    (the policy is a matter of speed, never of results)."""
    for tid in thread_cpus():
        try:
            os.sched_setaffinity(tid, cpus)
        except (ProcessLookupError, OSError):  # ended meanwhile, or not ours to move
            continue


class Affinity:
    """One CPU for every thread of the process, except while :meth:`wide` blocks run."""

    def __init__(self, narrow: bool = True) -> None:
        self.enabled = narrow and supported()
        self.all = os.sched_getaffinity(0) if supported() else set()
        self.one = {min(self.all)} if self.all else set()
        self._wide = 0
        self._lock = threading.Lock()

    @property
    def current(self) -> set[int]:
        """The CPUs the calling thread may run on now, as the kernel says (empty where unknown)."""
        return os.sched_getaffinity(0) if supported() else set()

    def start(self) -> None:
        """Put every thread of the process on one CPU (once the engine's threads exist)."""
        with self._lock:
            if self.enabled and not self._wide:
                _apply(self.one)

    @contextmanager
    def wide(self) -> Iterator[None]:
        """Every thread on every CPU while this block (a large job) runs; back to one CPU after
        the last such block ends."""
        with self._lock:
            self._wide += 1
            if self.enabled and self._wide == 1:
                _apply(self.all)
        try:
            yield
        finally:
            with self._lock:
                self._wide -= 1
                if self.enabled and not self._wide:
                    _apply(self.one)

    def widened(self, work: Callable[P, None]) -> Callable[P, None]:
        """``work`` run inside :meth:`wide`: what a job pool runs for a batch file or a scenario."""

        def run(*args: P.args, **kwargs: P.kwargs) -> None:
            with self.wide():
                work(*args, **kwargs)

        return run
