"""`review export` streams the store one paper at a time (issue 20) and writes the same bytes as before.

``reference_export`` below is the export as it was before streaming (every candidate and decision of the
store loaded, slotted and written at once), kept here as the oracle for byte-identical output.
"""

from __future__ import annotations

import sqlite3
import tracemalloc
from pathlib import Path
from urllib.parse import quote

import pytest

from flopmine import review
from flopmine.config import Home, write_csv_atomic
from flopmine.ids import ArxivId
from flopmine.review import assign as asg
from flopmine.review.annotations import PAPER_FACTS_FILE
from flopmine.review.decision import REVIEW_COLUMNS, format_value
from flopmine.review.export import SLOT_COLUMNS, ExportReport, active_papers, review_row
from flopmine.review.slots import build_slots, shown_rows, shown_slots
from flopmine.review.store import active_candidates, active_versions, attach, sync
from flopmine.store import connect, replace_candidates, upsert_paper
from flopmine.types import Candidate, Paper
from tests.test_review import write_sheet

BENCHMARKS = ("imagenet", "cifar10", "coco")


def reference_pdf_link(conn: sqlite3.Connection, home: Home, c: Candidate) -> str:
    """``pdf_link`` before issue 20 (pathlib)."""
    aid = ArxivId(c.arxiv_id, c.version or None)
    page = f"#page={c.page}" if c.page > 0 else ""
    row = conn.execute("SELECT path FROM pdfs WHERE arxiv_id = ? AND version = ? AND status = 'ok'",
                       (c.arxiv_id, c.version)).fetchone()
    candidates = [home.pdf_dir / row["path"]] if row is not None and row["path"] else []
    candidates.append(home.pdf_dir / aid.filename())
    source = conn.execute("SELECT source_path FROM extractions WHERE arxiv_id = ? AND version = ?",
                          (c.arxiv_id, c.version)).fetchone()
    if source is not None and source["source_path"]:
        candidates.append(Path(source["source_path"]))
    for path in candidates:
        if path.is_file():
            return path.resolve().as_uri() + page
    return f"https://arxiv.org/pdf/{quote(str(aid), safe='/.')}{page}"


def reference_export(conn: sqlite3.Connection, home: Home, out_dir: Path, *, benchmark: str | None = None,
                     pending_only: bool = False, bom: bool = True, top: int | None = 3, slot_rank: int | None = 4,
                     papers: set[str] | None = None) -> ExportReport:
    """The whole-store export before issue 20 (the oracle)."""
    decisions = sync(conn, home)
    candidates = active_candidates(conn, benchmark)
    if papers is not None:
        candidates = [c for c in candidates if c.arxiv_id in papers]
    attached, _ = attach(candidates, decisions, active_versions(conn))
    slots = build_slots(attached)
    shown = shown_rows(slots, top, pending_only=pending_only, slot_rank=slot_rank)
    groups: dict[str, list] = {}
    for r in shown:
        c = r.attached.candidate
        groups.setdefault(f"{c.benchmark}.csv" if c.benchmark else PAPER_FACTS_FILE, []).append(r)
    files = []
    for name in sorted(groups):
        rows = [{**review_row(conn, home, r.attached, r), "pdf_link": reference_pdf_link(conn, home, r.attached.candidate)}
                for r in groups[name]]
        write_csv_atomic(out_dir / name, [*REVIEW_COLUMNS, *SLOT_COLUMNS], rows, bom=bom, line_terminator="\r\n")
        files.append(out_dir / name)
    return ExportReport(tuple(files), len(shown), sum(1 for r in shown if r.state == "pending"),
                        sum(r.rest for r in shown), len({r.slot.key for r in shown}),
                        len({r.slot.key.paper for r in shown}), len(slots) - len(shown_slots(slots, slot_rank)))


def _paper_candidates(aid: str, version: int, n: int, seed: int) -> list[Candidate]:
    """``n`` candidates of a paper: results of several models on its benchmarks, and compute facts."""
    out: list[Candidate] = []
    for i in range(n):
        bench = BENCHMARKS[(seed + i) % len(BENCHMARKS)]
        model = f"Net-{(seed + i) % 4}" if i % 5 else ""
        kind = i % 6
        snippet = ("=SUM(A1) " if i % 7 == 0 else "réseau ") + f"paper {aid} says {i}, \"quoted\"\nnext line" * 3
        if kind in (0, 1, 2):
            field, value, b = ("top1_err", "top1_acc", "top5_err")[kind], round(10 + (seed * 7 + i) % 80 + 0.25, 2), bench
        elif kind == 3:
            field, value, b = "flops", float(10 ** (8 + i % 4) * (1 + seed % 3)), ""
        elif kind == 4:
            field, value, b = "epochs", float(30 + (i + seed) % 5 * 30), ""
        else:
            field, value, b = "hardware", ("V100", "TPU v3", "-P100")[i % 3], ""
        out.append(Candidate(aid, version, field, value, benchmark=b, model=model, page=1 + i % 9,
                             snippet=snippet, rule=f"r{kind}", confidence=round(1.0 / (1 + i % 5), 3),
                             rank=(i % 5) if i % 4 else 0))
    return out


