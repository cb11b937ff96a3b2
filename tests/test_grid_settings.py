"""Each table value under its own model and setting (issue 17): a row that prints one quantity under several
sub-headers gives one slot per setting, never two values in one slot. Synthetic word boxes, as in
``tests/test_grid_labels.py``."""

from __future__ import annotations

import pytest

from flopmine.extract.grid import Rule, Word, build_grid, read_grids
from flopmine.extract.tables import clean_row_label, grid_facts, header_field, input_size
from tests.support.words import table_line as _row


def _facts(words: list[Word], rules: list[Rule]) -> dict[tuple[str, str], list[float]]:
    grids = read_grids(words, rules, field_of=header_field)
    assert len(grids) == 1
    out: dict[tuple[str, str], list[float]] = {}
    for f in grid_facts(grids[0]):
        out.setdefault((f.model, f.field), []).append(f.value)
    return out


def test_one_error_under_two_input_sizes_gives_a_slot_per_size() -> None:
    """"top-1 err (%)" spanning "224×" and "320×", then "#P" and "GFLOPs": each error is the model's at its
    input size; the size-free columns stay under the bare name."""
    words = _row(40, [(112, "top-1 err (%)"), (215, "#P"), (260, "GFLOPs")])
    words += _row(50, [(110, "224×"), (160, "320×")])
    words += _row(66, [(35, "ResNeXt-50"), (110, "22.23"), (160, "21.05"), (215, "25.0M"), (260, "4.24")])
    words += _row(77, [(35, "SKNet-101"), (110, "20.19"), (160, "18.40"), (215, "48.9M"), (260, "8.46")])
    facts = _facts(words, [Rule(30, 36, 300), Rule(30, 60, 300), Rule(30, 88, 300)])
    assert facts[("SKNet-101 (224×)", "top1_err")] == [20.19]
    assert facts[("SKNet-101 (320×)", "top1_err")] == [18.4]
    assert facts[("SKNet-101", "params")] == [48.9e6]
    assert ("SKNet-101", "top1_err") not in facts


def test_val_and_test_dev_columns_keep_the_test_values_under_the_bare_name() -> None:
    """"COCO val" and "COCO test-dev" spanning AP columns: the benchmark is the slot's already, the split is
    the setting; the test split is the headline and keeps the model's bare name."""
    words = _row(40, [(118, "COCO val"), (210, "COCO test-dev")])
    words += _row(50, [(110, "AP"), (145, "AP50"), (200, "AP"), (235, "AP50")])
    words += _row(66, [(35, "DetNet-59"), (110, "40.2"), (145, "61.7"), (200, "40.3"), (235, "62.1")])
    words += _row(77, [(35, "ResNet-50"), (110, "37.9"), (145, "60.1"), (200, "38.0"), (235, "60.4")])
    facts = _facts(words, [Rule(30, 36, 270), Rule(30, 60, 270), Rule(30, 88, 270)])
    assert facts[("DetNet-59 (val)", "box_ap")] == [40.2] and facts[("DetNet-59 (val)", "ap50")] == [61.7]
    assert facts[("DetNet-59", "box_ap")] == [40.3] and facts[("DetNet-59", "ap50")] == [62.1]


def test_single_and_multi_scale_testing_are_two_settings() -> None:
    """"single-scale" / "multi-scale" over AP: one row, two results, two slots."""
    words = _row(40, [(108, "single-scale"), (188, "multi-scale")])
    words += _row(50, [(110, "AP"), (145, "AP50"), (190, "AP"), (225, "AP50")])
    words += _row(66, [(35, "RefineDet512"), (110, "36.4"), (145, "57.5"), (190, "41.8"), (225, "62.9")])
    words += _row(77, [(35, "SSD513"), (110, "31.2"), (145, "50.4"), (190, "33.1"), (225, "53.3")])
    facts = _facts(words, [Rule(30, 36, 260), Rule(30, 60, 260), Rule(30, 88, 260)])
    assert facts[("RefineDet512 (single-scale)", "box_ap")] == [36.4]
    assert facts[("RefineDet512 (multi-scale)", "box_ap")] == [41.8]
    assert facts[("SSD513 (multi-scale)", "ap50")] == [53.3]


