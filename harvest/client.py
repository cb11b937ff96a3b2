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

Bounds, whatever the server does:

- every request has an overall deadline (``FLOPMINE_API_DEADLINE`` per API page, ``FLOPMINE_PDF_DEADLINE``
  per PDF): a watchdog shuts the connection down when it passes, so a server that drips one byte at a
  time fails like any other timed-out request (the read timeout alone bounds single reads only);
- feed pages are streamed and capped (``DEFAULT_MAX_FEED_BYTES``), like PDFs;
- only arXiv's hosts (``arxiv.org`` and its subdomains) and the configured API host are contacted, for
  PDF links and for redirects alike; anything else is refused, naming its URL. The check and the
  request use one parse of the URL (``checked_url``); a backslash, userinfo or unusual port is refused;
- when arXiv gives no answer at all (connection refused, host not found, connect timeout, or a
  connection that times out or drops before any answer) through one query's retries,
  ``ServiceUnreachableError`` says so in one line and the run stops.

Both feed layouts (before and after 2025) parse with the package's namespace-aware parser.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import arxiv
import requests
import urllib3.exceptions
from lxml import etree
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import parse_url

from flopmine.errors import ConfigError, HarvestError
from flopmine.ids import InvalidIdError, parse_id
from flopmine.types import Paper

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://export.arxiv.org/api/query"
ENV_API_URL = "FLOPMINE_ARXIV_API_URL"
ENV_MIN_INTERVAL = "FLOPMINE_MIN_INTERVAL"
ENV_TIMEOUT = "FLOPMINE_HTTP_TIMEOUT"
ENV_API_DEADLINE = "FLOPMINE_API_DEADLINE"
ENV_PDF_DEADLINE = "FLOPMINE_PDF_DEADLINE"
DEFAULT_MIN_INTERVAL = 3.0  # arXiv API terms of use: at most one request every three seconds
# 4 tries × 6 s plus the backoff between them (3, 6, 12 s + 25 % jitter at the default spacing): an
# unreachable arXiv stops the run within 51 s (10 s took 61–66 s)
DEFAULT_CONNECT_TIMEOUT = 6.0
DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_API_DEADLINE = 120.0  # seconds for one API page, from the request to the last byte
DEFAULT_PDF_DEADLINE = 600.0  # seconds for one PDF (100 MB at ~170 kB/s)
DEFAULT_MAX_FEED_BYTES = 16 * 1024 * 1024  # a 2000-entry page is ~4 MB
DEFAULT_RESULT_CAP = 30_000  # arXiv serves at most this many results of one query
MAX_REDIRECTS = 5
ARXIV_DOMAIN = "arxiv.org"  # arXiv's hosts: arxiv.org, export.arxiv.org, www.arxiv.org …
# arXiv's API User's Manual: at most 2000 results per request (and 30,000 per query); fewer requests at the
# 3 s spacing (50k entries: 25 pages instead of 500). An incremental pass asks a small first page, as it
# usually stops within it at its high-water mark.
MAX_PAGE_SIZE = 2000
DEFAULT_PAGE_SIZE = MAX_PAGE_SIZE
INCREMENTAL_FIRST_PAGE = 100
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


class ServiceUnreachableError(TransientError):
    """arXiv could not be reached at all (refused, unknown host, connect timeout) through every retry.

    Its message is one line: which host, what went wrong, what to do. ``harvest.run`` stops at it.
    """


class _FeedRetry(requests.exceptions.ConnectionError):
    """A feed problem the ``arxiv`` client should retry (it retries ``ConnectionError``)."""


class _BadFeed(_FeedRetry):
    """arXiv answered, but the page is not a usable feed (retried; the host did answer)."""


class _FeedRejected(requests.exceptions.RequestException):
    """A definite no for an API page (4xx, a page over the size cap): not retried by the ``arxiv`` client."""

    def __init__(self, message: str, status: int | None, url: str) -> None:
        super().__init__(message)
        self.status = status
        self.url = url


class DeadlineExceeded(requests.exceptions.Timeout):
    """The request did not complete within its overall deadline (slow server, dripping body)."""


class OffsiteUrlError(requests.exceptions.RequestException):
    """A link or redirect to a host that is not arXiv's (nor the configured API host)."""

    def __init__(self, message: str, url: str) -> None:
        super().__init__(message)
        self.url = url


