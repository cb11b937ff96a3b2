"""The grid reader's labels, headers and attribution (issue 17): each test draws one writing habit of typeset
tables as synthetic word boxes (and rules) and checks the cell's field and the model it is tied to.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flopmine.extract.grid import Rule, Word, build_grid, read_grids
from flopmine.extract.tables import grid_facts, header_field, text_table_facts
from tests.support.words import CHAR_W
from tests.support.words import table_line as _row


def _facts(grid) -> dict[tuple[str, str], float]:  # noqa: ANN001
    return {(f.model, f.field): f.value for f in grid_facts(grid)}


def _coco_words() -> tuple[list[Word], list[Rule]]:
    """A COCO results table as detection papers print it: AP at IoU thresholds and per object size as bare
    sub-headers ("0.5:0.95 0.5 0.75", "S M L") under spanning "Avg. Precision" headers, above the midrule."""
    words = _row(40, [(119, "Avg. Precision, IoU:"), (259, "Avg. Precision, Area:")])
    words += _row(46, [(35, "Method")])
    words += _row(52, [(110, "0.5:0.95"), (155, "0.5"), (200, "0.75"), (250, "S"), (295, "M"), (340, "L")])
    words += _row(66, [(35, "SSD300"), (110, "23.2"), (155, "41.2"), (200, "23.4"), (250, "5.3"), (295, "23.2"),
                       (340, "39.6")])
    words += _row(77, [(35, "SSD512"), (110, "26.8"), (155, "46.5"), (200, "27.8"), (250, "9.0"), (295, "28.9"),
                       (340, "41.9")])
    rules = [Rule(30, 36, 370), Rule(30, 62, 370), Rule(30, 88, 370)]
    return words, rules


def test_coco_iou_and_size_subheaders_under_a_spanning_ap_header() -> None:
    words, rules = _coco_words()
    grids = read_grids(words, rules, field_of=header_field)
    assert len(grids) == 1
    facts = _facts(grids[0])
    assert facts[("SSD512", "box_ap")] == 26.8 and facts[("SSD512", "ap50")] == 46.5
    assert facts[("SSD512", "ap75")] == 27.8
    assert (facts[("SSD512", "ap_s")], facts[("SSD512", "ap_m")], facts[("SSD512", "ap_l")]) == (9.0, 28.9, 41.9)
    assert [r.label for r in grids[0].rows] == ["SSD300", "SSD512"]  # the sub-header line is no data row


def test_recall_subheaders_are_not_ap() -> None:
    """"Avg. Recall, #Dets:" over "1 10 100": numbers under a recall header name no AP field."""
    words = _row(40, [(119, "Avg. Recall, #Dets:")])
    words += _row(52, [(110, "1"), (155, "10"), (200, "100")])
    words += _row(66, [(35, "SSD300"), (110, "22.5"), (155, "33.2"), (200, "35.3")])
    words += _row(77, [(35, "SSD512"), (110, "24.8"), (155, "37.5"), (200, "39.8")])
    grids = read_grids(words, [Rule(30, 36, 230), Rule(30, 62, 230), Rule(30, 88, 230)], field_of=header_field)
    assert grids and grid_facts(grids[0]) == []


def test_short_header_centred_over_two_columns_spans_both_and_names_the_backbone() -> None:
    """"APbox" centred over "ViT-B ViT-L" (no \\cmidrule) spans both, not the text column to their left; the
    backbone in the column header joins the row's method: "MAE ViT-L"."""
    words = _row(57, [(177.5, "APbox"), (255, "APmask")])
    words += _row(68, [(40, "method"), (80, "pre-train data"), (160, "ViT-B"), (195, "ViT-L"), (240, "ViT-B"),
                       (275, "ViT-L")])
    words += _row(79, [(40, "BEiT"), (80, "IN1K+DALLE"), (162, "49.8"), (197, "53.3"), (242, "44.4"),
                       (277, "47.1")])
    words += _row(90, [(40, "MAE"), (80, "IN1K"), (162, "50.3"), (197, "53.3"), (242, "44.9"), (277, "47.2")])
    grid = build_grid(words, (35, 50, 305, 100), field_of=header_field, ruled=True,
                      rules=[Rule(35, 50, 305), Rule(35, 76, 305), Rule(35, 100, 305)])
    assert grid is not None
    assert [grid.header(i) for i in range(len(grid.headers))] == ["pre-train data", "APbox ViT-B", "APbox ViT-L",
                                                                   "APmask ViT-B", "APmask ViT-L"]
    facts = _facts(grid)
    assert facts[("MAE ViT-L", "box_ap")] == 53.3 and facts[("MAE ViT-B", "mask_ap")] == 44.9
    assert ("MAE", "box_ap") not in facts


def test_transposed_size_columns_take_the_family_from_the_caption() -> None:
    """Models as columns headed by a width alone ("0.5× … 2×"): the caption names the family."""
    words = _row(100, [(60, "Layer"), (200, "0.5×"), (250, "1×"), (300, "1.5×"), (350, "2×")])
    words += _row(115, [(60, "FLOPs"), (200, "41M"), (250, "146M"), (300, "299M"), (350, "591M")])
    words += _row(126, [(60, "# of Weights"), (200, "1.4M"), (250, "2.3M"), (300, "3.5M"), (350, "7.4M")])
    caption = "Table 5: Overall architecture of ShuffleNet v2 on ImageNet."
    grid = build_grid(words, (50, 95, 400, 140), caption=caption, field_of=header_field)
    assert grid is not None
    facts = _facts(grid)
    assert facts[("ShuffleNet v2 2×", "params")] == pytest.approx(7.4e6)
    assert facts[("ShuffleNet v2 0.5×", "flops")] == pytest.approx(41e6)


