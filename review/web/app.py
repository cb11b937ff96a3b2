"""The Starlette app behind ``flopmine review serve``.

Routes:

- ``GET /`` (``?at=<candidate id>``): the current candidate (default: the first pending one), its
  page image with the evidence box, snippet, proposed value, the other candidates for its field,
  and progress. Server-rendered with Jinja2 autoescaping: text from a PDF is never markup.
- ``GET /page/<candidate id>.png``: the candidate's PDF page, rendered once and cached on disk.
- ``POST /api/decide`` JSON ``{candidate_id, decision, corrected_value?, note?, expected?}``:
  validated and stored by the ``review`` library (the same path as ``flopmine review import``)
  before the response is sent. ``expected`` is the decision the page showed ("" = pending): when
  another tab decided meanwhile, the answer is 409 and nothing changes.
- ``POST /api/undo``: withdraws this session's latest decision, or every reject of its latest "not reported"
  close, or puts back the rename it replaced when the latest was a rename.
- ``POST /api/close`` JSON ``{candidate_id}``: "not reported", rejects every pending candidate of the
  candidate's field in its paper (``review.slots.close_fields``); one undo withdraws them all.
- ``POST /api/decide`` may also carry ``model``: the model box. A name other than the candidate's
  retargets its fact (a ``correct``, as an edited model cell of a review CSV); the box offers the
  paper's known model names (``review.renames.paper_models``).
- ``POST /api/rename`` JSON ``{candidate_id, model}``: renames the candidate's model in its whole
  paper (``review.renames.rename_model``), for every fact and candidate under that name.
- ``POST /api/add`` JSON ``{candidate_id, field, value, page?, model?, benchmark?, unit?, note?}``: adds
  a fact the extractor missed to the candidate's paper (validated as an ``add`` row; undo withdraws it).

Every POST passes the checks of ``review.web.security`` (Fetch metadata, Origin, JSON body,
per-session CSRF token); the ``Host`` header must be one the server was bound to.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flopmine.config import Home
from flopmine.errors import FlopmineError, PdfError, ReviewError
from flopmine.ids import ArxivId
from flopmine.store import connect
from flopmine.types import FIELDS, Candidate

from ..apply import ApplyReport
from ..export import pdf_link
from ..renames import RenameReport, paper_models, rename_model, renamed_model, undo_rename
from ..slots import DEFAULT_TOP, SlotKey, close_fields
from ..store import cached_decision, cached_renames, refresh_renames, resolve_benchmark
from . import backend
from .pages import DEFAULT_SCALE, PageImage, box_percent, page_cache_path, pdf_title, render_page
from .security import (
    CSRF_HEADER,
    SESSION_COOKIE,
    HostAllowList,
    Session,
    Sessions,
    check_csrf,
    check_fetch_metadata,
)
from .walk import LazyWalk, Walk

log = logging.getLogger(__name__)

DECISIONS = ("accept", "reject", "correct")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
MAX_BODY = 64 * 1024  # bytes; a decision is a few hundred
MAX_TEXT = 2000  # characters of a corrected value or note
EAGER_CANDIDATES = 2000  # stores up to this many candidates are walked whole before the first page (< 0.5 s)
COUNT_PAUSE = 0.02  # seconds the background count waits before looking again whether a request is served
STOP_WAIT = 10.0  # seconds the server's shutdown waits for each background thread to end
MAX_DECIDE_ATTEMPTS = 5  # reads of the walk when other writers keep changing the annotations meanwhile

_SECURITY_HEADERS = {
    # No inline script, no framing, nothing fetched from elsewhere.
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
                               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@dataclass
class _Server:
    """What the routes share: the home, the scope, sessions and the decision lock."""

    home: Home
    benchmark: str | None
    reviewer: str
    scale: float
    sessions: Sessions = field(default_factory=Sessions)
    # One decision at a time in this process: read state → validate → store is one critical section.
    decide_lock: threading.Lock = field(default_factory=threading.Lock)
    templates: jinja2.Environment = field(default_factory=lambda: _templates())
    keepalive: sqlite3.Connection | None = None

    def connect(self) -> sqlite3.Connection:
        return connect(self.home.db_path)

    # The walk is cached while neither the candidates nor the annotations change; checking the key
    # costs a few stats and reads no candidate row. A large store's walk is built paper by paper
    # (``LazyWalk``): the first page reads one paper, and the store-wide counts come from a background
    # pass after it, which yields to every request (``busy``) and keeps only a count per paper.
    _cache: tuple[tuple[object, ...], LazyWalk] | None = None
    _cache_lock: threading.Lock = field(default_factory=threading.Lock)
    _readers: threading.local = field(default_factory=threading.local)  # a connection per thread, see _reader
    _busy: int = 0  # requests being served; the background count waits while there are any
    _busy_lock: threading.Lock = field(default_factory=threading.Lock)
    # Set when the server shuts down: the background threads end at their next paper or file, so none
    # reads the home after the server is gone (a temporary home may be deleted right after).
    stopping: threading.Event = field(default_factory=threading.Event)
    _background: list[threading.Thread] = field(default_factory=list)
    _background_lock: threading.Lock = field(default_factory=threading.Lock)

    def start_background(self, target: Callable[..., object], *args: object, name: str) -> None:
        """Run ``target(*args)`` in a daemon thread that ``stop`` waits for."""
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._background_lock:
            self._background = [t for t in self._background if t.is_alive()]
            self._background.append(thread)
        thread.start()

    def stop(self, timeout: float = STOP_WAIT) -> None:
        """Ask the background threads to end and wait for them (up to ``timeout`` seconds each)."""
        self.stopping.set()
        with self._background_lock:
            threads = list(self._background)
        for thread in threads:
            thread.join(timeout)

    @contextlib.contextmanager
    def serving(self) -> Iterator[None]:
        """Mark a request in progress: the background count pauses until none is."""
        with self._busy_lock:
            self._busy += 1
        try:
            yield
        finally:
            with self._busy_lock:
                self._busy -= 1

    @property
    def busy(self) -> bool:
        return self._busy > 0

    def _key(self, conn: sqlite3.Connection) -> tuple[object, ...]:
        return backend.store_generation(conn), backend.annotations_fingerprint(self.home)

    def walk(self, conn: sqlite3.Connection) -> LazyWalk:
        """The current walk (from the cache when nothing changed since it was built)."""
        return self.walk_and_fingerprint(conn)[0]

    def walk_and_fingerprint(self, conn: sqlite3.Connection) -> tuple[LazyWalk, str]:
        """The current walk and the annotations fingerprint it reflects (taken before it was built)."""
        key = self._key(conn)  # taken before building: a change made meanwhile invalidates it
        with self._cache_lock:
            if self._cache is not None and self._cache[0] == key:
                return self._cache[1], str(key[1])
        backend.refresh(conn, self.home)  # the decision cache mirrors the files before papers read it
        walk = LazyWalk(backend.papers(conn, self.benchmark), self._load_paper, self._locate, self._next_open)
        if backend.few_candidates(conn, EAGER_CANDIDATES):  # a small store: whole at once
            self._fill(walk, conn)
        with self._cache_lock:
            self._cache = (key, walk)
        return walk, str(key[1])

    def _reader(self) -> sqlite3.Connection:
        """This thread's connection for the walk's reads (opened once per thread: opening one checks the
        schema, 5 ms, and a decision reads a paper, locates candidates and looks for the next open paper)."""
        conn: sqlite3.Connection | None = getattr(self._readers, "conn", None)
        if conn is None:
            conn = self._readers.conn = self.connect()
        return conn

    def _load_paper(self, paper: tuple[str, int]) -> list[tuple[Candidate, str, SlotKey]]:
        return backend.paper_scope(self._reader(), self.home, paper, self.benchmark)

    def _next_open(self, after: tuple[str, int] | None) -> tuple[str, int] | None:
        conn = self._reader()
        backend.refresh(conn, self.home)
        return backend.next_maybe_open(conn, after)

    def _locate(self, candidate_id: str) -> tuple[str, int] | None:
        return backend.locate(self._reader(), candidate_id)

    def _fill(self, walk: LazyWalk, conn: sqlite3.Connection) -> None:
        """Build every paper's walk from one read of the store (a small store, before its first page)."""
        by_paper = backend.scope_by_paper(conn, self.home, self.benchmark)
        walk.fill((p, Walk.build(items)) for p, items in by_paper.items())

    def _count(self, walk: LazyWalk, conn: sqlite3.Connection) -> None:
        """Count every paper's decided and total candidates, one paper at a time, keeping no walk; waits
        while a request is served, so a page or a decision never shares the CPU with it."""
        counts: dict[tuple[str, int], tuple[int, int]] = {}
        for key in walk.papers:
            while self.busy and not self.stopping.is_set():
                self.stopping.wait(COUNT_PAUSE)
            if self.stopping.is_set():
                return  # the server stops: the counts stay unknown
            if walk.built(key):
                continue  # counted by its walk
            items = backend.paper_scope(conn, self.home, key, self.benchmark)
            counts[key] = (sum(1 for item in items if item[1]), len(items))
        walk.set_counts(counts)

    def fill_in_background(self, walk: LazyWalk) -> None:
        """Count the papers of ``walk`` in a thread (once per walk): then the store-wide counts are known."""
        if not walk.claim_fill():
            return

        def run() -> None:
            conn = self.connect()
            try:
                self._count(walk, conn)
            except Exception:  # noqa: BLE001 - the pages still build papers on demand; log why counts are missing
                if self.stopping.is_set():  # stopped mid-paper: the home may be gone, nothing to report
                    log.debug("the walk count stopped with the server", exc_info=True)
                else:
                    log.exception("the walk was not counted in the background")
            finally:
                conn.close()

        self.start_background(run, name="review-walk-count")

    def remember(self, before: LazyWalk, after: LazyWalk) -> None:
        """After our own decision (under the review lock): ``after`` is ``before`` plus that decision.

        Only the annotations part of the key is refreshed, so candidates re-extracted meanwhile
        still invalidate the cache.
        """
        with self._cache_lock:
            if self._cache is not None and self._cache[1] is before:
                self._cache = ((self._cache[0][0], backend.annotations_fingerprint(self.home)), after)
            else:
                self._cache = None

    def forget(self) -> None:
        with self._cache_lock:
            self._cache = None

    def page_image(self, conn: sqlite3.Connection, c: Candidate) -> PageImage:
        """Render (or take from the cache) the candidate's page; ``PdfError`` when impossible."""
        pdf = pdf_path(conn, self.home, c)
        key = ArxivId(c.arxiv_id, c.version).filename()
        return render_page(pdf, c.page, page_cache_path(self.home.root, key, c.page, self.scale), self.scale)


