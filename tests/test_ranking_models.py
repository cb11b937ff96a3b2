"""Evidence about a model is shared by all its values (issue 17), and training lifts every right value of a list.

The habit: a paper marks its own model once ("(ours)" in one table, bold in one column, "we propose X" in one
sentence) and reports it in several fields and tables; a baseline appears only as cited rows. A model's values
in the other fields and tables inherit that evidence."""

from __future__ import annotations

from flopmine.extract.evidence import Evidence
from flopmine.extract.ranking import Found, Ranker, Samples, features, fit, rank_found
from flopmine.types import Candidate

TABLE = Evidence(table=True)


def _c(field: str, value: float, model: str, page: int, *, rule: str = "table.geometry") -> Candidate:
    return Candidate("2101.00001", 1, field, value, benchmark="imagenet" if field == "top1_acc" else "",
                     model=model, rule=rule, page=page)


def test_a_model_marked_ours_in_one_table_lifts_its_values_in_another() -> None:
    # page 7's results table marks "MixNet-L (ours)"; page 8's cost table lists MixNet-L and a cited ResNet-50
    found: Found = [(_c("top1_acc", 78.9, "MixNet-L (ours)", 7), 0.9, Evidence(table=True, ours=True)),
                    (_c("params", 7.3e6, "MixNet-L", 8), 0.8, TABLE),
                    (_c("params", 25.6e6, "ResNet-50 [12]", 8), 0.8, Evidence(table=True, citation=True)),
                    (_c("params", 5.0e6, "MobileNetV2", 8), 0.8, TABLE)]
    f = features(found, pages=10)
    assert f[1].get("model_ours") == 1.0 and f[1]["params|model_ours"] == 1.0
    assert "model_ours" not in f[2] and "model_ours" not in f[3]
    assert f[2].get("model_cited_only") == 1.0  # a baseline that appears only as cited rows
    assert "model_cited_only" not in f[1] and "model_cited_only" not in f[3]
    assert f[1]["model_fields"] > f[3]["model_fields"] == 0.0  # the own model has a score and a cost
    ranked = rank_found(found, Ranker(("model_ours",), (2.0,), -1.0), pages=10)
    assert [c.value for c in ranked if c.field == "params"][0] == 7.3e6


def test_bold_or_best_in_one_column_and_a_restatement_mark_the_model() -> None:
    found: Found = [(_c("top1_acc", 80.1, "SKNet-101", 5), 0.9, Evidence(table=True, tags=("bold",))),
                    (_c("flops", 8.46e9, "SKNet-101", 5), 0.8, TABLE),
                    (_c("flops", 7.8e9, "ResNeXt-101", 5), 0.8, TABLE),
                    (_c("top1_acc", 80.1, "SKNet-101", 1, rule="metric.num_top1"), 0.8, Evidence(section="intro"))]
    f = features(found, pages=10)
    assert f[1].get("model_bold") == 1.0 and "model_bold" not in f[2]
    assert f[1].get("model_restated") == 1.0 and "model_restated" not in f[2]


def test_training_ranks_a_lists_second_right_value_above_the_wrong_ones() -> None:
    # Lists where the headline (feature "a") is right and so is a second own value ("b", the base model beside
    # the big one), with a wrong value ("c"); and fewer lists where "c" is right and "b" wrong. Rewarding only the
    # first right value learns c over b, and the base model falls below a baseline in the lists it shares.
    def row(name: str) -> dict[str, float]:
        return {"bias": 1.0, name: 1.0}

    data = Samples()
    for i in range(30):
        rows = [(row("a"), 1), (row("b"), 1), (row("c"), 0)] if i % 4 else [(row("c"), 1), (row("b"), 0)]
        for f, y in rows:
            data.feats.append(f)
            data.labels.append(y)
            data.papers.append(f"p{i}")
            data.groups.append(f"p{i}|f")
    model = fit(data, min_count=1)
    assert model.probability(row("b")) > model.probability(row("c"))