def test_transposed_columns_that_name_models_stay_as_they_are() -> None:
    words = _row(100, [(60, "Hyper-parameter"), (200, "DeBERTa1.5B"), (280, "DeBERTalarge")])
    words += _row(115, [(60, "Params"), (200, "1.5B"), (280, "400M")])
    words += _row(126, [(60, "Training epochs"), (200, "10"), (280, "10")])
    grid = build_grid(words, (50, 95, 400, 140), caption="Table 8: Hyper-parameters of DeBERTa.",
                      field_of=header_field)
    assert grid is not None
    assert _facts(grid)[("DeBERTa1.5B", "params")] == pytest.approx(1.5e9)


def test_short_numbers_left_of_the_fields_name_a_model_only_under_a_repeated_label() -> None:
    """"V3-Large | 1.0 | 75.2": a width multiplier tells two rows of one label apart; a row of settings
    ("6 512 2048 0.1") or a speed under "FPS" is no part of a unique label's model."""
    words = _row(100, [(60, "Network"), (130, "Width"), (190, "Top-1"), (250, "Params")])
    words += _row(115, [(60, "V3-Large"), (130, "1.0"), (190, "75.2"), (250, "5.4M")])
    words += _row(126, [(60, "V3-Large"), (130, "0.75"), (190, "73.3"), (250, "4.0M")])
    words += _row(137, [(60, "V3-Small"), (130, "1.0"), (190, "67.4"), (250, "2.5M")])
    grid = build_grid(words, (50, 95, 300, 150), field_of=header_field)
    assert grid is not None
    facts = _facts(grid)
    assert facts[("V3-Large 0.75", "params")] == pytest.approx(4.0e6) and facts[("V3-Small", "top1_acc")] == 67.4

    words = _row(100, [(60, "Method"), (130, "FPS"), (190, "AP")])
    words += _row(115, [(60, "YOLOv3 @608"), (130, "45.5"), (190, "42.4")])
    words += _row(126, [(60, "YOLOv3 @800"), (130, "29.4"), (190, "43.9")])
    grid = build_grid(words, (50, 95, 300, 140), field_of=header_field)
    assert grid is not None and _facts(grid)[("YOLOv3 @800", "box_ap")] == 43.9

    words = _row(100, [(60, "model"), (110, "N"), (140, "dff"), (170, "Pdrop"), (210, "BLEU"), (250, "params")])
    words += _row(115, [(60, "base"), (110, "6"), (140, "2048"), (170, "0.1"), (210, "25.8"), (250, "65")])
    words += _row(126, [(60, "big"), (110, "6"), (140, "4096"), (170, "0.3"), (210, "26.4"), (250, "213")])
    grid = build_grid(words, (50, 95, 300, 140), field_of=header_field)
    assert grid is not None and _facts(grid)[("big", "params")] == pytest.approx(213e6)


def test_rule_segments_between_vertical_rules_are_one_rule() -> None:
    """A table with vertical rules draws each horizontal line as segments between them, each shorter than a
    table rule on its own; collinear segments a vertical rule's width apart are one rule."""
    from flopmine.extract.pdf import horizontal_rules

    segments = [(54.5, 700.0, 90.0, 700.4), (91.5, 700.0, 125.0, 700.4), (126.4, 700.0, 160.0, 700.4),
                (200.0, 600.0, 230.0, 600.4)]  # three cells of one line; a short rule alone elsewhere
    assert horizontal_rules(segments, 792.0) == [(54.5, 91.8, 160.0)]


def _fully_ruled(label_lines: list[tuple[float, str]], rows: list[tuple[float, list[str]]]) -> list[Word]:
    words = _row(100, [(140, "Librispeech")])
    words += _row(109, [(60, "Models"), (130, "test-"), (175, "dev-")])
    words += _row(118, [(130, "clean"), (175, "clean")])
    for y, text in label_lines:
        words += _row(y, [(62, text)])
    for y, (a, b) in [(y, vals) for y, vals in rows]:
        words += _row(y, [(132, a), (177, b)])
    return words


def test_fully_ruled_rows_keep_their_wrapped_labels() -> None:
    """A rule under every row: the label lines above and below a row's values, inside its rules, are its label,
    joined at hyphens ("CNN-" / "pFSMN-" / "Chain"); a header word wrapped at a hyphen is one word
    ("test-" / "clean": LibriSpeech test-clean); a "+" row names the model it adds to."""
    words = _fully_ruled([(131, "TDNN [24]"), (143, "CNN-"), (154, "pFSMN-"), (165, "Chain"), (178, "+RNNLM")],
                         [(131, ["4.17", "3.87"]), (154, ["3.62", "3.28"]), (178, ["2.97", "2.56"])])
    rules = [Rule(55, 97, 205), Rule(55, 127, 205), Rule(55, 140, 205), Rule(55, 174, 205), Rule(55, 188, 205)]
    grids = read_grids(words, rules, field_of=header_field)
    assert len(grids) == 1
    g = grids[0]
    assert [r.label for r in g.rows] == ["TDNN [24]", "CNN-pFSMN-Chain", "+RNNLM"]
    assert g.headers[0] == ("Librispeech", "test-clean")
    facts = {(f.model, f.benchmark, f.field): f.value for f in grid_facts(g)}
    assert facts[("CNN-pFSMN-Chain", "librispeech_test_clean", "wer")] == 3.62
    assert facts[("CNN-pFSMN-Chain +RNNLM", "librispeech_test_clean", "wer")] == 2.97


