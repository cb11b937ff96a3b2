"""Where a reviewer is in the walk through the candidates: pure functions, no I/O.

The candidates come in the review library's order (paper by paper, newest version, then
benchmark and field, the top-ranked candidate first). A candidate is *pending* while it has no
decision.

>>> from flopmine.types import Candidate

from ..slots import SUPERSEDED, slot_of
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

from ..slots import SUPERSEDED, slot_of


@dataclass(frozen=True)
class Walk:
    """Candidates in review order plus the decision (if any) of each."""

    candidates: tuple[Candidate, ...]
    decisions: Mapping[str, str] = field(default_factory=dict)  # candidate_id -> decision
    ids: tuple[str, ...] = ()  # candidate ids in order (computed once: an id is a hash)
    _index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.ids) != len(self.candidates):
            object.__setattr__(self, "ids", tuple(c.candidate_id for c in self.candidates))
        object.__setattr__(self, "_index", {cid: i for i, cid in enumerate(self.ids)})

    @classmethod
    def build(cls, scope: Iterable[tuple[Candidate, str]]) -> Walk:
        """From ``(candidate, decision)`` pairs in review order ("" = pending)."""
        items = list(scope)
        ids = tuple(c.candidate_id for c, _ in items)
        return cls(tuple(c for c, _ in items), {cid: d for cid, (_, d) in zip(ids, items, strict=True) if d}, ids)

    def with_decision(self, candidate_id: str, decision: str) -> Walk:
        """This walk after one more decision ("" withdraws it). An accept or correct supersedes the
        pending siblings of its fact slot."""
        decisions = {k: v for k, v in self.decisions.items() if k != candidate_id}
        if decision:
            decisions[candidate_id] = decision
        c = self.find(candidate_id)
        if c is not None and decision in ("accept", "correct"):
            for o in self.slot_members(c):
                decisions.setdefault(o.candidate_id, SUPERSEDED)
        return Walk(self.candidates, decisions, self.ids)

    @property
    def progress(self) -> tuple[int, int]:
        """(decided, total) over the candidates of this walk (superseded ones count as done)."""
        decided = sum(1 for cid in self.ids if cid in self.decisions)
        return decided, len(self.candidates)

    def paper_progress(self, c: Candidate) -> tuple[int, int]:
        """(done, total) over the candidates of ``c``'s paper version."""
        key = (c.arxiv_id, c.version)
        mine = [cid for o, cid in zip(self.candidates, self.ids, strict=True) if (o.arxiv_id, o.version) == key]
        return sum(1 for cid in mine if cid in self.decisions), len(mine)

    def slot_members(self, c: Candidate) -> list[Candidate]:
        """Every candidate of ``c``'s fact slot (``c`` included), best first."""
        key = slot_of(c)
        return [o for o in self.candidates if slot_of(o) == key]

    def next_open_slot(self, after: str | None) -> Candidate | None:
        """The first pending candidate of a *different* fact slot after ``after`` (wrapping around)."""
        here = self.find(after)
        key = slot_of(here) if here is not None else None
        n = len(self.ids)
        start = self._index[after] + 1 if after in self._index else 0
        for k in range(n):
            i = (start + k) % n
            if self.ids[i] not in self.decisions and (key is None or slot_of(self.candidates[i]) != key):
                return self.candidates[i]
        return None

    def decision(self, candidate_id: str) -> str:
        """The decision of a candidate, or "" while it is pending."""
        return self.decisions.get(candidate_id, "")

    def find(self, candidate_id: str | None) -> Candidate | None:
        i = self._index.get(candidate_id or "")
        return None if i is None else self.candidates[i]

    def current(self, at: str | None) -> Candidate | None:
        """The candidate ``at`` when it is in the walk, else the first pending one (None: all decided)."""
        found = self.find(at)
        if found is not None:
            return found
        return self.next_pending(None)

    def next_pending(self, after: str | None) -> Candidate | None:
        """The first pending candidate after ``after`` in review order, wrapping around; never ``after``."""
        n = len(self.ids)
        start = self._index[after] + 1 if after in self._index else 0
        for k in range(n):
            i = (start + k) % n
            if self.ids[i] not in self.decisions and self.ids[i] != after:
                return self.candidates[i]
        return None

    def siblings(self, c: Candidate) -> list[Candidate]:
        """The other candidates for the same paper version, benchmark and field."""
        me = c.candidate_id
        return [o for o, cid in zip(self.candidates, self.ids, strict=True)
                if (o.arxiv_id, o.version, o.benchmark, o.field) == (c.arxiv_id, c.version, c.benchmark, c.field)
                and cid != me]

    def paper_position(self, c: Candidate) -> tuple[int, int]:
        """(1-based index of this candidate's paper, number of papers) in the walk."""
        papers: list[tuple[str, int]] = []
        for o in self.candidates:
            key = (o.arxiv_id, o.version)
            if not papers or papers[-1] != key:
                papers.append(key)
        return papers.index((c.arxiv_id, c.version)) + 1, len(papers)
