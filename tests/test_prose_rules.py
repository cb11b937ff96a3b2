"""Prose rules (issue 17): which model a number written in a sentence belongs to, on sentences written for the tests.

Each test names the writing habit it covers; each failed before the rule it tests.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flopmine.extract.document import Document, Page
from flopmine.extract.evidence import Evidence
from flopmine.extract.rules.context import (
    first_page_title,
    model_names,
    never_a_model,
    own_model_name,
    own_model_stems,
)
from flopmine.extract.rules.paper import collect
from flopmine.types import METRIC_FIELDS, Candidate


def _found(text: str, field: str, **meta: object) -> list[tuple[Candidate, Evidence]]:
    doc = Document.from_texts([text], **meta)
    return [(c, ev) for c, _, ev in collect(doc) if c.field == field]


def _models(text: str, field: str, value: float | str, **meta: object) -> set[str]:
    """The models the candidates of ``value`` name (several rules may find one number)."""
    out = {c.model for c, _ in _found(text, field, **meta)
           if (c.value == value if isinstance(value, str) else c.value == pytest.approx(value))}
    assert out, f"no {field} candidate of {value}"
    return out


# ---------------------------------------------------------------- names that are never a model's


@pytest.mark.parametrize("sentence,field,value", [
    # the dataset the run trains on ("ImageNet-1K taken as a model name")
    ("We train our models for 300 epochs on ImageNet-1k with an AdamW optimizer.", "epochs", 300),
    ("The models are trained for 90 epochs on IN-21k before fine-tuning.", "epochs", 90),
    # the machine the run trains on
    ("We train for 90 epochs on 64 Intel KNL instances using Intel Caffe.", "epochs", 90),
    ("We use 6 DGX-2 machines (96 V100 GPUs) to train the models.", "hardware_count", 96),
    ("It could be trained using a standard cloud TPUv3 with 8 cores in approximately 30 days.",
     "training_time_hours", 720),
    # the metric the number is
    ("By applying our method we achieve 27.1% AP on the COCO metric, against 25.7% AP50 before.", "box_ap", 27.1),
])
def test_datasets_devices_and_metrics_are_never_the_model(sentence: str, field: str, value: float) -> None:
    assert _models(sentence, field, value) == {""}


def test_never_a_model_keeps_real_model_names() -> None:
    for name in ("ResNet-50", "BiDAF", "ViT-L", "EfficientNetV2", "TinyBERT", "YOLOv4", "ConvS2S", "DeiT-S"):
        assert not never_a_model(name), name
    for name in ("ImageNet-21K", "ILSVRC2012", "JFT-300M", "LibriSpeech", "CIFAR-100", "Top-5", "AP75", "A100",
                 "K40", "TPUv3", "DGX-1"):
        assert never_a_model(name), name


@given(st.sampled_from(["ImageNet", "IN", "JFT", "CIFAR", "WMT", "COCO"]), st.integers(1, 999),
       st.sampled_from(["", "k", "K", "M", "B"]), st.sampled_from(["-", "", " "]))
def test_any_dataset_size_suffix_is_not_a_model(base: str, n: int, unit: str, sep: str) -> None:
    # "ImageNet-21k", "JFT-300M", "IN-1K", "CIFAR-10", "WMT 14": however a dataset's size or year is written
    assert model_names(f"trained on {base}{sep}{n}{unit} for long") == []


# ---------------------------------------------------------------- set-up numbers and the names after them


def test_a_name_after_a_setup_number_is_a_comparison_not_its_model() -> None:
    text = ("TraTra is our model. TraTra streams. TraTra is small. We found that the transducer models trained "
            "much faster (about 1 day) compared to an LSTM-based RNN-T model.")
    assert _models(text, "training_time_hours", 24) == {""}


def test_a_name_after_a_setup_number_is_kept_when_it_is_the_papers_own() -> None:
    text = "Training 37 days on 8 GPUs gave our ConvS2S its final BLEU. ConvS2S is fast. ConvS2S wins."
    assert "ConvS2S" in _models(text, "training_time_hours", 37 * 24, title="ConvS2S: convolutional translation")


def test_a_sentence_naming_the_model_once_carries_it_to_its_later_numbers() -> None:
    text = "Our ConvS2S model is implemented in Torch and trained on 8 M40 GPUs for 37 days."
    assert _models(text, "training_time_hours", 37 * 24) == {"ConvS2S"}
    assert _models(text, "hardware_count", 8) == {"ConvS2S"}


# ---------------------------------------------------------------- sentences that do not name the model


def test_the_model_named_in_the_sentence_before_is_carried() -> None:
    text = ("We replace each block with a bottleneck block, resulting in FooNet-50 (Table 1). "
            "This model has 3.8 billion FLOPs.")
    assert _models(text, "flops", 3.8e9) == {"FooNet-50"}


def test_the_paper_own_model_takes_a_nameless_sentence_about_the_model() -> None:
    text = ("BiDAF reads the passage. BiDAF attends both ways. BiDAF is trained end to end. "
            "We use 100 filters for the char embedding, each with a width of five words and no padding at all. "
            "The hidden state size of the LSTM layers is set to one hundred units for every layer of the stack. "
            "The model has about 2.6 million parameters.")
    assert _models(text, "params", 2.6e6) == {"BiDAF"}


def test_no_own_model_is_guessed_when_no_family_dominates() -> None:
    text = ("ResNet-50 and VGG-16 are compared. ResNet-101 and VGG-19 too. "
            "We use 100 filters for the char embedding, each with a width of five words and no padding at all. "
            "The hidden state size of the layers is set to one hundred units for every layer of the stack. "
            "The model has about 2.6 million parameters.")
    assert own_model_name(Document.from_texts([text])) == ""
    assert _models(text, "params", 2.6e6) == {""}


def test_values_of_several_models_in_one_sentence_go_to_each() -> None:
    text = "On ImageNet, FooNet-B reaches 76.3% top-1 accuracy and BarNet-S 74.1% top-1 accuracy."
    assert _models(text, "top1_acc", 76.3) == {"FooNet-B"}
    assert _models(text, "top1_acc", 74.1) == {"BarNet-S"}


# ---------------------------------------------------------------- the printed title names the own model


def _page(lines: list[tuple[str, float]], body: str) -> Page:
    text = "\n".join(t for t, _ in lines) + "\n" + body
    boxes: list[tuple[float, float, float, float] | None] = []
    for t, h in lines:
        boxes += [(0.0, 0.0, 5.0, h)] * len(t) + [None]
    boxes += [(0.0, 0.0, 5.0, 10.0)] * len(body)
    return Page(1, text, char_boxes=tuple(boxes))


def test_printed_title_head_names_the_own_model_when_metadata_has_no_title() -> None:
    body = "We compare ResNet-50, ResNet-101 and ResNet-152 with QuuxNet. " * 5
    page = _page([("QuuxNet: Improving Pre-training", 17.0), ("by Representing Spans", 17.0),
                  ("Ann Author", 11.0)], body)
    assert first_page_title(page) == "QuuxNet: Improving Pre-training by Representing Spans"
    doc = Document(arxiv_id="0000.00000", version=1, pages=(page,))
    assert own_model_stems(doc)["quuxnet"] == 1.0
    assert own_model_name(doc) == "QuuxNet"


def test_printed_title_without_a_name_head_adds_no_model() -> None:
    page = _page([("Going Deeper with Convolutions", 17.0), ("Ann Author", 11.0)], "ResNet-50 is used. " * 5)
    doc = Document(arxiv_id="0000.00000", version=1, pages=(page,))
    assert "going" not in own_model_stems(doc)


# ---------------------------------------------------------------- training vs inference hardware


def test_device_that_timed_inference_is_marked_and_the_training_one_is_not() -> None:
    text = ("We train the detector on 8 Tesla V100 GPUs. "
            "Speed is measured in FPS on a single GeForce RTX 2080 Ti with batch size 1.")
    ev = {c.value: e for c, e in _found(text, "hardware")}
    train = next(e for v, e in ev.items() if "V100" in str(v))
    infer = next(e for v, e in ev.items() if "2080" in str(v))
    assert infer.inference and not train.inference
    assert train.train_context


# ---------------------------------------------------------------- what the paper proposes is its own model


def test_the_model_a_paper_proposes_is_its_own_even_when_a_baseline_is_named_as_often() -> None:
    text = ("In this paper we introduce the Bi-Directional Attention Flow (BIDAF) network, a reader. "
            + "BIDAF uses an LSTM. The LSTM is deep. " * 4
            + "We use 100 filters for the char embedding, each with a width of five words and no padding at all. "
            "The model has about 2.6 million parameters.")
    assert own_model_stems(Document.from_texts([text]))["bidaf"] >= 0.9
    assert _models(text, "params", 2.6e6) == {"BIDAF"}


_WORD_NAMES = st.sampled_from(["Transformer", "Reformer", "Perceiver", "Conformer", "Sparrow", "Lighthouse"])


@given(_WORD_NAMES, st.sampled_from(["We propose", "In this work we introduce", "This paper presents"]),
       st.sampled_from(["a new simple network architecture", "a novel model", "an attention-only design"]),
       st.sampled_from([",", " (", ";"]))
@settings(max_examples=40, deadline=None)
def test_a_proposed_model_named_by_an_ordinary_word_in_apposition_is_own(name: str, verb: str, what: str,
                                                                         close: str) -> None:
    """"We propose a new simple network architecture, the Transformer, …": a capitalised ordinary word after
    "the", set off by a comma or bracket, is the name of what is proposed; its rows are the paper's own."""
    text = f"{verb} {what}, the {name}{close} based on attention. The {name.lower()} layers are deep."
    assert own_model_stems(Document.from_texts([text])).get(name.lower(), 0.0) >= 0.9
    plain = f"{verb} {what}, based on the {name.lower()}, and attention."
    assert own_model_stems(Document.from_texts([plain])).get(name.lower(), 0.0) == 0.0
    heading = f"{verb} {what}, as the Results, in Table 2, show."  # a capitalised section word is no name
    assert "results" not in own_model_stems(Document.from_texts([heading]))


