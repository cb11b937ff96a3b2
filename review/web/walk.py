"""Where a reviewer is in the walk through the candidates: pure functions, no I/O.

The candidates come in the review library's order (paper by paper, newest version, then
benchmark and field, the top-ranked candidate first). A candidate is *pending* while it has no
decision.

>>> from flopmine.types import Candidate
>>> a = Candidate("1512.03385", 1, "flops", 1.1e10, rank=1)
>>> b = Candidate("1512.03385", 1, "flops", 3.6e9, rank=2)
>>> w = Walk.build([(a, "accept"), (b, "")])
>>> [c.value for c in w.candidates], w.progress
([11000000000.0, 3600000000.0], (1, 2))
>>> w.current(None) == b
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from flopmine.types import Candidate


@dataclass(frozen=True)
class Walk:
    """Candidates in review order plus the decision (if any) of each."""

    candidates: tuple[Candidate, ...]
    decisions: Mapping[str, str] = field(default_factory=dict)  # candidate_id -> decision

    @classmethod
    def build(cls, scope: Iterable[tuple[Candidate, str]]) -> Walk:
        """From ``(candidate, decision)`` pairs in review order ("" = pending)."""
        items = list(scope)
        return cls(tuple(c for c, _ in items), {c.candidate_id: d for c, d in items if d})

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
