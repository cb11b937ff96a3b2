"""A fake arXiv on 127.0.0.1: a real HTTP server serving Atom feeds and PDFs, with fault injection.

Used by the tests and by the offline demo. It answers like ``export.arxiv.org``:

- ``GET /api/query?search_query=…&id_list=…&sortBy=…&sortOrder=…&start=…&max_results=…`` → an Atom
  feed in the 2026 layout (default) or the classic 2016 layout (``layout="2016"``), both shaped like
  the real responses in ``../shared/reference/arxiv_api/``. Paging by ``start``/``max_results`` with
  ``opensearch:totalResults``; sorting by ``relevance`` (insertion order), ``lastUpdatedDate`` or
  ``submittedDate``, ascending or descending. Search results show each paper's newest version; an
  ``id_list`` entry with a version returns that version. A malformed id gives the API's HTTP 400
  error feed.
- ``GET /pdf/<id>v<n>`` (the ``<link title="pdf">`` written into the feed) → the entry's body;
  ``/pdf/<id>`` serves the newest version. A ``FakeEntry`` with ``body=None`` gives 404.

Search evaluation (``matches``): a real boolean parser for ``AND``, ``OR``, ``ANDNOT`` and parentheses
(AND/ANDNOT bind tighter than OR). A ``ti:``/``abs:``/``au:``/``all:`` term matches when the
(quoted) phrase occurs case-insensitively as whole words in the title / abstract / authors / any of
them; ``cat:X`` matches a category equal to X or starting with ``X.``; ``id:`` matches the id;
``submittedDate:[YYYYMMDDhhmm TO YYYYMMDDhhmm]`` and ``lastUpdatedDate:[…]`` compare the published /
updated timestamps. Unlike arXiv there is no stemming and no relevance ranking.

Faults: ``Fault(match, kind, times=1, …)`` fires on the first ``times`` requests whose
``path?query`` matches the ``fnmatch`` pattern ``match`` (e.g. ``"/pdf/1512.03385v1"`` or
``"/api/query*start=2*"``), then heals. Kinds: ``status`` (``status=503``, optional
``retry_after``), ``drop`` (close without answering), ``slow`` (sleep ``delay`` s, then answer
normally), ``empty`` (a feed page without entries), ``malformed`` (half a feed), ``html`` (a 200 HTML
page), ``truncate`` (the first half of the body, consistently announced), ``cut`` (announce the
full length, send half, close), ``trickle`` (send the body in ``chunk``-byte pieces ``delay``
seconds apart: a slow drip), ``huge`` (a 200 answer of ``size`` bytes, streamed without a length:
an endless feed; ``fault.sent`` counts the bytes the client took) and ``redirect`` (302 to
``location``, e.g. another host).

Result cap: ``FakeArxiv(result_cap=N)`` serves only the first N results of any query while
``opensearch:totalResults`` reports them all, as arXiv does past ~30,000.

A ``FakeEntry`` with ``pdf_url`` set advertises that link in the feed instead of its own ``/pdf/…``
(a PDF link to another host).

Example::

    from flopmine.demo.fakearxiv import FakeArxiv, FakeEntry, Fault
    from flopmine.types import Paper
    paper = Paper("1512.03385", 1, "Deep Residual Learning", abstract="ImageNet ...",
                  categories=("cs.CV",), published="2015-12-10T19:51:55Z")
    with FakeArxiv([FakeEntry(paper, pdf_bytes)], faults=[Fault("/pdf/*", "status", times=1)]) as fake:
        os.environ["FLOPMINE_ARXIV_API_URL"] = fake.api_url
        ...
        print(fake.requests)  # [RequestLog(time=…, method='GET', path='/api/query?…', status=200), …]
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

from flopmine.ids import InvalidIdError, parse_id
from flopmine.store import now_iso
from flopmine.types import Paper

LAYOUTS = ("2026", "2016")
FAULT_KINDS = ("status", "drop", "slow", "empty", "malformed", "html", "truncate", "cut", "trickle", "huge",
               "redirect")
MAX_PAGE = 2000


@dataclass
class FakeEntry:
    """One paper version the fake serves; ``body`` is its PDF (None → 404)."""

    paper: Paper
    body: bytes | None = None
    content_type: str = "application/pdf"
    pdf_url: str | None = None  # the feed's PDF link, when not the fake's own /pdf/<id>v<n>


@dataclass
class Fault:
    """A fault that fires on the first ``times`` matching requests, then heals."""

    match: str
    kind: str
    times: int = 1
    status: int = 503
    retry_after: str | None = None
    delay: float = 2.0
    chunk: int = 512
    size: int = 0  # huge: bytes to send
    location: str = ""  # redirect: where to
    fired: int = 0
    sent: int = 0  # huge: bytes written before the client hung up

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(FAULT_KINDS)}")


class RequestLog(NamedTuple):
    """One request as the server saw it: arrival (``time.monotonic()``), method, path+query, status.

    ``status`` is 0 for a dropped connection.
    """

    time: float
    method: str
    path: str
    status: int


# ---------------------------------------------------------------- search evaluation

_TOKEN = re.compile(r'\s*(?:(\()|(\))|([A-Za-z]+):\[([^\]]*)\]|([A-Za-z]+):"([^"]*)"|"([^"]*)"|([^\s()"]+))')


def _tokens(query: str) -> list[tuple[str, str, str]]:
    """(kind, field, value) tokens: ("(",..), (")",..), ("op","",AND), ("term",field,text), ("range",field,a TO b)."""
    out: list[tuple[str, str, str]] = []
    pos = 0
    query = query.strip()
    while pos < len(query):
        m = _TOKEN.match(query, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        lp, rp, rfield, rval, qfield, qval, bare_q, word = m.groups()
        if lp:
            out.append(("(", "", ""))
        elif rp:
            out.append((")", "", ""))
        elif rfield:
            out.append(("range", rfield, rval))
        elif qfield:
            out.append(("term", qfield, qval))
        elif bare_q is not None:
            out.append(("term", "all", bare_q))
        elif word.upper() in ("AND", "OR", "ANDNOT"):
            out.append(("op", "", word.upper()))
        elif ":" in word:
            f, _, v = word.partition(":")
            out.append(("term", f, v))
        else:
            out.append(("term", "all", word))
    return out


def _ts_digits(iso: str) -> str:
    return re.sub(r"\D", "", iso)[:12].ljust(12, "0")


def _term_matches(paper: Paper, fld: str, value: str) -> bool:
    value = value.strip()
    if not value:
        return False
    fld = fld.lower()
    if fld == "cat":
        cats = set(paper.categories) | {paper.primary_category}
        return any(c == value or c.startswith(value + ".") for c in cats if c)
    if fld == "id":
        return value in (paper.arxiv_id, paper.versioned_id)
    texts = {"ti": [paper.title], "abs": [paper.abstract], "au": list(paper.authors),
             "all": [paper.title, paper.abstract, *paper.authors]}.get(fld)
    if texts is None:
        return False
    words = re.escape(value.replace("_", " ")).replace(r"\ ", r"[\s_-]+")
    pattern = re.compile(rf"(?<![\w]){words}(?![\w])", re.IGNORECASE)
    return any(pattern.search(t or "") for t in texts)


def _range_matches(paper: Paper, fld: str, value: str) -> bool:
    lo, _, hi = value.partition(" TO ")
    stamp = {"submitteddate": paper.published, "lastupdateddate": paper.updated or paper.published}.get(fld.lower())
    if not stamp:
        return False
    return _ts_digits(lo.strip()) <= _ts_digits(stamp) <= _ts_digits(hi.strip())


class _Parser:
    def __init__(self, tokens: list[tuple[str, str, str]], paper: Paper) -> None:
        self.tokens = tokens
        self.i = 0
        self.paper = paper

    def peek(self) -> tuple[str, str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def expr(self) -> bool:  # or-expression
        value = self.conj()
        while (t := self.peek()) and t == ("op", "", "OR"):
            self.i += 1
            rhs = self.conj()
            value = value or rhs
        return value

    def conj(self) -> bool:
        value = self.atom()
        while (t := self.peek()) and t[0] == "op" and t[2] in ("AND", "ANDNOT"):
            self.i += 1
            rhs = self.atom()
            value = (value and rhs) if t[2] == "AND" else (value and not rhs)
        return value

    def atom(self) -> bool:
        t = self.peek()
        if t is None:
            return False
        self.i += 1
        if t[0] == "(":
            value = self.expr()
            if (c := self.peek()) and c[0] == ")":
                self.i += 1
            return value
        if t[0] == "term":
            return _term_matches(self.paper, t[1], t[2])
        if t[0] == "range":
            return _range_matches(self.paper, t[1], t[2])
        return False


def matches(query: str, paper: Paper) -> bool:
    """Whether ``paper`` matches an arXiv ``search_query`` (see the module docstring for the rules).

    >>> p = Paper("1512.03385", 1, "Deep Residual Learning", abstract="Results on ImageNet and COCO.",
    ...           categories=("cs.CV",), published="2015-12-10T19:51:55Z")
    >>> matches('(ti:ImageNet OR abs:ImageNet) AND (cat:cs.CV OR cat:cs.LG)', p)
    True
    >>> matches('abs:"CIFAR-10" AND cat:cs.CV', p)
    False
    >>> matches('abs:COCO AND submittedDate:[201601010000 TO 299912312359]', p)
    False
    """
    if not query.strip():
        return True
    return _Parser(_tokens(query), paper).expr()


# ---------------------------------------------------------------- feed rendering

_NS_ATOM = "http://www.w3.org/2005/Atom"
_NS_OS = "http://a9.com/-/spec/opensearch/1.1/"
_NS_ARXIV = "http://arxiv.org/schemas/atom"


def _default_published(paper: Paper) -> str:
    if paper.published:
        return paper.published
    y, m = paper.year_month
    return f"{y:04d}-{m:02d}-01T00:00:00Z"


def _wrap(text: str, width: int = 79) -> str:
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return "\n".join(lines)


def _entry_xml(paper: Paper, base_url: str, layout: str, pdf_url: str | None = None) -> str:
    vid = paper.versioned_id
    published = _default_published(paper)
    updated = paper.updated or published
    authors = "".join(f"\n    <author>\n      <name>{escape(a)}</name>\n    </author>" for a in paper.authors)
    primary = paper.primary_category or (paper.categories[0] if paper.categories else "cs.LG")
    cats = "".join(f'\n    <category term={quoteattr(c)} scheme="{_NS_ARXIV}"/>'
                   for c in (paper.categories or (primary,)))
    pdf = pdf_url or f"{base_url}/pdf/{vid}"
    abs_url = f"{base_url}/abs/{vid}"
    if layout == "2016":
        return (
            f"  <entry>\n    <id>http://arxiv.org/abs/{escape(vid)}</id>\n"
            f"    <updated>{updated}</updated>\n    <published>{published}</published>\n"
            f"    <title>{escape(_wrap(paper.title).replace(chr(10), chr(10) + '  '))}</title>\n"
            f"    <summary>  {escape(_wrap(paper.abstract))}\n</summary>{authors}\n"
            f'    <link href={quoteattr(abs_url)} rel="alternate" type="text/html"/>\n'
            f'    <link title="pdf" href={quoteattr(pdf)} rel="related" type="application/pdf"/>\n'
            f'    <arxiv:primary_category xmlns:arxiv="{_NS_ARXIV}" term={quoteattr(primary)} '
            f'scheme="{_NS_ARXIV}"/>{cats}\n  </entry>\n'
        )
    return (
        f"  <entry>\n    <id>http://arxiv.org/abs/{escape(vid)}</id>\n"
        f"    <title>{escape(paper.title)}</title>\n    <updated>{updated}</updated>\n"
        f'    <link href={quoteattr(abs_url)} rel="alternate" type="text/html"/>\n'
        f'    <link href={quoteattr(pdf)} rel="related" type="application/pdf" title="pdf"/>\n'
        f"    <summary>{escape(paper.abstract)}</summary>{cats}\n"
        f"    <published>{published}</published>\n"
        f"    <arxiv:primary_category term={quoteattr(primary)}/>{authors}\n  </entry>\n"
    )


def render_feed(papers: Iterable[Paper], *, total: int, start: int, per_page: int, query_echo: str,
                base_url: str, layout: str = "2026", pdf_urls: dict[str, str] | None = None) -> bytes:
    """An Atom results page in the chosen layout (``pdf_urls``: versioned id → PDF link override)."""
    now = now_iso()
    feed_id = hashlib.sha1(query_echo.encode()).hexdigest()[:27]
    links = pdf_urls or {}
    entries = "".join(_entry_xml(p, base_url, layout, links.get(p.versioned_id)) for p in papers)
    if layout == "2016":
        head = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="{_NS_ATOM}">\n'
            f'  <link href={quoteattr(base_url + "/api/query?" + query_echo)} rel="self" type="application/atom+xml"/>\n'
            f'  <title type="html">ArXiv Query: {escape(query_echo)}</title>\n'
            f"  <id>http://arxiv.org/api/{feed_id}</id>\n  <updated>{now}</updated>\n"
            f'  <opensearch:totalResults xmlns:opensearch="{_NS_OS}">{total}</opensearch:totalResults>\n'
            f'  <opensearch:startIndex xmlns:opensearch="{_NS_OS}">{start}</opensearch:startIndex>\n'
            f'  <opensearch:itemsPerPage xmlns:opensearch="{_NS_OS}">{per_page}</opensearch:itemsPerPage>\n'
        )
    else:
        head = (
            f"<?xml version='1.0' encoding='UTF-8'?>\n"
            f'<feed xmlns:opensearch="{_NS_OS}" xmlns:arxiv="{_NS_ARXIV}" xmlns="{_NS_ATOM}">\n'
            f"  <id>https://arxiv.org/api/{feed_id}</id>\n"
            f"  <title>arXiv Query: {escape(query_echo)}</title>\n  <updated>{now}</updated>\n"
            f'  <link href={quoteattr(base_url + "/api/query?" + query_echo)} type="application/atom+xml"/>\n'
            f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
            f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
            f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
        )
    return (head + entries + "</feed>\n").encode("utf-8")


def render_error_feed(message: str, slug: str) -> bytes:
    """The API's HTTP 400 error feed (shape of ``id_abc`` in the reference fixtures)."""
    now = now_iso()
    eid = f"https://arxiv.org/api/errors#{slug}"
    return (
        f"<?xml version='1.0' encoding='UTF-8'?>\n"
        f'<feed xmlns:opensearch="{_NS_OS}" xmlns:arxiv="{_NS_ARXIV}" xmlns="{_NS_ATOM}">\n'
        f"  <id>https://arxiv.org/</id>\n  <title>arXiv Search Results</title>\n  <updated>{now}</updated>\n"
        f"  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>\n"
        f"  <opensearch:totalResults>1</opensearch:totalResults>\n"
        f"  <opensearch:startIndex>0</opensearch:startIndex>\n"
        f"  <entry>\n    <id>{escape(eid)}</id>\n    <title>Error</title>\n    <updated>{now}</updated>\n"
        f'    <link href={quoteattr(eid)} rel="alternate" type="text/html"/>\n'
        f"    <summary>{escape(message)}</summary>\n"
        f"    <author>\n      <name>arXiv api core</name>\n    </author>\n  </entry>\n</feed>\n"
    ).encode()


_HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>arXiv</title></head><body><h1>Access denied</h1>"
              b"<p>This page is served instead of the PDF you asked for.</p></body></html>\n")


# ---------------------------------------------------------------- the server


class FakeArxiv:
    """A loopback arXiv; start it with ``with FakeArxiv(entries) as fake:`` (or ``start()``/``stop()``)."""

    def __init__(self, entries: Iterable[FakeEntry] = (), *, layout: str = "2026",
                 faults: Iterable[Fault] = (), host: str = "127.0.0.1", port: int = 0,
                 result_cap: int | None = None) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
        self.layout = layout
        self.result_cap = result_cap
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, int], FakeEntry] = {}
        self._order: list[str] = []  # arxiv ids, insertion order (relevance)
        self._faults: list[Fault] = list(faults)
        self._log: list[RequestLog] = []
        self._host, self._port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        for e in entries:
            self.add(e)

    # -- content

    def add(self, entry: FakeEntry) -> None:
        """Add a paper version (a higher version of a known id becomes the one searches show)."""
        paper = entry.paper
        published = _default_published(paper)
        paper = replace(paper, published=published, updated=paper.updated or published)
        with self._lock:
            self._entries[(paper.arxiv_id, paper.version)] = replace(entry, paper=paper)
            if paper.arxiv_id not in self._order:
                self._order.append(paper.arxiv_id)

    def inject(self, fault: Fault) -> Fault:
        """Add a fault while running; returns it (its ``fired`` counter updates)."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def latest(self) -> list[Paper]:
        """The newest version of every paper, in insertion order."""
        with self._lock:
            out = []
            for aid in self._order:
                v = max(v for (a, v) in self._entries if a == aid)
                out.append(self._entries[(aid, v)].paper)
            return out

    # -- observation

    @property
    def requests(self) -> list[RequestLog]:
        """A copy of the request log, oldest first."""
        with self._lock:
            return sorted(self._log)

    def requests_to(self, prefix: str) -> list[RequestLog]:
        return [r for r in self.requests if r.path.startswith(prefix)]

    def min_spacing(self) -> float | None:
        """Smallest gap in seconds between two consecutive request arrivals (None for < 2 requests)."""
        times = [r.time for r in self.requests]
        return min((b - a for a, b in zip(times, times[1:], strict=False)), default=None)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    # -- lifecycle

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeArxiv is not running")
        return f"http://{self._host}:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """What to put in ``FLOPMINE_ARXIV_API_URL``."""
        return self.base_url + "/api/query"

    def start(self) -> FakeArxiv:
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer((self._host, self._port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fakearxiv", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeArxiv:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals used by the handler

    def _take_fault(self, target: str) -> Fault | None:
        with self._lock:
            for f in self._faults:
                if f.fired < f.times and fnmatch.fnmatchcase(target, f.match):
                    f.fired += 1
                    return f
        return None

    def _record(self, t: float, method: str, target: str, status: int) -> None:
        with self._lock:
            self._log.append(RequestLog(t, method, target, status))

    def _search(self, params: dict[str, list[str]]) -> tuple[int, bytes, int, int, int]:
        """(status, body, total, start, per_page) for an API query."""
        q = params.get("search_query", [""])[0]
        ids = [i for i in params.get("id_list", [""])[0].split(",") if i.strip()]
        sort_by = params.get("sortBy", ["relevance"])[0]
        descending = params.get("sortOrder", ["descending"])[0] != "ascending"
        try:
            start = max(0, int(params.get("start", ["0"])[0]))
            per_page = min(MAX_PAGE, max(0, int(params.get("max_results", ["10"])[0])))
        except ValueError:
            return 400, render_error_feed("start and max_results must be integers", "bad_paging"), 0, 0, 0
        with self._lock:
            latest: dict[str, Paper] = {}
            for (aid, _v), e in self._entries.items():
                if aid not in latest or e.paper.version > latest[aid].version:
                    latest[aid] = e.paper
            order = list(self._order)
            entries = dict(self._entries)
        if ids:
            chosen: list[Paper] = []
            for raw in ids:
                try:
                    pid = parse_id(raw)
                except InvalidIdError:
                    slug = "incorrect_id_format_for_" + re.sub(r"\W", "_", raw)
                    return 400, render_error_feed(f"incorrect id format for {raw}", slug), 0, 0, 0
                if pid.version is not None:
                    e = entries.get((pid.base, pid.version))
                    if e:
                        chosen.append(e.paper)
                elif pid.base in latest:
                    chosen.append(latest[pid.base])
            candidates = [p for p in chosen if matches(q, p)] if q.strip() else chosen
        else:
            candidates = [latest[a] for a in order if matches(q, latest[a])] if q.strip() else []
        if sort_by == "lastUpdatedDate":
            candidates.sort(key=lambda p: (p.updated, p.arxiv_id), reverse=descending)
        elif sort_by == "submittedDate":
            candidates.sort(key=lambda p: (p.published, p.arxiv_id), reverse=descending)
        served = candidates if self.result_cap is None else candidates[:self.result_cap]
        page = served[start:start + per_page]
        pdf_urls = {e.paper.versioned_id: e.pdf_url for e in entries.values() if e.pdf_url}
        echo = "&".join(f"{k}={params.get(k, [''])[0]}" for k in ("search_query", "id_list", "start",
                                                                   "max_results"))
        body = render_feed(page, total=len(candidates), start=start, per_page=len(page) or per_page,
                           query_echo=echo, base_url=self.base_url, layout=self.layout, pdf_urls=pdf_urls)
        return 200, body, len(candidates), start, per_page

    def _pdf(self, rest: str) -> FakeEntry | None:
        try:
            pid = parse_id(rest.removesuffix(".pdf"))
        except InvalidIdError:
            return None
        with self._lock:
            if pid.version is not None:
                return self._entries.get((pid.base, pid.version))
            versions = [v for (a, v) in self._entries if a == pid.base]
            return self._entries.get((pid.base, max(versions))) if versions else None


class _Handler(BaseHTTPRequestHandler):
    fake: FakeArxiv
    server_version = "fakearxiv/1.0"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 — silence stderr logging
        return

    def do_GET(self) -> None:  # noqa: N802 — http.server's naming
        t = time.monotonic()
        target = self.path
        fault = self.fake._take_fault(target)
        if fault and fault.kind == "drop":
            self.fake._record(t, "GET", target, 0)
            self.close_connection = True
            return
        status, body, content_type, headers = self._response(target, fault)
        self.fake._record(t, "GET", target, status)  # logged on arrival, even when answered late
        if fault and fault.kind == "slow":
            time.sleep(fault.delay)
        if fault and fault.kind == "huge":
            self._send_huge(fault)
        elif fault and fault.kind in ("status", "html", "redirect"):
            self._send(status, body, content_type, headers)
        elif status == 200:
            self._deliver(status, body, content_type, fault)
        else:
            self._send(status, body, content_type, headers)

    def _response(self, target: str, fault: Fault | None) -> tuple[int, bytes, str, dict[str, str]]:
        """(status, body, content type, extra headers) for a request, faults applied."""
        if fault and fault.kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            return fault.status, b"<html><body>Service unavailable</body></html>", "text/html", headers
        if fault and fault.kind == "html":
            return 200, _HTML_PAGE, "text/html; charset=utf-8", {}
        if fault and fault.kind == "redirect":
            return 302, b"", "text/html", {"Location": fault.location}
        if fault and fault.kind == "huge":
            return 200, b"", "application/atom+xml; charset=utf-8", {}
        split = urlsplit(target)
        if split.path == "/api/query":
            params = parse_qs(split.query, keep_blank_values=True)
            status, body, total, start, per_page = self.fake._search(params)
            if fault and fault.kind == "empty" and status == 200:
                body = render_feed([], total=total, start=start, per_page=per_page, query_echo=split.query,
                                   base_url=self.fake.base_url, layout=self.fake.layout)
            return status, body, "application/atom+xml; charset=utf-8", {}
        if split.path.startswith("/pdf/"):
            entry = self.fake._pdf(split.path[len("/pdf/"):])
            if entry is None or entry.body is None:
                return 404, b"<html><body>Not found</body></html>", "text/html", {}
            return 200, entry.body, entry.content_type, {}
        return 404, b"not found\n", "text/plain", {}

    def _deliver(self, status: int, body: bytes, content_type: str, fault: Fault | None) -> None:
        kind = fault.kind if fault else ""
        if kind in ("malformed", "truncate"):
            self._send(status, body[: len(body) // 2], content_type)
        elif kind == "cut":
            self._send_headers(status, content_type, len(body))
            self._write(body[: len(body) // 2])
            self.close_connection = True
        elif kind == "trickle":
            assert fault is not None
            self._send_headers(status, content_type, len(body))
            for i in range(0, len(body), max(1, fault.chunk)):
                if not self._write(body[i:i + fault.chunk]):
                    return
                time.sleep(fault.delay)
        else:
            self._send(status, body, content_type)

    def _send_huge(self, fault: Fault) -> None:
        """``fault.size`` bytes of a feed that never ends, without a Content-Length (read until close)."""
        self.send_response(200)
        self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        head = f'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="{_NS_ATOM}">\n<!-- '.encode()
        filler = b"x" * 65536
        if not self._write(head):
            return
        fault.sent = len(head)
        while fault.sent < fault.size:
            piece = filler[: fault.size - fault.sent]
            if not self._write(piece):
                return
            fault.sent += len(piece)

    def _send_headers(self, status: int, content_type: str, length: int,
                      extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()

    def _write(self, data: bytes) -> bool:
        try:
            self.wfile.write(data)
            self.wfile.flush()
            return True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return False

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        try:
            self._send_headers(status, content_type, len(body), extra)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return
        self._write(body)


__all__ = ["FAULT_KINDS", "LAYOUTS", "FakeArxiv", "FakeEntry", "Fault", "RequestLog", "matches",
           "render_error_feed", "render_feed"]