@given(st.text(alphabet="ABCDEFGHKLMPRSTUVWXYZ", min_size=2, max_size=5), st.integers(10, 2048))
@settings(max_examples=60, deadline=None)
def test_an_acronym_with_its_size_glued_on_is_its_family(acronym: str, size: int) -> None:
    """"SSD300" / "SSD512" are sizes of "SSD: Single Shot …": their rows are the titled model's own."""
    from flopmine.extract.rules.context import _stem

    assert _stem(f"{acronym}{size}") == _stem(acronym)
    assert _stem(f"{acronym[0]}{size}") == f"{acronym[0]}{size}".lower()  # "T5", "R50": one letter is no family


def test_the_own_model_is_named_by_its_bare_family_when_the_paper_writes_it() -> None:
    text = "We propose FooNet. FooNet-50 and FooNet-101 beat VGG-16. FooNet-50 wins. FooNet is deep."
    assert own_model_name(Document.from_texts([text])) == "FooNet"


def test_venues_of_the_references_and_layer_names_do_not_make_a_family() -> None:
    text = "BarNet is ours. BarNet is deep. " + "In CVPR, 2016. CoRR, 2017. In ICLR, 2018. MaxPool DepthConcat. " * 6
    assert set(model_names(text)) == {"BarNet"}
    assert own_model_name(Document.from_texts([text])) == "BarNet"


