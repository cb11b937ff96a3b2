"""The open papers kept in the review cache (``review_open``) against the walk they replace.

``next_maybe_open`` answers from a set of paper versions kept with the decision cache; the reference,
``next_maybe_open_by_walk``, reads the candidates one by one and keeps nothing. After any sequence of
decisions, undos, "not reported" closes, imports, renames, re-extractions and writes by other processes,
both give the same next paper from every position.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flopmine.config import Home
from flopmine.errors import ReviewError
from flopmine.review import store as review_store
from flopmine.review.apply import ApplyReport, apply
from flopmine.review.renames import rename_model
from flopmine.review.slots import close_fields
from flopmine.review.store import (
    ensure_schema,
    next_maybe_open,
    next_maybe_open_by_walk,
    refresh,
)
from flopmine.review.validate import validate_rows
from flopmine.review.web import backend
from flopmine.store import candidates_for, connect, replace_candidates
from flopmine.types import Candidate
from tests.support.review_web import make_big_home

PAPERS = 4
CANDIDATES = 6 * PAPERS  # make_big_home: 6 candidates per paper


def positions(conn: sqlite3.Connection) -> list[tuple[str, int] | None]:
    """Every position a walk asks from: the start, each paper version, and points between them."""
    keys = sorted({(r[0], int(r[1])) for r in conn.execute("SELECT arxiv_id, version FROM candidates")})
    between = [(aid, v - 1) for aid, v in keys] + [(aid + "~", 0) for aid, _ in keys]
    return [None, *keys, *between]


def assert_same_as_walk(conn: sqlite3.Connection, home: Home) -> None:
    refresh(conn, home)  # as the server does before it asks
    for after in positions(conn):
        assert next_maybe_open(conn, after) == next_maybe_open_by_walk(conn, after), after


def active(conn: sqlite3.Connection) -> list[Candidate]:
    """The candidates of each paper's newest version, by paper, field and rank."""
    newest: dict[str, int] = {}
    for c in candidates_for(conn):
        newest[c.arxiv_id] = max(newest.get(c.arxiv_id, 0), c.version)
    return sorted((c for c in candidates_for(conn) if newest[c.arxiv_id] == c.version),
                  key=lambda c: (c.arxiv_id, c.field, c.rank))


@dataclasses.dataclass
class World:
    """The home under test, a second connection to its store (another process), a second home whose store
    is its own but whose annotations folder is shared (another reviewer's server), and the undo stack."""

    home: Home
    conn: sqlite3.Connection
    other_conn: sqlite3.Connection
    other_home: Home
    other_home_conn: sqlite3.Connection
    undo: list[tuple[backend.Recorded, ...]] = dataclasses.field(default_factory=list)

    def remember(self, report: ApplyReport | None) -> None:
        if report is None or not report.applied:
            return
        self.undo.append(tuple(
            backend.Recorded(d, tuple(r for r in report.replaced if r.key == d.key or r.fact_key == d.fact_key))
            for d in report.applied))


@contextlib.contextmanager
def new_world(root: Path) -> Iterator[World]:
    home = make_big_home(root / "home", root / "papers", papers=PAPERS)
    other = make_big_home(root / "other", root / "papers2", papers=PAPERS)
    other = Home(root=other.root, annotations_override=home.annotations_dir)
    conns = [connect(home.db_path), connect(home.db_path), connect(other.db_path)]
    try:
        for c in conns:
            ensure_schema(c)
        yield World(home, conns[0], conns[1], other, conns[2])
    finally:
        for c in conns:
            c.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with new_world(tmp_path) as w:
        yield w


def _rows(conn: sqlite3.Connection, picks: list[tuple[int, str]]) -> list[dict[str, str]]:
    cands = active(conn)
    rows = []
    for i, verdict in picks:
        if not cands:
            break
        c = cands[i % len(cands)]
        row = {"candidate_id": c.candidate_id, "decision": "correct" if verdict == "retarget" else verdict}
        if verdict == "correct":
            row["corrected_value"] = str(c.value)
        if verdict == "retarget":
            row["model"] = "Other"
        rows.append(row)
    return rows


def _record(w: World, conn: sqlite3.Connection, home: Home, picks: list[tuple[int, str]]) -> None:
    """Validate and apply rows as an import does (one row: as the browser does)."""
    decisions, problems = validate_rows(_rows(conn, picks), conn, "web", reviewer="tester")
    if problems or not decisions:
        return
    with contextlib.suppress(ReviewError):
        w.remember(apply(conn, home, decisions, keep_replaced=True, skip_conflicts=True))


