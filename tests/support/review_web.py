"""Fixtures for the review web app tests: a home with a small PDF and candidates, and a live server.

``serve(app)`` runs the app with uvicorn in a thread on 127.0.0.1 and a free port (a real HTTP
server, as a browser would talk to).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from flopmine.config import Home
from flopmine.ids import ArxivId
from flopmine.store import connect, replace_candidates, upsert_paper
from flopmine.types import Candidate, Paper

PAGE_W, PAGE_H = letter  # 612 x 792 pt
FONT_SIZE = 11.0

PAPER_A = "1512.03385"
PAPER_B = "1605.07146"

# Lines of each page of the sample paper; (x, top of the line) in points, top-left origin.
LINES_A = [
    "Deep Residual Learning for Image Recognition (sample)",
    "Our 152-layer net has 11.3 billion FLOPs and reaches 19.38 top-1 error.",
    "We trained on 8 GPUs for about 2 weeks.",
]
LINES_B = ["Wide Residual Networks (sample)", "WRN-28-10 has 36.5M parameters."]
LEFT, FIRST_TOP, LINE_STEP = 72.0, 100.0, 20.0


def line_bbox(i: int, text: str) -> tuple[float, float, float, float]:
    """A box around line ``i`` of a sample page (Helvetica at FONT_SIZE)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    top = FIRST_TOP + i * LINE_STEP
    return (LEFT, top, LEFT + stringWidth(text, "Helvetica", FONT_SIZE), top + FONT_SIZE + 2)


def write_pdf(path: Path, pages: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), pagesize=letter, invariant=True)
    for lines in pages:
        c.setFont("Helvetica", FONT_SIZE)
        for i, line in enumerate(lines):
            top = FIRST_TOP + i * LINE_STEP
            c.drawString(LEFT, PAGE_H - top - FONT_SIZE * 0.8, line)
        c.showPage()
    c.save()
    return path


def sample_candidates(evil_snippet: str = "") -> list[Candidate]:
    """Candidates for two papers: paper A has two flops candidates and a top1_err; B one params."""
    box = line_bbox(1, LINES_A[1])
    a = [
        Candidate(PAPER_A, 1, "flops", 11.3e9, benchmark="", raw="11.3 billion FLOPs", page=1,
                  snippet=LINES_A[1], rule="flops.billion", confidence=0.9, rank=1, bbox=box),
        Candidate(PAPER_A, 1, "flops", 3.6e9, benchmark="", model="ResNet-50", raw="3.6 billion FLOPs", page=2,
                  snippet=evil_snippet or "ResNet-50 has 3.6 billion FLOPs", rule="flops.billion",
                  confidence=0.5, rank=2, bbox=(72, 100, 300, 113)),
        Candidate(PAPER_A, 1, "top1_err", 19.38, benchmark="imagenet", model="ResNet-152", raw="19.38",
                  page=1, snippet=LINES_A[1], rule="metric.err", confidence=0.8, rank=1, bbox=box),
    ]
    b = [Candidate(PAPER_B, 1, "params", 36.5e6, raw="36.5M parameters", page=1, snippet=LINES_B[1],
                   rule="params.m", confidence=0.9, rank=1, bbox=line_bbox(1, LINES_B[1]))]
    return a + b


def make_home(root: Path, *, evil_snippet: str = "", title_a: str = "Deep Residual Learning",
              with_pdfs: bool = True) -> Home:
    """A home with two papers, their PDFs and four candidates (see ``sample_candidates``)."""
    home = Home(root=root).ensure()
    conn = connect(home.db_path)
    try:
        for aid, title in ((PAPER_A, title_a), (PAPER_B, "Wide Residual Networks")):
            upsert_paper(conn, Paper(aid, 1, title, benchmarks=("imagenet",)))
        conn.commit()
        cands = sample_candidates(evil_snippet)
        for aid in (PAPER_A, PAPER_B):
            replace_candidates(conn, aid, 1, [c for c in cands if c.arxiv_id == aid],
                               extraction={"status": "ok", "rule_version": "test", "pages": 2})
    finally:
        conn.close()
    if with_pdfs:
        write_pdf(home.pdf_dir / ArxivId(PAPER_A, 1).filename(), [LINES_A, ["Page two: ResNet-50 has 3.6 billion FLOPs"]])
        write_pdf(home.pdf_dir / ArxivId(PAPER_B, 1).filename(), [LINES_B])
    return home


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(app: object, port: int | None = None) -> Iterator[str]:
    """Run ``app`` with uvicorn in a thread; yield its base URL (``http://127.0.0.1:<port>``)."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",  # type: ignore[arg-type]
                            access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="review-web-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


BIG_TITLE = "Scaling Slots for Many Papers"


def make_big_home(root: Path, folder: Path, papers: int = 100) -> Home:
    """A home with ``papers`` papers extracted from ``folder`` (no harvested titles), 6 candidates each.

    Each paper has one top1_acc slot with 5 candidates (ranks 1–5) and one flops slot; only the first
    paper's PDF exists, in ``folder``, with ``BIG_TITLE`` on its first line and no title metadata.
    """
    home = Home(root=root).ensure()
    first = f"2001.{0:05d}"
    pdf = write_pdf(folder / f"{first}v1.pdf", [[BIG_TITLE, "Model M reaches 76.1% top-1 accuracy with 4.1 GFLOPs."]])
    conn = connect(home.db_path)
    try:
        for i in range(papers):
            aid = f"2001.{i:05d}"
            cands = [Candidate(aid, 1, "top1_acc", 76.1 - j, benchmark="imagenet", model="M", raw=f"{76.1 - j}",
                               page=1, snippet=f"M reaches {76.1 - j}% top-1", rule="t", confidence=1 - j / 10,
                               rank=j + 1, bbox=line_bbox(1, "Model M reaches 76.1% top-1 accuracy")) for j in range(5)]
            cands.append(Candidate(aid, 1, "flops", 4.1e9, model="M", raw="4.1 GFLOPs", page=1, snippet="4.1 GFLOPs",
                                   rule="t", confidence=0.9, rank=1))
            replace_candidates(conn, aid, 1, cands, extraction={"status": "ok", "rule_version": "test", "pages": 1,
                                                                "source_path": str(pdf) if i == 0 else ""})
        conn.commit()
    finally:
        conn.close()
    return home