# ---------------------------------------------------------------- describing failures

_UNREACHABLE = (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError,
                urllib3.exceptions.NameResolutionError, requests.exceptions.ConnectTimeout)


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and what it wraps (``__cause__``/``__context__``, urllib3's ``reason``, exception args)."""
    seen: set[int] = set()
    todo: list[BaseException] = [error]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo.extend(x for x in (e.__cause__, e.__context__, getattr(e, "reason", None), *e.args)
                    if isinstance(x, BaseException))


def is_unreachable(error: BaseException) -> bool:
    """Whether ``error`` means no connection could be made at all (not: the server answered badly)."""
    return any(isinstance(e, _UNREACHABLE) for e in _causes(error))


_DESCRIPTIONS: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    (ConnectionRefusedError, "connection refused"),
    ((socket.gaierror, urllib3.exceptions.NameResolutionError), "host name not found"),
    (requests.exceptions.SSLError, "TLS handshake failed"),
    (requests.exceptions.TooManyRedirects, "too many redirects"),
    ((urllib3.exceptions.ConnectTimeoutError, requests.exceptions.ConnectTimeout), "timed out connecting"),
    ((urllib3.exceptions.ReadTimeoutError, requests.exceptions.ReadTimeout, TimeoutError),
     "timed out waiting for an answer"),
    ((ConnectionResetError, urllib3.exceptions.ProtocolError, requests.exceptions.ChunkedEncodingError),
     "connection dropped by the server"),
)


def describe_request_error(error: BaseException) -> str:
    """One short line for a failed request, instead of urllib3's nested text.

    >>> describe_request_error(requests.exceptions.ConnectionError(ConnectionRefusedError(111, "refused")))
    'connection refused'
    >>> describe_request_error(DeadlineExceeded("no complete answer within 2 s"))
    'no complete answer within 2 s'
    """
    causes = list(_causes(error))
    for e in causes:
        if isinstance(e, (DeadlineExceeded, _FeedRetry, _FeedRejected, OffsiteUrlError)):
            return str(e.args[0]) if e.args else type(e).__name__
    for kinds, text in _DESCRIPTIONS:  # most specific first: urllib3's NewConnectionError is a ConnectTimeoutError
        if any(isinstance(e, kinds) for e in causes):
            return text
    for e in causes:
        if isinstance(e, OSError) and e.strerror:
            return e.strerror.lower()
    return type(error).__name__


_NO_ANSWER = (requests.exceptions.Timeout, requests.exceptions.ConnectionError, urllib3.exceptions.ProtocolError,
              TimeoutError, ConnectionError)
_ANSWERED = (_BadFeed, _FeedRejected, OffsiteUrlError)


def no_answer(error: BaseException) -> bool:
    """Whether ``error`` means the host gave no HTTP answer at all: no connection could be made, or one was
    made and then timed out, was reset or dropped before an answer (a host that accepts and never answers)."""
    causes = list(_causes(error))
    if any(isinstance(e, _ANSWERED) for e in causes):
        return False
    return any(isinstance(e, _UNREACHABLE + _NO_ANSWER) for e in causes)


def unreachable_message(url: str, error: BaseException, tries: int) -> str:
    """The one line ``ServiceUnreachableError`` carries: host, error, what to do."""
    host = urlsplit(url).netloc or url
    where = f"arXiv is unreachable at {host}" if is_unreachable(error) else f"arXiv at {host} does not answer"
    return (f"{where}: {describe_request_error(error)} ({tries} tries); "
            f"check the network connection (or {ENV_API_URL}) and run again later")


# ---------------------------------------------------------------- allowed hosts


_DEFAULT_PORTS = {"http": 80, "https": 443}
# A host name as arXiv's are spelled: letters, digits, dots and hyphens (an IPv4 address included). No
# backslash, percent escape, bracket, "@" or anything else that two URL parsers could read differently.
_PLAIN_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$")
_PLAIN_URL = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no spaces or control characters


