"""The evidence of a candidate: what a rule saw around its number.

The rules record what they see around each number as an ``Evidence`` (section, "ours", a citation, a
training sentence, …) plus named ``tags`` ("delta", "dev_set", "headline", …). Nothing here weighs that
evidence: ``extract.ranking`` turns it into features, a model learned from gold facts and reviewers'
decisions gives each candidate its confidence, and ``ranking.dedupe_and_rank`` orders the candidates of
each (paper, field).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

SECTIONS = ("references", "related", "intro", "body", "experiments", "appendix", "conclusion")


@dataclass(frozen=True)
class Evidence:
    """What a rule saw around one candidate; ``extract.ranking`` makes features of it."""

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
