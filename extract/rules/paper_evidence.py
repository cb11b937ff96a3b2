"""Evidence that needs the whole paper: headline values, rounded mentions, benchmark ceilings."""

from __future__ import annotations

import re

from flopmine.types import FIELDS, METRIC_FIELDS, Candidate

from ..evidence import Evidence
from ..normalise import significant_digits as _significant_digits  # old name, used by tests


def _headline_boost(scored: list[tuple[Candidate, float, Evidence]]) -> list[tuple[Candidate, float, Evidence]]:
    """Among the paper's own-model results for a metric on a benchmark, the best values are most likely
    the headline: the best is tagged ``headline``, the runner-up ``runner_up``. Values from
    later columns of a headerless table do not compete."""

    def eligible(c: Candidate, ev: Evidence) -> bool:
        return (FIELDS[c.field].kind == "metric" and ev.own_model >= 0.5 and not ev.citation
                and "later_column" not in c.flags and not {"other_dataset", "delta", "low_score"} & set(ev.tags))

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
                ev = ev.tagged("headline")
            elif len(best) > 1 and float(c.value) == best[1]:
                ev = ev.tagged("runner_up")
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


_ROUNDING_FIELDS = frozenset({"training_time_hours", *METRIC_FIELDS})


Found = list[tuple[Candidate, float, Evidence]]


def _precise_over_rounded(found: Found) -> Found:
    """A rounded mention ("from 33 to 4 hours") and a precise one ("4.1 hours") of the same fact: the
    reviewer records the precise figure. Rounded mentions are tagged ``rounded``, the precise values they
    round ``precise``."""
    by_field: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for c, _, _ in found:
        if c.field in _ROUNDING_FIELDS and isinstance(c.value, (int, float)):
            by_field.setdefault((_group(c.field), c.benchmark), []).append((float(c.value), _significant_digits(c.raw)))
    rounded: set[tuple[str, str, float]] = set()
    precise: set[tuple[str, str, float]] = set()
    for key, vals in by_field.items():
        for v, sv in set(vals):
            for u, su in set(vals):
                if 0 < sv < su and u != v and u > 0 and abs(u - v) <= 0.05 * u and float(f"{u:.{sv}g}") == v:
                    rounded.add((*key, v))
                    precise.add((*key, u))
    if not rounded:
        return found
    out = []
    for c, w, ev in found:
        if isinstance(c.value, (int, float)):
            k = (_group(c.field), c.benchmark, float(c.value))
            if k in rounded:
                ev = ev.tagged("rounded")
            if k in precise:
                ev = ev.tagged("precise")
        out.append((c, w, ev))
    return out


def _row_label(model: str) -> str:
    return re.sub(r"\s+", " ", model).strip().lower()


def _headline_model_compute(found: Found, bench: str) -> Found:
    """Tables that list training time, steps or FLOPs per model: the row of the model whose result is the
    headline (an own table row tagged ``headline`` on the paper's main benchmark) holds the headline
    compute. Its compute cells are tagged ``headline_model``."""
    rows = {_row_label(c.model) for c, _, ev in found
            if FIELDS[c.field].kind == "metric" and c.rule.startswith("table.") and c.benchmark == bench
            and "headline" in ev.tags and _row_label(c.model)}
    if not rows:
        return found
    return [(c, w, ev.tagged("headline_model")) if FIELDS[c.field].kind == "compute" and c.rule.startswith("table.")
            and _row_label(c.model) in rows else (c, w, ev) for c, w, ev in found]


def _group(field: str) -> str:
    return "flops" if field == "mult_adds" else field
