"""Cross-validated evaluation: the only number worth quoting.

Papers (never facts) are split into K folds by a stable hash of the arXiv id (``ranker.folds_of``).
For each fold the ranker is fit on the other K−1 folds' gold (plus any reviewers' decisions) and the
held-out fold is ranked and scored with ``evaluate.evaluate``. The held-out rankings of all folds are
pooled into one report (the cross-validated score); each fold's own report gives the spread. The
in-sample score (fit and scored on every paper) is computed beside it, so the gap shows.

Recall is reported before the reviewer's list is capped (``recall``: every candidate the rules found)
and after (``recall_capped``); top-1, recall@3 and candidates per (paper, field) are those of the capped
list a reviewer sees.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .evaluate import EvalReport, FieldScore, GoldFact, evaluate, from_candidates
from .ranker import DEFAULT_C, Found, Ranker, Truth, folds_of, merge_truths, rerank, train, truths_from_gold

DEFAULT_FOLDS = 5


@dataclass
class CVResult:
    """Pooled held-out scores, per-fold scores, the in-sample score and the uncapped recall of each."""

    folds: int
    held_out: EvalReport  # capped list, pooled over folds
    held_out_uncapped: EvalReport
    in_sample: EvalReport
    per_fold: list[EvalReport] = field(default_factory=list)
    fold_sizes: list[int] = field(default_factory=list)
    model: Ranker | None = None  # fit on every paper (what `ranker train` writes)

    def rows(self) -> list[dict[str, object]]:
        """One row per field (then metrics, compute, overall) with the numbers the CLI prints."""
        out = []
        names = [*self.held_out.fields, "metrics", "compute", "overall"]
        for name in names:
            h = _get(self.held_out, name)
            u = _get(self.held_out_uncapped, name)
            ins = _get(self.in_sample, name)
            folds = [_get(r, name) for r in self.per_fold]
            out.append({
                "field": name, "gold": h.gold if h else 0,
                "recall": _v(u, "recall"), "recall_capped": _v(h, "recall"), "top1": _v(h, "precision"),
                "recall_at_3": _v(h, "recall3"), "candidates_per_pair": _v(h, "per_pair"),
                "top1_sd": _sd([_v(f, "precision") for f in folds]),
                "recall_sd": _sd([_v(f, "recall") for f in folds]),
                "recall_at_3_sd": _sd([_v(f, "recall3") for f in folds]),
                "top1_in_sample": _v(ins, "precision"), "recall_at_3_in_sample": _v(ins, "recall3"),
            })
        return out

    def to_dict(self) -> dict[str, object]:
        return {"folds": self.folds, "fold_sizes": self.fold_sizes, "rows": self.rows(),
                "held_out": self.held_out.to_dict(), "held_out_uncapped": self.held_out_uncapped.to_dict(),
                "in_sample": self.in_sample.to_dict(),
                "per_fold": [{k: r.to_dict()[k] for k in ("overall", "compute", "metrics", "fields")}
                             for r in self.per_fold]}


def _get(r: EvalReport, name: str) -> FieldScore | None:
    return {"metrics": r.metrics, "compute": r.compute, "overall": r.overall}.get(name) or r.fields.get(name)


def _v(f: FieldScore | None, attr: str) -> float | None:
    if f is None:
        return None
    x = getattr(f, attr)
    return None if x is None else round(x, 4)


def _sd(xs: Sequence[float | None]) -> float | None:
    ys = [x for x in xs if x is not None]
    return round(statistics.pstdev(ys), 4) if len(ys) > 1 else None


def crossvalidate(found_by_paper: Mapping[str, tuple[Found, int]], gold: Sequence[GoldFact], k: int = DEFAULT_FOLDS,
                  *, extra: Mapping[str, Truth] | None = None, c: float = DEFAULT_C) -> CVResult:
    """K-fold cross-validation of the ranker over the papers in ``found_by_paper`` that have gold.

    ``extra``: more truths (reviewers' decisions) used for training only, in every fold.
    """
    if k < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    truths = truths_from_gold(gold)
    papers = sorted(p for p in found_by_paper if p in truths)
    fold = folds_of(papers, k)
    held, held_uncapped, per_fold, sizes = [], [], [], []
    for i in range(k):
        test = [p for p in papers if fold[p] == i]
        if not test:
            continue
        train_truths = merge_truths({p: truths[p] for p in papers if fold[p] != i},
                                    {p: t for p, t in (extra or {}).items() if p not in test})
        model = train(found_by_paper, train_truths, c=c)
        ranked = from_candidates(rerank(found_by_paper, model, test))
        held.extend(ranked)
        held_uncapped.extend(from_candidates(rerank(found_by_paper, model, test, max_per_field={}, min_relative=0.0)))
        per_fold.append(evaluate(gold, ranked, test))
        sizes.append(len(test))
    full = train(found_by_paper, merge_truths(truths, extra or {}), c=c)
    in_sample = evaluate(gold, from_candidates(rerank(found_by_paper, full, papers)), papers)
    return CVResult(k, evaluate(gold, held, papers), evaluate(gold, held_uncapped, papers), in_sample, per_fold,
                    sizes, full)
