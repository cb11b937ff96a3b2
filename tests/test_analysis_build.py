"""flopmine build: reviewed facts → dataset (join rule, conventions, imputation, files, errors)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flopmine.analysis import dictionary
from flopmine.analysis.build import (
    MULT_ADD_FLOPS,
    build_dataset,
    fit_conversion,
    read_annotations,
    read_dataset,
    score_to_error,
    write_dataset,
)
from flopmine.analysis.synthetic import SYNTHETIC_HARDWARE, synthetic_facts, write_annotations
from flopmine.benchmarks import load_registry
from flopmine.cli import main
from flopmine.errors import AnalysisError
from flopmine.store import connect, upsert_paper
from flopmine.types import ANNOTATION_COLUMNS, Fact, Paper

CATALOG = {"NVIDIA V100": 15_700.0, "TPU v3": 123_000.0}


def lookup(name: str) -> float | None:
    return CATALOG.get(name)


def _row(df: pd.DataFrame, aid: str, model: str, bench: str = "imagenet") -> pd.Series:
    sel = df[(df["arxiv_id"] == aid) & (df["model"] == model) & (df["benchmark"] == bench)]
    assert len(sel) == 1, sel
    return sel.iloc[0]


def test_join_rule_model_then_own_model() -> None:
    facts = [
        Fact("1512.03385", 1, "top1_err", 21.4, benchmark="imagenet", model="ResNet-152 (ours)", candidate_id="c1",
             page=5),
        Fact("1512.03385", 1, "top1_err", 23.0, benchmark="imagenet", model="ResNet-50", candidate_id="c2", page=5),
        Fact("1512.03385", 1, "flops", 11.3e9, model="resnet-152 ", candidate_id="c3", page=4),  # case/space folded
        Fact("1512.03385", 1, "flops", 3.8e9, model="ResNet-50", page=4),
        Fact("1512.03385", 1, "params", 60e6, model="ResNet-152"),  # names ResNet-152 only
        Fact("1512.03385", 1, "hardware", "NVIDIA V100"),  # paper-level → the paper's own (ours) model only
        Fact("1512.03385", 1, "hardware_count", 8.0),
        Fact("1512.03385", 1, "training_time_hours", 10.0, model="ResNet-50"),
        Fact("1512.03385", 1, "training_time_hours", 30.0, model="ResNet-101"),  # no such row: attached nowhere
    ]
    df = build_dataset(facts, gflops_lookup=lookup).frame
    assert len(df) == 2
    big, small = _row(df, "1512.03385", "ResNet-152 (ours)"), _row(df, "1512.03385", "ResNet-50")
    assert big["flops"] == 11.3e9 and small["flops"] == 3.8e9
    assert "flops=model" in big["compute_sources"]
    assert big["hardware"] == "NVIDIA V100" and "hardware=paper" in big["compute_sources"]
    assert small["hardware"] == "" and "hardware" not in small["compute_sources"]
    assert big["params"] == 60e6 and math.isnan(small["params"])
    assert math.isnan(big["training_time_hours"]) and small["training_time_hours"] == 10.0
    assert math.isnan(small["hardware_burden_gflop"]) and math.isnan(big["hardware_burden_gflop"])
    assert big["candidate_ids"] == "c1;c3" and "top1_err:5" in big["pages"] and "flops:4" in big["pages"]
    assert (big["year"], big["month"]) == (2015, 12)
    assert big["url"] == "https://arxiv.org/abs/1512.03385"


def test_error_conventions_and_gflops() -> None:
    facts = [
        Fact("1905.11946", 1, "top1_acc", 84.4, benchmark="imagenet", model="B7"),
        Fact("1905.11946", 1, "mult_adds", 37e9, model="B7"),
        Fact("1810.04805", 1, "f1", 93.2, benchmark="squad11", model="BERT"),
        Fact("1806.00187", 1, "bleu", 45.6, benchmark="wmt14_en_fr", model="Big+BT"),
        Fact("1505.00468", 1, "wer", 5.5, benchmark="swb_hub500", model="ASR"),
        Fact("1505.00468", 1, "flops", 2e9, model="ASR"),
        Fact("1505.00468", 1, "mult_adds", 5e9, model="ASR"),  # flops win over mult-adds
    ]
    df = build_dataset(facts, gflops_lookup=lookup).frame
    b7 = _row(df, "1905.11946", "B7")
    assert b7["error"] == pytest.approx(0.156) and b7["error_metric"] == "top1_acc"
    assert b7["gflops_per_pass"] == pytest.approx(37 * MULT_ADD_FLOPS) and b7["gflops_source"] == "mult_adds"
    assert _row(df, "1810.04805", "BERT", "squad11")["error"] == pytest.approx(0.068)
    assert _row(df, "1806.00187", "Big+BT", "wmt14_en_fr")["error"] == pytest.approx(0.544)  # Figure 4's 54.4 %
    asr = _row(df, "1505.00468", "ASR", "swb_hub500")
    assert asr["error"] == pytest.approx(0.055) and asr["gflops_per_pass"] == 2.0 and asr["gflops_source"] == "flops"
    assert score_to_error("top1_err", 11.5) == pytest.approx(0.115)


def test_conflicting_values_keep_newest_version_and_flag() -> None:
    facts = [
        Fact("1706.03762", 1, "bleu", 41.0, benchmark="wmt14_en_fr", model="Transformer"),
        Fact("1706.03762", 2, "bleu", 41.8, benchmark="wmt14_en_fr", model="Transformer", decision="correct"),
        Fact("1706.03762", 1, "bleu", 41.0, benchmark="wmt14_en_fr", model="Transformer"),  # duplicate, no conflict
    ]
    row = _row(build_dataset(facts, gflops_lookup=lookup).frame, "1706.03762", "Transformer", "wmt14_en_fr")
    assert row["bleu"] == 41.8 and row["version"] == 2 and "conflict:bleu" in row["flags"]
    assert row["decisions"] == "correct"  # decisions of the facts used (the winner)


def test_unknown_hardware_is_flagged_and_warned() -> None:
    facts = [Fact("1801.00001", 1, "acc", 95.0, benchmark="cifar10", model="m"),
             Fact("1801.00001", 1, "hardware", "Quantum Toaster"), Fact("1801.00001", 1, "hardware_count", 2.0),
             Fact("1801.00001", 1, "training_time_hours", 3.0)]
    res = build_dataset(facts, gflops_lookup=lookup)
    row = res.frame.iloc[0]
    assert "unknown_hardware" in row["flags"] and math.isnan(row["hardware_burden_gflop"])
    assert any("Quantum Toaster" in w for w in res.warnings)


def test_imputation_recovers_known_conversion() -> None:
    rng = np.random.default_rng(3)
    facts = []
    for i in range(40):
        aid, model = f"1901.{i:05d}", f"m{i}"
        params = 10 ** rng.uniform(6, 9)
        facts.append(Fact(aid, 1, "top1_err", 20.0, benchmark="imagenet", model=model))
        facts.append(Fact(aid, 1, "params", params, model=model))
        if i < 30:  # log10 gflops = -6 + 0.9 log10 params (+ small noise)
            facts.append(Fact(aid, 1, "flops", 10 ** (-6 + 0.9 * math.log10(params) + 0.02 * rng.standard_normal())
                              * 1e9, model=model))
    res = build_dataset(facts, gflops_lookup=lookup)
    conv = res.conversion
    assert conv is not None and conv.n == 30
    assert abs(conv.slope - 0.9) < 2 * conv.se_slope + 1e-9 and conv.se_slope < 0.02
    df = res.frame
    imputed = df[df["gflops_imputed_flag"]]
    assert len(imputed) == 10 and imputed["gflops_per_pass"].isna().all()
    expected = 10 ** (-6 + 0.9 * np.log10(imputed["params"].to_numpy(float)))
    np.testing.assert_allclose(imputed["gflops_imputed"], expected, rtol=0.1)
    assert all("gflops_imputed" in f for f in imputed["flags"])
    assert df.loc[~df["gflops_imputed_flag"], "gflops_imputed"].isna().all()


def test_conversion_needs_three_models() -> None:
    df = pd.DataFrame({"arxiv_id": ["a", "b"], "model": ["x", "y"], "params": [1e6, 1e7],
                       "gflops_per_pass": [1.0, 5.0]})
    assert fit_conversion(df) is None


def test_read_annotations_errors(tmp_path: Path) -> None:
    with pytest.raises(AnalysisError, match="does not exist"):
        read_annotations(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(AnalysisError, match="no .csv files"):
        read_annotations(tmp_path / "empty")
    bad = tmp_path / "bad"
    bad.mkdir()
    header = ",".join(ANNOTATION_COLUMNS)
    (bad / "imagenet.csv").write_text(
        header + "\n"
        "1512.03385,1,,ResNet,top1_err,21.4,,5,accept,c1,,,,\n"  # benchmark from the file name
        "1512.03385,1,imagenet,ResNet,top1_err,abc,,5,accept,c2,,,,\n"  # bad number
        "1512.03385,1,imagenet,ResNet,colour,blue,,5,accept,c3,,,,\n"  # unknown field
        "1512.03385,1,imagenet,ResNet,flops,1e9,,5,reject,c4,,,,\n"  # rejected: ignored
        "1512.03385,1,,ResNet,params,6e7,,5,add,,,,,\n", encoding="utf-8")
    facts, warnings = read_annotations(bad)
    assert [(f.field, f.benchmark, f.value) for f in facts] == [("top1_err", "imagenet", 21.4), ("params", "", 6e7)]
    assert any("imagenet.csv:3: value" in w for w in warnings)
    assert any("imagenet.csv:4: field" in w for w in warnings)


def test_write_dataset_files_and_dictionary(tmp_path: Path) -> None:
    write_annotations(synthetic_facts(60, seed=2), tmp_path / "ann")
    facts, warnings = read_annotations(tmp_path / "ann")
    assert not warnings
    res = build_dataset(facts, gflops_lookup=SYNTHETIC_HARDWARE.get, titles={facts[0].arxiv_id: "=A title"})
    paths = write_dataset(res, tmp_path / "out")
    assert {p.name for p in paths} == {"dataset.csv", "dataset.parquet", "data_dictionary.md", "data_dictionary.csv",
                                       "unjoined.csv"}
    back = read_dataset(tmp_path / "out" / "dataset.csv")
    pq = pd.read_parquet(tmp_path / "out" / "dataset.parquet")
    assert list(back.columns) == list(dictionary.COLUMN_NAMES) == list(pq.columns)
    assert len(back) == len(pq) == 60
    np.testing.assert_allclose(back["error"], pq["error"])
    # the synthetic papers' paper-level hardware attaches to their own "(ours)" model only
    assert (back["hardware_burden_gflop"].notna() == back["model"].str.endswith("(ours)")).all()
    assert "'=A title" in set(back["title"])  # formula neutralised in the CSV
    with open(tmp_path / "out" / "data_dictionary.csv", encoding="utf-8") as fh:
        described = [r["column"] for r in csv.DictReader(fh)]
    assert described == list(back.columns)
    md = (tmp_path / "out" / "data_dictionary.md").read_text(encoding="utf-8")
    assert "MULT_ADD_FLOPS" in md and "Conversion regression" in md
    assert not list((tmp_path / "out").glob(".*part"))  # no temporary files left


def test_cli_build_uses_store_titles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    write_annotations(synthetic_facts(12, seed=5), home / "annotations")
    conn = connect(home / "flopmine.sqlite")
    aid = synthetic_facts(12, seed=5)[0].arxiv_id
    upsert_paper(conn, Paper(arxiv_id=aid, version=1, title="A Stored Title"))
    conn.commit()
    conn.close()
    with pytest.raises(SystemExit) as exc:
        main(["--home", str(home), "build"])
    assert exc.value.code in (0, None)
    df = read_dataset(home / "dataset" / "dataset.csv")
    assert set(df.loc[df["arxiv_id"] == aid, "title"]) == {"A Stored Title"}
    assert "12 rows" in capsys.readouterr().out


def test_cli_build_missing_annotations_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--home", str(tmp_path / "nohome"), "build"])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "Error:" in err and "annotations" in err and "Traceback" not in err


def test_gold_corpus_builds_into_a_dataset(shared_dir: Path, tmp_path: Path) -> None:
    """The hand-checked gold facts of ../shared/corpus, written as reviewed annotations, build cleanly."""
    ann = tmp_path / "ann"
    facts = []
    for gold in sorted((shared_dir / "corpus").glob("gold_*.csv")):
        with open(gold, encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                facts.append(Fact.from_row({**r, "version": "1", "decision": "accept"}))
    write_annotations(facts, ann)
    read, warnings = read_annotations(ann)
    assert len(read) == len(facts) and not warnings
    res = build_dataset(read, gflops_lookup=lookup)
    df = res.frame
    assert len(df) > 10 and df["error"].notna().sum() > 10 and df["error"].dropna().between(0, 1).all()
    assert set(df["benchmark"]) <= set(load_registry())
    assert {"squad20", "librispeech_test_clean", "librispeech_test_other"} <= set(df["benchmark"])
    resnet = df[(df["arxiv_id"] == "1512.03385") & (df["model"] == "ResNet-152")]
    if len(resnet):  # the seed corpus's ResNet paper: top-1 error 19.38 %, 11.3 GFLOPs
        assert resnet.iloc[0]["error"] == pytest.approx(0.1938)
        assert resnet.iloc[0]["gflops_per_pass"] == pytest.approx(11.3)
    assert (df["year"] >= 2010).all()


def test_cli_build_skips_bad_rows_but_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    write_annotations(synthetic_facts(8, seed=6), home / "annotations")
    assert (home / "annotations" / "coco.csv").is_file()
    with open(home / "annotations" / "coco.csv", "a", encoding="utf-8") as fh:
        fh.write("1601.00001,1,coco,Bad,box_ap,twenty,,5,accept,cx,,,,\n")
    with pytest.raises(SystemExit) as exc:
        main(["--home", str(home), "build"])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "coco.csv:" in err and ": value:" in err and "1 annotation row(s) could not be read" in err
    df = read_dataset(home / "dataset" / "dataset.csv")
    assert "Bad" not in set(df["model"]) and len(df) > 0  # the rest was built


def test_error_never_mixes_in_another_metric() -> None:
    facts = [Fact("1409.4842", 1, "top5_err", 6.67, benchmark="imagenet", model="GoogLeNet"),
             Fact("1409.4842", 1, "top1_err", 30.0, benchmark="imagenet", model="Other"),
             Fact("1409.4842", 1, "ap50", 60.0, benchmark="coco", model="Det")]
    df = build_dataset(facts, gflops_lookup=lookup).frame
    g = _row(df, "1409.4842", "GoogLeNet")
    assert math.isnan(g["error"]) and g["error_metric"] == "" and g["top5_err"] == 6.67
    assert _row(df, "1409.4842", "Other")["error"] == pytest.approx(0.30)
    assert math.isnan(_row(df, "1409.4842", "Det", "coco")["error"])