def test_columns_of_different_benchmarks_need_no_setting() -> None:
    """"CIFAR-10" and "CIFAR-100" error columns are told apart by their benchmark: the names stay bare."""
    words = _row(40, [(110, "CIFAR-10"), (160, "CIFAR-100"), (215, "Params")])
    words += _row(66, [(35, "WRN-28-10"), (110, "4.00"), (160, "19.25"), (215, "36.5M")])
    words += _row(77, [(35, "ResNet-110"), (110, "6.43"), (160, "25.16"), (215, "1.7M")])
    facts = _facts(words, [Rule(30, 36, 260), Rule(30, 60, 260), Rule(30, 88, 260)])
    assert ("WRN-28-10", "params") in facts
    assert {m for m, _ in facts} == {"WRN-28-10", "ResNet-110"}


def test_a_backbone_column_joins_the_method_in_the_model_name() -> None:
    """A "Backbone" column beside the method: one method on two backbones is two models, each row its own
    ("RefineDet512 VGG-16", "RefineDet512 ResNet-101"), never one slot with both rows' values."""
    words = _row(40, [(35, "Method"), (100, "Backbone"), (170, "AP"), (205, "AP50")])
    words += _row(56, [(35, "SSD513"), (100, "ResNet-101"), (170, "31.2"), (205, "50.4")])
    words += _row(67, [(35, "RefineDet512"), (100, "VGG-16"), (170, "33.0"), (205, "54.5")])
    words += _row(78, [(35, "RefineDet512"), (100, "ResNet-101"), (170, "36.4"), (205, "57.5")])
    facts = _facts(words, [Rule(30, 36, 240), Rule(30, 50, 240), Rule(30, 88, 240)])
    assert facts[("RefineDet512 VGG-16", "box_ap")] == [33.0]
    assert facts[("RefineDet512 ResNet-101", "box_ap")] == [36.4]
    assert facts[("SSD513 ResNet-101", "ap50")] == [50.4]


def test_a_totals_row_is_the_captions_model_and_before_after_headers_are_settings() -> None:
    """A layer-by-layer table ends in an unlabelled row of column sums ("(total)" printed under the numbers):
    that row is the whole model the caption names, not one more row of the last layer; "#parameter before
    pruning" / "#parameter after pruning" are two settings of one count."""
    words = _row(30, [(35, "Table 1: SqueezeNet architectural dimensions.")])
    words += _row(44, [(35, "layer"), (110, "#parameter before pruning"), (230, "#parameter after pruning")])
    words += _row(60, [(35, "conv1"), (110, "14,208"), (230, "14,208")])
    words += _row(71, [(35, "fire2"), (110, "11,920"), (230, "5,746")])
    words += _row(82, [(35, "conv10"), (110, "513,000"), (230, "103,400")])
    words += _row(93, [(110, "539,128"), (230, "123,354")])
    facts = _facts(words, [Rule(30, 40, 350), Rule(30, 55, 350), Rule(30, 104, 350)])
    assert facts[("SqueezeNet (before)", "params")] == [539128.0]
    assert facts[("SqueezeNet (after)", "params")] == [123354.0]
    assert all(v != [539128.0] for (m, _), v in facts.items() if m.startswith("conv10"))


def test_an_unlabelled_row_that_is_no_sum_keeps_the_multirow_label() -> None:
    """A label printed once for two rows (multirow) still names the second row when its numbers are no sums."""
    words = _row(44, [(35, "Model"), (110, "Params"), (170, "Top-1")])
    words += _row(60, [(35, "ResNet-50"), (110, "25.6M"), (170, "76.1")])
    words += _row(71, [(35, "ResNet-101"), (110, "44.5M"), (170, "77.4")])
    words += _row(82, [(110, "44.6M"), (170, "77.9")])
    facts = _facts(words, [Rule(30, 40, 220), Rule(30, 55, 220), Rule(30, 93, 220)])
    assert facts[("ResNet-101", "params")] == [44.5e6, 44.6e6]


