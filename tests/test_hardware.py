"""Hardware catalog: validation, matching (exact, fuzzy, near misses), scanning free text, counts."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from flopmine.errors import ConfigError
from flopmine.hardware import (
    BASES,
    CATALOG_COLUMNS,
    KINDS,
    PEAK_COLUMNS,
    HardwareEntry,
    count_in_basis,
    entry_by_name,
    gflops_for,
    load_catalog,
    match_hardware,
    normalise_device,
    parse_count_word,
    scan_hardware,
)

CATALOG = load_catalog()


def name_of(mention: str) -> str | None:
    m = match_hardware(mention)
    return m.entry.name if m else None


# ---------------------------------------------------------------- the catalog file


def test_catalog_validates_and_is_large_enough() -> None:
    assert len(CATALOG) >= 45
    assert len({e.name for e in CATALOG}) == len(CATALOG)
    for e in CATALOG:
        assert isinstance(e, HardwareEntry)
        assert e.kind in KINDS and e.basis in BASES
        assert re.match(r"^https?://", e.source_url), e.name
        assert 2008 <= e.year <= 2024, e.name
        assert e.fp32_gflops is None or e.fp32_gflops > 0
    assert load_catalog() is CATALOG  # cached


def test_every_row_has_a_source_url_in_the_raw_csv() -> None:
    path = Path(__file__).resolve().parent.parent / "flopmine" / "data" / "hardware.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0].keys()) == CATALOG_COLUMNS + PEAK_COLUMNS
    # every figure has a source: FP32 in source_url, the vendor peak in peak_source_url
    assert all(r["peak_source_url"].startswith("http") for r in rows if r["peak_gflops"])
    assert len(rows) == len(CATALOG)
    assert all(r["source_url"].startswith("http") for r in rows)


REQUIRED = {
    "GTX 580": "NVIDIA GeForce GTX 580",
    "GTX 680": "NVIDIA GeForce GTX 680",
    "GTX 780": "NVIDIA GeForce GTX 780",
    "GTX 780 Ti": "NVIDIA GeForce GTX 780 Ti",
    "GTX Titan": "NVIDIA GeForce GTX Titan",
    "Titan Black": "NVIDIA GeForce GTX Titan Black",
    "Titan X": "NVIDIA GeForce GTX Titan X (Maxwell)",
    "Titan X (Pascal)": "NVIDIA Titan X (Pascal)",
    "Titan Xp": "NVIDIA Titan Xp",
    "Titan V": "NVIDIA Titan V",
    "Titan RTX": "NVIDIA Titan RTX",
    "GTX 980": "NVIDIA GeForce GTX 980",
    "GTX 980 Ti": "NVIDIA GeForce GTX 980 Ti",
    "GTX 1070": "NVIDIA GeForce GTX 1070",
    "GTX 1080": "NVIDIA GeForce GTX 1080",
    "GTX 1080 Ti": "NVIDIA GeForce GTX 1080 Ti",
    "RTX 2080": "NVIDIA GeForce RTX 2080",
    "RTX 2080 Ti": "NVIDIA GeForce RTX 2080 Ti",
    "RTX 3090": "NVIDIA GeForce RTX 3090",
    "RTX 4090": "NVIDIA GeForce RTX 4090",
    "Tesla K10": "NVIDIA Tesla K10",
    "Tesla K20": "NVIDIA Tesla K20",
    "Tesla K20X": "NVIDIA Tesla K20X",
    "Tesla K40": "NVIDIA Tesla K40",
    "Tesla K80": "NVIDIA Tesla K80",
    "Tesla M40": "NVIDIA Tesla M40",
    "Tesla M60": "NVIDIA Tesla M60",
    "Tesla P4": "NVIDIA Tesla P4",
    "Tesla P40": "NVIDIA Tesla P40",
    "P100 PCIe": "NVIDIA Tesla P100 PCIe",
    "P100 SXM2": "NVIDIA Tesla P100 SXM2",
    "V100 PCIe": "NVIDIA Tesla V100 PCIe",
    "V100 SXM2": "NVIDIA Tesla V100 SXM2",
    "Tesla T4": "NVIDIA Tesla T4",
    "A10": "NVIDIA A10",
    "A40": "NVIDIA A40",
    "A100": "NVIDIA A100",
    "H100": "NVIDIA H100 SXM5",
    "TPU v1": "Google TPU v1",
    "TPU v2": "Google TPU v2",
    "TPU v3": "Google TPU v3",
    "TPU v4": "Google TPU v4",
    "Cloud TPU": "Google Cloud TPU v2 (v2-8 board)",
    "Xeon E5-2680 v3": "Intel Xeon E5-2680 v3",
    "Xeon E5-2690 v4": "Intel Xeon E5-2690 v4",
    "Xeon Gold 6148": "Intel Xeon Gold 6148",
}


@pytest.mark.parametrize(("mention", "name"), sorted(REQUIRED.items()))
def test_required_accelerators_are_catalogued(mention: str, name: str) -> None:
    assert name_of(mention) == name
    assert entry_by_name(name) is not None


def test_cpu_figures_follow_the_stated_formula() -> None:
    cpus = [e for e in CATALOG if e.kind == "cpu"]
    assert len(cpus) >= 3
    for e in cpus:
        m = re.search(r"(\d+) cores x ([\d.]+) GHz[^x]* x (\d+) (?:FP32 )?FLOPs/cycle", e.notes)
        assert m, f"{e.name}: notes must state cores x GHz x FLOPs/cycle"
        cores, ghz, per_cycle = int(m[1]), float(m[2]), int(m[3])
        assert e.fp32_gflops == pytest.approx(cores * ghz * per_cycle), e.name


def test_basis_is_explicit_for_dual_chip_boards_and_tpus() -> None:
    k80 = entry_by_name("NVIDIA Tesla K80")
    assert k80 is not None and k80.basis == "chip" and k80.fp32_gflops == 4113
    assert "8126" in k80.notes  # Epoch's per-board figure, documented
    m60 = entry_by_name("NVIDIA Tesla M60")
    assert m60 is not None and m60.basis == "chip" and "9650" in m60.notes
    assert entry_by_name("Google TPU v2").basis == "tpu_chip"
    board = entry_by_name("Google Cloud TPU v2 (v2-8 board)")
    assert board.basis == "tpu_board" and board.fp32_gflops == 4 * entry_by_name("Google TPU v2").fp32_gflops
    v3 = entry_by_name("Google TPU v3")
    assert v3.fp32_gflops is None and "bf16" in v3.notes and "123000" in v3.notes


# ---------------------------------------------------------------- validation errors


HEADER = ",".join(CATALOG_COLUMNS)
GOOD = "Foo X1,X1|Foo-X1,Foo,gpu,2016,1000,chip,https://example.org/x1,"


def write(tmp_path: Path, *lines: str) -> Path:
    p = tmp_path / "hw.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_load_catalog_reads_a_valid_file(tmp_path: Path) -> None:
    cat = load_catalog(write(tmp_path, HEADER, GOOD, "Bar Y2,Y2,Bar,tpu,2018,,tpu_core,https://e.org/y,n"))
    assert [e.name for e in cat] == ["Foo X1", "Bar Y2"]
    assert cat[0].aliases == ("X1", "Foo-X1") and cat[0].fp32_gflops == 1000.0
    assert cat[1].fp32_gflops is None
    assert match_hardware("Foo X1", catalog=cat).entry.name == "Foo X1"
    assert match_hardware("V100", catalog=cat) is None


@pytest.mark.parametrize(("lines", "line", "words"), [
    ((HEADER + ",extra", GOOD + ","), 1, "unknown column"),
    ((HEADER.replace(",notes", ""), GOOD[:-1]), 1, "missing column"),
    ((HEADER, GOOD, GOOD.replace("X1|Foo-X1", "Z1")), 3, "duplicate"),
    ((HEADER, GOOD.replace(",1000,", ",12.5k,")), 2, "fp32_gflops"),
    ((HEADER, GOOD.replace(",1000,", ",fast,")), 2, "fp32_gflops"),
    ((HEADER, GOOD.replace(",gpu,", ",fpga,")), 2, "kind"),
    ((HEADER, GOOD.replace(",chip,", ",socket,")), 2, "basis"),
    ((HEADER, GOOD.replace(",2016,", ",20x6,")), 2, "year"),
    ((HEADER, GOOD.replace("https://example.org/x1", "")), 2, "source_url"),
    ((HEADER, GOOD, "Other,X1,Foo,gpu,2016,5,chip,https://e.org,"), 3, "also names"),
    ((HEADER, GOOD + ",surplus"), 2, "cells"),
])
def test_load_catalog_names_file_and_line(tmp_path: Path, lines: tuple[str, ...], line: int, words: str) -> None:
    path = write(tmp_path, *lines)
    with pytest.raises(ConfigError) as err:
        load_catalog(path)
    assert f"{path}:{line}" in str(err.value)
    assert words in str(err.value)


def test_load_catalog_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_catalog(tmp_path / "nope.csv")
    with pytest.raises(ConfigError, match="empty"):
        load_catalog(write(tmp_path, ""))


# ---------------------------------------------------------------- matching


@pytest.mark.parametrize(("mention", "name"), [
    ("NVIDIA Tesla V100", "NVIDIA Tesla V100 SXM2"),
    ("Volta V100", "NVIDIA Tesla V100 SXM2"),
    ("Tesla V100-SXM2-32GB", "NVIDIA Tesla V100 SXM2"),
    ("TitanX", "NVIDIA GeForce GTX Titan X (Maxwell)"),
    ("NVIDIA GeForce GTX TITAN X", "NVIDIA GeForce GTX Titan X (Maxwell)"),
    ("Titian XP", "NVIDIA Titan Xp"),  # typo in 1711.07240, next to "NVIDIA TITAN Xp"
    ("NVIDIA TITAN Xp", "NVIDIA Titan Xp"),
    ("TitanXp", "NVIDIA Titan Xp"),
    ("TPUv3", "Google TPU v3"),
    ("TPU-v3", "Google TPU v3"),
    ("Cloud TPU", "Google Cloud TPU v2 (v2-8 board)"),
    ("Cloud TPUs", "Google Cloud TPU v2 (v2-8 board)"),
    ("cloud TPUv3", "Google Cloud TPU v3 (v3-8 board)"),
    ("TPU v3-8", "Google Cloud TPU v3 (v3-8 board)"),
    ("NVidia Kepler", "NVIDIA Kepler GPU (model unspecified)"),  # family only: no GFLOPS
    ("Quadro K-6000", "NVIDIA Quadro K6000"),
    ("GTX-1080ti", "NVIDIA GeForce GTX 1080 Ti"),
    ("RTX2080Ti", "NVIDIA GeForce RTX 2080 Ti"),
    ("8 V100", "NVIDIA Tesla V100 SXM2"),
    ("eight K80", "NVIDIA Tesla K80"),
    ("Telsa V100", "NVIDIA Tesla V100 SXM2"),
    ("Tesla K40m", "NVIDIA Tesla K40"),
    ("K80s", "NVIDIA Tesla K80"),
    ("A100-SXM4-40GB", "NVIDIA A100"),
    ("Intel Xeon E5-2667v3", "Intel Xeon E5-2667 v3"),
    ("a single Titan X GPU (12 GB)", "NVIDIA GeForce GTX Titan X (Maxwell)"),
])
def test_match_spellings(mention: str, name: str) -> None:
    assert name_of(mention) == name


def test_exact_hits_score_100_and_fuzzy_hits_less() -> None:
    exact = match_hardware("Titan Xp")
    fuzzy = match_hardware("Titian XP")
    assert exact.score == 100.0
    assert 85.0 <= fuzzy.score < 100.0
    assert fuzzy.matched_alias in (fuzzy.entry.name, *fuzzy.entry.aliases)
    assert match_hardware("Titian XP", cutoff=99.0) is None


@pytest.mark.parametrize(("a", "b"), [
    ("Titan X", "Titan Xp"),
    ("Titan X", "Titan V"),
    ("Titan Xp", "Titan V"),
    ("Titan X", "Titan Black"),
    ("Titan", "Titan X"),
    ("P100", "P40"),
    ("K40", "K80"),
    ("K20", "K20X"),
    ("GTX 1080", "GTX 1080 Ti"),
    ("RTX 2080", "RTX 2080 Ti"),
    ("GTX 780", "GTX 780 Ti"),
    ("GTX 980", "GTX 980 Ti"),
    ("A10", "A100"),
    ("A10", "A40"),
    ("V100 PCIe", "V100 SXM2"),
    ("TPU v2", "TPU v3"),
    ("Xeon E5-2680 v3", "Xeon E5-2680 v4"),
])
def test_near_misses_never_cross_match(a: str, b: str) -> None:
    na, nb = name_of(a), name_of(b)
    assert na is not None and nb is not None
    assert na != nb


@pytest.mark.parametrize("mention", [
    "Titen Xq", "P1000", "K8", "V10", "GTX 1090", "Titan W", "Foo X9", "GPU", "NVIDIA", "", "1080",
])
def test_unknown_or_partial_mentions_do_not_match(mention: str) -> None:
    assert match_hardware(mention) is None


def test_normalise_device() -> None:
    assert normalise_device("NVIDIA GeForce GTX TitanX (12GB) GPU") == "gtx titan x"
    assert normalise_device("TPUv3-8 pod") == "tpu v3 8"
    assert normalise_device("Nvidia M40") == normalise_device("NVIDIA  M40 GPUs") == "m40"


def test_gflops_for_and_entry_by_name() -> None:
    assert gflops_for("NVIDIA Tesla V100 SXM2") == 15670.0
    assert gflops_for("1080 Ti") == 11340.0
    assert gflops_for("K80") == 4113.0
    assert gflops_for("TPUv3") is None
    assert gflops_for("NVidia Kepler") is None
    assert gflops_for("Foo X9") is None
    assert entry_by_name("nvidia tesla k80").name == "NVIDIA Tesla K80"
    assert entry_by_name("K80") is None  # canonical names only


# ---------------------------------------------------------------- scanning


def found(text: str) -> list[tuple[str, str | None, str | None]]:
    return [(m.raw, m.match.entry.name if m.match else None, m.unit) for m in scan_hardware(text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("We trained on 8 NVIDIA Tesla V100 GPUs for 3 days.",
     [("NVIDIA Tesla V100", "NVIDIA Tesla V100 SXM2", "gpu")]),
    ("Training takes roughly 20 hours on a single Titan X GPU.",
     [("Titan X", "NVIDIA GeForce GTX Titan X (Maxwell)", "gpu")]),
    ("The network was trained on four NVIDIA Titan Black GPUs.",
     [("NVIDIA Titan Black", "NVIDIA GeForce GTX Titan Black", "gpu")]),
    ("NoisyStudent was trained on a TPUv3 pod for 6 days.", [("TPUv3", "Google TPU v3", "pod")]),
    ("pre-training on 16 Cloud TPUs (64 TPU chips total)",
     [("Cloud TPUs", "Google Cloud TPU v2 (v2-8 board)", None), ("TPU", "Google TPU (version unspecified)", "chip")]),
    ("50 replicas running each on a NVidia Kepler GPU",
     [("NVidia Kepler", "NVIDIA Kepler GPU (model unspecified)", "gpu")]),
    ("It takes two days on eight K80 GPUs.", [("K80", "NVIDIA Tesla K80", "gpu")]),
    ("we train on 32 TPU v3 cores with batch size 4096", [("TPU v3", "Google TPU v3", "core")]),
    ("measured on an NVIDIA TITAN Xp GPU with 12 Gigabytes memory",
     [("NVIDIA TITAN Xp", "NVIDIA Titan Xp", "gpu")]),
    ("We use a Titian XP for inference.", [("Titian XP", "NVIDIA Titan Xp", None)]),
    ("everyone can use a 1080 Ti or 2080 Ti GPU to train",
     [("1080 Ti", "NVIDIA GeForce GTX 1080 Ti", None), ("2080 Ti", "NVIDIA GeForce RTX 2080 Ti", "gpu")]),
    ("Timing on a Titan X (Pascal) and a Titan V.",
     [("Titan X (Pascal)", "NVIDIA Titan X (Pascal)", None), ("Titan V", "NVIDIA Titan V", None)]),
    ("with 1024 32GB Nvidia V100 GPUs", [("Nvidia V100", "NVIDIA Tesla V100 SXM2", "gpu")]),
    ("cuDNN v4 with Intel Xeon E5-2667v3@3.20GHz", [("Intel Xeon E5-2667v3", "Intel Xeon E5-2667 v3", None)]),
    ("Decoding on a Foo X9 GPU is slow.", [("Foo X9", None, "gpu")]),
    ("compared on P40 and P100 cards", [("P40", "NVIDIA Tesla P40", None), ("P100", "NVIDIA Tesla P100 PCIe", "gpu")]),
    ("a standard cloud TPUv3 with 8 cores", [("cloud TPUv3", "Google Cloud TPU v3 (v3-8 board)", None)]),
])
def test_scan_sentences(text: str, expected: list[tuple[str, str | None, str | None]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize("text", [
    "We use 8 GPUs with synchronized SGD.",
    "Our GPU is fast. Each GPU holds 2 images.",
    "Results on PASCAL VOC 2007 and 1080p video.",
    "T4 denotes the fourth task and K40 the fortieth kernel.",  # short model names need GPU context
    "The learning rate is divided by 10 at epoch 30.",
    "Code: https://github.com/tensorflow/tpu/tree/master/models and 2018/06/Cloud-TPU-now-offers-pricing",
    "Titan W is not a card we know of.",
])
def test_scan_ignores_non_devices(text: str) -> None:
    assert found(text) == []


def test_scan_table_rows_name_the_bracketed_device_not_the_model() -> None:
    rows = "ConvS2S GPU (K40) b = 1 33.45 327\nConvS2S GPU (GTX-1080ti) b = 1 33.45 142\nGNMT GPU (K80) 31.20"
    assert found(rows) == [("K40", "NVIDIA Tesla K40", None), ("GTX-1080ti", "NVIDIA GeForce GTX 1080 Ti", None),
                           ("K80", "NVIDIA Tesla K80", None)]


def test_scan_spans_point_into_the_text() -> None:
    text = "Models ran on 8 NVIDIA\nTesla V100 GPUs; baselines on a K40 GPU."
    for m in scan_hardware(text):
        assert text[m.start:m.end] == m.raw
    assert [m.match.entry.name for m in scan_hardware(text)] == ["NVIDIA Tesla V100 SXM2", "NVIDIA Tesla K40"]


# ---------------------------------------------------------------- counts


@pytest.mark.parametrize(("text", "value"), [
    ("8", 8), ("eight", 8), ("Eight", 8), ("a single", 1), ("single", 1), ("one", 1), ("two", 2),
    ("sixteen", 16), ("sixty-four", 64), ("sixty four", 64), ("one hundred twenty-eight", 128),
    ("a hundred", 100), ("1,024", 1024), ("a pair of", 2), ("a dozen", 12), ("two thousand", 2000),
    ("many", None), ("a", None), ("", None), ("several", None), ("8.5", None),
])
def test_parse_count_word(text: str, value: int | None) -> None:
    assert parse_count_word(text) == value


# ---------------------------------------------------------------- against ../shared


def _fp32_rows(path: Path, name_col: str, value_col: str, scale: float) -> dict[str, float]:
    with path.open(newline="", encoding="utf-8") as fh:
        return {r[name_col]: float(r[value_col]) / scale for r in csv.DictReader(fh) if r[value_col]}


#: Table rows whose name normalises to a catalog alias but which are a different product or basis.
KNOWN_DIFFERENCES = {
    "NVIDIA Tesla K80": "basis: Epoch counts the whole two-die board; the catalog counts one die",
    "NVIDIA TESLA M60": "basis: Epoch counts the whole two-die board; the catalog counts one die",
    "NVIDIA GeForce RTX 2080 Ti 12 GB": "an unreleased 12 GB prototype with more cores",
    "NVIDIA GeForce GTX Titan Z": "CHIP's Titan Z figure matches neither die nor board clocks",
    "NVIDIA H100 PCIe 96 GB": "a later 96 GB SKU with higher clocks than the 80 GB H100 PCIe",
}


def test_figures_agree_with_epoch_and_chip_tables(shared_dir: Path) -> None:
    ref = shared_dir / "reference"
    tables = {
        "epoch": _fp32_rows(ref / "epoch_ml_hardware.csv", "Hardware name",
                            "FP32 (single precision) performance (FLOP/s)", 1e9),
        "chip": _fp32_rows(ref / "chip_dataset_cpu_gpu.csv", "Product", "FP32 GFLOPS", 1.0),
    }
    compared: set[str] = set()
    problems = []
    for table, rows in tables.items():
        for row_name, value in rows.items():
            m = match_hardware(row_name)
            # only exact name/alias hits: fuzzy or partial hits would pair different products
            if m is None or m.score < 100.0 or normalise_device(row_name) != normalise_device(m.matched_alias):
                continue
            entry = m.entry
            if entry.fp32_gflops is None:
                continue
            compared.add(entry.name)
            ratio = value / entry.fp32_gflops
            if 0.9 <= ratio <= 1.1:
                continue
            if row_name in KNOWN_DIFFERENCES or entry.name in KNOWN_DIFFERENCES:
                if KNOWN_DIFFERENCES.get(row_name, KNOWN_DIFFERENCES.get(entry.name, "")).startswith("basis"):
                    assert entry.basis == "chip" and 1.8 <= ratio <= 2.2, row_name
                    assert f"{value:.0f}" in entry.notes, f"{entry.name}: notes should give {table}'s {value:.0f}"
                continue
            problems.append(f"{table} {row_name!r} {value:.0f} vs {entry.name!r} {entry.fp32_gflops:.0f}")
    assert not problems, "\n".join(problems)
    assert len(compared) >= 35, sorted(compared)


#: What each hardware value in the gold files names (values as papers print them).
GOLD_HARDWARE = {
    "NVIDIA M40": ["NVIDIA Tesla M40"],
    "Nvidia M40": ["NVIDIA Tesla M40"],
    "1080 Ti or 2080 Ti": ["NVIDIA GeForce GTX 1080 Ti", "NVIDIA GeForce RTX 2080 Ti"],
    "Titan X": ["NVIDIA GeForce GTX Titan X (Maxwell)"],
    "NVIDIA TITAN Xp": ["NVIDIA Titan Xp"],
    "Nvidia K40": ["NVIDIA Tesla K40"],
    "K40": ["NVIDIA Tesla K40"],
    "NVIDIA P100": ["NVIDIA Tesla P100 PCIe"],
    "P100": ["NVIDIA Tesla P100 PCIe"],
    "Cloud TPU": ["Google Cloud TPU v2 (v2-8 board)"],
    "Quadro K-6000": ["NVIDIA Quadro K6000"],
    "Nvidia V100": ["NVIDIA Tesla V100 SXM2"],
    "NVidia Kepler": ["NVIDIA Kepler GPU (model unspecified)"],
    "TPUv3": ["Google TPU v3"],
    "Intel Xeon CPU E5-2650 v3": ["Intel Xeon E5-2650 v3"],  # a CPU named for inference timing
    "Intel KNL": ["Intel Xeon Phi 7250 (Knights Landing)"],
    "TPU": ["Google TPU (version unspecified)"],
    "Volta V100": ["NVIDIA Tesla V100 SXM2"],
    "Nvidia V-100": ["NVIDIA Tesla V100 SXM2"],
    "NVIDIA A100-SXM4-40GB": ["NVIDIA A100"],
}


def test_gold_hardware_values_match_the_right_entry(shared_dir: Path) -> None:
    rows = []
    for path in sorted((shared_dir / "corpus").glob("gold_*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            rows += [r for r in csv.DictReader(fh) if r["field"] == "hardware"]
    if not rows:
        pytest.skip("no hardware rows in the gold files")
    for r in rows:
        value = r["value"]
        expected = GOLD_HARDWARE.get(value)
        if expected is None:  # a gold value this test does not know yet: it must still match something
            assert name_of(value), f"{r['arxiv_id']}: {value!r} matches no catalog entry"
            continue
        assert name_of(value) == expected[0], f"{r['arxiv_id']}: {value!r}"
        if len(expected) > 1:  # "1080 Ti or 2080 Ti": every device named
            assert [m.match.entry.name for m in scan_hardware(value) if m.match] == expected
        in_evidence = {m.match.entry.name for m in scan_hardware(r["evidence"]) if m.match}
        assert set(expected) <= in_evidence, f"{r['arxiv_id']}: evidence {r['evidence']!r}"


def test_cpu_clocks_agree_with_chip_dataset(shared_dir: Path) -> None:
    """The CHIP dataset's ``Freq (GHz)`` column holds the base clock in MHz."""
    with (shared_dir / "reference" / "chip_dataset_cpu_gpu.csv").open(newline="", encoding="utf-8") as fh:
        clocks = {normalise_device(r["Product"]): float(r["Freq (GHz)"]) / 1000
                  for r in csv.DictReader(fh) if r["Type"] == "CPU" and r["Freq (GHz)"]}
    checked = 0
    for e in CATALOG:
        if e.kind != "cpu":
            continue
        ghz = float(re.search(r"x ([\d.]+) GHz", e.notes)[1])
        for spelling in (e.name, *e.aliases):
            if normalise_device(spelling) in clocks:
                assert clocks[normalise_device(spelling)] == pytest.approx(ghz), e.name
                checked += 1
                break
    assert checked >= 5


