"""Extract many PDFs: each in a worker process with a time limit and a memory cap; bad input never
stops the batch.

>>> item = PaperInput(Path("1512.03385v1.pdf"), "1512.03385", 1)        # doctest: +SKIP
>>> extract_one(item).status                                            # doctest: +SKIP
'ok'
>>> for r in extract_many(items, workers=2): print(r.arxiv_id, r.status)  # doctest: +SKIP

Limits, in three layers:

1. ``extract_one`` arms ``signal.setitimer`` (main thread only) and checks a deadline between
   pages, so a slow PDF ends as ``timeout`` with the worker still alive;
2. each pool worker caps its address space (``RLIMIT_AS``), so a PDF that eats memory raises
   ``MemoryError`` (status ``error``) or kills only its worker;
3. the parent kills the pool when a PDF runs ``kill_grace`` seconds past its limit (stuck in C code
   where no signal reaches Python), marks it ``timeout`` and carries on with a fresh pool. A worker
   that dies (``BrokenProcessPool``) marks its PDF ``error``; the other PDFs in flight are re-run
   one at a time so the blame lands on the right file.

With ``scheduler="tcp://host:port"`` the PDFs run on a Dask cluster instead (``client.map``); there
layer 1 applies (Dask runs tasks in threads: a timer raises the timeout in the task's thread
instead of a signal), and memory is capped by the Dask workers' own ``--memory-limit``.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import logging
import logging.handlers
import multiprocessing
import os
import signal
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flopmine.errors import ConfigError, PdfError
from flopmine.ids import ArxivId, InvalidIdError, parse_id
from flopmine.stopping import exit_with_parent, finish_writes
from flopmine.store import replace_candidates
from flopmine.types import Candidate

from .pdf import DEFAULT_MAX_BYTES, DEFAULT_MAX_PAGES
from .pdfmeta import ArxivStamp, PdfMetadata, read_arxiv_stamp, read_pdf_metadata

if TYPE_CHECKING:
    from .document import Document
    from .ranking import Ranker

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 120.0  # seconds per PDF
DEFAULT_MEMORY_BYTES = 2 * 1024**3  # address-space cap per worker process
DEFAULT_KILL_GRACE = 30.0  # seconds past the limit before the parent kills a stuck worker
STATUSES = ("ok", "corrupt", "encrypted", "needs_ocr", "not_pdf", "too_large", "timeout", "error")

# Test-only fault injection (``Limits.fault``, from this variable in the parent): "<kind>:<file-name substring>", kinds:
#   crash — the worker process dies (os._exit) as if segfaulted;
#   hang  — Python-level busy wait (the alarm interrupts it);
#   stall — block SIGALRM, then sleep: only the parent's kill can end it (like a hang in C code);
#   oom   — allocate 1.5 GiB (fails under a smaller RLIMIT_AS cap, as a memory-hungry PDF would).
FAULT_ENV = "FLOPMINE_TEST_FAULT"

ProgressCallback = Callable[[int, int, str], None]


class ExtractionTimeout(BaseException):  # noqa: N818 - BaseException: library "except Exception" must not eat it
    """Raised in a worker when its PDF runs out of time."""


@dataclass(frozen=True)
class PaperInput:
    """One PDF to extract, with the metadata rules use to rank. ``problem`` marks unusable input."""

    path: Path
    arxiv_id: str
    version: int = 1
    title: str = ""
    abstract: str = ""
    benchmarks: tuple[str, ...] = ()
    problem: str = ""  # e.g. "file name is not an arXiv id": reported as status error, never read
    lazy_metadata: bool = False  # title, abstract and benchmarks are read from the store when it is run
    version_from: str = ""  # where ``version`` came from: "name" (file name or --id), "stamp" (the PDF's
    #                         arXiv stamp), "store" (harvest), "" (nowhere: 1 is assumed)


@dataclass(frozen=True)
class Limits:
    """Per-PDF limits. ``timeout`` ≤ 0 or ``memory_bytes`` ≤ 0 disables that limit."""

    timeout: float = DEFAULT_TIMEOUT
    memory_bytes: int = DEFAULT_MEMORY_BYTES
    kill_grace: float = DEFAULT_KILL_GRACE
    max_pages: int = DEFAULT_MAX_PAGES
    max_bytes: int = DEFAULT_MAX_BYTES
    model_path: str = ""  # the ranking model file ("": the one shipped with flopmine); see extract.ranking
    # test-only fault injection, read from FLOPMINE_TEST_FAULT in the parent (workers may outlive env changes)
    fault: str = field(default_factory=lambda: os.environ.get(FAULT_ENV, ""), repr=False)


@dataclass(frozen=True)
class ExtractionResult:
    """What happened to one PDF: ``status`` in ``STATUSES``, a human ``reason`` when not ok."""

    arxiv_id: str
    version: int
    path: str
    status: str
    reason: str = ""
    pages: int = 0
    seconds: float = 0.0
    candidates: tuple[Candidate, ...] = field(default=(), repr=False)
    rule_version: str = ""
    dropped: int = 0  # implausible candidates left out (see ``rules.plausible``)
    pdf_title: str = ""  # the PDF's own title (``extract.pdfmeta``), for papers the store has no title of
    benchmarks_named: tuple[str, ...] | None = None  # registry benchmarks the text names (None: not read)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def extraction_row(self) -> dict[str, object]:
        """The ``extractions`` columns for ``flopmine.store.replace_candidates``."""
        return {"status": self.status, "reason": self.reason, "pages": self.pages, "seconds": self.seconds,
                "rule_version": self.rule_version, "source_path": self.path, "pdf_title": self.pdf_title,
                "benchmarks_named": self.benchmarks_named}


def rule_version() -> str:
    from . import rules

    return rules.RULE_VERSION


def _result(item: PaperInput, status: str, reason: str = "", **kw: object) -> ExtractionResult:
    return ExtractionResult(arxiv_id=item.arxiv_id, version=item.version, path=str(item.path), status=status,
                            reason=reason, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------- one PDF


def _on_alarm(signum: int, frame: object) -> None:
    raise ExtractionTimeout()


def _inject_fault(path: Path, spec: str) -> None:
    kind, _, needle = spec.partition(":")
    if not spec or not needle or needle not in path.name:
        return
    log.warning("test fault %r injected for %s", kind, path.name)
    if kind == "crash":
        os._exit(70)
    if kind == "hang":
        while True:
            sum(range(10_000))
    if kind == "oom":
        block = bytearray(3 * 2**29)
        del block
    if kind == "stall":
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(3600)


class _ThreadAlarm:
    """``signal.setitimer`` for a thread that is not the main one (Dask runs tasks in threads).

    A timer raises ``ExtractionTimeout`` in the thread (``PyThreadState_SetAsyncExc``) at its next
    Python bytecode; like a signal, it cannot interrupt a long call inside C code.
    """

    def __init__(self, seconds: float) -> None:
        self._thread_id = threading.get_ident()
        self._lock = threading.Lock()
        self._done = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if not self._done:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._thread_id),
                                                           ctypes.py_object(ExtractionTimeout))

    def cancel(self) -> None:
        with self._lock:
            self._done = True
            self._timer.cancel()
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._thread_id), None)  # drop a pending one


def extract_one(item: PaperInput, *, limits: Limits = Limits()) -> ExtractionResult:
    """Read one PDF and run the rules. Never raises for bad input: the status says what went wrong.

    ``limits.timeout`` is enforced with ``signal.setitimer`` in the main thread, with an
    asynchronous exception in other threads (Dask), and by a deadline checked between pages.
    """
    from . import rules
    from .pdf import read_document

    if item.problem:
        return _result(item, "error", item.problem)
    start = time.perf_counter()
    deadline = start + limits.timeout if limits.timeout > 0 else None
    alarm = limits.timeout > 0 and threading.current_thread() is threading.main_thread()
    thread_alarm = _ThreadAlarm(limits.timeout) if limits.timeout > 0 and not alarm else None
    old_handler = None
    pages = 0
    if alarm:
        old_handler = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, limits.timeout)
    try:
        _inject_fault(item.path, limits.fault)
        try:
            doc = read_document(item.path, arxiv_id=item.arxiv_id, version=item.version, title=item.title,
                                abstract=item.abstract, benchmarks=item.benchmarks, max_pages=limits.max_pages,
                                max_bytes=limits.max_bytes, deadline=deadline, metadata=True)
        except PdfError:
            _pdf_title(item)  # its stamp check still logs a version mismatch
            raise
        pdf_title = _pdf_title(item, doc.pdf_meta)
        pages = doc.page_count
        found, dropped = rules.candidates_counted(doc, model=_model(limits.model_path))
        if deadline is not None and time.perf_counter() > deadline:
            raise ExtractionTimeout()
        cands = tuple(c if c.rule_version else replace(c, rule_version=rules.RULE_VERSION) for c in found)
        return _result(item, "ok", pages=pages, seconds=time.perf_counter() - start, candidates=cands,
                       rule_version=rules.RULE_VERSION, dropped=dropped, pdf_title=pdf_title,
                       benchmarks_named=named_benchmarks(doc))
    except PdfError as e:
        log.warning("%s", e)
        return _result(item, e.reason, str(e.args[0]), pages=pages, seconds=time.perf_counter() - start,
                       rule_version=rules.RULE_VERSION)
    except (ExtractionTimeout, TimeoutError):
        msg = f"took longer than the {limits.timeout:g} s limit"
        log.warning("%s: %s", item.path, msg)
        return _result(item, "timeout", msg, pages=pages, seconds=time.perf_counter() - start,
                       rule_version=rules.RULE_VERSION)
    except MemoryError:
        msg = f"ran out of memory (cap {limits.memory_bytes / 2**30:.1f} GiB per worker)"
        log.warning("%s: %s", item.path, msg)
        return _result(item, "error", msg, pages=pages, seconds=time.perf_counter() - start,
                       rule_version=rules.RULE_VERSION)
    except Exception as e:  # a bug in a rule or a library: record it, keep the batch going
        log.exception("%s: extraction failed", item.path)
        return _result(item, "error", f"{type(e).__name__}: {e}", pages=pages, seconds=time.perf_counter() - start,
                       rule_version=rules.RULE_VERSION)
    finally:
        if thread_alarm is not None:
            thread_alarm.cancel()
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old_handler)


def _pdf_title(item: PaperInput, meta: PdfMetadata | None = None) -> str:
    """The PDF's own title (``extract.pdfmeta``; "" when none is plausible), checking its arXiv stamp on the
    way. It is stored for the dataset only: the rules rank with arXiv's title (``item.title``) as before.
    ``meta``: what ``read_document(metadata=True)`` read with page 1 (else the file is opened for it)."""
    if meta is None:
        meta = read_pdf_metadata(item.path)
    if item.version_from in ("name", "store"):
        warn_version_mismatch(item.path, item.arxiv_id, item.version, meta.stamp,
                              said_by="its file name" if item.version_from == "name" else "the harvest")
    return meta.title


def named_benchmarks(doc: Document) -> tuple[str, ...]:
    """The registry benchmarks ``doc``'s text names anywhere (aliases as the rules match them), sorted: with
    the harvest's, "the paper's benchmarks" the review offers metrics of (``review.offer``)."""
    from .rules.benchmark_names import aliases_to_search

    # The names ``_benchmark_spots`` finds, without their positions: each alias pattern is searched for its
    # first match only, and not at all once its benchmark is named (the other datasets' list is never read).
    # Every page's spots were 1.5 ms/page; this is a tenth of that.
    found: set[str] = set()
    for page in doc.pages:
        for name, rx in aliases_to_search(page.text):
            if name not in found and rx.search(page.text) is not None:
                found.add(name)
    return tuple(sorted(n for n in found if not n.startswith("other:")))