def pdf_path(conn: sqlite3.Connection, home: Home, c: Candidate) -> Path:
    """Where the candidate's PDF is: the harvested file, else the file it was extracted from, else
    the conventional ``<home>/pdfs/<id>v<version>.pdf``."""
    row = conn.execute("SELECT path FROM pdfs WHERE arxiv_id = ? AND version = ? AND status = 'ok'",
                       (c.arxiv_id, c.version)).fetchone()
    if row is not None and row[0] and (home.pdf_dir / row[0]).is_file():
        return home.pdf_dir / row[0]
    row = conn.execute("SELECT source_path FROM extractions WHERE arxiv_id = ? AND version = ?",
                       (c.arxiv_id, c.version)).fetchone()
    if row is not None and row[0] and Path(row[0]).is_file():
        return Path(row[0])
    return home.pdf_dir / ArxivId(c.arxiv_id, c.version).filename()


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("flopmine.review.web", "templates"),
        autoescape=True,  # every {{ }} is HTML-escaped, whatever the file name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def create_app(home: Home, benchmark: str | None = None, *, reviewer: str | None = None,
               allowed_hosts: Sequence[str] | None = None, scale: float = DEFAULT_SCALE) -> Starlette:
    """Build the review web app for ``home``, limited to ``benchmark`` when given.

    ``allowed_hosts``: ``Host`` header values accepted (default: the loopback names), which stops
    DNS-rebinding pages from talking to the server. ``reviewer`` is written with each decision
    (default: the login name).

    >>> from flopmine.config import resolve_home
    >>> app = create_app(resolve_home("/tmp/flopmine-doctest"))
    """
    if benchmark is not None:
        benchmark = resolve_benchmark(home, benchmark)
    server = _Server(home=home, benchmark=benchmark, reviewer=reviewer or _login_name(), scale=scale)
    # large annotation files are parsed once, in the background, not during the first decision; the page
    # template is compiled and the PDF renderer loaded then too, not during the first page (0.2 s each)
    server.start_background(backend.warm, home, server.stopping, name="review-warm")
    server.start_background(_warm_page, server, name="review-warm-page")
    backend.free_replaced_files_later(home)
    # one connection held open for the server's life, so closing each request's connection is not the
    # last close, which would checkpoint the WAL (13 ms per decision)
    if home.db_path.is_file():
        server.keepalive = connect(home.db_path)
    static_dir = Path(str(resources.files("flopmine.review.web").joinpath("static")))

    async def index(request: Request) -> Response:
        session, fresh = _session(server, request)
        html = await run_in_threadpool(_render_index, server, request.query_params.get("at"), session)
        resp = HTMLResponse(html, headers={"Cache-Control": "no-store"})
        if fresh:
            _set_cookie(resp, session)
        return resp

    async def page_png(request: Request) -> Response:
        cid = request.path_params["cid"]
        try:
            path = await run_in_threadpool(_page_image, server, cid)
        except LookupError as e:
            return JSONResponse({"error": str(e)}, status_code=404)
        except PdfError as e:
            return JSONResponse({"error": str(e)}, status_code=404)
        return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    def posted(work: Callable[[Session, dict[str, Any]], Response]) -> Callable[[Request], Awaitable[Response]]:
        """A POST endpoint: the session, origin and body checked (``_checked_post``), then ``work`` off the loop."""
        async def endpoint(request: Request) -> Response:
            session, body, refusal = await _checked_post(server, request)
            if refusal is not None:
                return refusal
            assert session is not None and body is not None

            def served(session: Session, body: dict[str, Any]) -> Response:
                with server.serving():
                    return work(session, body)
            return await run_in_threadpool(served, session, body)
        return endpoint

    decide = posted(lambda session, body: _decide(server, session, body))
    close = posted(lambda session, body: _close(server, session, body))
    rename = posted(lambda session, body: _rename(server, session, body))
    add = posted(lambda session, body: _add(server, session, body))
    undo = posted(lambda session, _body: _undo(server, session))

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/page/{cid:str}.png", page_png, methods=["GET"]),
        Route("/api/decide", decide, methods=["POST"]),
        Route("/api/undo", undo, methods=["POST"]),
        Route("/api/close", close, methods=["POST"]),
        Route("/api/rename", rename, methods=["POST"]),
        Route("/api/add", add, methods=["POST"]),
        Mount("/static", StaticFiles(directory=static_dir), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(server.stop)  # the server shuts down: its background threads end first

    hosts = list(allowed_hosts or LOOPBACK_HOSTS)
    app = Starlette(routes=routes, middleware=[Middleware(HostAllowList, allowed_hosts=hosts),
                                               Middleware(_SecurityHeaders)], lifespan=lifespan)
    app.state.review = server
    return app


# ---------------------------------------------------------------- helpers


class _SecurityHeaders:
    """ASGI middleware adding ``_SECURITY_HEADERS`` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for k, v in _SECURITY_HEADERS.items():
                    if k not in headers:
                        headers[k] = v
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _warm_page(server: _Server) -> None:
    """Compile the page template and load the PDF renderer ahead of the first page (writes nothing)."""
    server.templates.get_template("index.html")
    import pypdfium2  # noqa: F401 - loaded once; render_page imports it on use


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "reviewer"


def _session(server: _Server, request: Request) -> tuple[Session, bool]:
    existing = server.sessions.get(request.cookies.get(SESSION_COOKIE))
    if existing is not None:
        return existing, False
    return server.sessions.new(), True


def _set_cookie(resp: Response, session: Session) -> None:
    resp.set_cookie(SESSION_COOKIE, session.sid, httponly=True, samesite="strict", path="/")


def _unprocessable(*problems: str) -> JSONResponse:
    """A request the server understood but cannot carry out (422), with the problems the page shows."""
    return JSONResponse({"problems": list(problems)}, status_code=422)


def _unknown_candidate(cid: str) -> JSONResponse:
    return _unprocessable(f"candidate_id: unknown or out of scope: {cid!r}")


def _problems(e: ReviewError) -> JSONResponse:
    return _unprocessable(*(e.problems or [str(e)]))


@contextlib.contextmanager
def _writing(server: _Server) -> Iterator[sqlite3.Connection]:
    """One write at a time in this process (read state → validate → store), on a connection of its own."""
    with server.decide_lock:
        conn = server.connect()
        try:
            yield conn
        finally:
            conn.close()


def _refuse(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _checked_post(server: _Server, request: Request) -> tuple[Session | None, dict[str, Any] | None,
                                                                    Response | None]:
    """Run every cross-site check on a POST; return (session, JSON body, None) or a refusal."""
    why = check_fetch_metadata(request.headers, request.headers.get("host", ""), request.url.scheme)
    if why is not None:
        log.warning("refused POST %s: %s", request.url.path, why)
        return None, None, _refuse(403, why)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        return None, None, _refuse(415, f"expected a JSON body, got {ctype or 'none'!r} (form posts are refused)")
    session = server.sessions.get(request.cookies.get(SESSION_COOKIE))
    why = check_csrf(session, request.headers.get(CSRF_HEADER))
    if why is not None:
        log.warning("refused POST %s: %s", request.url.path, why)
        return None, None, _refuse(403, why)
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return None, None, _refuse(413, f"request body over {MAX_BODY} bytes")
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None, None, _refuse(400, "request body is not valid JSON")
    if not isinstance(body, dict):
        return None, None, _refuse(400, "request body must be a JSON object")
    return session, body, None


def _text(body: dict[str, Any], key: str) -> str:
    v = body.get(key, "")
    if v is None:
        return ""
    if isinstance(v, bool) or not isinstance(v, str | int | float):
        raise ValueError(f"{key}: must be text")
    s = str(v)
    if len(s) > MAX_TEXT:
        raise ValueError(f"{key}: longer than {MAX_TEXT} characters")
    return s


def _decide(server: _Server, session: Session, body: dict[str, Any]) -> Response:
    try:
        cid = _text(body, "candidate_id").strip()
        decision = _text(body, "decision").strip().lower()
        corrected = _text(body, "corrected_value").strip()
        note = _text(body, "note")
        expected = _text(body, "expected").strip().lower()
        model = _text(body, "model") if "model" in body else None  # the model box (absent: unchanged)
    except ValueError as e:
        return _unprocessable(str(e))
    if decision not in DECISIONS:
        return _unprocessable(f"decision: must be one of {', '.join(DECISIONS)}, got {decision!r}")
    # The annotations lock (which imports wait on) is held only to write: the walk, the checks and
    # validation run before it; under it, the decision is written only if nothing changed the
    # annotations since the walk was read (else the walk is read again and the checks repeated).
    with _writing(server) as conn:
        for _attempt in range(MAX_DECIDE_ATTEMPTS):
            walk, seen = server.walk_and_fingerprint(conn)
            cand = walk.find(cid)
            if cand is None:
                return _unknown_candidate(cid)
            current = walk.decision(cid)
            if current != expected:
                return JSONResponse({
                    "error": f"this candidate was decided meanwhile (now: {current or 'pending'}); "
                             "reload to see the latest state",
                    "current": current}, status_code=409)
            try:
                decisions = backend.validate(conn, cand, decision=decision, corrected_value=corrected,
                                             reviewer=server.reviewer, note=note, model=model)
                with backend.locked(server.home):
                    if backend.annotations_fingerprint(server.home) != seen:
                        continue  # an import or another process wrote meanwhile: read again
                    recorded = backend.record(conn, server.home, decisions)
            except ReviewError as e:
                return _problems(e)
            except FlopmineError as e:
                log.error("decision on %s failed: %s", cid, e)
                return JSONResponse({"error": str(e)}, status_code=503)
            break
        else:
            return JSONResponse({"error": "the annotations keep changing (imports running?); try again"},
                                status_code=503)
        if recorded is not None and recorded.decision.is_retarget:  # the fact moved slots: read again
            server.sessions.push_undo(session, recorded)
            server.forget()
            walk = server.walk(conn)
        elif recorded is not None:
            server.sessions.push_undo(session, recorded)
            before, walk = walk, walk.with_decision(cid, recorded.decision.decision)
            server.remember(before, walk)
        else:  # the same verdict was recorded already (e.g. carried over from another version)
            walk = server.walk(conn)
    nxt = walk.next_pending(cid)
    return JSONResponse({"ok": True, "candidate_id": cid, "decision": walk.decision(cid),
                         "next": nxt.candidate_id if nxt else None, "progress": _progress(walk)})


def _progress(walk: LazyWalk) -> dict[str, int] | None:
    """The store-wide counts, or None while the background pass has not read every paper yet."""
    counts = walk.progress
    return None if counts is None else {"decided": counts[0], "total": counts[1]}


def _state_after_undo(recorded: backend.Recorded) -> str:
    """The walk's decision for the candidate once ``recorded`` is withdrawn: what it replaced (on the
    candidate, or carried over from the same fact in another paper version), else pending."""
    d = recorded.decision
    same = [r.decision for r in recorded.replaced if r.key == d.key]
    carried = [r.decision for r in recorded.replaced if r.candidate_id and r.fact_key == d.fact_key]
    return (same or carried or [""])[0]


@dataclass(frozen=True)
class _RenameDone:
    """A rename made in this session, kept for undo (renames are not in the ledger)."""

    candidate_id: str
    report: RenameReport


@dataclass(frozen=True)
class _ClosedDone:
    """A "not reported" close made in this session: its rejects, withdrawn together by one undo."""

    candidate_id: str  # where the reviewer pressed it
    recorded: tuple[backend.Recorded, ...]

    @classmethod
    def of(cls, candidate_id: str, report: ApplyReport) -> _ClosedDone:
        return cls(candidate_id, tuple(
            backend.Recorded(d, tuple(r for r in report.replaced if r.key == d.key or r.fact_key == d.fact_key))
            for d in report.applied))


def _undo(server: _Server, session: Session) -> Response:
    with _writing(server) as conn:
        entry = server.sessions.pop_undo(session)
        if isinstance(entry, _RenameDone):
            return _undo_rename(server, session, conn, entry)
        if entry is None:  # e.g. after a restart: the ledger still has this reviewer's web decisions
            entry = backend.latest_web_decision(conn, server.home, server.reviewer)
        if entry is None:
            return JSONResponse({"error": "nothing to undo in this session"}, status_code=409)
        if isinstance(entry, _ClosedDone):  # every reject of the close at once, or none
            cid, recorded, extra = entry.candidate_id, entry.recorded, {"reopened": len(entry.recorded)}
        else:
            cid, recorded, extra = entry.decision.candidate_id, (entry,), {}
        walk, seen = server.walk_and_fingerprint(conn)
        with backend.locked(server.home):  # held only to check and write
            unchanged = backend.annotations_fingerprint(server.home) == seen
            try:
                backend.withdraw(conn, server.home, *recorded)
            except ReviewError as e:
                return JSONResponse({"error": str(e), "candidate_id": cid}, status_code=409)
            except FlopmineError as e:
                server.sessions.restore_undo(session, entry)
                log.error("undo of %s failed: %s", cid, e)
                return JSONResponse({"error": str(e)}, status_code=503)
        if unchanged and all(r.decision.candidate_id for r in recorded):
            before = walk
            for r in recorded:
                walk = walk.with_decision(r.decision.candidate_id, _state_after_undo(r))
            server.remember(before, walk)
        else:  # someone else wrote meanwhile, or an added fact (its slot reopens): read everything again
            server.forget()
            walk = server.walk(conn)
    return JSONResponse({"ok": True, "candidate_id": cid, **extra, "progress": _progress(walk)})


def _close(server: _Server, session: Session, body: dict[str, Any]) -> Response:
    """"Not reported": reject every pending candidate of the candidate's field in its paper (one undo step)."""
    try:
        cid = _text(body, "candidate_id").strip()
    except ValueError as e:
        return _unprocessable(str(e))
    with _writing(server) as conn:
        walk, seen = server.walk_and_fingerprint(conn)
        cand = walk.find(cid)
        if cand is None:
            return _unknown_candidate(cid)
        with backend.locked(server.home):
            unchanged = backend.annotations_fingerprint(server.home) == seen
            try:
                report = close_fields(conn, server.home, cand.arxiv_id, [cand.field], benchmark=cand.benchmark or None,
                                      reviewer=server.reviewer, source="web", keep_replaced=True)
            except ReviewError as e:
                return _problems(e)
        if report.report is not None and report.report.applied:
            server.sessions.push_undo(session, _ClosedDone.of(cid, report.report))
        if unchanged:
            before = walk
            for d in report.report.applied if report.report is not None else ():
                walk = walk.with_decision(d.candidate_id, d.decision)
            server.remember(before, walk)
        else:
            server.forget()
            walk = server.walk(conn)
    nxt = walk.next_pending(cid)
    return JSONResponse({"ok": True, "closed": report.candidates, "next": nxt.candidate_id if nxt else None,
                         "progress": _progress(walk)})