def test_text_cells_after_the_values_keep_a_row_in_its_table() -> None:
    """A row with text columns after its first value ("637M  FLD-900M  merged data  ✓  62.4") is a table row,
    not running text: the rows under it stay in the table."""
    words = _row(100, [(60, "model"), (150, "#param."), (200, "data"), (320, "tta?"), (360, "APbox")])
    words += _row(112, [(60, "GLIP [58]"), (150, "284M"), (200, "IN-21K"), (322, "✓"), (362, "60.8")])
    words += _row(123, [(60, "GLIPv2 [127]"), (150, "637M"), (200, "FLD-900M"), (250, "merged data"), (322, "✓"),
                        (362, "62.4")])
    words += _row(134, [(60, "EVA"), (150, "1074M"), (200, "merged-30M"), (322, "✗"), (362, "64.2")])
    grid = build_grid(words, (50, 95, 400, 145), field_of=header_field)
    assert grid is not None and [r.label for r in grid.rows][-1] == "EVA"
    assert _facts(grid)[("EVA", "box_ap")] == 64.2


def test_rows_without_labels_are_settings_of_the_captions_model() -> None:
    """No label column: each row is a setting of the model the caption names, told apart by its numbers."""
    words = _row(100, [(60, "Models"), (110, "Crops"), (160, "Top-5 error")])
    words += _row(112, [(60, "1"), (110, "1"), (160, "10.07%")])
    words += _row(123, [(60, "1"), (110, "144"), (160, "7.89%")])
    words += _row(134, [(60, "7"), (110, "144"), (160, "6.67%")])
    grid = build_grid(words, (50, 95, 220, 145), caption="Table 3: GoogLeNet classification performance.",
                      field_of=header_field)
    assert grid is not None
    facts = _facts(grid)
    assert facts[("GoogLeNet 1 1", "top5_err")] == 10.07 and facts[("GoogLeNet 7 144", "top5_err")] == 6.67


def _page_from_lines(lines: list[tuple[float, list[tuple[float, str]]]], grids: list) -> object:  # noqa: ANN001
    """A ``Page`` whose text is the given lines (cells at x, one box per character) and whose tables are the
    given grids (as the grid reader would attach them)."""
    from flopmine.extract.document import Page, Table

    text, boxes = "", []
    for y, cells in lines:
        for k, (x, cell) in enumerate(cells):
            if k:
                text += " "
                boxes.append(None)
            for n, ch in enumerate(cell):
                text += ch
                boxes.append(None if ch == " " else (x + n * CHAR_W, y, x + (n + 1) * CHAR_W, y + 7.0))
        text += "\n"
        boxes.append(None)
    tables = tuple(Table(page=1, rows=g.to_rows(), bbox=g.bbox, caption=g.caption, grid=g) for g in grids)
    return Page(number=1, text=text, width=612, height=792, char_boxes=tuple(boxes), tables=tables)


def test_text_fallback_reads_a_value_its_own_grid_missed_though_another_table_has_it() -> None:
    """Two tables on one page print the same AP; the grid of the first missed the row that holds it. The
    line reader's value in the first table is kept: another table's cell does not place it."""
    from flopmine.extract.document import Document
    from flopmine.extract.grid import Cell, Grid, GridRow
    from flopmine.extract.rules.paper import collect

    lines = [(100, [(60, "Model"), (200, "AP")]), (112, [(60, "GLIP-L"), (200, "60.8")]),
             (123, [(60, "EVA-G"), (200, "64.2")]),
             (300, [(60, "Detector"), (200, "AP")]), (312, [(60, "DINO-L"), (200, "64.2")]),
             (323, [(60, "Mask-DINO"), (200, "54.5")])]
    first = Grid((50, 95, 260, 132), (("AP",),), (GridRow("GLIP-L", (Cell("60.8", (200, 112, 218, 119)),),
                                                          "GLIP-L 60.8"),), header_text="Model AP")
    second = Grid((50, 295, 260, 332), (("AP",),),
                  (GridRow("DINO-L", (Cell("64.2", (200, 312, 218, 319)),), "DINO-L 64.2"),
                   GridRow("Mask-DINO", (Cell("54.5", (200, 323, 218, 330)),), "Mask-DINO 54.5")),
                  header_text="Detector AP")
    page = _page_from_lines(lines, [first, second])
    doc = Document(arxiv_id="2101.00001", version=1, pages=(page,), benchmarks=("coco",))
    got = {(c.model, c.field, c.value) for c, _, _ in collect(doc) if c.rule.startswith("table.")}
    assert ("DINO-L", "box_ap", 64.2) in got and ("EVA-G", "box_ap", 64.2) in got


def test_a_header_wrapped_over_two_lines_names_its_field_as_a_whole() -> None:
    """"Top-5" over "Error" in a narrow column: the top-5 error, not a generic error."""
    words = _row(100, [(120, "Top-1"), (170, "Top-5")])
    words += _row(109, [(60, "Network"), (120, "Error"), (170, "Error")])
    words += _row(121, [(60, "BN-Inception"), (120, "20.1%"), (170, "4.9%")])
    words += _row(132, [(60, "Inception-v3"), (120, "17.2%"), (170, "3.46%")])
    grid = build_grid(words, (50, 95, 220, 140), field_of=header_field)
    assert grid is not None
    facts = _facts(grid)
    assert facts[("Inception-v3", "top1_err")] == 17.2 and facts[("Inception-v3", "top5_err")] == 3.46


