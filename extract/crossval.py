"""Cross-validated evaluation: the only number worth quoting.

Papers (never facts) are split into K folds by a stable hash of the arXiv id (``ranker.folds_of``).
For each fold the ranker is fit on the other K−1 folds' gold (plus any reviewers' decisions) and the
held-out fold is ranked and scored with ``evaluate.evaluate``. The held-out rankings of all folds are
pooled into one report (the cross-validated score); each fold's own report gives the spread. The
in-sample score (fit and scored on every paper) is computed beside it, so the gap shows.

Recall is reported before the reviewer's list is capped (``recall``: every candidate the rules found)
and after (``recall_capped``); top-1, recall@3 and candidates per (paper, field) are those of the capped
list a reviewer sees. Each gold fact is also scored on its own (``evaluate.evaluate_facts``: found,
attributed to its model, slot top-1), held out, per fold and in-sample.

``learning_curve`` repeats the cross-validation with the ranker trained on a growing share of each fold's
training papers (20 %, 40 % … 100 %): whether more reviewed papers would still raise top-1.
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .evaluate import (
    FACT_GROUPS,
    EvalReport,
    FactReport,
    FieldScore,
    GoldFact,
    evaluate,
    evaluate_facts,
    from_candidates,
)
from .ranker import (
    DEFAULT_C,
    Found,
    Ranker,
    RankerError,
    Truth,
    folds_of,
    merge_truths,
    rerank,
    train,
    truths_from_gold,
)

DEFAULT_FOLDS = 5
DEFAULT_CURVE: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8, 1.0)  # shares of each fold's training papers


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
    facts: FactReport | None = None  # per gold fact, held out, capped list
    facts_uncapped: FactReport | None = None
    facts_in_sample: FactReport | None = None
    facts_per_fold: list[FactReport] = field(default_factory=list)

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

    def fact_rows(self) -> list[dict[str, object]]:
        """One row per group of gold facts (``FACT_GROUPS``): found among every candidate, then found,
        attributed and slot top-1 in the reviewer's (capped) list, held out; slot top-1's spread across folds
        and its in-sample value."""
        out: list[dict[str, object]] = []
        if self.facts is None:
            return out
        for name in FACT_GROUPS:
            h = self.facts.groups[name]
            u = self.facts_uncapped.groups[name] if self.facts_uncapped else None
            ins = self.facts_in_sample.groups[name] if self.facts_in_sample else None
            out.append({
                "group": name, "facts": h.facts, "found": _q(u.found_rate) if u else None,
                "found_capped": _q(h.found_rate), "attributed": _q(h.attributed_rate),
                "slot_top1": _q(h.slot_top1_rate),
                "slot_top1_sd": _sd([r.groups[name].slot_top1_rate for r in self.facts_per_fold]),
                "attributed_in_sample": _q(ins.attributed_rate) if ins else None,
                "slot_top1_in_sample": _q(ins.slot_top1_rate) if ins else None,
            })
        return out

    def rule_counts(self) -> dict[str, dict[str, int]]:
        """Candidates per rule family (``evaluate.rule_family``): every candidate the rules found, and those in
        the reviewer's (capped) list."""
        return {"all": self.facts_uncapped.rule_families if self.facts_uncapped else {},
                "capped": self.facts.rule_families if self.facts else {}}

    def to_dict(self) -> dict[str, object]:
        return {"folds": self.folds, "fold_sizes": self.fold_sizes, "rows": self.rows(),
                "fact_rows": self.fact_rows(), "rule_families": self.rule_counts(),
                "facts": self.facts.to_dict() if self.facts else None,
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


def _q(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _sd(xs: Sequence[float | None]) -> float | None:
    ys = [x for x in xs if x is not None]
    return round(statistics.pstdev(ys), 4) if len(ys) > 1 else None


def _splits(papers: Sequence[str], k: int) -> list[tuple[list[str], list[str]]]:
    """(training papers, held-out papers) of each non-empty fold."""
    fold = folds_of(papers, k)
    out = []
    for i in range(k):
        test = [p for p in papers if fold[p] == i]
        if test:
            out.append(([p for p in papers if fold[p] != i], test))
    return out


def crossvalidate(found_by_paper: Mapping[str, tuple[Found, int]], gold: Sequence[GoldFact], k: int = DEFAULT_FOLDS,
                  *, extra: Mapping[str, Truth] | None = None, c: float = DEFAULT_C,
                  start: Ranker | None = None) -> CVResult:
    """K-fold cross-validation of the ranker over the papers in ``found_by_paper`` that have gold.

    ``extra``: more truths (reviewers' decisions) used for training only, in every fold. ``start``: a model
    whose coefficients the fit is pulled toward instead of zero (``ranker.train``'s ``prior``).
    """
    if k < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    truths = truths_from_gold(gold)
    papers = sorted(p for p in found_by_paper if p in truths)
    held, held_uncapped, per_fold, fact_folds, sizes = [], [], [], [], []
    for train_papers, test in _splits(papers, k):
        train_truths = merge_truths({p: truths[p] for p in train_papers},
                                    {p: t for p, t in (extra or {}).items() if p not in test})
        model = train(found_by_paper, train_truths, c=c, prior=start)
        ranked = from_candidates(rerank(found_by_paper, model, test))
        held.extend(ranked)
        held_uncapped.extend(from_candidates(rerank(found_by_paper, model, test, max_per_field={}, min_relative=0.0)))
        per_fold.append(evaluate(gold, ranked, test))
        fact_folds.append(evaluate_facts(gold, ranked, test))
        sizes.append(len(test))
    full = train(found_by_paper, merge_truths(truths, extra or {}), c=c, prior=start)
    in_sample_ranked = from_candidates(rerank(found_by_paper, full, papers))
    in_sample = evaluate(gold, in_sample_ranked, papers)
    return CVResult(k, evaluate(gold, held, papers), evaluate(gold, held_uncapped, papers), in_sample, per_fold,
                    sizes, full, facts=evaluate_facts(gold, held, papers),
                    facts_uncapped=evaluate_facts(gold, held_uncapped, papers),
                    facts_in_sample=evaluate_facts(gold, in_sample_ranked, papers), facts_per_fold=fact_folds)


@dataclass(frozen=True)
class CurvePoint:
    """Cross-validated scores with the ranker trained on ``fraction`` of each fold's training papers."""

    fraction: float
    train_papers: float  # mean over folds
    top1: float | None  # per (paper, field), held out
    recall_at_3: float | None
    slot_top1: float | None  # per gold fact, held out
    failed_folds: int = 0  # folds whose share of papers could not train a model (one kind of label only)

    def to_dict(self) -> dict[str, object]:
        return {"fraction": self.fraction, "train_papers": round(self.train_papers, 1), "top1": _q(self.top1),
                "recall_at_3": _q(self.recall_at_3), "slot_top1": _q(self.slot_top1),
                "failed_folds": self.failed_folds}


def _subsample(papers: Sequence[str], fraction: float) -> list[str]:
    """The first ``fraction`` of ``papers`` in a stable pseudo-random order (nested: a smaller share is part of
    every larger one)."""
    order = sorted(papers, key=lambda p: hashlib.sha1(f"curve:{p}".encode()).hexdigest())
    n = max(1, round(fraction * len(order)))
    return sorted(order[:n])


def learning_curve(found_by_paper: Mapping[str, tuple[Found, int]], gold: Sequence[GoldFact],
                   k: int = DEFAULT_FOLDS, fractions: Sequence[float] = DEFAULT_CURVE, *,
                   extra: Mapping[str, Truth] | None = None, c: float = DEFAULT_C, start: Ranker | None = None,
                   on_progress: Callable[[int, int, str], None] | None = None) -> list[CurvePoint]:
    """Cross-validated top-1 and slot top-1 with the ranker trained on each share of the training papers.

    The folds are those of ``crossvalidate``; within a fold the training papers (gold and ``extra``) are
    subsampled by a stable hash, so the curve is reproducible and its points nested. A held-out paper is
    ranked the same way at every point: only the amount of training data changes.
    """
    if k < 2:
        raise ValueError("a learning curve needs at least 2 folds")
    if not fractions or any(not 0 < f <= 1 for f in fractions):
        raise ValueError("learning-curve fractions must lie in (0, 1]")
    truths = truths_from_gold(gold)
    papers = sorted(p for p in found_by_paper if p in truths)
    splits = _splits(papers, k)
    out: list[CurvePoint] = []
    steps, done = len(fractions) * len(splits), 0
    for frac in fractions:
        held: list = []
        n_train: list[int] = []
        failed = 0
        for train_papers, test in splits:
            if on_progress is not None:
                on_progress(done, steps, f"{frac:.0%}")
            done += 1
            pool = sorted({*train_papers, *(p for p in (extra or {}) if p not in test)})
            chosen = set(_subsample(pool, frac))
            train_truths = merge_truths({p: truths[p] for p in train_papers if p in chosen},
                                        {p: t for p, t in (extra or {}).items() if p in chosen})
            n_train.append(len(chosen))
            try:
                model = train(found_by_paper, train_truths, c=c, prior=start)
            except RankerError:
                failed += 1
                model = start
            if model is None:
                continue
            held.extend(from_candidates(rerank(found_by_paper, model, test)))
        report, facts = evaluate(gold, held, papers), evaluate_facts(gold, held, papers)
        out.append(CurvePoint(frac, statistics.fmean(n_train) if n_train else 0.0, report.overall.precision,
                              report.overall.recall3, facts.groups["all"].slot_top1_rate, failed))
    if on_progress is not None:
        on_progress(steps, steps, "")
    return out


@dataclass
class ModelComparison:
    """A newly trained model's cross-validated score beside the score of the model in use on the same papers.

    The model in use is not refit: it ranks every paper as it is, so on papers it was trained on its score is
    in-sample (flattering it); a new model that still does not beat it should not replace it."""

    cv: CVResult
    current: EvalReport
    current_facts: FactReport
    current_source: str

    @property
    def new_top1(self) -> float | None:
        return self.cv.held_out.overall.precision

    @property
    def current_top1(self) -> float | None:
        return self.current.overall.precision

    @property
    def worse(self) -> bool:
        """Whether the new model's cross-validated top-1 is below the current model's top-1."""
        return (self.new_top1 or 0.0) < (self.current_top1 or 0.0)

    def rows(self) -> list[dict[str, object]]:
        """Top-1, recall@3 and slot top-1 of both models, new first."""
        new_facts = self.cv.facts.groups["all"] if self.cv.facts else None
        return [
            {"model": "new (cross-validated)", "top1": _q(self.new_top1),
             "recall_at_3": _q(self.cv.held_out.overall.recall3),
             "slot_top1": _q(new_facts.slot_top1_rate) if new_facts else None},
            {"model": f"in use ({self.current_source})", "top1": _q(self.current_top1),
             "recall_at_3": _q(self.current.overall.recall3),
             "slot_top1": _q(self.current_facts.groups["all"].slot_top1_rate)},
        ]


def compare_with_current(found_by_paper: Mapping[str, tuple[Found, int]], gold: Sequence[GoldFact],
                         current: Ranker, k: int = DEFAULT_FOLDS, *, extra: Mapping[str, Truth] | None = None,
                         c: float = DEFAULT_C, start: Ranker | None = None) -> ModelComparison:
    """Cross-validate a new model (as ``crossvalidate``) and score ``current`` unchanged on the same papers."""
    cv = crossvalidate(found_by_paper, gold, k, extra=extra, c=c, start=start)
    papers = sorted({g.arxiv_id for g in gold} & set(found_by_paper))
    ranked = from_candidates(rerank(found_by_paper, current, papers))
    return ModelComparison(cv, evaluate(gold, ranked, papers), evaluate_facts(gold, ranked, papers),
                           current.source or "shipped model")
