"""Metric columns read as the dataset they are measured on (issue 17): columns, rows and captions naming a dataset
outside the registry (PASCAL VOC's mAP, GLUE's tasks, a transfer table's rows) give no registry result, and a row
naming a registry dataset gives its benchmark. Synthetic word boxes, as in ``tests/test_grid_labels.py``."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from flopmine.benchmarks import load_registry
from flopmine.extract.document import Document
from flopmine.extract.grid import Rule, read_grids
from flopmine.extract.rules import candidates
from flopmine.extract.rules.table_rows import foreign_cell
from flopmine.extract.tables import (
    _row_values,
    dataset_result,
    declared_metrics,
    foreign_level,
    foreign_metric_row,
    grid_facts,
    header_field,
    label_header_dataset,
    row_dataset,
    split_dataset_levels,
    text_table_facts,
    unfielded_cells,
)
from flopmine.types import FIELDS
from tests.support.words import boxed_text as _boxed
from tests.support.words import table_line as _row

_OTHER_EVAL = ("PASCAL VOC", "VOC 2007", "VOC2012", "VOC07", "VOC12", "VOC 07", "VOC0712", "Cityscapes", "ADE20K", "NewsQA", "TriviaQA", "QNLI", "SST-2",
               "RACE", "iNat 2018", "Birdsnap", "OntoNotes", "Kinetics-400", "Kinetics", "SUN397", "Stanford Dogs",
               "WMT’16", "BoolQ", "MultiRC")
_METRIC_WORDS = ("mAP", "mAP (%)", "AP", "F1", "Acc.", "accuracy", "test", "EM")
_ALIAS_OF = {a: n for n, b in load_registry().items() for a in (n, *b.aliases)}
_PRETRAIN = ("JFT→1K", "JFT-300M pre-trained", "ImageNet-21K pre-trained", "IG-1B", "21K→1K")


def _grid(words: list, rules: list[Rule]):  # noqa: ANN202 - the reader's Grid
    grids = read_grids(words, rules, field_of=header_field)
    assert len(grids) == 1
    return grids[0]


def test_a_column_naming_another_dataset_beside_its_metric_gives_no_registry_result() -> None:
    """"VOC 2007 mAP (%)" beside "COCO minival mAP (%)": the VOC column is VOC's (AP at IoU 0.5 over its classes),
    never COCO's box AP; the COCO column stays COCO's."""
    words = _row(40, [(40, "Architecture"), (120, "#parameters"), (180, "VOC 2007 mAP (%)"),
                      (270, "COCO minival mAP (%)")])
    words += _row(55, [(40, "RFB"), (120, "34.5M"), (180, "80.1"), (270, "29.7")])
    words += _row(66, [(40, "Inception"), (120, "32.9M"), (180, "78.4"), (270, "27.3")])
    grid = _grid(words, [Rule(35, 36, 370), Rule(35, 50, 370), Rule(35, 76, 370)])
    metrics = {(f.model, f.field, f.benchmark): f.value for f in grid_facts(grid) if f.field != "params"}
    assert metrics == {("RFB", "box_ap", "coco"): 29.7, ("Inception", "box_ap", "coco"): 27.3}


def test_a_table_captioned_with_another_dataset_gives_that_datasets_cells_no_registry_result() -> None:
    """A detection paper's PASCAL VOC table ("Method | data | mAP | aero | bike …"): its mAP cells are VOC's, marked
    foreign and left out of the candidates; the same table captioned with COCO is COCO's."""
    words = _row(40, [(40, "Method"), (120, "data"), (170, "mAP"), (210, "aero"), (250, "bike")])
    words += _row(55, [(40, "Fast R-CNN"), (120, "07+12"), (170, "70.0"), (210, "77.0"), (250, "78.1")])
    words += _row(66, [(40, "SSD512"), (120, "07+12"), (170, "76.8"), (210, "82.4"), (250, "84.7")])
    rules = [Rule(35, 36, 290), Rule(35, 50, 290), Rule(35, 76, 290)]
    voc = _grid(words + _row(90, [(40, "Table 1: PASCAL VOC2007 test detection results.")]), rules)
    facts = [f for f in grid_facts(voc, benchmark="other:pascal voc") if f.field == "box_ap"]
    assert [f.value for f in facts] == [70.0, 76.8]
    assert all(foreign_cell(f) for f in facts)
    coco = _grid(words + _row(90, [(40, "Table 1: COCO test-dev detection results.")]), rules)
    assert not any(foreign_cell(f) for f in grid_facts(coco, benchmark="coco"))


def test_rows_naming_datasets_set_their_cells_benchmark() -> None:
    """A transfer table with a row per dataset and the models in cells: the CIFAR-100 row's accuracies are
    CIFAR-100's, whatever the page names nearest; a dataset outside the registry ("Birdsnap") is no registry
    result."""
    words = _row(40, [(40, "Dataset"), (100, "Model"), (170, "Acc."), (210, "Our Model"), (280, "Acc.")])
    words += _row(55, [(40, "CIFAR-10"), (100, "NASNet-A"), (170, "98.0%"), (210, "EfficientNet-B0"), (280, "98.1%")])
    words += _row(66, [(40, "CIFAR-100"), (100, "NASNet-A"), (170, "87.5%"), (210, "EfficientNet-B0"), (280, "88.1%")])
    words += _row(77, [(40, "Birdsnap"), (100, "Inception-v4"), (170, "81.8%"), (210, "EfficientNet-B5"),
                       (280, "82.0%")])
    grid = _grid(words, [Rule(35, 36, 320), Rule(35, 50, 320), Rule(35, 87, 320)])
    facts = {(f.model, f.value): (f.benchmark, foreign_cell(f)) for f in grid_facts(grid, benchmark="cifar10")}
    assert facts[("EfficientNet-B0", 88.1)] == ("cifar100", False)
    assert facts[("NASNet-A", 98.0)] == ("cifar10", False)
    assert facts[("EfficientNet-B5", 82.0)][1] is True


