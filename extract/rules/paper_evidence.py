"""Evidence that needs the whole paper: headline values, rounded mentions, benchmark ceilings."""

from __future__ import annotations

import re
from dataclasses import replace

from flopmine.types import FIELDS, METRIC_FIELDS, Candidate

from ..rank import Evidence
from .text_rules import DEFAULT_HEADLINE, DEFAULT_RUNNER_UP


def _headline_boost(scored: list[tuple[Candidate, float, Evidence]]) -> list[tuple[Candidate, float, Evidence]]:
    """Among the paper's own-model results for a metric on a benchmark, the best values are most likely
    the headline: the best gets ``DEFAULT_HEADLINE``, the runner-up ``DEFAULT_RUNNER_UP``. Values from
    later columns of a headerless table do not compete."""

    def eligible(c: Candidate, ev: Evidence) -> bool:
        return (FIELDS[c.field].kind == "metric" and ev.own_model >= 0.5 and not ev.citation
                and "later_column" not in c.flags)

    values: dict[tuple[str, str], set[float]] = {}
    for c, _, ev in scored:
        if eligible(c, ev):
            values.setdefault((c.field, c.benchmark), set()).add(float(c.value))
    order = {k: sorted(vs, reverse=bool(FIELDS[k[0]].higher_is_better)) for k, vs in values.items()}
    out = []
    for c, w, ev in scored:
        best = order.get((c.field, c.benchmark), [])
        if best and eligible(c, ev):
            if float(c.value) == best[0]:
                ev = replace(ev, extra=ev.extra * DEFAULT_HEADLINE)
            elif len(best) > 1 and float(c.value) == best[1]:
                ev = replace(ev, extra=ev.extra * DEFAULT_RUNNER_UP)
        out.append((c, w, ev))
    return out


# Scores no model reaches on a benchmark: COCO AP (IoU 0.5:0.95) above 70 is a PASCAL VOC mAP in a detection
# paper that reports both. A reviewer reads such a value as another dataset's.
BENCHMARK_CEILING: dict[tuple[str, str], float] = {
    ("coco", "box_ap"): 70.0, ("coco", "ap75"): 75.0, ("coco", "ap_s"): 60.0, ("coco", "ap_m"): 75.0,
    ("coco", "ap_l"): 85.0, ("coco", "ap50"): 85.0,
}


def _beyond_benchmark(c: Candidate) -> bool:
    """Whether a metric value is above what any model scores on its benchmark (``BENCHMARK_CEILING``)."""
    ceiling = BENCHMARK_CEILING.get((c.benchmark, c.field))
    return ceiling is not None and float(c.value) > ceiling


_LOW_SCORE_FIELDS = frozenset({"top1_acc", "top5_acc", "acc", "box_ap", "ap50", "ap75", "ap_m", "ap_l", "f1",
                               "em", "bleu"})


DEFAULT_ROUNDED = 0.8  # "4 hours" in the introduction when "4.1 hours" is stated elsewhere: the rounded mention
_ROUNDING_FIELDS = frozenset({"training_time_hours", *METRIC_FIELDS})


def _significant_digits(raw: str) -> int:
    """Significant digits of the first number in a raw match ("4.1 hours" → 2, "33 hours" → 2, "1,200" → 2)."""
    m = re.search(r"\d[\d,]*(?:\.\d+)?", raw)
    if not m:
        return 0
    t = m.group(0).replace(",", "")
    digits = t.replace(".", "").lstrip("0")
    return len(digits if "." in t else digits.rstrip("0")) or 1


def _precise_over_rounded(raw_scores: list[tuple[Candidate, float]]) -> list[tuple[Candidate, float]]:
    """A rounded mention ("from 33 to 4 hours") and a precise one ("4.1 hours") of the same fact: the
    reviewer records the precise figure. The precise value takes the best evidence of its rounded
    mentions (× 1.05); each rounded mention gets ``DEFAULT_ROUNDED``."""
    by_field: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for c, _ in raw_scores:
        if c.field in _ROUNDING_FIELDS and isinstance(c.value, (int, float)):
            by_field.setdefault((_group(c.field), c.benchmark), []).append((float(c.value), _significant_digits(c.raw)))
    rounded_to: dict[tuple[str, str, float], float] = {}  # (field, benchmark, rounded value) → precise value
    for key, vals in by_field.items():
        for v, sv in set(vals):
            for u, su in set(vals):
                if 0 < sv < su and u != v and u > 0 and abs(u - v) <= 0.05 * u and float(f"{u:.{sv}g}") == v:
                    rounded_to[(*key, v)] = u
    if not rounded_to:
        return raw_scores
    best_rounded: dict[tuple[str, str, float], float] = {}
    out = []
    for c, sc in raw_scores:
        k = (_group(c.field), c.benchmark, float(c.value)) if isinstance(c.value, (int, float)) else None
        if k is not None and k in rounded_to:
            sc *= DEFAULT_ROUNDED
            pk = (k[0], k[1], rounded_to[k])
            best_rounded[pk] = max(best_rounded.get(pk, 0.0), sc / DEFAULT_ROUNDED)
        out.append((c, sc))
    return [(c, max(sc, 1.05 * best_rounded[(_group(c.field), c.benchmark, float(c.value))]))
            if isinstance(c.value, (int, float)) and (_group(c.field), c.benchmark, float(c.value)) in best_rounded
            else (c, sc) for c, sc in out]


DEFAULT_HEADLINE_MODEL = 1.3  # a compute cell in the row of the model whose score is the paper's headline


def _row_label(model: str) -> str:
    return re.sub(r"\s+", " ", model).strip().lower()


def _headline_model_compute(raw_scores: list[tuple[Candidate, float]], bench: str) -> list[tuple[Candidate, float]]:
    """Tables that list training time, steps or FLOPs per model: the row of the model whose result is the
    headline (the best-evidenced table score on the paper's main benchmark) holds the headline compute.
    Its compute cells get ``DEFAULT_HEADLINE_MODEL``."""
    best: tuple[float, str] | None = None
    for c, sc in raw_scores:
        if (FIELDS[c.field].kind == "metric" and c.rule.startswith("table.") and c.benchmark == bench
                and _row_label(c.model) and (best is None or sc > best[0])):
            best = (sc, _row_label(c.model))
    if best is None:
        return raw_scores
    return [(c, sc * DEFAULT_HEADLINE_MODEL) if FIELDS[c.field].kind == "compute" and c.rule.startswith("table.")
            and _row_label(c.model) == best[1] else (c, sc) for c, sc in raw_scores]


def _group(field: str) -> str:
    return "flops" if field == "mult_adds" else field
