"""Where a page's tables are (issue 17): table regions found from rules and captions. Synthetic word boxes, as
in ``tests/test_grid_labels.py``."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from flopmine.extract.grid import Rule, Word, read_grids
from flopmine.extract.tables import grid_facts, header_field
from tests.support.words import table_line as _row


def _stacked(caption_x: float, indent: float) -> tuple[list[Word], list[Rule]]:
    """Two small tables stacked in one text column, each with a single rule under its header and its caption
    under it, set flush with the column (``caption_x``) while the tables are indented by ``indent``."""
    x = caption_x + indent
    words = _row(40, [(x + 5, "model"), (x + 70, "blocks"), (x + 140, "params")])
    words += _row(55, [(x + 5, "Net-Small"), (x + 75, "12"), (x + 140, "22 M")])
    words += _row(66, [(x + 5, "Net-Base"), (x + 75, "12"), (x + 140, "86 M")])
    words += _row(77, [(x + 5, "Net-Large"), (x + 75, "24"), (x + 140, "304 M")])
    words += _row(95, [(caption_x, "Table 2. Configurations of the models in our experiments.")])
    words += _row(125, [(x + 5, "model"), (x + 70, "FLOPs"), (x + 140, "hours")])
    words += _row(140, [(x + 5, "Net-S/16"), (x + 70, "4.6 G"), (x + 140, "1.2")])
    words += _row(151, [(x + 5, "Net-B/16"), (x + 70, "17.5 G"), (x + 140, "2.1")])
    words += _row(162, [(x + 5, "Net-L/16"), (x + 70, "61.3 G"), (x + 140, "6.1")])
    words += _row(180, [(caption_x, "Table 3. Training time per 100 epochs.")])
    # one rule under each header, of (about) one width: grouped as one table until the caption between cuts them
    return words, [Rule(x, 50, x + 190), Rule(x + 1.3, 135, x + 189)]


@settings(max_examples=25, deadline=None)
@given(st.floats(min_value=40, max_value=80), st.floats(min_value=0, max_value=30))
def test_stacked_tables_with_one_rule_each_are_two_tables(caption_x: float, indent: float) -> None:
    """A table with only a midrule under its header, over another of the same width, with a caption between
    them that starts left of the rules (captions flush with the column, tables indented): two tables, the
    FLOPs of the second under their own models and caption."""
    words, rules = _stacked(caption_x, indent)
    grids = read_grids(words, rules, field_of=header_field)
    assert len(grids) == 2
    first, second = sorted(grids, key=lambda g: g.bbox[1])
    assert first.caption.startswith("Table 2.") and second.caption.startswith("Table 3.")
    flops = {f.model: f.value for f in grid_facts(second) if f.field == "flops"}
    assert flops == {"Net-S/16": 4.6e9, "Net-B/16": 17.5e9, "Net-L/16": 61.3e9}
    params = {f.model: f.value for f in grid_facts(first) if f.field == "params"}
    assert params == {"Net-Small": 22e6, "Net-Base": 86e6, "Net-Large": 304e6}
