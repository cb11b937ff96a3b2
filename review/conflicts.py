"""Conflicting decisions in the annotations: what a merge of two annotation clones can leave behind.

Every import and browser decision keeps one decision per candidate and one value per fact slot.
Two clones of the annotations reviewed apart and merged with git can still hold, for example,
``accept 29.9`` from one reviewer and ``correct to 12.5`` from the other for one candidate (two
ledger rows, two fact rows), or two different values accepted in one fact slot. ``find_conflicts``
lists each one; ``review status`` and ``flopmine build`` print them and ``build --strict`` fails
on any. Deciding the candidate (or the slot) again settles it: an import or a browser decision
replaces every row of its candidate.

>>> # for c in find_conflicts(home.annotations_dir): print(c)
>>> # 1512.03385v1 imagenet top1_acc resnet-152: c5d7f2e41a0b9c3d8 accept 29.9 (alice, decisions/ledger.csv:4)
>>> #   ≠ correct to 12.5 (bob, decisions/ledger.csv:5); decide it again to settle it
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flopmine.config import unneutralise_cell
from flopmine.errors import ReviewError
from flopmine.types import Fact, fact_key, field_spec, normalise_model

from .annotations import LEDGER_FILE, _read_rows, fact_files
from .decision import CORRECT, FACT_DECISIONS, Decision, format_value
from .slots import SlotKey, canonical_value, slot_field, slot_of


def _outcome(field_name: str, value: float | str) -> str:
    """A fact's value as its slot field states it, as text two rows compare by."""
    v = canonical_value(field_name, value)
    return f"{v:.6g}" if isinstance(v, float) else str(v).strip().lower()


@dataclass(frozen=True)
class Claim:
    """One row of the annotations stating a decision: the decision and where it is written."""

    decision: Decision
    where: str  # "decisions/ledger.csv:4"

    @property
    def outcome(self) -> str:
        """What the row says the fact is: ``no`` (rejected) or its value as the slot field states it."""
        d = self.decision
        if d.decision not in FACT_DECISIONS:
            return "no"
        return _outcome(d.final_field, d.final_value)  # a relabelled fact states its value in its new field

    def __str__(self) -> str:
        d = self.decision
        ruling = f"correct to {format_value(d.corrected_value)}" if d.decision == CORRECT else (
            f"{d.decision} {format_value(d.final_value)}")
        who = ", ".join(x for x in (d.reviewer, d.decided_at) if x)
        return f"{ruling} ({who + ', ' if who else ''}{self.where})"


@dataclass(frozen=True)
class DecisionConflict:
    """Rows that disagree: on one candidate (``key``), or on the value of one fact slot (``key`` "")."""

    slot: SlotKey
    key: str  # the candidate id (or add:<fact key>) both rows decide; "" for two candidates of one slot
    claims: tuple[Claim, ...]

    def __str__(self) -> str:
        parts = " ≠ ".join(str(c) for c in self.claims)
        if self.key:
            return f"{self.slot}: {self.key.removeprefix('add:')} {parts}; decide it again to settle it"
        ids = " and ".join(c.decision.candidate_id or "an added fact" for c in self.claims)
        return (f"{self.slot}: two values for one fact slot ({ids}): {parts}; reject or correct one of them "
                "(one decision settles a slot)")


class _Stated:
    """A row stating a decision, parsed only as far as finding conflicts needs: its outcome, whether it
    decides a fact, its slot; ``claim`` parses the rest, for the few rows a conflict names."""

    __slots__ = ("outcome", "decides", "where", "_slot", "_decision", "_row")

    def __init__(self, outcome: str, decides: bool, where: str, *, slot: SlotKey | None = None,
                 decision: Decision | None = None, row: dict[str, str] | None = None) -> None:
        self.outcome, self.decides, self.where = outcome, decides, where
        self._slot, self._decision, self._row = slot, decision, row

    @property
    def slot(self) -> SlotKey:
        if self._slot is None:
            assert self._decision is not None
            self._slot = slot_of(self._decision)
        return self._slot

    def claim(self) -> Claim:
        d = self._decision if self._decision is not None else Decision.from_fact(Fact.from_row(self._row or {}))
        return Claim(d, self.where)


