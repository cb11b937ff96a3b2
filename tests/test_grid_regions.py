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


def test_blocks_with_a_header_line_of_their_own_between_shared_rules_are_tables_of_their_own() -> None:
    """One float of small tables, each opening with a "Model | …" header line, set between one width of rules:
    each block's values go under its own header, its rows keep their bare labels (the header line below is no
    group heading of the rows above)."""
    words = _row(40, [(40, "Model"), (120, "GLUE"), (170, "SQuAD")])
    words += _row(55, [(40, "T5-Base"), (120, "84.3"), (170, "85.5")])
    words += _row(66, [(40, "Switch-Base"), (120, "86.7"), (170, "87.2")])
    words += _row(90, [(40, "Model"), (120, "Params"), (170, "FLOPs")])
    words += _row(105, [(40, "T5-Base"), (120, "0.2B"), (170, "124B")])
    words += _row(116, [(40, "Switch-Base"), (120, "7B"), (170, "124B")])
    words += _row(140, [(40, "Table 9: Switch model design and pre-training performance.")])
    rules = [Rule(35, 36, 220), Rule(35, 50, 220), Rule(35, 77, 220), Rule(35, 85, 220), Rule(35, 100, 220),
             Rule(35, 127, 220)]
    grids = sorted(read_grids(words, rules, field_of=header_field), key=lambda g: g.bbox[1])
    assert len(grids) == 2
    params = {f.model: f.value for f in grid_facts(grids[1]) if f.field == "params"}
    assert params == {"T5-Base": 0.2e9, "Switch-Base": 7e9}
    assert not any(f.field == "params" for f in grid_facts(grids[0]))


def _line_at(y: float, height: float, cells: list[tuple[float, str]]) -> list[Word]:
    """``table_line`` with glyphs ``height`` tall (a header's small capitals, a parenthesis' descent)."""
    return [Word(w.text, w.x0, y, w.x1, y + height) for w in _row(y, cells)]


def _two_level_header_with_key_columns() -> tuple[list[Word], list[Rule]]:
    """A booktabs table whose two header lines share the row-key headers "Model" and "E", set once and centred
    between them (``\\multirow``); a parenthesised word reaches down towards the lower line. Its rows are keyed
    by two number columns (depth, expansion), and the results are split cells ("93.17% / 72.56%")."""
    words = _line_at(89.7, 6.9, [(120, "ShiftResNet"), (300, "ShiftResNet"), (400, "Reduction Rate")])
    words += _line_at(89.7, 8.6, [(200, "(Module)")])
    words += _line_at(94.5, 6.9, [(50, "Model"), (90, "E")])
    words += _line_at(100.6, 5.5, [(110, "CIFAR10 / 100 Accuracy"), (200, "CIFAR10 / 100 Accuracy"),
                                   (300, "Params / FLOPs (×106)"), (400, "Params / FLOPs")])
    rows = [("20", "1", "86.66% / 55.62%", "85.54% / 52.40%", "0.03 / 12", "7.8 / 5.5"),
            ("110", "6", "93.17% / 72.56%", "79.02% / 40.23%", "1.18 / 187", "1.5 / 1.5"),
            ("110", "9", "92.79% / 74.10%", "92.46% / 72.11%", "1.76 / 279", "0.98 / 1.0")]
    for k, (depth, e, a, b, cost, rate) in enumerate(rows):
        words += _row(114 + 12 * k, [(55, depth), (92, e), (120, a), (205, b), (310, cost), (410, rate)])
    # no rule over the header: the table's first rule is its midrule
    return words, [Rule(45, 112, 480), Rule(45, 150, 480)]


def test_two_header_lines_chained_by_a_centred_key_header_are_read_as_two_levels() -> None:
    words, rules = _two_level_header_with_key_columns()
    grid = next(g for g in read_grids(words, rules, field_of=header_field))
    assert grid.bbox[1] < 90  # the header lines above the midrule belong to the table
    assert grid.headers[2] == ("ShiftResNet", "CIFAR10 / 100 Accuracy")
    # the rows are named by their key numbers (and the spanning header their results are under)
    facts = {(f.model.split(" (")[0], f.field, f.header.split()[0], f.benchmark): f.value for f in grid_facts(grid)}
    # the split cell under "CIFAR10 / 100" gives each dataset's result (``tables.slash_datasets``)
    assert facts[("110 6", "acc", "ShiftResNet", "cifar10")] == 93.17
    assert facts[("110 6", "acc", "ShiftResNet", "cifar100")] == 72.56
    facts = {k[:3]: v for k, v in facts.items()}
    assert facts[("110 6", "params", "ShiftResNet")] == 1.18e6
    assert facts[("110 6", "flops", "ShiftResNet")] == 187e6
    # a spanning header naming a change over quantities ("Reduction Rate" over "Params / FLOPs"): ratios
    assert not any("Reduction" in f.header for f in grid_facts(grid))
