"""Fact slots: review by fact, not by candidate.

A *slot* is one fact a paper may state: ``(paper, benchmark, field, model)`` for a result,
``(paper, field, model)`` for a compute fact. The extractor often proposes several candidates for one
slot (every number of a results row, a number printed in the text and in a table …); a reviewer
settles the slot with one decision:

- the export and the browser show the top ``DEFAULT_TOP`` candidates of each slot (best rank first)
  plus a count of the rest (``--all`` shows every one);
- accepting or correcting one candidate *supersedes* its pending siblings: they count as done, and
  their state is derived from the deciding row of the ledger, so undoing (or changing) that decision
  makes them pending again; a fact a reviewer *adds* for the slot's model (the value the extractor
  missed) settles the slot the same way, and withdrawing it reopens the slot;
- ``close_field`` ("not reported") rejects every open candidate of a paper's field in one action.

Accuracy and error of one kind share a slot (``top1_err`` = 100 − ``top1_acc``), and so do ``flops``
and ``mult_adds`` (papers call one the other), as in the scoring convention of ``flopmine eval``.

>>> from flopmine.types import Candidate
>>> a = Candidate("1512.03385", 1, "top1_err", 19.38, benchmark="imagenet", model="ResNet-152", rank=1)
>>> b = Candidate("1512.03385", 1, "top1_acc", 80.62, benchmark="imagenet", model="ResNet-152 (ours)", rank=2)
>>> slot_of(a) == slot_of(b), str(slot_of(a))
(True, '1512.03385v1 imagenet top1_acc resnet-152')
>>> canonical_value("top1_err", 19.38) == canonical_value("top1_acc", 80.62)
True
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from flopmine.config import Home
from flopmine.types import FIELDS, Candidate, normalise_model

from .apply import ApplyReport, apply
from .decision import ADD, CORRECT, FACT_DECISIONS, REJECT, Decision, format_value, same_value
from .renames import Renames, renamed_model
from .store import Attached, active_candidates, active_versions, added_facts, attach, cached_renames, sync
from .validate import Problem, validate_rows

log = logging.getLogger(__name__)

DEFAULT_TOP = 3  # candidates shown per slot
# Slots shown per (paper, field): those whose best candidate is among the field's best DEFAULT_SLOT_RANK.
# On the dev corpus with the shipped ranker, 4 keeps the export under 30 rows per paper (docs/review.md).
DEFAULT_SLOT_RANK = 4
NOT_REPORTED_NOTE = "not reported"

# Fields that hold the same fact: the slot is named after the first of each pair.
SLOT_FIELD: dict[str, str] = {"top1_err": "top1_acc", "top5_err": "top5_acc", "err": "acc", "mult_adds": "flops"}
# Error fields whose value is 100 − the accuracy of their slot.
_COMPLEMENT = {"top1_err", "top5_err", "err"}

PENDING, DECIDED, SUPERSEDED = "pending", "decided", "superseded"


def slot_field(field_name: str) -> str:
    """The field a slot is named after: ``top1_err`` → ``top1_acc``, ``mult_adds`` → ``flops``."""
    return SLOT_FIELD.get(field_name, field_name)


def canonical_value(field_name: str, value: float | str) -> float | str:
    """A value as its slot field states it: an error becomes 100 − error.

    >>> canonical_value("top1_err", 23.5), canonical_value("flops", 3.8e9), canonical_value("hardware", "V100")
    (76.5, 3800000000.0, 'V100')
    """
    if field_name in _COMPLEMENT and isinstance(value, float):
        return round(100.0 - value, 9)
    return value


@dataclass(frozen=True, order=True)
class SlotKey:
    """Identity of one fact slot (benchmark is ``""`` for compute facts).

    A candidate that names no model is a slot of its own (``alone`` is its candidate id, or the key of
    an added fact) until a reviewer names its model: accepting one model-less value must not hide the
    others, which may belong to other models.
    """

    arxiv_id: str
    version: int
    benchmark: str
    field: str  # the slot field (see ``slot_field``)
    model: str  # normalised model name, "" when the paper names none
    alone: str = ""  # model-less: the candidate id (or added fact's key) the slot is made of

    def __str__(self) -> str:
        parts = [f"{self.arxiv_id}v{self.version}", self.benchmark or "-", self.field, self.model or "-"]
        return " ".join([*parts, self.alone] if self.alone else parts)

    @property
    def paper(self) -> str:
        return f"{self.arxiv_id}v{self.version}"


def slot_of(c: Candidate | Decision, renames: Renames | None = None) -> SlotKey:
    """The slot a candidate (or a decision about one, or an added fact) belongs to.

    A decision counts under its final (retargeted) field, benchmark and model; ``renames``
    (``review.renames``) renames the paper's models first.
    """
    if isinstance(c, Decision):
        field_name, benchmark, model = c.final_field, c.final_benchmark, c.final_model
    else:
        field_name, benchmark, model = c.field, c.benchmark, c.model
    if renames:
        model = renamed_model(renames, c.arxiv_id, model)
    name = normalise_model(model)
    spec = FIELDS[field_name]
    # a model-less slot is its candidate's (or added fact's) own; the key, a digest for an added fact, only then
    alone = "" if name else (c.key if isinstance(c, Decision) else c.candidate_id)
    return SlotKey(c.arxiv_id, c.version, benchmark if spec.kind == "metric" else "", slot_field(field_name), name,
                   alone)


def slot_of_attached(a: Attached, renames: Renames | None = None) -> SlotKey:
    """The slot of an attached candidate: its decision's when that retargets it, else the candidate's."""
    if a.decision is not None and a.decision.is_retarget:
        return slot_of(a.decision, renames)
    return slot_of(a.candidate, renames)


def member_order(a: Attached) -> tuple[object, ...]:
    """The order of a slot's candidates: best rank first (unranked last), then confidence; ties by id."""
    c = a.candidate
    return (c.rank if c.rank > 0 else 1 << 30, -c.confidence, c.field, c.candidate_id)