def _undo_rename(server: _Server, session: Session, conn: sqlite3.Connection, done: _RenameDone) -> Response:
    """Put back the rename ``done`` replaced; refused (409) when the name was renamed again since."""
    try:
        undo_rename(conn, server.home, done.report)
    except ReviewError as e:
        return JSONResponse({"error": str(e), "candidate_id": done.candidate_id}, status_code=409)
    except FlopmineError as e:
        server.sessions.restore_undo(session, done)
        log.error("undo of the rename of %r failed: %s", done.report.rename.old_model, e)
        return JSONResponse({"error": str(e)}, status_code=503)
    server.forget()  # slots regroup under the name as it was
    return JSONResponse({"ok": True, "candidate_id": done.candidate_id, "rename": True,
                         "progress": _progress(server.walk(conn))})


def _rename(server: _Server, session: Session, body: dict[str, Any]) -> Response:
    """Rename the candidate's model in its whole paper."""
    try:
        cid = _text(body, "candidate_id").strip()
        new = _text(body, "model").strip()
    except ValueError as e:
        return _unprocessable(str(e))
    with _writing(server) as conn:
        cand = server.walk(conn).find(cid)
        if cand is None:
            return _unknown_candidate(cid)
        try:
            report = rename_model(conn, server.home, cand.arxiv_id, cand.model, new, server.reviewer,
                                  source="web")
        except ReviewError as e:
            return _problems(e)
        server.forget()  # slots regroup under the new name
        server.sessions.push_undo(session, _RenameDone(cid, report))
    return JSONResponse({"ok": True, "candidate_id": cid, "old": report.rename.old_model,
                         "model": report.rename.new_model, "withdrawn": report.withdrawn,
                         "facts": report.facts, "candidates": report.candidates})


