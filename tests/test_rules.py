"""Rules, normalisers, table mapping and ranking, on sentences and synthetic tables written for the tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from flopmine.errors import RuleError
from flopmine.extract.document import Document, Page, Table
from flopmine.extract.normalise import (
    clean_text,
    find_quantities,
    parse_cell,
    parse_duration_hours,
    parse_number,
)
from flopmine.extract.ranking import dedupe_and_rank
from flopmine.extract.rules import RULE_VERSION, candidates, engine, load_rules
from flopmine.extract.rules.context import own_model_stems, section_map
from flopmine.extract.tables import header_field, header_scale, table_facts, text_table_facts
from flopmine.types import FIELDS, Candidate

# ---------------------------------------------------------------- normalisers


@pytest.mark.parametrize("text,value", [
    ("3.8 × 10^9", 3.8e9), ("3.6×109", 3.6e9), ("2.3 · 1019", 2.3e19), ("11.5B", 11.5e9),
    ("25.6M", 25.6e6), ("22,855,952", 22855952), ("1.8 billion", 1.8e9), ("90k", 9e4), ("370K", 3.7e5),
    ("500,500", 500500), ("eight", 8), ("a single", 1), ("ten", 10), ("0.39B", 0.39e9), ("100 million", 1e8),
    ("1.5e9", 1.5e9), ("60 × 10^4", 6e5),
])
def test_parse_number(text: str, value: float) -> None:
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["n/a", "", "ResNet", "3.8.1.2x"])
def test_parse_number_rejects(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize("text,hours", [
    ("3.5 days", 84), ("15h 7m", 15 + 7 / 60), ("about ten days", 240), ("approximately one day", 24),
    ("12 hours", 12), ("2 weeks", 336), ("90 minutes", 1.5),
])
def test_parse_duration_hours(text: str, hours: float) -> None:
    assert parse_duration_hours(text) == pytest.approx(hours)


@pytest.mark.parametrize("cell,value,flag", [
    ("22.15 / 20.80", 22.15, "two_values"), ("30.8 → 34.5", 34.5, "arrow"), ("6.61±0.16", 6.61, "interval"),
    ("95.080‡", 95.08, None), ("43.5%", 43.5, None), ("68.1M", 68.1e6, None),
])
def test_parse_cell(cell: str, value: float, flag: str | None) -> None:
    v, flags = parse_cell(cell)
    assert v == pytest.approx(value)
    assert (flag in flags) if flag else not flags


def test_clean_text_joins_hyphenation_and_keeps_index_map() -> None:
    raw = "needs 15.3 bil\ufffe\r\nlion FLOPs and ap-\nproximately"
    clean, idx = clean_text(raw)
    assert clean == "needs 15.3 billion FLOPs and approximately"
    assert all(raw[idx[i]] == clean[i] for i in range(len(clean)) if clean[i] != " ")


def test_find_quantities_does_not_read_model_names_as_numbers() -> None:
    values = [q.value for q in find_quantities("ResNet-152 and VGG-16 need 11.3 billion FLOPs")]
    assert values == [11.3e9]


# ---------------------------------------------------------------- rule tables


def test_every_rule_loads_validates_and_has_examples() -> None:
    rules = load_rules()
    assert len(rules) >= 30
    eng = engine()  # Matcher(validate=True) accepted every pattern
    assert set(eng.rules) == {r.id for r in rules}
    for r in rules:
        assert r.field in FIELDS and r.examples, r.id
        assert 0 < r.weight <= 1


def test_each_rule_matches_its_own_examples() -> None:
    eng = engine()
    for r in load_rules():
        for ex in r.examples:
            hits = {m.rule.id for m in eng.matches(clean_text(ex)[0])}
            assert r.id in hits, (r.id, ex, hits)


def test_bad_rule_rows_fail_loudly(tmp_path) -> None:
    (tmp_path / "x.jsonl").write_text(json.dumps({"id": "x.1", "field": "nope", "pattern": [{"NORM": "<num>"}],
                                                  "normaliser": "count"}) + "\n")
    with pytest.raises(RuleError, match="x.jsonl:1: unknown field"):
        load_rules(tmp_path)
    (tmp_path / "x.jsonl").write_text(json.dumps({"id": "x.1", "field": "epochs", "pattern": [{"LOWER": "a"}],
                                                  "normaliser": "count"}) + "\n")
    with pytest.raises(RuleError, match="no"):
        load_rules(tmp_path)


def test_rule_version_names_logic_and_rule_table_hash() -> None:
    assert re.fullmatch(r"\d+-[0-9a-f]{10}", RULE_VERSION)


def _values(text: str, field: str, **meta: object) -> list[float | str]:
    doc = Document.from_texts([text], **meta)
    return [c.value for c in sorted(candidates(doc), key=lambda c: c.rank) if c.field == field]


@pytest.mark.parametrize("sentence,field,value", [
    # FLOPs / multiply-adds
    ("The deeper variant costs 7.6 billion FLOPs per image.", "flops", 7.6e9),
    ("Our smallest network runs at 40 MFLOPs.", "flops", 40e6),
    ("This amounts to 4.1 GFLOPs for one forward pass.", "flops", 4.1e9),
    ("The design keeps a budget of 2 billion multiply-adds at inference.", "mult_adds", 2e9),
    ("which needs only 300 Million Mult-Adds", "mult_adds", 300e6),
    # parameters
    ("The reader has about 3.1 million parameters.", "params", 3.1e6),
    ("a model with 22,855,952 learnable parameters", "params", 22855952),
    ("the big configuration (L=24, Total Parameters=350M)", "params", 350e6),
    # hardware counts
    ("We trained the system on one server with 4 NVIDIA V100 GPUs.", "hardware_count", 4),
    ("Training runs on eight K80 GPUs for a week.", "hardware_count", 8),
    ("we split the network over a 4-GPU machine", "hardware_count", 4),
    # training time
    ("Training took 2.5 days on our cluster.", "training_time_hours", 60),
    ("The full schedule finishes in 11h 30m.", "training_time_hours", 11.5),
    ("Training lasts about ten days with this code.", "training_time_hours", 240),
    # epochs / steps
    ("All networks are trained for 120 epochs with SGD.", "epochs", 120),
    ("We stop training after 80k iterations.", "training_steps", 80000),
    ("The base model was trained for a total of 200,000 steps.", "training_steps", 200000),
    ("training uses 2×105 iterations on four GPUs", "training_steps", 200000),
])
def test_rule_groups_on_sentences(sentence: str, field: str, value: float) -> None:
    assert pytest.approx(value) in _values(sentence, field)


@pytest.mark.parametrize("sentence,field,value", [
    ("Our ensemble obtains a top-5 error of 3.1% on the ImageNet test set.", "top5_err", 3.1),
    ("A single model reaches 79.2% top-1 accuracy on ImageNet.", "top1_acc", 79.2),
    ("On WMT 2014 English-to-German our model reaches 27.9 BLEU.", "bleu", 27.9),
    ("On SQuAD the reader achieves an F1 score of 88.4.", "f1", 88.4),
    ("The detector obtains 41.2 AP on COCO test-dev.", "box_ap", 41.2),
])
def test_metric_rules_on_sentences(sentence: str, field: str, value: float) -> None:
    assert pytest.approx(value) in _values(sentence, field)


def test_no_compute_fact_from_unrelated_numbers() -> None:
    doc = Document.from_texts(["In 2016 we used a learning rate of 0.1 and a batch of 256 images of 224 pixels."])
    assert [c for c in candidates(doc) if FIELDS[c.field].kind == "compute"] == []


def test_candidates_carry_evidence_and_stable_ids() -> None:
    text = "We trained our network for 90 epochs on 8 GPUs. It has 25.6M parameters."
    a = candidates(Document.from_texts([text], arxiv_id="1234.56789", version=2))
    b = candidates(Document.from_texts([text], arxiv_id="1234.56789", version=2))
    assert [c.candidate_id for c in a] == [c.candidate_id for c in b]
    for c in a:
        assert c.page == 1 and c.rule and 0 < c.confidence <= 1 and c.rank >= 1
        assert len(c.snippet) <= 300 and str(int(c.value)) in c.snippet.replace(".6M", "00000") or c.raw in c.snippet
        assert c.rule_version == RULE_VERSION


def test_bbox_comes_from_char_boxes() -> None:
    text = "It has 25.6M parameters."
    boxes = tuple((float(i * 5), 10.0, float(i * 5 + 4), 20.0) for i in range(len(text)))
    doc = Document("1111.22222", 1, (Page(1, text, 600, 800, boxes),))
    (c,) = [c for c in candidates(doc) if c.field == "params"]
    start = text.index("25.6M")
    assert c.bbox is not None and c.bbox[0] == pytest.approx(start * 5.0) and c.bbox[1] == 10.0


def test_hardware_names_are_canonical_and_unknown_devices_flagged() -> None:
    text = "We trained on 8 NVIDIA Tesla V100 GPUs. A run on a Zorblax Q9 GPU was slower."
    cands = [c for c in candidates(Document.from_texts([text])) if c.field == "hardware"]
    known = [c for c in cands if "unknown_hardware" not in c.flags]
    assert known and "V100" in str(known[0].value)
    unknown = [c for c in cands if "unknown_hardware" in c.flags]
    assert all(isinstance(c.value, str) for c in unknown)


# ---------------------------------------------------------------- context


def test_sections_downrank_references_and_related_work() -> None:
    doc = Document.from_texts([
        "1 Introduction\nWe present NetX.\n2 Related Work\nPrior models [3] train for 300 epochs.\n"
        "3 Experiments\nWe train NetX for 90 epochs on 4 GPUs.\n",
        "References\n[1] A. Author. Training for 500 epochs. 2015.\n",
    ], title="NetX: a network")
    sm = section_map(doc)
    assert sm.kind(1, 10) == "references"
    ranked = sorted((c for c in candidates(doc) if c.field == "epochs"), key=lambda c: c.rank)
    assert ranked[0].value == 90


def test_own_model_stems_from_title_and_frequency() -> None:
    doc = Document.from_texts(["FooNet-50 beats ResNet-50. FooNet-101 beats ResNet-101. FooNet wins."],
                              title="FooNet: Faster Networks")
    stems = own_model_stems(doc)
    assert stems["foonet"] == 1.0 and stems["foonet"] > stems.get("resnet", 0)


# ---------------------------------------------------------------- ranking properties


def test_own_model_beats_baseline_from_another_paper() -> None:
    text = ("Table 3 compares with prior work. VGG-19 [30] requires 19.6 billion FLOPs. "
            "Our BarNet-50 requires only 4.2 billion FLOPs.")
    values = _values(text, "flops", title="BarNet: Deep Residual Bars")
    assert values[0] == pytest.approx(4.2e9)


def test_learning_rate_epoch_step_is_not_top_epochs_candidate() -> None:
    text = ("The learning rate starts at 0.1 and is divided by 10 at epoch 30 and at epoch 60. "
            "We train all models for 90 epochs.")
    assert _values(text, "epochs")[0] == 90


def test_axis_ticks_are_not_top_candidates() -> None:
    text = "0 50 100 150 200 epochs\nThe networks are trained for 164 epochs in total."
    assert _values(text, "epochs")[0] == 164


def test_dedupe_keeps_best_evidence_and_ranks_per_field() -> None:
    def c(value: float, conf: float, page: int, field: str = "epochs") -> Candidate:
        return Candidate("1.1", 1, field, value, confidence=conf, page=page)

    out = dedupe_and_rank([c(90, 0.5, 3), c(90, 0.8, 5), c(30, 0.6, 2), c(4, 0.9, 1, "hardware_count")])
    epochs = sorted((x for x in out if x.field == "epochs"), key=lambda x: x.rank)
    assert [(x.value, x.rank, x.page) for x in epochs] == [(90, 1, 5), (30, 2, 2)]
    assert [x.rank for x in out if x.field == "hardware_count"] == [1]


def test_compute_fields_are_capped() -> None:
    many = [Candidate("1.1", 1, "epochs", float(v), confidence=0.9 - v / 1000, page=1) for v in range(1, 20)]
    out = dedupe_and_rank(many, max_per_field={"epochs": 4})
    assert len(out) == 4 and [x.rank for x in out] == [1, 2, 3, 4]
    metrics = [Candidate("1.1", 1, "bleu", float(v), confidence=0.5, page=1) for v in range(1, 20)]
    assert len(dedupe_and_rank(metrics, max_per_field={"epochs": 4})) == 19


# ---------------------------------------------------------------- tables


@pytest.mark.parametrize("header,field,scale", [
    ("top-1 err. (%)", "top1_err", 1.0), ("Top-5 Acc.", "top5_acc", 1.0), ("Params (M)", "params", 1e6),
    ("FLOPs (×10^9)", "flops", 1e9), ("Million Mult-Adds", "mult_adds", 1e6), ("AP50", "ap50", 1.0),
    ("BLEU", "bleu", 1.0), ("# of GPUs", "hardware_count", 1.0), ("Updates (×105)", "training_steps", 1e5),
    ("Acuracy", "acc", 1.0),  # misspelt: rapidfuzz
])
def test_header_field(header: str, field: str, scale: float) -> None:
    hm = header_field(header)
    assert hm is not None and hm.field == field and hm.scale == scale


def test_header_scale_from_caption_words() -> None:
    assert header_scale("Complexity (MFLOPs)") == 1e6 and header_scale("# params (×10^6)") == 1e6


def test_table_facts_map_columns_scale_and_glyphs() -> None:
    t = Table(page=2, rows=(
        ("Method", "Top-1 err.", "Top-5 err.", "GFLOPs", "Params (M)"),
        ("BazNet-50 (ours)", "22.15 / 20.80", "6.1‡", "4.1", "25.6"),
        ("Other [9]", "24.0±0.2", "7.0", "7.8", "44.5"),
    ), caption="Table 2. ImageNet validation results.")
    got = {(f.model, f.field): f.value for f in table_facts(t, benchmark="imagenet")}
    assert got[("BazNet-50 (ours)", "top1_err")] == 22.15
    assert got[("BazNet-50 (ours)", "top5_err")] == 6.1
    assert got[("BazNet-50 (ours)", "flops")] == pytest.approx(4.1e9)
    assert got[("BazNet-50 (ours)", "params")] == pytest.approx(25.6e6)
    assert got[("Other [9]", "top1_err")] == 24.0


def test_table_accuracy_vs_error_follows_benchmark() -> None:
    t = Table(page=1, rows=(("Model", "error (%)"), ("QuxNet", "5.3")))
    assert [f.field for f in table_facts(t, benchmark="imagenet")] == ["top1_err"]
    assert [f.field for f in table_facts(t, benchmark="cifar10")] == ["err"]


def test_text_table_with_boxes_aligns_columns_despite_missing_cells() -> None:
    lines = ["Model EN-DE EN-FR", "ByteNet 23.75", "Ours (big) 28.4 41.8"]
    text = "\n".join(lines)
    # x positions: EN-DE at 100-130, EN-FR at 150-180; "23.75" sits under EN-DE, 28.4/41.8 under each.
    xs: list[tuple[float, float, float, float] | None] = []
    cols = {0: {"Model": 0, "EN-DE": 100, "EN-FR": 150}, 1: {"ByteNet": 0, "23.75": 100},
            2: {"Ours": 0, "(big)": 30, "28.4": 102, "41.8": 152}}
    for li, line in enumerate(lines):
        pos = 0
        for word in line.split(" "):
            x = cols[li][word]
            xs.extend((x + k * 5.0, li * 12.0, x + k * 5.0 + 4, li * 12.0 + 10) for k in range(len(word)))
            pos += len(word)
            xs.append(None)
        xs.pop()
        xs.append(None)
    facts = text_table_facts(text, boxes=tuple(xs[:len(text)]))
    got = {(f.model, f.benchmark, f.value) for f in facts}
    assert ("ByteNet", "wmt14_en_de", 23.75) in got
    assert ("Ours", "wmt14_en_fr", 41.8) in got and ("Ours", "wmt14_en_de", 28.4) in got


def test_text_table_row_header_layout() -> None:
    facts = text_table_facts("conv5 7×7 global pool\n# params. 25.0×106\nFLOPs 4.2×109\n")
    assert sorted((f.field, round(f.value)) for f in facts) == [("flops", 4_200_000_000), ("params", 25_000_000)]


def test_coco_size_headers_map_to_size_fields() -> None:
    from flopmine.extract.tables import _header_slots

    fields = [h.field for h in _header_slots("method AP@[.5:.95] AP@0.5 AP (small) AP (medium) AP (large)")]
    assert fields == ["box_ap", "ap50", "ap_s", "ap_m", "ap_l"]


def test_benchmark_columns_take_the_caption_metric() -> None:
    text = "Model # params CIFAR-10 CIFAR-100\nWide Net [4] 36.5M 4.17 20.50\nOurs-29 68.1M 3.58 17.31\n" \
           "Table 7. Test error (%) and model size on CIFAR.\n"
    got = {(f.model, f.field, f.benchmark, f.value) for f in text_table_facts(text)}
    assert ("Ours-29", "err", "cifar100", 17.31) in got and ("Ours-29", "err", "cifar10", 3.58) in got
    assert ("Ours-29", "params", "", 68.1e6) in got


def test_caption_after_a_headerless_table_names_its_metric() -> None:
    text = "Model All No-UNK\nQuxNet-30 21.50 31.44\nQuxNet-50 26.75 34.16\nTable 1: BLEU scores of the models.\n"
    assert {f.value for f in text_table_facts(text) if f.field == "bleu"} >= {21.5, 26.75}


def test_from_x_to_y_prefers_the_new_value() -> None:
    text = "With the new sampler we train faster: training time is reduced from 80 hours to 9.5."
    assert _values(text, "training_time_hours")[0] == 9.5


def test_pages_after_references_without_citations_are_appendix() -> None:
    doc = Document.from_texts([
        "1 Introduction\nWe train FooNet.\n",
        "References\n[1] A. Author. A paper. In CVPR, 2016.\n[2] B. Author. Another. arXiv 2017.\n",
        "Model top-1 err. GFLOPs\nFooNet-50 21.3 4.1\nFooNet-101 20.1 7.9\nTraining took 3 days on 8 GPUs.\n",
    ])
    sm = section_map(doc)
    assert sm.kind(1, 20) == "references" and sm.kind(2, 5) == "appendix"


def test_numbers_inside_word_like_tokens_are_not_values() -> None:
    text = "On COCO the results are an mAP@.5 of 55.7% and an mAP@[.5, .95] of 34.9%."
    got = {(c.field, c.value) for c in candidates(Document.from_texts([text]))}
    assert ("ap50", 55.7) in got and ("box_ap", 34.9) in got
    assert all(v >= 1 for f, v in got if f in ("ap50", "box_ap"))


def test_odd_input_never_crashes() -> None:
    import random

    rng = random.Random(7)
    alphabet = "0123456789 .,%×·^-–—/()[]{}:;\n\r\ufffe\u00adabcdefgkmBMGKTflopsGPUepochdayhour±→‡*"
    texts = ["", " ", "\n\n", "Table 1:", "References\n", "×109", "1e999 FLOPs", "10^999 params"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 400))) for _ in range(60)]
    doc = Document.from_texts(texts, title=":", abstract="")
    for c in candidates(doc):
        assert c.field in FIELDS and len(c.snippet) <= 300 and c.rank >= 1
        if FIELDS[c.field].numeric:
            assert isinstance(c.value, float) and c.value == c.value and abs(c.value) != float("inf")


def test_footnote_mark_ends_a_sentence() -> None:
    # "worker.6 The …": the footnote mark ends the "we" sentence; the next one is someone's comparison
    text = ("Our results are based on training with 8 GPUs for about 37 days on each worker.6 "
            "The same configuration as for the other task achieves 39.4 BLEU in two weeks on this dataset.")
    assert _values(text, "training_time_hours")[0] == 37 * 24


def test_size_suffix_in_small_caps_is_the_own_family() -> None:
    text = ("Fine-tuning TinyNet runs in one hour on a single Cloud TPU for Foo. "
            "Training of BARTLARGE was performed on 16 Cloud TPUs.")
    doc = Document.from_texts([text], title="BART: Denoising Bars")
    assert own_model_stems(doc)["bart"] == 1.0
    from flopmine.extract.rules.text_rules import _stem
    assert _stem("BARTLARGE") == _stem("BARTBASE") == _stem("BART-Large") == "bart"


def test_a_single_device_repeated_as_a_word_is_not_agreement() -> None:
    # "a single" appears in many sentences ("a single machine", "a single image"); 8 GPUs is stated once
    text = ("The small task trains on a single GPU. A single GPU holds the batch. A single GPU is enough. "
            "A single GPU suffices. Our results are based on training with 8 GPUs.")
    assert _values(text, "hardware_count")[0] == 8


def test_precise_value_beats_its_rounded_mention() -> None:
    # the introduction rounds ("in 4 hours"); the experiments state the figure ("4.1 hours")
    text = ("Our FooDet can finish training in 4 hours on 128 GPUs. "
            "For instance, the large batch experiment finishes the training in 4.1 hours.")
    values = _values(text, "training_time_hours", title="FooDet: a detector")
    assert values[0] == pytest.approx(4.1)
    from flopmine.extract.rules.paper_evidence import _significant_digits
    assert (_significant_digits("4.1 hours"), _significant_digits("33 hours"), _significant_digits("1,200")) == (2, 2, 2)


def test_appendix_heading_with_a_title_is_an_appendix() -> None:
    doc = Document.from_texts(["1 Introduction\nWe\nAcknowledgments\nThanks.\nAPPENDIX: DETAILS OF FOONET-154\n"
                               "Training was performed with 64 GPUs.\nREFERENCES\n[1] A. Author. In CVPR, 2016."])
    text = doc.pages[0].text
    assert section_map(doc).kind(0, text.find("Training was")) == "appendix"


def test_pre_training_run_is_the_training_compute() -> None:
    # a pre-train / fine-tune paper: the fine-tuning example on one device is not the headline count
    text = ("We pre-train FooLM on books. Pre-training is expensive; pre-training uses masked words. "
            "Fine-tuning after pre-training is cheap. For example, the FooLM QA model can be trained in "
            "30 minutes on a single TPU to reach 91.0 on the benchmark. "
            "Training of FooLM was performed on 16 Cloud TPUs. Each pre-training took 4 days to complete.")
    assert _values(text, "hardware_count", title="FooLM: Pre-training of deep bars")[0] == 16


def test_coco_ap_above_any_model_is_another_datasets_map() -> None:
    text = ("On COCO our FooDet achieves 40.8 AP. When fine-tuned from the COCO models, our FooDet achieves "
            "81.6 mAP, and our FooDet reaches 80.0 mAP with the smaller input.")
    values = _values(text, "box_ap", title="FooDet: single shot bars")
    assert values[0] == pytest.approx(40.8)


def test_tables_varying_one_setting_are_ablations() -> None:
    from flopmine.extract.rules.table_rows import _ABLATION_CAPTION
    assert _ABLATION_CAPTION.search("Table 2: Experimental results for varying the clipping distance, k.")
    assert _ABLATION_CAPTION.search("Table 3: Experimental results for ablating relative position representations")
    assert not _ABLATION_CAPTION.search("Table 1: Results on WMT 2014 English-to-German")


def test_a_lowercase_version_is_part_of_the_family() -> None:
    # "YOLOv4: …" is the paper's model; YOLOv3 rows in its comparison table are the predecessor's
    doc = Document.from_texts(["YOLOv3 and YOLOv3 and YOLOv4 and ResNet-50"], title="YOLOv4: Optimal bars")
    stems = own_model_stems(doc)
    assert stems["yolov4"] == 1.0 and stems.get("yolov3", 0.0) < 1.0
    from flopmine.extract.rules.text_rules import _stem
    assert (_stem("YOLOv3"), _stem("ResNet50"), _stem("Inception-v3")) == ("yolov3", "resnet", "inception")


def test_coco_two_level_size_headers_in_grid_tables() -> None:
    assert header_field("mAP@[0.5:0.95]\n(small)").field == "ap_s"
    assert header_field("mAP@[0.5:0.95] (mid)").field == "ap_m"
    assert header_field("AP (large)").field == "ap_l"
    assert header_field("mAP@[0.5:0.95]").field == "box_ap"
    assert header_field("AP (%)").field == "box_ap"


def test_compute_cells_of_the_headline_models_row_rank_first() -> None:
    # a statistics table lists hours per model; the row of the model with the headline score wins
    table = Table(page=1, rows=(("Model", "BLEU", "Hours"), ("FooNet-30", "21.5", "113"),
                                ("FooNet-50", "28.4", "252")), caption="Table 2: Results on WMT'14 English-French")
    page = Page(number=1, text="We evaluate on WMT'14 English-French. Table 2 lists our models.", tables=(table,))
    doc = Document(arxiv_id="0000.00000", version=1, pages=(page,), title="FooNet: translating bars")
    cands = sorted(candidates(doc), key=lambda c: c.rank)
    assert [c.value for c in cands if c.field == "bleu"][0] == pytest.approx(28.4)
    assert [c.value for c in cands if c.field == "training_time_hours"][0] == pytest.approx(252)


def test_training_setup_of_the_main_benchmark_beats_another_datasets() -> None:
    text = ("We report F1 on CoNLL-2003 and on the KBP data. Our tagger reaches 91.2 F1 on CoNLL-2003. "
            + "The window size and the embedding size were chosen by a grid search on the development data. " * 5
            + "Here we summarize the hyper-parameters used in our experiments. KBP series: we normally run "
            "256 epochs if the extra data is not used in training. "
            "CoNLL-2003: similar to the KBP series except that 128 epochs are run instead.")
    assert _values(text, "epochs")[0] == 128
    from flopmine.extract.rules.benchmark_names import _setup_benchmark
    assert _setup_benchmark([(0, "conll2003"), (40, "other:kbp")], 100) == "conll2003"
    assert _setup_benchmark([(0, "other:kbp")], 100) == "other:kbp"
    assert _setup_benchmark([(0, "conll2003")], 1000) == ""


def test_equally_evidenced_scores_rank_the_better_one_first() -> None:
    def c(field: str, value: float, page: int) -> Candidate:
        return Candidate("1.1", 1, field, value, confidence=0.5, page=page, benchmark="coco")

    out = dedupe_and_rank([c("box_ap", 25.8, 1), c("box_ap", 34.5, 2), c("top1_err", 21.4, 1), c("top1_err", 19.4, 2),
                           c("epochs", 300, 1), c("epochs", 90, 2)])
    first = {x.field: x.value for x in out if x.rank == 1}
    assert first == {"box_ap": 34.5, "top1_err": 19.4, "epochs": 300}  # compute fields keep page order


def test_training_as_a_noun_modifier_is_not_the_schedule_length() -> None:
    text = ("So we use 0.01 to warm up the training until the training error is below 80% (about 400 iterations), "
            "and then go back to 0.1. We start with a learning rate of 0.1, divide it by 10 at 32k and 48k "
            "iterations, and terminate training at 64k iterations.")
    assert _values(text, "training_steps")[0] == 64000


def test_the_model_a_value_belongs_to_decides_own_model_evidence() -> None:
    text = "The FooNet-50 contains 16 layers and 20.6 M parameters, while BarNet-53 contains 29 layers and 27.6 M parameters."
    assert _values(text, "params", title="BarNet: optimal bars")[0] == pytest.approx(27.6e6)


# ---------------------------------------------------------------- the learned ranker


def test_features_name_the_evidence_and_cross_it_with_the_field_group() -> None:
    from flopmine.extract.evidence import Evidence
    from flopmine.extract.ranking import features

    c = Candidate("1.1", 1, "epochs", 90.0, rule="epochs.for", page=3)
    f = features([(c, 0.8, Evidence(section="references", citation=True, tags=("delta",)))], pages=10)[0]
    assert f["section:references"] == f["schedule|section:references"] == 1.0
    assert f["citation"] == f["tag:delta"] == f["rule:text"] == 1.0
    assert f["page_frac"] == pytest.approx(0.2)


def test_model_file_errors_name_the_file_and_how_to_retrain(tmp_path) -> None:
    from flopmine.extract.ranking import RankerError, load_model, model_path_for

    with pytest.raises(RankerError, match=r"absent\.json: model file not found.*ranker train"):
        load_model(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(RankerError, match=r"bad\.json: not a ranker model file.*ranker train"):
        load_model(bad)
    bad.write_text(json.dumps({"format": "flopmine-ranker", "format_version": 99}))
    with pytest.raises(RankerError, match="format 99"):
        load_model(bad)
    # a home with an unreadable model is an error, not a silent fallback to the default
    (tmp_path / "home" / "models").mkdir(parents=True)
    (tmp_path / "home" / "models" / "ranker.json").write_text("")
    with pytest.raises(RankerError, match=r"ranker\.json"):
        model_path_for(tmp_path / "home")
    with pytest.raises(RankerError, match="absent"):
        model_path_for(None, tmp_path / "absent.json")


def test_home_model_is_used_when_present_else_the_shipped_default(tmp_path) -> None:
    from flopmine.extract.ranking import Ranker, default_model, home_model_path, model_for_home, model_in_use

    assert model_for_home(tmp_path) is default_model()
    assert model_in_use(tmp_path).startswith("default")
    assert default_model().features and "libraries" in default_model().summary
    m = Ranker(("weight",), (2.0,), -1.0, {"samples": 7, "trained_at": "now"})
    home_model_path(tmp_path).parent.mkdir(parents=True)
    home_model_path(tmp_path).write_text(m.to_json())
    assert model_for_home(tmp_path).coef == (2.0,)
    assert model_in_use(tmp_path).startswith("home") and "7 samples" in model_in_use(tmp_path)


def _setup_paper(i: int, appendix_value: int, main_value: int) -> Document:
    """A generated paper stating two epoch counts: one in the experiments, one in the appendix."""
    return Document.from_texts([
        f"1 Introduction\nWe present Net{i}.\n3 Experiments\nWe train Net{i} for {main_value} epochs on ImageNet.\n",
        f"Appendix\nThe full schedule of Net{i} runs for {appendix_value} epochs.\n",
    ], arxiv_id=f"2001.{i:05d}", title=f"Net{i}: a network")


def test_training_on_reviewers_decisions_moves_an_unseen_papers_ranking() -> None:
    """Reviewers keep accepting the appendix's epoch count and rejecting the experiments' one: after training on
    their decisions, the appendix value of a new paper of the same shape ranks higher than before."""
    from flopmine.extract.ranking import default_model, rank_found, train, truths_from_decisions
    from flopmine.extract.rules.paper import collect
    from flopmine.review.decision import Decision

    found, decisions = {}, []
    for i in range(12):
        doc = _setup_paper(i, appendix_value=300 + 10 * i, main_value=90 + i)
        found[doc.arxiv_id] = (collect(doc), doc.page_count)
        decisions += [Decision("accept", doc.arxiv_id, 1, "epochs", float(300 + 10 * i)),
                      Decision("reject", doc.arxiv_id, 1, "epochs", float(90 + i))]
    model = train(found, truths_from_decisions(decisions))
    new = _setup_paper(99, appendix_value=450, main_value=120)

    def margin(m: object) -> float:
        ranked = {c.value: c for c in rank_found(collect(new), m, new.page_count, max_per_field={}, min_relative=0.0)  # type: ignore[arg-type]
                  if c.field == "epochs"}
        return ranked[450.0].confidence - ranked[120.0].confidence

    assert margin(model) > margin(default_model())
    top = min((c for c in rank_found(collect(new), model, new.page_count) if c.field == "epochs"), key=lambda c: c.rank)
    assert top.value == 450.0


def test_table_rows_give_clean_model_names(tmp_path: Path) -> None:
    """Row labels lose citation marks and daggers; a label that is a column word or a layer is no model."""
    from flopmine.extract.pdf import read_document
    from tests.support.pdfs import table_pdf

    path = table_pdf(tmp_path / "2001.00009v1.pdf", rows=[
        ["Method", "Params (M)", "Top-1 (%)"],
        ["ResNet-50 [12]", "25.6", "76.1"],
        ["ReLU6", "3.4", "71.0"],
        ["WideNet\u2020", "20.1", "78.0"],
    ], caption="Table 2: ImageNet classification results.")
    found = candidates(read_document(path, arxiv_id="2001.00009", version=1))
    models = {(c.field, c.value): c.model for c in found if c.rule.startswith("table.")}
    assert models.get(("params", 25.6e6)) == "ResNet-50"
    assert models.get(("params", 20.1e6)) == "WideNet"
    assert models.get(("params", 3.4e6), "") == ""
