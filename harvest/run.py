"""``harvest.run``: query arXiv for each benchmark, record new paper versions, download their PDFs.

One run, in order:

1. take the home lock (``LockedError``, exit 75, when another run holds it) and delete partial
   downloads a killed run left behind;
2. for each benchmark, page its query newest-``updated``-first, record every new id+version (each in
   its own transaction, so a kill loses nothing recorded) and stop at the stored high-water mark;
   a complete pass moves the mark, an interrupted one (error, ``max_papers``) keeps it; a query
   with more results than arXiv serves (``result_cap``) is split by submission date until each
   slice fits, and the slices are recorded for the next run;
3. download every pending PDF, and retry earlier failures whose next attempt is due (1 h, 6 h,
   1 day, 1 week after the 1st … 4th failure; given up after the 5th; ``retry_failed`` forces them).

When arXiv gives no answer at all (no connection, or connections that time out or drop before an
answer) through one query's (or one PDF's) retries, the run stops with ``ServiceUnreachableError``
(one line: host, error, what to do) instead of trying every benchmark.

Example::

    from flopmine.config import resolve_home
    from flopmine import harvest
    report = harvest.run(resolve_home("flopmine-data"), benchmarks=["cifar10"], max_papers=50)
    print(report.new_versions, len(report.failed), report.exit_code)
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from flopmine.benchmarks import Benchmark, load_registry
from flopmine.config import Home, home_lock
from flopmine.errors import EXIT_ERROR, ConfigError, HarvestError
from flopmine.store import connect, connect_readonly
from flopmine.types import Paper

from . import state
from .client import (
    DEFAULT_NUM_RETRIES,
    DEFAULT_PAGE_SIZE,
    DEFAULT_RESULT_CAP,
    INCREMENTAL_FIRST_PAGE,
    MAX_PAGE_SIZE,
    ArxivClient,
    ServiceUnreachableError,
)
from .download import DEFAULT_MAX_BYTES, DownloadOutcome, download_pdf, remove_partials
from .state import Window

logger = logging.getLogger(__name__)

DEFAULT_LOOKBACK = timedelta(days=7)  # arXiv may index a submission days after its timestamp
DEFAULT_MAX_ATTEMPTS = state.MAX_ATTEMPTS  # failed runs before a PDF is given up
_DATE_LO = "199101010000"
_DATE_HI = "299912312359"
_ARXIV_START = date(1991, 1, 1)

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class QueryReport:
    """One benchmark's query in one run."""

    benchmark: str
    query: str
    seen: int = 0  # entries read from the feed
    new_versions: int = 0  # id+versions recorded for the first time (v2 of a known paper included)
    new_papers: int = 0  # ids never seen before
    complete: bool = False  # the pass reached the high-water mark or the end of the results
    stopped: str = ""  # "caught up", "end of results", "max-papers", "error", "over the result cap"
    error: str = ""
    slices: int = 1  # submission-date slices the query was split into (arXiv's result cap)
    total_results: int | None = field(default=None, compare=False)  # arXiv's count for the (last) query


@dataclass(frozen=True)
class HarvestReport:
    """What a run did; ``exit_code`` is 0 when every query and download succeeded, else 1."""

    queries: tuple[QueryReport, ...] = ()
    downloads: tuple[DownloadOutcome, ...] = ()
    pdfs_pending: int = 0  # still to download after the run (--no-pdf, dry run, max attempts …)
    requests: int = 0  # HTTP requests sent to arXiv (API pages + PDFs, retries included)
    partials_removed: int = 0
    dry_run: bool = False
    new_ids: tuple[str, ...] = field(default=(), compare=False)  # versioned ids recorded (or, dry run, that would be)

    @property
    def new_versions(self) -> int:
        return sum(q.new_versions for q in self.queries)

    @property
    def downloaded(self) -> tuple[DownloadOutcome, ...]:
        return tuple(d for d in self.downloads if d.ok)

    @property
    def failed(self) -> tuple[DownloadOutcome, ...]:
        return tuple(d for d in self.downloads if not d.ok)

    @property
    def api_errors(self) -> tuple[QueryReport, ...]:
        return tuple(q for q in self.queries if q.error)

    @property
    def exit_code(self) -> int:
        return EXIT_ERROR if (self.failed or self.api_errors) else 0


