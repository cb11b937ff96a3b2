"""The browser on a large store (issue 20 item 3): a page and a decision read what they show, not the store.

Not timed: every SQL statement a page or a decision runs is traced and its query plan asked of SQLite, so a
full read of the candidates or of the decisions (which grow with the store) fails the test whatever the
machine. The background count is the one pass allowed to read every paper, off the request.
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flopmine.config import Home
from flopmine.review.apply import apply
from flopmine.review.decision import Decision
from flopmine.review.store import active_versions, ensure_schema
from flopmine.review.web import app as web_app
from flopmine.review.web import backend, create_app
from flopmine.review.web.walk import Walk
from flopmine.store import candidates_for, connect, replace_candidates
from flopmine.types import Candidate
from tests.support.review_web import make_big_home, serve
from tests.test_review_web import Tab

GROWING = ("candidates", "review_decisions")  # tables whose rows grow with the store and the annotations
BACKGROUND = "review-walk-count"


def _traced(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every statement run on a connection the server opens, with the name of the thread that ran it."""
    seen: list[tuple[str, str]] = []
    real = web_app.connect

    def tracing(path: object) -> sqlite3.Connection:
        c = real(path)  # type: ignore[arg-type]
        c.set_trace_callback(lambda sql: seen.append((threading.current_thread().name, sql)))
        return c

    monkeypatch.setattr(web_app, "connect", tracing)
    return seen


def full_reads(db: Path, statements: list[tuple[str, str]]) -> list[str]:
    """The statements (outside the background count) whose plan scans a table of ``GROWING``: "SCAN
    candidates", or "SCAN c" where ``c`` names one, covering index or not."""
    out = []
    conn = sqlite3.connect(db)
    try:
        for thread, sql in statements:
            if thread == BACKGROUND or not re.match(r"\s*(SELECT|WITH)\b", sql, re.IGNORECASE):
                continue
            for *_, detail in conn.execute(f"EXPLAIN QUERY PLAN {sql}"):
                m = re.match(r"SCAN (\w+)", detail)
                if m is None:
                    continue
                name = m.group(1)
                if name in GROWING or any(re.search(rf"\b{t}\s+(AS\s+)?{name}\b", sql, re.IGNORECASE) for t in GROWING):
                    out.append(f"{detail}: {sql}")
    finally:
        conn.close()
    return out


def _decided_home(tmp_path: Path, papers: int) -> Home:
    """``make_big_home`` above the eager size, with papers 0–2 settled (a walk's first open paper is 3)."""
    home = make_big_home(tmp_path / "home", tmp_path / "papers", papers=papers)
    conn = connect(home.db_path)
    try:
        cands = [c for c in candidates_for(conn) if c.arxiv_id < "2001.00003"]
        apply(conn, home, [_decision("accept" if c.rank == 1 else "reject", c) for c in cands])
    finally:
        conn.close()
    return home


def _decision(verdict: str, c: Candidate, **kw: object) -> Decision:
    return Decision(verdict, c.arxiv_id, c.version, c.field, c.value, benchmark=c.benchmark, model=c.model,
                    unit=c.unit, page=c.page, candidate_id=c.candidate_id, reviewer="seed", source="test", **kw)


