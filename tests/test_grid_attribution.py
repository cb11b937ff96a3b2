"""Each value under its own model and field (issue 17, fourteenth reading round): each test draws one writing
habit of typeset tables as synthetic word boxes or page text with character boxes, and checks the field and
model a cell is read under.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from flopmine.extract.grid import Rule, read_grids
from flopmine.extract.tables import grid_facts, header_field, text_table_facts
from tests.support.words import boxed_text as _boxed
from tests.support.words import table_line as _row

_MEASURES = {"Accuracy": "acc", "Acc.": "acc", "Error": "err", "Err.": "err"}


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(sorted(_MEASURES)), st.sampled_from(("ImageNet", "")))
def test_a_top_k_header_wrapped_over_lines_with_the_dataset_between(measure: str, dataset: str) -> None:
    """"Top-1" / "ImageNet" / "Accuracy" stacked over each column: one header, the top-k's; the top-5 column
    is no top-1 result told apart by a "(top-5)" setting."""
    levels = [[(150, "Top-1"), (200, "Top-5")]]
    if dataset:
        levels.append([(150, dataset), (200, dataset)])
    levels.append([(150, measure), (200, measure)])
    words = []
    for k, cells in enumerate(levels):
        words += _row(40 + 8 * k, ([(35, "Model")] if k == len(levels) - 1 else []) + cells)
    top = 40 + 8 * len(levels) + 6
    words += _row(top, [(35, "AlexNet"), (150, "42.8%"), (200, "19.7%")])
    words += _row(top + 11, [(35, "SmallNet"), (150, "42.5%"), (200, "19.7%")])
    rules = [Rule(30, 36, 240), Rule(30, top - 3, 240), Rule(30, top + 21, 240)]
    grids = read_grids(words, rules, field_of=header_field)
    kind = _MEASURES[measure]
    facts = {(f.model, f.field, f.value) for g in grids for f in grid_facts(g, benchmark="imagenet")}
    assert {("AlexNet", f"top1_{kind}", 42.8), ("AlexNet", f"top5_{kind}", 19.7),
            ("SmallNet", f"top5_{kind}", 19.7)} <= facts
    assert all(f[1] in (f"top1_{kind}", f"top5_{kind}") for f in facts)


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(sorted(_MEASURES)), st.sampled_from(("ImageNet", "")))
def test_the_line_reader_joins_a_measure_line_to_the_top_k_line_above(measure: str, dataset: str) -> None:
    """The line reader: "Top-1 Top-5" on one line and "Error Error" (maybe "ImageNet ImageNet" between) on the
    next lines are one header per column; the top-5 value is no top-1 error."""
    lines = [[(10, "Network"), (150, "Top-1"), (200, "Top-5")]]
    if dataset:
        lines.append([(150, dataset), (200, dataset)])
    lines.append([(150, measure), (200, measure)])
    lines += [[(10, "AlexNet"), (150, "42.8%"), (200, "19.7%")], [(10, "SmallNet"), (150, "42.5%"), (200, "19.6%")]]
    text, boxes = _boxed(lines)
    kind = _MEASURES[measure]
    facts = {(f.model, f.field, f.value) for f in text_table_facts(text, benchmark="imagenet", boxes=boxes)}
    assert facts == {("AlexNet", f"top1_{kind}", 42.8), ("AlexNet", f"top5_{kind}", 19.7),
                     ("SmallNet", f"top1_{kind}", 42.5), ("SmallNet", f"top5_{kind}", 19.6)}


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(("size", "Size", "resolution", "Res.", "Input size", "Image size")),
       st.sampled_from((224, 288, 384, 512)))
def test_the_line_reader_reads_no_field_under_an_input_size_column(word: str, size: int) -> None:
    """"Model size Params FLOPs": the input size printed left of the parameters sat within reach of the
    Params slot and was read as that many million parameters; a size column gives nothing."""
    text, boxes = _boxed([[(0, "Model"), (70, word), (120, "Params"), (160, "FLOPs")],
                          [(0, "NetS"), (80, str(size)), (120, "69M"), (160, "24.0G")],
                          [(0, "NetL"), (80, str(size)), (120, "212M"), (160, "128.7G")]])
    facts = {(f.model, f.field, f.value) for f in text_table_facts(text, boxes=boxes)}
    assert facts == {("NetS", "params", 69e6), ("NetS", "flops", 24e9), ("NetL", "params", 212e6),
                     ("NetL", "flops", 128.7e9)}


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(("Table 8.", "Table 3:", "TABLE 2.", "Figure 4:")),
       st.sampled_from(("ImageNet ILSVRC2012", "ImageNet", "COCO")))
def test_a_dataset_named_in_a_caption_heads_no_column(caption: str, dataset: str) -> None:
    """"Table 8. Transfer learning – all models are pretrained on ImageNet ILSVRC2012 …" right over the header
    line: the caption's dataset made slots over the transfer columns, whose accuracies were read as its errors."""
    words = f"{caption} Transfer learning. All models are pretrained on {dataset} and finetuned".split()
    text, boxes = _boxed([[(10 + 30 * k, w) for k, w in enumerate(words)],
                          [(10, "Model"), (150, "Params"), (200, "Top-1"), (250, "CIFAR-10"), (320, "Flowers")],
                          [(10, "NetS"), (150, "24M"), (200, "83.2"), (265, "98.7"), (335, "97.9")],
                          [(10, "NetM"), (150, "55M"), (200, "85.1"), (265, "99.0"), (335, "98.5")]])
    facts = {(f.model, f.field, f.value) for f in text_table_facts(text, boxes=boxes)}
    assert not {v for _, field, v in facts if field.endswith("err") or field in ("box_ap", "ap50")}
    assert {("NetS", "top1_acc", 83.2), ("NetM", "params", 55e6)} <= facts


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(("CIFAR10 / 100 Accuracy", "CIFAR-10 / 100 Acc.", "CIFAR10/100 Accuracy")),
       st.floats(80, 99).map(lambda x: round(x, 2)), st.floats(40, 79).map(lambda x: round(x, 2)))
