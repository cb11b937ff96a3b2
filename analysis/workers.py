"""Processes that work beside ``flopmine analyze``'s own (issue 20 item 4): the Section 2 simulation and the figures.

A first analyze is mostly work that does not need the dataset, or needs only the fits: the simulation (it never
reads the dataset), importing matplotlib, and drawing about twenty independent figures. ``Helpers`` is a pool of
forked processes started *before* the dataset is read, so on an idle machine with two cores the simulation and
matplotlib's import run while analyze reads the dataset and fits, and the figures are drawn two at a time. On a
busy machine, or with ``--jobs 1``, or where ``fork`` is unavailable, every job runs in the analyze process at the
moment it is submitted, one after the other, as before: the results and the files are the same either way.

Nothing here imports matplotlib: choosing how many workers to start must not cost its import.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import TypeVar

T = TypeVar("T")
#: At most this many processes draw figures and simulate at once (``default_workers``).
MAX_WORKERS = 2


def default_workers() -> int:
    """How many helper processes by default: one per idle core this process may use, at most ``MAX_WORKERS``, at
    least 1. A pool only saves wall time when cores are idle; on a busy machine it costs the workers' start-up and
    the pickled arguments for nothing, so everything is then done in the analyze process.

    Idle cores: the cores minus what else runs: the 1-minute load average less this process's own share of it, or
    the tasks running right now less this one (``running_now``) when fewer. The average lags by about a minute: after
    a minute of other work (a build, an earlier analyze) it stays near 1 on a machine whose cores are idle now, and
    such a machine drew its figures in one process (at load 1.0–1.1 on 2 cores; 4.98–5.48 s against 4.07 s with two
    helpers for a first run at 100,000 rows, docs/performance.md).
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    try:
        others = os.getloadavg()[0] - 1
    except OSError:  # no load average on this system
        others = 0.0
    running = running_now()
    if running is not None:
        others = min(others, running - 1)
    return max(1, min(math.floor(cores - others), cores, MAX_WORKERS))


def running_now() -> int | None:
    """Tasks running or waiting for a core on the whole machine right now, the caller included (the fourth field of
    Linux's /proc/loadavg, "running/total"); None where there is no such file."""
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return int(f.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return None


def fresh_std_streams() -> None:
    """A worker's own stdout and stderr objects on the same file descriptors. A fork copies every lock in the state
    it had: had another thread of the parent (the CLI's progress bar) been writing to stderr at that moment, the
    inherited stream would stay locked, and the worker's flush on exit would hang the pool."""
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - lives as long as the worker
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115


def import_figures() -> None:
    """Import matplotlib and the figure code in a worker (about 0.5–0.9 s), while the analyze process reads and fits;
    its objects left to reference counting (``codes.long_lived``)."""
    from flopmine import codes

    codes.import_long_lived(f"{__package__}.figures")


def prepare_figures(dpi: int) -> None:
    """``import_figures``, then the kept figures made and drawn once (``figures.prepare_kept``): what a worker does
    while analyze reads the dataset and makes its first fit."""
    import_figures()
    from . import figures

    figures.prepare_kept(dpi)


def _start_worker(prepare: Callable[[], object] | None) -> None:
    fresh_std_streams()
    if prepare is not None:
        prepare()


class Helpers:
    """``workers`` forked processes (none when ``workers`` ≤ 1 or without ``fork``), used as a context manager.

    ``submit`` returns a ``Future``: computed by a worker, or, without workers, computed here and now. The workers
    are forked at the first ``submit`` (or ``start``); fork them early, before the process holds the dataset, so
    that forking is cheap and the dataset is not copied.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers if workers > 1 and "fork" in multiprocessing.get_all_start_methods() else 1
        self._pool: ProcessPoolExecutor | None = None
        self._closed = self.workers <= 1

    @property
    def pooled(self) -> bool:
        return not self._closed

    def start(self, prepare: Callable[[], object] | None = None) -> None:
        """Fork the workers now (no-op without a pool or once forked); each runs ``prepare`` first, in parallel."""
        if self._pool is None and not self._closed:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("fork"),
                                             initializer=_start_worker, initargs=(prepare,))
            self._pool.submit(int)  # the pool forks all its workers at its first job

    def submit(self, fn: Callable[..., T], *args: object, **kwargs: object) -> Future[T]:
        if not self._closed:
            self.start()
            assert self._pool is not None
            return self._pool.submit(fn, *args, **kwargs)
        done: Future[T] = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except BaseException as e:  # re-raised by result(), as a worker's would be
            done.set_exception(e)
        return done

    def close(self, *, cancel: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=cancel)
            self._pool = None
        self._closed = True

    def __enter__(self) -> Helpers:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close(cancel=error is not None)
