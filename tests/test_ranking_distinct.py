"""A value the paper restates is shown once near the top: distinct values come before repeats (issue 17).

The habit: a paper states its headline numbers several times (abstract, results table, conclusion), so the same
value fills the top of its (paper, field) list under several names while the paper's other facts wait below."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flopmine.extract.evidence import Evidence
from flopmine.extract.ranking import Found, Ranker, distinct_values_first, rank_found
from flopmine.types import Candidate, normalise_model


def _c(value: float, model: str, page: int, rule: str = "table.geometry") -> Candidate:
    return Candidate("2101.00001", 1, "bleu", value, benchmark="wmt14_en_de", model=model, rule=rule, page=page,
                     snippet=f"{model} {value}")


def test_a_restated_headline_does_not_fill_the_top_three() -> None:
    # "Transformer (big) reaches 28.4 BLEU" in the abstract and the conclusion, and the table's big and base rows
    own = Evidence(own_model=1.0, ours=True)
    found: Found = [(_c(28.4, "Transformer (big)", 8), 0.8, Evidence(table=True, own_model=1.0)),
                    (_c(28.4, "", 1, "metric.num_bleu"), 0.8, own),
                    (_c(28.4, "Transformer", 10, "metric.num_bleu"), 0.8, own),
                    (_c(27.3, "Transformer (base model)", 8), 0.8, Evidence(table=True, own_model=0.5))]
    ranked = rank_found(found, Ranker(("ours", "own_model"), (1.0, 1.0), 0.0))
    assert [c.value for c in ranked][:2] == [28.4, 27.3]
    assert sorted(c.rank for c in ranked) == [1, 2, 3, 4]


_slots = st.sampled_from(["A", "B", "C", ""])
_values = st.sampled_from([1.0, 2.0, 3.0])


@given(st.lists(st.tuples(_values, _slots), min_size=1, max_size=12))
def test_top1_and_each_slots_order_are_kept(rows: list[tuple[float, str]]) -> None:
    cands = [_c(v, m, 1) for v, m in rows]
    cands = [Candidate(c.arxiv_id, 1, "bleu", c.value, model=c.model, rank=i) for i, c in enumerate(cands, 1)]
    out = distinct_values_first(cands)
    assert sorted((c.value, c.model) for c in out) == sorted((c.value, c.model) for c in cands)
    assert [c.rank for c in out] == list(range(1, len(cands) + 1))
    assert (out[0].value, out[0].model) == (cands[0].value, cands[0].model)
    for slot in {normalise_model(m) for _, m in rows}:
        assert ([c.value for c in out if normalise_model(c.model) == slot]
                == [c.value for c in cands if normalise_model(c.model) == slot])
    # a repeat comes before a new value only when that value's slot still had a better member to show first
    slot_of = [normalise_model(c.model) for c in out]
    shown: set[float] = set()
    for i, c in enumerate(out):
        if c.value in shown:
            for j in range(i + 1, len(out)):
                if out[j].value not in shown:
                    assert slot_of[j] in slot_of[i:j], (i, j, out)
        shown.add(c.value)