def test_a_cell_of_two_datasets_results_under_a_shortened_pair(header: str, first: float, second: float) -> None:
    """"CIFAR10 / 100 Accuracy" over "92.79% / 74.10%": the second dataset's name shortened to the part that
    differs; each value is its dataset's (the CIFAR-100 result was lost)."""
    words = _row(40, [(35, "Model"), (120, header)])
    words += _row(55, [(35, "NetA"), (120, f"{first:.2f}% / {second:.2f}%")])
    words += _row(66, [(35, "NetB"), (120, f"{second:.2f}% / {first:.2f}%")])
    grids = read_grids(words, [Rule(30, 36, 260), Rule(30, 50, 260), Rule(30, 76, 260)], field_of=header_field)
    facts = {(f.model, f.benchmark, f.value) for g in grids for f in grid_facts(g)}
    assert {("NetA", "cifar10", first), ("NetA", "cifar100", second), ("NetB", "cifar10", second),
            ("NetB", "cifar100", first)} <= facts


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(("ResNet", "Highway", "PlainNet")), st.sampled_from((20, 56, 110, 1202)),
       st.sampled_from(("# layers", "depth")))
def test_the_line_reader_keeps_a_depth_column_in_the_model_name(name: str, depth: int, head: str) -> None:
    """"method | # layers | # params | error (%)" read line by line: the depth, under no field, sat within reach of
    the parameters' slot and was read as that many million parameters; it is part of the row's name."""
    text, boxes = _boxed([[(10, "method"), (80, head), (130, "# params"), (190, "error (%)")],
                          [(10, name), (90, str(depth)), (135, "1.7M"), (195, "6.43")],
                          [(10, name), (90, str(depth * 2)), (135, "19.4M"), (195, "7.93")]])
    facts = {(f.model, f.field, f.value) for f in text_table_facts(text, benchmark="cifar10", boxes=boxes)}
    assert ("params", 1.7e6) in {(field, v) for _, field, v in facts}
    assert {m for m, field, _ in facts if field == "params"} == {f"{name} {depth}", f"{name} {depth * 2}"}
    assert not [v for _, field, v in facts if field == "params" and v >= 2e7]


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(("predictor", "decoder", "Predictor")))
def test_a_model_named_over_an_encoder_and_a_partner_column(partner: str) -> None:
    """"encoder | predictor | # params | test-clean": one encoder with two predictors is two models; the predictor
    joins the row's name (both rows were "Transformer 12x", their values in one slot)."""
    words = _row(40, [(35, "encoder"), (150, partner), (240, "# params"), (290, "WER")])
    words += _row(55, [(35, "(3) Transformer 12x"), (150, "LSTM 2x700"), (240, "45.7 M"), (290, "6.08")])
    words += _row(66, [(35, "(6) Transformer 12x"), (150, "Transformer 6x"), (240, "62.3 M"), (290, "7.11")])
    grids = read_grids(words, [Rule(30, 36, 320), Rule(30, 50, 320), Rule(30, 76, 320)], field_of=header_field)
    facts = {(f.model, f.field, f.value) for g in grids for f in grid_facts(g, benchmark="librispeech_test_clean")}
    assert {("(3) Transformer 12x LSTM 2x700", "wer", 6.08), ("(6) Transformer 12x Transformer 6x", "wer", 7.11),
            ("(6) Transformer 12x Transformer 6x", "params", 62.3e6)} <= facts


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(("MNLI(m/mm Acc)", "MNLI (Acc)", "MNLI-m Acc")),
       st.sampled_from((("SQuAD v2.0 (F1/EM)", "squad20"), ("SQuAD v2.0 F1/EM", "squad20"),
                        ("SQuAD v1.1 (F1/EM)", "squad11"))))