def test_a_registry_benchmark_in_a_spanning_header_is_that_benchmark() -> None:
    """"SQuAD 1.1" and "SQuAD 2.0" spanning EM / F1: each value belongs to the benchmark over it. Before, the
    list of other datasets (written before SQuAD 2.0 joined the registry) hid "SQuAD 2.0", and its values fell
    to the paper's benchmark, sharing SQuAD 1.1's slot."""
    words = _row(40, [(110, "SQuAD 1.1"), (190, "SQuAD 2.0")])
    words += _row(50, [(110, "EM"), (145, "F1"), (190, "EM"), (225, "F1")])
    words += _row(66, [(35, "SpanBERT"), (110, "88.8"), (145, "94.6"), (190, "85.7"), (225, "88.7")])
    words += _row(77, [(35, "BERT"), (110, "84.3"), (145, "91.3"), (190, "80.0"), (225, "83.3")])
    grids = read_grids(words, [Rule(30, 36, 260), Rule(30, 60, 260), Rule(30, 88, 260)], field_of=header_field)
    got = {(f.model, f.field, f.benchmark): f.value for f in grid_facts(grids[0], benchmark="squad11")}
    assert got[("SpanBERT", "f1", "squad11")] == 94.6
    assert got[("SpanBERT", "f1", "squad20")] == 88.7
    assert got[("SpanBERT", "em", "squad20")] == 85.7


@pytest.mark.parametrize(("header", "field"), [("APval S", "ap_s"), ("APtest 75", "ap75"), ("APval 50", "ap50"),
                                               ("APval M", "ap_m"), ("APminival L", "ap_l"), ("APval", "box_ap")])
def test_a_split_written_between_ap_and_its_subscript_keeps_the_subscript(header: str, field: str) -> None:
    """"AP^val_S" set as superscript and subscript reads "APval S": still AP on small objects, not AP (and "M"
    is medium objects, not millions). Before, the split word hid the subscript and every column was box AP."""
    hm = header_field(header)
    assert hm is not None and hm.field == field and hm.scale == 1.0


@pytest.mark.parametrize("mark", ["•", "◦", "▪"])
def test_bullets_are_no_part_of_a_row_label(mark: str) -> None:
    """Rows marked "• ConvNeXt-XL" / "◦ Swin-L" (which pre-training data): the bullet tells rows apart in
    print, the model's name is the words."""
    assert clean_row_label(f"{mark} ConvNeXt-XL") == "ConvNeXt-XL"
    assert clean_row_label(f"ConvNeXt-XL{mark}") == "ConvNeXt-XL"


def test_the_distillation_mark_is_a_setting_of_its_own() -> None:
    """"TinyViT-21M⚗ (ours)" (DeiT's alembic: distilled) and "TinyViT-21M (ours)" are two settings of one model;
    dropping the glyph put both rows in one slot, keeping it as a glyph lets no name match it."""
    assert clean_row_label("TinyViT-21M⚗ (ours)") == "TinyViT-21M distill (ours)"
    assert clean_row_label("TinyViT-21M (ours)") == "TinyViT-21M (ours)"


def test_test_and_val_ap_in_one_cell_are_two_settings() -> None:
    """"APtest / APval" over "51.4% / 51.2%" (and "APval" alone in another column): the val result is the
    model's "(val)" setting, the test-dev one keeps the bare name; before, both sat in one slot."""
    words = _row(40, [(35, "Model"), (100, "FLOPs"), (150, "APtest / APval"), (230, "APval 50")])
    words += _row(56, [(35, "YOLOv7"), (100, "104.7G"), (150, "51.4% / 51.2%"), (230, "69.7%")])
    words += _row(67, [(35, "YOLOv7-X"), (100, "189.9G"), (150, "53.1% / 52.9%"), (230, "71.2%")])
    facts = _facts(words, [Rule(30, 36, 270), Rule(30, 50, 270), Rule(30, 78, 270)])
    assert facts[("YOLOv7", "box_ap")] == [51.4]
    assert facts[("YOLOv7 (val)", "box_ap")] == [51.2]
    assert facts[("YOLOv7 (val)", "ap50")] == [69.7]
    assert facts[("YOLOv7", "flops")] == [104.7e9]


