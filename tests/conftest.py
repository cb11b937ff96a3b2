"""Shared fixtures: the store, ../shared, and the harvest tests' registry, home and fake arXiv.

Other stage-specific helpers live in ``tests/support/`` modules, imported explicitly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from flopmine.config import Home, resolve_home
from flopmine.demo.fakearxiv import FakeArxiv, FakeEntry
from flopmine.store import connect
from tests.support.arxiv_fixtures import REGISTRY_TOML

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
