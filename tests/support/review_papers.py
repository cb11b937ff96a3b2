"""Two papers' candidates for the review tests, and how they are put in a store (the shared ``db`` fixture
of ``tests/conftest.py``): ResNet on imagenet, DenseNet on cifar10."""

from __future__ import annotations

import sqlite3

from flopmine.store import replace_candidates, upsert_paper
from flopmine.types import Candidate, Paper

RESNET, DENSENET = "1512.03385", "1608.06993"


def resnet_candidates(version: int = 1) -> list[Candidate]:
    return [
        Candidate(RESNET, version, "top1_err", 21.43, benchmark="imagenet", model="ResNet-152", unit="%", page=7,
                  snippet="ResNet-152 has 21.43% top-1 error", rule="metric.table", confidence=0.9, rank=1),
        Candidate(RESNET, version, "top1_err", 19.38, benchmark="imagenet", model="ResNet-152", unit="%", page=8,
                  snippet="=cmd|' /C calc'!A0 19.38", rule="metric.text", confidence=0.5, rank=2),
        Candidate(RESNET, version, "flops", 11.3e9, benchmark="imagenet", model="ResNet-152", unit="FLOPs",
                  page=5, snippet="11.3 billion FLOPs", raw="11.3 billion FLOPs", rule="flops.text",
                  confidence=0.8, rank=1),
        Candidate(RESNET, version, "epochs", 90.0, unit="epochs", page=4, snippet="-- trained for 90 epochs",
                  rule="epochs.text", confidence=0.7, rank=1),
        Candidate(RESNET, version, "hardware", "Tesla K80", page=4, snippet="on 8 Tesla K80 GPUs",
                  rule="hardware.catalog", confidence=0.6, rank=1, flags=("table",)),
    ]


def densenet_candidates(version: int = 1) -> list[Candidate]:
    return [
        Candidate(DENSENET, version, "err", 3.46, benchmark="cifar10", model="DenseNet-BC", unit="%", page=6,
                  snippet="3.46% error on C10+", rule="metric.table", confidence=0.9, rank=1),
        Candidate(DENSENET, version, "params", 25.6e6, benchmark="cifar10", model="DenseNet-BC",
                  unit="parameters", page=6, snippet="25.6M parameters", rule="params.text", confidence=0.8, rank=1),
    ]


def extract(conn: sqlite3.Connection, arxiv_id: str, version: int, cands: list[Candidate], benchmark: str,
            pages: int | None = None) -> None:
    """Store ``cands`` as the paper's extraction, as ``flopmine extract`` does; ``pages``: its page count, when
    the test needs one recorded (None: not recorded)."""
    upsert_paper(conn, Paper(arxiv_id, version, f"paper {arxiv_id}", benchmarks=(benchmark,)))
    extraction: dict[str, object] = {"status": "ok", "rule_version": "t1"}
    if pages is not None:
        extraction["pages"] = pages
    replace_candidates(conn, arxiv_id, version, cands, extraction=extraction)


def extract_both(conn: sqlite3.Connection, pages: int | None = None) -> None:
    """ResNet and DenseNet (version 1) extracted into ``conn``."""
    extract(conn, RESNET, 1, resnet_candidates(), "imagenet", pages)
    extract(conn, DENSENET, 1, densenet_candidates(), "cifar10", pages)
