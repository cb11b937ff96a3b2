"""The reviewer's list per model slot (issue 17): each model with a result keeps its FLOPs / params beyond the
per-field cap, a model without a result gets nothing more, and no slot grows by more than ``per_model``."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from flopmine.extract.evaluation import SHOWN_PER_SLOT, from_candidates, slot_cost
from flopmine.extract.evidence import Evidence
from flopmine.extract.gold import GoldFact
from flopmine.extract.ranking import DEFAULT_MAX_PER_FIELD, Found, Ranker, rank_found
from flopmine.types import Candidate, normalise_model

# Confidence rises with the rule's prior weight only, so the test sets the order through the weights.
WEIGHT_ONLY = Ranker(("weight",), (4.0,), -2.0)


def _paper(models: int, *, values_per_model: int = 1, results: int | None = None) -> Found:
    """A table of ``models`` rows: each a top-1 accuracy (the first ``results`` rows only) and FLOPs values."""
    found: Found = []
    for m in range(models):
        name = f"Net-{m}"
        if results is None or m < results:
            found.append((Candidate("2101.00001", 1, "top1_acc", 70.0 + m / 10, benchmark="imagenet", model=name,
                                    rule="table.geometry", page=3), 0.9, Evidence(table=True)))
        for k in range(values_per_model):
            # the row's own FLOPs cell first (higher weight), then values of other columns or pages
            found.append((Candidate("2101.00001", 1, "flops", 1e9 * (m + 1) + 1e7 * k, model=name,
                                    rule="table.geometry", page=3 + k), 0.8 - 0.05 * k - 0.01 * m,
                          Evidence(table=True)))
    return found


def _flops_per_model(ranked: list[Candidate]) -> Counter[str]:
    return Counter(normalise_model(c.model) for c in ranked if c.field == "flops")


def test_each_result_model_keeps_its_flops_beyond_the_field_cap() -> None:
    ranked = rank_found(_paper(20), WEIGHT_ONLY, min_relative=0.0)
    flops = _flops_per_model(ranked)
    assert len(flops) == 20 and set(flops.values()) == {1}
    capped = rank_found(_paper(20), WEIGHT_ONLY, min_relative=0.0, per_model=0)
    assert sum(_flops_per_model(capped).values()) == DEFAULT_MAX_PER_FIELD["flops"]
    # the extra values rank after the field's best, ranks stay 1 … n
    assert sorted(c.rank for c in ranked if c.field == "flops") == list(range(1, 21))


def test_a_slot_the_cap_filled_still_shows_its_next_value() -> None:
    # Net-11's slot: a wrong value from another column ranks high enough for the per-field cap; its own row's
    # value ranks last of the table's and is cut by the cap
    found = _paper(12)
    found.append((Candidate("2101.00001", 1, "flops", 5.4e9, model="Net-11", rule="table.geometry", page=2), 0.95,
                  Evidence(table=True)))
    assert [c.value for c in rank_found(found, WEIGHT_ONLY, min_relative=0.0, per_model=0)
            if c.model == "Net-11" and c.field == "flops"] == [5.4e9]
    ranked = rank_found(found, WEIGHT_ONLY, min_relative=0.0)
    assert sorted(c.value for c in ranked if c.field == "flops" and c.model == "Net-11") == [5.4e9, 1.2e10]


def test_a_model_without_a_result_gets_no_extra_slot() -> None:
    ranked = rank_found(_paper(20, results=10), WEIGHT_ONLY, min_relative=0.0)
    flops = _flops_per_model(ranked)
    assert {f"net-{m}" for m in range(10)} <= set(flops)
    assert len(flops) == 10  # rows 10-19 carry no result: their cost joins nothing, so nothing is added


@settings(max_examples=40, deadline=None)
@given(models=st.integers(1, 30), values=st.integers(1, 6), results=st.integers(0, 30), keep=st.integers(0, 3))
def test_the_list_grows_by_at_most_per_model_per_result_model(models: int, values: int, results: int,
                                                            keep: int) -> None:
    ranked = rank_found(_paper(models, values_per_model=values, results=results), WEIGHT_ONLY, min_relative=0.0,
                        per_model=keep)
    capped = rank_found(_paper(models, values_per_model=values, results=results), WEIGHT_ONLY, min_relative=0.0,
                        per_model=0)
    flops, base = _flops_per_model(ranked), _flops_per_model(capped)
    with_result = min(models, results)
    assert sum(flops.values()) <= sum(base.values()) + keep * with_result
    for name, n in flops.items():
        assert n <= base[name] + keep  # no slot grows by more than ``keep`` beyond what the cap kept
        if int(name.split("-")[1]) >= with_result:
            assert n == base[name]  # a model without a result only has what the per-field cap kept
    assert len({c.candidate_id for c in ranked}) == len(ranked)


def test_slot_cost_counts_rows_per_slot_and_cost_only_slots() -> None:
    ranked = from_candidates(rank_found(_paper(12, values_per_model=5, results=6), WEIGHT_ONLY, min_relative=0.0))
    gold = [GoldFact("2101.00001", "flops", 1e9 * (m + 1), model=f"Net-{m}") for m in range(12)]
    cost = slot_cost(ranked, gold)
    assert cost.gold == 12 and cost.rows <= SHOWN_PER_SLOT * cost.slots
    assert cost.cost_only_slots == len({normalise_model(c.model) for c in ranked if c.field == "flops"} -
                                       {f"net-{m}" for m in range(6)})


def test_shown_per_slot_is_the_review_exports() -> None:
    from flopmine.review.slots import DEFAULT_TOP

    assert SHOWN_PER_SLOT == DEFAULT_TOP