def warn_version_mismatch(path: Path, arxiv_id: str, version: int, stamp: ArxivStamp | None, *,
                          said_by: str = "its file name") -> bool:
    """Log a warning naming ``path`` when its arXiv stamp gives another version of the same paper than
    ``version`` (``said_by``: the file name's or the harvest's, which wins). Returns whether they disagree."""
    if stamp is None or stamp.base != arxiv_id or stamp.version == version:
        return False
    log.warning("%s: %s says v%d but the PDF's arXiv stamp says v%d; using v%d (a file named %s would use "
                "the stamp's)", path, said_by, version, stamp.version, version,
                ArxivId(arxiv_id, stamp.version).filename())
    return True


# ---------------------------------------------------------------- the local process pool


def _model(path: str) -> Ranker | None:
    """The ranking model of ``Limits.model_path`` (read once per process), or None for the shipped one."""
    from .ranking import load_model_cached

    return load_model_cached(path) if path else None


class _ToParentLoggers(logging.Handler):
    """In the parent: hand a worker's log record to the parent's logger of the same name, so it reaches the
    CLI's handler (printed above the progress bar) and ``--log-file`` like any other message."""

    def emit(self, record: logging.LogRecord) -> None:
        logging.getLogger(record.name).handle(record)


def _init_worker(memory_bytes: int, parent_pid: int, log_queue: Any = None, log_level: int = logging.WARNING,
                 ) -> None:
    """Pool-worker initializer: exit with the parent, send log records to the parent, cap memory, leave
    Ctrl-C and SIGTERM to the parent, load the rules once."""
    import resource

    exit_with_parent(parent_pid)  # a parent killed with SIGKILL leaves no worker behind
    if log_queue is not None:
        # without this, a worker's warning goes to its stderr through logging's last resort, onto the bar
        root = logging.getLogger()
        root.handlers[:] = [logging.handlers.QueueHandler(log_queue)]
        root.setLevel(log_level)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if memory_bytes > 0:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    warm_up_rules()
    settle_gc()