def test_a_caption_metric_does_not_fill_columns_of_other_datasets_nor_their_average() -> None:
    """"Performance (F1) on the five MRQA tasks" over "NewsQA | TriviaQA | Avg.": F1 on those sets, none SQuAD's."""
    words = _row(40, [(40, "Model"), (120, "NewsQA"), (170, "TriviaQA"), (220, "Avg.")])
    words += _row(55, [(40, "Google BERT"), (120, "68.8"), (170, "77.5"), (220, "73.2")])
    words += _row(66, [(40, "SpanBERT"), (120, "73.6"), (170, "83.6"), (220, "78.6")])
    caption = _row(90, [(40, "Table 2: Performance (F1) on the five MRQA extractive question answering tasks.")])
    grid = _grid(words + caption, [Rule(35, 36, 260), Rule(35, 50, 260), Rule(35, 76, 260)])
    assert grid_facts(grid) == []


@given(st.sampled_from(_OTHER_EVAL), st.sampled_from(_METRIC_WORDS), st.booleans())
def test_a_level_naming_an_evaluation_set_outside_the_registry_is_foreign(name: str, metric: str, before: bool) -> None:
    level = f"{name} {metric}" if before else f"{metric} on {name}"
    assert foreign_level(level)


@given(st.sampled_from(sorted({a for b in load_registry().values() for a in (b.name, *b.aliases) if len(a) >= 4})),
       st.sampled_from(_OTHER_EVAL + ("",)), st.sampled_from(_METRIC_WORDS))
def test_a_level_naming_a_registry_benchmark_is_never_foreign(alias: str, other: str, metric: str) -> None:
    """A registry benchmark named anywhere in the level ("COCO minival mAP", "VOC and COCO mAP") keeps it ours; save
    a WMT language pair right after another year's WMT ("WMT’16 EN-DE"), which is that year's test set."""
    level = f"{other} {alias} {metric}".strip()
    wmt_pair = (other.startswith("WMT") and load_registry()[_ALIAS_OF[alias]].name.startswith("wmt")
                and not re.search(r"wmt|\d", alias, re.I))
    assert foreign_level(level) == wmt_pair


@given(st.sampled_from(_PRETRAIN), st.sampled_from(_METRIC_WORDS))
def test_a_pretraining_source_is_not_where_the_values_were_measured(source: str, metric: str) -> None:
    """"IN-1K top-1 acc." over "JFT→1K": ImageNet results of a model pre-trained on JFT."""
    assert not foreign_level(f"{source} {metric}")
    assert row_dataset(source) == ""


def test_a_result_column_naming_no_metric_takes_each_dataset_rows_headline_metric() -> None:
    """A summary of best results, a row per dataset ("Dataset | model | dropout | test perf."): each cell is its
    row's dataset's primary metric, the model the "model" column's; a dataset outside the registry gives none."""
    words = _row(40, [(40, "Dataset"), (110, "model"), (190, "dropout"), (240, "test perf.")])
    words += _row(55, [(40, "CIFAR-10"), (110, "WRN-40-10"), (200, "X"), (245, "3.8%")])
    words += _row(66, [(40, "CIFAR-100"), (110, "WRN-40-10"), (200, "X"), (245, "18.3%")])
    words += _row(77, [(40, "SVHN"), (110, "WRN-16-8"), (200, "X"), (245, "1.54%")])
    grid = _grid(words, [Rule(35, 36, 300), Rule(35, 50, 300), Rule(35, 87, 300)])
    facts = {(f.model, f.field, f.benchmark): f.value for f in grid_facts(grid) if not foreign_cell(f)}
    assert facts == {("WRN-40-10", "err", "cifar10"): 3.8, ("WRN-40-10", "err", "cifar100"): 18.3}


@given(st.sampled_from(sorted(n for n, b in load_registry().items() if b.primary_metric)),
       st.sampled_from(("test perf.", "Result", "Results", "Performance", "Score", "best result")))
def test_a_result_header_on_a_registry_dataset_row_is_its_primary_metric(name: str, header: str) -> None:
    got = dataset_result(header, name)
    assert got is not None and (got.field, got.benchmark) == (load_registry()[name].primary_metric, name)
    assert dataset_result(header, "") is None and dataset_result("dropout", name) is None


@given(st.sampled_from(sorted({(a, n) for n, b in load_registry().items() for a in (*b.aliases, n) if len(a) >= 4
                               and n not in ("coco",)})), st.sampled_from(("", " [12]", "†", " :")))
def test_a_row_label_that_is_a_registry_alias_names_its_benchmark(alias_name: tuple[str, str], mark: str) -> None:
    alias, name = alias_name
    assert row_dataset(alias + mark) in (name, *(n for n, b in load_registry().items() if alias in b.aliases))


@given(st.sampled_from(("ResNet-50", "EfficientNet-B7 (ours)", "Ours", "BERTLARGE (Ens.+TriviaQA)", "CIFAR-10 ResNet",
                        "SSD512 07+12")))
def test_a_model_row_label_names_no_dataset(label: str) -> None:
    assert row_dataset(label) == ""


def test_a_column_headed_by_a_benchmark_alone_holds_the_metric_the_paper_says_it_reports() -> None:
    """"GLUE | SQuAD | SuperGLUE" columns under a paper that says "In SQuAD … we report the percentage of
    answers exactly matching the target": the SQuAD cells are exact match, not the registry's primary F1."""
    words = _row(40, [(40, "Model"), (110, "GLUE"), (160, "SQuAD"), (210, "SuperGLUE")])
    words += _row(55, [(40, "Switch-Base"), (110, "86.7"), (160, "87.2"), (210, "79.5")])
    words += _row(66, [(40, "Switch-Large"), (110, "88.5"), (160, "88.6"), (210, "84.7")])
    grid = _grid(words, [Rule(35, 36, 260), Rule(35, 50, 260), Rule(35, 76, 260)])
    declared = declared_metrics("In SQuAD and the closed book tasks we report the percentage of answers exactly "
                                "matching the target (see Roberts et al. for its deficiency).")
    squad = {f.model: (f.field, f.value) for f in grid_facts(grid, declared=declared) if f.benchmark == "squad11"}
    assert squad == {"Switch-Base": ("em", 87.2), "Switch-Large": ("em", 88.6)}
    assert {f.field for f in grid_facts(grid) if f.benchmark == "squad11"} == {"f1"}


