"""Tables in sections and row labels that cite (issue 17): a results table with a heading row per benchmark, and
baselines named by their authors and year. Synthetic word boxes, as in ``tests/test_grid_labels.py``."""

from __future__ import annotations

from flopmine.extract.grid import Rule, Word, read_grids
from flopmine.extract.tables import clean_row_label, grid_facts, header_field, section_benchmarks
from tests.support.words import table_line as _row


def _sectioned() -> tuple[list[Word], list[Rule]]:
    """"WMT'14 English-German | BLEU" and "WMT'14 English-French | BLEU" sections, each between rules, with
    cited baselines whose labels run to eight words."""
    words = _row(40, [(40, "Model"), (250, "BLEU")])
    words += _row(60, [(40, "WMT'14 English-German"), (250, "BLEU")])
    words += _row(75, [(40, "Luong et al. (2015) LSTM (Word 50K)"), (250, "20.9")])
    words += _row(86, [(40, "Wu et al. (2016) GNMT (Word pieces)"), (250, "24.61")])
    words += _row(97, [(40, "ConvS2S (BPE 40K)"), (250, "25.16")])
    words += _row(115, [(40, "WMT'14 English-French"), (250, "BLEU")])
    words += _row(130, [(40, "Wu et al. (2016) GNMT (Word pieces) + RL"), (250, "39.92")])
    words += _row(141, [(40, "ConvS2S (BPE 40K)"), (250, "40.51")])
    rules = [Rule(35, 36, 290), Rule(35, 50, 290), Rule(35, 70, 290), Rule(35, 108, 290), Rule(35, 125, 290),
             Rule(35, 152, 290)]
    return words, rules


def test_a_table_in_benchmark_sections_reads_every_row_under_its_sections_benchmark() -> None:
    words, rules = _sectioned()
    grids = read_grids(words, rules, field_of=header_field)
    assert len(grids) == 1
    facts = {(f.model, f.benchmark): f.value for f in grid_facts(grids[0]) if f.field == "bleu"}
    assert facts[("ConvS2S (BPE 40K)", "wmt14_en_de")] == 25.16
    assert facts[("ConvS2S (BPE 40K)", "wmt14_en_fr")] == 40.51
    # the cited rows, labels of eight words and more a column gap from their value, are rows (not prose)
    assert facts[("Luong et al. (2015) LSTM (Word 50K)", "wmt14_en_de")] == 20.9
    assert facts[("Wu et al. (2016) GNMT (Word pieces) + RL", "wmt14_en_fr")] == 39.92


def test_headings_naming_one_benchmark_at_most_are_settings_not_sections() -> None:
    assert section_benchmarks(["ImageNet-1K trained models", "ImageNet-22K pre-trained models"]) == {}
    assert section_benchmarks(["CIFAR-10", "CIFAR-100"]) == {"CIFAR-10": "cifar10", "CIFAR-100": "cifar100"}


def test_a_name_that_goes_on_after_conv_is_a_model_and_a_layer_is_not() -> None:
    """Layer rows of an ablation ("conv", "conv1", "conv3x3", "conv5_x") are no model; "ConvS2S", "ConvNeXt",
    "ConvNet" are."""
    for layer in ("conv", "Conv", "conv1", "conv3x3", "conv5_x", "convolution", "convolutions"):
        assert clean_row_label(layer) == ""
    for model in ("ConvS2S", "ConvS2S (BPE 40K)", "ConvNeXt", "ConvNet", "ConvMixer"):
        assert clean_row_label(model) == model


