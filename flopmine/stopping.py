"""Stopping cleanly: SIGTERM ends a run between writes, and worker processes never outlive their parent.

- ``terminate_on_sigterm()``: while active, SIGTERM raises ``Terminated`` and Ctrl-C (SIGINT) ``Interrupted`` in
  the main thread; the CLI turns them into one line and exit 143 or 130.
- ``finish_writes()``: SIGTERM and SIGINT wait until the block ends, so the write in progress completes.
- ``exit_with_parent(pid)``: called in a worker process; it exits as soon as ``pid`` is gone (killed with
  SIGKILL, say), so no worker is left running and holding memory.

>>> with terminate_on_sigterm():
...     with finish_writes():
...         pass
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

from .errors import Interrupted, Terminated

_HELD = frozenset({signal.SIGTERM, signal.SIGINT})
PARENT_POLL_SECONDS = 0.5


def _raise_terminated(signum: int, frame: object) -> None:
    if signum == signal.SIGINT:
        raise Interrupted("stopped by Ctrl-C (SIGINT)")
    raise Terminated(f"stopped by {signal.Signals(signum).name}")


@contextlib.contextmanager
def terminate_on_sigterm() -> Iterator[None]:
    """SIGTERM raises ``Terminated``, SIGINT ``Interrupted``, while the block runs (main thread only).

    ``Interrupted`` is not a ``KeyboardInterrupt``, so no library turns Ctrl-C into a silent exit on the way.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _raise_terminated) for sig in _HELD}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def finish_writes() -> Iterator[None]:
    """Hold SIGTERM and SIGINT back until the block (one write, one transaction) is done."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)  # a held signal is delivered here


def _gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie waiting for its own parent counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
        return state in (b"Z", b"X")
    except FileNotFoundError:
        return True
    except OSError:  # no /proc (macOS): fall back to signal 0
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


def exit_with_parent(pid: int, poll_seconds: float = PARENT_POLL_SECONDS) -> threading.Thread:
    """Start a daemon thread that ends this process (``os._exit``) once process ``pid`` is gone."""

    def watch() -> None:
        while not _gone(pid):
            threading.Event().wait(poll_seconds)
        os._exit(1)

    thread = threading.Thread(target=watch, name=f"exit-with-{pid}", daemon=True)
    thread.start()
    return thread
