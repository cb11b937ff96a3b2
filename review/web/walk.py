"""Where a reviewer is in the walk through the candidates: pure functions, no I/O.

The candidates come in the review library's order (paper by paper, newest version, then
benchmark and field, the top-ranked candidate first). A candidate is *pending* while it has no
decision; one whose fact slot a sibling settled (accept or correct), or a fact a reviewer added for
its model, is *superseded*.

The indexes (per slot, paper and field) are built once per walk and shared by the walks that
``with_decision`` derives from it, so one decision costs time in proportion to its slot and paper,
not to the number of candidates.

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

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from flopmine.types import Candidate

from ..slots import SUPERSEDED, SlotKey, slot_of

SETTLING = ("accept", "correct")  # decisions that settle a fact slot
PaperKey = tuple[str, int]  # (arxiv id, version)
# One candidate of the walk: (candidate, its decision or "" or "superseded"[, its fact slot]). The slot is
# given when the paper's model renames or a retarget moved the candidate; else it is the candidate's own.
Scoped = tuple[Candidate, str] | tuple[Candidate, str, SlotKey]


@dataclass(frozen=True)
class _Index:
    """Positions of the candidates by id, fact slot, paper version and field (shared between walks)."""

    ids: tuple[str, ...]
    position: dict[str, int]
    slots: tuple[SlotKey, ...]
    by_slot: dict[SlotKey, tuple[int, ...]]
    by_paper: dict[tuple[str, int], tuple[int, ...]]
    by_field: dict[tuple[str, int, str, str], tuple[int, ...]]
    paper_order: dict[tuple[str, int], int]

    @classmethod
    def of(cls, candidates: tuple[Candidate, ...], slot_keys: tuple[SlotKey, ...] = ()) -> _Index:
        ids = tuple(c.candidate_id for c in candidates)
        slots = slot_keys if len(slot_keys) == len(candidates) else tuple(slot_of(c) for c in candidates)
        by_slot: dict[SlotKey, list[int]] = {}
        by_paper: dict[tuple[str, int], list[int]] = {}
        by_field: dict[tuple[str, int, str, str], list[int]] = {}
        for i, (c, s) in enumerate(zip(candidates, slots, strict=True)):
            by_slot.setdefault(s, []).append(i)
            by_paper.setdefault((c.arxiv_id, c.version), []).append(i)
            by_field.setdefault((c.arxiv_id, c.version, c.benchmark, c.field), []).append(i)
        return cls(ids, {cid: i for i, cid in enumerate(ids)}, slots,
                   {k: tuple(v) for k, v in by_slot.items()}, {k: tuple(v) for k, v in by_paper.items()},
                   {k: tuple(v) for k, v in by_field.items()}, {k: i for i, k in enumerate(by_paper)})


@dataclass(frozen=True)
class Walk:
    """Candidates in review order plus the decision (if any) of each."""

    candidates: tuple[Candidate, ...]
    decisions: Mapping[str, str] = field(default_factory=dict)  # candidate_id -> decision (or "superseded")
    ids: tuple[str, ...] = ()  # candidate ids in order (computed once: an id is a hash)
    _index: _Index | None = field(default=None, repr=False, compare=False)
    slot_keys: tuple[SlotKey, ...] = field(default=(), repr=False, compare=False)  # () = each candidate's own
    # Slots settled from outside the walk: a fact added for the model (not a candidate, so not a member).
    added_slots: frozenset[SlotKey] = field(default=frozenset(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._index is None or len(self._index.ids) != len(self.candidates):
            object.__setattr__(self, "_index", _Index.of(self.candidates, self.slot_keys))
        object.__setattr__(self, "ids", self._ix.ids)

    @property
    def _ix(self) -> _Index:
        assert self._index is not None
        return self._index

    @classmethod
    def build(cls, scope: Iterable[Scoped]) -> Walk:
        """From ``(candidate, decision[, slot])`` items in review order ("" = pending). ``decisions`` holds
        only candidates of the walk, so its size is the number decided."""
        items = list(scope)
        keys = tuple(item[2] if len(item) > 2 else slot_of(item[0]) for item in items)  # type: ignore[misc]
        # A superseded candidate in a slot where no member settles it: a fact added for the model did.
        superseded = {k for item, k in zip(items, keys, strict=True) if item[1] == SUPERSEDED}
        settling = {k for item, k in zip(items, keys, strict=True) if item[1] in SETTLING}
        return cls(tuple(item[0] for item in items), {item[0].candidate_id: item[1] for item in items if item[1]},
                   slot_keys=keys, added_slots=frozenset(superseded - settling))

    def with_decision(self, candidate_id: str, decision: str) -> Walk:
        """This walk after one more decision on ``candidate_id`` ("" withdraws it).

        The states of its fact slot are worked out again: a sibling is superseded while some member
        of the slot holds an accept or correct (or a fact added for its model settles the slot), and
        pending otherwise.
        """
        c = self.find(candidate_id)
        if c is None:
            return self
        decisions = dict(self.decisions)
        decisions.pop(candidate_id, None)
        if decision:
            decisions[candidate_id] = decision
        if c is not None:
            slot = self._ix.slots[self._ix.position[candidate_id]]
            members = [self._ix.ids[i] for i in self._ix.by_slot[slot]]
            settled = slot in self.added_slots or any(decisions.get(m) in SETTLING for m in members)
            for m in members:
                if decisions.get(m, SUPERSEDED) == SUPERSEDED:  # no decision of its own
                    if settled:
                        decisions[m] = SUPERSEDED
                    else:
                        decisions.pop(m, None)
        return Walk(self.candidates, decisions, self.ids, self._index, added_slots=self.added_slots)

    @property
    def progress(self) -> tuple[int, int]:
        """(decided, total) over the candidates of this walk (superseded ones count as done)."""
        return len(self.decisions), len(self.candidates)

    def paper_progress(self, c: Candidate) -> tuple[int, int]:
        """(done, total) over the candidates of ``c``'s paper version."""
        mine = self._ix.by_paper.get((c.arxiv_id, c.version), ())
        return sum(1 for i in mine if self._ix.ids[i] in self.decisions), len(mine)

    def slot_members(self, c: Candidate) -> list[Candidate]:
        """Every candidate of ``c``'s fact slot (``c`` included), best first."""
        here = self._ix.position.get(c.candidate_id)
        key = self._ix.slots[here] if here is not None else slot_of(c)
        return [self.candidates[i] for i in self._ix.by_slot.get(key, ())]

    def next_open_slot(self, after: str | None) -> Candidate | None:
        """The first pending candidate of a *different* fact slot after ``after`` (wrapping around)."""
        here = self._ix.position.get(after or "")
        key = self._ix.slots[here] if here is not None else None
        n = len(self.ids)
        start = here + 1 if here is not None else 0
        for k in range(n):
            i = (start + k) % n
            if self.ids[i] not in self.decisions and (key is None or self._ix.slots[i] != key):
                return self.candidates[i]
        return None

    def position(self, candidate_id: str | None) -> int:
        """The index of a candidate of this walk."""
        return self._ix.position[candidate_id or ""]

    def slot_at(self, i: int) -> SlotKey:
        return self._ix.slots[i]

    def first_pending(self, start: int, stop: int | None, skip_slot: SlotKey | None = None) -> Candidate | None:
        """The first pending candidate at an index in ``[start, stop)``, not of ``skip_slot`` (no wrapping)."""
        for i in range(start, len(self.ids) if stop is None else stop):
            if self.ids[i] not in self.decisions and self._ix.slots[i] != skip_slot:
                return self.candidates[i]
        return None

    def decision(self, candidate_id: str) -> str:
        """The decision of a candidate, or "" while it is pending."""
        return self.decisions.get(candidate_id, "")

    def find(self, candidate_id: str | None) -> Candidate | None:
        i = self._ix.position.get(candidate_id or "")
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
        here = self._ix.position.get(after or "")
        start = here + 1 if here is not None else 0
        for k in range(n):
            i = (start + k) % n
            if self.ids[i] not in self.decisions and self.ids[i] != after:
                return self.candidates[i]
        return None

    def siblings(self, c: Candidate) -> list[Candidate]:
        """The other candidates for the same paper version, benchmark and field."""
        me = c.candidate_id
        return [self.candidates[i] for i in self._ix.by_field.get((c.arxiv_id, c.version, c.benchmark, c.field), ())
                if self.ids[i] != me]

    def paper_position(self, c: Candidate) -> tuple[int, int]:
        """(1-based index of this candidate's paper, number of papers) in the walk."""
        return self._ix.paper_order[(c.arxiv_id, c.version)] + 1, len(self._ix.paper_order)