# A worker allocates a few thousand container objects per page (words, boxes, tokens, candidates) and keeps
# them until the paper is done (reference counting frees them then: the collector finds little to free). The
# collector counts allocations net of frees, so past this many it runs about once per long paper: on every third
# corpus PDF, 1 collection against 91 at 10,000 (0.5 → under 0.1 ms/page; peak memory the same).
GC_YOUNG_THRESHOLD = 100_000


def settle_gc() -> None:
    """After the warm-up, move what the process holds for its lifetime (modules, spaCy, the rules, the ranker)
    out of the collector's sight (``gc.freeze``) and let the youngest generation grow to
    ``GC_YOUNG_THRESHOLD`` objects before a collection. A pool worker does this once as it starts; the bench
    does it before its in-process row. Same results (nothing here is garbage); measured on every fourth
    corpus PDF (248 pages): the collector's time 1.7–1.9 → 0.64 ms/page, none of it a full collection (at a
    young generation of 10,000; ``GC_YOUNG_THRESHOLD`` says what it is now)."""
    import gc

    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(max(_young, GC_YOUNG_THRESHOLD), middle, old)


def warm_up_rules() -> None:
    """Build what the rules build once per process (spaCy, the Matcher, pattern tables, catalogs, the shipped
    ranker) now, before any PDF's clock starts: pool workers call it as they start, the bench before it times
    ``extract_one`` in its own process."""
    from . import rules
    from .document import Document

    try:
        rules.candidates(Document.from_texts(["Trained for 1 epoch on 1 GPU."]))
    except Exception:  # a broken rule shows up, with its traceback, on the first real PDF
        log.debug("rules warm-up failed", exc_info=True)