_TWO_METRICS = sorted((n, m) for n, b in load_registry().items() if len(b.metrics) >= 2 for m in b.metrics
                      if any(len(form) >= 2 and header_field(form) is not None and header_field(form).field == m
                             for form in (m.replace("_", " "),)))


@given(st.sampled_from(_TWO_METRICS), st.sampled_from(("We report {m} on {b}.", "For {b}, {m} is reported.",
                                                        "On {b} we report {m}, on the other sets the loss.")))
def test_a_sentence_reporting_one_metric_of_a_benchmark_declares_it(bench_metric: tuple[str, str],
                                                                   template: str) -> None:
    bench, metric = bench_metric
    alias = load_registry()[bench].aliases[0] if load_registry()[bench].aliases else bench
    sentence = template.format(m=metric.replace("_", " "), b=alias)
    assert declared_metrics(sentence).get(bench) == metric
    other = next(m for m in load_registry()[bench].metrics if m != metric)
    both = f"We report {metric.replace('_', ' ')} and {other.replace('_', ' ')} on {alias}."
    assert bench not in declared_metrics(both)  # two of its metrics reported: no one of them is the table's


@given(st.sampled_from(_OTHER_EVAL), st.sampled_from(("mAP", "mAP (%)", "AP", "F1", "Acc.", "accuracy", "EM",
                                                      "error (%)")), st.sampled_from(("", " [7]", " †")))
def test_a_row_naming_another_dataset_and_a_metric_holds_that_datasets_results(name: str, metric: str,
                                                                                mark: str) -> None:
    """"VOC07 mAP | 58.0 59.2 66.9" in a table with a column per model: VOC's mAP, never COCO's box AP."""
    assert foreign_metric_row(f"{name} {metric}{mark}")


@given(st.sampled_from(sorted({a for b in load_registry().values() for a in (b.name, *b.aliases) if len(a) >= 4})
                       + ["ResNet-50", "SSD512 07+12", "test rate (s/im)", "JFT-300M", "ImageNet-21K pre-trained"]),
       st.sampled_from(("mAP", "top-1 err.", "F1", "")))
def test_a_row_of_a_registry_benchmark_a_model_or_a_dataset_alone_is_no_foreign_measure(label: str,
                                                                                         metric: str) -> None:
    assert not foreign_metric_row(f"{label} {metric}".strip())
    assert not foreign_metric_row("VOC07")  # a dataset alone: a transfer table's row (``row_dataset``)


def test_a_row_of_another_datasets_metric_beside_model_columns_is_foreign() -> None:
    """A table with a column per model and a row per measure (Fast R-CNN's "method | SPPnet ZF | S | M | L" over
    "VOC07 mAP" and "test rate (s/im)"): the mAP row's cells are VOC's, marked foreign; a COCO AP row is COCO's."""
    words = _row(40, [(40, "method"), (120, "SPPnet ZF"), (180, "S"), (220, "M"), (260, "L")])
    words += _row(55, [(40, "VOC07 mAP"), (120, "58.0"), (180, "59.2"), (220, "60.7"), (260, "66.9")])
    words += _row(66, [(40, "COCO AP"), (120, "18.1"), (180, "18.4"), (220, "18.9"), (260, "19.7")])
    grid = _grid(words + _row(90, [(40, "Table 4: mAP of each network.")]),
                 [Rule(35, 36, 300), Rule(35, 50, 300), Rule(35, 76, 300)])
    facts = [f for f in grid_facts(grid, benchmark="coco") if f.field == "box_ap"]
    kept = sorted(f.value for f in facts if not foreign_cell(f))
    assert {f.value for f in facts if foreign_cell(f)} == {58.0, 59.2, 60.7, 66.9}
    assert kept == [18.1, 18.4, 18.9, 19.7]


def test_a_dataset_named_over_the_row_labels_is_the_rows_benchmark() -> None:
    """A results table in sections whose first heading sits on the header line, over the row labels ("WMT’16
    English-Romanian | BLEU", then a heading row "WMT’14 English-German BLEU"): the rows under the first heading
    are WMT’16's, never the WMT'14 BLEU the page names nearest; a registry dataset there is the rows' benchmark."""
    words = _row(40, [(40, "WMT’16 English-Romanian"), (220, "BLEU")])
    words += _row(55, [(40, "Sennrich et al. GRU"), (220, "28.1")])
    words += _row(66, [(40, "ConvS2S (BPE 40K)"), (220, "30.02")])
    words += _row(80, [(40, "WMT’14 English-German"), (220, "BLEU")])
    words += _row(94, [(40, "Luong et al. LSTM"), (220, "20.9")])
    words += _row(105, [(40, "ConvS2S (BPE 40K)"), (220, "25.16")])
    words += _row(119, [(40, "WMT’14 English-French"), (220, "BLEU")])
    words += _row(133, [(40, "ConvS2S (BPE 40K)"), (220, "40.51")])
    grid = _grid(words, [Rule(35, 36, 260), Rule(35, 50, 260), Rule(35, 143, 260)])
    facts = {f.value: (f.benchmark, foreign_cell(f)) for f in grid_facts(grid, benchmark="wmt14_en_de")}
    assert facts[28.1][1] and facts[30.02][1]  # WMT'16's: no candidate
    assert facts[25.16] == ("wmt14_en_de", False) and facts[40.51] == ("wmt14_en_fr", False)
    # one table per language pair, headed over its labels
    words = _row(40, [(40, "WMT’14 English-French"), (220, "BLEU")])
    words += _row(55, [(40, "GNMT"), (220, "40.35")])
    words += _row(66, [(40, "ConvS2S"), (220, "41.44")])
    grid = _grid(words, [Rule(35, 36, 260), Rule(35, 50, 260), Rule(35, 76, 260)])
    assert {(f.value, f.benchmark) for f in grid_facts(grid, benchmark="wmt14_en_de")} == {
        (40.35, "wmt14_en_fr"), (41.44, "wmt14_en_fr")}


