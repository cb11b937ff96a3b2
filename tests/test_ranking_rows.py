"""Where a value sits in its table: the last printed row of a column (issue 17).

The habit: a paper prints its own model at the bottom of a table. A comparison table lists the baselines first and
the proposed model below them; an ablation table adds one component per row and ends with the full model. The
feature ``row_last`` (``ranking._last_rows``) marks the values of a column's last row; the candidates are built here
as the table readers build them (a box per cell, the header path at the end of the snippet)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from flopmine.extract.evidence import Evidence
from flopmine.extract.ranking import Found, Ranker, features, rank_found
from flopmine.types import Candidate

HEADER = "Method Backbone AP"
CITED = Evidence(table=True, citation=True)
OWN = Evidence(table=True, own_model=0.9)


def _cell(value: float, model: str, top: float, *, page: int = 6, header: str = HEADER, left: float = 300.0,
          field: str = "box_ap", benchmark: str = "coco") -> Candidate:
    return Candidate("2101.00001", 1, field, value, benchmark=benchmark, model=model, rule="table.geometry",
                     page=page, raw=f"{value:g}", snippet=f"{model} {value:g} [{header}]",
                     bbox=(left, top, left + 15.0, top + 6.0))


def _comparison_table() -> Found:
    """Three cited detectors, then the paper's two sizes; the last one's AP has a subscript-lowered box."""
    rows = [(36.2, "Faster R-CNN [12]", CITED), (39.1, "RetinaNet [21]", CITED), (37.4, "FPN [20]", CITED),
            (30.3, "Net300", OWN), (33.8, "Net512", OWN)]
    found: Found = [(_cell(v, m, 120.0 + 11.0 * k), 0.8, ev) for k, (v, m, ev) in enumerate(rows)]
    c = found[-1][0]
    found.append((_cell(60.5, "Net512", c.bbox[1] + 1.2, field="ap50"), 0.8, OWN))  # same row, another column
    return found


def test_the_values_of_a_columns_last_row_are_marked() -> None:
    found = _comparison_table()
    f = features(found, pages=12)
    assert [x.get("row_last", 0.0) for x in f[:5]] == [0.0, 0.0, 0.0, 0.0, 1.0]
    assert f[4]["metric|row_last"] == 1.0
    # the AP50 column holds one row only: no last row to tell apart
    assert "row_last" not in f[5]


def test_each_table_and_column_has_its_own_last_row() -> None:
    # the same header on another page, and another header on the same page, are other tables
    found = _comparison_table()
    found += [(_cell(41.0, f"Net512 + {x}", 300.0 + 11.0 * k, header="Ablation AP"), 0.8, OWN)
              for k, x in enumerate(("A", "B", "C"))]
    found += [(_cell(35.0 + k, f"Base-{k}", 500.0 + 11.0 * k, page=7), 0.8, CITED) for k in range(3)]
    f = features(found, pages=12)
    marked = [c.model for (c, _, _), x in zip(found, f, strict=True) if x.get("row_last")]
    assert marked == ["Net512", "Net512 + C", "Base-2"]


def test_a_transposed_table_counts_its_columns_left_to_right() -> None:
    # models are columns (0.5×, 1×, 1.5×, 2×): the last "row" is the rightmost column, whatever the cell tops
    found: Found = [(_cell(60.0 + k, f"{w}×", 200.0 + (k % 2), left=200.0 + 40.0 * k, field="top1_acc",
                           benchmark="imagenet"), 0.8, Evidence(table=True, tags=("transposed",)))
                    for k, w in enumerate(("0.5", "1", "1.5", "2"))]
    f = features(found, pages=12)
    assert [x.get("row_last", 0.0) for x in f] == [0.0, 0.0, 0.0, 1.0]


def test_prose_values_and_cells_without_a_box_have_no_row() -> None:
    found = _comparison_table()
    found.append((Candidate("2101.00001", 1, "box_ap", 33.8, benchmark="coco", model="Net512", raw="33.8",
                            page=1, snippet="our Net512 reaches 33.8 AP"), 0.9, Evidence(ours=True)))
    found.append((Candidate("2101.00001", 1, "box_ap", 44.0, benchmark="coco", model="Late", rule="table.text",
                            page=6, snippet=f"Late 44.0 [{HEADER}]"), 0.8, OWN))
    f = features(found, pages=12)
    assert "row_last" not in f[-2] and "row_last" not in f[-1]
    assert f[4].get("row_last") == 1.0  # the boxless cell does not become the column's last row


def test_a_weighted_last_row_lifts_the_proposed_model_above_the_baselines() -> None:
    model = Ranker(("row_last",), (2.0,), -1.0)
    ranked = [c for c in rank_found(_comparison_table(), model, pages=12) if c.field == "box_ap"]
    assert ranked[0].value == 33.8


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=50.0, max_value=700.0, allow_nan=False), min_size=1, max_size=8, unique=True))
def test_only_the_lowest_row_of_a_column_of_three_or_more_rows_is_last(tops: list[float]) -> None:
    found: Found = [(_cell(30.0 + k, f"M{k}", top), 0.8, OWN) for k, top in enumerate(tops)]
    f = features(found, pages=12)
    srt = sorted(tops)
    rows = 1 + sum(1 for a, b in zip(srt, srt[1:], strict=False) if b - a > 2.0)
    for top, x in zip(tops, f, strict=True):
        assert (x.get("row_last") == 1.0) is (rows >= 3 and top >= srt[-1] - 2.0)