def select_benchmarks(registry: dict[str, Benchmark], names: Sequence[str] | None) -> list[Benchmark]:
    """The benchmarks named (case-insensitive), or every one marked for harvest; unknown names fail loudly."""
    if not names:
        return [b for b in registry.values() if b.harvest]
    by_lower = {k.lower(): v for k, v in registry.items()}
    chosen: list[Benchmark] = []
    for n in names:
        b = by_lower.get(n.strip().lower())
        if b is None:
            raise ConfigError(f"unknown benchmark {n!r}; known: {', '.join(registry)}")
        if b not in chosen:
            chosen.append(b)
    return chosen


def build_query(benchmark: Benchmark, since: date | None = None, until: date | None = None) -> str:
    """The ``search_query`` for a benchmark, limited to submission dates when asked.

    >>> b = Benchmark("x", "X", "abs:X", ("acc",), "acc")
    >>> build_query(b, date(2019, 1, 1))
    'abs:X AND submittedDate:[201901010000 TO 299912312359]'
    """
    q = benchmark.arxiv_query
    if since is None and until is None:
        return q
    lo = since.strftime("%Y%m%d0000") if since else _DATE_LO
    hi = until.strftime("%Y%m%d2359") if until else _DATE_HI
    return f"{q} AND submittedDate:[{lo} TO {hi}]"


def slice_query(benchmark: Benchmark, window: Window) -> str:
    """The ``search_query`` for one submission-date slice of a benchmark's query.

    >>> b = Benchmark("x", "X", "abs:X", ("acc",), "acc")
    >>> slice_query(b, Window(date(2019, 1, 1), date(2019, 6, 30)))
    'abs:X AND submittedDate:[201901010000 TO 201906302359]'
    """
    hi = window.hi.strftime("%Y%m%d2359") if window.hi else _DATE_HI
    return f"{benchmark.arxiv_query} AND submittedDate:[{window.lo.strftime('%Y%m%d0000')} TO {hi}]"


def _parse_ts(s: str) -> datetime | None:
    if not s:
        return None
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _in_dates(paper: Paper, since: date | None, until: date | None) -> bool:
    pub = _parse_ts(paper.published)
    if pub is None:
        return True
    d = pub.date()
    return not ((since and d < since) or (until and d > until))


@contextlib.contextmanager
def _open_store(home: Home, dry_run: bool) -> Iterator[sqlite3.Connection]:
    if dry_run:
        if home.db_path.exists():
            conn = connect_readonly(home.db_path)
        else:
            conn = connect(":memory:")
            state.ensure_schema(conn)
    else:
        home.ensure()
        conn = connect(home.db_path)
        state.ensure_schema(conn)
    try:
        yield conn
    finally:
        conn.close()


class _OverCap(Exception):
    """A query has more results than arXiv serves; its window must be split."""

    def __init__(self, total: int) -> None:
        super().__init__(total)
        self.total = total


def _harvest_query(conn: sqlite3.Connection, client: ArxivClient, bench: Benchmark, query: str, *,
                   since: date | None, until: date | None, lookback: timedelta, budget: list[int | None],
                   dry_run: bool, seen_new: set[tuple[str, int]], seen_new_ids: set[str], progress: Progress,
                   result_cap: int | None = None) -> QueryReport:
    """One pass over one query. With ``result_cap``, raises ``_OverCap`` (before recording
    anything) when arXiv reports more results than that."""
    qstate = state.get_query_state(conn, bench.name, query)
    mark = _parse_ts(qstate.high_water)
    cutoff = mark - lookback if mark else None
    since_dt = datetime(since.year, since.month, since.day, tzinfo=UTC) if since else None
    seen = new_versions = new_papers = 0
    total: int | None = None
    newest = ""
    stopped = "end of results"
    complete = True
    try:
        # a pass that will likely stop at its high-water mark asks a small first page, then full pages
        results = client.search(query, benchmarks=(bench.name,),
                                first_page_size=INCREMENTAL_FIRST_PAGE if cutoff or qstate.last_complete else None)
        for paper in results:
            total = results.total_results
            if seen == 0 and result_cap is not None and (results.total_results or 0) > result_cap:
                raise _OverCap(results.total_results or 0)
            seen += 1
            updated = _parse_ts(paper.updated)
            if updated is not None and ((cutoff and updated < cutoff) or (since_dt and updated < since_dt)):
                stopped = "caught up"
                break
            newest = max(newest, paper.updated)
            if not _in_dates(paper, since, until):
                continue
            key = (paper.arxiv_id, paper.version)
            is_new = key not in seen_new and not state.known_version(conn, *key)
            if is_new and budget[0] is not None and budget[0] <= 0:
                stopped, complete = "max-papers", False
                break
            if is_new:
                first_id = conn.execute("SELECT 1 FROM papers WHERE arxiv_id = ?",
                                        (paper.arxiv_id,)).fetchone() is None
                first_id = first_id and paper.arxiv_id not in seen_new_ids
                seen_new.add(key)
                seen_new_ids.add(paper.arxiv_id)
                new_versions += 1
                new_papers += int(first_id)
                if budget[0] is not None:
                    budget[0] -= 1
            if not dry_run:
                state.record_paper(conn, paper)
            progress(seen, 0, f"{bench.name}: {paper.versioned_id}")
    except HarvestError as e:
        if not dry_run:
            state.save_query_state(conn, bench.name, query, high_water=None, complete=False, error=str(e))
        if isinstance(e, ServiceUnreachableError):
            raise  # the run stops; its one line is the error's message
        logger.error("%s: %s", bench.name, e)
        return QueryReport(bench.name, query, seen, new_versions, new_papers, False, "error", str(e),
                           total_results=total)
    if not dry_run:
        state.save_query_state(conn, bench.name, query, high_water=newest, complete=complete)
    logger.info("%s: %d entries read, %d new version(s) (%s)", bench.name, seen, new_versions, stopped)
    return QueryReport(bench.name, query, seen, new_versions, new_papers, complete, stopped,
                       total_results=results.total_results)


