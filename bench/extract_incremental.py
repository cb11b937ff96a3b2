"""Benchmark incremental extraction: what `flopmine extract` costs when nothing is new, and the parent's memory.

- ``--papers 75 10000``: for each N, a synthetic store of N harvested papers, each already extracted with
  the current rules (20 candidates each) and the review queue written; then ``flopmine extract`` with
  nothing new, run as its own process. Prints its CPU time and peak RSS beside ``flopmine --help``'s.
- ``--pdfs 40 160``: ``flopmine extract --workers 2`` on N copies (symlinks, distinct ids) of the 20 smallest
  PDFs in ``--corpus``; prints the peak RSS of the parent process alone (its workers excluded).

Usage: .venv/bin/python bench/extract_incremental.py --papers 75 10000 [--pdfs 40 160 --corpus ../shared/corpus/pdfs]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from flopmine.extract.pipeline import rule_version
from flopmine.extract.queue import write_queue
from flopmine.store import connect, now_iso, replace_candidates, upsert_paper
from flopmine.types import Candidate, Paper

FLOPMINE = str(Path(sys.executable).with_name("flopmine"))


def build_store(home: Path, n: int) -> None:
    conn = connect(home / "flopmine.sqlite")
    rv = rule_version()
    for i in range(n):
        aid = f"{2001 + i // 90000}.{i % 90000:05d}"
        with conn:
            upsert_paper(conn, Paper(aid, 1, f"Paper {i}", abstract="words " * 150, benchmarks=("imagenet",)))
            conn.execute("INSERT INTO pdfs (arxiv_id, version, status, path, updated_at) VALUES (?, 1, 'ok', ?, ?)",
                         (aid, f"{aid}v1.pdf", now_iso()))
        cands = [Candidate(arxiv_id=aid, version=1, field="epochs", value=float(k + 1), rank=k + 1,
                           snippet="trained for some epochs on many GPUs " * 7, rule_version=rv) for k in range(20)]
        replace_candidates(conn, aid, 1, cands, extraction={"status": "ok", "rule_version": rv})
    write_queue(conn, home / "queue" / "queue.csv")
    conn.close()


def measured(argv: list[str]) -> tuple[float, float, int]:
    """(CPU seconds, peak RSS MiB sampled every 10 ms, exit code) of one command run in its own process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = psutil.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, proc.memory_info().rss)
        except psutil.Error:
            break
        time.sleep(0.01)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return cpu, peak / 2**20, int(proc.returncode or 0)


def nothing_new(sizes: list[int]) -> None:
    cpu, rss, _ = measured([FLOPMINE, "--help"])
    print(f"flopmine --help: CPU {cpu:.2f} s, peak RSS {rss:.0f} MiB")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp) / "home"
            build_store(home, n)
            cpu, rss, code = measured([FLOPMINE, "--home", str(home), "--quiet", "extract"])
            print(f"extract with nothing new, {n:>6} papers ({20 * n} candidates): CPU {cpu:.2f} s, "
                  f"peak RSS {rss:.0f} MiB, exit {code}", flush=True)


def parent_memory(sizes: list[int], corpus: Path) -> None:
    src = sorted(corpus.glob("*.pdf"), key=lambda p: p.stat().st_size)[:20]
    if not src:
        raise SystemExit(f"no PDFs in {corpus}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            pdf_dir = Path(tmp) / "pdfs"
            pdf_dir.mkdir()
            for i in range(n):
                (pdf_dir / f"2101.{i:05d}v1.pdf").symlink_to(src[i % len(src)].resolve())
            t0 = time.monotonic()
            _cpu, rss, code = measured([FLOPMINE, "--home", str(Path(tmp) / "home"), "--quiet", "extract",
                                        str(pdf_dir), "--workers", "2"])
            print(f"extract {n:>5} PDFs: parent peak RSS {rss:.0f} MiB, exit {code}, "
                  f"{time.monotonic() - t0:.0f} s wall", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--papers", type=int, nargs="*", default=[75, 10000])
    ap.add_argument("--pdfs", type=int, nargs="*", default=[])
    ap.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[2] / "shared/corpus/pdfs")
    args = ap.parse_args()
    if args.papers:
        nothing_new(args.papers)
    if args.pdfs:
        parent_memory(args.pdfs, args.corpus)


if __name__ == "__main__":
    main()