@contextlib.contextmanager
def _safe_path() -> Iterator[None]:
    """Start helper processes with ``PYTHONSAFEPATH``: the forkserver and multiprocessing's resource tracker
    run ``python -c …``, which puts the current directory first on ``sys.path``, so a folder named
    ``flopmine/``, ``extract/`` or ``multiprocessing/`` in the working directory would be imported (and run)
    in them and in every worker."""
    old = os.environ.get("PYTHONSAFEPATH")
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PYTHONSAFEPATH", None)
        else:
            os.environ["PYTHONSAFEPATH"] = old


def _ping(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


class WorkerPool:
    """A ``ProcessPoolExecutor`` that survives crashed and stuck workers. Reusable across ``run`` calls."""

    def __init__(self, workers: int = 1, limits: Limits = Limits()) -> None:
        self.workers = max(1, int(workers))
        self.limits = limits
        self._executor: cf.ProcessPoolExecutor | None = None
        self._log_listener: logging.handlers.QueueListener | None = None

    def start(self) -> WorkerPool:
        """Start (and warm up) the worker processes now rather than on the first ``run``."""
        self._start()
        return self

    def _start(self) -> cf.ProcessPoolExecutor:
        if self._executor is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["flopmine.extract.pipeline", "flopmine.extract.pdf"])
            # Every helper process starts under PYTHONSAFEPATH: the resource tracker (spawned by the first
            # queue's semaphore, ``python -B -c …``), the forkserver and the workers.
            with _safe_path():
                if self._log_listener is None:
                    log_queue = ctx.Queue()
                    self._log_listener = logging.handlers.QueueListener(log_queue, _ToParentLoggers())
                    self._log_listener.start()
                self._executor = cf.ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=ctx, initializer=_init_worker,
                    initargs=(self.limits.memory_bytes, os.getpid(), self._log_listener.queue,
                              logging.getLogger().getEffectiveLevel()))
                # start every worker now, so a PDF's clock does not include process start-up
                warm = [self._executor.submit(_ping, 0.05) for _ in range(self.workers)]
            cf.wait(warm)
            failed = next((f.exception() for f in warm if f.exception() is not None), None)
            if failed is not None:
                self._kill()
                raise ConfigError(f"extraction worker processes cannot start: {failed}")
        return self._executor

    def worker_pids(self) -> list[int]:
        """The process ids of the running workers (none before ``start``): for measuring their CPU time."""
        ex = self._executor
        return sorted((getattr(ex, "_processes", None) or {}).keys()) if ex is not None else []

    def _kill(self) -> None:
        ex, self._executor = self._executor, None
        if ex is None:
            return
        procs = list((getattr(ex, "_processes", None) or {}).values())
        for p in procs:
            with contextlib.suppress(Exception):
                p.kill()
        ex.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            with contextlib.suppress(Exception):
                p.join(5)

    def close(self) -> None:
        ex, self._executor = self._executor, None
        if ex is not None:
            ex.shutdown(wait=True, cancel_futures=True)
        listener, self._log_listener = self._log_listener, None
        if listener is not None:
            listener.stop()  # after the workers: their last records are printed first

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, items: Iterable[PaperInput]) -> Iterator[ExtractionResult]:
        """Extract ``items``; yield each result as it completes (not in input order)."""
        limits = self.limits
        pending: deque[PaperInput] = deque(items)
        suspects: deque[PaperInput] = deque()  # in flight when a worker died: re-run one at a time
        inflight: dict[cf.Future[ExtractionResult], tuple[PaperInput, float, bool]] = {}
        hard_limit = limits.timeout + limits.kill_grace if limits.timeout > 0 else None
        try:
            while pending or suspects or inflight:
                # fill the pool: suspects run alone, everyone else up to `workers` at a time
                while not (suspects and inflight):
                    if suspects:
                        item, alone = suspects.popleft(), True
                    elif pending and len(inflight) < self.workers:
                        item, alone = pending.popleft(), False
                    else:
                        break
                    if item.problem:  # nothing to run
                        yield extract_one(item, limits=limits)
                        continue
                    try:
                        fut = self._start().submit(extract_one, item, limits=limits)
                    except BrokenProcessPool:
                        self._kill()
                        fut = self._start().submit(extract_one, item, limits=limits)
                    inflight[fut] = (item, time.monotonic(), alone)
                    if alone:
                        break
                if not inflight:
                    continue
                wait_for = 1.0
                if hard_limit is not None:
                    oldest = min(t for _, t, _ in inflight.values())
                    wait_for = max(0.05, min(wait_for, oldest + hard_limit - time.monotonic()))
                done, _ = cf.wait(list(inflight), timeout=wait_for, return_when=cf.FIRST_COMPLETED)
                broken: list[tuple[PaperInput, bool]] = []
                for fut in done:
                    item, _started, alone = inflight.pop(fut)
                    try:
                        yield fut.result()
                    except BrokenProcessPool:
                        broken.append((item, alone))
                    except Exception as e:  # pickling trouble and the like
                        log.exception("%s: worker failed", item.path)
                        yield _result(item, "error", f"{type(e).__name__}: {e}")
                if broken:
                    # every future of a broken pool fails: collect the rest of the casualties too
                    for fut in list(inflight):
                        item, _started, alone = inflight.pop(fut)
                        broken.append((item, alone))
                    self._kill()
                    if len(broken) == 1:
                        item, _alone = broken[0]
                        yield _result(item, "error", "the worker process died while reading it (crash, or over "
                                      f"the {limits.memory_bytes / 2**30:.1f} GiB memory cap)")
                    else:
                        log.warning("a worker died with %d PDFs in flight; re-running them one at a time",
                                    len(broken))
                        suspects.extend(item for item, _ in broken)
                    continue
                if hard_limit is not None:
                    now = time.monotonic()
                    late = [f for f, (_, t, _) in inflight.items() if now - t > hard_limit]
                    if late:
                        for fut in late:
                            item, started, _alone = inflight.pop(fut)
                            yield _result(item, "timeout", f"no answer {now - started:.0f} s after it started "
                                          f"(limit {limits.timeout:g} s); its worker was killed",
                                          seconds=now - started)
                        # innocent bystanders in the same pool start again
                        for fut in list(inflight):
                            item, _started, _alone = inflight.pop(fut)
                            pending.appendleft(item)
                        self._kill()
        except BaseException:
            self._kill()
            raise