def _reextract(conn: sqlite3.Connection, paper: int, how: str) -> None:
    """What an extraction run does to one paper: a new version with the same facts (decisions carry over by
    fact key), the same version with a candidate dropped and one value changed, or a failed new version."""
    aid = f"2001.{paper:05d}"
    mine = [c for c in candidates_for(conn) if c.arxiv_id == aid]
    if not mine:
        return
    newest = max(c.version for c in mine)
    current = [c for c in mine if c.version == newest]
    if how == "new version":
        replace_candidates(conn, aid, newest + 1, [dataclasses.replace(c, version=newest + 1) for c in current],
                           extraction={"status": "ok", "rule_version": "test"})
    elif how == "changed":
        changed = [dataclasses.replace(c, value=c.value + 0.5) if c.rank == 2 else c for c in current[1:]]
        replace_candidates(conn, aid, newest, changed, extraction={"status": "ok", "rule_version": "test"})
    else:
        replace_candidates(conn, aid, newest + 1, [], extraction={"status": "corrupt", "rule_version": "test"})


def step(w: World, op: tuple[str, int, str, str]) -> None:
    kind, n, verdict, how = op
    if kind == "decide":
        _record(w, w.conn, w.home, [(n, verdict)])
    elif kind == "import":  # several rows at once, some on one paper
        _record(w, w.conn, w.home, [(n + k * 5, v) for k, v in enumerate(("accept", "reject", verdict))])
    elif kind == "settle":  # an import that settles a paper: its best top-1 accepted, its FLOPs decided
        cands = active(w.conn)
        paper = cands[n % len(cands)].arxiv_id if cands else ""
        _record(w, w.conn, w.home, [(i, "accept" if c.field == "top1_acc" else verdict) for i, c in enumerate(cands)
                                    if c.arxiv_id == paper and (c.field == "flops" or c.rank == 1)])
    elif kind == "close":
        aid = f"2001.{n % PAPERS:05d}"
        fields = None if verdict == "reject" else [("top1_acc", "flops")[n % 2]]  # None: every field
        try:
            done = close_fields(w.conn, w.home, aid, fields, reviewer="tester", source="web", keep_replaced=True)
        except ReviewError:
            return
        w.remember(done.report)
    elif kind == "undo":
        if w.undo:
            with contextlib.suppress(ReviewError):  # changed meanwhile: nothing undone
                backend.withdraw(w.conn, w.home, *w.undo.pop())
    elif kind == "rename":
        with contextlib.suppress(ReviewError):
            rename_model(w.conn, w.home, f"2001.{n % PAPERS:05d}", "M", "Renamed" if verdict != "reject" else "M")
    elif kind == "re-extract":  # the extractor: another process writing candidates
        _reextract(w.other_conn, n % PAPERS, how)
    elif kind == "other process":  # a decision on the same store through another connection
        _record(w, w.other_conn, w.home, [(n, verdict)])
    elif kind == "other store":  # another reviewer's server: same annotations folder, its own store
        _record(w, w.other_home_conn, w.other_home, [(n, verdict)])


_VERDICT = st.sampled_from(["accept", "reject", "correct", "retarget"])
_HOW = st.sampled_from(["new version", "changed", "failed"])
_OPS = st.tuples(st.sampled_from(["decide", "decide", "import", "settle", "settle", "close", "undo", "undo", "rename",
                                  "re-extract", "other process", "other store"]),
                 st.integers(0, CANDIDATES * 3), _VERDICT, _HOW)


@pytest.mark.parametrize("per_lookup", [0, 10**9], ids=["paper by paper", "rebuilt whole"])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(_OPS, min_size=1, max_size=14))
def test_the_kept_open_papers_answer_as_the_walk_after_every_step(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, per_lookup: int,
        ops: list[tuple[str, int, str, str]]) -> None:
    """Both ways a change of the decisions keeps the set: the papers it names worked out again, or all."""
    monkeypatch.setattr(review_store, "CANDIDATES_PER_LOOKUP", per_lookup)
    with new_world(tmp_path_factory.mktemp("open")) as w:
        assert_same_as_walk(w.conn, w.home)
        for op in ops:
            step(w, op)
            assert_same_as_walk(w.conn, w.home)