_ADD_FIELDS = ("field", "value", "page", "model", "benchmark", "unit", "note")


def _add(server: _Server, session: Session, body: dict[str, Any]) -> Response:
    """Add a fact the extractor missed to the candidate's paper."""
    try:
        cid = _text(body, "candidate_id").strip()
        cells = {k: _text(body, k).strip() for k in _ADD_FIELDS}
    except ValueError as e:
        return _unprocessable(str(e))
    with _writing(server) as conn:
        cand = server.walk(conn).find(cid)
        if cand is None:
            return _unknown_candidate(cid)
        row = {**cells, "arxiv_id": cand.arxiv_id, "version": str(cand.version)}
        try:
            decisions = backend.validate_add(conn, row, reviewer=server.reviewer)
            with backend.locked(server.home):
                recorded = backend.record(conn, server.home, decisions)
        except ReviewError as e:
            return _problems(e)
        except FlopmineError as e:
            return JSONResponse({"error": str(e)}, status_code=503)
        if recorded is not None:
            server.sessions.push_undo(session, recorded)
    d = decisions[0]
    return JSONResponse({"ok": True, "candidate_id": cid, "added": recorded is not None, "field": d.field,
                         "model": d.model})


def _page_image(server: _Server, cid: str) -> Path:
    conn = server.connect()
    try:
        with server.serving():
            row = conn.execute("SELECT * FROM candidates WHERE candidate_id = ?", (cid,)).fetchone()
            if row is None:
                raise LookupError(f"unknown candidate {cid!r}")
            c = Candidate.from_row(row)
            if c.page < 1:
                raise LookupError(f"candidate {cid} has no page")
            return server.page_image(conn, c).path
    finally:
        conn.close()