def test_a_name_after_the_number_with_a_number_of_its_own_is_not_its_model() -> None:
    text = ("It is worth noticing that the 34-layer baseline has 3.6 billion FLOPs, which is only 18% of "
            "VGG-19 (19.6 billion FLOPs).")
    assert _models(text, "flops", 3.6e9) == {""}
    assert _models(text, "flops", 19.6e9) == {"VGG-19"}


# ---------------------------------------------------------------- set-up numbers the patterns missed or misread


def test_speech_corpus_hours_are_not_a_training_time() -> None:
    text = ("We train LAS on the LibriSpeech 960h task; LibriSpeech comes with 960 hours of read speech. "
            "Training takes 7 days on 32 TPU chips.")
    values = {c.value for c, _ in _found(text, "training_time_hours")}
    assert 960 not in values and 168 in values


@pytest.mark.parametrize("sentence,field,value", [
    ("The total number of training epochs is 250.", "epochs", 250),
    ("DistilBERT was trained on 8 16GB V100 GPUs for approximately 90 hours.", "hardware_count", 8),
    ("Pre-training was done on 32 Volta V100 GPUs and took 15 days to complete.", "hardware_count", 32),
])
def test_setup_numbers_written_in_other_words_are_found(sentence: str, field: str, value: float) -> None:
    assert value in {c.value for c, _ in _found(sentence, field)}


def test_an_own_model_in_two_sizes_told_apart_by_a_size_word() -> None:
    text = ("We trained the base models for a total of 100,000 steps or 12 hours. "
            "The big models were trained for 300,000 steps (3.5 days).")
    assert _models(text, "training_steps", 100000) == {"base"}
    assert _models(text, "training_steps", 300000) == {"big"}
    assert _models(text, "training_time_hours", 84) == {"big"}


def test_a_depth_variant_of_the_own_family_is_named_by_its_layers() -> None:
    text = ("We propose ResNet. ResNet-50 and ResNet-101 are deep. ResNet is easy to train. "
            "Left: the VGG-19 model [41] (19.6 billion FLOPs) as a reference. "
            "Middle: a residual network with 34 parameter layers (3.6 billion FLOPs).")
    assert _models(text, "flops", 3.6e9) == {"ResNet-34"}


def test_a_model_compared_with_after_the_number_is_not_its_model() -> None:
    text = "By pretraining on ImageNet21k, our FooNetV2 achieves 87.3% top-1 accuracy, outperforming the recent ViT by 2.0%."
    assert _models(text, "top1_acc", 87.3) == {"FooNetV2"}
    text = "It reaches 87.3% top-1 accuracy on ImageNet, outperforming the recent ViT-L by 2.0%."
    assert _models(text, "top1_acc", 87.3) == {""}


def test_a_family_written_in_the_plural_or_hyphenated_at_a_line_end_is_the_family() -> None:
    assert model_names("We train ConvNeXts like SENets and BiLSTMs; our Effi-cientNetV2 wins.") == [
        "ConvNeXt", "SENet", "BiLSTM", "EfficientNetV2"]


def test_what_we_had_against_a_model_compared_with_is_the_papers_own() -> None:
    text = ("We propose FooNeXt. FooNeXt is wide. FooNeXt is deep. We had an ensemble result of 3.03% top-5 "
            "error on the test set, on par with the winner's 2.99% and Inception-v4.")
    assert _models(text, "top5_err", 3.03) == {"FooNeXt"}


def test_a_footnote_mark_glued_to_the_next_word_is_not_a_model() -> None:
    assert never_a_model("Re-7Due")
    assert model_names("we get 38.6% (Re-7Due to the memory issue, we reduce the batch size") == []


def test_the_architecture_a_model_follows_is_not_the_model() -> None:
    text = ("We begin by training RoBERTa following the BERTLARGE architecture (L = 24, H = 1024, A = 16, "
            "355M parameters).")
    assert _models(text, "params", 355e6) == {"RoBERTa"}


def test_the_teacher_of_a_distillation_is_not_the_model_trained() -> None:
    text = "We perform the intermediate layer distillation for 3 epochs with the supervision of a pre-trained BERTBASE teacher."
    assert _models(text, "epochs", 3, title="BERTBASE: a study") == {""}


@settings(deadline=None, max_examples=40)  # the first example loads the rule engine
@given(st.integers(1, 999), st.integers(0, 59), st.sampled_from(["Stochastic Depth", "Constant Depth", "Ours"]))
def test_run_times_to_the_minute_after_a_name_are_training_times(hours: int, minutes: int, label: str) -> None:
    """A table row of run times ("Stochastic Depth 15h 7m"): a capitalised name before "15h" is a model, not
    a speech corpus ("LibriSpeech 960h"), when the duration runs to the minute."""
    text = f"Table 2. Training time comparison. {label} {hours}h {minutes}m"
    values = {c.value for c, _ in _found(text, "training_time_hours")}
    assert any(v == pytest.approx(hours + minutes / 60) for v in values), values


