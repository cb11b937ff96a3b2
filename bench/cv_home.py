"""Build a home whose candidates are ranked by the cross-validated ranker, for ``eval --review-cost``.

    .venv/bin/python bench/cv_home.py HOME --gold GOLD.csv [--gold …] [--folds 5] [PDFS]

PDFS defaults to ``../shared/corpus/pdfs``. The PDFs are read in this process (``candidates_from_paths``);
papers are split into folds by ``folds_of`` (as ``flopmine eval --folds``); each fold's candidates are
ranked by a ranker trained on the gold of the other folds only (``ranking.train``), implausible values
dropped as ``flopmine extract`` drops them, and stored in ``HOME`` with the paper's extraction row. Then
``flopmine --home HOME eval --review-cost [--sheet rows] --gold …`` replays a reviewer on rankings that
never saw the paper's gold: the review cost on new papers, not on the ranker's training data.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from flopmine.config import Home  # noqa: E402
from flopmine.extract.evaluation import candidates_from_paths  # noqa: E402
from flopmine.extract.gold import load_gold  # noqa: E402
from flopmine.extract.ranking import folds_of, rerank, train, truths_from_gold  # noqa: E402
from flopmine.store import connect, replace_candidates, upsert_paper  # noqa: E402
from flopmine.types import Paper  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("home", type=Path)
    ap.add_argument("pdfs", nargs="?", type=Path, default=REPO.parent / "shared" / "corpus" / "pdfs")
    ap.add_argument("--gold", type=Path, action="append", required=True)
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    t0 = time.perf_counter()
    gold = load_gold(args.gold)
    run = candidates_from_paths([args.pdfs])
    print(f"read {len(run.found)} PDF(s) in {time.perf_counter() - t0:.0f} s; problems: {run.problems}", flush=True)
    truths = truths_from_gold(gold)
    papers = sorted(run.found)
    fold = folds_of(papers, args.folds)
    home = Home(args.home)
    home.root.mkdir(parents=True, exist_ok=True)
    conn = connect(home.db_path)
    try:
        for k in range(args.folds):
            test = [p for p in papers if fold[p] == k]
            if not test:
                continue
            model = train(run.found, {p: t for p, t in truths.items() if p in run.found and fold[p] != k})
            ranked = rerank(run.found, model, test)
            for aid in test:
                kept = [c for c in ranked if c.arxiv_id == aid]  # implausible values were left out by collect
                version = next((c.version for c in kept), 1)
                benches = tuple(sorted({c.benchmark for c in kept if c.benchmark}))
                upsert_paper(conn, Paper(aid, version, "", benchmarks=benches))
                replace_candidates(conn, aid, version, kept, extraction={
                    "status": "ok", "rule_version": "cv", "pages": run.found[aid][1]})
            print(f"fold {k}: {len(test)} paper(s) ranked by a model trained on the other folds", flush=True)
    finally:
        conn.close()
    print(f"home {home.root} ready in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