def test_the_first_page_and_a_decision_read_no_whole_table_of_the_store(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: the first page counted the candidates, listed their paper versions with ``SELECT DISTINCT``
    and asked which papers may be open over every candidate; each decision counted them again."""
    papers = web_app.EAGER_CANDIDATES // 6 + 20
    home = _decided_home(tmp_path, papers)
    seen = _traced(monkeypatch)
    app = create_app(home, reviewer="tester")
    with serve(app) as url:
        t = Tab(url)
        page = t.http.get("/")
        assert page.status_code == 200 and f"paper 4 of {papers}" in page.text  # papers 1–3 skipped unread
        page_sql = list(seen)
        cid = re.search(r'data-candidate-id="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        seen.clear()
        r = t.decide(cid, "accept")
        assert r.status_code == 200, r.text
        decision_sql = list(seen)
        seen.clear()
        assert t.http.get("/").status_code == 200
        later_sql = list(seen)
        t.close()
    walk = app.state.review._cache[1]
    assert walk.loaded <= 3  # the shown paper and the next ones the page links to, not the store
    assert page_sql and decision_sql
    assert full_reads(home.db_path, page_sql) == []
    assert full_reads(home.db_path, decision_sql) == []
    assert full_reads(home.db_path, later_sql) == []


def test_the_probe_catches_the_whole_store_reads_the_browser_made_before(tmp_path: Path) -> None:
    """The probe itself: the statements the first page and a decision ran before are caught; a read of one
    paper's candidates is not."""
    home = make_big_home(tmp_path / "home", tmp_path / "papers", papers=3)
    conn = connect(home.db_path)
    ensure_schema(conn)  # the review tables
    conn.close()
    before = ["SELECT COUNT(*) FROM candidates", "SELECT DISTINCT arxiv_id, version FROM candidates",
              "SELECT DISTINCT arxiv_id, version FROM candidates c WHERE NOT EXISTS (SELECT 1 FROM review_decisions d "
              "WHERE d.candidate_id = c.candidate_id)", "SELECT * FROM review_decisions ORDER BY fact_key"]
    assert len(full_reads(home.db_path, [("worker", sql) for sql in before])) == len(before)
    one_paper = ["SELECT * FROM candidates WHERE arxiv_id = '2001.00001' AND version = 1",
                 "SELECT * FROM review_decisions WHERE candidate_id IN (SELECT candidate_id FROM candidates "
                 "WHERE arxiv_id = '2001.00001' AND version = 1)"]
    assert full_reads(home.db_path, [("worker", sql) for sql in one_paper]) == []
    assert full_reads(home.db_path, [(BACKGROUND, sql) for sql in before]) == []


@pytest.fixture
def small_store(tmp_path: Path) -> Iterator[tuple[Home, sqlite3.Connection]]:
    home = make_big_home(tmp_path / "home", tmp_path / "papers", papers=6)
    conn = connect(home.db_path)
    yield home, conn
    conn.close()


_VERDICTS = st.sampled_from(["", "", "accept", "reject", "correct", "retarget"])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(verdicts=st.lists(_VERDICTS, min_size=36, max_size=36), newer=st.sets(st.integers(0, 5), max_size=3),
       failed=st.sets(st.integers(0, 5), max_size=2))
def test_next_maybe_open_finds_every_paper_with_a_pending_candidate(
        small_store: tuple[Home, sqlite3.Connection], verdicts: list[str], newer: set[int], failed: set[int]) -> None:
    """Any mix of decisions (superseding accepts, retargets, decisions carried over to a new version) and of
    failed re-extractions: the papers ``next_maybe_open`` walks through include every paper the whole walk
    has a pending candidate in, and ``papers`` / ``newest_versions`` agree with the whole-store reads."""
    home, conn = small_store
    ensure_schema(conn)
    conn.execute("DELETE FROM review_decisions")
    for d in home.annotations_dir.rglob("*.csv"):
        d.unlink()
    base = [c for c in candidates_for(conn) if c.version == 1]
    conn.execute("DELETE FROM candidates WHERE version > 1")
    conn.execute("DELETE FROM extractions WHERE version > 1")
    conn.commit()
    decisions = []
    for c, verdict in zip(base, verdicts, strict=True):
        if verdict == "retarget":
            decisions.append(_decision("correct", c, corrected_model="Other"))
        elif verdict == "correct":
            decisions.append(_decision("correct", c, corrected_value=c.value))
        elif verdict:
            decisions.append(_decision(verdict, c))
    if decisions:
        apply(conn, home, decisions)
    for i in sorted(newer | failed):  # a second version: the same facts (decisions carry over) or a failure
        aid = f"2001.{i:05d}"
        ok = i in newer and i not in failed
        replace_candidates(conn, aid, 2, [dataclasses.replace(c, version=2) for c in base
                                          if c.arxiv_id == aid] if ok else [],
                           extraction={"status": "ok" if ok else "corrupt", "rule_version": "test"})
    backend.refresh(conn, home, force=True)  # the cache was emptied behind its back above: rebuilt whole
    assert backend.newest_versions(conn) == active_versions(conn)
    whole = Walk.build(backend.scope(conn, home, None))
    assert backend.papers(conn, None) == sorted({(c.arxiv_id, c.version) for c in whole.candidates})
    open_papers = {(c.arxiv_id, c.version) for c in whole.candidates if not whole.decision(c.candidate_id)}
    found, after = [], None
    while (after := backend.next_maybe_open(conn, after)) is not None:
        found.append(after)
    assert open_papers <= set(found)
    # a first version whose open candidates are all superseded by a plain accept or correct of their slot
    # is skipped unread
    retargeted = {d.arxiv_id for d in decisions if d.is_retarget}
    closed = {p for p in backend.papers(conn, None)
              if p[1] == 1 and p not in open_papers and p[0] not in retargeted}
    assert not closed & set(found)


def test_a_torn_page_image_in_the_cache_is_rendered_again(tmp_path: Path) -> None:
    """The page cache is written without fsync (0.4 s of a first page on a busy disk): an image a crash left
    short no longer matches the size its metadata records, and is rendered again rather than served."""
    from flopmine.ids import ArxivId
    from flopmine.review.web.pages import page_cache_path, render_page
    from tests.support.review_web import PAPER_A, make_home

    home = make_home(tmp_path / "home")
    pdf = home.pdf_dir / ArxivId(PAPER_A, 1).filename()
    cache = page_cache_path(home.root, pdf.name, 1)
    first = render_page(pdf, 1, cache)
    whole = cache.read_bytes()
    cache.write_bytes(whole[: len(whole) // 2])  # torn
    again = render_page(pdf, 1, cache)
    assert cache.read_bytes() == whole and (again.width, again.height) == (first.width, first.height)
    assert not [p for p in cache.parent.iterdir() if p.name.startswith(".")]


def test_a_decision_leaves_for_the_next_open_paper_past_closed_ones_over_http(tmp_path: Path) -> None:
    """Every paper decided but the first one's flops and the last one's: a decision on the first jumps over the
    closed papers to a paper another process re-extracted meanwhile (its new candidate is open), undo brings
    the decision back, and once that paper is decided too the next one is the last paper. The closed papers
    between are never built."""
    papers = web_app.EAGER_CANDIDATES // 6 + 20  # above the eager size: the walk is built paper by paper
    home = make_big_home(tmp_path / "home", tmp_path / "papers", papers=papers)
    last, middle = f"2001.{papers - 1:05d}", f"2001.{papers // 2:05d}"
    conn = connect(home.db_path)
    try:
        cands = candidates_for(conn)
        first_flops = next(c for c in cands if c.arxiv_id == "2001.00000" and c.field == "flops")
        apply(conn, home, [_decision("reject", c) for c in cands if c.arxiv_id != last and c != first_flops])
    finally:
        conn.close()
    app = create_app(home, reviewer="tester")
    with serve(app) as url:
        t = Tab(url)
        page = t.http.get("/")
        assert f'data-candidate-id="{first_flops.candidate_id}"' in page.text
        extractor = connect(home.db_path)  # another process: a new version of a middle paper, one value new
        try:
            old = [c for c in candidates_for(extractor) if c.arxiv_id == middle]
            new = [dataclasses.replace(c, version=2, value=c.value + 0.25 if c.rank == 5 else c.value) for c in old]
            replace_candidates(extractor, middle, 2, new, extraction={"status": "ok", "rule_version": "test"})
        finally:
            extractor.close()
        fresh = next(c for c in new if c.rank == 5)  # the others carry their version-1 decisions over
        r = t.decide(first_flops.candidate_id, "accept")
        assert r.status_code == 200 and r.json()["next"] == fresh.candidate_id, r.text
        assert t.undo().status_code == 200
        assert t.decide(first_flops.candidate_id, "reject").json()["next"] == fresh.candidate_id
        r = t.decide(fresh.candidate_id, "reject")
        assert r.status_code == 200
        nxt = r.json()["next"]
        assert nxt is not None and nxt.startswith("c")
        t.close()
    reader = connect(home.db_path)
    try:
        assert backend.locate(reader, nxt) == (last, 1)
    finally:
        reader.close()
    walk = app.state.review._cache[1]
    assert walk.loaded <= 4  # the first paper, the middle one, the last one (and what a page links to)
