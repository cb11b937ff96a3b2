"""Probes of the reading rules' claims: each test generates the class of input a rule's comment names (an
inequality sign, a numbered heading, a row of differences, a quantity header word, an AP pair at two IoUs) and its
near neighbours that the rule must leave alone (an arrow, a table row, a model's row, "MS COCO"). Named-case tests
of the same rules sit beside the habits in ``test_prose_rules.py`` and ``test_grid_datasets.py``."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flopmine.extract.rules.engine import bound_sign_before

_SCORES = st.floats(50.0, 90.0).map(lambda x: round(x, 1))


@given(st.sampled_from(["<", "< ", "≤", "≥ ", ">", "> ", "<=", ">= ", "≲", "≳"]), _SCORES)
def test_every_inequality_sign_marks_a_bound(sign: str, value: float) -> None:
    """"(<600M FLOPS)", "≥ 80% accuracy": the number after an inequality sign is a bound."""
    text = f"under the budget ({sign}{value}% top-1 error)"
    assert bound_sign_before(text, text.find(str(value)))


@given(st.sampled_from(["->", "-> ", " -> ", "=>", " => ", "-->"]), _SCORES, _SCORES)
def test_an_ascii_arrow_before_a_number_is_no_inequality_sign(arrow: str, before: float, after: float) -> None:
    """"top-1 accuracy 75.2 -> 76.1": papers write a change with an ASCII arrow (the line reader reads "56.4M->62.4M"
    as one cell); the ">" of the arrow is no "greater than", and the value after it is read."""
    text = f"With the new block, ResNet-50's top-1 accuracy on ImageNet rises from {before}%{arrow}{after}%."
    assert not bound_sign_before(text, text.rfind(str(after)))