def test_a_group_heading_or_caption_naming_the_dev_split_qualifies_its_rows() -> None:
    """"Single models on dev" over some rows, "Single models on test" over others: each row's values are its
    model's result on that split; the dev ones get "(dev)", the test ones keep the bare name. A caption
    "Development set results …" does the same for the whole table; a caption naming dev and test does not."""
    words = _row(100, [(60, "Model"), (200, "EM"), (250, "F1")])
    words += _row(115, [(60, "Single models on dev")])
    words += _row(126, [(60, "RoBERTa"), (200, "88.9"), (250, "94.6")])
    words += _row(137, [(60, "Single models on test")])
    words += _row(148, [(60, "RoBERTa"), (200, "86.8"), (250, "89.8")])
    grid = build_grid(words, (50, 95, 300, 160), field_of=header_field)
    assert grid is not None
    got = {(f.model, f.field): f.value for f in grid_facts(grid)}
    assert got[("RoBERTa (dev)", "em")] == 88.9 and got[("RoBERTa", "em")] == 86.8

    words = _row(100, [(60, "Model"), (200, "EM"), (250, "F1")])
    words += _row(115, [(60, "RoBERTa"), (200, "87.6"), (250, "91.9")])
    words += _row(126, [(60, "XLNet"), (200, "86.8"), (250, "91.4")])
    for caption, model in (("Table 2: Development set results for base models.", "RoBERTa (dev)"),
                           ("Table 7: Results on the COCO minival set.", "RoBERTa (minival)"),
                           ("Table 3: Dev and test F1 on SQuAD.", "RoBERTa"),
                           ("Table 4: Top-1 error on the ImageNet validation set.", "RoBERTa")):
        grid = build_grid(words, (50, 95, 300, 136), caption=caption, field_of=header_field)
        assert grid is not None
        assert {f.model for f in grid_facts(grid)} == {model, model.replace("RoBERTa", "XLNet")}, caption


@pytest.mark.parametrize("header", ["∆ err. (%)", "Δ top-1", "FLOPs Reduced (%)", "Parameters Reduced (%)",
                                    "Top-1 gain", "err. drop", "Top-1 Imp."])
def test_a_column_of_changes_names_no_field(header: str) -> None:
    """"∆ err. (%)" beside "Cls err. (%)", "FLOPs Reduced (%)" beside "FLOPs": the numbers are differences or
    shares; read as the quantity they put a wrong value in the model's slot."""
    assert header_field(header) is None
    assert header_field(header.replace("∆ ", "").replace("Δ ", "").replace(" Reduced", "").replace(" gain", "")
                        .replace(" drop", "").replace(" Imp.", "")) is not None


def test_a_split_qualifies_metrics_only() -> None:
    """A caption "… on the COCO minival set" over "#parameters" and "mAP": the mAP is the minival result, the
    parameter count is the model's on every split and keeps the row's name (a name grown by a setting the gold
    name lacks matches it less well)."""
    words = _row(100, [(60, "Model"), (200, "mAP (%)"), (250, "#parameters")])
    words += _row(115, [(60, "SSD 300"), (200, "20.7%"), (250, "7.4M")])
    words += _row(126, [(60, "SSD 512"), (200, "22.1%"), (250, "8.1M")])
    grid = build_grid(words, (50, 95, 300, 136), caption="Table 5: Accuracies on MS COCO minival2014.",
                      field_of=header_field)
    assert grid is not None
    got = {(f.model, f.field): f.value for f in grid_facts(grid)}
    assert got[("SSD 300 (minival)", "box_ap")] == 20.7 and got[("SSD 300", "params")] == 7.4e6


