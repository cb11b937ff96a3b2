"""Ranking features read from a model's slot and its table (issue 17): each names the writing habit it serves."""

from __future__ import annotations

from flopmine.extract.evidence import Evidence
from flopmine.extract.ranking import Found, features
from flopmine.types import Candidate

TABLE = Evidence(table=True)
OWN_ROW = Evidence(table=True, own_model=1.0)


def _c(field: str, value: float, model: str, page: int, *, rule: str = "table.geometry") -> Candidate:
    return Candidate("2101.00001", 1, field, value, benchmark="imagenet" if field == "top1_acc" else "",
                     model=model, rule=rule, page=page)


def _feats(found: Found) -> list[dict[str, float]]:
    return features(found, pages=10)


def test_a_prose_value_beside_its_models_table_value_is_marked() -> None:
    # the table prints "MixNet-L 7.3M 565M"; the text rounds it: "MixNet-L needs ~600M FLOPs"
    found: Found = [(_c("flops", 5.65e8, "MixNet-L", 6), 0.8, TABLE),
                    (_c("flops", 6e8, "MixNet-L", 2, rule="flops.text"), 0.7, Evidence()),
                    (_c("flops", 3e8, "MixNet-S", 2, rule="flops.text"), 0.7, Evidence())]
    f = _feats(found)
    assert f[1].get("slot_prose_by_table") == 1.0 and f[1]["flops|slot_prose_by_table"] == 1.0
    assert "slot_prose_by_table" not in f[0]  # the table value itself
    assert "slot_prose_by_table" not in f[2]  # MixNet-S has no table value
    assert f[0]["slot_values"] > f[2]["slot_values"] == 0.0  # two values in MixNet-L's slot, one in MixNet-S's


def test_a_cost_in_a_row_with_a_result_is_told_from_a_cost_alone() -> None:
    found: Found = [(_c("top1_acc", 78.9, "MixNet-L", 8), 0.9, TABLE),
                    (_c("params", 7.3e6, "MixNet-L", 8), 0.8, TABLE),  # results table: cost beside the score
                    (_c("params", 7.3e6, "MixNet-L [12]", 8), 0.8, TABLE),  # same row label, citation dropped
                    (_c("params", 9.1e6, "MixNet-L", 4), 0.8, TABLE),  # architecture table on page 4: no score
                    (_c("params", 5.0e6, "MixNet-M", 8), 0.8, TABLE)]
    f = _feats(found)
    assert [x.get("row_has_result") for x in f[1:]] == [1.0, 1.0, 0.0, 0.0]
    assert "row_has_result" not in f[0]


def test_the_main_table_is_the_one_listing_most_own_models_with_a_result() -> None:
    found: Found = [(_c("top1_acc", 76.0 + i, f"Ours-{i}", 7), 0.9, OWN_ROW) for i in range(3)]
    found += [(_c("top1_acc", 70.0 + i, f"Ours-{i}", 5), 0.9, OWN_ROW) for i in range(2)]  # an ablation
    found += [(_c("top1_acc", 74.0, "VGG-16", 5), 0.9, TABLE),
              (_c("top1_acc", 74.0, "Ours-0", 3, rule="acc.text"), 0.9, Evidence(own_model=1.0))]
    f = _feats(found)
    assert [x.get("main_table", 0.0) for x in f] == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
