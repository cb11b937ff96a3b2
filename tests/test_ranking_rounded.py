"""A rounded mention ranks below the precise value it rounds: a fixed rule, not a learned weight (issue 17).

The habit: the abstract and introduction round a figure ("trains in 4 hours") that the method section or a
table states exactly ("4.1 hours"); the reviewer records the exact one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flopmine.extract.evidence import Evidence
from flopmine.extract.ranking import Found, Ranker, rank_found
from flopmine.types import Candidate

ROUNDED = Evidence(ours=True, own_model=1.0, tags=("rounded",))
PRECISE = Evidence(tags=("precise",))


def _c(value: float, raw: str, page: int, field: str = "training_time_hours") -> Candidate:
    return Candidate("2101.00001", 1, field, value, raw=raw, snippet=f"trains in {raw}", rule="time.text", page=page)


def _model(ours: float) -> Ranker:
    return Ranker(("ours", "tag:precise"), (ours, 0.0), -1.0)


def test_a_rounded_mention_with_stronger_evidence_ranks_below_its_precise_twin() -> None:
    # "Our FooDet trains in 4 hours" (intro, own model) vs "the large-batch run takes 4.1 hours" (no own-model cue)
    found: Found = [(_c(4.0, "4 hours", 1), 0.8, ROUNDED), (_c(4.1, "4.1 hours", 6), 0.8, PRECISE),
                    (_c(33.0, "33 hours", 6), 0.8, Evidence())]
    ranked = rank_found(found, _model(2.0))
    assert [c.value for c in ranked] == [4.1, 4.0, 33.0]
    # the rounded mention's evidence counts for its twin: the precise value takes the higher confidence
    assert ranked[0].confidence == Ranker(("ours",), (2.0,), -1.0).probability({"ours": 1.0})
    assert ranked[1].confidence < ranked[0].confidence


def test_a_value_that_does_not_round_to_the_other_is_left_alone() -> None:
    # 4 is not 4.6 rounded (that is 5): two different facts, ranked by their evidence
    found: Found = [(_c(4.0, "4 hours", 1), 0.8, ROUNDED), (_c(4.6, "4.6 hours", 6), 0.8, PRECISE)]
    assert [c.value for c in rank_found(found, _model(2.0))] == [4.0, 4.6]


@given(st.floats(-5, 5), st.floats(-5, 5), st.sampled_from([(4.0, "4 hours", 4.1, "4.1 hours"),
                                                            (76.0, "76%", 76.1, "76.1%"),
                                                            (600.0, "600", 597.0, "597")]))
def test_whatever_the_weights_a_rounded_mention_never_ranks_above_its_twin(
        ours: float, precise_w: float, pair: tuple[float, str, float, str]) -> None:
    v, raw, u, raw_u = pair
    field = "training_time_hours" if "hours" in raw else "top1_acc"
    found: Found = [(_c(v, raw, 1, field), 0.8, ROUNDED), (_c(u, raw_u, 6, field), 0.8, PRECISE)]
    ranked = rank_found(found, Ranker(("ours", "tag:precise"), (ours, precise_w), 0.0))
    values = [c.value for c in ranked]
    assert values[0] == u  # the rounded one is below it, or capped off the compute list
