"""Benchmark the harvester against the loopback fake arXiv.

Two modes:

- ``--scale 1000,10000,50000`` (the default): a metadata-only harvest (no PDFs) of N entries spread over
  the built-in benchmarks, for each N. The fake arXiv runs in a child process, so the CPU time measured
  (``time.process_time`` of this process) is the harvester's alone. Prints, per N, the API requests, the
  CPU seconds and the CPU per 1,000 entries: a linear harvest shows the same CPU per 1k at every size.
- ``--papers N``: a full harvest with PDFs, then a second run. Prints requests made against the minimum
  possible (API pages + PDFs), the smallest spacing between two requests the server observed, and the
  wall time.

Usage: .venv/bin/python bench/harvest.py [--scale 1000,10000,50000] [--page-size 2000]
       .venv/bin/python bench/harvest.py --papers 300 [--interval 0.02] [--layout 2026]
"""

from __future__ import annotations

import argparse
import io
import math
import multiprocessing
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

from reportlab.pdfgen import canvas

from flopmine import harvest
from flopmine.benchmarks import load_registry
from flopmine.config import resolve_home
from flopmine.demo.fakearxiv import FakeArxiv, FakeEntry
from flopmine.types import Paper

# One phrase per built-in benchmark that its query matches (and no other benchmark's does).
TOPICS = {
    "imagenet": ("ImageNet", "cs.CV"),
    "cifar10": ("CIFAR-10", "cs.CV"),
    "cifar100": ("CIFAR-100", "cs.CV"),
    "coco": ("MS COCO object detection", "cs.CV"),
    "conll2003": ("CoNLL-2003 named entity recognition", "cs.CL"),
    "wmt14_en_de": ("WMT 2014 English-German translation, En-De", "cs.CL"),
    "wmt14_en_fr": ("WMT 2014 English-French translation, En-Fr", "cs.CL"),
    "squad11": ("SQuAD v1.1 question answering", "cs.CL"),
    "swb_hub500": ("Switchboard Hub5'00 speech recognition", "cs.CL"),
}


def _pdf(title: str) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, title)
    c.showPage()
    c.save()
    return buf.getvalue()