def _display_value(c: Candidate) -> str:
    v = c.value
    if isinstance(v, float):
        return f"{v:g}" if abs(v) < 1e6 else f"{v:.4g}"
    return str(v)


def _snippet_parts(c: Candidate) -> tuple[str, str, str]:
    """The snippet split around the printed text (``raw``) so the template can mark it."""
    s = c.snippet
    if c.raw:
        i = s.find(c.raw)
        if i >= 0:
            return s[:i], c.raw, s[i + len(c.raw):]
    return s, "", ""


def _candidate_view(server: _Server, walk: LazyWalk, c: Candidate) -> dict[str, Any]:
    spec = FIELDS.get(c.field)
    return {
        "id": c.candidate_id, "arxiv_id": c.arxiv_id, "version": c.version, "field": c.field,
        "value": _display_value(c), "edit_value": _display_value(c) if not isinstance(c.value, float)
        else repr(c.value).removesuffix(".0"), "unit": c.unit or (spec.unit if spec else ""),
        "benchmark": c.benchmark, "model": c.model, "raw": c.raw, "page": c.page, "rule": c.rule,
        "confidence": f"{c.confidence:.2f}", "rank": c.rank, "flags": ", ".join(c.flags),
        "decision": walk.decision(c.candidate_id), "snippet": _snippet_parts(c),
        "numeric": bool(spec and spec.numeric),
    }


