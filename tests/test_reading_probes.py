"""Probes of the reading rules' claims: each test generates the class of input a rule's comment names (an
inequality sign, a numbered heading, a row of differences, a quantity header word, an AP pair at two IoUs) and its
near neighbours that the rule must leave alone (an arrow, a table row, a model's row, "MS COCO"). Named-case tests
of the same rules sit beside the habits in ``test_prose_rules.py`` and ``test_grid_datasets.py``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flopmine.extract.document import Document
from flopmine.extract.rules.benchmark_names import (
    _benchmark_spots,
    figure_on_other_dataset,
    heading_datasets,
    section_on_other_dataset,
)
from flopmine.extract.rules.engine import bound_sign_before
from flopmine.extract.rules.paper import collect
from flopmine.extract.rules.table_rows import reimplemented
from flopmine.extract.tables import (
    foreign_caption_above,
    iou_threshold_line,
    names_other_iou,
    names_test_subset,
    text_table_facts,
)
from tests.support.words import boxed_text

_SCORES = st.floats(50.0, 90.0).map(lambda x: round(x, 1))


@given(st.sampled_from(["<", "< ", "≤", "≥ ", ">", "> ", "<=", ">= ", "≲", "≳"]), _SCORES)
def test_every_inequality_sign_marks_a_bound(sign: str, value: float) -> None:
    """"(<600M FLOPS)", "≥ 80% accuracy": the number after an inequality sign is a bound."""
    text = f"under the budget ({sign}{value}% top-1 error)"
    assert bound_sign_before(text, text.find(str(value)))


@given(st.sampled_from(["->", "-> ", " -> ", "=>", " => ", "-->"]), _SCORES, _SCORES)
def test_an_ascii_arrow_before_a_number_is_no_inequality_sign(arrow: str, before: float, after: float) -> None:
    """"top-1 accuracy 75.2 -> 76.1": papers write a change with an ASCII arrow (the line reader reads "56.4M->62.4M"
    as one cell); the ">" of the arrow is no "greater than", and the value after it is read."""
    text = f"With the new block, ResNet-50's top-1 accuracy on ImageNet rises from {before}%{arrow}{after}%."
    assert not bound_sign_before(text, text.rfind(str(after)))


@given(st.integers(1, 12), st.sampled_from(["ResNet-50", "Layers", "VGG-16", "Ours"]), _SCORES, _SCORES)
@settings(max_examples=30, deadline=None)
def test_a_table_row_starting_with_a_number_does_not_end_a_sections_dataset(rank: int, label: str, a: float,
                                                                             b: float) -> None:
    """A results table inside "5.2. PASCAL VOC 2007 Results" whose rows start with a count or a rank ("2 ResNet-50
    76.1 25.6") has the shape of a numbered heading; a row of decimal values is no heading, and the section's
    dataset holds past it."""
    page = (f"5.2. PASCAL VOC 2007 Results\nOur model gives 69.9% mAP.\n{rank} {label} {a} {b}\n"
            "Our full model gives 70.1% mAP.")
    assert [d for _, d in heading_datasets([page])[0]] == ["other:pascal voc"]
    heading = page.replace(f"{rank} {label} {a} {b}", "5.3 Results on the test set")
    assert [d for _, d in heading_datasets([heading])[0]] == ["other:pascal voc", ""]


@given(_SCORES)
@settings(max_examples=10, deadline=None)
def test_a_voc_sections_value_after_a_numbered_table_row_is_no_candidate(value: float) -> None:
    """End to end: the value under a VOC heading stays VOC's after a table row starting with a number."""
    filler = "We describe the training schedule and the settings of the detector in detail here. " * 8
    text = (f"5 Experiments\nOur main results on COCO are in Table 4.\n5.2. PASCAL VOC 2007 Results\n{filler}\n"
            f"2 ResNet-50 96.1 25.6\n{filler}Our full model gives an improvement to {value}% mAP.\n")  # no score drawn
    assert not any(c.value == pytest.approx(value) for c, _, _ in collect(Document.from_texts([text])))


@given(st.sampled_from(["mAP@0.5 / @0.7", "mAP@0.5/0.7", "mAP@.5/.7", "AP@0.5 / 0.7", "mAP@0.5/@0.3"]))
def test_a_pair_of_aps_at_two_ious_written_with_a_slash_names_the_other_protocol(header: str) -> None:
    """"mAP@0.5 / @0.7" and "mAP@0.5/0.7" alike: the second threshold of the pair is one COCO does not report."""
    assert names_other_iou(header)


@given(st.sampled_from(["mAP@0.5 / @0.75", "mAP@0.5/0.75", "AP@[.5:.95]", "AP / AR", "AP50 / AP75", "Top-1 / Top-5",
                        "AP@[.5/.95]"]))
def test_coco_thresholds_and_other_pairs_name_no_other_protocol(header: str) -> None:
    """COCO's own thresholds, its range and pairs of other measures are no other protocol."""
    assert not names_other_iou(header)


@given(st.sampled_from(["ΔAP", "Δ AP", "∆AP", "Gains", "Improvements", "Improvement (%)", "gain", "Δ"]),
       st.lists(st.floats(0.1, 12.0).map(lambda x: round(x, 1)), min_size=2, max_size=2))
def test_every_row_of_differences_gives_no_values(label: str, deltas: list[float]) -> None:
    """"ΔAP +0.4 +0.2", "Gains +1.2 +0.9": the differences between the rows above, whatever the word's number or the
    metric after the delta sign, are no model's values."""
    page = f"Model AP AP50\nYOLOv7 51.2 69.7\nYOLOv7-X 52.9 71.1\n{label} +{deltas[0]} +{deltas[1]}\n"
    assert sorted(f.value for f in text_table_facts(page, benchmark="coco")) == [51.2, 52.9, 69.7, 71.1]


@given(st.sampled_from(["DeltaNet", "Gainformer", "Improved-Net"]))
def test_a_model_named_like_a_difference_word_keeps_its_row(name: str) -> None:
    """A model whose name starts like a difference word is a model's row."""
    page = f"Model AP AP50\nYOLOv7 51.2 69.7\n{name} 52.9 71.1\n"
    assert sorted(f.value for f in text_table_facts(page, benchmark="coco")) == [51.2, 52.9, 69.7, 71.1]


@given(st.sampled_from(["trained on", "pre-trained on", "pretrained on", "Pretrained on the", "trained with"]),
       st.sampled_from(["COCO", "MS COCO", "MS-COCO", "MSCOCO"]), _SCORES)
def test_a_benchmark_named_as_the_training_set_does_not_claim_a_sections_value(verb: str, coco: str,
                                                                               value: float) -> None:
    """"When fine-tuned from models pretrained on MS-COCO, our model achieves 80.0% mAP" under a VOC heading: COCO is
    where the model learned, however "pre-trained" and "MS COCO" are spelt; the value is still the section's
    dataset's. Named as where it was evaluated, COCO claims it."""
    text = f"When fine-tuned from models {verb} {coco}, our SSD512 achieves {value}% mAP."
    at = text.find(str(value))
    assert section_on_other_dataset(text, _benchmark_spots(text), at, at + 4, "other:pascal voc")
    evaluated = text.replace(verb, "evaluated on")
    assert not section_on_other_dataset(evaluated, _benchmark_spots(evaluated), at, at + 4, "other:pascal voc")


@given(st.sampled_from(["ResNet-50", "PNASNet-5 [10]", "BERT-base"]),
       st.sampled_from(["(our impl.)", "(reimpl.)", "(re-impl.)", "(re-implementation)", "(reimplemented)",
                        "(implemented by us)", "(impl. by us)", "(trained by us)", "(re-run by us)", "(reproduced)"]))
def test_every_mark_of_a_baseline_run_again_by_the_authors_is_read(model: str, mark: str) -> None:
    """A baseline the authors ran again is marked in many spellings, abbreviated or not; all of them say whose model
    it is not."""
    assert reimplemented(f"{model} {mark}")


@given(st.sampled_from(["ResNet-50", "NetX"]),
       st.sampled_from(["(ours)", "implicit", "(improved)", "(reproducible)"]))
def test_an_own_row_or_a_word_starting_like_impl_is_no_reimplementation(model: str, mark: str) -> None:
    """"(ours)", "implicit", "(improved)": no mark of a re-run baseline."""
    assert not reimplemented(f"{model} {mark}")


@given(st.sampled_from(["Table 10.", "TABLE IV:", "Tab. 3:", "Table 3", "TABLE 3.", "Table XII."]),
       st.sampled_from(["MobileNet for Stanford Dogs", "Transfer to Oxford Flowers-102", "Results on VOC 2007"]))
def test_a_caption_over_the_line_readers_header_is_read_however_its_number_is_printed(number: str, rest: str) -> None:
    """"TABLE IV: MobileNet for Stanford Dogs" (IEEE papers' Roman numerals), "Tab. 3:", "Table 3" without a
    separator: a caption naming another dataset right over the header makes its metric columns that dataset's,
    as "Table 10." does; a line that only starts with the word "Table" is no caption."""
    assert foreign_caption_above([f"{number} {rest}", "Model Top-1", "Accuracy Params"], 2)
    assert not foreign_caption_above([f"Table Inception {rest}", "Model Top-1", "Accuracy Params"], 2)


@given(st.sampled_from(["FPS", "fps", "Speed", "speed", "Latency", "latency", "Time", "time", "Throughput",
                        "throughput", "Runtime", "runtime", "ms"]), st.integers(3, 95))
def test_a_value_under_a_quantity_header_word_of_any_case_goes_to_no_field(word: str, speed: int) -> None:
    """"Method AP speed" as well as "Method AP Speed": a header word naming a quantity with no field, whatever its
    case, takes its column's values, which give nothing (they went to the AP slot within reach)."""
    text, boxes = boxed_text([[(0, "Method"), (100, "AP"), (130, word)],
                              [(0, "RetinaNet-50"), (100, "32.5"), (130, str(speed))],
                              [(0, "RetinaNet-101"), (100, "34.4"), (130, str(speed + 1))]])
    facts = [(f.field, f.value) for f in text_table_facts(text, benchmark="coco", boxes=boxes)]
    assert sorted(facts) == [("box_ap", 32.5), ("box_ap", 34.4)]


@given(st.integers(3, 95))
def test_the_capitals_ms_of_ms_coco_are_no_quantity_header(value: int) -> None:
    """"MS COCO AP" over a column: "MS" is the dataset's name, no milliseconds; the column is read."""
    text, boxes = boxed_text([[(0, "Method"), (100, "MS"), (112, "COCO"), (140, "AP")],
                              [(0, "RetinaNet-50"), (140, f"{value}.5")]])
    facts = [(f.field, f.value) for f in text_table_facts(text, benchmark="coco", boxes=boxes)]
    assert facts == [("box_ap", value + 0.5)]


@given(st.sampled_from(["as shown in Figure 3.", "(see Fig. 3.", "as Figure 3. shows,", "and in Fig. 4:"]),
       st.sampled_from(["VOC2007", "PASCAL VOC", "Cityscapes"]), _SCORES)
@settings(max_examples=30, deadline=None)
def test_a_sentence_referring_to_a_figure_is_no_figures_label(reference: str, dataset: str, value: float) -> None:
    """"Our full model reaches 63.4 mAP, as shown in Figure 3. VOC2007 results are in the appendix.": "Figure 3." ends
    a reference, no caption; the value is the COCO paper's, whatever the next sentence names. A caption right after a
    figure's labels ("… 45FPS Conv6 Fig. 2: … on VOC2007") still claims them."""
    filler = "We describe the training schedule and the settings of the detector in detail here. " * 8
    text = (f"Our results on COCO are in Table 4. {filler}Our full model reaches {value} mAP, {reference} "
            f"{dataset} results are given in the appendix.")
    assert any(c.value == value for c, _, _ in collect(Document.from_texts([text])))
    at = text.find(str(value))
    assert not figure_on_other_dataset(text, _benchmark_spots(text), at, at + len(str(value)))
    label = f"Our results on COCO are in Table 4. {filler}Conv7 {value}mAP 59FPS Conv6 Fig. 2: Results on {dataset}."
    at = label.find(str(value))
    assert figure_on_other_dataset(label, _benchmark_spots(label), at, at + len(str(value)))


@given(st.sampled_from(["No", "no", "w/o", "without", "Without"]), st.sampled_from([" UNK", "-UNK", " unk", "UNK"]))
def test_every_spelling_of_the_test_sets_part_without_unknown_words_is_one(no: str, unk: str) -> None:
    """"No UNK", "w/o UNK", "without UNK": the test sentences without unknown words, no benchmark result; "All" and a
    word that only starts like one ("Unknown") are none."""
    assert names_test_subset(f"{no}{unk}")
    assert not names_test_subset("All") and not names_test_subset(f"{no} Unknown")


@given(st.sampled_from(["FPS", "fps", "Hz", "ms", "us", "sec", "s", "min", "mins", "h", "hrs", "days", "GB", "x"]),
       st.integers(12, 39), _SCORES)  # below every score and its baseline (score - 10 >= 40)
@settings(max_examples=40, deadline=None)
def test_a_number_with_any_rate_time_or_size_unit_glued_on_is_no_score(unit: str, speed: int, score: float) -> None:
    """"74.3mAP 59FPS", "… 27min", "… 20Hz", "… 3days": a figure's label prints a speed, a time or a size glued to
    its number right after the score; none of these units makes it a score, the scores are read."""
    text = f"Our detector on COCO: {score}mAP {speed}{unit} and the baseline {score - 10:.1f}mAP {speed - 10}{unit}."
    values = {c.value for c, _, _ in collect(Document.from_texts([text])) if c.field == "box_ap"}
    assert float(speed) not in values and float(speed - 10) not in values
    assert score in values


_IOUS = st.sampled_from(["0.5", "0.50", ".5", ".50", "0.75", ".75", "0.5:0.95", "0.50:0.95", ".5:.95", "0.5 : 0.95"])


@given(st.lists(_IOUS, min_size=2, max_size=7))
def test_a_line_of_iou_thresholds_in_any_spelling_is_a_header_level(thresholds: list[str]) -> None:
    """"0.50:0.95 0.50 0.75" as well as "0.5:0.95 0.5 0.75": the AP columns' IoU level of a header, no table row;
    a row with a label or another number is none."""
    assert iou_threshold_line(" ".join(thresholds))
    assert not iou_threshold_line(" ".join(["ResNet-50", *thresholds]))
    assert not iou_threshold_line(" ".join([*thresholds, "76.1"]))