def test_an_input_size_column_makes_each_size_a_setting_of_the_model() -> None:
    """An "image size" column printing 224² and 384² (the text layer glues the ² on: "2242", "3842"): one model
    at two sizes is two results, "ConvNeXt-B (224)" and "ConvNeXt-B (384)", never one slot with both FLOPs;
    a row at a size of its own still carries it, as the table tells its models apart by it."""
    words = _row(40, [(35, "model"), (100, "image size"), (160, "#param."), (205, "FLOPs"), (250, "top-1 acc.")])
    words += _row(56, [(35, "Swin-T"), (100, "2242"), (160, "28M"), (205, "4.5G"), (250, "81.3")])
    words += _row(67, [(35, "ConvNeXt-B"), (100, "2242"), (160, "89M"), (205, "15.4G"), (250, "83.8")])
    words += _row(78, [(35, "ConvNeXt-B"), (100, "3842"), (160, "89M"), (205, "45.0G"), (250, "85.1")])
    facts = _facts(words, [Rule(30, 36, 290), Rule(30, 50, 290), Rule(30, 88, 290)])
    assert facts[("ConvNeXt-B (224)", "flops")] == [15.4e9]
    assert facts[("ConvNeXt-B (384)", "flops")] == [45.0e9]
    assert facts[("ConvNeXt-B (384)", "top1_acc")] == [85.1]
    assert facts[("Swin-T (224)", "params")] == [28e6]
    assert not any(m.startswith("ConvNeXt-B 2242") or m == "ConvNeXt-B" for m, _ in facts)


def test_one_input_size_for_every_row_leaves_the_names_bare() -> None:
    """A "Size" column at 640 on every row tells no model apart: the names stay as printed."""
    words = _row(40, [(35, "Model"), (100, "Size"), (160, "#Param."), (205, "FLOPs"), (250, "AP")])
    words += _row(56, [(35, "YOLOv7"), (100, "640"), (160, "36.9M"), (205, "104.7G"), (250, "51.4")])
    words += _row(67, [(35, "YOLOv7-X"), (100, "640"), (160, "71.3M"), (205, "189.9G"), (250, "53.1")])
    facts = _facts(words, [Rule(30, 36, 290), Rule(30, 50, 290), Rule(30, 77, 290)])
    assert facts[("YOLOv7", "flops")] == [104.7e9] and facts[("YOLOv7-X", "flops")] == [189.9e9]


@pytest.mark.parametrize(("cell", "size"), [("384²", "384"), ("2242", "224"), ("6002", "600"), ("512×512", "512"),
                                            ("512x512", "512"), ("↑512", "512"), ("1280", "1280"), ("320", "320"),
                                            ("1333×800", "1333×800"), ("-", ""), ("auto", ""), ("1.0", "")])
def test_input_size_cells_read_as_the_side_of_the_input(cell: str, size: str) -> None:
    assert input_size(cell) == size


def test_cifar_columns_headed_by_their_abbreviation_are_the_benchmarks_error() -> None:
    """"C-10" and "C-100" (or "C10+", "C100+") over error rates: each column is its CIFAR benchmark's error,
    as "CIFAR-10" would be; the short forms are matched only as a whole header, never in running text."""
    words = _row(40, [(35, "Model"), (120, "Params"), (170, "C-10"), (220, "C100+")])
    words += _row(56, [(35, "CondenseNet-182"), (120, "4.2M"), (170, "3.76"), (220, "18.47")])
    words += _row(67, [(35, "DenseNet-190"), (120, "25.6M"), (170, "3.46"), (220, "17.18")])
    grids = read_grids(words, [Rule(30, 36, 260), Rule(30, 50, 260), Rule(30, 77, 260)], field_of=header_field)
    facts = {(f.model, f.field, f.benchmark): f.value for f in grid_facts(grids[0])}
    assert facts[("CondenseNet-182", "err", "cifar10")] == 3.76
    assert facts[("CondenseNet-182", "err", "cifar100")] == 18.47


