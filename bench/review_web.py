"""Benchmark the review web app on a large store: page and decision latency over real HTTP.

Builds a home with N papers x K candidates (plus the two sample papers with PDFs), serves it with
uvicorn on 127.0.0.1, then times the first page (walk built, page rendered), later pages (walk
cached) and decisions (validated and applied by the review library, files fsynced).

Usage: .venv/bin/python bench/review_web.py [--papers 1000] [--per-paper 10] [--decisions 20]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from flopmine.review.web import create_app  # noqa: E402
from flopmine.store import connect, replace_candidates, upsert_paper  # noqa: E402
from flopmine.types import Candidate, Paper  # noqa: E402
from tests.support.review_web import make_home, serve  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--papers", type=int, default=1000)
    ap.add_argument("--per-paper", type=int, default=10)
    ap.add_argument("--decisions", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = make_home(Path(tmp) / "home")
        conn = connect(home.db_path)
        for i in range(args.papers):
            aid = f"2001.{i:05d}"
            upsert_paper(conn, Paper(aid, 1, f"paper {i}", benchmarks=("imagenet",)))
            cands = [Candidate(aid, 1, "top1_acc", 50.0 + j / 10, benchmark="imagenet", model=f"m{j}", page=1,
                               snippet="x", rank=j + 1) for j in range(args.per_paper)]
            replace_candidates(conn, aid, 1, cands, extraction={"status": "ok", "rule_version": "bench"})
        conn.commit()
        conn.close()
        total = args.papers * args.per_paper + 4
        with serve(create_app(home, reviewer="bench")) as base, httpx.Client(base_url=base, timeout=120) as c:
            t = time.perf_counter()
            page = c.get("/")
            first = time.perf_counter() - t
            csrf = re.search(r'csrf-token" content="([^"]+)"', page.text).group(1)
            gets = []
            for _ in range(5):
                t = time.perf_counter()
                c.get("/")
                gets.append(time.perf_counter() - t)
            cid = re.search(r'data-candidate-id="([^"]+)"', page.text).group(1)
            posts = []
            for _ in range(args.decisions):
                t = time.perf_counter()
                r = c.post("/api/decide", json={"candidate_id": cid, "decision": "accept", "expected": ""},
                           headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"})
                posts.append(time.perf_counter() - t)
                r.raise_for_status()
                cid = r.json()["next"]
        print(f"candidates {total}: first page {first * 1000:.0f} ms (walk built, page rendered); "
              f"next pages median {statistics.median(gets) * 1000:.0f} ms; "
              f"decision median {statistics.median(posts) * 1000:.0f} ms (n={args.decisions})")


if __name__ == "__main__":
    main()