@given(st.sampled_from(("WMT’16", "WMT'16", "WMT16", "WMT 16", "WMT 2016", "WMT’17")),
       st.sampled_from(("English-Romanian", "En-Ro", "English-German", "En-De", "")))
def test_another_wmt_year_over_the_labels_is_another_dataset(year: str, pair: str) -> None:
    """Another year's WMT, whatever apostrophe the font sets ("WMT’16", "WMT'16"), is no WMT'14 result."""
    assert label_header_dataset(f"{year} {pair}".strip()).startswith("other:")
    assert foreign_level(f"{year} {pair} BLEU".strip())


@given(st.sampled_from(("MRPC", "QQP", "SST-2", "QNLI", "RTE", "CoLA", "STS-B", "MNLI")),
       st.sampled_from(("F1/Acc", "Acc", "F1", "EM/F1", "Mcc")), st.sampled_from(("", "(3.7k)", "(393k)")))
def test_a_column_headed_by_another_task_gives_no_squad_or_glue_result(task: str, metric: str, size: str) -> None:
    """GLUE's tasks head columns with their metric below ("MRPC (3.7k)" over "F1/Acc") in papers that also
    report SQuAD: the cells are that task's, never SQuAD's F1 nor a GLUE score; a SQuAD column beside them stays."""
    words = _row(40, [(40, "System"), (140, task), (240, "SQuAD 1.1")])
    words += _row(50, [(140, f"{size} {metric}".strip()), (240, "F1")])
    words += _row(65, [(40, "TinyBERT"), (140, "87.3/82.6"), (240, "82.1")])
    words += _row(76, [(40, "BERT-PKD"), (140, "85.0/79.9"), (240, "79.5")])
    caption = _row(100, [(40, "Table 3: Results on the test sets of GLUE tasks and SQuAD.")])
    grid = _grid(words + caption, [Rule(35, 36, 300), Rule(35, 58, 300), Rule(35, 86, 300)])
    assert {(f.model, f.field, f.value) for f in grid_facts(grid) if not foreign_cell(f)} == {
        ("TinyBERT", "f1", 82.1), ("BERT-PKD", "f1", 79.5)}


@given(st.sampled_from(("APkp", "APkp50", "AP^kp", "APkp 75", "APdp", "APdp50", "AP^dp_75", "keypoint AP",
                        "Keypoint mAP", "pose AP", "DensePose AP")))
def test_an_ap_of_another_coco_task_is_no_box_ap(header: str) -> None:
    """Keypoint and DensePose AP ("APkp", "AP^dp_50", "keypoint AP") are other metrics than the box AP "AP" names."""
    assert header_field(header) is None


def test_a_caption_naming_box_ap_does_not_fill_keypoint_columns() -> None:
    """A table of keypoint results under a caption naming box and mask AP ("bounding-box AP (APbb) and mask AP
    (APmk)" over "APkp APkp50 APkp75"): the caption's metric is not theirs, and they give no box AP."""
    words = _row(40, [(40, "pre-train"), (140, "APkp"), (190, "APkp50"), (240, "APkp75")])
    words += _row(55, [(40, "random init."), (140, "65.9"), (190, "86.5"), (240, "71.7")])
    words += _row(66, [(40, "MoCo IN-1M"), (140, "66.8"), (190, "87.4"), (240, "72.5")])
    caption = _row(90, [(40, "Table 5. Fine-tuned on COCO: bounding-box AP (APbb) and mask AP (APmk).")])
    grid = _grid(words + caption, [Rule(35, 36, 280), Rule(35, 50, 280), Rule(35, 76, 280)])
    assert grid_facts(grid) == []


def test_the_line_reader_takes_no_row_of_another_datasets_measure() -> None:
    """"VOC07 mAP 52.2 53.3 54.6" as text lines (a table the grid did not read): VOC's mAP is no COCO box AP;
    a "COCO AP" row is read."""
    page = "method S M L\nVOC07 mAP 52.2 53.3 54.6\nCOCO AP 18.1 18.4 19.7\n"
    assert sorted(f.value for f in text_table_facts(page, benchmark="coco")) == [18.1, 18.4, 19.7]


@given(st.sampled_from(("ReCoRD", "MultiRC", "BoolQ", "MRPC", "QQP", "RTE", "MNLI")),
       st.sampled_from(("F1/EM", "F1/Acc", "F1", "Acc")))
def test_the_line_reader_takes_no_metric_set_under_another_tasks_name(task: str, metric: str) -> None:
    """A multi-task table read line by line ("Model  WiC  <task>  SQuAD 1.1" over "Acc  F1/EM  F1"): the
    metric under the task is that task's, never SQuAD's F1; the one under "SQuAD 1.1" is read."""
    text, boxes = _boxed([[(0, "Model"), (100, "WiC"), (160, task), (230, "SQuAD"), (258, "1.1")],
                          [(100, "Acc"), (160, metric), (230, "F1")],
                          [(0, "DeBERTa"), (100, "76.4"), (160, "94.5/94.1"), (230, "95.5")],
                          [(0, "RoBERTa"), (100, "69.9"), (160, "90.6/90.0"), (230, "94.6")]])
    assert {(f.model, f.field, f.value) for f in text_table_facts(text, boxes=boxes)} == {
        ("DeBERTa", "f1", 95.5), ("RoBERTa", "f1", 94.6)}


@given(st.sampled_from(("ImageNet-21k", "JFT-300M", "ImageNet-22K")))
def test_a_pretraining_source_over_the_metrics_is_no_task_line(source: str) -> None:
    """"ImageNet-21k" set over "Top-1": the models were pre-trained there and measured on ImageNet; the column
    is read."""
    text, boxes = _boxed([[(0, "Model"), (100, source)], [(100, "Top-1"), (180, "Params")],
                          [(0, "ViT-L/16"), (100, "85.3"), (180, "307M")]])
    assert ("top1_acc", 85.3) in {(f.field, f.value) for f in text_table_facts(text, boxes=boxes)}


