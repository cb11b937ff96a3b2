"""Shared fixtures. Stage-specific fixtures live in ``tests/support/`` modules, imported explicitly."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from flopmine.store import connect

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
