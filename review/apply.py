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

from .annotations import (
    LEDGER_FILE,
    commit_files,
    fact_file_name,
    load_ledger,
    recover,
    render_ledger,
    review_lock,
    rewrite_fact_file,
)
from .decision import DECISIONS, Decision, sort_key
from .store import sync

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
    with review_lock(home):
        recover(directory)
        before = load_ledger(directory).decisions
        after = dict(before)
        by_fact: dict[str, list[str]] = {}
        for key, d in before.items():
            if d.candidate_id:
                by_fact.setdefault(d.fact_key, []).append(key)
        applied: dict[str, Decision] = {}
        unchanged: list[Decision] = []
        superseded: list[Decision] = []
        for d in decisions:
            current = after.get(d.key)
            if current is None and d.candidate_id:
                same_fact = [after[k] for k in by_fact.get(d.fact_key, []) if k in after]
                current = max(same_fact, key=lambda o: (o.decided_at, o.version)) if same_fact else None
            if current is not None and current.same_verdict(d):
                unchanged.append(d)
                continue
            d = replace(d, decided_at=stamp)
            if d.candidate_id:
                for k in by_fact.get(d.fact_key, []):
                    if k != d.key and k in after:
                        superseded.append(after.pop(k))
            after[d.key] = d
            applied[d.key] = d
        if not applied:
            return ApplyReport((), tuple(unchanged), (), ())

        drop = set(applied) | {o.key for o in superseded}
        files: dict[str, list] = {}
        for d in [*applied.values(), *superseded, *(before[k] for k in applied if k in before)]:
            files.setdefault(fact_file_name(d.benchmark), [])
        for d in applied.values():
            fact = d.to_fact()
            if fact is not None:
                files[fact_file_name(d.benchmark)].append(fact)
        contents = {name: rewrite_fact_file(directory / name, drop, facts) for name, facts in files.items()
                    if facts or (directory / name).is_file()}  # a reject alone creates no fact file
        contents[LEDGER_FILE] = render_ledger(sorted(after.values(), key=sort_key))
        commit_files(directory, contents)
        log.debug("applied %d decision(s) (%d unchanged, %d superseded) to %s",
                 len(applied), len(unchanged), len(superseded), directory)
        sync(conn, home, force=True)
        return ApplyReport(tuple(applied.values()), tuple(unchanged), tuple(superseded), tuple(sorted(contents)))
