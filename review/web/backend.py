"""The one place the web layer touches decisions: everything goes through the ``review`` library.

A decision made in the browser is validated and stored exactly as a row of a reviewer CSV given
to ``flopmine review import`` would be; this module only builds that row.
"""

from __future__ import annotations

import sqlite3

from flopmine.config import Home
from flopmine.types import Candidate

SOURCE = "web"


def decisions(conn: sqlite3.Connection, home: Home) -> dict[str, str]:
    """The current decision of every decided candidate: ``{candidate_id: decision}``."""
    return {}  # TODO: wire to the review library once it lands


def decide(conn: sqlite3.Connection, home: Home, candidate: Candidate, *, decision: str, corrected_value: str,
           reviewer: str, note: str, replace: bool) -> None:
    """Validate and durably store one decision; raises ``ReviewError`` listing the problems."""
    raise NotImplementedError


def withdraw(conn: sqlite3.Connection, home: Home, candidate: Candidate) -> None:
    """Withdraw the decision on ``candidate`` (undo): it becomes pending again."""
    raise NotImplementedError