def test_librispeech_columns_named_by_their_split_alone_are_its_test_sets() -> None:
    """"No LM (%)" / "With LM (%)" spanning "clean other", LibriSpeech named in the caption only: WER on each
    test set, the spanning header the setting (its unit dropped)."""
    words = _row(40, [(40, "Model"), (112, "No LM (%)"), (188, "With LM (%)")])
    words += _row(50, [(110, "clean"), (145, "other"), (190, "clean"), (225, "other")])
    words += _row(66, [(40, "BiLSTM RNN-T"), (110, "3.2"), (145, "7.8"), (190, "-"), (225, "-")])
    words += _row(77, [(40, "FullAttn T-T (Ours)"), (110, "2.4"), (145, "5.6"), (190, "2.0"), (225, "4.6")])
    caption = _row(100, [(40, "Table 2. Comparison of WERs on LibriSpeech test sets.")])
    grids = read_grids(words + caption, [Rule(35, 36, 260), Rule(35, 60, 260), Rule(35, 88, 260)],
                       field_of=header_field)
    assert len(grids) == 1
    facts = {(f.model, f.benchmark): f.value for f in grid_facts(grids[0]) if f.field == "wer"}
    assert facts[("FullAttn T-T (Ours) (With LM)", "librispeech_test_clean")] == 2.0
    assert facts[("FullAttn T-T (Ours) (No LM)", "librispeech_test_other")] == 5.6


def test_a_label_with_numbers_in_it_then_the_rows_values_is_a_row_not_prose() -> None:
    """"ResNeXt-29, 8 × 64d [66] | 29 | 34.4M | 3.65 | 17.77": the label's own numbers set apart like cells do not
    make the line running text; the rows below it are read too."""
    words = _row(40, [(40, "Method"), (160, "Depth"), (200, "#Params"), (250, "C10"), (290, "C100")])
    words += _row(55, [(40, "Wide ResNet [70]"), (160, "28"), (200, "36.5M"), (250, "4.17"), (290, "20.50")])
    words += _row(66, [(40, "ResNeXt-29,"), (97, "8"), (109, "× 64d [66]"), (160, "29"), (200, "34.4M"), (250, "3.65"),
                       (290, "17.77")])
    words += _row(77, [(40, "ResNeXt-29,"), (97, "16"), (109, "× 64d [66]"), (160, "29"), (200, "68.1M"),
                       (250, "3.58"), (290, "17.31")])
    words += _row(88, [(40, "AOGNet-25M"), (160, "-"), (200, "24.8M"), (250, "3.27"), (290, "16.63")])
    caption = _row(110, [(40, "Table 5. Error rates (%) on the two CIFAR datasets.")])
    grids = read_grids(words + caption, [Rule(35, 36, 320), Rule(35, 50, 320), Rule(35, 98, 320)],
                       field_of=header_field)
    assert len(grids) == 1
    errors = {(f.model, f.benchmark): f.value for f in grid_facts(grids[0]) if f.field == "err"}
    assert errors[("AOGNet-25M", "cifar10")] == 3.27 and errors[("AOGNet-25M", "cifar100")] == 16.63


def test_a_size_column_of_counts_is_the_parameter_count_and_one_of_pixels_is_not() -> None:
    """"Size | 14M / 18M" in a speech table is each model's parameter count; "Size | 224 / 320" is an input size."""
    def facts(sizes: tuple[str, str]) -> dict[tuple[str, str], float]:
        words = _row(40, [(40, "Models"), (120, "Size"), (170, "train-dev")])
        words += _row(55, [(40, "DFSMN-chain"), (120, sizes[0]), (170, "11.99")])
        words += _row(66, [(40, "CNN-pFSMN-1g"), (120, sizes[1]), (170, "10.89")])
        caption = _row(90, [(40, "Table 2. WER of acoustic models on SWBD.")])
        grids = read_grids(words + caption, [Rule(35, 36, 220), Rule(35, 50, 220), Rule(35, 76, 220)],
                           field_of=header_field)
        assert len(grids) == 1
        return {(f.model, f.field): f.value for f in grid_facts(grids[0])}
    counts = facts(("14M", "18M"))
    assert counts[("DFSMN-chain", "params")] == 14e6 and counts[("CNN-pFSMN-1g", "params")] == 18e6
    assert not any(field == "params" for _, field in facts(("224", "320")))