# ---------------------------------------------------------------- Dask


def _dask_extract(item: PaperInput, limits: Limits) -> ExtractionResult:
    """The task run on a Dask worker thread (time limit: ``_ThreadAlarm`` and the page deadline)."""
    try:
        return extract_one(item, limits=limits)
    except ExtractionTimeout:  # the alarm fired in the instant between the work and its cancellation
        return _result(item, "timeout", f"took longer than the {limits.timeout:g} s limit")


def _extract_dask(items: Sequence[PaperInput], scheduler: str, limits: Limits) -> Iterator[ExtractionResult]:
    from distributed import Client, as_completed

    try:
        client = Client(scheduler, timeout="20s")
    except (OSError, TimeoutError, ValueError) as e:
        raise ConfigError(f"cannot reach the Dask scheduler {scheduler}: {e}") from e
    with client:
        futures = client.map(_dask_extract, list(items), limits=limits, pure=False)
        by_future = dict(zip(futures, items, strict=True))
        for fut in as_completed(futures):
            item = by_future[fut]
            try:
                yield fut.result()
            except Exception as e:  # KilledWorker (memory limit, segfault) and the like
                log.warning("%s: Dask task failed: %s", item.path, e)
                yield _result(item, "error", f"Dask worker failed: {type(e).__name__}: {e}")
            fut.release()