def test_a_line_of_registry_benchmarks_over_the_metrics_keeps_them() -> None:
    """"SQuAD 1.1  SQuAD 2.0" over "F1  F1": both columns are registry results, read as before; the numbers of
    the names ("1.1", "2.0") do not make that line a table row."""
    text, boxes = _boxed([[(0, "Model"), (100, "SQuAD"), (128, "1.1"), (180, "SQuAD"), (208, "2.0")],
                          [(100, "F1"), (180, "F1")],
                          [(0, "SpanBERT"), (100, "94.6"), (180, "88.7")]])
    assert sorted(f.value for f in text_table_facts(text, boxes=boxes)) == [88.7, 94.6]


def test_a_spanning_level_naming_one_dataset_per_column_is_split() -> None:
    """"MNLI-m/mm SQuAD v1.1 SQuAD v2.0 RACE" set close together over "Acc F1/EM F1/EM Acc": one name per column,
    so SQuAD 2.0's EM is SQuAD 2.0's and MNLI's and RACE's accuracies are no registry result."""
    level = "MNLI-m/mm SQuAD v1.1 SQuAD v2.0 RACE"
    assert split_dataset_levels([(level, "Acc"), (level, "F1/EM"), (level, "F1/EM"), (level, "Acc")]) == (
        ("MNLI-m/mm", "Acc"), ("SQuAD v1.1", "F1/EM"), ("SQuAD v2.0", "F1/EM"), ("RACE", "Acc"))
    # a level naming fewer datasets than it spans ("SWAG NER" over two columns), or words before the names
    assert split_dataset_levels([("SWAG NER", "Acc"), ("SWAG NER", "F1")]) == (("SWAG NER", "Acc"), ("SWAG NER", "F1"))
    assert split_dataset_levels([("Results on SQuAD RACE", "F1"), ("Results on SQuAD RACE", "Acc")])[0][0] == (
        "Results on SQuAD RACE")
    words = _row(40, [(40, "Model"), (140, level)])  # set as one phrase over the four columns
    words += _row(50, [(120, "Acc"), (180, "F1/EM"), (240, "F1/EM"), (300, "Acc")])
    words += _row(65, [(40, "DeBERTa"), (120, "91.1/91.1"), (180, "95.5/90.1"), (240, "90.7/88.0"), (300, "86.8")])
    words += _row(76, [(40, "RoBERTa"), (120, "90.2/90.2"), (180, "94.6/88.9"), (240, "89.4/86.5"), (300, "83.2")])
    grid = _grid(words, [Rule(35, 36, 340), Rule(35, 58, 340), Rule(35, 86, 340)])
    assert len(grid.headers) == 4 and len({p[0] for p in grid.headers}) == 1  # the reader sees one phrase
    facts = {(f.model, f.field, f.benchmark, f.value) for f in grid_facts(grid) if not foreign_cell(f)}
    assert ("DeBERTa", "em", "squad20", 88.0) in facts and ("DeBERTa", "em", "squad11", 90.1) in facts
    assert not any(f[1] == "acc" for f in facts)
    # the foreign columns' cells are settled: the line reader does not read them either
    assert len(unfielded_cells(grid, {1, 2})) == 4


@given(st.sampled_from(("Oxford Flowers", "Oxford-IIIT", "Flowers", "Pets", "VTAB", "Food-101", "Kinetics", "SUN397")),
       st.sampled_from(("-102", "-Pets", " (19 tasks)", "-400", "")))
def test_another_dataset_printed_with_more_of_its_name_is_a_foreign_row(name: str, rest: str) -> None:
    """A transfer table's row "Oxford Flowers-102" or "Oxford-IIIT-Pets": the list knows "Oxford Flowers" and
    "Pets"; a number glued on, hyphenated parts or a remark in brackets are the rest of the name, so the row's
    accuracies are that dataset's, never ImageNet's; a model after the name ("Pets ResNet-50") is no such row."""
    assert row_dataset(f"{name}{rest}").startswith("other:")
    assert row_dataset(f"{name}{rest} ResNet-50") == ""


@settings(deadline=None)  # the first call loads the rules
@given(st.sampled_from(("PASCAL VOC 2007 test", "VOC2012 test", "SVHN", "Places365", "Stanford Dogs")))
def test_the_line_readers_unlabelled_numbers_near_another_dataset_are_no_candidates(dataset: str) -> None:
    """Where the dataset named nearest is another one, a number the line reader finds with no row label (a plot's
    ticks under "mAP", "mAP 66.9% @ 320ms") ties to no model and no registry benchmark; a labelled row stays a
    candidate, and next to a registry benchmark the unlabelled row stays too."""
    # the caption below the rows: one right over the header makes every row the dataset's (the test after next)
    page = "method mAP AP50\nFast R-CNN 66.9 70.0\n72.3 74.1\nTable 2: Detection results on {}.\n"
    other = {(c.model, c.value) for c in candidates(Document.from_texts([page.format(dataset)], title="NetX"))}
    assert ("", 72.3) not in other and ("", 74.1) not in other and ("Fast R-CNN", 66.9) in other
    coco = {(c.model, c.value) for c in candidates(Document.from_texts([page.format("COCO test-dev")], title="NetX"))}
    assert ("", 72.3) in coco


@given(st.sampled_from(["Training Cost (FLOPs)", "Speed (FPS)", "Inference time (ms)", "Train time (hours)",
                        "Memory (GB)", "Throughput (img/s)", "#Params"]),
       st.sampled_from(["EN-DE", "EN-FR", "En→De", "ImageNet", "COCO test-dev"]))