def make_entries(n: int, *, pdfs: bool = True) -> tuple[list[FakeEntry], Counter[str]]:
    names = list(TOPICS)
    base = datetime(2018, 1, 1, tzinfo=UTC)
    out, per_bench = [], Counter()
    for i in range(n):
        bench = names[i % len(names)]
        phrase, cat = TOPICS[bench]
        when = (base + timedelta(hours=13 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        title = f"Scaling study {i} on {phrase}"
        p = Paper(arxiv_id=f"18{(i // 9000) + 1:02d}.{i % 9000 + 1:05d}", version=1, title=title,
                  authors=(f"Author {i}",), abstract=f"We evaluate on {phrase} and report results.",
                  categories=(cat, "cs.LG"), primary_category=cat, published=when, updated=when)
        out.append(FakeEntry(p, _pdf(title) if pdfs else None))
        per_bench[bench] += 1
    return out, per_bench


def _serve(n: int, layout: str, conn: Connection) -> None:
    """Child process: serve ``n`` metadata-only entries until told to stop; report the API URL and requests."""
    items, _ = make_entries(n, pdfs=False)
    with FakeArxiv(items, layout=layout) as fake:
        conn.send(fake.api_url)
        conn.recv()
        conn.send(len(fake.requests_to("/api/query")))


def scale(sizes: list[int], page_size: int, layout: str) -> None:
    """CPU of a metadata-only harvest per 1,000 entries at each size (the fake arXiv in a child process)."""
    ctx = multiprocessing.get_context("fork")  # a benchmark script: nothing in this process runs threads yet
    print(f"metadata-only harvest, page size {page_size}, fake arXiv in a child process")
    print(f"{'entries':>8} {'recorded':>9} {'API requests':>13} {'CPU s':>8} {'CPU s per 1k':>13} {'wall s':>8}")
    per_k: list[float] = []
    for n in sizes:
        ours, theirs = ctx.Pipe()
        server = ctx.Process(target=_serve, args=(n, layout, theirs), daemon=True)
        server.start()
        api_url = ours.recv()
        with tempfile.TemporaryDirectory() as tmp:
            home = resolve_home(Path(tmp) / "home")
            cpu0, wall0 = time.process_time(), time.perf_counter()
            report = harvest.run(home, api_url=api_url, min_interval=0.0, page_size=page_size, download=False)
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        ours.send("stop")
        requests = ours.recv()
        server.join(10)
        per_k.append(cpu / n * 1000)
        print(f"{n:>8} {report.new_versions:>9} {requests:>13} {cpu:>8.2f} {per_k[-1]:>13.3f} {wall:>8.1f}",
              flush=True)
    spread = (max(per_k) - min(per_k)) / min(per_k)
    print(f"CPU per 1k entries: largest is {spread:.0%} above the smallest "
          f"({'within' if spread <= 0.30 else 'NOT within'} 30%)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="1000,10000,50000",
                    help="comma-separated entry counts for the metadata-only CPU benchmark (default mode)")
    ap.add_argument("--papers", type=int, default=None, help="run the full harvest (with PDFs) of N papers instead")
    ap.add_argument("--interval", type=float, default=0.02, help="FLOPMINE_MIN_INTERVAL for --papers (s)")
    ap.add_argument("--page-size", type=int, default=harvest.client.DEFAULT_PAGE_SIZE)
    ap.add_argument("--layout", choices=("2026", "2016"), default="2026")
    args = ap.parse_args()

    registry = load_registry()
    missing = set(TOPICS) - set(registry)
    if missing:
        raise SystemExit(f"registry lacks {sorted(missing)}")
    if args.papers is None:
        scale([int(x) for x in args.scale.split(",")], args.page_size, args.layout)
        return
    items, per_bench = make_entries(args.papers)
    min_pages = sum(max(1, math.ceil(per_bench[b] / args.page_size)) for b in registry)
    with tempfile.TemporaryDirectory() as tmp, FakeArxiv(items, layout=args.layout) as fake:
        home = resolve_home(Path(tmp) / "home")
        t0 = time.perf_counter()
        report = harvest.run(home, api_url=fake.api_url, min_interval=args.interval, page_size=args.page_size)
        wall = time.perf_counter() - t0
        api = len(fake.requests_to("/api/query"))
        pdfs = len(fake.requests_to("/pdf/"))
        spacing = fake.min_spacing()
        recorded = sum(q.new_versions for q in report.queries)
        print(f"papers served: {args.papers}  recorded: {recorded}  PDFs ok: {len(report.downloaded)}  "
              f"failed: {len(report.failed)}  exit code: {report.exit_code}")
        print(f"first run:  requests {api + pdfs} (API pages {api} + PDFs {pdfs}); "
              f"minimum possible {min_pages + args.papers} (pages {min_pages} + PDFs {args.papers})")
        print(f"            min observed spacing {spacing:.4f} s (interval {args.interval} s); wall {wall:.2f} s; "
              f"{wall / max(1, api + pdfs) * 1000:.1f} ms/request")
        fake.clear_log()
        t0 = time.perf_counter()
        again = harvest.run(home, api_url=fake.api_url, min_interval=args.interval, page_size=args.page_size)
        wall2 = time.perf_counter() - t0
        api2, pdf2 = len(fake.requests_to("/api/query")), len(fake.requests_to("/pdf/"))
        print(f"second run: requests {api2 + pdf2} (API pages {api2} + PDFs {pdf2}); minimum possible "
              f"{len(registry)} (one page per benchmark); new {again.new_versions}; wall {wall2:.2f} s")


if __name__ == "__main__":
    main()