# ---------------------------------------------------------------- the batch


def extract_many(items: Iterable[PaperInput], *, workers: int | None = None, scheduler: str | None = None,
                 limits: Limits = Limits(), on_progress: ProgressCallback | None = None,
                 ) -> Iterator[ExtractionResult]:
    """Extract a batch of PDFs; yield one ``ExtractionResult`` per item, as each finishes.

    ``workers`` defaults to the CPU count; ``scheduler`` (``tcp://host:port``) sends the work to a
    Dask cluster instead. ``on_progress(done, total, message)`` is called after each PDF.
    """
    items = list(items)
    total = len(items)
    if scheduler:
        results: Iterator[ExtractionResult] = _extract_dask(items, scheduler, limits)
        pool = None
    else:
        pool = WorkerPool(max(1, min(workers or os.cpu_count() or 1, total)), limits)
        results = pool.run(items)
    try:
        for done, res in enumerate(results, 1):
            if on_progress is not None:
                on_progress(done, total, f"{res.arxiv_id or Path(res.path).name} {res.status}")
            yield res
    finally:
        if pool is not None:
            pool.close()


# ---------------------------------------------------------------- inputs and the store


def inputs_from_paths(paths: Sequence[Path | str], *, arxiv_id: str | None = None) -> list[PaperInput]:
    """PDFs given on the command line: files, or folders of ``<arxiv id>[vN].pdf`` files.

    The id comes from the file name (old-style ids with ``_`` for ``/``), or from ``arxiv_id`` when
    exactly one file is given. The version comes from the name too; a name without one takes the version
    of the arXiv stamp printed on the PDF's first page ("arXiv:1512.03385v6 [cs.CV] 10 Dec 2015"), else 1.
    A missing file, or one whose name is not an id, becomes an input with a ``problem`` (reported per
    file, never read, no store row). A folder without PDFs is a ``ConfigError``.

    No store is needed: title, abstract and benchmarks are left to ``run`` (``lazy_metadata``), which
    reads them from the store for the papers it extracts; the PDF's own title is read while extracting.
    """
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.suffix.lower() == ".pdf" and f.is_file())
            if not found:
                raise ConfigError(f"no PDFs found in {p}")
            files.extend(found)
        else:
            files.append(p)
    if arxiv_id and len(files) != 1:
        raise ConfigError(f"--id {arxiv_id} needs exactly one PDF, got {len(files)}")
    out: list[PaperInput] = []
    seen: dict[tuple[str, int], Path] = {}
    for f in files:
        if not f.exists():  # no id, so no store row: there is nothing to record about this paper
            out.append(PaperInput(f, "", 1, problem="no such file"))
            continue
        try:
            aid = parse_id(arxiv_id or f.stem)
        except InvalidIdError:
            out.append(PaperInput(f, "", 1, problem=f"file name {f.name!r} is not an arXiv id "
                                  "(name it like 1512.03385v2.pdf or hep-th_9901001.pdf, or pass --id)"))
            continue
        version, version_from = aid.version or 1, "name" if aid.version else ""
        if not aid.version:
            stamp = read_arxiv_stamp(f)
            if stamp is not None and stamp.base == aid.base:
                version, version_from = stamp.version, "stamp"
            elif stamp is not None:
                log.debug("%s: arXiv stamp %sv%d names another paper; version 1 assumed", f, *stamp)
        if (aid.base, version) in seen:
            out.append(PaperInput(f, aid.base, version, problem=f"same paper as {seen[aid.base, version]}"))
            continue
        seen[aid.base, version] = f
        out.append(PaperInput(f, aid.base, version, lazy_metadata=True, version_from=version_from))
    return out