def _origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a trusted URL (the configured API URL), as urllib3 reads it."""
    parts = parse_url(url)
    scheme = (parts.scheme or "").lower()
    return scheme, (parts.host or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme, 0)


def checked_url(url: str, api_url: str, *, what: str = "a link") -> str:
    """The URL to request for ``url``, parsed once, or ``OffsiteUrlError`` when it may not be fetched.

    Allowed: http(s) on arXiv's hosts (``arxiv.org`` and its subdomains) on the scheme's default port,
    or the configured API host and port (the loopback fake arXiv in tests). Refused: anything else,
    and any URL that parsers could read differently — a backslash, a space or control character,
    userinfo (``user@``), a host that is not plain letters, digits, dots and hyphens, or an unusual
    port. The URL returned is rebuilt from the one parse the check used (no userinfo, no fragment),
    so the request goes exactly where the check looked.

    >>> checked_url("https://arxiv.org/pdf/1512.03385v1", "https://export.arxiv.org/api/query")
    'https://arxiv.org/pdf/1512.03385v1'
    >>> checked_url("http://127.0.0.1:8123/pdf/1v1", "http://127.0.0.1:8123/api/query")
    'http://127.0.0.1:8123/pdf/1v1'
    """
    def refuse(why: str) -> OffsiteUrlError:
        return OffsiteUrlError(f"refusing {what} {why}: {url}", url)

    if "\\" in url:
        raise refuse("with a backslash")
    if not _PLAIN_URL.match(url):
        raise refuse("with spaces, control or non-ASCII characters")
    try:
        parts = parse_url(url)
    except urllib3.exceptions.LocationParseError:
        raise refuse("that is not a valid URL") from None
    scheme = (parts.scheme or "").lower()
    if scheme not in _DEFAULT_PORTS:
        raise refuse("that is not http(s)")
    authority = re.split(r"[/?#]", url.split("://", 1)[-1], maxsplit=1)[0]
    if parts.auth is not None or "@" in authority:
        raise refuse("with a user name (user@host)")
    host = (parts.host or "").lower()
    if not _PLAIN_HOST.match(host) or ".." in host:
        raise refuse("whose host is not a plain host name")
    port = parts.port or _DEFAULT_PORTS[scheme]
    if (scheme, host, port) != _origin(api_url):
        if not (host == ARXIV_DOMAIN or host.endswith("." + ARXIV_DOMAIN)):
            raise refuse("to a host that is not arXiv's")
        if port != _DEFAULT_PORTS[scheme]:
            raise refuse(f"to an unusual port ({port}) of arXiv's host")
    netloc = host if port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path or '/'}" + (f"?{parts.query}" if parts.query is not None else "")


def host_allowed(url: str, api_url: str) -> bool:
    """Whether ``url`` may be fetched (see ``checked_url``).

    >>> host_allowed("https://arxiv.org/pdf/1512.03385v1", "https://export.arxiv.org/api/query")
    True
    >>> host_allowed("https://evil.example/pdf/1512.03385v1", "https://export.arxiv.org/api/query")
    False
    >>> host_allowed("http://127.0.0.2" + chr(92) + ".arxiv.org/pdf/1v1", "https://export.arxiv.org/api/query")
    False
    """
    try:
        checked_url(url, api_url)
    except OffsiteUrlError:
        return False
    return True


# ---------------------------------------------------------------- overall deadlines


class _Deadline:
    """Shuts down the connections of one request when its overall deadline passes.

    The read timeout bounds each ``recv``; a server dripping a byte at a time never trips it. This
    watchdog (a timer thread) shuts the socket down instead, which ends any blocked read at once;
    the request then fails as ``DeadlineExceeded``.
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds if seconds and seconds > 0 else None
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def start(self) -> None:
        if self.seconds is not None and self._timer is None:
            self._timer = threading.Timer(self.seconds, self._expire)
            self._timer.daemon = True
            self._timer.start()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def track(self, sock: socket.socket) -> None:
        with self._lock:
            if sock not in self._sockets:
                self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shut_down(sock)

    def error(self) -> DeadlineExceeded:
        return DeadlineExceeded(f"no complete answer within {self.seconds:g} s")

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut_down(sock)

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        """Connections used by requests made in this block (this thread) are watched."""
        previous = getattr(_watch, "deadline", None)
        _watch.deadline = self
        try:
            yield
        finally:
            _watch.deadline = previous


_watch = threading.local()


