"""Where a model sits in the paper's own series, and whether its name is a variant of another (issue 17).

The habits: a paper that scales one design (B0 … B7, T/S/B/L/XL, 0.5× … 2×) headlines the smallest and the
largest size, and leaves the middle sizes to its table; a row named like another row plus a qualifier ("with SE",
"+ FPN", a resolution) is a variant of that model. The features are shared by every value of the model, in
every field and table (``ranking._model_context``)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from flopmine.extract.evidence import Evidence
from flopmine.extract.ranking import Found, Ranker, features, rank_found
from flopmine.types import Candidate

OWN = Evidence(table=True, own_model=0.9)
CITED = Evidence(table=True, citation=True)
SIZES = {"Net-S": 5.0e6, "Net-M": 9.0e6, "Net-L": 20.0e6}


def _c(field: str, value: float, model: str, page: int) -> Candidate:
    return Candidate("2101.00001", 1, field, value, benchmark="imagenet" if field == "top1_acc" else "",
                     model=model, rule="table.geometry", page=page)


def _series_paper() -> Found:
    """Page 4: the cost table of three own sizes and a larger cited baseline; page 5: their accuracies;
    page 8: an ablation table where a smaller variant of the small model is the only own row."""
    found: Found = [(_c("params", v, m, 4), 0.8, OWN) for m, v in SIZES.items()]
    found.append((_c("params", 25.6e6, "ResNet-50 [12]", 4), 0.8, CITED))
    found += [(_c("top1_acc", 70.0 + i, m, 5), 0.9, OWN) for i, m in enumerate(SIZES)]
    found.append((_c("params", 4.0e6, "Net-S (no SE)", 8), 0.8, OWN))
    return found


def test_the_ends_of_a_tables_own_series_mark_their_models_in_every_field() -> None:
    f = features(_series_paper(), pages=10)
    by = {(c.field, c.model): x for (c, _, _), x in zip(_series_paper(), f, strict=True)}
    assert by[("params", "Net-S")].get("model_smallest") == 1.0 and by[("params", "Net-S")].get("own_extreme") == 1.0
    assert by[("params", "Net-L")].get("model_largest") == 1.0 and by[("params", "Net-L")].get("own_extreme") == 1.0
    # the ends are shared by the model's other fields: the accuracy of the smallest and the largest size
    assert by[("top1_acc", "Net-S")].get("model_smallest") == 1.0
    assert by[("top1_acc", "Net-L")]["metric|model_largest"] == 1.0
    assert "own_extreme" not in by[("top1_acc", "Net-S")]  # the accuracy is not itself a cost value
    # the middle size, and a cited baseline larger than every own size, are no end
    for key in (("params", "Net-M"), ("top1_acc", "Net-M"), ("params", "ResNet-50 [12]")):
        assert not {"model_smallest", "model_largest", "own_extreme"} & set(by[key]), key
    # an own row alone in its table (the ablation on page 8) has no series there
    assert "own_extreme" not in by[("params", "Net-S (no SE)")]


def test_the_ends_of_a_series_rank_above_its_middle_size() -> None:
    model = Ranker(("model_smallest", "model_largest"), (1.0, 1.0), 0.0)
    ranked = [c.model for c in rank_found(_series_paper(), model, pages=10) if c.field == "top1_acc"]
    assert ranked[-1] == "Net-M"


def test_a_name_that_is_another_name_plus_a_qualifier_is_a_variant() -> None:
    found: Found = [(_c("flops", 591e6, "ShuffleNet v2 2× (ours)", 8), 0.8, OWN),
                    (_c("flops", 597e6, "ShuffleNet v2 2× (ours, with SE)", 8), 0.8, OWN),
                    (_c("flops", 4.1e9, "ResNet-50", 8), 0.8, CITED),
                    (_c("flops", 4.6e9, "ResNet-50 + FPN", 8), 0.8, CITED),
                    (_c("flops", 7.8e9, "ResNet-101", 8), 0.8, CITED)]
    f = features(found, pages=10)
    assert [x.get("model_variant", 0.0) for x in f] == [0.0, 1.0, 0.0, 1.0, 0.0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=1e5, max_value=1e12, allow_nan=False), min_size=1, max_size=6),
       st.permutations(range(6)))
def test_only_the_lowest_and_highest_own_cost_of_a_table_are_ends(values: list[float], order: list[int]) -> None:
    rows = [(f"Own-{i}", v) for i, v in enumerate(values)]
    rows = [rows[i] for i in order if i < len(rows)]  # any row order
    found: Found = [(_c("flops", v, m, 3), 0.8, OWN) for m, v in rows]
    f = features(found, pages=5)
    lo, hi = min(values), max(values)
    for (c, _, _), x in zip(found, f, strict=True):
        end = len(set(values)) > 1 and c.value in (lo, hi)
        assert (x.get("own_extreme") == 1.0) is end
        assert (x.get("model_smallest") == 1.0) is (end and c.value == lo)
        assert (x.get("model_largest") == 1.0) is (end and c.value == hi)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ab1 (+-", min_size=0, max_size=8), max_size=8))
def test_variant_names_are_a_shorter_name_followed_by_a_separator(names: list[str]) -> None:
    from flopmine.extract.ranking import _variant_names

    seps = " (+/,-–\t\n"
    expected = {n for n in names if n and any(
        len(m) >= 3 and len(n) > len(m) and n.startswith(m) and n[len(m)] in seps for m in names if m)}
    assert _variant_names(names) == expected


def test_a_model_with_a_row_in_the_main_table_carries_it_to_its_values_in_other_tables() -> None:
    # page 5 lists the most own models with a result (the main table); page 7 is an ablation table of accuracies
    # and page 9 a FLOPs table where a model of the main table stands beside an ablation-only row: the feature
    # marks every value of the main table's models, so that beside ``main_table`` the model learns which of them
    # sits in the main table
    found: Found = [(_c("top1_acc", 70.0 + i, m, 5), 0.9, OWN) for i, m in enumerate(SIZES)]
    found += [(_c("top1_acc", 69.0, "Net-M (no SE)", 7), 0.9, OWN),
              (_c("top1_acc", 68.0, "Net-M (shallow)", 7), 0.9, OWN),
              (_c("flops", 2.1e9, "Net-L", 9), 0.8, OWN),
              (_c("flops", 1.9e9, "Net-M (shallow)", 9), 0.8, OWN)]
    f = features(found, pages=10)
    marked = [c.model for (c, _, _), x in zip(found, f, strict=True) if x.get("model_main_table") == 1.0]
    assert marked == ["Net-S", "Net-M", "Net-L", "Net-L"]
    assert f[-2].get("flops|model_main_table") == 1.0 and "main_table" not in f[-2]
