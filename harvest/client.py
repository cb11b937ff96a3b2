"""The one place that talks to arXiv: the query API (via the ``arxiv`` package) and PDF downloads.

Everything else in ``harvest/`` gets ``Paper`` records and plain byte chunks from here.

Politeness lives in one object, ``RateLimiter``: a process-wide minimum spacing between the end of
one request to arXiv and the start of the next (API pages *and* PDFs, retries included), from
``FLOPMINE_MIN_INTERVAL`` (seconds, default 3 — arXiv's published limit). A ``Retry-After`` header
and exponential backoff with jitter after failures push the next allowed request further out.
The ``arxiv.Client`` keeps its own per-client sleep; we set its ``delay_seconds`` to 0 and route
its HTTP session through the shared limiter instead.

Quirks of ``arxiv`` 4.0.x handled here (see ``../shared/reference/arxiv_py_notes.md``):

- its lxml parser runs with ``recover=True``: a truncated or HTML page on the *first* page parses as
  an empty feed and ends the search silently. Every 200 response is therefore parsed strictly
  first; a page that is not an Atom feed with ``opensearch:totalResults`` is retried, then fails.
- a read timeout is not among the errors it retries; we turn it into a retried connection error.
- HTTP 400 (the API's error feed, e.g. "incorrect id format") is not worth retrying: it fails at
  once with the API's own message.

Both feed layouts (before and after 2025) parse with the package's namespace-aware parser.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime

import arxiv
import requests
from lxml import etree

from flopmine.errors import ConfigError, HarvestError
from flopmine.ids import InvalidIdError, parse_id
from flopmine.types import Paper

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://export.arxiv.org/api/query"
ENV_API_URL = "FLOPMINE_ARXIV_API_URL"
ENV_MIN_INTERVAL = "FLOPMINE_MIN_INTERVAL"
ENV_TIMEOUT = "FLOPMINE_HTTP_TIMEOUT"
DEFAULT_MIN_INTERVAL = 3.0  # arXiv API terms of use: at most one request every three seconds
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_PAGE_SIZE = 100
DEFAULT_NUM_RETRIES = 3
MAX_RETRY_AFTER = 600.0  # never wait longer than this for one Retry-After
MAX_BACKOFF = 300.0
USER_AGENT = "flopmine/0.1 (+https://github.com/flopmine; research harvester; polite)"

_ATOM = "{http://www.w3.org/2005/Atom}"
_OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


# ---------------------------------------------------------------- errors


class TransientError(HarvestError):
    """A request failed in a way that may succeed later (timeout, dropped connection, 5xx, 429)."""


class RejectedError(HarvestError):
    """arXiv answered, but with a definite no (4xx other than 429, 404 for a PDF …)."""


class _FeedRetry(requests.exceptions.ConnectionError):
    """A feed problem the ``arxiv`` client should retry (it retries ``ConnectionError``)."""


class _FeedRejected(requests.exceptions.RequestException):
    """A 4xx answer from the API: not retried by the ``arxiv`` client."""

    def __init__(self, message: str, status: int, url: str) -> None:
        super().__init__(message)
        self.status = status
        self.url = url


# ---------------------------------------------------------------- rate limiting


class RateLimiter:
    """Minimum spacing between requests, shared by every request the process sends to arXiv.

    ``slot()`` is held for the whole request (one connection at a time, as arXiv asks); the next
    slot opens ``min_interval`` seconds after the previous one closed, or later when ``defer``
    was called (Retry-After, backoff).

    >>> limiter = RateLimiter(0.0)
    >>> with limiter.slot():
    ...     pass
    >>> limiter.requests
    1
    """

    def __init__(self, min_interval: float = DEFAULT_MIN_INTERVAL) -> None:
        if min_interval < 0:
            raise ConfigError(f"minimum request interval must be >= 0, got {min_interval}")
        self.min_interval = float(min_interval)
        self.requests = 0
        self._lock = threading.RLock()
        self._next_allowed = 0.0  # time.monotonic()

    def defer(self, seconds: float) -> None:
        """Allow no request for ``seconds`` from now (Retry-After, backoff)."""
        with self._lock:
            self._next_allowed = max(self._next_allowed, time.monotonic() + max(0.0, seconds))

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Wait for our turn, hold it while the request runs, then start the spacing clock."""
        with self._lock:
            delay = self._next_allowed - time.monotonic()
            if delay > 0:
                logger.debug("rate limit: sleeping %.3f s", delay)
                time.sleep(delay)
            self.requests += 1
            try:
                yield
            finally:
                self._next_allowed = max(self._next_allowed, time.monotonic() + self.min_interval)


