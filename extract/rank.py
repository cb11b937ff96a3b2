"""Confidence and rank of candidates: the evidence a reviewer would weigh, as explicit factors.

A candidate's score is its rule's prior weight times one factor per piece of evidence (named
``DEFAULT_*`` constants below); confidence is the score squashed into 0–1; rank 1 is the best
candidate within (paper, field). ``docs/rules.md`` shows the effect of each factor on the dev corpus.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass, replace

from flopmine.types import COMPUTE_FIELDS, FIELDS, Candidate

log = logging.getLogger(__name__)

# Section of the paper the evidence sits in.
SECTION_FACTOR: dict[str, float] = {
    "references": 0.15, "related": 0.45, "intro": 1.0, "body": 1.0, "experiments": 1.0,
    "appendix": 0.9, "conclusion": 0.9,
}
DEFAULT_OURS = 1.35  # the sentence says "we"/"our"/"proposed"
DEFAULT_CITATION = 0.55  # the sentence cites another paper ("[12]", "et al.")
DEFAULT_OWN_MODEL = 1.5  # a model of the paper's own family is named next to the value (× its 0–1 score)
DEFAULT_TRAIN_CONTEXT = 1.4  # "train", "took", "trained for" near a compute value
DEFAULT_LR_SCHEDULE = 0.35  # "learning rate … divided at epoch 30": a schedule step, not the total
DEFAULT_PER_REPEAT = 0.12  # each further mention of the same value (text and tables agree)
DEFAULT_MAX_REPEAT = 1.6
DEFAULT_TABLE = 1.0
DEFAULT_ABLATION = 0.7  # ablation or comparison with smaller variants
DEFAULT_RANGE = 0.6  # "2–3 weeks": a range, not one value
DEFAULT_INFERENCE = 0.5  # test-time speed or fine-tuning ("ms per image", "timings on 8 GPUs")
DEFAULT_AXIS = 0.25  # a number in a run of numbers ("0 100 200 300 epochs"): a figure's axis
DEFAULT_MAIN_BENCHMARK = 1.2  # the sentence names the paper's main benchmark
# compute fields: candidates kept per (paper, field). FLOPs and parameter tables list many models the
# reviewer may want; hardware, time and schedule facts have one or two true values per paper.
DEFAULT_MAX_PER_FIELD: dict[str, int] = {"flops": 9, "mult_adds": 6, "params": 9, "hardware": 4,
                                         "hardware_count": 4, "training_time_hours": 4, "epochs": 4,
                                         "training_steps": 4}
DEFAULT_MIN_RELATIVE = 0.15  # compute fields: drop candidates below this share of the best confidence


@dataclass(frozen=True)
class Evidence:
    """The facts about one candidate's surroundings that the score is computed from."""

    section: str = "body"
    ours: bool = False
    citation: bool = False
    own_model: float = 0.0  # 0–1: how surely the nearby model name is the paper's own
    train_context: bool = False
    lr_schedule: bool = False
    ablation: bool = False
    range_: bool = False
    inference: bool = False
    table: bool = False
    axis: bool = False
    main_benchmark: bool = False
    extra: float = 1.0  # a rule-specific factor


# Evidence flags that multiply the score by a fixed factor, in the order they apply.
_FLAG_FACTORS: tuple[tuple[str, float], ...] = (
    ("train_context", DEFAULT_TRAIN_CONTEXT), ("lr_schedule", DEFAULT_LR_SCHEDULE),
    ("ablation", DEFAULT_ABLATION), ("range_", DEFAULT_RANGE), ("inference", DEFAULT_INFERENCE),
    ("table", DEFAULT_TABLE), ("axis", DEFAULT_AXIS), ("main_benchmark", DEFAULT_MAIN_BENCHMARK),
)


def score(weight: float, ev: Evidence, repeats: int = 1) -> float:
    """The raw score of a candidate (positive; larger is better).

    >>> own = score(0.8, Evidence(ours=True, own_model=1.0))
    >>> baseline = score(0.8, Evidence(citation=True))
    >>> own > baseline
    True
    """
    s = weight * SECTION_FACTOR.get(ev.section, 1.0)
    if ev.ours:
        s *= DEFAULT_OURS
    if ev.citation:
        s *= DEFAULT_CITATION
    if ev.own_model > 0:
        s *= 1 + (DEFAULT_OWN_MODEL - 1) * ev.own_model
    for flag, factor in _FLAG_FACTORS:
        if getattr(ev, flag):
            s *= factor
    s *= ev.extra
    s *= min(DEFAULT_MAX_REPEAT, 1 + DEFAULT_PER_REPEAT * (repeats - 1))
    return s


def to_confidence(raw: float) -> float:
    """Squash a raw score into 0–1 (0.5 at a score of 0.5; monotone).

    >>> to_confidence(0.5), to_confidence(2.0) > to_confidence(1.0) > to_confidence(0.1)
    (0.5, True)
    """
    return round(1 - math.exp(-raw * math.log(2) / 0.5), 4)


def _better_first(c: Candidate) -> float:
    """Tie-break among equally evidenced metric values: the better score first (the headline is a paper's
    best result); 0 for other fields, which keep page order."""
    spec = FIELDS.get(c.field)
    if spec is None or spec.kind != "metric" or spec.higher_is_better is None or not isinstance(c.value, (int, float)):
        return 0.0
    return -float(c.value) if spec.higher_is_better else float(c.value)


def dedupe_and_rank(cands: list[Candidate], *, max_per_field: dict[str, int] | None = None,
                    min_relative: float = DEFAULT_MIN_RELATIVE,
                    limited: tuple[str, ...] = COMPUTE_FIELDS) -> list[Candidate]:
    """Keep the best-evidenced candidate per ``candidate_id``, then rank within (paper, field).

    For ``limited`` fields (compute facts, where a reviewer wants a short list) only the best
    ``max_per_field[field]`` candidates (default ``DEFAULT_MAX_PER_FIELD``), and only those within ``min_relative`` of the best confidence, are
    kept. Ties are broken by page (earlier first) then value, so ranks are stable across runs.
    """
    best: dict[str, Candidate] = {}
    for c in cands:
        cur = best.get(c.candidate_id)
        if cur is None or (c.confidence, -c.page) > (cur.confidence, -cur.page):
            best[c.candidate_id] = c
    groups: dict[tuple[str, int, str], list[Candidate]] = defaultdict(list)
    for c in best.values():
        groups[(c.arxiv_id, c.version, c.field)].append(c)
    out: list[Candidate] = []
    for key in sorted(groups):
        ordered = sorted(groups[key], key=lambda c: (-c.confidence, _better_first(c), c.page, str(c.value), c.model))
        if key[2] in limited and ordered:
            floor = ordered[0].confidence * min_relative
            limit = (DEFAULT_MAX_PER_FIELD if max_per_field is None else max_per_field).get(key[2], len(ordered))
            kept = [c for c in ordered if c.confidence >= floor][:limit]
            if len(kept) < len(ordered):
                log.debug("%s %s: kept %d of %d candidates", key[0], key[2], len(kept), len(ordered))
            ordered = kept
        out.extend(replace(c, rank=i) for i, c in enumerate(ordered, 1))
    return out