@dataclass(frozen=True)
class Slot:
    """The candidates of one slot, best first, with their decisions."""

    key: SlotKey
    members: tuple[Attached, ...]
    field_position: int = 1  # 1 + how many candidates of the paper's field rank above this slot's best
    added: tuple[Decision, ...] = ()  # facts reviewers added for this slot (any version of the paper)

    @property
    def settled_by(self) -> Decision | None:
        """The accept or correct that settles this slot (the latest, when several), or None."""
        facts = [a.decision for a in self.members if a.decision is not None and a.decision.decision in FACT_DECISIONS]
        return max(facts, key=lambda d: d.decided_at) if facts else None

    @property
    def best_rank(self) -> int:
        ranks = [a.candidate.rank for a in self.members if a.candidate.rank > 0]
        return min(ranks) if ranks else 1 << 30

    @property
    def settled(self) -> bool:
        """Whether an accept or correct of a member, or an added fact, settles the slot."""
        return bool(self.added) or self.settled_by is not None

    def state(self, a: Attached) -> str:
        """``decided`` (its own decision), ``superseded`` (a sibling's accept/correct or an added fact settles
        it) or ``pending``."""
        if a.decision is not None:
            return DECIDED
        return SUPERSEDED if self.settled else PENDING

    @property
    def is_open(self) -> bool:
        """Whether some candidate of the slot still waits for a decision."""
        return any(self.state(a) == PENDING for a in self.members)

    @property
    def has_decision(self) -> bool:
        return any(a.decision is not None for a in self.members)

    def shown(self, top: int | None = DEFAULT_TOP) -> tuple[list[Attached], int]:
        """(rows to show, how many more there are): the top ``top`` plus every decided candidate.

        ``top=None`` shows them all.
        """
        if top is None:
            return list(self.members), 0
        rows = [a for i, a in enumerate(self.members) if i < top or a.decision is not None]
        return rows, len(self.members) - len(rows)


def build_slots(attached: Iterable[Attached], renames: Renames | None = None,
                added: Iterable[Decision] = ()) -> list[Slot]:
    """Group attached candidates into slots, in review order: paper, benchmark, field, best rank, model.

    A candidate goes to the slot of its retargeted model, benchmark and field (``slot_of_attached``),
    after the paper's model ``renames``. Each ``added`` fact (an ``add`` decision, of any version of the
    paper, as decisions carry over re-extraction) joins the slot of its model, which it settles; an added
    fact that names no model settles nothing (model-less values may belong to any model), and one whose
    slot has no candidate is left out (the export lists it on its own row).

    Each slot's ``field_position`` is the position of its best candidate among all candidates of the
    paper's field (by rank, then confidence; unranked ones by confidence), so slots compare across
    models even when a ranker leaves ``rank`` at 0.
    """
    attached = list(attached)
    by_field: dict[tuple[str, int, str], list[Attached]] = {}
    for a in attached:
        c = a.candidate
        by_field.setdefault((c.arxiv_id, c.version, c.field), []).append(a)
    position: dict[str, int] = {}
    for members in by_field.values():
        for i, a in enumerate(sorted(members, key=member_order), 1):
            position[a.candidate.candidate_id] = i
    groups: dict[SlotKey, list[Attached]] = {}
    for a in attached:
        groups.setdefault(slot_of_attached(a, renames), []).append(a)
    adds = _adds_by_slot(added, renames)
    slots = [Slot(k, tuple(sorted(v, key=member_order)), min(position[a.candidate.candidate_id] for a in v),
                  tuple(adds.get(_versionless(k), ())))
             for k, v in groups.items()]
    slots.sort(key=lambda s: (s.key.arxiv_id, s.key.version, s.key.benchmark, s.key.field, s.field_position,
                              s.best_rank, s.key.model))
    return slots


