"""Run the review app with uvicorn (what ``flopmine review serve`` calls)."""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable, Sequence

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


WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def allowed_host_names(host: str, allow_hosts: Sequence[str] = ()) -> list[str]:
    """``Host`` names the server accepts besides the IP address a request arrives on (always accepted).

    The loopback names when this machine's browsers can reach it (a loopback or wildcard address),
    the ``--host`` name itself, and every ``--allow-host``. Never a wildcard.

    >>> allowed_host_names("0.0.0.0", ["review.lab.example"])
    ['127.0.0.1', 'localhost', '::1', '[::1]', 'review.lab.example']
    >>> allowed_host_names("192.168.1.5")
    ['192.168.1.5']
    """
    names = list(LOOPBACK_HOSTS) if is_loopback(host) or host in WILDCARD_HOSTS else []
    if host not in WILDCARD_HOSTS and host not in names:
        names.append(host)
    names += [h for h in allow_hosts if h and h not in names]
    return names


def exposure_warning(host: str) -> str | None:
    """What the user must know before serving on ``host`` (None for loopback)."""
    if is_loopback(host):
        return None
    where = "every address of this machine" if host in WILDCARD_HOSTS else host
    return (f"serving on {where}: the server has no login, so anyone who can reach it can record review "
            "decisions: other machines on the network, and every browser and program on this machine too "
            "(a web page open in any browser here can send it requests). Requests must name this server "
            "by an address it serves or an --allow-host name.")


def run(home: Home, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, benchmark: str | None = None,
        reviewer: str | None = None, allow_hosts: Sequence[str] = (),
        on_ready: Callable[[str], None] | None = None) -> None:
    """Serve the review app until interrupted (Ctrl-C).

    The port is bound and the app built first; ``on_ready(url)`` is called only then, so a busy
    port or an unknown benchmark fails before anything claims the server is running. The ``Host``
    allow-list is ``allowed_host_names`` plus the address each request arrives on.
    """
    import uvicorn

    if not 0 < port < 65536:
        raise ConfigError(f"--port must be 1-65535, got {port}")
    app = create_app(home, benchmark, reviewer=reviewer, allowed_hosts=allowed_host_names(host, allow_hosts))
    sock = bind(host, port)
    # lifespan on: at shutdown the app stops its background threads (create_app)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on", access_log=False)
    log.info("review server at %s", url_for(host, port))
    if on_ready is not None:
        on_ready(url_for(host, port))
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
