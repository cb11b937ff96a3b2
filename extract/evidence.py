"""The evidence of a candidate, and ranking within (paper, field) once a model has scored it.

The rules record what they see around each number as an ``Evidence`` (section, "ours", a citation, a
training sentence, …) plus named ``tags`` ("delta", "dev_set", "headline", …). Nothing here weighs that
evidence: ``extract.ranker`` turns it into features, and a model learned from gold facts and reviewers'
decisions gives each candidate its confidence. ``dedupe_and_rank`` then orders the candidates of each
(paper, field) and shortens the reviewer's list for compute fields.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, replace

from flopmine.types import COMPUTE_FIELDS, FIELDS, Candidate

log = logging.getLogger(__name__)

SECTIONS = ("references", "related", "intro", "body", "experiments", "appendix", "conclusion")
# compute fields: candidates kept per (paper, field) in the reviewer's list. FLOPs and parameter tables list
# many models the reviewer may want; hardware, time and schedule facts have one or two true values per paper.
# ``flops`` and ``mult_adds`` are ranked and capped together: papers call multiply-adds "FLOPs" and vice versa.
DEFAULT_MAX_PER_FIELD: dict[str, int] = {"flops": 8, "params": 8, "hardware": 4, "hardware_count": 4,
                                         "training_time_hours": 4, "epochs": 4, "training_steps": 4}
RANK_GROUP: dict[str, str] = {"mult_adds": "flops"}
DEFAULT_MIN_RELATIVE = 0.25  # compute fields: drop candidates below this share of the best confidence


@dataclass(frozen=True)
class Evidence:
    """What a rule saw around one candidate; ``extract.ranker`` makes features of it."""

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
    tags: tuple[str, ...] = ()  # rule-specific observations, e.g. "delta", "dev_set", "headline"

    def tagged(self, *names: str) -> Evidence:
        """This evidence with more tags.

        >>> Evidence().tagged("delta").tagged("footnote").tags
        ('delta', 'footnote')
        """
        return replace(self, tags=(*self.tags, *(n for n in names if n not in self.tags)))


def _better_first(c: Candidate) -> float:
    """Tie-break among equally scored metric values: the better score first (the headline is a paper's
    best result); 0 for other fields, which keep page order."""
    spec = FIELDS.get(c.field)
    if spec is None or spec.kind != "metric" or spec.higher_is_better is None or not isinstance(c.value, (int, float)):
        return 0.0
    return -float(c.value) if spec.higher_is_better else float(c.value)


def dedupe_and_rank(cands: list[Candidate], *, max_per_field: dict[str, int] | None = None,
                    min_relative: float = DEFAULT_MIN_RELATIVE,
                    limited: tuple[str, ...] = COMPUTE_FIELDS) -> list[Candidate]:
    """Keep the most confident candidate per ``candidate_id``, then rank within (paper, field)
    (``mult_adds`` ranks with ``flops``).

    For ``limited`` fields (compute facts, where a reviewer wants a short list) only the best
    ``max_per_field[field]`` candidates (default ``DEFAULT_MAX_PER_FIELD``), and only those within
    ``min_relative`` of the best confidence, are kept. Ties are broken by page (earlier first) then value,
    so ranks are stable across runs.

    >>> cs = [Candidate("1", 1, "epochs", v, confidence=p, page=1) for v, p in ((30.0, .2), (90.0, .9), (90.0, .5))]
    >>> [(c.value, c.rank) for c in dedupe_and_rank(cs, max_per_field={"epochs": 5}, min_relative=0.0)]
    [(90.0, 1), (30.0, 2)]
    """
    best: dict[str, Candidate] = {}
    for c in cands:
        cur = best.get(c.candidate_id)
        if cur is None or (c.confidence, -c.page) > (cur.confidence, -cur.page):
            best[c.candidate_id] = c
    groups: dict[tuple[str, int, str], list[Candidate]] = defaultdict(list)
    for c in best.values():
        groups[(c.arxiv_id, c.version, RANK_GROUP.get(c.field, c.field))].append(c)
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