def _render_index(server: _Server, at: str | None, session: Session) -> str:
    conn = server.connect()
    try:
        with server.serving():
            html = _render_index_with(conn, server, at, session)
        server.fill_in_background(server.walk(conn))  # after the page: the counts for the next ones
        return html
    finally:
        conn.close()


def _render_index_with(conn: sqlite3.Connection, server: _Server, at: str | None, session: Session) -> str:
    walk = server.walk(conn)
    title = ""
    current = walk.current(at)
    if current is not None:
        row = conn.execute("SELECT title FROM papers WHERE arxiv_id = ? AND version = ?",
                           (current.arxiv_id, current.version)).fetchone()
        title = row[0] if row else ""
        if not title:  # extracted from a folder: no harvested metadata, read it from the PDF
            title = pdf_title(pdf_path(conn, server.home, current), server.home.root)
    counts = walk.progress
    ctx: dict[str, Any] = {
        "csrf": session.csrf, "decided": counts[0] if counts else None, "total": counts[1] if counts else None, "benchmark": server.benchmark or "",
        "reviewer": server.reviewer, "current": None, "siblings": [], "image": None, "image_error": "",
        "box": None, "next_id": "", "title": title, "paper_pos": (0, 0), "slot_top": [], "slot_rest": [],
        "next_slot_id": "", "paper_progress": (0, 0), "paper_link": "", "models": [], "fields": [],
    }
    if current is not None:
        ctx["current"] = _candidate_view(server, walk, current)
        refresh_renames(conn, server.home)  # cheap: a stat of renames.csv
        renames = cached_renames(conn, current.arxiv_id)
        recorded = cached_decision(conn, current.candidate_id)
        shown = (recorded.final_model if recorded is not None and recorded.is_retarget
                 else renamed_model(renames, current.arxiv_id, current.model))
        ctx["current"]["shown_model"] = shown
        ctx["models"] = paper_models(conn, current.arxiv_id, renames)
        ctx["fields"] = list(FIELDS)
        ctx["siblings"] = [_candidate_view(server, walk, s) for s in walk.siblings(current)]
        members = [_candidate_view(server, walk, s) for s in walk.slot_members(current)]
        ctx["slot_top"], ctx["slot_rest"] = members[:DEFAULT_TOP], members[DEFAULT_TOP:]
        nxt = walk.next_pending(current.candidate_id)
        ctx["next_id"] = nxt.candidate_id if nxt else ""
        nxt_slot = walk.next_open_slot(current.candidate_id)
        ctx["next_slot_id"] = nxt_slot.candidate_id if nxt_slot else ""
        ctx["paper_pos"] = walk.paper_position(current)
        ctx["paper_progress"] = walk.paper_progress(current)
        ctx["paper_link"] = pdf_link(conn, server.home, current)
        if current.page >= 1:
            try:
                img = server.page_image(conn, current)
                ctx["image"] = f"/page/{current.candidate_id}.png"
                if current.bbox:
                    ctx["box"] = box_percent(current.bbox, img.width, img.height)
            except PdfError as e:
                ctx["image_error"] = str(e)
        else:
            ctx["image_error"] = "the extractor recorded no page for this candidate"
    return server.templates.get_template("index.html").render(ctx)