def _aid(i: int) -> str:
    return f"{1500 + i % 12:04d}.{10000 + i:05d}"


def make_store(home: Home, n_papers: int, per_paper: int) -> sqlite3.Connection:
    conn = connect(home.db_path)
    for i in range(n_papers):
        aid = _aid(i)
        upsert_paper(conn, Paper(aid, 1, f"paper {i}", benchmarks=(BENCHMARKS[i % 3],)))
        replace_candidates(conn, aid, 1, _paper_candidates(aid, 1, per_paper, i),
                           extraction={"status": "ok", "rule_version": "t", "pages": 9})
    return conn


def _sheet(path: Path, items: list[dict[str, object]]) -> Path:
    return write_sheet(path, items, crlf=False, bom=False)


def _decide(c: Candidate, decision: str, **extra: object) -> dict[str, object]:
    return {"candidate_id": c.candidate_id, "arxiv_id": c.arxiv_id, "version": c.version, "benchmark": c.benchmark,
            "model": c.model, "field": c.field, "value": format_value(c.value), "unit": c.unit, "page": c.page,
            "decision": decision, "reviewer": "tess", **extra}


@pytest.fixture
def store(home: Home, tmp_path: Path) -> sqlite3.Connection:
    """Nine papers with decisions: accepts (superseding siblings), rejects, a correction, a decision carried
    over to a re-extracted v2, a paper whose v2 extraction failed, and a paper without candidates."""
    conn = make_store(home, 9, 24)
    cands = {_aid(i): [Candidate.from_row(r) for r in conn.execute(
        "SELECT * FROM candidates WHERE arxiv_id = ? ORDER BY candidate_id", (_aid(i),))] for i in range(9)}
    rows: list[dict[str, object]] = []
    for i, cs in enumerate(cands.values()):
        metric = [c for c in cs if c.benchmark]
        accepted = metric[i % len(metric)]
        rows.append(_decide(accepted, "accept"))
        rejected = next(c for c in cs[3 + i:] if c != accepted)
        rows.append(_decide(rejected, "reject", note="grant number"))
        if i == 2:
            num = next(c for c in cs if isinstance(c.value, float) and c.benchmark == "" and c not in (accepted,
                                                                                                       rejected))
            rows.append(_decide(num, "correct", corrected_value=format_value(num.value * 2)))
    asg.import_reviewed(conn, home, [_sheet(tmp_path / "decisions.csv", rows)])
    # paper 0 re-extracted as v2 (its decided facts carry over by fact key), paper 1's v2 extraction failed
    a0, a1 = _aid(0), _aid(1)
    replace_candidates(conn, a0, 2, [*_paper_candidates(a0, 2, 24, 0)[:20], *_paper_candidates(a0, 2, 30, 5)[24:]],
                       extraction={"status": "ok", "rule_version": "t", "pages": 9})
    replace_candidates(conn, a1, 2, _paper_candidates(a1, 2, 5, 1),
                       extraction={"status": "failed", "rule_version": "t", "pages": 0})
    upsert_paper(conn, Paper("1999.99999", 1, "no candidates", benchmarks=("imagenet",)))
    replace_candidates(conn, "1999.99999", 1, [], extraction={"status": "ok", "rule_version": "t", "pages": 3})
    # PDFs: two harvested under their usual name, one at a path of its own (with a space and an accent)
    for i in (2, 4):
        home.pdf_dir.mkdir(parents=True, exist_ok=True)
        (home.pdf_dir / ArxivId(_aid(i), 1).filename()).write_bytes(b"%PDF-1.4")
    (home.pdf_dir / "sub dir").mkdir()
    (home.pdf_dir / "sub dir" / "é x.pdf").write_bytes(b"%PDF-1.4")
    conn.execute("INSERT INTO pdfs (arxiv_id, version, status, path, updated_at) VALUES (?, 1, 'ok', ?, 'now')",
                 (_aid(3), "sub dir/é x.pdf"))
    conn.commit()
    return conn


def _files(report: ExportReport) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in report.files}


VARIANTS = [
    {},
    {"pending_only": True},
    {"top": None, "slot_rank": None},  # --all
    {"top": 1},
    {"top": 5, "slot_rank": 2},
    {"benchmark": "imagenet"},
    {"benchmark": "coco", "pending_only": True, "bom": False},
    {"papers": {_aid(0), _aid(3), _aid(5)}},
]


