"""Apply validated decisions to the annotations directory, all at once or not at all.

``apply`` is the one way decisions get written: ``flopmine review import`` calls it with every
row of every file, the browser UI with a single decision.

>>> # report = apply(conn, home, decisions)      # decisions from validate_rows / validate_files
>>> # report.counts()  → {"accept": 12, "reject": 3, "correct": 1, "add": 0}
"""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace

from flopmine.config import Home
from flopmine.store import now_iso
from flopmine.types import Fact

from .annotations import (
    LEDGER_FILE,
    commit_files,
    fact_file_name,
    review_lock,
    rewrite_fact_file,
    rewrite_ledger,
)
from .decision import DECISIONS, Decision
from .store import cached_by_fact, cached_decision, refresh, update_cache

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApplyReport:
    """What ``apply`` changed."""

    applied: tuple[Decision, ...]  # new or changed decisions, as written
    unchanged: tuple[Decision, ...]  # already recorded with the same verdict (re-import)
    superseded: tuple[Decision, ...]  # decisions on an older paper version replaced by a new one
    files: tuple[str, ...]  # annotation files rewritten, relative to the annotations directory

    def counts(self) -> dict[str, int]:
        """Applied decisions per kind, every kind present: ``{"accept": 2, "reject": 0, …}``."""
        c = Counter(d.decision for d in self.applied)
        return {k: c.get(k, 0) for k in DECISIONS}


def apply(conn: sqlite3.Connection, home: Home, decisions: Iterable[Decision], *,
          decided_at: str | None = None) -> ApplyReport:
    """Record ``decisions`` (already validated) in annotations/ in one transaction; refresh the cache.

    A decision identical to the recorded one (same verdict, correction and note; directly or
    carried over from another paper version) changes nothing, so re-importing a file is a no-op.
    A new decision about a fact that an older version of the paper already had replaces it.
    """
    directory = home.annotations_dir
    stamp = decided_at or now_iso()
    with review_lock(home, create=True):
        refresh(conn, home)  # finishes an interrupted import; the cache now mirrors the files exactly
        applied: dict[str, Decision] = {}
        superseded: dict[str, Decision] = {}  # recorded decisions on the same fact in another paper version
        unchanged: list[Decision] = []
        batch = list(decisions)
        newest: dict[str, Decision] = {}  # per fact, the decision on the newest paper version wins
        for d in batch:
            if d.candidate_id and d.version >= newest.get(d.fact_key, d).version:
                newest[d.fact_key] = d
        for d in batch:
            if d.candidate_id and newest[d.fact_key] is not d:
                unchanged.append(d)  # shadowed by a decision on a newer version of the paper
                continue
            current = applied.get(d.key) or cached_decision(conn, d.key)
            recorded_same: list[Decision] = []
            if d.candidate_id:
                recorded_same = [o for o in cached_by_fact(conn, d.fact_key) if o.key != d.key]
                if current is None and recorded_same:
                    current = max(recorded_same, key=lambda o: (o.decided_at, o.version))
            if current is not None and current.same_verdict(d):
                unchanged.append(d)
                continue
            for o in recorded_same:
                superseded.setdefault(o.key, o)
            applied[d.key] = replace(d, decided_at=stamp)
        if not applied:
            return ApplyReport((), tuple(unchanged), (), ())

        drop = set(applied) | set(superseded)
        files: dict[str, list[Fact]] = {}
        for d in [*applied.values(), *superseded.values()]:
            files.setdefault(fact_file_name(d.benchmark), [])
        for d in applied.values():
            fact = d.to_fact()
            if fact is not None:
                files[fact_file_name(d.benchmark)].append(fact)
        contents = {name: rewrite_fact_file(directory / name, drop, facts) for name, facts in files.items()
                    if facts or (directory / name).is_file()}  # a reject alone creates no fact file
        contents[LEDGER_FILE] = rewrite_ledger(directory / LEDGER_FILE, drop, list(applied.values()))
        commit_files(directory, contents)
        update_cache(conn, home, drop, applied.values())
        log.debug("applied %d decision(s) (%d unchanged, %d superseded) to %s",
                  len(applied), len(unchanged), len(superseded), directory)
        return ApplyReport(tuple(applied.values()), tuple(unchanged), tuple(superseded.values()),
                           tuple(sorted(contents)))