def test_mask_ap_where_the_table_says_so_without_the_word_mask() -> None:
    """"APm" beside "APm50 APm75" is mask AP (AP^m), not AP on medium objects; a segmentation table's "mAP" is
    mask AP, and its "mAP@.5" no box AP50."""
    words = _row(100, [(60, "Backbone"), (120, "AP"), (150, "AP50"), (180, "APm"), (210, "APm50"), (240, "APm75")])
    words += _row(112, [(60, "Swin-T"), (120, "50.4"), (150, "69.2"), (180, "43.7"), (210, "66.6"), (240, "47.3")])
    words += _row(123, [(60, "MaxViT-B"), (120, "53.4"), (150, "72.9"), (180, "45.7"), (210, "70.3"), (240, "50.0")])
    grid = build_grid(words, (50, 95, 280, 135), caption="Table 4: Object detection and instance segmentation.",
                      field_of=header_field)
    assert grid is not None
    got = {(f.model, f.field, f.value) for f in grid_facts(grid)}
    assert ("MaxViT-B", "mask_ap", 45.7) in got and ("MaxViT-B", "box_ap", 53.4) in got
    assert not any(f == "ap_m" or v in (70.3, 50.0) for _, f, v in got)

    words = _row(100, [(60, "network"), (140, "mAP@[.5:.95] (%)"), (240, "mAP@.5 (%)")])
    words += _row(112, [(60, "VGG-16"), (140, "19.5"), (240, "39.7")])
    words += _row(123, [(60, "ResNet-101"), (140, "24.6"), (240, "44.3")])
    grid = build_grid(words, (50, 95, 300, 135), caption="Table 5: Our segmentation result on COCO test-dev.",
                      field_of=header_field)
    assert grid is not None
    assert {(f.model, f.field, f.value) for f in grid_facts(grid)} == {("VGG-16", "mask_ap", 19.5),
                                                                       ("ResNet-101", "mask_ap", 24.6)}


def test_arrow_cells_and_a_label_centred_across_its_rows() -> None:
    """Cells of step-by-step gains set without spaces ("56.4M→62.8M") are values, the last step kept; a label
    set once between its two rows (\\multirow), with the columns it spans, names both rows."""
    words = _row(75, [(60, "backbone"), (120, "test set"), (180, "mAP"), (260, "params")])
    words += _row(88, [(120, "minival"), (160, "36.8→38.1→38.8")])
    words += _row(94, [(60, "FPN [37]"), (240, "56.4M→62.4M→62.8M")])
    words += _row(100, [(120, "test-dev"), (160, "37.2→38.3→38.9")])
    words += _row(113, [(120, "minival"), (160, "37.5→38.1→38.5")])
    words += _row(119, [(60, "DCN [11]"), (240, "60.5M→66.5M→66.8M")])
    words += _row(125, [(120, "test-dev"), (160, "38.1→38.8→39.0")])
    grid = build_grid(words, (50, 70, 330, 135), field_of=header_field)
    assert grid is not None
    facts = _facts(grid)
    assert facts[("DCN [11]", "params")] == pytest.approx(66.8e6)
    assert facts[("DCN [11] test-dev", "box_ap")] == 39.0 and facts[("FPN [37] minival", "box_ap")] == 38.8


def test_a_wide_heading_under_the_midrule_is_a_group_not_a_header() -> None:
    """A group heading set across the table right under the midrule (the title of the paper a group of rows comes
    from) is no header line; a heading that long is a title, not part of the rows' model name."""
    words = _row(100, [(60, "Method"), (140, "Size"), (190, "AP"), (240, "AP50")])
    words += _row(115, [(120, "YOLOv4: Optimal Speed and Accuracy of Object Detection")])
    words += _row(126, [(60, "YOLOv4"), (140, "512"), (190, "43.0%"), (240, "64.9%")])
    words += _row(137, [(60, "YOLOv4"), (140, "608"), (190, "43.5%"), (240, "65.7%")])
    rules = [Rule(55, 96, 400), Rule(55, 110, 400), Rule(55, 147, 400)]
    grids = read_grids(words, rules, field_of=header_field)
    assert len(grids) == 1 and [grids[0].header(i) for i in range(len(grids[0].headers))] == ["Size", "AP", "AP50"]
    facts = _facts(grids[0])
    assert facts[("YOLOv4 (608)", "box_ap")] == 43.5 and facts[("YOLOv4 (512)", "ap50")] == 64.9  # the Size column: a setting


def test_a_tall_header_keeps_the_short_headers_on_its_middle_line_to_their_columns() -> None:
    """A three-line header ("image" / "size", "throughput" / "(image / s)") with "#param." and "FLOPs" set on its
    middle line, close together: each is its own column's header, not a spanning one over the sub-headed columns."""
    words = _row(73, [(128, "image"), (211, "throughput"), (259, "IN-1K")])
    words += _row(79, [(51, "model"), (151, "#param."), (186, "FLOPs")])
    words += _row(85, [(132, "size"), (212, "(image / s)"), (259, "top-1 acc.")])
    words += _row(110, [(57, "RegNetY-16G"), (130, "2242"), (158, "84M"), (186, "16.0G"), (221, "334.7"),
                        (263, "82.9")])
    words += _row(121, [(57, "ConvNeXt-T"), (130, "2242"), (158, "29M"), (186, "4.5G"), (221, "774.7"),
                        (263, "82.1")])
    grid = build_grid(words, (49, 70, 300, 130), field_of=header_field, ruled=True,
                      rules=[Rule(49, 70, 300), Rule(49, 95, 300), Rule(49, 130, 300)])
    assert grid is not None
    assert grid.headers[1] == ("#param.",) and grid.headers[2] == ("FLOPs",)
    facts = _facts(grid)
    assert facts[("ConvNeXt-T", "params")] == pytest.approx(29e6) and facts[("ConvNeXt-T", "flops")] == 4.5e9