def inputs_from_store(conn: sqlite3.Connection, pdf_dir: Path) -> list[PaperInput]:
    """Every harvested PDF (``pdfs.status = 'ok'``). Their metadata (title, abstract, benchmarks) is read
    by ``run`` for the ones it extracts only, so listing a large store that has nothing new stays cheap."""
    rows = conn.execute("SELECT arxiv_id, version, path FROM pdfs WHERE status = 'ok' AND path IS NOT NULL "
                        "ORDER BY arxiv_id, version")
    return [PaperInput(pdf_dir / r[2], r[0], int(r[1]), lazy_metadata=True, version_from="store") for r in rows]


def with_metadata(conn: sqlite3.Connection, item: PaperInput) -> PaperInput:
    """``item`` with its paper's title, abstract and benchmarks from the store (when it asks for them)."""
    if not item.lazy_metadata:
        return item
    row = conn.execute(
        """SELECT p.title, p.abstract,
                  (SELECT group_concat(benchmark, char(31)) FROM (SELECT benchmark FROM paper_benchmarks b
                       WHERE b.arxiv_id = ? ORDER BY benchmark)) AS benchmarks
           FROM (SELECT 1) LEFT JOIN papers p ON p.arxiv_id = ? AND p.version = ?""",
        (item.arxiv_id, item.arxiv_id, item.version)).fetchone()
    return replace(item, title=row[0] or "", abstract=row[1] or "", lazy_metadata=False,
                   benchmarks=tuple(row[2].split("\x1f")) if row[2] else ())