@pytest.mark.parametrize("options", VARIANTS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
def test_streamed_export_writes_the_same_bytes_as_the_whole_store_export(
        store: sqlite3.Connection, home: Home, tmp_path: Path, options: dict) -> None:
    old = reference_export(store, home, tmp_path / "old", **options)
    new = review.export(store, home, tmp_path / "new", **options)
    assert old.rows > 0 and [p.name for p in old.files] == [p.name for p in new.files]
    assert _files(new) == _files(old)
    assert (new.rows, new.pending, new.hidden, new.slots, new.papers, new.hidden_slots) == \
        (old.rows, old.pending, old.hidden, old.slots, old.papers, old.hidden_slots)


def test_the_fixture_exercises_decisions_carry_over_and_superseded_rows(store: sqlite3.Connection, home: Home,
                                                                      tmp_path: Path) -> None:
    text = b"".join(review.export(store, home, tmp_path / "x", top=None, slot_rank=None).files[i].read_bytes()
                    for i in range(len(BENCHMARKS) + 1))
    assert b",superseded\r\n" in text and b",decided\r\n" in text and b" (v1)" in text  # carried over to v2
    assert b"'=SUM(A1)" in text  # formula cells neutralised
    assert b"file://" in text and b"/sub%20dir/%C3%A9%20x.pdf#page=" in text and b"https://arxiv.org/pdf/" in text


def test_active_papers_agree_with_active_versions(store: sqlite3.Connection) -> None:
    assert list(active_papers(store)) == sorted(active_versions(store).items())


def test_assigned_export_matches_the_reference_per_reviewer(store: sqlite3.Connection, home: Home,
                                                            tmp_path: Path) -> None:
    assigned = asg.export_assigned(store, home, tmp_path / "new", "ann,bob", overlap=0.3, pending_only=True,
                                   benchmark="imagenet")
    counts: dict[str, int] = {}
    for c in active_candidates(store, "imagenet"):  # how the papers were weighed before issue 20
        counts[c.arxiv_id] = counts.get(c.arxiv_id, 0) + 1
    assert set(assigned.assignments) == set(counts)
    for reviewer, rep in assigned.exports.items():
        papers = {aid for aid, names in assigned.assignments.items() if reviewer in names}
        assert assigned.candidates[reviewer] == sum(counts[p] for p in papers)
        old = reference_export(store, home, tmp_path / "old" / reviewer, pending_only=True, papers=papers,
                               benchmark="imagenet")
        assert rep.rows == old.rows > 0 and _files(rep) == _files(old)


def test_progress_is_reported_per_paper(store: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    seen: list[tuple[int, int, str]] = []
    review.export(store, home, tmp_path / "p", progress=lambda done, total, aid: seen.append((done, total, aid)))
    assert [s[0] for s in seen] == list(range(1, 11)) and {s[1] for s in seen} == {10}
    assert [s[2] for s in seen] == sorted(s[2] for s in seen)


def test_a_failed_export_leaves_the_old_files(store: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    first = review.export(store, home, tmp_path / "out")
    before = _files(first)
    store.execute("UPDATE candidates SET field = 'no_such_field' WHERE arxiv_id = ?", (_aid(8),))
    store.commit()
    with pytest.raises(KeyError):
        review.export(store, home, tmp_path / "out")
    assert _files(first) == before and not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_export_holds_one_paper_at_a_time_not_the_store(tmp_path: Path) -> None:
    from flopmine.config import resolve_home

    peaks = []
    for n in (100, 1500):
        home = resolve_home(tmp_path / f"h{n}")
        conn = make_store(home, n, 6)
        tracemalloc.start()
        report = review.export(conn, home, tmp_path / f"out{n}", top=None, slot_rank=None)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        conn.close()
        assert report.papers == n and report.rows == 6 * n
    assert peaks[1] < 2 * peaks[0], peaks  # 15 times the candidates, not 15 times the memory


def test_export_reads_the_store_in_one_read_transaction(store: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    """Every paper is read in the same snapshot: the read transaction begun before the first paper is still
    open at the last (reading a paper's renames used to check the schema with a script, which commits it)."""
    open_at: list[bool] = []
    review.export(store, home, tmp_path / "t", progress=lambda *_: open_at.append(store.in_transaction))
    assert len(open_at) == 10 and all(open_at)
    assert not store.in_transaction  # and it is ended after


def test_each_candidates_id_and_fact_key_are_hashed_once_per_export(
        store: sqlite3.Connection, home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 20: an export hashed each candidate's id about 8 times and its fact key twice (sorting, reading its
    decisions, attaching them, grouping its slot): half of its CPU. A candidate computes them once."""
    from flopmine import types

    calls = {"candidate_id": 0, "fact_key": 0}
    for name in calls:
        real = getattr(types, name)

        def counting(*args: object, _real: object = real, _name: str = name) -> str:
            calls[_name] += 1
            return _real(*args)  # type: ignore[operator]

        monkeypatch.setattr(types, name, counting)
    report = review.export(store, home, tmp_path / "h", top=None, slot_rank=None)
    read = store.execute(f"SELECT COUNT(*) FROM ({_ACTIVE_CANDIDATES})").fetchone()[0]
    assert report.rows >= read > 0
    assert calls["candidate_id"] <= read and calls["fact_key"] <= read, (calls, read)


_ACTIVE_CANDIDATES = """SELECT c.candidate_id FROM candidates c JOIN (SELECT arxiv_id, MAX(version) AS version FROM
extractions WHERE status = 'ok' GROUP BY arxiv_id) a ON a.arxiv_id = c.arxiv_id AND a.version = c.version"""