_shared_limiter: RateLimiter | None = None
_shared_lock = threading.Lock()


def shared_limiter(min_interval: float | None = None) -> RateLimiter:
    """The process-wide limiter; ``min_interval`` (when given) becomes its spacing."""
    global _shared_limiter
    with _shared_lock:
        if _shared_limiter is None:
            _shared_limiter = RateLimiter(min_interval if min_interval is not None else env_min_interval())
        elif min_interval is not None:
            _shared_limiter.min_interval = float(min_interval)
        return _shared_limiter


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds") from None
    if value < 0:
        raise ConfigError(f"{name}={raw!r} must not be negative")
    return value


def env_min_interval() -> float:
    """``FLOPMINE_MIN_INTERVAL`` in seconds (default 3)."""
    return _env_float(ENV_MIN_INTERVAL, DEFAULT_MIN_INTERVAL)


def env_api_url() -> str:
    """``FLOPMINE_ARXIV_API_URL`` (default the public API)."""
    url = os.environ.get(ENV_API_URL, "").strip() or DEFAULT_API_URL
    if not re.match(r"^https?://", url):
        raise ConfigError(f"{ENV_API_URL}={url!r} must be an http(s) URL")
    return url


def env_timeout() -> tuple[float, float]:
    """(connect, read) timeouts; ``FLOPMINE_HTTP_TIMEOUT`` sets both (seconds)."""
    read = _env_float(ENV_TIMEOUT, DEFAULT_READ_TIMEOUT)
    return (min(DEFAULT_CONNECT_TIMEOUT, read), read)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date).

    >>> parse_retry_after("7")
    7.0
    >>> parse_retry_after("garbage") is None
    True
    """
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


# ---------------------------------------------------------------- HTTP session


class ArxivSession(requests.Session):
    """A ``requests.Session`` whose every request waits on the shared limiter and has timeouts.

    After a 429/5xx or a transport failure it defers the limiter by ``Retry-After`` or by an
    exponential backoff with jitter (``base * 2**n``, n = consecutive failures).
    """

    def __init__(self, limiter: RateLimiter, *, timeout: tuple[float, float] | None = None,
                 backoff_base: float | None = None) -> None:
        super().__init__()
        self.limiter = limiter
        self.timeout = timeout or env_timeout()
        self.backoff_base = backoff_base
        self.headers["User-Agent"] = USER_AGENT
        self._failures = 0

    def _backoff(self, retry_after: float | None = None) -> None:
        self._failures += 1
        base = self.backoff_base if self.backoff_base is not None else max(self.limiter.min_interval, 0.01)
        wait = min(MAX_BACKOFF, base * 2 ** (self._failures - 1)) * (1.0 + random.uniform(0.0, 0.25))
        if retry_after is not None:
            wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
            logger.info("arXiv asked us to wait %.1f s (Retry-After)", retry_after)
        self.limiter.defer(wait)

    def request(self, method: str | bytes, url: str | bytes, *args: object, **kwargs: object) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        with self.limiter.slot():
            try:
                resp = super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]
            except requests.exceptions.RequestException:
                self._backoff()
                raise
            if resp.status_code == 429 or resp.status_code >= 500:
                self._backoff(parse_retry_after(resp.headers.get("Retry-After")))
            else:
                self._failures = 0
            return resp


class _FeedSession(ArxivSession):
    """The session the ``arxiv.Client`` uses: validates feeds so that the client retries bad ones."""

    def request(self, method: str | bytes, url: str | bytes, *args: object, **kwargs: object) -> requests.Response:  # type: ignore[override]
        try:
            resp = super().request(method, url, *args, **kwargs)
        except requests.exceptions.Timeout as e:
            raise _FeedRetry(f"timed out: {e}") from e
        if resp.status_code == 200:
            problem = feed_problem(resp.content)
            if problem:
                logger.warning("bad feed page from %s: %s", url, problem)
                self._backoff()
                raise _FeedRetry(problem)
        elif 400 <= resp.status_code < 500 and resp.status_code != 429:
            raise _FeedRejected(api_error_message(resp.content) or "not an arXiv API answer (check the API URL)",
                                resp.status_code, str(url))
        return resp


def feed_problem(content: bytes) -> str | None:
    """Why ``content`` is not a usable arXiv Atom page, or None when it is.

    >>> feed_problem(b"<html><body>Service unavailable</body></html>")
    'not an Atom feed (root element <html>)'
    >>> feed_problem(b"<feed xmlns='http://www.w3.org/2005/Atom'><entry>")[:15]
    'malformed XML: '
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError as e:
        return f"malformed XML: {e}"
    if root is None or root.tag != f"{_ATOM}feed":
        tag = etree.QName(root).localname if root is not None else "none"
        return f"not an Atom feed (root element <{tag}>)"
    if root.find(f"{_OPENSEARCH}totalResults") is None:
        return "Atom feed without opensearch:totalResults"
    return None


