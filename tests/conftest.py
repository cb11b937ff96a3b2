"""Shared fixtures: the store, ../shared, the harvest tests' registry, home and fake arXiv, and the review
tests' store of two extracted papers (``db``).

Other stage-specific helpers live in ``tests/support/`` modules, imported explicitly.
"""

from __future__ import annotations

import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flopmine import harvest
from flopmine.config import Home, resolve_home
from flopmine.demo.fakearxiv import FakeArxiv, FakeEntry
from flopmine.store import connect
from tests.support.arxiv_fixtures import REGISTRY_TOML
from tests.support.review_papers import extract_both

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    """An in-memory store with the schema applied."""
    c = connect(":memory:")
    yield c
    c.close()


@pytest.fixture
def shared_dir() -> Path:
    """``../shared`` (read-only third-party reference); tests using it skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is absent")
    return SHARED


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    """A small benchmark registry file (``REGISTRY_TOML``)."""
    p = tmp_path / "registry.toml"
    p.write_text(REGISTRY_TOML)
    return p


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return resolve_home(tmp_path / "home")


@pytest.fixture
def extracted_pages() -> int | None:
    """The page count ``db`` records with each extraction: none (a module overrides it to test page checks)."""
    return None


@pytest.fixture
def db(home: Home, extracted_pages: int | None) -> Iterator[sqlite3.Connection]:
    """The home's store with the review tests' two papers extracted (``tests/support/review_papers.py``);
    a test module with another store defines its own ``db``."""
    c = connect(home.db_path)
    extract_both(c, extracted_pages)
    yield c
    c.close()


@pytest.fixture
def make_fake() -> Iterator:
    """``make_fake(entries, **options)`` starts a loopback fake arXiv, stopped after the test."""
    started: list[FakeArxiv] = []

    def _make(items: list[FakeEntry], **kw: object) -> FakeArxiv:
        fake = FakeArxiv(items, **kw).start()  # type: ignore[arg-type]
        started.append(fake)
        return fake

    yield _make
    for f in started:
        f.stop()


@pytest.fixture
def closed_port_url() -> str:
    """An API URL on a loopback port nobody listens on: every connection is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/query"


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Record the limiter's waits instead of sleeping them, so default (3 s) spacing runs fast."""
    waited: list[float] = []
    monkeypatch.setattr(time, "sleep", waited.append)
    yield waited
    harvest.client.shared_limiter().reset()  # the backoff it recorded must not make the next test wait