def test_check_marks_after_a_label_are_no_part_of_it() -> None:
    """A check-mark table: "M" and "B" columns of ✓ (some fonts' text layer spells the glyph "X") between the
    label and the values; a row of check marks only is a variant of the model named above it."""
    words = _row(100, [(60, "method"), (190, "M"), (210, "B"), (240, "AP"), (280, "AP50")])
    words += _row(112, [(60, "R-FCN Aligned-Inception"), (240, "34.5"), (280, "55.0")])
    words += _row(123, [(190, "X"), (240, "35.5"), (280, "55.6")])
    words += _row(134, [(190, "✓"), (210, "✓"), (240, "37.5"), (280, "58.0")])
    grid = build_grid(words, (50, 95, 320, 145), field_of=header_field)
    assert grid is not None
    got = {(f.model, f.field, f.value) for f in grid_facts(grid)}
    assert ("R-FCN Aligned-Inception", "ap50", 58.0) in got and ("R-FCN Aligned-Inception", "box_ap", 35.5) in got


def test_a_sideways_group_label_does_not_merge_the_rows_it_spans(tmp_path) -> None:  # noqa: ANN001
    """A group label rotated down the table's left side (\\rotatebox{90}) spans several rows; its glyphs are
    set aside (``Page.sideways``) so that each row keeps its own line."""
    import io

    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    from flopmine.extract.pdf import read_document

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, invariant=1)
    h = letter[1]
    c.setFont("Times-Roman", 9)
    c.drawString(72, h - 80, "Table 4: Comparison on ImageNet.")
    c.line(72, h - 92, 400, h - 92)
    for x, text in [(100, "Model"), (250, "Top-1 (%)"), (320, "#Params (M)")]:
        c.drawString(x, h - 102, text)
    c.line(72, h - 106, 400, h - 106)
    rows = [("Tiny-A", "79.1", "5.4"), ("Tiny-B", "80.7", "5.4"), ("Tiny-C", "81.5", "11"), ("Tiny-D", "83.2", "11")]
    for k, (name, acc, params) in enumerate(rows):
        y = h - 117 - 9 * k
        c.drawString(100, y, name)
        c.drawRightString(280, y, acc)
        c.drawRightString(350, y, params)
    c.saveState()
    c.translate(88, h - 150)
    c.rotate(90)
    c.drawString(0, 0, "5-11M params")  # the sideways group label, across all four rows
    c.restoreState()
    c.line(72, h - 150, 400, h - 150)
    c.drawString(72, h - 180, "We compare our models with the state of the art at a similar size in the table.")
    c.showPage()
    c.save()
    pdf = tmp_path / "2101.00001v1.pdf"
    pdf.write_bytes(buf.getvalue())
    page = read_document(pdf, arxiv_id="2101.00001", version=1).pages[0]
    assert page.sideways
    grids = [t.grid for t in page.tables if t.grid is not None]
    assert grids and [r.label for r in grids[0].rows] == ["Tiny-A", "Tiny-B", "Tiny-C", "Tiny-D"]
    assert _facts(grids[0])[("Tiny-D", "params")] == pytest.approx(11e6)


def test_rows_of_datasets_take_their_models_from_the_model_columns() -> None:
    """Rows are datasets and the models sit in "Model" / "Our Model" columns among the values: each value
    belongs to the model name left of it; a ratio "(8.7x)" in a parameter column is no count."""
    words = _row(100, [(60, "Dataset"), (120, "Model"), (185, "Acc."), (215, "#Param"), (255, "Our Model"),
                       (330, "Acc."), (360, "#Param")])
    words += _row(112, [(60, "CIFAR-10"), (120, "NASNet-A"), (185, "98.0%"), (215, "85M"), (255, "EfficientNet-B0"),
                        (330, "98.1%"), (360, "(21x)")])
    words += _row(123, [(60, "CIFAR-100"), (120, "NASNet-A"), (185, "87.5%"), (215, "85M"), (255, "EfficientNet-B0"),
                        (330, "88.1%"), (360, "(21x)")])
    grid = build_grid(words, (50, 95, 400, 135), field_of=header_field)
    assert grid is not None
    got = {(f.model, f.field, f.value) for f in grid_facts(grid)}
    assert ("EfficientNet-B0", "acc", 98.1) in got and ("NASNet-A", "params", 85e6) in got
    assert not any(f == "params" and m == "EfficientNet-B0" for m, f, _ in got)


def test_text_fallback_does_not_place_again_a_value_its_grid_gave_another_ap_field() -> None:
    """The grid reads "APtest S" as AP on small objects; the line reader, which sees "AP" in that header, would
    read the same cell as box AP and put it in the model's AP slot. A value the grid gave any COCO AP field is
    placed for every AP field (as FLOPs and multiply-adds are one)."""
    from flopmine.extract.document import Document
    from flopmine.extract.grid import Cell, Grid, GridRow
    from flopmine.extract.rules.paper import collect

    lines = [(100, [(60, "Model"), (200, "APtest"), (260, "APtest S")]),
             (112, [(60, "YOLOv7"), (200, "51.4"), (260, "31.8")]),
             (123, [(60, "YOLOv7-X"), (200, "53.1"), (260, "33.8")])]
    grid = Grid((50, 95, 300, 132), (("APtest",), ("APtest S",)),
                (GridRow("YOLOv7", (Cell("51.4", (200, 112, 218, 119)), Cell("31.8", (260, 112, 278, 119))),
                         "YOLOv7 51.4 31.8"),
                 GridRow("YOLOv7-X", (Cell("53.1", (200, 123, 218, 130)), Cell("33.8", (260, 123, 278, 130))),
                         "YOLOv7-X 53.1 33.8")), header_text="Model APtest APtest S")
    page = _page_from_lines(lines, [grid])
    doc = Document(arxiv_id="2101.00001", version=1, pages=(page,), benchmarks=("coco",))
    got = {(c.model, c.field, c.value) for c, _, _ in collect(doc) if c.rule.startswith("table.")}
    assert ("YOLOv7", "ap_s", 31.8) in got and ("YOLOv7", "box_ap", 51.4) in got
    assert ("YOLOv7", "box_ap", 31.8) not in got and ("YOLOv7-X", "box_ap", 33.8) not in got