def test_a_header_of_several_datasets_each_with_its_metrics(first: str, second: tuple[str, str]) -> None:
    """"Model MNLI(m/mm Acc) SQuAD v2.0 (F1/EM)": each metric is the dataset's printed right before it; the SQuAD
    2.0 F1 was read as the paper's main benchmark's (SQuAD 1.1), the MNLI accuracy as a registry result."""
    header, bench = second
    page = f"Model {first} {header}\nNetL 91.1/91.1 90.7/88.0\nNetXL 91.7/91.9 92.2/89.7\n"
    facts = {(f.model, f.field, f.value, f.benchmark) for f in text_table_facts(page, benchmark="squad11")}
    assert ("NetXL", "f1", 92.2, bench) in facts and ("NetL", "f1", 90.7, bench) in facts
    assert not [f for f in facts if f[1] == "acc"]


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(("(F1/EM)", "F1/EM", "(EM/F1)")), st.floats(80, 95).map(lambda x: round(x, 1)),
       st.floats(60, 79).map(lambda x: round(x, 1)))
def test_the_line_reader_reads_both_values_of_a_pair_of_fields(pair: str, first: float, second: float) -> None:
    """"92.2/89.7" under "F1/EM": the second value went unread (the cell is one value token); it is the field
    printed after the slash. "APtest / APval" (one field twice, two settings) is left alone."""
    text, boxes = _boxed([[(10, "Model"), (120, "SQuAD"), (150, "v1.1"), (170, pair)],
                          [(10, "NetXL"), (172, f"{first}/{second}")]])
    facts = {(f.field, f.value) for f in text_table_facts(text, benchmark="squad11", boxes=boxes)}
    names = [n for n in ("F1", "EM") if n in pair]
    if pair.strip("()").startswith("EM"):
        names.reverse()
    assert {(names[0].lower(), first), (names[1].lower(), second)} <= facts
    ap, ap_boxes = _boxed([[(10, "Model"), (150, "APtest/APval")], [(10, "NetXL"), (152, f"{first}%/{second}%")]])
    assert len([f for f in text_table_facts(ap, benchmark="coco", boxes=ap_boxes) if f.field == "box_ap"]) <= 1