class LazyWalk:
    """The walk over many papers, built paper by paper when a page or a decision reaches it.

    ``papers`` is the review order of the paper versions (from a cheap query); ``load`` builds one
    paper's ``(candidate, decision)`` pairs and ``locate`` names the paper of a candidate id;
    ``next_open(after)`` names the first paper version after ``after`` (None: from the start) that may
    hold a pending candidate, so a scan skips decided papers unread. Each paper's ``Walk`` is built once
    and kept. The store-wide counts come from ``set_counts`` (a background pass counts every paper, and
    keeps no walk): until then ``progress`` is None. ``fill`` installs every paper's walk at once (a
    small store). A decision replaces its paper's walk in place (papers are independent: a fact slot,
    and a decision carried over by fact key, never spans two papers in the walk).

    >>> from flopmine.types import Candidate
    >>> a, b = Candidate("2001.00001", 1, "flops", 1e9, rank=1), Candidate("2001.00002", 1, "flops", 2e9, rank=1)
    >>> w = LazyWalk([("2001.00001", 1), ("2001.00002", 1)], lambda p: [(c, "") for c in (a, b) if c.arxiv_id == p[0]],
    ...              lambda cid: {a.candidate_id: ("2001.00001", 1), b.candidate_id: ("2001.00002", 1)}.get(cid))
    >>> w.current(None) == a, w.loaded, w.progress
    (True, 1, None)
    >>> w.next_pending(a.candidate_id) == b, w.loaded
    (True, 2)
    >>> w.with_decision(a.candidate_id, "accept").progress
    (1, 2)
    """

    def __init__(self, papers: Sequence[PaperKey], load: Callable[[PaperKey], Iterable[Scoped]],
                 locate: Callable[[str], PaperKey | None],
                 next_open: Callable[[PaperKey | None], PaperKey | None] | None = None) -> None:
        self.papers = tuple(papers)
        self._next_open = next_open
        self._order = {p: i for i, p in enumerate(self.papers)}
        self._load = load
        self._locate = locate
        self._walks: dict[PaperKey, Walk] = {}
        self._located: dict[str, PaperKey | None] = {}  # candidate id → its paper in the walk, as looked up
        self._counts: dict[PaperKey, tuple[int, int]] | None = None  # per paper (done, total), from ``set_counts``
        self._counted = (0, 0)  # their sums
        self._lock = threading.RLock()  # one build of a paper at a time; installs are atomic
        self._fill_started = False

    @property
    def loaded(self) -> int:
        """How many papers' walks are built."""
        return len(self._walks)

    def built(self, key: PaperKey) -> bool:
        return key in self._walks

    @property
    def complete(self) -> bool:
        return len(self._walks) == len(self.papers)

    @property
    def counted(self) -> bool:
        """Whether the store-wide counts are known (every paper built or counted)."""
        return self._counts is not None or self.complete

    def paper(self, key: PaperKey) -> Walk:
        """The walk of one paper version, built on first use."""
        w = self._walks.get(key)
        if w is None:
            with self._lock:
                w = self._walks.get(key)
                if w is None:
                    w = self._walks[key] = Walk.build(self._load(key))
        return w

    def fill(self, walks: Iterable[tuple[PaperKey, Walk]]) -> None:
        """Install the walks of papers not built yet (a paper already built may hold newer decisions)."""
        built = list(walks)  # built before taking the lock, which decisions wait on
        with self._lock:
            for key, w in built:
                if key in self._order:
                    self._walks.setdefault(key, w)
            for key in self.papers:  # papers the bulk read did not see (changed meanwhile): their own read
                if key not in self._walks:
                    self.paper(key)

    def set_counts(self, counts: Mapping[PaperKey, tuple[int, int]]) -> None:
        """The (done, total) of every paper not built (from a pass that keeps no walk): the store-wide
        counts are known from now on. A paper built (before or after) counts by its walk, which holds
        the decisions made since."""
        mine = {key: counts.get(key, (0, 0)) for key in self.papers}
        with self._lock:
            self._counts = mine
            self._counted = (sum(d for d, _ in mine.values()), sum(t for _, t in mine.values()))

    def claim_fill(self) -> bool:
        """True once: the caller is the one to count (or ``fill``) this walk."""
        with self._lock:
            if self._fill_started or self.counted:
                return False
            self._fill_started = True
            return True

    def _paper_of(self, candidate_id: str | None) -> PaperKey | None:
        if not candidate_id:
            return None
        if candidate_id in self._located:  # a candidate's paper never changes within one walk
            return self._located[candidate_id]
        key = self._locate(candidate_id)
        found = key if key in self._order else None
        self._located[candidate_id] = found
        return found

    def find(self, candidate_id: str | None) -> Candidate | None:
        key = self._paper_of(candidate_id)
        return None if key is None else self.paper(key).find(candidate_id)

    def decision(self, candidate_id: str) -> str:
        key = self._paper_of(candidate_id)
        return "" if key is None else self.paper(key).decision(candidate_id)

    def with_decision(self, candidate_id: str, decision: str) -> LazyWalk:
        """This walk after one more decision on ``candidate_id`` (in place; returns ``self``)."""
        key = self._paper_of(candidate_id)
        if key is not None:
            with self._lock:
                self._walks[key] = self.paper(key).with_decision(candidate_id, decision)
        return self

    @property
    def progress(self) -> tuple[int, int] | None:
        """(decided, total) over every paper, or None while some paper is neither built nor counted.

        With counts, only the built papers are visited (their walks replace their counts)."""
        with self._lock:
            walks = dict(self._walks)
            counts, (done, total) = self._counts, self._counted
        if counts is None:
            if len(walks) < len(self.papers):
                return None
            done = total = 0
        for key, w in walks.items():
            d, t = w.progress
            was = counts.get(key, (0, 0)) if counts is not None else (0, 0)
            done, total = done + d - was[0], total + t - was[1]
        return done, total

    def _open_between(self, after: PaperKey | None, stop: PaperKey | None) -> Iterator[PaperKey]:
        """The papers of the walk after ``after`` and before ``stop`` (None: the ends) that may hold a
        pending candidate, in order (every paper in the range without ``next_open``)."""
        if self._next_open is None:
            lo = 0 if after is None else self._order[after] + 1
            hi = len(self.papers) if stop is None else self._order[stop]
            yield from self.papers[lo:hi]
            return
        cursor = after
        while True:
            key = self._next_open(cursor)
            if key is None or (stop is not None and key >= stop):
                return
            if key in self._order:  # an older version, or a paper out of the benchmark: not in the walk
                yield key
            cursor = key

    def _first_pending_in(self, keys: Iterable[PaperKey]) -> Candidate | None:
        for key in keys:
            c = self.paper(key).first_pending(0, None)
            if c is not None:
                return c
        return None

    def _scan(self, after: str | None, *, other_slot: bool) -> Candidate | None:
        """The first pending candidate after ``after`` (never ``after``), wrapping around; with
        ``other_slot``, of a fact slot other than ``after``'s. Papers are built as the scan reaches them."""
        here = self._paper_of(after)
        if here is None:
            return self._first_pending_in(self._open_between(None, None))
        w = self.paper(here)
        pos = w.position(after)
        skip = w.slot_at(pos) if other_slot else None
        c = w.first_pending(pos + 1, None, skip)
        if c is not None:
            return c
        c = self._first_pending_in(self._open_between(here, None))
        if c is None:
            c = self._first_pending_in(self._open_between(None, here))
        return c if c is not None else w.first_pending(0, pos, skip)

    def next_pending(self, after: str | None) -> Candidate | None:
        """The first pending candidate after ``after`` in review order, wrapping around; never ``after``."""
        return self._scan(after, other_slot=False)

    def next_open_slot(self, after: str | None) -> Candidate | None:
        """The first pending candidate of a *different* fact slot after ``after`` (wrapping around)."""
        return self._scan(after, other_slot=True)

    def current(self, at: str | None) -> Candidate | None:
        """The candidate ``at`` when it is in the walk, else the first pending one (None: all decided)."""
        found = self.find(at)
        return found if found is not None else self.next_pending(None)

    def _walk_of(self, c: Candidate) -> Walk:
        return self.paper((c.arxiv_id, c.version))

    def paper_progress(self, c: Candidate) -> tuple[int, int]:
        return self._walk_of(c).paper_progress(c)

    def slot_members(self, c: Candidate) -> list[Candidate]:
        return self._walk_of(c).slot_members(c)

    def siblings(self, c: Candidate) -> list[Candidate]:
        return self._walk_of(c).siblings(c)

    def paper_position(self, c: Candidate) -> tuple[int, int]:
        """(1-based index of this candidate's paper, number of papers) in the walk."""
        return self._order[(c.arxiv_id, c.version)] + 1, len(self.papers)