def _harvest_benchmark(conn: sqlite3.Connection, client: ArxivClient, bench: Benchmark, *,
                       since: date | None, until: date | None, result_cap: int, today: date,
                       dry_run: bool, **pass_options: object) -> QueryReport:
    """One benchmark's query, split by submission date while a slice has more than ``result_cap`` results.

    A query never split runs as itself (its high-water mark is kept). Recorded slices are asked
    directly, newest first; a slice that has grown over the cap is split again. The slices (asked
    or not reached this run) are recorded for the next run.
    """
    query = build_query(bench, since, until)
    recorded = state.get_slices(conn, bench.name, query)
    split = bool(recorded)
    todo: list[Window] = list(reversed(recorded)) or [Window(since or _ARXIV_START, until)]
    asked: list[tuple[Window, int | None]] = []
    reports: list[QueryReport] = []
    while todo:
        window = todo.pop(0)
        halves = window.split(today)
        try:
            report = _harvest_query(conn, client, bench, slice_query(bench, window) if split else query,
                                    since=since, until=until, dry_run=dry_run,
                                    result_cap=result_cap if halves else None, **pass_options)  # type: ignore[arg-type]
        except _OverCap as over:
            assert halves is not None
            logger.info("%s: %d results submitted %s … %s, more than the %d arXiv serves; splitting",
                        bench.name, over.total, window.lo, window.hi or "now", result_cap)
            todo[:0] = [halves[1], halves[0]]
            split = True
            continue
        if not halves and (report.total_results or 0) > result_cap:
            logger.warning("%s: %d results submitted on %s alone; arXiv serves only %d of them", bench.name,
                           report.total_results, window.lo, result_cap)
        reports.append(report)
        asked.append((window, report.total_results))
        if report.error or report.stopped == "max-papers":
            break  # the other slices wait for the next run
    if split and not dry_run:
        state.save_slices(conn, bench.name, query, sorted(asked + [(w, None) for w in todo], key=lambda s: s[0].lo))
    return _merge(bench.name, query, reports, slices=len(asked) + len(todo) if split else 1)


def _merge(benchmark: str, query: str, reports: list[QueryReport], *, slices: int) -> QueryReport:
    """One benchmark's report from the reports of its slices (newest slice first)."""
    if len(reports) == 1 and slices == 1:
        return reports[0]
    errors = [r.error for r in reports if r.error]
    stopped = next((r.stopped for r in reports if r.stopped in ("error", "max-papers")),
                   reports[0].stopped if reports else "")
    return QueryReport(
        benchmark, query, seen=sum(r.seen for r in reports), new_versions=sum(r.new_versions for r in reports),
        new_papers=sum(r.new_papers for r in reports), complete=all(r.complete for r in reports) and bool(reports),
        stopped=stopped, error="; ".join(errors), slices=slices)


