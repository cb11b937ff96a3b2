"""The order a reviewer walks the candidates in, and what is pending: pure functions, no I/O.

Paper by paper (newest version only), then benchmark and field, the top-ranked candidate
first. A candidate is *pending* while it has no decision.

>>> from flopmine.types import Candidate
>>> a = Candidate("1512.03385", 1, "flops", 1.1e10, rank=1)
>>> b = Candidate("1512.03385", 1, "flops", 3.6e9, rank=2)
>>> w = Walk.build([b, a], {a.candidate_id: "accept"})
>>> [c.value for c in w.candidates], w.progress
([11000000000.0, 3600000000.0], (1, 2))
>>> w.current(None) == b
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from flopmine.types import FIELDS, Candidate

_FIELD_ORDER = {name: i for i, name in enumerate(FIELDS)}
_UNRANKED = 1_000_000


def review_order(c: Candidate) -> tuple[object, ...]:
    """Sort key: paper, version, benchmark, field (vocabulary order), best rank first."""
    return (c.arxiv_id, c.version, c.benchmark, _FIELD_ORDER.get(c.field, len(_FIELD_ORDER)), c.field,
            c.rank if c.rank > 0 else _UNRANKED, -c.confidence, c.candidate_id)


def newest_versions(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Keep only each paper's newest version that has candidates (older versions are superseded)."""
    items = list(candidates)
    newest: dict[str, int] = {}
    for c in items:
        newest[c.arxiv_id] = max(newest.get(c.arxiv_id, 0), c.version)
    return [c for c in items if c.version == newest[c.arxiv_id]]


@dataclass(frozen=True)
class Walk:
    """Candidates in review order plus the decision (if any) of each."""

    candidates: tuple[Candidate, ...]
    decisions: Mapping[str, str] = field(default_factory=dict)  # candidate_id -> decision

    @classmethod
    def build(cls, candidates: Iterable[Candidate], decisions: Mapping[str, str]) -> Walk:
        ordered = sorted(newest_versions(candidates), key=review_order)
        return cls(tuple(ordered), dict(decisions))

    @property
    def progress(self) -> tuple[int, int]:
        """(decided, total) over the candidates of this walk."""
        decided = sum(1 for c in self.candidates if c.candidate_id in self.decisions)
        return decided, len(self.candidates)

    def decision(self, candidate_id: str) -> str:
        """The decision of a candidate, or "" while it is pending."""
        return self.decisions.get(candidate_id, "")

    def find(self, candidate_id: str | None) -> Candidate | None:
        for c in self.candidates:
            if c.candidate_id == candidate_id:
                return c
        return None

    def current(self, at: str | None) -> Candidate | None:
        """The candidate ``at`` when it is in the walk, else the first pending one (None: all decided)."""
        found = self.find(at)
        if found is not None:
            return found
        return next((c for c in self.candidates if c.candidate_id not in self.decisions), None)

    def next_pending(self, after: str | None) -> Candidate | None:
        """The first pending candidate after ``after`` in review order, wrapping around; never ``after``."""
        ids = [c.candidate_id for c in self.candidates]
        start = ids.index(after) + 1 if after in ids else 0
        for c in self.candidates[start:] + self.candidates[:start]:
            if c.candidate_id not in self.decisions and c.candidate_id != after:
                return c
        return None

    def siblings(self, c: Candidate) -> list[Candidate]:
        """The other candidates for the same paper version, benchmark and field."""
        return [o for o in self.candidates
                if (o.arxiv_id, o.version, o.benchmark, o.field) == (c.arxiv_id, c.version, c.benchmark, c.field)
                and o.candidate_id != c.candidate_id]

    def paper_position(self, c: Candidate) -> tuple[int, int]:
        """(1-based index of this candidate's paper, number of papers) in the walk."""
        papers: list[tuple[str, int]] = []
        for o in self.candidates:
            key = (o.arxiv_id, o.version)
            if not papers or papers[-1] != key:
                papers.append(key)
        return papers.index((c.arxiv_id, c.version)) + 1, len(papers)