@pytest.mark.parametrize(("count", "unit", "name", "expected"), [
    (32, "core", "Google TPU v3", 16.0),  # "on 32 TPU v3 cores" = 16 chips
    (8, "core", "Google Cloud TPU v3 (v3-8 board)", 1.0),  # "cloud TPUv3 with 8 cores" = one board
    (64, "chip", "Google Cloud TPU v2 (v2-8 board)", 16.0),  # BERT: 16 Cloud TPUs = 64 chips
    (16, None, "Google Cloud TPU v2 (v2-8 board)", 16.0),
    (1, "pod", "Google TPU v3", 1024.0),
    (1, "pod", "Google TPU v2", 256.0),
    (4, "board", "Google TPU v2", 16.0),
    (3, "pod", "Google TPU (version unspecified)", None),
    (8, "gpu", "NVIDIA Tesla K80", 8.0),  # "8 K80 GPUs" = 8 dies
    (4, "board", "NVIDIA Tesla K80", 8.0),
    (2, "board", "NVIDIA GeForce GTX Titan Z", 2.0),  # per-board figure already
    (8, None, "NVIDIA Tesla V100 SXM2", 8.0),
    (3584, "core", "NVIDIA GeForce GTX 1080 Ti", None),  # CUDA cores are not a device count
])
def test_count_in_basis(count: float, unit: str | None, name: str, expected: float | None) -> None:
    entry = entry_by_name(name)
    assert entry is not None
    assert count_in_basis(count, unit, entry) == expected


def test_scan_units_feed_count_conversion() -> None:
    (m,) = scan_hardware("trained on 32 TPU v3 cores")
    assert count_in_basis(parse_count_word("32"), m.unit, m.match.entry) == 16.0
    (m,) = scan_hardware("It takes two days on eight K80 GPUs.")
    assert count_in_basis(parse_count_word("eight"), m.unit, m.match.entry) * m.match.entry.fp32_gflops == 8 * 4113
