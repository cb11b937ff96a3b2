"""Benchmark the review web app on a large store: page and decision latency over real HTTP.

Builds a home with N papers x K candidates (plus the two sample papers with PDFs), records a decision on
all but the last ``--pending`` papers' candidates (``--decided``, default: 100,000 annotation rows:
ledger rows, and as many fact rows for the accepts), serves it with uvicorn on 127.0.0.1, then times
the first page (walk built, page rendered), later pages (walk cached) and decisions (validated and
applied by the review library, files fsynced); apart, the slowest decision that leaves its paper (it asks
for the next open paper: with the rows, the walk starts on the two sample papers and the one that leaves the
second finds the next open paper past the 99,970 decided candidates).

Side by side, as the other benches print flopmine against a baseline:
- the same decisions on the same candidates with empty annotations (what the annotation rows cost);
- a yardstick: writing and fsyncing the bytes of the annotation files one decision rewrites, alone
  (the floor for any decision that rewrites them);
- another home sharing the annotations folder (a copy of the store, its cache current before the decisions):
  how long its ``refresh`` takes after them (it reads again what they changed).

The papers are spread over ``--months`` arXiv months (ids ``1501.00000`` onwards, 100 by default), as a
store harvested over years is; the review keeps its annotations in one file per month (and benchmark).

Usage: .venv/bin/python bench/review_web.py [--papers 10000] [--per-paper 10] [--decisions 20] [--months 100]
       .venv/bin/python bench/review_web.py --papers 1000 --decided 0        # the old small run
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from flopmine.config import Home  # noqa: E402
from flopmine.review.apply import apply  # noqa: E402
from flopmine.review.decision import Decision  # noqa: E402
from flopmine.review.store import refresh  # noqa: E402
from flopmine.review.web import create_app  # noqa: E402
from flopmine.store import connect, replace_candidates, upsert_paper  # noqa: E402
from flopmine.types import Candidate, Paper  # noqa: E402
from tests.support.review_web import make_home, serve  # noqa: E402

FIRST_MONTH = 15 * 12  # January 2015, as months since 2000


def paper_id(i: int, papers: int, months: int) -> str:
    """The ``i``-th of ``papers`` ids spread evenly over ``months`` arXiv months (in id order)."""
    m = FIRST_MONTH + i * months // papers
    return f"{m // 12 % 100:02d}{m % 12 + 1:02d}.{i:05d}"


def build_home(root: Path, papers: int, per_paper: int, months: int) -> tuple[Home, list[Candidate]]:
    home = make_home(root)
    conn = connect(home.db_path)
    out: list[Candidate] = []
    for i in range(papers):
        aid = paper_id(i, papers, months)
        upsert_paper(conn, Paper(aid, 1, f"paper {i}", benchmarks=("imagenet",)))
        cands = [Candidate(aid, 1, "top1_acc", 50.0 + j / 10, benchmark="imagenet", model=f"m{j}", page=1,
                           snippet="x", rank=j + 1) for j in range(per_paper)]
        replace_candidates(conn, aid, 1, cands, extraction={"status": "ok", "rule_version": "bench"})
        out.extend(cands)
    conn.commit()
    conn.close()
    return home, out


def pre_decide(home: Home, candidates: list[Candidate], n: int) -> float:
    """Record ``n`` decisions (every third a reject, the rest accepts) through ``review.apply``; seconds taken."""
    t = time.perf_counter()
    decisions = [Decision("reject" if i % 3 == 2 else "accept", c.arxiv_id, c.version, c.field, c.value,
                          benchmark=c.benchmark, model=c.model, unit=c.unit, page=c.page, candidate_id=c.candidate_id,
                          reviewer="seed", source="bench")
                 for i, c in enumerate(candidates[:n])]
    conn = connect(home.db_path)
    try:
        apply(conn, home, decisions)
    finally:
        conn.close()
    return time.perf_counter() - t


def time_server(home: Home, decisions: int) -> tuple[float, float, list[float], list[bool]]:
    """(first page, median later page, decision times, whether each decision left its paper) in seconds,
    over HTTP. A decision that leaves its paper looks for the next open one (with 99,970 rows, past them)."""
    conn = connect(home.db_path)
    paper = {r[0]: r[1] for r in conn.execute("SELECT candidate_id, arxiv_id FROM candidates")}
    conn.close()
    with serve(create_app(home, reviewer="bench")) as base, httpx.Client(base_url=base, timeout=600) as c:
        t = time.perf_counter()
        page = c.get("/")
        first = time.perf_counter() - t
        csrf = re.search(r'csrf-token" content="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        gets = []
        for _ in range(5):
            t = time.perf_counter()
            c.get("/")
            gets.append(time.perf_counter() - t)
        cid = re.search(r'data-candidate-id="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        posts, leaving = [], []
        for _ in range(decisions):
            t = time.perf_counter()
            r = c.post("/api/decide", json={"candidate_id": cid, "decision": "accept", "expected": ""},
                       headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"})
            posts.append(time.perf_counter() - t)
            r.raise_for_status()
            nxt = r.json()["next"]
            leaving.append(paper[cid] != paper.get(nxt))
            cid = nxt
    return first, statistics.median(gets), posts, leaving


def decision_files(home: Home, arxiv_id: str) -> list[Path]:
    """The ledger and imagenet fact file a decision on ``arxiv_id`` rewrites: its month's (the whole store's
    before annotation files were split by month; this bench also runs on that code, for comparison)."""
    try:
        from flopmine.review.annotations import paper_fact_file, paper_ledger_file
    except ImportError:
        return [home.annotations_dir / "decisions" / "ledger.csv", home.annotations_dir / "imagenet.csv"]
    return [paper_ledger_file(home.annotations_dir, arxiv_id), paper_fact_file(home.annotations_dir, arxiv_id,
                                                                                "imagenet")]


def stale_home(home: Home, root: Path) -> tuple[Home, sqlite3.Connection]:
    """A second home sharing ``home``'s annotations folder, its store a copy of ``home``'s, its cache current."""
    other = Home(root, annotations_override=home.annotations_dir)
    root.mkdir(parents=True)
    shutil.copy(home.db_path, other.db_path)
    conn = connect(other.db_path)
    refresh(conn, other)
    return other, conn


def write_floor(home: Home, arxiv_id: str, rounds: int = 5) -> float:
    """Median seconds to write and fsync the bytes of the files a decision on ``arxiv_id`` rewrites, alone."""
    files = [p for p in decision_files(home, arxiv_id) if p.is_file()]
    data = [p.read_bytes() for p in files]
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        for p, b in zip(files, data, strict=True):
            tmp = p.with_name(f".{p.name}.bench")
            with open(tmp, "wb") as fh:
                fh.write(b)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.unlink()
        times.append(time.perf_counter() - t)
    return statistics.median(times) if times else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--papers", type=int, default=10_000)
    ap.add_argument("--per-paper", type=int, default=10)
    ap.add_argument("--decided", type=int, default=100_000, help="decisions recorded before serving")
    ap.add_argument("--decisions", type=int, default=20, help="decisions timed")
    ap.add_argument("--months", type=int, default=100, help="arXiv months the papers' ids spread over")
    args = ap.parse_args()
    total = args.papers * args.per_paper
    decided = min(args.decided, total - args.decisions - args.per_paper)
    with tempfile.TemporaryDirectory() as tmp:
        home, cands = build_home(Path(tmp) / "empty", args.papers, args.per_paper, args.months)
        first0, get0, posts0, leaving0 = time_server(home, args.decisions)
    with tempfile.TemporaryDirectory() as tmp:
        home, cands = build_home(Path(tmp) / "big", args.papers, args.per_paper, args.months)
        setup = pre_decide(home, cands, decided)
        ann = home.annotations_dir
        ledgers = [*(ann / "decisions").glob("ledger.csv"), *(ann / "decisions" / "ledger").glob("*.csv")]
        rows = sum(sum(1 for _ in p.open()) - 1 for p in ledgers)
        facts = sum(sum(1 for _ in p.open()) - 1 for p in ann.glob("imagenet*.csv"))
        size = sum(p.stat().st_size for p in ann.rglob("*.csv"))
        files = sum(1 for _ in ann.rglob("*.csv"))
        floor = write_floor(home, cands[decided].arxiv_id)
        other, conn = stale_home(home, Path(tmp) / "other")
        first, get, posts, leaving = time_server(home, args.decisions)
        t = time.perf_counter()
        refresh(conn, other)  # the months the decisions changed, read again
        stale = time.perf_counter() - t
        conn.close()
    med0, med = statistics.median(posts0), statistics.median(posts)
    print(f"candidates {total + 4:,} in {args.months} months; annotations: {rows:,} ledger rows, {facts:,} fact rows, "
          f"{size / 1e6:.1f} MB in {files} files (recorded in {setup:.1f} s by one review.apply)")
    print(f"{'':34s}{'empty annotations':>18s}{f'{rows:,} rows':>16s}{'ratio':>8s}")
    print(f"{'first page (walk built)':34s}{first0 * 1000:15.0f} ms{first * 1000:13.0f} ms{first / first0:7.1f}x")
    print(f"{'next pages, median':34s}{get0 * 1000:15.0f} ms{get * 1000:13.0f} ms{get / get0:7.1f}x")
    print(f"{f'decision, median of {args.decisions}':34s}{med0 * 1000:15.0f} ms{med * 1000:13.0f} ms{med / med0:7.1f}x")
    print(f"{'decision, first':34s}{posts0[0] * 1000:15.0f} ms{posts[0] * 1000:13.0f} ms{posts[0] / posts0[0]:7.1f}x")
    print(f"{'decision, slowest':34s}{max(posts0) * 1000:15.0f} ms{max(posts) * 1000:13.0f} ms"
          f"{max(posts) / max(posts0):7.1f}x")
    left0 = max((p for p, gone in zip(posts0, leaving0, strict=True) if gone), default=0.0)
    left = max((p for p, gone in zip(posts, leaving, strict=True) if gone), default=0.0)
    if left0 and left:
        print(f"{'decision leaving its paper, slowest':34s}{left0 * 1000:15.0f} ms{left * 1000:13.0f} ms"
              f"{left / left0:7.1f}x")
    print(f"{'another home: its stale cache read':34s}{'':>18s}{stale * 1000:13.0f} ms  (after the decisions above)")
    print(f"{'yardstick: write + fsync the files':34s}{'':>18s}{floor * 1000:13.0f} ms"
          f"{'':8s}(decision median / yardstick {med / floor:.1f}x)" if floor else "")


if __name__ == "__main__":
    main()