def test_a_grid_takes_the_benchmark_its_caption_names_not_the_pages_first() -> None:
    """The page's first line names COCO; the table's caption names PASCAL VOC 2007. The table's mAP is VOC's (another
    dataset: no candidate at all, as a column headed by VOC gives none), not COCO's: before, a grid's cells were
    placed at the top of the page and took the benchmark named nearest to it."""
    from flopmine.extract.document import Document
    from flopmine.extract.grid import Cell, Grid, GridRow
    from flopmine.extract.rules.paper import collect

    lines = [(60, [(60, "Our COCO results are in Table 5.")]),
             (100, [(60, "Method"), (200, "mAP")]), (112, [(60, "SSD512"), (200, "29.8")]),
             (123, [(60, "SSD300"), (200, "27.2")])]
    rows = (GridRow("SSD512", (Cell("29.8", (200, 112, 218, 119)),), "SSD512 29.8"),
            GridRow("SSD300", (Cell("27.2", (200, 123, 218, 130)),), "SSD300 27.2"))
    for caption, other in (("Table 1: PASCAL VOC2007 test detection results.", True),
                           ("Table 5: COCO test-dev detection results.", False)):
        grid = Grid((50, 95, 260, 132), (("mAP",),), rows, caption=caption, header_text="Method mAP")
        page = _page_from_lines(lines, [grid])
        doc = Document(arxiv_id="2101.00001", version=1, pages=(page,), benchmarks=("coco",))
        got = {c.value: ev for c, _, ev in collect(doc) if c.rule.startswith("table.") and c.model == "SSD512"}
        assert (29.8 not in got) is other, caption
        assert other or "other_dataset" not in got[29.8].tags


def test_a_family_name_centred_across_rows_labelled_by_their_setting_names_each_row() -> None:
    """"WRN (ours)" set once across three rows labelled only by depth-width ("40-4", "16-8", "28-10"): the name
    lands on the middle line ("WRN (ours) 16-8"), and every row of the run is the family at its setting, never a
    bare "28-10" that no reader can tie to a model. A cited row above keeps its own name."""
    words = _row(40, [(35, "Method"), (120, "# params"), (170, "CIFAR-10"), (220, "CIFAR-100")])
    words += _row(56, [(35, "pre-act-ResNet [13]"), (120, "1.7M"), (170, "5.46"), (220, "24.33")])
    words += _row(67, [(80, "40-4"), (120, "8.9M"), (170, "4.53"), (220, "21.18")])
    words += _row(78, [(35, "WRN (ours)"), (80, "16-8"), (120, "11.0M"), (170, "4.27"), (220, "20.43")])
    words += _row(89, [(80, "28-10"), (120, "36.5M"), (170, "4.00"), (220, "19.25")])
    grids = read_grids(words, [Rule(30, 36, 260), Rule(30, 50, 260), Rule(30, 97, 260)], field_of=header_field)
    assert len(grids) == 1
    facts = _facts(grids[0])
    assert facts[("WRN (ours) 28-10", "params")] == 36.5e6 and facts[("WRN (ours) 40-4", "params")] == 8.9e6
    assert facts[("WRN (ours) 16-8", "params")] == 11.0e6
    assert facts[("pre-act-ResNet [13]", "params")] == 1.7e6


def test_iou_subheaders_under_the_coco_split_are_the_coco_ap_family() -> None:
    """"COCO test-dev2015" spanning "0.5:0.95 0.5 0.75" (no "Avg. Precision" above them): AP, AP50 and AP75 of the
    model, never three box APs told apart by a "(test-dev2015 0.75)" setting."""
    words = _row(40, [(110, "VOC2007 test"), (200, "COCO test-dev2015")])
    words += _row(52, [(35, "Method"), (110, "0.5"), (170, "0.5:0.95"), (215, "0.5"), (250, "0.75")])
    words += _row(66, [(35, "SSD300"), (110, "74.3"), (170, "23.2"), (215, "41.2"), (250, "23.4")])
    words += _row(77, [(35, "SSD512"), (110, "76.8"), (170, "26.8"), (215, "46.5"), (250, "27.8")])
    grids = read_grids(words, [Rule(30, 36, 280), Rule(30, 62, 280), Rule(30, 88, 280)], field_of=header_field)
    facts = {(f.model, f.field, f.benchmark): f.value for f in grid_facts(grids[0])}
    assert facts[("SSD512", "box_ap", "coco")] == 26.8 and facts[("SSD512", "ap75", "coco")] == 27.8
    assert facts[("SSD512", "ap50", "coco")] == 46.5


