"""Paper-level facts (issue 17): hardware, device count and schedule, on sentences written for the tests.

Each test names the writing habit it covers; each failed before the rule it tests.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from flopmine.extract.document import Document
from flopmine.extract.evidence import Evidence
from flopmine.extract.rules.paper import collect
from flopmine.extract.rules.text_rules import device_products, device_spec_number
from flopmine.hardware import entry_by_name, is_family, load_catalog
from flopmine.types import Candidate


def _found(texts: list[str], field: str) -> list[tuple[Candidate, Evidence]]:
    return [(c, ev) for c, _, ev in collect(Document.from_texts(texts)) if c.field == field]


def _tags(texts: list[str], field: str, value: float | str) -> list[tuple[str, ...]]:
    out = [ev.tags for c, ev in _found(texts, field) if c.value == value]
    assert out, f"no {field} candidate of {value}"
    return out


# ---------------------------------------------------------------- a device named by its family only


def test_a_family_mention_is_the_specific_device_the_paper_names_elsewhere() -> None:
    # "We train our models in TPUs (v3)" … "9.8 hours per 100 epochs using 512 TPUs": the bare "TPUs" are the v3s
    pages = ["We train our models in TPUs (v3) that are publicly available in Google Cloud Platform.",
             "ViT-H takes 9.8 hours per 100 epochs using 512 TPUs."]
    values = {c.value for c, _ in _found(pages, "hardware")}
    assert values == {"Google TPU v3"}
    assert any("resolved_family" in ev.tags for c, ev in _found(pages, "hardware"))


def test_a_family_mention_without_a_specific_device_is_tagged_as_a_family() -> None:
    pages = ["The generator is trained on TPU for one million steps.",
             "Throughput is measured on a single V100 GPU with batch size 16."]
    tags = _tags(pages, "hardware", "Google TPU (version unspecified)")
    assert all("family_device" in t for t in tags)
    # a device of another vendor and kind is not the TPU's specific device
    assert "NVIDIA Tesla V100 SXM2" in {c.value for c, _ in _found(pages, "hardware")}


def test_two_specific_devices_of_a_family_leave_the_family_mention_unresolved() -> None:
    pages = ["We pre-train on TPU v3 chips and fine-tune on TPU v2 chips.", "All runs use TPUs."]
    assert all("family_device" in t for t in _tags(pages, "hardware", "Google TPU (version unspecified)"))


def test_the_catalog_marks_exactly_its_family_rows() -> None:
    families = {e.name for e in load_catalog() if is_family(e)}
    assert families == {"Google TPU (version unspecified)", "NVIDIA Kepler GPU (model unspecified)"}
    entry = entry_by_name("Google Cloud TPU v2 (v2-8 board)")
    assert entry is not None and not is_family(entry)


def test_the_device_a_sentence_says_a_run_was_trained_on_is_tagged() -> None:
    text = ("The model was trained on a single Nvidia M40 GPU. We measure speed on a GTX-1080ti and a K40 card.")
    assert all("trained_on" in t for t in _tags([text], "hardware", "NVIDIA Tesla M40"))
    assert not any("trained_on" in t for t in _tags([text], "hardware", "NVIDIA Tesla K40"))


def test_the_device_of_the_methods_excepted_from_a_timing_is_theirs() -> None:
    # "all the methods are measured on the Nvidia Titan X (Maxwell) GPU, except RetinaNet, Mask R-CNN and FPN (Nvidia
    # M40 GPU)": the device in parentheses after the exceptions timed other papers' methods
    text = ("Almost all the methods are measured on the Nvidia Titan X (Maxwell architecture) GPU, except RetinaNet, "
            "Mask R-CNN and FPN (Nvidia M40 GPU). Our detector runs at 83 fps on the same Titan X (Maxwell).")
    assert all("other_model" in t for t in _tags([text], "hardware", "NVIDIA Tesla M40"))
    assert not any("other_model" in t for t in _tags([text], "hardware", "NVIDIA GeForce GTX Titan X (Maxwell)"))


def test_a_citation_of_the_software_before_a_device_is_not_the_devices() -> None:
    # "All models are implemented in Torch (Collobert et al., 2011) and trained on a single Nvidia M40 GPU": the
    # reference is Torch's; "a 4x4 TPU Pod [24]" cites the device itself
    text = ("All models are implemented in Torch (Collobert et al., 2011) and trained on a single Nvidia M40 GPU. "
            "The large model is trained on a 4x4 TPU Pod [24] for three days.")
    m40 = [ev for c, ev in _found([text], "hardware") if c.value == "NVIDIA Tesla M40"]
    assert m40 and not any(ev.citation for ev in m40)
    tpu = [ev for c, ev in _found([text], "hardware") if c.value != "NVIDIA Tesla M40"]
    assert tpu and all(ev.citation for ev in tpu)


# ---------------------------------------------------------------- device counts


def test_a_memory_size_or_model_number_in_a_device_phrase_is_not_a_count() -> None:
    text = ("DistilBERT was trained on 8 16GB V100 GPUs for approximately 90 hours. All experiments are trained "
            "with a 1080 Ti or 2080 Ti GPU. We train a CLIP on 256× NVIDIA A100 40GB GPUs.")
    assert {c.value for c, _ in _found([text], "hardware_count")} == {8.0, 256.0}


@given(count=st.integers(1, 2048), memory=st.sampled_from([8, 11, 12, 16, 24, 32, 40, 48, 80]),
       unit=st.sampled_from(["GB ", " GB ", " GiB ", "-GB "]), device=st.sampled_from(["V100", "A100", "Titan X", "P100"]))
def test_the_count_before_a_memory_size_is_the_count(count: int, memory: int, unit: str, device: str) -> None:
    text = f"on {count} {memory}{unit}{device} GPUs"
    at = text.find(str(memory), len(f"on {count} "))
    assert not device_spec_number(text, 3, 3 + len(str(count)))
    assert device_spec_number(text, at, at + len(str(memory)))


def test_machines_beside_their_devices_and_per_machine_counts_are_tagged() -> None:
    text = "Training was performed with 8 servers (64 GPUs) in parallel. Each server has 8 GPUs per node."
    tags = _tags([text], "hardware_count", 8.0)
    assert any("machine_count" in t for t in tags)
    assert all("machine_count" not in t for t in _tags([text], "hardware_count", 64.0))
    text = "We use DGX-1 machines, each with 8 V100 GPUs, and 16 machines in all."
    assert all("per_machine" in t for t in _tags([text], "hardware_count", 8.0))


@given(per=st.integers(1, 16), machines=st.integers(2, 512), form=st.integers(0, 3),
       device=st.sampled_from(["GPUs", "V100 GPUs", "TPU chips", "NVIDIA A100 GPUs"]),
       machine=st.sampled_from(["machines", "nodes", "servers", "DGX-1 machines"]))
def test_devices_per_machine_times_machines_is_the_runs_device_count(per: int, machines: int, form: int, device: str,
                                                                     machine: str) -> None:
    text = [f"We train on {per} {device} × {machines} {machine}.",
            f"We train on {machines} {machine} x {per} {device}.",
            f"We train on {machines} {machine}, each with {per} {device}.",
            f"We use {per} {device} per node on {machines} {machine}."][form]
    assert [m.value for m in device_products(text)] == [float(per * machines)]


def test_a_device_product_is_a_count_candidate_of_the_run() -> None:
    text = "The models are trained with 8 GPUs × 4 machines for 90 epochs."
    assert 32.0 in {c.value for c, _ in _found([text], "hardware_count")}
    assert all("device_product" in t for t in _tags([text], "hardware_count", 32.0))


# ---------------------------------------------------------------- schedules of another stage


def test_a_warm_up_length_is_a_schedule_segment_not_the_total() -> None:
    for text, value in [
        ("We adopt learning rate warmup [17] for 40 epochs. We train for 300 epochs.", 40.0),
        ("We pre-train ConvNeXts on ImageNet-22K for 90 epochs with a warmup of 5 epochs.", 5.0),
        ("We use a cosine learning rate scheduler, 5 epochs warm-up and a batch size of 4,096.", 5.0),
    ]:
        found = [(c, ev) for c, ev in _found([text], "epochs") if c.value == value]
        assert found and all(ev.lr_schedule and "warmup" in ev.tags for _, ev in found), text
    total = [ev for c, ev in _found(["We adopt learning rate warmup [17] for 40 epochs. We train for 300 epochs."],
                                    "epochs") if c.value == 300.0]
    assert total and not any(ev.lr_schedule or "warmup" in ev.tags for ev in total)


def test_a_fine_tuning_schedule_is_tagged_as_fine_tuning() -> None:
    text = ("We train our models for 300 epochs on ImageNet-1k. We finetune the pre-trained models for 30 epochs "
            "on ImageNet-1k.")
    assert all("fine_tune" in t for t in _tags([text], "epochs", 30.0))
    assert not any("fine_tune" in t for t in _tags([text], "epochs", 300.0))


def test_the_epochs_a_duration_is_given_per_are_a_rate_not_the_schedule() -> None:
    text = "The ViT-H model takes 9.8 hours per 100 epochs using 512 TPUs. We train it for 300 epochs."
    assert all("per_unit" in t for t in _tags([text], "epochs", 100.0))
    assert not any("per_unit" in t for t in _tags([text], "epochs", 300.0))


def test_a_duration_per_epochs_or_per_model_is_tagged_as_a_rate() -> None:
    text = ("The ViT-H model takes 9.8 hours per 100 epochs using 512 TPUs. Training each network took 2 days per "
            "model. The full run takes 31 hours on 128 TPU-v3 cores.")
    assert all("per_unit" in t for t in _tags([text], "training_time_hours", 9.8))
    assert all("per_unit" in t for t in _tags([text], "training_time_hours", 48.0))
    assert not any("per_unit" in t for t in _tags([text], "training_time_hours", 31.0))


# ---------------------------------------------------------------- a schedule keyword governs the quantity after it


def test_a_step_after_a_stated_total_is_a_schedule_step_not_the_total() -> None:
    # "we train for 8 epochs (after 5 epochs, we begin to halve the learning rate)": "for" is the 8's; the 5 is
    # where the decay begins
    text = "We use plain SGD and we train for 8 epochs (after 5 epochs, we begin to halve the learning rate)."
    five = [ev for c, ev in _found([text], "epochs") if c.value == 5.0]
    assert five and all(ev.lr_schedule and "schedule_total" not in ev.tags for ev in five)
    eight = [ev for c, ev in _found([text], "epochs") if c.value == 8.0]
    assert eight and all("schedule_total" in ev.tags and not ev.lr_schedule for ev in eight)


@settings(deadline=None, max_examples=20)  # each example runs every rule of collect()
@given(first=st.integers(10, 90), second=st.integers(100, 190), total=st.integers(200, 400),
       unit=st.sampled_from(["epochs", "iterations"]))
def test_a_list_of_decay_points_shares_its_keyword_and_the_total_keeps_its_own(first: int, second: int, total: int,
                                                                           unit: str) -> None:
    # "the learning rate is divided by 10 at 30 epochs and 60 epochs, and training stops at 90 epochs": the
    # decay keyword covers every point of its list; "stops" is the total's
    field, k = ("epochs", "") if unit == "epochs" else ("training_steps", "k")
    text = (f"The learning rate is divided by 10 at {first}{k} {unit} and {second}{k} {unit}, and training stops at "
            f"{total}{k} {unit}.")
    scale = 1000.0 if k else 1.0
    found = {float(c.value): ev for c, ev in _found([text], field)}
    assert found[first * scale].lr_schedule and found[second * scale].lr_schedule
    assert not found[total * scale].lr_schedule and "schedule_total" in found[total * scale].tags


# ---------------------------------------------------------------- citation letters on a results row


def test_a_citation_letter_glued_to_a_score_is_not_an_hour_count() -> None:
    # a results row whose prior-best scores carry superscript citation letters ("89.6a 82.3b … 55.4h"): the "h"
    # is the eighth reference, not hours
    text = ("Results on video benchmarks. prev. best 89.6a 82.3b 78.0c 73.1c 87.8d 64.5f / 64.2g 55.4h / 54.5i "
            "49.2j EVA 89.7 86.5 78.5 75.7 89.7. Pre-training takes 14.5 days on 128 GPUs.")
    assert {float(c.value) for c, _ in _found([text], "training_time_hours")} == {14.5 * 24}


def test_durations_in_a_row_of_hours_are_kept() -> None:
    # a row of training times in hours ("42.9h 84.0 15.2h"): every glued letter is the unit
    text = "EfficientNet-B4 82.9 20.8h 83.1 9.4h EfficientNet-B5 83.7 42.9h 84.0 15.2h"
    assert {round(float(c.value), 1) for c, _ in _found([text], "training_time_hours")} == {20.8, 9.4, 42.9, 15.2}


def test_a_device_named_only_in_the_references_does_not_block_the_family_mention() -> None:
    # a cited title ("… performance on Cloud TPUs. Google Cloud Blog, 2019") names a device the paper did not use;
    # the family mention "TPUs" is still the one device the paper's own text names
    pages = ["Our work here focuses on TPU architectures. We design our model with TPUs in mind.",
             "All models trained on 32 TPUv3 cores with equal FLOPs per example.",
             "References\n[1] A. Author. Bfloat16: The secret to high performance on Cloud TPUs. Google Cloud Blog, "
             "2019.\n[2] B. Author. Attention is all you need. In NIPS, 2017."]
    body = [(c, ev) for c, ev in _found(pages, "hardware") if c.page < 3]
    assert body and {c.value for c, _ in body} == {"Google TPU v3"}
    assert any("resolved_family" in ev.tags for _, ev in body)


def test_a_schedule_under_a_fine_tuning_heading_is_tagged_as_fine_tuning() -> None:
    # a settings table headed "fine-tuning config" (or an appendix "C Finetuning Hyperparameters"): its epoch rows
    # are the fine-tuning stage's, although the row itself only says "training epochs 30"
    page = ("Table 5. Settings.\npre-training config ImageNet-22K\noptimizer AdamW\ntraining epochs 90\n"
            "fine-tuning config ImageNet-1K\noptimizer AdamW\nmomentum 0.9\nbatch size 512\ntraining epochs 30\n")
    prose = {c.value: ev.tags for c, ev in _found([page], "epochs") if not c.rule.startswith("table.")}
    assert "fine_tune" in prose[30.0] and "fine_tune" not in prose[90.0]
    page = "C Finetuning Hyperparameters\nWe finetune for 10 epochs on each GLUE task with batch size 32."
    assert all("fine_tune" in t for t in _tags([page], "epochs", 10.0))


def test_cloud_or_cpu_instances_of_a_named_device_are_a_device_count() -> None:
    # "on 64 Intel KNL instances", "on 16 AWS p3 instances": a cluster counted in instances of a named machine;
    # "a list of 600 instances" (data) names no machine and counts nothing
    text = "We train the models for 90 epochs on 64 Intel KNL instances using Intel Caffe."
    assert {c.value for c, _ in _found([text], "hardware_count")} == {64.0}
    text = "This gives a list of 600 instances with masks and category scores, and 80 object instances per image."
    assert not _found([text], "hardware_count")


def test_the_last_epochs_of_a_run_are_a_segment_not_the_total() -> None:
    # "turn off mixup augmentation for the last 30 epochs": a segment at the run's end, as "the first 4 epochs of
    # warmup" is one at its start
    text = "All models are trained for 300 epochs. We turn off mixup augmentation for the last 30 epochs."
    last = [ev for c, ev in _found([text], "epochs") if c.value == 30.0 and not c.rule.startswith("table.")]
    assert last and all(ev.lr_schedule and "schedule_total" not in ev.tags for ev in last)
    total = [ev for c, ev in _found([text], "epochs") if c.value == 300.0]
    assert total and all("schedule_total" in ev.tags and not ev.lr_schedule for ev in total)


@settings(deadline=None, max_examples=15)  # each example runs every rule of collect()
@given(word=st.sampled_from(["an additional", "another", "an extra", "a further", "additional"]),
       extra=st.integers(2, 400), unit=st.sampled_from(["epochs", "k steps", "k iterations"]))
def test_more_training_on_top_of_a_run_is_a_segment_not_the_total(word: str, extra: int, unit: str) -> None:
    # "the T5-XXL model had to train for an additional 250k steps", "we fine-tune for another 10 epochs": an
    # increment added to a run, not the length of one
    field, scale = ("epochs", 1.0) if unit == "epochs" else ("training_steps", 1000.0)
    text = f"We pre-train for 550{'k' if scale > 1 else ''} {unit.split()[-1]}. The baseline had to train for {word} " \
           f"{extra}{unit} to match it."
    more = [ev for c, ev in _found([text], field) if c.value == extra * scale]
    assert more and all(ev.lr_schedule and "schedule_total" not in ev.tags for ev in more)
    total = [ev for c, ev in _found([text], field) if c.value == 550 * scale]
    assert total and all("schedule_total" in ev.tags and not ev.lr_schedule for ev in total)


def test_a_checkpoint_partway_through_a_run_is_a_schedule_point_not_the_total() -> None:
    # "we use the checkpoints at 1.2M steps for all the ablation experiments": a snapshot of the run, even when a
    # "total" or "for" of the same sentence stands before it
    text = ("We pre-train for 2.4M steps in total; to save time, for the ablations we use the checkpoints at 1.2M "
            "steps. We evaluate the checkpoint after 30 epochs of the 90-epoch run.")
    point = [ev for c, ev in _found([text], "training_steps") if c.value == 1.2e6]
    assert point and all(ev.lr_schedule and "schedule_total" not in ev.tags for ev in point)
    total = [ev for c, ev in _found([text], "training_steps") if c.value == 2.4e6]
    assert total and all("schedule_total" in ev.tags and not ev.lr_schedule for ev in total)
    epoch = [ev for c, ev in _found([text], "epochs") if c.value == 30.0]
    assert epoch and all(ev.lr_schedule and "schedule_total" not in ev.tags for ev in epoch)


@settings(deadline=None, max_examples=15)
@given(n=st.integers(100, 999), mark=st.integers(1, 19), unit=st.sampled_from([" epochs", " iterations", "k iterations",
                                                                           " steps", "k steps"]))
def test_a_footnote_mark_glued_to_the_unit_keeps_the_schedule(n: int, mark: int, unit: str) -> None:
    # "the GN models are trained for 270k iterations.5 To our knowledge": the footnote number after the sentence's
    # full stop is glued to the unit word; the schedule is still there
    field = "epochs" if unit == " epochs" else "training_steps"
    value = n * (1000.0 if unit.startswith("k") else 1.0)
    text = f"We show the results in Table 7, where the models are trained for {n}{unit}.{mark} To our knowledge, ours are best."
    assert value in {c.value for c, _ in _found([text], field)}


@settings(deadline=None, max_examples=15)
@given(start=st.integers(0, 40), step=st.sampled_from([1, 2, 5, 10, 20, 25]), ticks=st.integers(4, 9))
def test_the_other_axis_ticks_after_an_epochs_axis_title_are_not_a_schedule(start: int, step: int, ticks: int) -> None:
    # a plot's text read in order: x ticks, the x-axis title "epochs", then the y ticks "15 20 25 30 …" of the error
    # axis; "epochs 15" is not "epoch 15"
    y_ticks = " ".join(str(start + step * i) for i in range(ticks))
    text = f"0 10 20 30 40 50 60 70 80 90 epochs {y_ticks} top-1 error (%). We train the models for 300 epochs."
    assert float(start) not in {c.value for c, _ in _found([text], "epochs") if c.rule == "epochs.at_epoch"}


def test_a_settings_row_of_epochs_is_not_an_axis() -> None:
    # "Train epochs 300 30 90 30", "training epochs 300 300 300 300": one value per column, not evenly rising ticks
    for text, value in [("Train epochs 300 30 90 30 14 30 Train batch size 4096 512", 300.0),
                        ("training epochs 300 300 300 300 learning rate 4e-3", 300.0)]:
        assert value in {c.value for c, _ in _found([text], "epochs") if c.rule == "epochs.at_epoch"}, text
