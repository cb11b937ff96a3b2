"""Helpers for harvest tests: generated PDFs and papers for the loopback fake arXiv."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from flopmine.demo.fakearxiv import FakeEntry
from flopmine.types import Paper

_PDF_CACHE: dict[tuple[str, int], bytes] = {}


def make_pdf(text: str, pages: int = 1) -> bytes:
    """A small real PDF with ``text`` on each page (reportlab)."""
    key = (text, pages)
    if key not in _PDF_CACHE:
        buf = io.BytesIO()
        c = canvas.Canvas(buf, pagesize=letter)
        for i in range(pages):
            c.drawString(72, 720, f"{text} — page {i + 1}")
            c.drawString(72, 700, "We train for 90 epochs on 8 NVIDIA V100 GPUs.")
            c.showPage()
        c.save()
        _PDF_CACHE[key] = buf.getvalue()
    return _PDF_CACHE[key]


def stamp(day: int, base: datetime = datetime(2019, 1, 1, 12, tzinfo=UTC)) -> str:
    return (base + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")


def paper(n: int, *, topic: str = "CIFAR-10", cat: str = "cs.CV", version: int = 1, day: int | None = None,
          arxiv_id: str | None = None, updated_day: int | None = None) -> Paper:
    """Paper number ``n`` (ids 1901.000NN), published ``day`` days after 2019-01-01."""
    d = n if day is None else day
    aid = arxiv_id or f"1901.{n:05d}"
    return Paper(
        arxiv_id=aid, version=version, title=f"Paper {n} about {topic}",
        authors=(f"Author {n}", "Second Author"),
        abstract=f"We report results on {topic} with a new network. Number {n}.",
        categories=(cat, "cs.LG"), primary_category=cat, published=stamp(d),
        updated=stamp(updated_day if updated_day is not None else d),
    )


def entries(n: int, *, topic: str = "CIFAR-10", start: int = 1, pages: int = 1) -> list[FakeEntry]:
    return [FakeEntry(p, make_pdf(p.title, pages)) for p in (paper(i, topic=topic) for i in range(start, start + n))]


REGISTRY_TOML = """
[cifar10]
title = "CIFAR-10"
query = '(ti:"CIFAR-10" OR abs:"CIFAR-10")'
categories = ["cs.CV", "cs.LG"]
metrics = ["acc", "err"]
primary_metric = "err"

[imagenet]
title = "ImageNet"
query = '(ti:ImageNet OR abs:ImageNet)'
categories = ["cs.CV", "cs.LG"]
metrics = ["top1_acc"]
primary_metric = "top1_acc"
"""