def run(home: Home, *, benchmarks: Sequence[str] | None = None, registry: Path | str | None = None,
        since: date | None = None, until: date | None = None, max_papers: int | None = None,
        download: bool = True, dry_run: bool = False, api_url: str | None = None,
        min_interval: float | None = None, page_size: int = DEFAULT_PAGE_SIZE,
        num_retries: int = DEFAULT_NUM_RETRIES, lookback: timedelta = DEFAULT_LOOKBACK,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS, max_pdf_bytes: int = DEFAULT_MAX_BYTES,
        retry_failed: bool = False, result_cap: int = DEFAULT_RESULT_CAP, api_deadline: float | None = None,
        pdf_deadline: float | None = None, client: ArxivClient | None = None,
        progress: Progress | None = None) -> HarvestReport:
    """Harvest new papers for ``benchmarks`` (default: all in the registry) into ``home``.

    ``api_url`` defaults to env ``FLOPMINE_ARXIV_API_URL``, ``min_interval`` to env
    ``FLOPMINE_MIN_INTERVAL`` (3 s), ``api_deadline`` / ``pdf_deadline`` to env
    ``FLOPMINE_API_DEADLINE`` (120 s per page) / ``FLOPMINE_PDF_DEADLINE`` (600 s per PDF).
    ``dry_run`` queries the API but writes nothing (no lock, no store changes, no PDFs).
    ``max_papers`` caps the new id+versions recorded in this run. ``page_size`` is the entries per API
    request (default and most: 2000, arXiv's limit). ``retry_failed`` tries every
    failed PDF again now, given up or not yet due. ``result_cap`` is how many results arXiv serves
    per query (a query beyond it is split by submission date).
    Raises ``LockedError`` when another run holds the home, ``ConfigError`` for bad options,
    ``ServiceUnreachableError`` when arXiv cannot be reached (the run stops there).
    """
    if max_papers is not None and max_papers < 0:
        raise ConfigError("--max-papers must be >= 0")
    if since and until and since > until:
        raise ConfigError(f"--since {since} is after --until {until}")
    if result_cap < 1:
        raise ConfigError(f"result cap must be >= 1, got {result_cap}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ConfigError(f"--page-size must be between 1 and {MAX_PAGE_SIZE} (arXiv's limit per request), "
                          f"got {page_size}")
    reg = load_registry(registry)
    chosen = select_benchmarks(reg, benchmarks)
    progress = progress or (lambda done, total, message="": None)
    lock = contextlib.nullcontext() if dry_run else home_lock(home, "harvest")
    own_client = client is None
    with lock, _open_store(home, dry_run) as conn:
        client = client or ArxivClient(api_url, page_size=page_size, num_retries=num_retries,
                                       min_interval=min_interval, api_deadline=api_deadline,
                                       pdf_deadline=pdf_deadline)
        start_requests = client.limiter.requests
        removed = [] if dry_run else remove_partials(home.pdf_dir)
        try:
            budget: list[int | None] = [max_papers]
            seen_new: set[tuple[str, int]] = set()
            seen_new_ids: set[str] = set()  # their ids: one set lookup per entry keeps a pass linear
            queries: list[QueryReport] = []
            for bench in chosen:
                query = build_query(bench, since, until)
                if budget[0] is not None and budget[0] <= 0 and queries:
                    queries.append(QueryReport(bench.name, query, stopped="max-papers"))
                    continue
                queries.append(_harvest_benchmark(conn, client, bench, since=since, until=until,
                                                  result_cap=result_cap, today=datetime.now(UTC).date(),
                                                  lookback=lookback, budget=budget, dry_run=dry_run,
                                                  seen_new=seen_new, seen_new_ids=seen_new_ids,
                                                  progress=progress))
            names = [b.name for b in chosen]
            todo = state.pending_pdfs(conn, benchmarks=names, max_attempts=max_attempts,
                                      retry_failed=retry_failed)
            outcomes: list[DownloadOutcome] = []
            if download and not dry_run:
                for i, item in enumerate(todo):
                    progress(i, len(todo), f"PDF {item.arxiv_id}v{item.version}")
                    outcome = download_pdf(client, item.arxiv_id, item.version, item.pdf_url, home.pdf_dir,
                                           max_bytes=max_pdf_bytes)
                    state.mark_pdf(conn, item.arxiv_id, item.version, ok=outcome.ok, path=outcome.path,
                                   sha256=outcome.sha256, size=outcome.size, reason=outcome.reason,
                                   count_attempt=not outcome.adopted)
                    outcomes.append(outcome)
                    progress(i + 1, len(todo), f"PDF {item.arxiv_id}v{item.version}")
            left = len(todo) - len(outcomes) + sum(1 for o in outcomes if not o.ok)
            if dry_run:
                left += len(seen_new)
            return HarvestReport(
                queries=tuple(queries), downloads=tuple(outcomes), pdfs_pending=left,
                requests=client.limiter.requests - start_requests, partials_removed=len(removed),
                dry_run=dry_run, new_ids=tuple(f"{a}v{v}" for a, v in sorted(seen_new)),
            )
        finally:
            if own_client:
                client.close()