@pytest.mark.parametrize("sentence,field,value", [
    # the value before the COCO AP50 name, as the box AP rule reads "27.1% AP"
    ("By applying our method, we achieve 46.2% AP50 and 27.1% AP on the COCO metric.", "ap50", 46.2),
    # the schedule changed "from … to …": the new value is the run's
    ("In the mixup training we increase the number of epochs from 120 to 200.", "epochs", 200),
    # PASCAL's metric named by its style on COCO (AP at IoU 0.5), and an aside between the name and its value
    ("On test-dev the PASCAL-style mAP is 35.9%; the new COCO-style AP, which also averages over IoU thresholds, "
     "is 19.7%.", "ap50", 35.9),
    ("On test-dev the PASCAL-style mAP is 35.9%; the new COCO-style AP, which also averages over IoU thresholds, "
     "is 19.7%.", "box_ap", 19.7),
    # a count of iterations in thousands without its unit, right after the optimiser or "train for"
    ("We follow the setup of Fast-RCNN and apply SGD for 80K to train our models.", "training_steps", 80000),
])
def test_values_after_their_name_or_a_change_are_found(sentence: str, field: str, value: float) -> None:
    assert value in {c.value for c, _ in _found(sentence, field)}


@pytest.mark.parametrize("sentence", ["All models are trained for 90k iterations with a batch of 16.",
                                      "We run SGD for 160k iterations, then lower the rate."])
def test_a_count_in_thousands_with_its_unit_is_read_once(sentence: str) -> None:
    """"trained for 90k iterations": the unit's rule reads it; the unitless one ("SGD for 80K to …") stays out."""
    rules = [c.rule for c, _ in _found(sentence, "training_steps")]
    assert rules and "steps.train_for_thousands" not in rules


# ---------------------------------------------------------------- values that are another dataset's or another metric's


@given(st.sampled_from(["VOC12", "VOC 2007", "PASCAL VOC", "SVHN", "Cityscapes", "OntoNotes", "Places365"]),
       st.sampled_from(["a mAP of {v}%", "{v}% mAP", "{v}% error", "an error of {v}%", "{v}% F1", "an AP of {v}"]),
       st.floats(1.0, 90.0).map(lambda x: round(x, 1)))
@settings(max_examples=40, deadline=None)
def test_a_result_the_sentence_places_on_another_dataset_is_no_candidate(dataset: str, phrase: str,
                                                                          value: float) -> None:
    """"Fast R-CNN achieves the top result on VOC12 with a mAP of 65.7%": PASCAL VOC's mAP is no COCO box AP (nor any
    registry metric); the same sentence on COCO keeps its value."""
    said = phrase.format(v=value)
    other = f"Our results on COCO are in Table 2. Our detector achieves the top result on {dataset} with {said}."
    ours = f"Our results on COCO are in Table 2. Our detector achieves the top result on COCO with {said}."
    assert not any(c.value == pytest.approx(value) for c, _, _ in collect(Document.from_texts([other])))
    assert any(c.value == pytest.approx(value) for c, _, _ in collect(Document.from_texts([ours])))


def test_an_abbreviation_does_not_end_the_sentence_naming_the_dataset() -> None:
    """"59 FPS with mAP 74.3% on VOC2007 test, vs. Faster R-CNN 7 FPS with mAP 73.2%": both are VOC's."""
    text = ("Our results on COCO are in Table 2. Our detector runs at 59 FPS with mAP 74.3% on VOC2007 test, "
            "vs. Faster R-CNN 7 FPS with mAP 73.2% or YOLO 45 FPS with mAP 63.4%.")
    assert not {c.value for c, _ in _found(text, "box_ap")} & {74.3, 73.2, 63.4}


def test_a_sentence_naming_another_dataset_and_ours_keeps_its_values() -> None:
    """"46.2% AP50 and 27.1% AP on the VOC and COCO metric": the sentence names COCO, its values are COCO's."""
    text = "On COCO, our method obtains 46.2% AP50 and 27.1% AP on the VOC and COCO metric respectively."
    assert {c.value for c, _ in _found(text, "box_ap")} >= {27.1}


@given(st.sampled_from(["PASCAL VOC 2007", "VOC2012", "Cityscapes", "SVHN"]),
       st.sampled_from(["{v}% mAP", "a mAP of {v}%", "{v}% error", "an error of {v}%"]),
       st.floats(1.0, 90.0).map(lambda x: round(x, 1)))
@settings(max_examples=40, deadline=None)
def test_a_later_sentence_of_a_passage_on_another_dataset_is_no_candidate(dataset: str, phrase: str,
                                                                           value: float) -> None:
    """"5.2. PASCAL VOC 2007 Results … Our full model gives another boost to 58.9% mAP": the sentence does not repeat
    the dataset, but the passage is about it, no registry benchmark named since; the same passage about COCO, or a
    registry benchmark named in the value's sentence, keeps the value."""
    said = phrase.format(v=value)
    intro = "Our main results on COCO are in Table 4. 5.2. {d} Results We report our results in Table 1. "
    tail = f"Our baseline is 57.0% mAP. Combining both modules gives another boost to {said}."
    values = {c.value for c, _, _ in collect(Document.from_texts([intro.format(d=dataset) + tail]))}
    assert value not in values
    assert value in {c.value for c, _, _ in collect(Document.from_texts([intro.format(d="COCO") + tail]))}
    named = intro.format(d=dataset) + tail.replace(f"{said}.", f"{said} on COCO.")
    assert value in {c.value for c, _, _ in collect(Document.from_texts([named]))}


@given(st.sampled_from(["error", "classification error", "accuracy"]), st.sampled_from(["top 5", "top-5", "Top5", "top-10"]),
       st.floats(1.0, 90.0).map(lambda x: round(x, 1)))
@settings(max_examples=30, deadline=None)
def test_a_plain_score_qualified_after_it_or_of_localization_is_no_top1(metric: str, k: str, value: float) -> None:
    """"29.9% error (top 5)" is a top-5 error; "the localization competition with 29.9% error" another task's;
    neither is a top-1 classification score. A bracket holding another value ("by 1.7% (top-5 1.1%)") does not
    qualify the first."""
    fields = ("top1_err", "top1_acc")
    qualified = f"On ImageNet, our entry reaches {value}% {metric} ({k})."
    assert not any(c.value == value for f in fields for c, _ in _found(qualified, f))
    task = f"On ImageNet, our entry wins the localization competition with {value}% {metric}."
    assert not any(c.value == value for f in fields for c, _ in _found(task, f))
    other = f"On ImageNet, our entry reaches {value}% {metric} ({k} 1.1%)."
    assert any(c.value == value for f in fields for c, _ in _found(other, f))