def test_every_paper_is_closed_then_an_undo_of_a_close_reopens_its_paper(world: World) -> None:
    """The walk's hard case: every candidate decided except one field of one paper, then that field closed
    ("not reported", several rejects) and the close withdrawn whole."""
    w = world
    cands = active(w.conn)
    _record(w, w.conn, w.home, [(i, "reject") for i, c in enumerate(cands) if c.arxiv_id != "2001.00002"
                                or c.field != "flops"])
    w.undo.clear()
    refresh(w.conn, w.home)
    assert next_maybe_open(w.conn, None) == ("2001.00002", 1) == next_maybe_open_by_walk(w.conn, None)
    w.remember(close_fields(w.conn, w.home, "2001.00002", ["flops"], reviewer="tester", source="web",
                            keep_replaced=True).report)
    refresh(w.conn, w.home)
    assert next_maybe_open(w.conn, None) is None
    backend.withdraw(w.conn, w.home, *w.undo.pop())
    refresh(w.conn, w.home)
    assert next_maybe_open(w.conn, None) == ("2001.00002", 1)


def test_a_cache_kept_by_an_older_flopmine_is_rebuilt_on_first_use(world: World) -> None:
    """A store whose decision cache predates the open papers: nothing stamped, so the first look rebuilds them;
    likewise after a generation that went back (a store restored from a copy)."""
    w = world
    _record(w, w.conn, w.home, [(i, "accept") for i in range(0, 6)])
    refresh(w.conn, w.home)
    with w.conn:
        w.conn.execute("DELETE FROM review_open")
        w.conn.execute("DELETE FROM review_meta WHERE key LIKE 'open_%'")
    assert next_maybe_open(w.conn, None) == next_maybe_open_by_walk(w.conn, None) == ("2001.00001", 1)
    with w.conn:
        w.conn.execute("INSERT INTO review_open VALUES ('2001.00000', 1)")  # wrong, and stamped far ahead
        w.conn.execute("UPDATE review_meta SET value = '999999' WHERE key = 'open_generation'")
    assert next_maybe_open(w.conn, None) == ("2001.00001", 1)


@pytest.mark.parametrize("per_lookup", [0, 10**9], ids=["paper by paper", "rebuilt whole"])
def test_a_decision_on_a_new_version_settles_the_old_version_by_fact_key(
        world: World, monkeypatch: pytest.MonkeyPatch, per_lookup: int) -> None:
    """Version 2 of a paper with the facts of version 1: a decision on a version-2 candidate attaches to its
    version-1 twin by fact key, so the last open candidate of version 1 closes that version too (the paper
    versions a decision enters are found by fact key as well as by candidate id); an undo opens both again."""
    monkeypatch.setattr(review_store, "CANDIDATES_PER_LOOKUP", per_lookup)
    w = world
    first = [c for c in active(w.conn) if c.arxiv_id == "2001.00001"]
    _reextract(w.other_conn, 1, "new version")
    refresh(w.conn, w.home)
    assert next_maybe_open(w.conn, ("2001.00000", 1)) == ("2001.00001", 1)
    last = first[-1]
    _record(w, w.conn, w.home, [(i, "reject") for i, c in enumerate(active(w.conn))
                                if c.arxiv_id != "2001.00001"])  # every other paper closed
    decisions, problems = validate_rows([{"candidate_id": c.candidate_id, "decision": "reject"} for c in first
                                         if c != last], w.conn, "web", reviewer="tester")
    assert not problems
    apply(w.conn, w.home, decisions)  # version 1 decided but for ``last``: still open, as its twin in version 2
    assert_same_as_walk(w.conn, w.home)
    assert next_maybe_open(w.conn, None) == ("2001.00001", 1)
    twin = next(c for c in active(w.conn) if c.fact_key == last.fact_key)
    assert twin.version == 2
    decisions, _ = validate_rows([{"candidate_id": twin.candidate_id, "decision": "accept"}], w.conn, "web",
                                 reviewer="tester")
    w.remember(apply(w.conn, w.home, decisions, keep_replaced=True))
    assert_same_as_walk(w.conn, w.home)
    assert next_maybe_open(w.conn, None) is None
    backend.withdraw(w.conn, w.home, *w.undo.pop())
    assert_same_as_walk(w.conn, w.home)
    assert next_maybe_open(w.conn, None) == ("2001.00001", 1)
