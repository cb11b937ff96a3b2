"""Run the review app with uvicorn (what ``flopmine review serve`` calls)."""

from __future__ import annotations

import ipaddress
import logging
import socket

from flopmine.config import Home
from flopmine.errors import ConfigError

from .app import LOOPBACK_HOSTS, create_app

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url_for(host: str, port: int) -> str:
    """The address a browser opens: ``http://127.0.0.1:8765/`` (IPv6 hosts in brackets)."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}/"


def run(home: Home, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, benchmark: str | None = None,
        reviewer: str | None = None) -> None:
    """Serve the review app until interrupted (Ctrl-C).

    Any host other than loopback is allowed too (the ``Host`` header must then name it), with a
    warning: the server has no login, anyone who can reach it can record decisions.
    """
    import uvicorn

    if not 0 < port < 65536:
        raise ConfigError(f"--port must be 1-65535, got {port}")
    hosts = list(LOOPBACK_HOSTS)
    if not is_loopback(host):
        log.warning("serving on %s: anyone who can reach this address can record review decisions", host)
        hosts.append("*" if host in ("0.0.0.0", "::") else host)
    app = create_app(home, benchmark, reviewer=reviewer, allowed_hosts=hosts)
    sock = bind(host, port)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off", access_log=False)
    log.info("review server at %s", url_for(host, port))
    uvicorn.Server(config).run(sockets=[sock])


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; ``ConfigError`` when the port is taken or the host unknown."""
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as e:
        sock.close()
        raise ConfigError(f"cannot serve on {host}:{port}: {e.strerror or e}") from None
    sock.set_inheritable(True)
    return sock