def _shut_down(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's, also under TLS


def _track_current(connection: HTTPConnection) -> None:
    """Watch the connection's socket (the response keeps reading it after the connection lets go)."""
    deadline = getattr(_watch, "deadline", None)
    sock = getattr(connection, "sock", None)
    if deadline is not None and sock is not None:
        deadline.track(sock)


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _track_current(self)  # shut down at once if the deadline passed while connecting

    def request(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        _track_current(self)  # a kept-alive connection: already connected
        super().request(*args, **kwargs)  # type: ignore[arg-type]
        _track_current(self)  # connected lazily by the request


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _track_current(self)

    def request(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        _track_current(self)
        super().request(*args, **kwargs)  # type: ignore[arg-type]
        _track_current(self)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection  # type: ignore[assignment]


class _WatchedAdapter(HTTPAdapter):
    """An adapter whose connections a ``_Deadline`` can shut down."""

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


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

    def reset(self) -> None:
        """Forget any deferral (Retry-After, backoff): the next request may start at once."""
        with self._lock:
            self._next_allowed = 0.0

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


def env_api_deadline() -> float:
    """``FLOPMINE_API_DEADLINE``: seconds allowed for one API page, start to last byte (default 120; 0: none)."""
    return _env_float(ENV_API_DEADLINE, DEFAULT_API_DEADLINE)


def env_pdf_deadline() -> float:
    """``FLOPMINE_PDF_DEADLINE``: seconds allowed for one PDF, start to last byte (default 600; 0: none)."""
    return _env_float(ENV_PDF_DEADLINE, DEFAULT_PDF_DEADLINE)


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
    """A ``requests.Session`` whose every request waits on the shared limiter and is bounded.

    Bounds: connect/read timeouts, an overall ``deadline`` per request (see ``_Deadline``), a
    size cap for bodies read whole (``max_body_bytes``; streamed bodies are capped by their
    reader), and requests and redirects only to allowed URLs (``check_url`` returns the URL to request,
    parsed once, or raises ``OffsiteUrlError``; see ``checked_url``).

    After a 429/5xx or a transport failure it defers the limiter by ``Retry-After`` or by an
    exponential backoff with jitter (``base * 2**n``, n = consecutive failures; ``reset_backoff``
    starts again from ``base``).
    """

    def __init__(self, limiter: RateLimiter, *, timeout: tuple[float, float] | None = None,
                 backoff_base: float | None = None, deadline: float | None = None,
                 max_body_bytes: int = DEFAULT_MAX_FEED_BYTES,
                 check_url: Callable[..., str] | None = None) -> None:
        super().__init__()
        self.limiter = limiter
        self.timeout = timeout or env_timeout()
        self.backoff_base = backoff_base
        self.deadline = deadline
        self.max_body_bytes = max_body_bytes
        self.check_url = check_url
        self.max_redirects = MAX_REDIRECTS
        self.headers["User-Agent"] = USER_AGENT
        self.mount("http://", _WatchedAdapter())
        self.mount("https://", _WatchedAdapter())
        self._failures = 0

    def reset_backoff(self) -> None:
        """Start the next backoff from its base again (each benchmark's query starts fresh)."""
        self._failures = 0

    def _backoff(self, retry_after: float | None = None) -> None:
        self._failures += 1
        base = self.backoff_base if self.backoff_base is not None else max(self.limiter.min_interval, 0.01)
        wait = min(MAX_BACKOFF, base * 2 ** (self._failures - 1)) * (1.0 + random.uniform(0.0, 0.25))
        if retry_after is not None:
            wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
            logger.info("arXiv asked us to wait %.1f s (Retry-After)", retry_after)
        self.limiter.defer(wait)

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        """Follow a redirect only to an allowed host; anything else is refused, naming its URL."""
        target = super().get_redirect_target(resp)
        if target and self.check_url is not None:
            try:
                return self.check_url(urljoin(resp.url, target), what="a redirect")
            except OffsiteUrlError:
                resp.close()
                raise
        return target

    def request(self, method: str | bytes, url: str | bytes, *args: object, **kwargs: object) -> requests.Response:  # type: ignore[override]
        """Send one request inside a limiter slot; a streamed response carries its ``_Deadline``.

        Without ``stream=True`` the body is read here, capped at ``max_body_bytes`` and within the
        deadline. With it, the caller reads the body and calls ``finish(resp)`` when done.
        """
        if self.check_url is not None:  # the URL sent is the one the check parsed
            url = self.check_url(url.decode() if isinstance(url, bytes) else url)
        stream = bool(kwargs.pop("stream", False))
        kwargs.setdefault("timeout", self.timeout)
        deadline = _Deadline(self.deadline)
        resp: requests.Response | None = None
        with self.limiter.slot():
            deadline.start()
            try:
                with deadline.watching():
                    resp = super().request(method, url, *args, stream=True, **kwargs)  # type: ignore[arg-type]
                if not stream:
                    resp._content = self._read_capped(resp, deadline)
            except (OffsiteUrlError, _FeedRejected):
                deadline.cancel()
                if resp is not None:
                    resp.close()
                raise
            except requests.exceptions.RequestException as e:
                deadline.cancel()
                if resp is not None:
                    resp.close()
                self._backoff()
                if deadline.expired:
                    raise deadline.error() from e
                raise
            except BaseException:
                deadline.cancel()
                if resp is not None:
                    resp.close()
                raise
            if stream:
                resp.deadline = deadline  # type: ignore[attr-defined]
            else:
                deadline.cancel()
            if resp.status_code == 429 or resp.status_code >= 500:
                self._backoff(parse_retry_after(resp.headers.get("Retry-After")))
            else:
                self._failures = 0
            return resp

    def _read_capped(self, resp: requests.Response, deadline: _Deadline) -> bytes:
        """The whole body, or ``_FeedRejected`` past ``max_body_bytes`` / ``DeadlineExceeded`` past the deadline."""
        cap = self.max_body_bytes
        announced = resp.headers.get("Content-Length", "")
        if announced.isdigit() and int(announced) > cap:
            raise _FeedRejected(f"answer of {int(announced)} bytes is over the {cap}-byte cap", resp.status_code,
                                resp.url)
        parts: list[bytes] = []
        size = 0
        try:
            for chunk in resp.iter_content(chunk_size=64 * 1024):
                size += len(chunk)
                if size > cap:
                    raise _FeedRejected(f"answer larger than the {cap}-byte cap", resp.status_code, resp.url)
                parts.append(chunk)
        except requests.exceptions.RequestException as e:
            if deadline.expired and not isinstance(e, _FeedRejected):
                raise deadline.error() from e
            raise
        if deadline.expired:  # the watchdog may end a body without a length early, not with an error
            raise deadline.error()
        return b"".join(parts)


def finish(resp: requests.Response) -> None:
    """Close a streamed response and stop its deadline watchdog."""
    deadline = getattr(resp, "deadline", None)
    if isinstance(deadline, _Deadline):
        deadline.cancel()
    resp.close()


class _FeedSession(ArxivSession):
    """The session the ``arxiv.Client`` uses: validates feeds so that the client retries bad ones.

    ``last_total_results`` is the ``opensearch:totalResults`` of the last good page.
    """

    last_total_results: int | None = None

    def request(self, method: str | bytes, url: str | bytes, *args: object, **kwargs: object) -> requests.Response:  # type: ignore[override]
        try:
            resp = super().request(method, url, *args, **kwargs)
        except requests.exceptions.Timeout as e:
            raise _FeedRetry(describe_request_error(e)) from e
        if resp.status_code == 200:
            problem, total = _inspect_feed(resp.content)
            if problem:
                logger.warning("bad feed page from %s: %s", url, problem)
                self._backoff()
                raise _BadFeed(problem)
            self.last_total_results = total
        elif 400 <= resp.status_code < 500 and resp.status_code != 429:
            raise _FeedRejected(api_error_message(resp.content) or "not an arXiv API answer (check the API URL)",
                                resp.status_code, str(url))
        return resp


def _inspect_feed(content: bytes) -> tuple[str | None, int | None]:
    """(why ``content`` is not a usable arXiv Atom page or None, its totalResults or None)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError as e:
        return f"malformed XML: {e}", None
    if root is None or root.tag != f"{_ATOM}feed":
        tag = etree.QName(root).localname if root is not None else "none"
        return f"not an Atom feed (root element <{tag}>)", None
    total = root.findtext(f"{_OPENSEARCH}totalResults")
    if total is None:
        return "Atom feed without opensearch:totalResults", None
    try:
        return None, int(total.strip())
    except ValueError:
        return f"opensearch:totalResults is not a number: {total.strip()[:40]!r}", None


def feed_problem(content: bytes) -> str | None:
    """Why ``content`` is not a usable arXiv Atom page, or None when it is.

    >>> feed_problem(b"<html><body>Service unavailable</body></html>")
    'not an Atom feed (root element <html>)'
    >>> feed_problem(b"<feed xmlns='http://www.w3.org/2005/Atom'><entry>")[:15]
    'malformed XML: '
    """
    return _inspect_feed(content)[0]


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


class SearchResults(Iterator[Paper]):
    """The papers of one search, fetched page by page; ``total_results`` is known after the first page.

    ``total_results`` is arXiv's ``opensearch:totalResults`` (None before the first page). arXiv
    serves at most ~30,000 of them (``DEFAULT_RESULT_CAP``); ``harvest.run`` splits a query beyond
    that by submission date.
    """

    def __init__(self, client: ArxivClient, results: Iterator[arxiv.Result], benchmarks: Sequence[str],
                 page_size: int | None = None) -> None:
        self._client = client
        self._results = results
        self._benchmarks = tuple(benchmarks)
        self._page_size_after_first = page_size  # pages after the first (small) one
        self.total_results: int | None = None

    def __iter__(self) -> SearchResults:
        return self

    def __next__(self) -> Paper:
        while True:
            try:
                result = next(self._results)
            except StopIteration:
                self.total_results = self._client._feed_session.last_total_results
                raise
            except _FeedRejected as e:
                raise RejectedError(f"arXiv rejected the query: {e}", status=e.status, url=e.url) from None
            except OffsiteUrlError as e:
                raise RejectedError(str(e.args[0])) from None
            except arxiv.HTTPError as e:
                raise TransientError(f"arXiv API failed after {e.retry + 1} tries", status=e.status,
                                     url=e.url) from None
            except arxiv.UnexpectedEmptyPageError as e:
                raise TransientError(f"arXiv API kept returning an empty page after {e.retry + 1} tries",
                                     url=e.url) from None
            except requests.exceptions.RequestException as e:
                tries = self._client.num_retries + 1
                if no_answer(e):  # the host failed this query's every try: the other queries would too
                    raise ServiceUnreachableError(unreachable_message(self._client.api_url, e, tries)) from None
                raise TransientError(f"arXiv API failed after {tries} tries: {describe_request_error(e)}",
                                     url=self._client.api_url) from None
            self.total_results = self._client._feed_session.last_total_results
            if self._page_size_after_first is not None:  # read by the arxiv client when it asks the next page
                self._client._arxiv.page_size = self._page_size_after_first
                self._page_size_after_first = None
            paper = result_to_paper(result, self._benchmarks)
            if paper is not None:
                return paper


class ArxivClient:
    """Queries the arXiv API and streams PDFs, politely and within bounds.

    ``api_deadline`` / ``pdf_deadline`` (seconds, 0 for none) bound one API page / one PDF from the
    request to the last byte (defaults from ``FLOPMINE_API_DEADLINE`` / ``FLOPMINE_PDF_DEADLINE``);
    ``max_feed_bytes`` caps one API page.

    >>> client = ArxivClient("http://127.0.0.1:9/api/query", min_interval=0.0)
    >>> client.api_url
    'http://127.0.0.1:9/api/query'
    """

    def __init__(self, api_url: str | None = None, *, page_size: int = DEFAULT_PAGE_SIZE,
                 num_retries: int = DEFAULT_NUM_RETRIES, min_interval: float | None = None,
                 timeout: tuple[float, float] | None = None, limiter: RateLimiter | None = None,
                 api_deadline: float | None = None, pdf_deadline: float | None = None,
                 max_feed_bytes: int = DEFAULT_MAX_FEED_BYTES) -> None:
        self.api_url = (api_url or env_api_url()).split("?", 1)[0]
        self.limiter = limiter or shared_limiter(env_min_interval() if min_interval is None else min_interval)
        self.timeout = timeout or env_timeout()
        self.num_retries = num_retries
        self._page_size = page_size
        self._arxiv = arxiv.Client(page_size=page_size, delay_seconds=0.0, num_retries=num_retries)
        self._arxiv.query_url_format = self.api_url + "?{}"
        self._feed_session = _FeedSession(
            self.limiter, timeout=self.timeout, max_body_bytes=max_feed_bytes, check_url=self.checked,
            deadline=env_api_deadline() if api_deadline is None else api_deadline)
        self._arxiv._session = self._feed_session
        self._pdf_session = ArxivSession(
            self.limiter, timeout=self.timeout, check_url=self.checked,
            deadline=env_pdf_deadline() if pdf_deadline is None else pdf_deadline)

    @property
    def page_size(self) -> int:
        """Entries asked per API request (the first page of an incremental pass may ask fewer)."""
        return self._page_size

    def allows(self, url: str) -> bool:
        """Whether ``url`` is on arXiv's hosts or on this client's API host (see ``checked_url``)."""
        return host_allowed(url, self.api_url)

    def checked(self, url: str, *, what: str = "a link") -> str:
        """The URL to request for ``url`` (see ``checked_url``); ``OffsiteUrlError`` when it is refused."""
        return checked_url(url, self.api_url, what=what)

    def close(self) -> None:
        self._feed_session.close()
        self._pdf_session.close()

    def __enter__(self) -> ArxivClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def search(self, query: str, *, benchmarks: Sequence[str] = (), sort_by: str = "lastUpdatedDate",
               descending: bool = True, id_list: Sequence[str] = (),
               first_page_size: int | None = None) -> SearchResults:
        """Papers matching ``query`` (arXiv ``search_query`` syntax), newest first by default.

        Pages are fetched lazily: stop iterating and no further page is requested. ``first_page_size``
        asks fewer entries on the first page only (an incremental pass usually stops within it). The backoff
        starts afresh for each search. Raises ``ServiceUnreachableError`` (no connection through
        every retry), ``TransientError`` (retries exhausted) or ``RejectedError`` (HTTP 4xx, a page
        over the size cap, a redirect off arXiv).

        Example: ``client.search('abs:"CIFAR-10" AND cat:cs.CV', benchmarks=("cifar10",))``.
        """
        search = arxiv.Search(
            query=query, id_list=list(id_list), max_results=None,
            sort_by=arxiv.SortCriterion(sort_by),
            sort_order=arxiv.SortOrder.Descending if descending else arxiv.SortOrder.Ascending,
        )
        self._feed_session.reset_backoff()
        self._feed_session.last_total_results = None
        first = min(first_page_size, self.page_size) if first_page_size else self.page_size
        self._arxiv.page_size = first
        return SearchResults(self, self._arxiv.results(search), benchmarks,
                             page_size=self.page_size if first != self.page_size else None)

    @contextlib.contextmanager
    def stream(self, url: str) -> Iterator[Chunked]:
        """GET ``url`` (a PDF link from the feed) streaming, inside one rate-limiter slot.

        Raises ``ServiceUnreachableError`` when no answer comes (no connection, or a timeout or dropped
        connection before the headers), ``TransientError`` for the overall deadline, 429 and 5xx; ``RejectedError`` for
        other non-200 answers and for links or redirects off arXiv's hosts. Errors while reading
        the body (the deadline included) surface as ``TransientError`` from the chunk iterator.
        """
        try:
            url = self.checked(url)  # the one parse both the check and the request use
            resp = self._pdf_session.get(url, stream=True, timeout=self.timeout)
        except OffsiteUrlError as e:
            raise RejectedError(str(e.args[0])) from None
        except requests.exceptions.RequestException as e:
            if no_answer(e):
                raise ServiceUnreachableError(unreachable_message(url, e, 1)) from None
            raise TransientError(f"request failed: {describe_request_error(e)}", url=url) from None
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
            finish(resp)

    def _chunks(self, resp: requests.Response, url: str) -> Iterator[bytes]:
        deadline = getattr(resp, "deadline", None) or _Deadline(None)
        try:
            # the limiter slot already ended with the headers; keep the spacing from the body's end
            yield from resp.iter_content(chunk_size=64 * 1024)
        except requests.exceptions.RequestException as e:
            what = describe_request_error(deadline.error() if deadline.expired else e)
            raise TransientError(f"download interrupted: {what}", url=url) from None
        finally:
            self.limiter.defer(self.limiter.min_interval)
        if deadline.expired:  # a body without a length ends early, not with an error, when cut
            raise TransientError(f"download interrupted: {deadline.error()}", url=url)