def _versionless(key: SlotKey) -> tuple[str, str, str, str]:
    return key.arxiv_id, key.benchmark, key.field, key.model


def _adds_by_slot(added: Iterable[Decision], renames: Renames | None) -> dict[tuple[str, str, str, str],
                                                                                list[Decision]]:
    """Added facts that name a model, by their slot without its version."""
    out: dict[tuple[str, str, str, str], list[Decision]] = {}
    for d in added:
        if d.decision != ADD:
            continue
        key = slot_of(d, renames)
        if key.model:
            out.setdefault(_versionless(key), []).append(d)
    return out


def current_slots(conn: sqlite3.Connection, home: Home, benchmark: str | None = None) -> list[Slot]:
    """The slots of every paper's newest extracted version, with today's decisions (refreshes the cache)."""
    decisions = sync(conn, home)
    attached, _ = attach(active_candidates(conn, benchmark), decisions, active_versions(conn))
    return build_slots(attached, cached_renames(conn), decisions)


@dataclass(frozen=True)
class ShownRow:
    """One row of an export or of the slot view: the candidate, its state, and its slot's summary."""

    attached: Attached
    slot: Slot
    state: str  # pending | decided | superseded
    position: int  # 1-based within the slot
    rest: int  # candidates of the slot not shown (written on the slot's first row only)


# A results table prints each model's cost beside its score, one value per model, so a paper with ten
# models has ten FLOPs slots: a model whose result is shown keeps its own cost slots, however far down
# the field's ranking they fall (the ranker keeps one such value per result model, ``PER_MODEL_FIELDS``).
COST_BESIDE_RESULT: tuple[str, ...] = ("flops", "params")  # slot fields (mult_adds shares flops's slot)


def shown_slots(slots: Sequence[Slot], slot_rank: int | None = DEFAULT_SLOT_RANK) -> list[Slot]:
    """The slots worth showing: those whose best candidate is among its field's best ``slot_rank``
    (every slot with ``None``), every slot with a decision, and the FLOPs and params slots of a model
    whose result slot is shown (``COST_BESIDE_RESULT``)."""
    if slot_rank is None:
        return list(slots)
    ranked = [s.field_position <= slot_rank or s.has_decision for s in slots]
    with_result = {(s.key.arxiv_id, s.key.version, s.key.model) for s, keep in zip(slots, ranked, strict=True)
                   if keep and s.key.model and getattr(FIELDS.get(s.key.field), "kind", "") == "metric"}
    return [s for s, keep in zip(slots, ranked, strict=True)
            if keep or (s.key.field in COST_BESIDE_RESULT and (s.key.arxiv_id, s.key.version, s.key.model)
                        in with_result)]


def shown_rows(slots: Sequence[Slot], top: int | None = DEFAULT_TOP, *, pending_only: bool = False,
               slot_rank: int | None = None) -> list[ShownRow]:
    """The rows a reviewer sees: the top candidates of each slot (every one with ``top=None``).

    ``slot_rank`` keeps only the slots ``shown_slots`` keeps (default: every slot).
    ``pending_only`` leaves out settled slots and decided candidates.
    """
    out: list[ShownRow] = []
    for s in shown_slots(slots, slot_rank):
        if pending_only and not s.is_open:
            continue
        rows, rest = s.shown(top)
        first = True
        for a in rows:
            state = s.state(a)
            if pending_only and state != PENDING:
                continue
            out.append(ShownRow(a, s, state, s.members.index(a) + 1, rest if first else 0))
            first = False
    return out


# ---------------------------------------------------------------- checks on one import


def slot_conflicts(decisions: Sequence[Decision], paths: Sequence[Path | str] = ()) -> list[Problem]:
    """Problems for slots decided twice in the same file with different values.

    One accept, correct or add settles a slot; two of them with different values (an error and its
    accuracy count as the same value) in one file are reported on both lines, and neither is applied.
    ``paths`` maps a decision's source (``name.csv:12``) back to the path the reviewer gave.
    """
    full = {Path(p).name: str(p) for p in paths}
    by: dict[tuple[str, SlotKey], list[Decision]] = {}
    for d in decisions:
        if d.decision not in FACT_DECISIONS:
            continue
        name = d.source.rsplit(":", 1)[0]
        by.setdefault((name, slot_of(d)), []).append(d)
    problems: list[Problem] = []
    for (name, key), ds in by.items():
        ds = sorted(ds, key=lambda d: d.line)
        first = ds[0]
        v0 = canonical_value(first.field, first.final_value)
        for d in ds[1:]:
            v = canonical_value(d.field, d.final_value)
            if same_value(v0, v):
                continue
            src = full.get(name, name)
            problems.append(Problem(src, d.line, _column(d), f"slot {key} decided twice in this file with different "
                                                      f"values ({format_value(v)} here, {format_value(v0)} on "
                                                      f"line {first.line}); one decision settles a slot: keep one"))
            problems.append(Problem(src, first.line, _column(first), f"slot {key} decided twice in this file with different "
                                                          f"values ({format_value(v0)} here, {format_value(v)} on "
                                                          f"line {d.line}); one decision settles a slot: keep one"))
    return sorted(set(problems))