def test_a_row_label_continued_into_columns_without_a_header_is_one_name() -> None:
    """"Single LSTM with | 6 layers | + PosUnk" over columns that have no header of their own: the words there are
    the rest of the model's name, so the rows that differ only there are two models, not one slot with both
    BLEUs; the vocabulary column tells the 40K and 80K rows apart."""
    words = _row(40, [(35, "System"), (200, "Vocab"), (250, "BLEU")])
    layout = [("4 layers", None, "40K", "29.5"), ("4 layers", "+ PosUnk", "40K", "31.8"),
              ("6 layers", None, "80K", "31.5"), ("6 layers", "+ PosUnk", "80K", "33.1")]
    for k, (depth, extra, vocab, bleu) in enumerate(layout):
        cells = [(35, "Single LSTM with"), (115, depth), (200, vocab), (250, bleu)]
        words += _row(56 + 11 * k, cells + ([(155, extra)] if extra else []))
    grids = read_grids(words, [Rule(30, 36, 280), Rule(30, 50, 280), Rule(30, 102, 280)], field_of=header_field)
    assert len(grids) == 1
    facts = _facts(grids[0])
    assert facts[("Single LSTM with 6 layers + PosUnk", "bleu")] == 33.1
    assert facts[("Single LSTM with 4 layers", "bleu")] == 29.5


def test_rows_named_by_the_version_alone_take_the_papers_family() -> None:
    """A MobileNetV3 paper's table names its generations "V3-Large" and "V2": the candidates are
    "MobileNetV3-Large" and "MobileNetV2", the names its prose and any reader use; other rows stay as printed."""
    from flopmine.extract.document import Document
    from flopmine.extract.grid import Cell, Grid, GridRow
    from flopmine.extract.rules.paper import collect

    lines = [(60, [(60, "Searching for MobileNetV3")]),
             (100, [(60, "Network"), (200, "Top-1")]), (112, [(60, "V3-Large 1.0"), (200, "75.2")]),
             (123, [(60, "V2 1.0"), (200, "72.0")]), (134, [(60, "Mnasnet-A1"), (200, "75.3")])]
    rows = (GridRow("V3-Large 1.0", (Cell("75.2", (200, 112, 218, 119)),), "V3-Large 1.0 75.2"),
            GridRow("V2 1.0", (Cell("72.0", (200, 123, 218, 130)),), "V2 1.0 72.0"),
            GridRow("Mnasnet-A1", (Cell("75.3", (200, 134, 218, 141)),), "Mnasnet-A1 75.3"))
    grid = Grid((50, 95, 260, 143), (("Top-1",),), rows, caption="Table 3: ImageNet results.",
                header_text="Network Top-1")
    doc = Document(arxiv_id="1905.00001", version=1, pages=(_page_from_lines(lines, [grid]),),
                   benchmarks=("imagenet",))
    models = {c.value: c.model for c, _, _ in collect(doc) if c.rule == "table.geometry"}
    assert models[75.2] == "MobileNetV3-Large 1.0" and models[72.0] == "MobileNetV2 1.0"
    assert models[75.3] == "Mnasnet-A1"


def test_a_row_named_by_its_version_alone_is_the_titled_familys_own_row() -> None:
    """"V3-Large 1.0" in "Searching for MobileNetV3" is the paper's own model: its own-model evidence and the
    best own value of its column are read on the name the queue shows ("MobileNetV3-Large 1.0"), not on the bare
    version, which names no family."""
    from flopmine.extract.document import Document
    from flopmine.extract.grid import Cell, Grid, GridRow
    from flopmine.extract.rules.paper import collect

    lines = [(60, [(60, "Searching for FooNetV3")]),
             (100, [(60, "Network"), (200, "Top-1")]), (112, [(60, "V3-Large 1.0"), (200, "75.2")]),
             (123, [(60, "V3-Small 1.0"), (200, "67.4")]), (134, [(60, "ResNet-50 [12]"), (200, "76.1")])]
    rows = (GridRow("V3-Large 1.0", (Cell("75.2", (200, 112, 218, 119)),), "V3-Large 1.0 75.2"),
            GridRow("V3-Small 1.0", (Cell("67.4", (200, 123, 218, 130)),), "V3-Small 1.0 67.4"),
            GridRow("ResNet-50 [12]", (Cell("76.1", (200, 134, 218, 141)),), "ResNet-50 [12] 76.1"))
    grid = Grid((50, 95, 260, 143), (("Top-1",),), rows, caption="Table 3: ImageNet results.",
                header_text="Network Top-1")
    doc = Document(arxiv_id="1905.00001", version=1, pages=(_page_from_lines(lines, [grid]),),
                   benchmarks=("imagenet",), title="Searching for FooNetV3")
    ev = {c.value: e for c, _, e in collect(doc) if c.rule == "table.geometry"}
    assert ev[75.2].own_model >= 0.5 and ev[67.4].own_model >= 0.5
    assert "best_own_in_column" in ev[75.2].tags and "best_own_in_column" not in ev[76.1].tags


