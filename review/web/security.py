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
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