def api_error_message(content: bytes) -> str | None:
    """The message of the API's error feed (``<id>…/api/errors#…</id>``), if that is what this is.

    >>> api_error_message(b'''<feed xmlns="http://www.w3.org/2005/Atom"><entry>
    ... <id>https://arxiv.org/api/errors#bad</id><summary>incorrect id format for abc</summary>
    ... </entry></feed>''')
    'incorrect id format for abc'
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError:
        return None
    if root is None:
        return None
    for entry in root.iterfind(f"{_ATOM}entry"):
        entry_id = entry.findtext(f"{_ATOM}id") or ""
        if "/api/errors" in entry_id:
            return (entry.findtext(f"{_ATOM}summary") or entry_id).strip()
    return None


# ---------------------------------------------------------------- results → Paper


def _iso(dt: object) -> str:
    if dt is None or not hasattr(dt, "astimezone"):
        return ""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # type: ignore[union-attr]


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def result_to_paper(result: arxiv.Result, benchmarks: Sequence[str] = ()) -> Paper | None:
    """A ``Paper`` from one feed entry, or None (logged) when its id is not an arXiv id.

    Ids come from the entry's ``<id>`` (``http://arxiv.org/abs/1512.03385v1``); the version is
    read from it (v1 when absent). Whitespace in titles and (hard-wrapped, 2016-layout) abstracts
    is collapsed.
    """
    short = result.get_short_id()
    try:
        aid = parse_id(short)
    except InvalidIdError:
        logger.warning("skipping feed entry with unusable id %r", result.entry_id)
        return None
    pdf_url = result.pdf_url or ""
    if not pdf_url and "/abs/" in result.entry_id:
        pdf_url = result.entry_id.replace("/abs/", "/pdf/")
    return Paper(
        arxiv_id=aid.base, version=aid.version or 1, title=_clean(result.title),
        authors=tuple(_clean(a.name) for a in result.authors), abstract=_clean(result.summary),
        categories=tuple(result.categories), primary_category=result.primary_category or "",
        published=_iso(result.published), updated=_iso(result.updated), pdf_url=pdf_url,
        benchmarks=tuple(benchmarks),
    )


def parse_feed(content: bytes, benchmarks: Sequence[str] = ()) -> tuple[int, list[Paper]]:
    """(totalResults, papers) of one API page, either layout; ``HarvestError`` for error or bad pages.

    Uses the same parser as the client (``arxiv``'s, after our strict check).
    """
    message = api_error_message(content)
    if message:
        raise RejectedError(f"arXiv API error: {message}")
    problem = feed_problem(content)
    if problem:
        raise TransientError(f"bad feed page: {problem}")
    feed = arxiv._feed.parse(content)
    papers = [p for p in (result_to_paper(r, benchmarks) for r in feed.results) if p is not None]
    return feed.header.total_results, papers


# ---------------------------------------------------------------- the client


@dataclass(frozen=True)
class Chunked:
    """A streamed HTTP response body: status, headers and an iterator of byte chunks."""

    url: str
    status: int
    content_type: str
    content_length: int | None
    chunks: Iterator[bytes]


class ArxivClient:
    """Queries the arXiv API and streams PDFs, politely.

    >>> client = ArxivClient("http://127.0.0.1:9/api/query", min_interval=0.0)
    >>> client.api_url
    'http://127.0.0.1:9/api/query'
    """

    def __init__(self, api_url: str | None = None, *, page_size: int = DEFAULT_PAGE_SIZE,
                 num_retries: int = DEFAULT_NUM_RETRIES, min_interval: float | None = None,
                 timeout: tuple[float, float] | None = None, limiter: RateLimiter | None = None) -> None:
        self.api_url = (api_url or env_api_url()).split("?", 1)[0]
        self.limiter = limiter or shared_limiter(env_min_interval() if min_interval is None else min_interval)
        self.timeout = timeout or env_timeout()
        self._arxiv = arxiv.Client(page_size=page_size, delay_seconds=0.0, num_retries=num_retries)
        self._arxiv.query_url_format = self.api_url + "?{}"
        self._arxiv._session = _FeedSession(self.limiter, timeout=self.timeout)
        self._pdf_session = ArxivSession(self.limiter, timeout=self.timeout)

    @property
    def page_size(self) -> int:
        return self._arxiv.page_size

    def close(self) -> None:
        self._arxiv._session.close()
        self._pdf_session.close()

    def __enter__(self) -> ArxivClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def search(self, query: str, *, benchmarks: Sequence[str] = (), sort_by: str = "lastUpdatedDate",
               descending: bool = True, id_list: Sequence[str] = ()) -> Iterator[Paper]:
        """Papers matching ``query`` (arXiv ``search_query`` syntax), newest first by default.

        Pages are fetched lazily: stop iterating and no further page is requested.
        Raises ``TransientError`` (retries exhausted) or ``RejectedError`` (HTTP 4xx).

        Example: ``client.search('abs:"CIFAR-10" AND cat:cs.CV', benchmarks=("cifar10",))``.
        """
        search = arxiv.Search(
            query=query, id_list=list(id_list), max_results=None,
            sort_by=arxiv.SortCriterion(sort_by),
            sort_order=arxiv.SortOrder.Descending if descending else arxiv.SortOrder.Ascending,
        )
        results = self._arxiv.results(search)
        while True:
            try:
                result = next(results)
            except StopIteration:
                return
            except _FeedRejected as e:
                raise RejectedError(f"arXiv rejected the query: {e}", status=e.status, url=e.url) from None
            except arxiv.HTTPError as e:
                raise TransientError(f"arXiv API failed after {e.retry + 1} tries", status=e.status,
                                     url=e.url) from None
            except arxiv.UnexpectedEmptyPageError as e:
                raise TransientError(f"arXiv API kept returning an empty page after {e.retry + 1} tries",
                                     url=e.url) from None
            except requests.exceptions.RequestException as e:
                raise TransientError(f"arXiv API unreachable or returning bad feeds: {e}",
                                     url=getattr(e.request, "url", None) if e.request else None) from None
            paper = result_to_paper(result, benchmarks)
            if paper is not None:
                yield paper

    @contextlib.contextmanager
    def stream(self, url: str) -> Iterator[Chunked]:
        """GET ``url`` (a PDF link from the feed) streaming, inside one rate-limiter slot.

        Raises ``TransientError`` for timeouts, dropped connections, 429 and 5xx; ``RejectedError``
        for other non-200 answers. Errors while reading the body surface as ``TransientError``
        from the chunk iterator.
        """
        if not re.match(r"^https?://", url):
            raise RejectedError("refusing a non-http(s) PDF link", url=url)
        try:
            resp = self._pdf_session.get(url, stream=True, timeout=self.timeout)
        except requests.exceptions.RequestException as e:
            raise TransientError(f"request failed: {type(e).__name__}", url=url) from None
        try:
            if resp.status_code != 200:
                err = TransientError if resp.status_code == 429 or resp.status_code >= 500 else RejectedError
                raise err("PDF request refused", status=resp.status_code, url=url)
            length = resp.headers.get("Content-Length")
            yield Chunked(
                url=url, status=resp.status_code,
                content_type=resp.headers.get("Content-Type", "").split(";")[0].strip().lower(),
                content_length=int(length) if length and length.isdigit() else None,
                chunks=self._chunks(resp, url),
            )
        finally:
            resp.close()

    def _chunks(self, resp: requests.Response, url: str) -> Iterator[bytes]:
        try:
            # the limiter slot already ended with the headers; keep the spacing from the body's end
            yield from resp.iter_content(chunk_size=64 * 1024)
        except requests.exceptions.RequestException as e:
            raise TransientError(f"download interrupted: {type(e).__name__}", url=url) from None
        finally:
            self.limiter.defer(self.limiter.min_interval)