@pytest.mark.parametrize("head", ["Architecture", "model", "Arch."])
def test_an_architecture_column_beside_the_method_joins_its_name(head: str) -> None:
    """Self-supervised and detection papers list the method in the first column and the network it trains in
    the next ("Method | Architecture | Param. | Top-1", "framework | model | params | acc."): "BYOL (ours)" on
    "ResNet-50 (4×)" and on "ResNet-200 (2×)" are two models, never one slot holding both rows' values."""
    words = _row(40, [(35, "Method"), (100, head), (170, "Param."), (205, "Top-1")])
    words += _row(56, [(35, "SimCLR [8]"), (100, "ResNet-50 (4×)"), (170, "375M"), (205, "76.5")])
    words += _row(67, [(35, "BYOL (ours)"), (100, "ResNet-50 (4×)"), (170, "375M"), (205, "78.6")])
    words += _row(78, [(35, "BYOL (ours)"), (100, "ResNet-200 (2×)"), (170, "250M"), (205, "79.6")])
    facts = _facts(words, [Rule(30, 36, 240), Rule(30, 50, 240), Rule(30, 88, 240)])
    assert facts[("BYOL (ours) ResNet-50 (4×)", "top1_acc")] == [78.6]
    assert facts[("BYOL (ours) ResNet-200 (2×)", "params")] == [250e6]
    assert facts[("SimCLR [8] ResNet-50 (4×)", "top1_acc")] == [76.5]
    assert ("BYOL (ours)", "top1_acc") not in facts


def test_models_in_a_name_column_of_dataset_rows_stay_the_cells_model() -> None:
    """Rows labelled by a dataset with the models in cells ("CIFAR-10 | NASNet-A 98.0% | EfficientNet-B0
    98.1%"): the name column left of a value is its model, not an addition to the dataset's name."""
    words = _row(40, [(35, "Dataset"), (100, "Model"), (160, "Acc."), (200, "Our Model"), (270, "Acc.")])
    words += _row(56, [(35, "CIFAR-10"), (100, "NASNet-A"), (160, "98.0%"), (200, "EfficientNet-B0"), (270, "98.1%")])
    words += _row(67, [(35, "CIFAR-100"), (100, "NASNet-A"), (160, "87.5%"), (200, "EfficientNet-B0"), (270, "88.1%")])
    grids = read_grids(words, [Rule(30, 36, 300), Rule(30, 50, 300), Rule(30, 77, 300)], field_of=header_field)
    models = {f.model for f in grid_facts(grids[0])}
    assert models == {"NASNet-A", "EfficientNet-B0"}


def _words(y: float, boxes: list[tuple[float, float, str]]) -> list[Word]:
    return [Word(text, x0, y, x1, y + 7.0) for x0, x1, text in boxes]


def test_a_size_centred_over_sub_headers_set_close_together_spans_them_all() -> None:
    """"224×224" centred over "top-1 err top-5 err", the sub-headers so close that they read as one phrase: the
    size heads both columns, so both of the row's 224 values are its 224 result and the 320 values its 320
    one, never a top-5 error at 224 in the bare model's slot beside the 320 one."""
    words = _words(40, [(165.8, 195.9, "224×224"), (215.4, 245.4, "320×320"), (247.5, 249.8, "/"),
                        (252.0, 281.9, "299×299")])
    words += _words(52, [(151.1, 167.0, "top-1"), (170.0, 178.7, "err"), (183.1, 199.4, "top-5"), (202.0, 210.7, "err"),
                         (215.2, 231.0, "top-1"), (234.1, 242.7, "err"), (251.0, 267.2, "top-5"), (269.9, 278.5, "err")])
    words += _words(64, [(54.4, 96.8, "ResNet-200"), (157.2, 172.2, "21.7"), (191.5, 202.0, "5.8"),
                         (221.3, 235.8, "20.1"), (259.2, 269.8, "4.8")])
    words += _words(76, [(54.4, 98.1, "ResNeXt-101"), (157.2, 172.4, "20.4"), (191.6, 202.2, "5.3"),
                         (221.3, 235.8, "19.1"), (259.2, 269.8, "4.4")])
    facts = _facts(words, [Rule(50, 36, 290), Rule(50, 60, 290), Rule(50, 86, 290)])
    assert facts[("ResNeXt-101 (224×224)", "top5_err")] == [5.3]
    assert facts[("ResNeXt-101 (320×320 / 299×299)", "top5_err")] == [4.4]
    assert ("ResNeXt-101", "top5_err") not in facts