@pytest.mark.parametrize("sentence,field,wrong,right", [
    # the metric named right after the number is its own
    ("BYOL obtains 74.3% top-1 accuracy (91.6% top-5 accuracy) with a ResNet-50.", "top1_acc", 91.6, 74.3),
    ("YOLOv4-large achieves 56.0% AP (73.3 AP50) on COCO test-dev.", "box_ap", 73.3, 56.0),
    ("Our detector reaches an accuracy (73.2% mAP) on COCO.", "top1_acc", 73.2, None),
    # a qualifier before the general metric word
    ("Our final submission obtains a top-5 error of 6.67% on ImageNet.", "top1_err", 6.67, None),
    ("SENet reduced the top-5 error to 2.251% on ImageNet.", "top1_err", 2.251, None),
])
def test_a_number_a_specific_metric_reads_is_not_read_as_the_general_one(sentence: str, field: str, wrong: float,
                                                                         right: float | None) -> None:
    values = {c.value for c, _ in _found(sentence, field)}
    assert wrong not in values
    if right is not None:
        assert right in values


@given(st.sampled_from(["WER", "error", "accuracy of", "BLEU"]), st.integers(2, 9),
       st.sampled_from(["gram", "layer", "stage", "way"]))
def test_a_number_joined_to_a_word_is_no_score(metric: str, n: int, word: str) -> None:
    """"word error rates (WER) … Language model PPL WER 4-gram LM (baseline) 75.5 8.6": "4-gram" is no WER of 4."""
    text = f"Language model PPL {metric} {n}-{word} LM (baseline) 75.5 on Switchboard and ImageNet."
    assert not any(c.value == n for c, _, _ in collect(Document.from_texts([text])) if c.field in METRIC_FIELDS)


@pytest.mark.parametrize("sentence", [
    "Each update uses a single minibatch. One epoch is one pass through the training set.",
    "An epoch is a full pass over the data, and one step means one update of the parameters.",
])
def test_a_sentence_defining_the_schedule_unit_gives_no_schedule(sentence: str) -> None:
    assert not [c for c, _ in _found(sentence, "epochs") if c.value == 1]
    assert not [c for c, _ in _found(sentence, "training_steps") if c.value == 1]


def test_one_epoch_of_training_is_still_a_schedule() -> None:
    assert [c for c, _ in _found("We fine-tune the model for one epoch on the new data.", "epochs") if c.value == 1]


@given(st.sampled_from(["CIFAR10 / 100", "CIFAR-10/100", "VOC 2007/2012", "SQuAD 1.1/2.0", "CIFAR10/ 100"]),
       st.sampled_from(["Accuracy", "accuracy (%)", "error", "mAP", "F1", "EM"]))
def test_the_second_dataset_of_a_pair_is_no_score(pair: str, metric: str) -> None:
    """"Model E ShiftResNet CIFAR10 / 100 Accuracy": the "100" is CIFAR-100, no accuracy of 100%."""
    second = float(pair.rsplit("/", 1)[1])
    text = f"Table 5: analysis on CIFAR-10 and COCO. Model E ShiftResNet {pair} {metric} ResNet (Module) {pair} {metric}"
    assert not any(c.value == second for c, _, _ in collect(Document.from_texts([text])) if c.field in METRIC_FIELDS)


# ---------------------------------------------------------------- another dataset's result beside a registry name

_METRIC_WORDS = {"f1": "F1", "em": "EM", "bleu": "BLEU", "wer": "WER", "box_ap": "AP"}


@settings(deadline=None, max_examples=40)
@given(st.sampled_from(("OntoNotes", "Cityscapes", "KITTI", "IWSLT", "CallHome")),
       st.sampled_from(sorted(_METRIC_WORDS)), st.sampled_from(("GLUE", "CIFAR-10", "COCO", "WMT'14 English-German")),
       st.sampled_from(("79.6", "41.3", "12.5")))
def test_a_result_on_another_dataset_stays_its_own_beside_a_registry_name_without_that_metric(
        other: str, field: str, registry_name: str, value: str) -> None:
    """"the OntoNotes coreference task (79.6% F1), strong performance on TACRED, and even gains on GLUE": the F1 is
    OntoNotes', whatever benchmark the paper reports F1 on; a registry benchmark named in the same sentence
    keeps the value only when it reports that metric (GLUE's is accuracy). Before, any registry name kept it."""
    from flopmine.benchmarks import load_registry
    from flopmine.extract.rules.benchmark_names import _benchmark_spots, other_dataset_result

    text = (f"We also achieve a new state of the art on the {other} task ({value}% {_METRIC_WORDS[field]}), "
            f"and even gains on {registry_name}.")
    at = text.find(value)
    spots = _benchmark_spots(text)
    named = {n for _, n in spots if not n.startswith("other:")}
    has_metric = any(field in load_registry()[n].metrics for n in named)
    assert other_dataset_result(text, spots, at, at + len(value), field) is not has_metric


def test_the_abstracts_other_task_f1_is_no_candidate_beside_a_benchmark_without_f1() -> None:
    text = ("SpanBERT obtains 94.6% and 88.7% F1 on SQuAD 1.1 and 2.0 respectively. We also achieve a new state of "
            "the art on the OntoNotes coreference resolution task (79.6% F1), strong performance on the TACRED "
            "relation extraction benchmark, and even gains on GLUE.")
    values = {c.value for c, _ in _found(text, "f1")}
    assert 88.7 in values and 79.6 not in values


