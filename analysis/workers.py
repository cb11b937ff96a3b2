"""Processes that work beside ``flopmine analyze``'s own (issue 20 item 4): the Section 2 simulation and the figures.

A first analyze is mostly work that does not need the dataset, or needs only the fits: the simulation (it never
reads the dataset), importing matplotlib, and drawing about twenty independent figures. ``Helpers`` is a pool of
forked processes started *before* the dataset is read, so on an idle machine with two cores the simulation and
matplotlib's import run while analyze reads the dataset and fits, and the figures are drawn two at a time. A
``Server`` has one helper answer a stream of calls: analyze's quantile regressions, statsmodels imported first; and
run a longer job needing the same imports (the simulation: scikit-learn, like statsmodels, imports ``scipy.stats``),
answering the calls between its steps. On a busy machine, or with ``--jobs 1``, or where ``fork`` is unavailable,
every job runs in the analyze process at the moment it is submitted, one after the other, as before: the results and
the files are the same either way.

Nothing here imports matplotlib: choosing how many workers to start must not cost its import.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import queue
import sys
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from functools import partial
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
#: At most this many processes draw figures and simulate at once (``default_workers``).
MAX_WORKERS = 2
#: OpenBLAS's idle threads wait 2**this many cycles before they sleep (its documented ``OPENBLAS_THREAD_TIMEOUT``;
#: the library's own default is 2**28, about 0.1 s at 2.5 GHz, and 4 is the least it accepts).
BLAS_THREAD_TIMEOUT = 4


def idle_blas_threads_sleep() -> None:
    """Have OpenBLAS's idle threads sleep at once instead of spinning, unless the user set
    ``OPENBLAS_THREAD_TIMEOUT``. Between analyze's many small OLS fits its BLAS thread spun: a first run at 100,000
    rows took 0.5–1.1 s more CPU, a core the helpers then did not have (docs/history/performance-rounds.md, tenth
    round). Only the waiting changes, not the threads or how they split a sum, so every number is the same. OpenBLAS
    reads the variable once, when numpy loads it: this does nothing once numpy is imported."""
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", str(BLAS_THREAD_TIMEOUT))


def default_workers() -> int:
    """How many helper processes by default: one per idle core this process may use, at most ``MAX_WORKERS``, at
    least 1. A pool only saves wall time when cores are idle; on a busy machine it costs the workers' start-up and
    the pickled arguments for nothing, so everything is then done in the analyze process.

    Idle cores: the cores minus what else runs: the 1-minute load average less this process's own share of it, or
    the tasks running right now less this one (``running_now``) when fewer. The average lags by about a minute: after
    a minute of other work (a build, an earlier analyze) it stays near 1 on a machine whose cores are idle now, and
    such a machine drew its figures in one process (at load 1.0–1.1 on 2 cores; 4.98–5.48 s against 4.07 s with two
    helpers for a first run at 100,000 rows, docs/history/performance-rounds.md, sixth round). A core counts as idle
    when more than half of it is: the other work's share is a fraction (load 1.09 leaves 1.91 cores), and rounding it
    down to one core ran a first analyze in one process on a machine that was idle but for the tail of the average
    (3.83 s against 2.68–3.02 s with helpers, docs/history/performance-rounds.md, quiet after the ninth round).
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
    return max(1, min(math.ceil(cores - others - 0.5), cores, MAX_WORKERS))


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

    @property
    def started(self) -> bool:
        """Whether the workers have been forked."""
        return self._pool is not None

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


#: The servers made in this process, by ``id``: a helper forked after one was made finds it here (``_serve``).
_SERVERS: dict[int, Server[object]] = {}