def _stated_fact_row(row: dict[str, str], where: str) -> tuple[str, _Stated]:
    """A fact row's decision key and statement: what ``annotations.fact_row_key``, ``Fact.from_row``,
    ``Decision.from_fact``, ``Claim.outcome`` and ``slot_of`` give, without building a Fact and a Decision per
    row (they were most of ``flopmine build``'s time at 100k annotation rows). Raises ``KeyError`` or
    ``ValueError`` where ``Fact.from_row`` does."""
    cell = unneutralise_cell  # Fact.from_row reads each cell through it
    field_name = cell(row["field"])
    spec = field_spec(field_name)
    raw = cell(row["value"])
    value: float | str = float(raw) if spec.numeric else raw
    arxiv_id = cell(row["arxiv_id"])
    version = int(cell(row.get("version") or "") or 0)
    int(cell(row.get("page") or "") or 0)  # a row whose page is no number is malformed, as Fact.from_row finds
    decision = cell(row.get("decision") or "") or "accept"
    benchmark, model = cell(row.get("benchmark") or ""), cell(row.get("model") or "")
    candidate = cell(row.get("candidate_id") or "")
    added = ""
    cid = (row.get("candidate_id") or "").strip()
    name = normalise_model(model)
    if not cid or not (name or candidate):
        added = f"add:{fact_key(arxiv_id, benchmark, model, field_name, value)}"
    decides = decision in FACT_DECISIONS
    slot = SlotKey(arxiv_id, version, benchmark if spec.kind == "metric" else "", slot_field(field_name), name,
                   "" if name else (candidate or added))
    return cid or added, _Stated(_outcome(field_name, value) if decides else "no", decides, where, slot=slot, row=row)


def _claims(directory: Path) -> dict[str, list[_Stated]]:
    """Every decision row of the ledger, and every fact row the ledger does not state, by decision key."""
    problems: list[str] = []
    by_key: dict[str, list[_Stated]] = {}
    ledger = directory / LEDGER_FILE
    if ledger.is_file():
        for line, row in _read_rows(ledger, problems):
            try:
                d = Decision.from_row(row)
            except (KeyError, ValueError):
                continue  # load_ledger reports malformed rows
            claim = Claim(d, f"{LEDGER_FILE}:{line}")
            by_key.setdefault(d.key, []).append(
                _Stated(claim.outcome, d.decision in FACT_DECISIONS, claim.where, decision=d))
    in_ledger = set(by_key)
    for path in fact_files(directory):
        for line, row in _read_rows(path, problems):
            try:
                key, stated = _stated_fact_row(row, f"{path.name}:{line}")
            except (KeyError, ValueError):
                continue
            if key not in in_ledger:
                by_key.setdefault(key, []).append(stated)
            elif stated.decides and all(stated.outcome != c.outcome for c in by_key[key]):
                by_key[key].append(stated)  # a fact row the ledger contradicts
    if problems:
        raise ReviewError(f"the annotations in {directory} are malformed; fix these rows first", problems)
    return by_key


def find_conflicts(directory: Path) -> list[DecisionConflict]:
    """Each candidate with disagreeing decisions, then each fact slot with two values, in slot order.

    Raises ``ReviewError`` for an annotation file that cannot be read.
    """
    if not directory.is_dir():
        return []
    out: list[DecisionConflict] = []
    settled: dict[SlotKey, dict[str, _Stated]] = {}  # per slot, one fact claim per distinct value
    for key, claims in _claims(directory).items():
        outcomes: dict[str, _Stated] = {}
        for c in claims:
            outcomes.setdefault(c.outcome, c)
        if len(outcomes) > 1:
            out.append(DecisionConflict(claims[0].slot, key, tuple(c.claim() for c in outcomes.values())))
            continue
        c = claims[-1]
        if c.decides:
            settled.setdefault(c.slot, {}).setdefault(c.outcome, c)
    for slot, values in settled.items():
        if len(values) > 1:
            out.append(DecisionConflict(slot, "", tuple(c.claim() for c in values.values())))
    out.sort(key=lambda c: (c.slot, c.key))
    return out


def conflict_lines(directory: Path) -> list[str]:
    """``find_conflicts`` as one line each (what ``flopmine build`` prints)."""
    return [f"conflicting decisions: {c}" for c in find_conflicts(directory)]