# ---------------------------------------------------------------- a dataset's name is no model

@settings(deadline=None, max_examples=20)
@given(st.sampled_from(("TACRED", "ObjectNet", "LVIS", "VTAB", "HotpotQA")),
       st.sampled_from(("the {d} relation extraction benchmark", "the {d} dataset", "the {d} test set",
                        "{d} benchmark")))
def test_a_name_the_paper_writes_as_a_dataset_is_no_model(dataset: str, phrase: str) -> None:
    """"strong performance on the TACRED relation extraction benchmark" … "TACRED: we fine-tune for 10 epochs",
    "ViT-H/14 on the ObjectNet benchmark … reaches 82.1% top-5": a name the paper writes as a dataset is no model; a
    score nearest it is that dataset's (no candidate), a set-up number keeps no model. Before, the name was the
    model of both."""
    text = (f"We evaluate on {phrase.format(d=dataset)}. SpanBERT is our model. For {dataset} we fine-tune for "
            f"10 epochs. On {dataset} it reaches 82.1% accuracy.")
    epochs = [c for c, _ in _found(text, "epochs") if c.value == 10]
    assert epochs and all(c.model != dataset for c in epochs)
    assert not [c for c, _ in _found(text, "acc") + _found(text, "top1_acc") if c.model == dataset]


@settings(deadline=None, max_examples=20)
@given(st.sampled_from(("RoBERTa", "ResNeXt", "BERT")), st.sampled_from(("across all", "among", "between the", "via")),
       st.sampled_from(("benchmark datasets", "datasets", "test sets")))
def test_a_model_compared_across_datasets_is_no_dataset(model: str, joint: str, sets: str) -> None:
    """"RoBERTa-ReImp performs similarly to RoBERTa across all benchmark datasets": the words between the name and
    "datasets" relate a model to them, so the name stays a model; "the TACRED relation extraction benchmark" is
    still a dataset's name."""
    from flopmine.extract.rules.context import names_written_as_datasets

    assert model not in names_written_as_datasets(f"Ours performs similarly to {model} {joint} {sets}.")
    assert "TACRED" in names_written_as_datasets("strong results on the TACRED relation extraction benchmark")


# ---------------------------------------------------------------- a transposed table's row read as text

@settings(deadline=None, max_examples=20)
@given(st.sampled_from((("ViT-H", "ViT-L", "ViT-B"), ("DeBERTa1.5B", "DeBERTalarge", "DeBERTabase", "DeBERTabase-small"),
                        ("GPT-XL", "GPT-Large", "GPT-Base"))),
       st.sampled_from(("days", "weeks")), st.integers(0, 12))
def test_a_row_of_quantities_under_a_header_of_models_is_read_by_column(models: tuple[str, ...], unit: str,
                                                                         settings_rows: int) -> None:
    """A hyper-parameter table with a column per model that the text layer gives as running text ("Hyper-parameter
    DeBERTa1.5B DeBERTalarge … Number of Layers 48 24 12 … Training Time 30 days 20 days 10 days"): each quantity is
    its column's model's, however many setting rows lie between. Before, all were the family a caption names."""
    values = [30 - 7 * k for k in range(len(models))]
    rows = " ".join(f"Setting {r} " + " ".join(str(r + k) for k in range(len(models))) for r in range(settings_rows))
    text = (f"Hyper-parameter {' '.join(models)} {rows} Training Time "
            + " ".join(f"{v} {unit}" for v in values) + " Table 8: Hyper-parameters for pre-training the models.")
    hours = 24 if unit == "days" else 168
    got = {c.value: c.model for c, _ in _found(text, "training_time_hours")}
    assert {v * hours: got.get(v * hours) for v in values} == {v * hours: m for v, m in zip(values, models, strict=True)}


# ---------------------------------------------------------------- a plot axis's ticks before its title

@settings(deadline=None, max_examples=40)
@given(st.integers(10, 60), st.sampled_from((1, 2, 5, 10)), st.integers(4, 9),
       st.sampled_from(("Accuracy, Top 1, %", "Top-1 Accuracy (%)", "top-1 accuracy")))
def test_the_top_tick_of_an_axis_before_its_title_is_no_score(start: int, step: int, ticks: int, title: str) -> None:
    """A plot's text read in order: "Latency, ms 66 68 70 72 74 76 78 80 Accuracy, Top 1, %": the last tick stands
    right before the metric's name, and was read as a top-1 accuracy of 80 (in a list's top 3 in mobile-model
    papers). A sentence's score stays."""
    axis = " ".join(str(start + k * step) for k in range(ticks))
    top = start + (ticks - 1) * step
    text = f"Figure 1. Latency, ms {axis} {title} MobileNetV3 small. Our MobileNetV3 reaches 75.2% top-1 accuracy."
    values = {c.value for c, _ in _found(text, "top1_acc")}
    assert 75.2 in values and float(top) not in values


@given(st.sampled_from(["YOLOv4", "YOLOv7", "BERT", "MobileNetV3", "EfficientNet", "ResNet-50"]),
       st.sampled_from(["tiny", "small", "base", "large", "huge", "lite0", "nano"]))
@settings(max_examples=40, deadline=None)
def test_a_size_word_after_a_hyphen_stays_in_the_model_name(family: str, size: str) -> None:
    """"The YOLOv4-tiny model achieves 22.0% AP": the size word is part of the model's name (its 22.0 is the tiny
    model's, not the paper's main YOLOv4's); a word that only starts like one ("-based") is not."""
    from flopmine.extract.rules.context import model_names

    assert model_names(f"The {family}-{size} model achieves 22.0% AP.") == [f"{family}-{size}"]
    assert model_names(f"A {family}-based detector achieves 22.0% AP.") == [family]


