"""Benchmark incremental extraction: what `flopmine extract` costs when nothing is new, and the parent's memory.

- ``--papers 75 10000``: for each N, a synthetic store of N harvested papers, each already extracted with
  the current rules (20 candidates each) and the review queue written; then ``flopmine extract`` with
  nothing new, run as its own process. Prints its CPU time and peak RSS beside ``flopmine --help``'s.
- ``--pdfs 40 160``: ``flopmine extract --workers 2`` on N copies (symlinks, distinct ids) of the 20 smallest
  PDFs in ``--corpus``; prints the peak RSS of the parent process alone (its workers excluded).
- ``--generated 1000 10000``: the same on N hard links (distinct ids) to 20 small generated one-page PDFs
  (reportlab: a title, a paragraph of training prose and a results table with FLOPs, params and error;
  the numbers differ between the 20), so 10,000 PDFs extract in minutes. Prints the parent's peak RSS
  and the largest worker's, sampled every 50 ms, and the parent's RSS after each tenth of the PDFs, so
  growth shows.

Usage: .venv/bin/python bench/extract_incremental.py --papers 75 10000 [--pdfs 40 160 --corpus ../shared/corpus/pdfs]
       .venv/bin/python bench/extract_incremental.py --papers --generated 1000 10000
"""

from __future__ import annotations

import argparse
import contextlib
import os
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


def generated_pdfs(directory: Path, count: int = 20) -> list[Path]:
    """``count`` small one-page papers, each with its own numbers (prose + a results table)."""
    from flopmine.demo.samplepdf import Paragraph, Table, Title, render_pdf

    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for k in range(count):
        blocks = [
            Title(f"Scaling Test Network {k}", "A. Author"),
            Paragraph(f"We train Net-{k} (ours) for {90 + k} epochs on {8 + k % 8} NVIDIA Tesla V100 GPUs, which "
                      f"takes {2 + k % 5} days. The model has {20 + k}.5M parameters and needs {3 + k % 7}.{k % 10} "
                      "GFLOPs per image. Table 1 compares it with the baselines on ImageNet."),
            Table("Table 1: ImageNet results.", ("Model", "Params", "FLOPs", "Top-1 err."),
                  ((f"Net-{k} (ours)", f"{20 + k}.5M", f"{3 + k % 7}.{k % 10}G", f"{21 + k % 5}.{k % 9}"),
                   ("ResNet-50", "25.6M", "4.1G", "23.9"), ("ResNet-152", "60.2M", "11.5G", "21.7")),
                  bold_rows=frozenset({0})),
        ]
        p = directory / f"gen{k:02d}.pdf"
        p.write_bytes(render_pdf(blocks).body)
        out.append(p)
    return out


def sampled_tree(argv: list[str], checkpoints: int = 10, total: int = 0,
                 home: Path | None = None) -> tuple[float, float, list[tuple[int, float]], int]:
    """Run ``argv``; (parent peak MiB, largest worker peak MiB, [(PDFs stored, parent MiB)], exit code)."""
    import sqlite3

    proc = psutil.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parent = worker = 0
    trace: list[tuple[int, float]] = []
    next_check = time.monotonic() + 5
    while proc.poll() is None:
        try:
            parent = max(parent, proc.memory_info().rss)
            for c in proc.children(recursive=True):
                with contextlib.suppress(psutil.Error):  # a worker may exit between the two calls
                    worker = max(worker, c.memory_info().rss)
        except psutil.Error:
            break
        if home is not None and total and time.monotonic() > next_check:
            next_check = time.monotonic() + 5
            try:
                with sqlite3.connect(f"file:{home / 'flopmine.sqlite'}?mode=ro", uri=True, timeout=1) as db:
                    stored = db.execute("SELECT COUNT(*) FROM extractions").fetchone()[0]
                if stored >= (len(trace) + 1) * total // checkpoints:
                    trace.append((stored, proc.memory_info().rss / 2**20))
                    print(f"  … {stored} PDFs stored: parent RSS {trace[-1][1]:.0f} MiB (peak so far "
                          f"{parent / 2**20:.0f}), largest worker so far {worker / 2**20:.0f} MiB", flush=True)
            except (sqlite3.Error, psutil.Error):
                pass
        time.sleep(0.05)
    return parent / 2**20, worker / 2**20, trace, int(proc.returncode or 0)


def generated_memory(sizes: list[int], workers: int) -> None:
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            src = generated_pdfs(Path(tmp) / "src")
            pdf_dir = Path(tmp) / "pdfs"
            pdf_dir.mkdir()
            for i in range(n):
                os.link(src[i % len(src)], pdf_dir / f"{2101 + i // 90000}.{i % 90000:05d}v1.pdf")
            home = Path(tmp) / "home"
            t0 = time.monotonic()
            before = os.getloadavg()[0]
            parent, worker, trace, code = sampled_tree(
                [FLOPMINE, "--home", str(home), "--quiet", "extract", str(pdf_dir), "--workers", str(workers)],
                total=n, home=home)
            conn = connect(home / "flopmine.sqlite")
            stored, cands = conn.execute("SELECT (SELECT COUNT(*) FROM extractions WHERE status = 'ok'), "
                                         "(SELECT COUNT(*) FROM candidates)").fetchone()
            conn.close()
            print(f"extract {n:>6} generated PDFs ({stored} ok, {cands} candidates), --workers {workers}: parent "
                  f"peak RSS {parent:.0f} MiB, largest worker {worker:.0f} MiB, exit {code}, "
                  f"{time.monotonic() - t0:.0f} s wall, load {before:.1f} → {os.getloadavg()[0]:.1f}", flush=True)
            print("  parent RSS as PDFs were stored: " + ", ".join(f"{k}: {m:.0f} MiB" for k, m in trace), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--papers", type=int, nargs="*", default=[75, 10000])
    ap.add_argument("--pdfs", type=int, nargs="*", default=[])
    ap.add_argument("--generated", type=int, nargs="*", default=[])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[2] / "shared/corpus/pdfs")
    args = ap.parse_args()
    if args.papers:
        nothing_new(args.papers)
    if args.pdfs:
        parent_memory(args.pdfs, args.corpus)
    if args.generated:
        generated_memory(args.generated, args.workers)


if __name__ == "__main__":
    main()