def _column(d: Decision) -> str:
    return "corrected_value" if d.decision == CORRECT else ("value" if d.decision == ADD else "decision")


def drop_lines(decisions: Sequence[Decision], problems: Sequence[Problem]) -> list[Decision]:
    """``decisions`` without those on a line some problem names (matched by file name and line)."""
    bad = {(Path(p.source).name, p.line) for p in problems}
    return [d for d in decisions if (d.source.rsplit(":", 1)[0], d.line) not in bad]


# ---------------------------------------------------------------- not reported


def paper_slots(conn: sqlite3.Connection, home: Home, arxiv_id: str) -> list[Slot]:
    """The slots of one paper's newest extracted version, with today's decisions."""
    decisions = sync(conn, home)
    version = active_versions(conn).get(arxiv_id)
    if version is None:
        return []
    rows = conn.execute("SELECT * FROM candidates WHERE arxiv_id = ? AND version = ?", (arxiv_id, version))
    attached, _ = attach([Candidate.from_row(r) for r in rows], decisions)
    return build_slots(attached, cached_renames(conn, arxiv_id), added_facts(conn, arxiv_id))


@dataclass(frozen=True)
class CloseReport:
    """What ``close_fields`` did: the rejects written (through ``review.apply``)."""

    report: ApplyReport | None
    fields: tuple[str, ...]  # slot fields that had open slots
    slots: int  # open slots closed
    candidates: int  # candidates rejected


def close_fields(conn: sqlite3.Connection, home: Home, arxiv_id: str, fields: Sequence[str] | None = None, *,
                 benchmark: str | None = None, reviewer: str = "", note: str = NOT_REPORTED_NOTE,
                 source: str = "close", keep_replaced: bool = False) -> CloseReport:
    """"Not reported": reject every pending candidate of a paper's ``fields`` (None: every field) at once.

    A field closes its pair too (``top1_err`` with ``top1_acc``, ``mult_adds`` with ``flops``).
    Settled slots (a sibling accepted, or a fact added) are left alone, so the same action closes "the rest" of a
    field after its real facts are accepted. ``benchmark`` limits metrics to one benchmark. The
    rejects go through ``validate_rows`` and ``apply`` like the rows of an imported CSV, in one
    transaction (``keep_replaced`` as ``apply``'s: the browser, whose undo withdraws a close whole). Raises
    ``ReviewError`` for an unknown field or a paper without candidates.
    """
    from flopmine.errors import ReviewError

    unknown = [f for f in fields or () if f not in FIELDS]
    if unknown:
        raise ReviewError(f"unknown field {unknown[0]!r}; known: {', '.join(FIELDS)}")
    slots = paper_slots(conn, home, arxiv_id)
    if not slots:
        raise ReviewError(f"paper {arxiv_id!r} has no extracted candidates (write the arXiv id without a version)")
    groups = None if fields is None else {slot_field(f) for f in fields}
    todo = [s for s in slots if (groups is None or s.key.field in groups)
            and (benchmark is None or s.key.benchmark in (benchmark, "")) and s.is_open]
    rows = [{"candidate_id": a.candidate.candidate_id, "decision": REJECT, "note": note, "reviewer": reviewer}
            for s in todo for a in s.members if s.state(a) == PENDING]
    closed = tuple(sorted({s.key.field for s in todo}))
    if not rows:
        return CloseReport(None, (), 0, 0)
    decisions, problems = validate_rows(rows, conn, source, reviewer=reviewer)
    if problems:
        raise ReviewError("nothing was closed", [str(p) for p in problems])
    return CloseReport(apply(conn, home, decisions, keep_replaced=keep_replaced), closed, len(todo), len(decisions))


def close_field(conn: sqlite3.Connection, home: Home, arxiv_id: str, field_name: str, *,
                benchmark: str | None = None, reviewer: str = "", note: str = NOT_REPORTED_NOTE) -> CloseReport:
    """``close_fields`` for one field."""
    return close_fields(conn, home, arxiv_id, [field_name], benchmark=benchmark, reviewer=reviewer, note=note)
