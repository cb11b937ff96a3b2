"""Synthetic reviewed facts and datasets drawn from known coefficients (tests and bench/analysis.py).

``synthetic_frame`` draws a dataset frame directly; ``synthetic_facts`` draws reviewed facts whose
build reproduces such a frame, and ``write_annotations`` writes them as annotation CSVs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from flopmine.config import write_csv_atomic
from flopmine.types import ANNOTATION_COLUMNS, Fact

SYNTHETIC_HARDWARE: dict[str, float] = {"SynthGPU-10": 10_000.0, "SynthGPU-15": 15_000.0, "SynthTPU-100": 100_000.0}


@dataclass(frozen=True)
class Truth:
    """Known coefficients: log10(error) = intercept + slope·log10(compute) (+ year·(year − 2012)) + noise."""

    intercept: float = -0.5
    slope: float = -0.1
    year: float = 0.0
    noise: float = 0.05


def synthetic_frame(n: int, truth: Truth = Truth(), *, seed: int = 0, benchmark: str = "imagenet",
                    log10_range: tuple[float, float] = (0.0, 3.0)) -> pd.DataFrame:
    """A dataset frame with ``n`` rows whose error follows ``truth`` in GFLOPs per pass."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(*log10_range, n)
    year = rng.integers(2012, 2021, n)
    month = rng.integers(1, 13, n)
    yfrac = year + (month - 1) / 12 - 2012
    y = truth.intercept + truth.slope * x + truth.year * yfrac + truth.noise * rng.standard_normal(n)
    return pd.DataFrame({
        "arxiv_id": [f"{yy % 100:02d}{mm:02d}.{i:05d}" for i, (yy, mm) in enumerate(zip(year, month, strict=True))],
        "benchmark": benchmark, "model": [f"model-{i}" for i in range(n)],
        "year": year, "month": month, "error": 10**y, "gflops_per_pass": 10**x,
        "hardware_burden_gflop": 10 ** (x + 9),
    })


def synthetic_facts(n_rows: int, *, seed: int = 0, benchmarks: Iterable[str] = ("imagenet", "coco", "squad11"),
                    truth: Truth = Truth(), models_per_paper: int = 4) -> list[Fact]:
    """Reviewed facts for about ``n_rows`` dataset rows (paper × model × benchmark).

    Each model gets a metric (as a score, so error = 1 − score/100 except ImageNet's top1_err),
    flops or mult-adds (some only params), and each paper one paper-level hardware, count and
    training time, which the join rule attaches to its first model, marked "(ours)".
    """
    rng = np.random.default_rng(seed)
    benches = tuple(benchmarks)
    metric = {"imagenet": "top1_err", "coco": "box_ap", "squad11": "f1", "conll2003": "f1", "wmt14_en_fr": "bleu",
              "cifar10": "acc", "swb_hub500": "wer"}
    hw_names = list(SYNTHETIC_HARDWARE)
    facts: list[Fact] = []
    rows = 0
    paper = 0
    used: set[str] = set()
    while rows < n_rows:
        paper += 1
        yy, mm = int(rng.integers(13, 21)), int(rng.integers(1, 13))
        aid = _unique_id(yy, mm, paper, used)
        bench = benches[paper % len(benches)]
        hw = hw_names[paper % len(hw_names)]
        # a paper-level compute scale drives both its models' FLOPs and its training time, so error
        # falls with hardware burden too (more loosely than with FLOPs)
        x_paper = float(rng.uniform(0.0, 3.0))
        count, hours = float(rng.integers(1, 9)), float(10**x_paper)
        facts += [Fact(aid, 1, "hardware", hw, page=2), Fact(aid, 1, "hardware_count", count, page=2),
                  Fact(aid, 1, "training_time_hours", round(hours, 2), page=2)]
        for m in range(models_per_paper):
            if rows >= n_rows:
                break
            rows += 1
            model = f"Net-{paper}-{m}" + (" (ours)" if m == 0 else "")  # the paper's own model: gets its hardware
            x = x_paper + float(rng.uniform(-0.2, 0.2))
            params = 10 ** (x + 7 + 0.1 * rng.standard_normal())
            err = 10 ** (truth.intercept + truth.slope * x + truth.noise * rng.standard_normal())
            met = metric.get(bench, "acc")
            value = err * 100 if met in ("top1_err", "wer", "err") else (1 - err) * 100
            cid = f"c{paper:08d}{m:04d}"
            facts.append(Fact(aid, 1, met, round(value, 4), benchmark=bench, model=model, page=5, candidate_id=cid))
            kind = paper % 3  # one kind per paper, so the paper_unique join rule never mixes models
            if kind == 0:
                facts.append(Fact(aid, 1, "flops", 10 ** x * 1e9, model=model, page=4))
            elif kind == 1:
                facts.append(Fact(aid, 1, "mult_adds", 10 ** x * 1e9 / 2, model=model, page=4, decision="correct"))
            facts.append(Fact(aid, 1, "params", float(f"{params:.4g}"), model=model, page=4))
    return facts


def _unique_id(yy: int, mm: int, paper: int, used: set[str]) -> str:
    """A valid new-style id ``YYMM.NNNNN`` for the ``paper``-th paper, unique among ``used``.

    Papers 1–99,999 keep ``NNNNN = paper`` (ids stable for every seed); past that the number wraps and
    the month moves on until the id is free, so a million-row dataset still has valid, distinct ids.

    >>> used = set()
    >>> _unique_id(20, 5, 7, used), _unique_id(20, 5, 100_007, used), _unique_id(20, 12, 200_007, {"2012.00007"})
    ('2005.00007', '2006.00007', '2101.00007')
    """
    number = paper % 100_000 or 100_000 - 1
    month_index = yy * 12 + mm - 1
    while True:
        aid = f"{(month_index // 12) % 100:02d}{month_index % 12 + 1:02d}.{number:05d}"
        if aid not in used:
            used.add(aid)
            return aid
        month_index += 1


def write_annotations(facts: Iterable[Fact], directory: Path | str) -> list[Path]:
    """Write facts as annotation CSVs: ``<benchmark>.csv`` for benchmark facts, ``paper_facts.csv`` for the rest."""
    d = Path(directory)
    groups: dict[str, list[dict[str, object]]] = defaultdict(list)
    for f in facts:
        groups[f.benchmark or "paper_facts"].append(f.to_row())
    paths = []
    for name, rows in sorted(groups.items()):
        p = d / f"{name}.csv"
        write_csv_atomic(p, list(ANNOTATION_COLUMNS), rows)
        paths.append(p)
    return paths
