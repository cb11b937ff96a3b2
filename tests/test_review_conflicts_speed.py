"""The conflict scan's lean fact-row path finds what the scan that built a Fact and a Decision per row found.

``flopmine build`` and ``review status`` scan every annotation row for conflicting decisions; at 100k rows
that scan was most of ``build``'s time. ``tests/support/conflicts_previous.py`` keeps the scan as it was.
"""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flopmine.review.annotations import LEDGER_FILE, render_csv
from flopmine.review.conflicts import find_conflicts
from flopmine.review.decision import LEDGER_COLUMNS, Decision
from flopmine.types import ANNOTATION_COLUMNS

from .support import conflicts_previous

# mostly well-formed rows over few papers and models, so that rows meet in keys and slots; some malformed
_IDS = st.sampled_from(["1512.03385", "1512.03385", "hep-th/9901001"])
_FIELDS = st.sampled_from(["top1_acc"] * 6 + ["top1_err", "flops", "hardware", "bogus"])
_VALUES = st.sampled_from(["76.1", "76.10", "23.9", "77", "3.8e9", "3800000000", " v100 ", "x", "'=1+2"])
_MODELS = st.sampled_from(["", "", "", "ResNet-50", "resnet-50 (ours)", "ResNet-50*", "B0", "  ", "'=cmd"])
_CIDS = st.sampled_from(["", "", "", "c1", "c2", " c1 ", "  ", "'=c3"])
_DECISIONS = st.sampled_from(["accept"] * 4 + ["correct", "add", "reject", "", "bogus"])


@st.composite
def _fact_rows(draw: st.DrawFn) -> dict[str, str]:
    return {"arxiv_id": draw(_IDS), "version": draw(st.sampled_from(["1"] * 6 + ["2", "", "x"])),
            "benchmark": draw(st.sampled_from(["imagenet"] * 4 + [""])), "model": draw(_MODELS),
            "field": draw(_FIELDS), "value": draw(_VALUES), "unit": "", "page": draw(st.sampled_from(["3"] * 6 + ["", "p"])),
            "decision": draw(_DECISIONS), "candidate_id": draw(_CIDS), "fact_key": "", "reviewer": "ann",
            "decided_at": "", "note": draw(st.sampled_from(["", "'=x", "fine"])), "flags": ""}


@st.composite
def _decisions(draw: st.DrawFn) -> Decision:
    decision = draw(st.sampled_from(["accept", "correct", "add", "reject"]))
    field = draw(st.sampled_from(["top1_acc", "top1_err", "flops", "epochs"]))
    value = draw(st.sampled_from([76.1, 23.9, 90.0, 3.8e9]))
    return Decision(decision=decision, arxiv_id=draw(_IDS), version=draw(st.sampled_from([1, 2])), field=field,
                    value=value, benchmark=draw(st.sampled_from(["imagenet", ""])), model=draw(_MODELS),
                    candidate_id="" if decision == "add" else draw(st.sampled_from(["c1", "c2"])),
                    corrected_value=draw(st.sampled_from([12.5, 76.1])) if decision == "correct" else None,
                    reviewer=draw(st.sampled_from(["alice", "bob"])))


def _write_facts(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(ANNOTATION_COLUMNS))
        w.writeheader()
        w.writerows(rows)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_fact_rows(), max_size=16), st.lists(_fact_rows(), max_size=6), st.lists(_decisions(), max_size=6))
def test_the_lean_scan_finds_the_conflicts_the_full_parse_found(
        tmp_path_factory, facts: list[dict[str, str]], more: list[dict[str, str]], ledger: list[Decision]) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path_factory.mktemp("annotations")
    _write_facts(directory / "imagenet.csv", facts)
    _write_facts(directory / "paper_facts.csv", more)
    if ledger:
        (directory / LEDGER_FILE).parent.mkdir(parents=True, exist_ok=True)
        (directory / LEDGER_FILE).write_text(
            render_csv(LEDGER_COLUMNS, [{k: str(v) for k, v in d.to_row().items()} for d in ledger]), encoding="utf-8")
    got, want = find_conflicts(directory), conflicts_previous.find_conflicts(directory)
    assert [(c.slot, c.key, str(c)) for c in got] == [(c.slot, c.key, str(c)) for c in want]
    assert [c.claims for c in got] == [c.claims for c in want]


def test_the_reference_finds_conflicts_in_such_rows(tmp_path: Path) -> None:
    """Not vacuous: two values accepted for one model's slot, and two outcomes for one candidate, are found."""
    row = {"arxiv_id": "1512.03385", "version": "1", "benchmark": "imagenet", "model": "ResNet-50",
           "field": "top1_acc", "value": "76.1", "unit": "", "page": "3", "decision": "accept",
           "candidate_id": "c1", "fact_key": "", "reviewer": "ann", "decided_at": "", "note": "", "flags": ""}
    _write_facts(tmp_path / "imagenet.csv", [row, {**row, "candidate_id": "c2", "value": "77.0"},
                                              {**row, "candidate_id": "c9", "model": "", "value": "1"},
                                              {**row, "candidate_id": "c9", "model": "", "value": "2"}])
    got = find_conflicts(tmp_path)
    assert [c.key for c in got] == [c.key for c in conflicts_previous.find_conflicts(tmp_path)]
    assert sorted(c.key for c in got) == ["", "c9"]
