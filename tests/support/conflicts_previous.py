"""The conflict scan as it was before fact rows were parsed lean: the reference
``tests/test_review_conflicts_speed.py`` compares ``flopmine.review.conflicts`` with (kept as it was)."""

from __future__ import annotations

from pathlib import Path

from flopmine.errors import ReviewError
from flopmine.review.annotations import _read_rows, fact_files, fact_row_key, ledger_files
from flopmine.review.conflicts import Claim, DecisionConflict
from flopmine.review.decision import FACT_DECISIONS, Decision
from flopmine.review.slots import SlotKey, slot_of
from flopmine.types import Fact


def _claims(directory: Path) -> dict[str, list[Claim]]:
    """Every decision row of the ledger, and every fact row the ledger does not state, by decision key."""
    problems: list[str] = []
    by_key: dict[str, list[Claim]] = {}
    for ledger in ledger_files(directory):
        where = ledger.relative_to(directory).as_posix()
        for line, row in _read_rows(ledger, problems):
            try:
                d = Decision.from_row(row)
            except (KeyError, ValueError):
                continue  # load_ledger reports malformed rows
            by_key.setdefault(d.key, []).append(Claim(d, f"{where}:{line}"))
    in_ledger = set(by_key)
    for path in fact_files(directory):
        for line, row in _read_rows(path, problems):
            try:
                key = fact_row_key(row)
                d = Decision.from_fact(Fact.from_row(row))
            except (KeyError, ValueError):
                continue
            if key not in in_ledger:
                by_key.setdefault(key, []).append(Claim(d, f"{path.name}:{line}"))
            elif d.decision in FACT_DECISIONS and all(Claim(d, "").outcome != c.outcome for c in by_key[key]):
                by_key[key].append(Claim(d, f"{path.name}:{line}"))  # a fact row the ledger contradicts
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
    settled: dict[SlotKey, dict[str, Claim]] = {}  # per slot, one fact claim per distinct value
    for key, claims in _claims(directory).items():
        outcomes: dict[str, Claim] = {}
        for c in claims:
            outcomes.setdefault(c.outcome, c)
        if len(outcomes) > 1:
            out.append(DecisionConflict(slot_of(claims[0].decision), key, tuple(outcomes.values())))
            continue
        c = claims[-1]
        if c.decision.decision in FACT_DECISIONS:
            settled.setdefault(slot_of(c.decision), {}).setdefault(c.outcome, c)
    for slot, values in settled.items():
        if len(values) > 1:
            out.append(DecisionConflict(slot, "", tuple(values.values())))
    out.sort(key=lambda c: (c.slot, c.key))
    return out