@given(st.sampled_from(["PASCAL VOC 2007 Results", "VOC 2007 results", "Results on PASCAL VOC2012", "PASCAL VOC2007",
                        "Experiments on Cityscapes"]),
       st.sampled_from(["{v}% mAP", "a mAP of {v}%", "an improvement to {v}% mAP"]),
       st.floats(1.0, 90.0).map(lambda x: round(x, 1)), st.integers(700, 1500))
@settings(max_examples=30, deadline=None)
def test_a_value_in_a_section_headed_by_another_dataset_is_no_candidate(heading: str, phrase: str, value: float,
                                                                         gap: int) -> None:
    """"5.2. PASCAL VOC 2007 Results" heads a section whose sentences, hundreds of characters on and in its
    subsections ("5.2.1 Ablation"), name no dataset ("… gives an improvement to 69.9% mAP"): the values are VOC's,
    no COCO box AP. The next section at its level ("5.3 Results on COCO"), or a section headed by a registry
    benchmark, keeps them; so does a sentence naming COCO as where the value was measured."""
    filler = "We describe the training schedule and the settings of the detector in detail here. " * (gap // 80)
    said = phrase.format(v=value)
    voc = (f"5 Experiments\nOur main results on COCO are in Table 4.\n5.2. {heading}\n{filler}\n"
           f"5.2.1 Ablation\nOur full model gives {said}.\n")
    assert not any(c.value == pytest.approx(value) for c, _, _ in collect(Document.from_texts([voc])))
    later = voc.replace("5.2.1 Ablation", "5.3 Results on the test set")
    assert any(c.value == pytest.approx(value) for c, _, _ in collect(Document.from_texts([later])))
    named = voc.replace(f"gives {said}", f"gives {said} on COCO")
    assert any(c.value == pytest.approx(value) for c, _, _ in collect(Document.from_texts([named])))


def test_a_section_on_another_dataset_goes_on_over_pages_and_a_training_set_does_not_end_it() -> None:
    """The section's dataset holds on the next page, and "fine-tuned from models trained on COCO, our model achieves
    80.0% mAP" names COCO as what the model learned from: the 80.0 is still the section's dataset's."""
    filler = "We describe the training schedule and the settings of the detector in detail here. " * 10
    pages = [f"3 Experiments\nOur main results on COCO are in Table 4.\n3.3 PASCAL VOC2012\n{filler}",
             f"{filler}When fine-tuned from models trained on COCO, our model achieves 80.0% mAP.\n"]
    assert not any(c.value == pytest.approx(80.0) for c, _, _ in collect(Document.from_texts(pages)))


@given(st.just("error"), st.floats(20.0, 40.0).map(lambda x: round(x, 1)),
       st.sampled_from(["localization competition", "2012 and 2013 localization competitions", "localization task"]))
@settings(max_examples=20, deadline=None)
def test_a_plain_error_in_a_sentence_after_one_naming_localization_is_no_top1(metric: str, value: float,
                                                                              task: str) -> None:
    """"… the 2012 and 2013 localization competitions. Our method is the winner of the 2013 competition with 29.9%
    error.": the sentence names no task, the one before it does; the error is a localization error. A sentence
    naming its own kind ("Our classification error is …") keeps its value."""
    fields = ("top1_err", "top1_acc")
    text = f"On ImageNet, we entered the {task}. Our method is the winner of the competition with {value}% {metric}."
    assert not any(c.value == value for f in fields for c, _ in _found(text, f))
    own = f"On ImageNet, we entered the {task}. Our classification {metric} is {value}%."
    assert any(c.value == value for f in fields for c, _ in _found(own, f))


@given(st.floats(55.0, 90.0).map(lambda x: round(x, 1)), st.integers(15, 39),
       st.sampled_from(["FPS", "fps", "ms", "x"]))
@settings(max_examples=30, deadline=None)
def test_a_number_with_a_rate_unit_glued_on_after_a_metric_word_is_no_score(score: float, speed: int,
                                                                           unit: str) -> None:
    """A figure's labels "74.3mAP 59FPS 63.4mAP 45FPS" read in order put "mAP" right before a speed: the speed,
    its unit glued on, is no AP; the scores with "mAP" glued after them are."""
    text = f"Our detector on COCO: {score}mAP {speed}{unit} and the baseline {score - 10:.1f}mAP {speed - 10}{unit}."
    values = {c.value for c, _ in _found(text, "box_ap")}
    assert float(speed) not in values and float(speed - 10) not in values


@given(st.sampled_from(["<", "< ", "≤", ">", ">= ", "≥ "]),
       st.sampled_from([("{s}{v}M FLOPS", "flops", 1e6), ("{s}{v} million parameters", "params", 1e6),
                        ("{s}{v}% top-1 error", "top1_err", 1.0)]),
       st.integers(20, 90))
@settings(max_examples=40, deadline=None)
def test_a_number_after_an_inequality_sign_is_a_bound_not_a_value(sign: str, said: tuple[str, str, float],
                                                                  value: int) -> None:
    """"our MixNet-L achieves 78.9% top-1 accuracy under typical mobile settings (<600M FLOPS)": the 600M is a budget,
    no model's FLOPs; the same number without the sign is read."""
    phrase, field, scale = said
    bound = f"Our NetX-L achieves a new state of the art on ImageNet under mobile settings ({phrase.format(s=sign, v=value)})."
    assert not any(c.value == pytest.approx(value * scale) for c, _ in _found(bound, field))
    plain = bound.replace(f"({phrase.format(s=sign, v=value)})", f"with {phrase.format(s='', v=value)}")
    assert any(c.value == pytest.approx(value * scale) for c, _ in _found(plain, field))


@given(st.sampled_from(["T5", "T6", "R50", "R18", "B7"]),
       st.sampled_from(["Base", "Large", "Small", "XL", "XXL", "base", "11B", "3B"]))
def test_a_one_letter_name_with_a_size_after_a_hyphen_is_a_model(stem: str, size: str) -> None:
    """"the top-left point corresponds to the T5-Base model with 223M parameters": "T5-Base" is a model's name (the
    223M went to the paper's own Switch-Base before); a one-letter token with digits alone ("F1", "V100", "L2",
    "C4") stays no name."""
    name = f"{stem}-{size}"
    assert model_names(f"The point corresponds to the {name} model with 223M parameters.") == [name]
    assert model_names(f"We report {stem} on V100 GPUs with L2 loss and F1 on C4.") == []


@given(st.floats(50.0, 80.0).map(lambda x: round(x, 1)))
@settings(max_examples=20, deadline=None)
def test_a_period_set_after_a_space_ends_the_sentence(value: float) -> None:
    """"… where our baseline performance is 66.4% .Our full approach gives 69.0% mAP": the text layer set the period
    after a space; the sentence of the 69.0 starts after it, and does not reach back to a heading naming COCO glued
    to the sentence before ("5.3. Results on PASCAL VOC 2012 and MS COCO We show …")."""
    text = ("5.3. Results on PASCAL VOC 2012 and MS COCO We show our results on the PASCAL VOC 2012 dataset, where "
            f"our baseline performance is 66.4% .Our full approach gives {value}% mAP.")
    assert value not in {c.value for c, _ in _found(text, "box_ap")}


@given(st.sampled_from(["top 5 error rate", "top-5 error", "Top 1 accuracy", "top-1 error"]),
       st.floats(10.0, 30.0).map(lambda x: round(x, 1)))
@settings(max_examples=20, deadline=None)
def test_the_k_of_a_top_k_metric_is_no_value(metric: str, value: float) -> None:
    """"OverFeat yielded 14.2% top 5 error rate": the "5" of "top 5" is the metric's k; "5 error" is no error of 5%."""
    text = f"During the competition, on ImageNet our NetX yielded {value}% {metric} using 7 models."
    fields = ("top1_err", "top1_acc", "top5_err", "top5_acc", "err", "acc")
    values = {c.value for f in fields for c, _ in _found(text, f)}
    assert not {1.0, 5.0} & values
    hyphened = f"During the competition, on ImageNet our NetX yielded {value}% top-1 error using 7 models."
    assert value in {c.value for c, _ in _found(hyphened, "top1_err")}


@given(st.sampled_from(["Preliminary ILSVRC results", "Results on ImageNet", "ImageNet detection"]),
       st.floats(30.0, 60.0).map(lambda x: round(x, 1)))
@settings(max_examples=20, deadline=None)
def test_a_value_in_a_section_headed_by_a_benchmark_without_its_metric_is_no_candidate(heading: str,
                                                                                       value: float) -> None:
    """"3.5 Preliminary ILSVRC results … We can achieve 43.4 mAP on the val2 set": ImageNet's registry metrics are
    classification's, so the mAP is ImageNet detection's, no COCO box AP; under a COCO heading it is COCO's."""
    filler = "We train the detector with the same settings as before for a few more iterations. " * 3
    text = (f"3 Experiments\nOur main results on COCO are in Table 4.\n3.5 {heading}\n{filler}"
            f"We can achieve {value} mAP on the val2 set.\n")
    assert value not in {c.value for c, _ in _found(text, "box_ap")}
    coco = text.replace(f"3.5 {heading}", "3.5 Preliminary COCO results")
    assert value in {c.value for c, _ in _found(coco, "box_ap")}


@given(st.sampled_from([[49, 51, 53, 56, 58, 61, 63, 66], [20, 22, 25, 27, 30], [50, 53, 55, 58, 60, 63]]))
@settings(max_examples=10, deadline=None)
def test_rounded_axis_ticks_before_a_metric_name_are_no_score(ticks: list[int]) -> None:
    """A plot's text read in order: "Number of object proposals 49 51 53 56 58 61 63 66 mAP" (ticks at a
    fractional spacing printed rounded): the top tick is no box AP on COCO."""
    text = ("On COCO, more proposals do not help. Number of object proposals "
            f"{' '.join(str(t) for t in ticks)} mAP Sel. Search (SS) Dense Average Recall")
    assert float(ticks[-1]) not in {c.value for c, _ in _found(text, "box_ap")}


@given(st.sampled_from(["VOC2007 test", "PASCAL VOC", "Cityscapes"]), st.floats(50.0, 80.0).map(lambda x: round(x, 1)))
@settings(max_examples=20, deadline=None)
def test_a_figures_label_under_a_caption_naming_another_dataset_is_no_candidate(dataset: str, value: float) -> None:
    """A figure's labels ("74.3mAP 59FPS 63.4mAP 45FPS" beside two diagrams) come right before its caption, which
    names where they were measured ("… in accuracy on VOC2007 test"): no COCO box AP; under a caption naming COCO
    the label is read."""
    filler = "We describe the training schedule and the settings of the detector in detail here. " * 10
    text = (f"Our results on COCO are in Table 4. {filler}Conv7 (FC7) 1024 Conv11_2 {value}mAP 59FPS Classifier Conv6 "
            f"Fig. 2: A comparison between two single shot detectors. Ours is more accurate on {dataset}.")
    assert value not in {c.value for c, _ in _found(text, "box_ap")}
    coco = text.replace(dataset, "COCO test-dev")
    assert value in {c.value for c, _ in _found(coco, "box_ap")}