def already_extracted(conn: sqlite3.Connection, items: Iterable[PaperInput], version: str) -> set[tuple[str, int]]:
    """(id, version) pairs among ``items`` already extracted with rule version ``version``."""
    done = {(r[0], int(r[1])) for r in conn.execute(
        "SELECT arxiv_id, version FROM extractions WHERE rule_version = ?", (version,))}
    return {(i.arxiv_id, i.version) for i in items if (i.arxiv_id, i.version) in done}


def store_result(conn: sqlite3.Connection, result: ExtractionResult) -> int:
    """Write one paper's candidates and its ``extractions`` row in one transaction.

    A failed PDF gets its status row (and no candidates). Inputs without an id are not stored.
    """
    if not result.arxiv_id:
        return 0
    return replace_candidates(conn, result.arxiv_id, result.version, result.candidates,
                              extraction=result.extraction_row())


@dataclass
class RunSummary:
    """What one ``run`` did. ``results`` keep no candidates (they are in the store): the parent's memory
    does not grow with the candidates of a long batch."""

    results: list[ExtractionResult] = field(default_factory=list)
    skipped: int = 0  # already extracted with the current rule version
    candidate_count: int = 0

    def add(self, result: ExtractionResult) -> None:
        self.candidate_count += len(result.candidates)
        self.results.append(replace(result, candidates=()) if result.candidates else result)

    @property
    def by_status(self) -> dict[str, int]:
        counts = {s: 0 for s in STATUSES}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        return {s: n for s, n in counts.items() if n}

    @property
    def failed(self) -> list[ExtractionResult]:
        return [r for r in self.results if not r.ok]

    @property
    def candidates(self) -> int:
        return self.candidate_count

    @property
    def dropped(self) -> int:
        """Implausible candidates left out (outside their field's plausible range or units)."""
        return sum(r.dropped for r in self.results)

    @property
    def pages(self) -> int:
        return sum(r.pages for r in self.results)


def run(conn: sqlite3.Connection, items: Sequence[PaperInput], *, force: bool = False, workers: int | None = None,
        scheduler: str | None = None, limits: Limits = Limits(),
        on_progress: ProgressCallback | None = None) -> RunSummary:
    """Extract ``items`` (skipping those already done with this rule version unless ``force``) and
    store each result as it arrives — a killed run keeps every paper finished before it."""
    summary = RunSummary()
    todo = list(items)
    if not force:
        done = already_extracted(conn, todo, rule_version())
        summary.skipped = len(done)
        todo = [i for i in todo if (i.arxiv_id, i.version) not in done]
    todo = [with_metadata(conn, i) for i in todo]
    for res in extract_many(todo, workers=workers, scheduler=scheduler, limits=limits, on_progress=on_progress):
        with finish_writes():  # SIGTERM waits until this paper is stored
            store_result(conn, res)
        summary.add(res)
    return summary