class Server(Generic[T]):
    """``fn`` run by one helper on arguments sent one after another while this process goes on. Made before the
    helpers are forked (they inherit its queues; made later, or without a pool, it is this process) and closed before
    they are: a context manager inside ``Helpers``'.

    ``start`` hands it to the helpers as their next job: the first one free runs ``setup`` (an import ``fn`` needs,
    say) and then answers each ``submit`` in turn until ``close``, so ``setup`` runs once, in one process, on a core
    that would otherwise wait. ``submit`` returns at once what gives the answer (or raises ``fn``'s error) when
    called; without a helper, ``fn`` runs here when its answer is asked for. The answers are the same either way.

    ``run`` has the same helper run a longer job that needs what ``setup`` imported, answering the calls waiting
    whenever the job says it may (between its steps), so that the job does not hold up ``fn``'s answers.
    """

    def __init__(self, helpers: Helpers, fn: Callable[..., T], setup: Callable[[], object]) -> None:
        self.fn, self.setup = fn, setup
        self._helpers = helpers if helpers.pooled and not helpers.started else None
        self._job: Future[None] | None = None
        self._answers_got: dict[int, tuple[bool, object]] = {}
        self._sent = 0
        self._closed = False
        if self._helpers is not None:
            context = multiprocessing.get_context("fork")
            self._requests: multiprocessing.Queue[_Request | None] = context.Queue()
            self._answers: multiprocessing.Queue[tuple[int, bool, object]] = context.Queue()
            _SERVERS[id(self)] = self  # type: ignore[assignment]

    def start(self) -> None:
        """Hand the serving to the helpers, as their next job (after ``Helpers.start``: their ``prepare`` first)."""
        if self._helpers is not None and self._job is None and not self._closed:
            self._job = self._helpers.submit(_serve, id(self))

    def submit(self, *args: object) -> Callable[[], T]:
        if self._job is None:
            return partial(self.fn, *args)
        return partial(self._answer, self._send(None, args))

    def run(self, job: Callable[[Callable[[], None]], R]) -> Callable[[], R]:
        """``job(answer_waiting)`` in the serving helper (after ``setup``), which answers the calls waiting each time
        the job calls ``answer_waiting``; returns at once what gives the job's value (or raises its error). Without a
        helper the job runs here when its value is asked for, and ``answer_waiting`` does nothing."""
        if self._job is None:
            return partial(job, _nothing)
        return partial(self._answer, self._send(job, ()))  # type: ignore[arg-type]

    def _send(self, job: Callable[[Callable[[], None]], object] | None, args: tuple[object, ...]) -> int:
        n, self._sent = self._sent, self._sent + 1
        self._requests.put((n, job, args))
        return n

    def _answer(self, n: int) -> T:
        assert self._job is not None
        while n not in self._answers_got:
            try:
                got, ok, value = self._answers.get(timeout=0.1)
            except queue.Empty:
                if not self._job.done():
                    continue
                self._job.result()  # the helper stopped serving: its error, if any; else an answer still on its way
                try:
                    got, ok, value = self._answers.get(timeout=1.0)
                except queue.Empty:
                    raise RuntimeError("the helper serving the requests stopped before answering them") from None
            self._answers_got[got] = ok, value
        ok, value = self._answers_got.pop(n)
        if not ok:
            raise value  # type: ignore[misc]
        return value  # type: ignore[return-value]

    def close(self) -> None:
        """Nothing more will be submitted: the helper answers what it has and goes back to the pool's jobs."""
        if self._job is not None and not self._job.done() and not self._closed:
            self._requests.put(None)
        self._closed = True
        _SERVERS.pop(id(self), None)

    def __enter__(self) -> Server[T]:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


#: A request to a ``Server``'s helper: (its number, the job to run or None for ``fn``, ``fn``'s arguments).
_Request = tuple[int, "Callable[[Callable[[], None]], object] | None", tuple[object, ...]]


def _nothing() -> None:
    return None


def _serve(key: int) -> None:
    """A helper's side of a ``Server`` (inherited from the process that forked it)."""
    server = _SERVERS[key]
    server.setup()
    closed = False

    def answer(request: _Request) -> None:
        n, job, args = request
        try:
            value = server.fn(*args) if job is None else job(answer_waiting)
            answered: tuple[int, bool, object] = (n, True, value)
        except Exception as e:  # re-raised where the answer is asked for, as fn's own would be
            answered = (n, False, e)
        server._answers.put(answered)

    def answer_waiting() -> None:  # what a job calls between its steps: the calls sent meanwhile answered now
        nonlocal closed
        while not closed:
            try:
                request = server._requests.get_nowait()
            except queue.Empty:
                return
            if request is None:
                closed = True
            else:
                answer(request)

    while not closed and (request := server._requests.get()) is not None:
        answer(request)