@settings(max_examples=60, deadline=None)
def test_a_quantity_header_over_a_benchmark_name_is_no_result(quantity: str, bench_level: str) -> None:
    """"Training Cost (FLOPs)" spanning "EN-DE" / "EN-FR" (the Transformer's Table 2): the cells are a cost measured
    on the benchmark, not its BLEU; the benchmark's name alone implies a metric only where no quantity is named."""
    from flopmine.extract.tables import _column_match, names_no_score

    assert names_no_score(quantity)
    match, _, _ = _column_match((quantity, bench_level), "Table 2: our model achieves better scores.")
    assert match is None or FIELDS[match.field].kind != "metric", match
    plain, _, _ = _column_match((bench_level,), "Table 2: results.")
    named, _, _ = _column_match(("BLEU" if "E" in bench_level.upper()[:2] else "Top-1", bench_level), "Table 2.")
    assert named is not None and FIELDS[named.field].kind == "metric"
    if plain is not None:  # a benchmark's name alone still holds its primary metric
        assert FIELDS[plain.field].kind == "metric"


@given(st.sampled_from(("LFW", "YTF", "YouTube Faces", "MegaFace", "MS-Celeb-1M", "MSC", "IJB-C", "AgeDB")),
       st.sampled_from(("", " [12]", "†", " :")))
def test_a_face_verification_benchmark_is_a_foreign_row(name: str, mark: str) -> None:
    """A classification paper's face table ("LFW | 97.1±1.3 96.0±1.4" under "FaceNet ShiftFaceNet" and
    "Accuracy"): its rows are face verification's benchmarks, no registry result (read as CIFAR's accuracy before)."""
    assert row_dataset(name + mark).startswith("other:")


def test_a_face_verification_table_gives_no_registry_accuracy() -> None:
    words = _row(40, [(40, "Dataset"), (120, "Accuracy (%)"), (220, "AUC (%)")])
    words += _row(52, [(120, "FaceNet"), (170, "ShiftFaceNet"), (220, "FaceNet"), (270, "ShiftFaceNet")])
    words += _row(66, [(40, "LFW"), (120, "97.1"), (170, "96.0"), (220, "99.5"), (270, "99.4")])
    words += _row(78, [(40, "YTF"), (120, "92.0"), (170, "90.1"), (220, "97.3"), (270, "96.1")])
    words += _row(90, [(40, "MSC"), (120, "79.2"), (170, "77.6"), (220, "85.6"), (270, "84.4")])
    grid = _grid(words, [Rule(35, 36, 320), Rule(35, 62, 320), Rule(35, 100, 320)])
    assert not [f for f in grid_facts(grid, benchmark="cifar100") if not f.benchmark.startswith("other:")
                and f.field in ("acc", "top1_acc")]


@given(st.sampled_from(("mIOU", "mIoU", "mIoU (%)", "m.IoU")), st.sampled_from(("Madds (f)", "FLOPs", "#param.")),
       st.sampled_from(("OS", "input crop.", "F")))
def test_a_segmentation_table_gives_no_compute(miou: str, compute: str, setting: str) -> None:
    """A classification paper's segmentation table ("Backbone OS mIOU Madds (f)"): its FLOPs and parameters are the
    segmentation network's at a full-resolution input, billions of mult-adds, never the model's; the same table
    with a registry metric beside the mIoU (box AP) keeps its cells."""
    words = _row(40, [(40, "Backbone"), (120, setting), (180, miou), (240, compute)])
    words += _row(55, [(40, "V3"), (120, "16"), (180, "72.6"), (240, "9.74B")])
    words += _row(66, [(40, "V3-Small"), (120, "16"), (180, "69.4"), (240, "2.90B")])
    grid = _grid(words, [Rule(35, 36, 300), Rule(35, 50, 300), Rule(35, 76, 300)])
    assert grid_facts(grid) == []
    words = _row(40, [(40, "Backbone"), (120, "AP"), (180, miou), (240, compute)])
    words += _row(55, [(40, "V3"), (120, "30.1"), (180, "72.6"), (240, "9.74B")])
    words += _row(66, [(40, "V3-Small"), (120, "25.3"), (180, "69.4"), (240, "2.90B")])
    grid = _grid(words, [Rule(35, 36, 300), Rule(35, 50, 300), Rule(35, 76, 300)])
    assert {f.field for f in grid_facts(grid)} >= {"box_ap"}


@given(st.sampled_from(("Throughput (imgs/sec/gpu) comparison (higher is better).", "Inference latency (ms) on a V100.",
                        "Training speed (images/s) of each model.", "Peak memory of each model.")),
       st.sampled_from(("All models have similar ImageNet top-1 accuracy.", "Models of similar top-1 accuracy.")))
def test_a_caption_naming_a_measure_before_a_metric_gives_its_cells_no_metric(measure: str, remark: str) -> None:
    """"Throughput (imgs/sec/gpu) comparison. All models have similar ImageNet top-1 accuracy." over "batch=1
    batch=4 …": the cells are the measure, the accuracy a side remark; read as top-1 accuracy before. A caption
    naming the metric first still gives it."""
    words = _row(40, [(120, "batch=1"), (180, "batch=4"), (240, "batch=16")])
    words += _row(55, [(40, "EfficientNetV2-M"), (120, "23"), (180, "91"), (240, "94")])
    words += _row(66, [(40, "NFNet-F2"), (120, "16"), (180, "62"), (240, "89")])
    rules = [Rule(35, 36, 290), Rule(35, 50, 290), Rule(35, 76, 290)]
    measured = _grid(_row(20, [(40, f"Table 15. {measure} {remark}")]) + words, rules)
    assert not [f for f in grid_facts(measured) if FIELDS[f.field].kind == "metric"]
    scored = _grid(_row(20, [(40, "Table 15. Top-1 accuracy (%) at several batch sizes.")]) + words, rules)
    assert {f.field for f in grid_facts(scored)} == {"top1_acc"}


@given(st.sampled_from(("MS COCO", "MS-COCO", "MS COCO test-dev")), st.sampled_from(("", " (%)")))
def test_the_capitals_ms_of_a_dataset_name_are_no_milliseconds(name: str, mark: str) -> None:
    """"MS COCO" heading a column names the benchmark, as "COCO" does; only a lowercase "ms" is milliseconds, a
    quantity that keeps the benchmark's metric out of its column (``names_no_score``)."""
    from flopmine.extract.tables import _column_match, names_no_score

    assert not names_no_score(name + mark) and names_no_score("Time (ms)")
    ms, _, _ = _column_match((name + mark,), "Table 2: results.")
    plain, _, _ = _column_match((name.removeprefix("MS").strip(" -") + mark,), "Table 2: results.")
    assert (ms and ms.field) == (plain and plain.field)


