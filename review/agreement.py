"""Agreement between reviewers on the papers reviewed twice: raw agreement and Cohen's kappa per field.

The verdicts come from ``decisions/reviews/<yymm>.csv`` (each reviewer's own decisions, see
``review.assign``). A paper counts as *doubly reviewed* when two reviewers gave verdicts on it; the
first two (in the order of ``decisions/assignments.csv``, else by name) are compared.

Each candidate of such a paper that both reviewers settled is one item. A reviewer's label for it
is what they said the fact is (``outcome``): ``no`` for a reject, else the value as its slot field
states it (so accepting ``top1_err`` 23.5 and correcting ``top1_acc`` to 76.5 agree). A candidate a
reviewer left undecided while accepting a sibling in the same slot is labelled ``no`` (superseded).
Items only one reviewer settled are not compared.

>>> kappa([("no", "no"), ("76.5", "76.5"), ("no", "76.5"), ("no", "no")])
0.5
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .annotations import annotations_lock, recover
from .assign import load_assignments, load_reviews, outcome
from .decision import FACT_DECISIONS, Decision, format_value
from .slots import SlotKey, slot_of


def kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters' nominal labels; None when undefined (no items, or chance agreement is 1)."""
    n = len(pairs)
    if not n:
        return None
    po = sum(1 for a, b in pairs if a == b) / n
    ca, cb = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    pe = sum(ca[k] * cb[k] for k in ca) / (n * n)
    if pe >= 1.0:
        return None
    return round((po - pe) / (1.0 - pe), 6)


@dataclass(frozen=True)
class Disagreement:
    """One candidate two reviewers settled differently."""

    arxiv_id: str
    slot: SlotKey
    field: str
    value: str  # the candidate's value as extracted
    candidate_id: str
    first: tuple[str, str]  # (reviewer, their ruling)
    second: tuple[str, str]


@dataclass
class FieldAgreement:
    """Agreement on one slot field."""

    field: str
    pairs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def items(self) -> int:
        return len(self.pairs)

    @property
    def raw(self) -> float | None:
        return sum(1 for a, b in self.pairs if a == b) / len(self.pairs) if self.pairs else None

    @property
    def kappa(self) -> float | None:
        return kappa(self.pairs)


@dataclass(frozen=True)
class AgreementReport:
    """Per-field agreement on the doubly reviewed papers, and the disagreements to adjudicate."""

    papers: tuple[str, ...]  # doubly reviewed
    fields: tuple[FieldAgreement, ...]
    disagreements: tuple[Disagreement, ...]

    @property
    def overall(self) -> FieldAgreement:
        out = FieldAgreement("overall")
        for f in self.fields:
            out.pairs.extend(f.pairs)
        return out


def _ruling(d: Decision | None) -> str:
    if d is None:
        return "superseded (a sibling accepted)"
    if d.decision == "correct":
        return f"correct to {format_value(d.corrected_value)}"
    return d.decision


def agreement(directory: Path) -> AgreementReport:
    """Compare the first two reviewers of every paper both gave verdicts on (``annotations/`` at ``directory``).

    Like every reader, it first finishes (or rolls back) an import a crash interrupted, under the lock.
    """
    with annotations_lock(directory):
        recover(directory)
        reviews = load_reviews(directory)
        assigned = load_assignments(directory)
    by_paper: dict[str, dict[str, dict[str, Decision]]] = defaultdict(lambda: defaultdict(dict))
    for d in reviews:
        if d.candidate_id:
            by_paper[d.arxiv_id][d.reviewer][d.candidate_id] = d
    fields: dict[str, FieldAgreement] = {}
    disagreements: list[Disagreement] = []
    papers: list[str] = []
    for aid in sorted(by_paper):
        people = by_paper[aid]
        if len(people) < 2:
            continue
        order = [r for r in assigned.get(aid, ()) if r in people] + sorted(r for r in people
                                                                          if r not in assigned.get(aid, ()))
        a, b = order[:2]
        papers.append(aid)
        settled = {r: {slot_of(d) for d in people[r].values() if d.decision in FACT_DECISIONS} for r in (a, b)}
        candidates: dict[str, Decision] = {**people[b], **people[a]}
        for cid in sorted(candidates):
            ref = candidates[cid]
            labels: list[str] = []
            for r in (a, b):
                d = people[r].get(cid)
                if d is not None:
                    labels.append(outcome(d))
                elif slot_of(ref) in settled[r]:
                    labels.append("no")  # superseded by the reviewer's accept of a sibling
            if len(labels) < 2:
                continue
            key = slot_of(ref)
            fa = fields.setdefault(key.field, FieldAgreement(key.field))
            fa.pairs.append((labels[0], labels[1]))
            if labels[0] != labels[1]:
                disagreements.append(Disagreement(aid, key, ref.field, format_value(ref.value), cid,
                                                  (a, _ruling(people[a].get(cid))), (b, _ruling(people[b].get(cid)))))
    return AgreementReport(tuple(papers), tuple(fields[k] for k in sorted(fields)), tuple(disagreements))
