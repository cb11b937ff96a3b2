"""Sessions and cross-site request checks for the local review server.

A state-changing request must pass every check:

1. ``Sec-Fetch-Site`` (sent by modern browsers), when present, is ``same-origin`` or ``none``;
2. ``Origin``, when present, is this server's own origin (scheme + ``Host``);
3. the body is JSON (an HTML form on another site cannot send ``application/json`` without a CORS
   preflight, which this server never grants);
4. the ``X-CSRF-Token`` header equals the token of the session named by the ``HttpOnly``,
   ``SameSite=Strict`` session cookie.

>>> check_fetch_metadata({"sec-fetch-site": "cross-site"}, "127.0.0.1:8765", "http")
'cross-site request (Sec-Fetch-Site: cross-site)'
>>> check_fetch_metadata({"origin": "http://127.0.0.1:8765"}, "127.0.0.1:8765", "http") is None
True
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

SESSION_COOKIE = "flopmine_review"
CSRF_HEADER = "x-csrf-token"
MAX_SESSIONS = 1000  # oldest sessions are forgotten beyond this (a local server has a handful)
MAX_UNDO = 500  # decisions remembered per session for undo


@dataclass
class Session:
    """One browser session: its CSRF token and the decisions it made, newest last (for undo)."""

    sid: str
    csrf: str
    undo: list[Any] = field(default_factory=list)  # backend.Recorded, newest last


class Sessions:
    """In-memory sessions. A restarted server forgets them: the page is reloaded and gets a new one.

    Decisions are not session state: they are stored durably before any response.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, Session] = {}

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        with self._lock:
            return self._by_id.get(sid)

    def new(self) -> Session:
        s = Session(sid=secrets.token_urlsafe(24), csrf=secrets.token_urlsafe(32))
        with self._lock:
            if len(self._by_id) >= MAX_SESSIONS:
                self._by_id.pop(next(iter(self._by_id)))
            self._by_id[s.sid] = s
        return s

    def push_undo(self, session: Session, recorded: Any) -> None:
        with self._lock:
            session.undo.append(recorded)
            del session.undo[:-MAX_UNDO]

    def pop_undo(self, session: Session) -> Any | None:
        with self._lock:
            return session.undo.pop() if session.undo else None

    def restore_undo(self, session: Session, recorded: Any) -> None:
        """Put back a popped entry whose undo failed."""
        with self._lock:
            session.undo.append(recorded)


def check_fetch_metadata(headers: Mapping[str, str], host: str, scheme: str) -> str | None:
    """Why a state-changing request looks cross-site (None when it does not)."""
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return f"cross-site request (Sec-Fetch-Site: {site})"
    origin = headers.get("origin")
    if origin is not None and origin != f"{scheme}://{host}":
        return f"cross-origin request (Origin: {origin[:100]})"
    return None


def check_csrf(session: Session | None, token: str | None) -> str | None:
    """Why the request's CSRF token is not acceptable (None when it is)."""
    if session is None:
        return "no session (reload the page)"
    if not token:
        return "missing CSRF token"
    if not hmac.compare_digest(session.csrf.encode(), token.encode()):
        return "bad CSRF token (reload the page)"
    return None


# ---------------------------------------------------------------- Host allow-list (DNS rebinding)


def host_name(header: str) -> str:
    """The host of a ``Host`` header, without port or IPv6 brackets, lower case.

    >>> host_name("127.0.0.2:8765"), host_name("[::1]:8765"), host_name("Review.Example")
    ('127.0.0.2', '::1', 'review.example')
    """
    h = header.strip().lower()
    if h.startswith("["):
        return h[1:h.find("]")] if "]" in h else h[1:]
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


def _same_address(a: str, b: str) -> bool:
    try:
        x, y = ipaddress.ip_address(a), ipaddress.ip_address(b)
    except ValueError:
        return False
    x = x.ipv4_mapped or x if isinstance(x, ipaddress.IPv6Address) else x
    y = y.ipv4_mapped or y if isinstance(y, ipaddress.IPv6Address) else y
    return x == y


def host_allowed(header: str, allowed: Iterable[str], served_address: str | None) -> bool:
    """Whether a request's ``Host`` names this server: an allowed name, or the IP address the
    request arrived on (so ``--host 0.0.0.0`` answers ``http://192.168.1.5:8765/`` but never a
    name that a DNS-rebinding page controls).

    >>> host_allowed("localhost:8765", ["localhost"], "127.0.0.1"), host_allowed("evil.example", [], "10.0.0.5")
    (True, False)
    >>> host_allowed("10.0.0.5:8765", [], "10.0.0.5"), host_allowed("10.0.0.6", [], "10.0.0.5")
    (True, False)
    """
    name = host_name(header)
    if not name:
        return False
    if name in {host_name(a) for a in allowed}:
        return True
    return served_address is not None and _same_address(name, served_address)


class HostAllowList:
    """ASGI middleware: 400 for a request whose ``Host`` does not name this server (``host_allowed``)."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str]) -> None:
        self.app = app
        self.allowed = tuple(allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
            server = scope.get("server")
            if not host_allowed(headers.get("host", ""), self.allowed, server[0] if server else None):
                await PlainTextResponse("Invalid host header", status_code=400)(scope, receive, send)
                return
        await self.app(scope, receive, send)