@given(st.sampled_from(("Sec. 4", "Sec. 3.2", "Sec.5")))
def test_a_section_reference_before_the_metric_is_no_measure(ref: str) -> None:
    """"Table 2: As in {ref}, top-1 accuracy of each model": a section's number, no seconds; the caption's
    metric stays the cells' (``caption_measures_first``), while "Time (sec.)" first does name a measure."""
    from flopmine.extract.tables import caption_measures_first

    caption = f"Table 2: As in {ref}, top-1 accuracy of each model."
    assert not caption_measures_first(caption, caption.find("top-1"))
    timed = "Table 2: Time (sec.) and top-1 accuracy of each model."
    assert caption_measures_first(timed, timed.find("top-1"))


@given(st.sampled_from(("No UNK", "No UNK◦", "no UNK", "no-UNK", "w/o UNK")))
def test_a_column_of_the_test_sets_part_gives_no_result(subset: str) -> None:
    """A translation table scores the sentences without unknown words apart ("Model | All | No UNK" under a caption
    naming BLEU): the "No UNK" column is a part of the test set, no WMT result; the "All" column is the result."""
    words = _row(40, [(40, "Model"), (140, "All"), (200, subset)])
    words += _row(55, [(40, "RNNsearch-50"), (140, "26.75"), (200, "34.16")])
    words += _row(66, [(40, "Moses"), (140, "33.30"), (200, "35.63")])
    caption = _row(90, [(40, "Table 1: BLEU scores of the trained models computed on the test set.")])
    grid = _grid(words + caption, [Rule(35, 36, 260), Rule(35, 50, 260), Rule(35, 76, 260)])
    assert sorted(f.value for f in grid_facts(grid, benchmark="wmt14_en_fr") if f.field == "bleu") == [26.75, 33.3]


@given(st.sampled_from(("ratio", "mask ratio", "Ratio", "time")))
def test_a_setting_column_takes_no_metric_from_the_caption(setting: str) -> None:
    """An ablation table headed "case | <setting> | ft | lin" under a caption naming top-1 accuracy: the setting's
    column ("random 75": a masking ratio of 75 %) is no accuracy; the two score columns are read."""
    words = _row(40, [(40, "case"), (110, setting), (170, "ft"), (220, "lin")])
    words += _row(55, [(40, "random"), (110, "75"), (170, "84.9"), (220, "73.5")])
    words += _row(66, [(40, "block"), (110, "50"), (170, "83.9"), (220, "72.3")])
    caption = _row(90, [(40, "Table 1. Ablation experiments with ViT-L/16 on ImageNet-1K: top-1 accuracy (%).")])
    grid = _grid(words + caption, [Rule(35, 36, 260), Rule(35, 50, 260), Rule(35, 76, 260)])
    scores = {f.value for f in grid_facts(grid, benchmark="imagenet") if FIELDS[f.field].kind == "metric"}
    assert scores >= {84.9, 83.9}
    assert not {75.0, 50.0} & scores


@given(st.sampled_from(("07+12", "07++12", "07+12+COCO", "COCO+07+12", "07++12+COCO")),
       st.floats(50.0, 90.0).map(lambda x: round(x, 1)))
def test_training_sets_joined_by_a_plus_are_a_label_not_values(data: str, value: float) -> None:
    """A detection table's data column ("RefineDet320 07+12 80.0"): "07+12" names the training sets (VOC 2007 and
    2012), its numbers are no values; the mAP after it is the row's value."""
    label, vals = _row_values(f"Detector {data} {value}")
    assert label == f"Detector {data}"
    assert [v for _, _, v in vals] == [str(value)]


@given(st.lists(st.sampled_from(("0.5", ".5", "0.75", ".75", "0.5:0.95")), min_size=2, max_size=7))
def test_a_line_of_iou_thresholds_is_no_table_row(thresholds: list[str]) -> None:
    """The IoU level of a detection table's AP columns on its own text line ("0.5 0.5 0.5:0.95 0.5 0.75") is a
    header level, no row of AP values; a row with a label is one."""
    page = "Method AP\n" + " ".join(thresholds) + "\nSSD300 23.2\n"
    assert sorted(f.value for f in text_table_facts(page, benchmark="coco")) == [23.2]


@given(st.sampled_from(("AP (keypoints)", "AP (keypoint)", "AP(kp)", "AP (pose)")))
def test_an_ap_of_keypoints_in_brackets_is_no_box_ap(header: str) -> None:
    """"AP (keypoints)" beside "AP (boxes)": the keypoint task's AP, no box AP."""
    assert header_field(header) is None


@given(st.sampled_from(("Stanford Dogs", "Oxford Flowers", "Places365", "PASCAL VOC 2007")),
       st.floats(60.0, 90.0).map(lambda x: round(x, 1)))
def test_the_line_readers_table_under_a_caption_naming_another_dataset_gives_no_result(dataset: str,
                                                                                       value: float) -> None:
    """"Table 10. MobileNet for Stanford Dogs" right over "Model Top-1 …": the line reader's accuracies under it are
    that dataset's, not ImageNet's; the same table under an ImageNet caption is read, and so is a table whose
    caption below it names the other dataset (it is the next table's)."""
    head = "Model Top-1 Million\nAccuracy Parameters\n"
    rows = f"Inception V3 {value}% 23.2\nMobileNet-224 70.6% 4.2\n"
    def accuracies(page: str) -> set[float]:
        return {f.value for f in text_table_facts(page, benchmark="imagenet") if f.field == "top1_acc"}
    assert not accuracies(f"Table 10. MobileNet for {dataset}\n{head}{rows}")
    assert accuracies(f"Table 8. MobileNet on ImageNet\n{head}{rows}") == {value, 70.6}
    assert accuracies(f"{head}{rows}Table 10. MobileNet for {dataset}\n") == {value, 70.6}