def test_group_headings_that_tell_one_models_rows_apart_are_settings() -> None:
    """"ImageNet-1K trained models" and "ImageNet-22K pre-trained models" over the same model: the heading is
    the setting of each row below it (two results, two slots), and then of every row under it."""
    words = _row(40, [(35, "Model"), (130, "#param."), (180, "FLOPs"), (230, "Top-1")])
    words += _row(56, [(35, "ImageNet-1K trained models")])
    words += _row(67, [(35, "ConvNeXt-T"), (130, "29M"), (180, "4.5G"), (230, "82.1")])
    words += _row(78, [(35, "ResNet-50"), (130, "26M"), (180, "4.1G"), (230, "79.3")])
    words += _row(89, [(35, "ImageNet-22K pre-trained models")])
    words += _row(100, [(35, "ConvNeXt-T"), (130, "29M"), (180, "4.5G"), (230, "82.9")])
    words += _row(111, [(35, "ConvNeXt-XL"), (130, "350M"), (180, "60.9G"), (230, "87.0")])
    facts = _facts(words, [Rule(30, 36, 260), Rule(30, 50, 260), Rule(30, 120, 260)])
    assert facts[("ConvNeXt-T (ImageNet-1K trained)", "top1_acc")] == [82.1]
    assert facts[("ConvNeXt-T (ImageNet-22K pre-trained)", "top1_acc")] == [82.9]
    assert facts[("ResNet-50 (ImageNet-1K trained)", "top1_acc")] == [79.3]
    assert facts[("ConvNeXt-XL (ImageNet-22K pre-trained)", "params")] == [350e6]
    assert ("ConvNeXt-T", "top1_acc") not in facts
    # headings that tell no model's rows apart (a backbone family over its variants) leave the names bare
    words = _row(40, [(35, "Model"), (130, "#param."), (180, "FLOPs"), (230, "Top-1")])
    words += _row(56, [(35, "ConvNets")])
    words += _row(67, [(35, "ResNet-50"), (130, "26M"), (180, "4.1G"), (230, "79.3")])
    words += _row(78, [(35, "Transformers")])
    words += _row(89, [(35, "ViT-B/16"), (130, "86M"), (180, "17.6G"), (230, "81.8")])
    facts = _facts(words, [Rule(30, 36, 260), Rule(30, 50, 260), Rule(30, 98, 260)])
    assert facts[("ResNet-50", "top1_acc")] == [79.3] and facts[("ViT-B/16", "top1_acc")] == [81.8]


def test_a_lowercase_heading_ending_in_a_colon_starts_a_group_and_tells_rows_apart() -> None:
    """"linear probing:" over some rows and "end-to-end fine-tuning:" over others (lowercase, so it looked like
    the last label's continuation): the second heading starts its own group, and a model under both headings
    gets each heading as its setting."""
    words = _row(40, [(35, "framework"), (100, "model"), (160, "params"), (210, "acc.")])
    words += _row(56, [(35, "linear probing:")])
    words += _row(67, [(35, "MoCo v3"), (100, "ViT-L"), (160, "304M"), (210, "77.6")])
    words += _row(78, [(35, "end-to-end fine-tuning:")])
    words += _row(89, [(35, "MoCo v3"), (100, "ViT-L"), (160, "304M"), (210, "84.1")])
    facts = _facts(words, [Rule(30, 36, 240), Rule(30, 50, 240), Rule(30, 98, 240)])
    assert facts[("MoCo v3 ViT-L (linear probing)", "acc")] == [77.6]
    assert facts[("MoCo v3 ViT-L (end-to-end fine-tuning)", "acc")] == [84.1]
    assert not any(m.startswith("MoCo v3 end-to-end") for m, _ in facts)