def test_a_word_error_rates_parts_and_its_callhome_half_are_no_switchboard_wer() -> None:
    """A speech paper's table of "all / sub / del / ins" rows under "SWB" and "CH" columns: only the SWB column's
    "all" row is a Switchboard (Hub5'00 SWB) word error rate; the parts of an error and the CallHome half are not."""
    from flopmine.extract.document import Document
    from flopmine.extract.grid import Cell, Grid, GridRow
    from flopmine.extract.rules.paper import collect

    lines = [(60, [(60, "Switchboard Hub5'00 results")]),
             (100, [(60, "WER"), (150, "SWB"), (200, "CH")]),
             (112, [(60, "all"), (150, "5.9"), (200, "11.1")]), (123, [(60, "sub"), (150, "3.3"), (200, "6.5")]),
             (134, [(60, "del"), (150, "1.8"), (200, "3.3")]), (145, [(60, "ins"), (150, "0.7"), (200, "1.4")])]
    rows = tuple(GridRow(label, (Cell(swb, (150, y, 165, y + 7)), Cell(ch, (200, y, 215, y + 7))),
                         f"{label} {swb} {ch}")
                 for label, swb, ch, y in (("all", "5.9", "11.1", 112), ("sub", "3.3", "6.5", 123),
                                           ("del", "1.8", "3.3", 134), ("ins", "0.7", "1.4", 145)))
    grid = Grid((50, 95, 260, 153), (("WER", "SWB"), ("WER", "CH")), rows,
                caption="Table 5: Word error rates on the NIST 2000 Switchboard test set.", header_text="WER SWB CH")
    doc = Document(arxiv_id="1610.00001", version=1, pages=(_page_from_lines(lines, [grid]),),
                   benchmarks=("swb_hub500",))
    wer = sorted(c.value for c, _, _ in collect(doc) if c.field == "wer")
    assert wer == [5.9]


@given(st.integers(1, 9), st.integers(1, 9), st.sampled_from(["", "."]),
       st.sampled_from(["Training", "Optimizer", "CNNs", "Results on ImageNet", "Fast R-CNN (fixed proposals)"]))
@settings(max_examples=40, deadline=None)
def test_a_numbered_section_heading_is_no_table_row(major: int, minor: int, dot: str, title: str) -> None:
    """"5.3 Optimizer" under a table's last row: the line reader took the heading for a row with no label, and the
    header above gave its section number a field (a top-5 error of 5.3). The rows above keep their values."""
    page = (f"Table 2: Error rates\nmethod top-1 err. top-5 err.\nVGG [41] 24.4 7.1\nOurs-152 19.38 4.49\n"
            f"{major}.{minor}{dot} {title}\n")
    values = {f.value for f in text_table_facts(page, benchmark="imagenet")}
    assert values == {24.4, 7.1, 19.38, 4.49}


@given(st.lists(st.tuples(st.integers(1, 40), st.sampled_from(["and / in", "is / was", "a / the", "oh", "(%hesitation)"])),
                min_size=2, max_size=4))
@settings(max_examples=40, deadline=None)
def test_a_number_before_a_colon_is_a_key_no_value(pairs: list[tuple[int, str]]) -> None:
    """"7: and / in 4: is / was" (a speech paper's most frequent confusions, counted): a number right before a
    colon keys what follows it, as "Table 3:" does; the line reader read the counts as word error rates."""
    counts = " ".join(f"{n}: {words}" for n, words in pairs)
    page = f"Table 5: Word error rates\nmodel WER (%) WER (%)\nLSTM 12.0 6.9\n{counts}\n"
    assert {f.value for f in text_table_facts(page, benchmark="swb_hub500")} == {12.0, 6.9}


@given(st.sampled_from(["mAP", "AP", "map"]), st.sampled_from(["0.3", "0.6", "0.7", ".7", "0.9"]),
       st.sampled_from(["", " (%)"]))
@settings(max_examples=40, deadline=None)
def test_an_ap_at_another_single_iou_threshold_has_no_field(ap: str, iou: str, unit: str) -> None:
    """"mAP@0.5 (%) mAP@0.7 (%)" (VOC's mAP at a stricter threshold): "mAP" alone reads as box AP, the COCO
    average over 0.5:0.95, so the 0.7 column gave box APs. AP50, AP75 and the 0.5:0.95 average keep theirs."""
    assert header_field(f"{ap}@{iou}{unit}") is None
    assert header_field(f"{ap}@0.5{unit}").field == "ap50"
    assert header_field(f"{ap}@0.75{unit}").field == "ap75"
    assert header_field(f"{ap}@0.5:0.95{unit}").field == "box_ap"


@given(st.integers(1, 99), st.integers(1, 9), st.sampled_from(["h", "×", "x", "MB", "ms"]))
@settings(max_examples=40, deadline=None)
def test_the_line_reader_reads_no_part_of_a_number(whole: int, tenth: int, unit: str) -> None:
    """"3.5h", "18.3×": a number glued to a unit the cell does not take is no value, and neither is its whole part
    (the token stopped before ".5h": a training time of 3, a top-1 accuracy of 18)."""
    page = f"Table 3: Accuracy\nmodel top-1 acc. speed\nResNet50 (224) 78.1 {whole}.{tenth}{unit}\n"
    assert {f.value for f in text_table_facts(page, benchmark="imagenet")} <= {78.1}


@given(st.lists(st.integers(300, 450).map(lambda v: v / 10), min_size=2, max_size=3),
       st.lists(st.integers(500, 999).map(lambda v: v / 10), min_size=2, max_size=3))
@settings(max_examples=40, deadline=None)
def test_a_chain_of_arrows_is_one_cell_read_as_its_last_value(aps: list[float], sizes: list[float]) -> None:
    """"32.2→34.7→35.2 58.3M→64.3M→64.6M" (a baseline improved twice): one cell each, the last value; a unit on each
    step does not cut the chain into a cell and a remainder read in the next column."""
    ap_chain = "→".join(str(v) for v in aps)
    size_chain = "→".join(f"{v}M" for v in sizes)
    page = f"Table 4: Results\nbackbone mAP #. params\nminival {ap_chain} {size_chain}\n"
    facts = text_table_facts(page, benchmark="coco")
    assert [f.value for f in facts if f.field == "box_ap"] == [aps[-1]]
    assert [round(f.value) for f in facts if f.field == "params"] == [round(sizes[-1] * 1e6)]