@given(st.sampled_from(("4.2.3", "3.1.2", "5.4.1.2")), st.sampled_from(("FLOPs", "Params", "Top-1 error")),
       st.floats(5.0, 9.9).map(lambda x: round(x, 2)))
def test_a_heading_numbered_in_three_parts_is_no_header_line(number: str, word: str, value: float) -> None:
    """"4.2.3 Comparison with FLOPs compression methods" over a table whose own header the line reader missed: the
    heading's field word heads no column (the rows' errors were read as FLOPs in billions)."""
    page = f"{number} Comparison with {word} compression methods\nVGG-16 P64 (Ours) {value} 86.92\nSBP 7.50 56.52\n"
    assert text_table_facts(page, benchmark="cifar10") == []


@given(st.sampled_from((("APbox", "APmask"), ("APbb", "APm"), ("AP", "APm"))),
       st.floats(40.0, 55.0).map(lambda x: round(x, 1)))
def test_ap_subscripts_set_on_the_next_text_line_name_the_iou(names: tuple[str, str], box: float) -> None:
    """A detection table's header "AP^box AP^box_50 AP^box_75 AP^mask AP^mask_50 AP^mask_75" comes out of the text
    layer interleaved ("APbox APbox" / "50 APbox" / "75 APmask APmask" / "50 APmask" / "75"), each subscript on the
    line under its AP: the columns are box AP, AP50, AP75, mask AP and two mask APs at one IoU (no field); before,
    every box column was box AP and every mask column mask AP (three values above the mask AP)."""
    b, m = names

    def sub(name: str) -> float:  # a subscript starts under the AP's superscript, or right after a bare "AP"
        return len(name) * 4.0 - (8 if len(name) > 2 else 0)

    text, boxes = _boxed([[(0, "backbone"), (100, b), (140, b)],
                          [(140 + sub(b), "50"), (180, b)],
                          [(180 + sub(b), "75"), (220, m), (260, m)],
                          [(260 + sub(m), "50"), (300, m)],
                          [(300 + sub(m), "75")],
                          [(0, "ConvNeXt-XL"), (100, str(box)), (140, "74.2"), (180, "59.9"), (220, "47.7"),
                           (260, "71.6"), (300, "52.2")]])
    facts = {(f.field, f.value) for f in text_table_facts(text, benchmark="coco", boxes=boxes)}
    assert facts == {("box_ap", box), ("ap50", 74.2), ("ap75", 59.9), ("mask_ap", 47.7)}


@given(st.sampled_from((("mAP@0.5 (%)", "mAP@0.7 (%)"), ("AP@0.5", "AP@0.7"), ("mAP@0.5 / @0.7", None),
                        ("AP@0.5", "AP@0.3"))))
def test_an_ap_at_iou_05_beside_one_coco_does_not_report_is_no_ap50(headers: tuple[str, str | None]) -> None:
    """"mAP@0.5 (%) mAP@0.7 (%)": a table with an AP at IoU 0.7 follows PASCAL VOC's protocol (COCO reports 0.5:0.95,
    0.5 and 0.75), so its AP@0.5 is VOC's, no COCO AP50; a COCO table's "AP AP50 AP75" keeps its AP50."""
    first, second = headers
    top = [(40, "method"), (140, first)] + ([(230, second)] if second else [])
    words = _row(40, top)
    words += _row(55, [(40, "R-FCN"), (140, "81.4" if second else "81.4 / 64.7")] + ([(230, "64.7")] if second else []))
    words += _row(66, [(40, "Faster"), (140, "78.6" if second else "78.6 / 63.3")] + ([(230, "63.3")] if second else []))
    grid = _grid(words, [Rule(35, 36, 300), Rule(35, 50, 300), Rule(35, 76, 300)])
    assert not [f for f in grid_facts(grid, benchmark="coco") if f.field == "ap50"]
    coco = _row(40, [(40, "method"), (140, "AP"), (190, "AP50"), (240, "AP75")])
    coco += _row(55, [(40, "R-FCN"), (140, "34.5"), (190, "55.0"), (240, "36.1")])
    coco += _row(66, [(40, "Faster"), (140, "33.1"), (190, "50.3"), (240, "35.0")])
    grid = _grid(coco, [Rule(35, 36, 300), Rule(35, 50, 300), Rule(35, 76, 300)])
    assert sorted(f.value for f in grid_facts(grid, benchmark="coco") if f.field == "ap50") == [50.3, 55.0]


@given(st.sampled_from(("FPS", "Time", "Speed", "Throughput", "ms")), st.integers(3, 95))
def test_a_value_under_a_quantity_header_word_goes_to_no_field(word: str, speed: int) -> None:
    """"Method mAP(%) FPS" read line by line: the speed under "FPS" sat within reach of the mAP slot and was read as
    a box AP; a header word naming a quantity with no field takes its column's values, which give nothing."""
    text, boxes = _boxed([[(0, "Method"), (100, "AP"), (130, word)],
                          [(0, "RetinaNet-50"), (100, "32.5"), (130, str(speed))],
                          [(0, "RetinaNet-101"), (100, "34.4"), (130, str(speed + 1))]])
    facts = [(f.field, f.value) for f in text_table_facts(text, benchmark="coco", boxes=boxes)]
    assert sorted(facts) == [("box_ap", 32.5), ("box_ap", 34.4)]


@given(st.sampled_from(("improvement", "Improvement", "gain", "Δ", "delta")),
       st.lists(st.floats(0.1, 12.0).map(lambda x: round(x, 1)), min_size=2, max_size=2))
def test_a_row_of_differences_gives_no_values(label: str, deltas: list[float]) -> None:
    """"improvement -43% -15% - +0.4 +0.2" under a table's comparison rows: the differences between the rows above
    are no model's values (they were box APs and FLOPs); the rows above are read."""
    page = (f"Model AP AP50\nYOLOv7 51.2 69.7\nYOLOv7-X 52.9 71.1\n{label} +{deltas[0]} +{deltas[1]}\n")
    assert sorted(f.value for f in text_table_facts(page, benchmark="coco")) == [51.2, 52.9, 69.7, 71.1]
