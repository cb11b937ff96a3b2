"""The vectorised build gives the same dataset as the plain Fact-by-Fact join (tests/support/analysis_reference.py)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flopmine.analysis import dictionary
from flopmine.analysis.build import (
    CSV_SIGNIFICANT_DIGITS,
    FactTable,
    _join_facts,
    build_dataset,
    dataset_csv_text,
    derive_compute,
    read_annotations,
)
from flopmine.analysis.synthetic import SYNTHETIC_HARDWARE, synthetic_facts, write_annotations
from flopmine.benchmarks import load_registry
from flopmine.types import Fact

from .support.analysis_reference import pandas_csv_text, reference_join

REGISTRY = load_registry()


def _same_join(facts: list[Fact], titles: dict[str, str] | None = None) -> pd.DataFrame:
    titles = titles or {}
    fast, fast_warnings, _unjoined = _join_facts(FactTable.from_facts(facts).frame, REGISTRY, titles)
    slow, slow_warnings = reference_join(facts, REGISTRY, titles)
    assert fast_warnings == slow_warnings
    fast_done, _ = derive_compute(fast, SYNTHETIC_HARDWARE.get)
    slow_done, _ = derive_compute(slow, SYNTHETIC_HARDWARE.get)
    pd.testing.assert_frame_equal(fast_done, slow_done)
    return fast_done


def _tangled_facts(seed: int) -> list[Fact]:
    """Few papers, models and values drawn again and again: conflicts, ties, quoted baselines, paper-level facts."""
    rng = np.random.default_rng(seed)
    papers = ["1512.03385", "1905.11946", "2010.11929", "not-an-id", "1706.03762"]
    models = ["ResNet-50", "resnet-50 ", "ResNet-152 (ours)", "EffNet*", "ViT Ours", "", "Baseline", "Modèle  B"]
    metrics = [("imagenet", "top1_err"), ("imagenet", "top1_acc"), ("imagenet", "top5_err"), ("coco", "box_ap"),
               ("wmt14_en_fr", "bleu"), ("made_up_bench", "acc"), ("", "f1")]
    compute = ["flops", "mult_adds", "params", "hardware", "hardware_count", "training_time_hours", "epochs"]
    facts: list[Fact] = []
    for i in range(int(rng.integers(20, 90))):
        aid = papers[int(rng.integers(len(papers)))]
        model = models[int(rng.integers(len(models)))]
        version = int(rng.integers(1, 4))
        kw = {"page": int(rng.integers(0, 3)), "decision": ["accept", "correct", "add"][int(rng.integers(3))],
              "candidate_id": f"c{int(rng.integers(0, 6))}" if rng.random() < 0.7 else "",
              "decided_at": f"2024-01-0{int(rng.integers(1, 4))}T00:00:00Z" if rng.random() < 0.6 else ""}
        if rng.random() < 0.55:
            bench, fld = metrics[int(rng.integers(len(metrics)))]
            fact = Fact(aid, version, fld, float(rng.choice([12.5, 20.0, 33.3, 80.1])), benchmark=bench, model=model,
                        **kw)
        else:
            fld = compute[int(rng.integers(len(compute)))]
            value: float | str = (str(rng.choice(["SynthGPU-10", " synthgpu-10", "SynthTPU-100", "Unknown X"]))
                                  if fld == "hardware" else float(rng.choice([2.0, 8.0, 1e9, 3.5e10])))
            bench = ["", "", "imagenet", "coco"][int(rng.integers(4))]  # a compute fact joins rows of its benchmark
            fact = Fact(aid, version, fld, value, benchmark=bench, model=model if rng.random() < 0.6 else "", **kw)
        if rng.random() < 0.15:
            fact.extra["force"] = "force"
        facts.append(fact)
        if i % 7 == 0:
            facts.append(facts[-1])  # the same reviewed value twice: no conflict
    return facts


@pytest.mark.parametrize("seed", range(12))
def test_vectorised_join_equals_the_reference_on_tangled_facts(seed: int) -> None:
    facts = _tangled_facts(seed)
    df = _same_join(facts, titles={"1512.03385": "Deep Residual Learning"})
    assert len(df) > 0


def test_vectorised_join_equals_the_reference_on_synthetic_facts() -> None:
    facts = synthetic_facts(300, seed=3, benchmarks=("imagenet", "coco", "squad11", "conll2003", "wmt14_en_fr"))
    df = _same_join(facts)
    assert len(df) == 300 and df["hardware_burden_gflop"].notna().any()


def test_many_metric_facts_without_benchmark_are_counted() -> None:
    facts = [Fact(f"2001.{i:05d}", 1, "f1", 90.0, model="M") for i in range(14)]
    facts.append(Fact("2001.00001", 1, "f1", 90.0, benchmark="squad11", model="M"))
    _same_join(facts)


def test_fact_table_reads_back_the_facts_and_builds_the_same(tmp_path: Path) -> None:
    facts = synthetic_facts(40, seed=2)
    write_annotations(facts, tmp_path / "ann")
    table, warnings = read_annotations(tmp_path / "ann")
    assert not warnings and isinstance(table, FactTable) and len(table) == len(facts)
    def key(f: Fact) -> tuple[str, ...]:
        return f.arxiv_id, f.benchmark, f.model, f.field, f.decision, str(f.page), f.candidate_id

    read_back, written = sorted(table, key=key), sorted(facts, key=key)
    assert [key(f) for f in read_back] == [key(f) for f in written]
    for got, want in zip(read_back, written, strict=True):  # the CSV keeps 6 significant digits of big numbers
        assert got.value == (pytest.approx(want.value, rel=1e-5) if isinstance(want.value, float) else want.value)
    assert isinstance(table[0], Fact) and len(table[1:3]) == 2
    from_table = build_dataset(table, gflops_lookup=SYNTHETIC_HARDWARE.get)
    from_list = build_dataset(list(table), gflops_lookup=SYNTHETIC_HARDWARE.get)
    pd.testing.assert_frame_equal(from_table.frame, from_list.frame)
    assert from_table.warnings == from_list.warnings and from_table.n_facts == len(facts)


def test_dataset_csv_text_is_what_to_csv_wrote() -> None:
    """dataset.csv's fast writer matches ``DataFrame.to_csv`` byte for byte (after the same rounding and neutralising)."""
    facts = _tangled_facts(5) + synthetic_facts(30, seed=1)
    frame = build_dataset(facts, gflops_lookup=SYNTHETIC_HARDWARE.get,
                          titles={"1512.03385": 'Deep, "Residual"\nLearning', "1905.11946": "=cmd|' /C calc'!A0"}).frame
    frame.loc[0, "model"] = "-quoted, model"
    text_columns = [c.name for c in dictionary.COLUMNS if c.dtype == "text"]
    assert dataset_csv_text(frame) == pandas_csv_text(frame, text_columns, CSV_SIGNIFICANT_DIGITS)
    # one difference on purpose: a carriage return inside a cell is quoted (Python 3.11's csv module with
    # lineterminator "\n" left it bare, which split the row when read back)
    frame.loc[1, "title"] = "a\rb"
    back = pd.read_csv(io.StringIO(dataset_csv_text(frame)), dtype=str, keep_default_na=False)
    assert len(back) == len(frame) and back.loc[1, "title"] == "a\rb"


def test_annotations_with_a_newline_in_a_quoted_cell_still_read(tmp_path: Path) -> None:
    """pyarrow's fast parser refuses a newline inside a quoted cell; the C parser reads the file as before."""
    ann = tmp_path / "ann"
    ann.mkdir()
    (ann / "imagenet.csv").write_text(
        "arxiv_id,version,benchmark,model,field,value,unit,page,decision,candidate_id,fact_key,reviewer,decided_at,"
        "note,flags\n"
        '1512.03385,1,imagenet,ResNet,top1_err,19.38,%,5,accept,c1,,,,"two\nlines",\n'
        "1512.03385,1,imagenet,ResNet,top5_err,x,%,5,accept,c2,,,,,\n", encoding="utf-8")
    table, warnings = read_annotations(ann)
    assert [f.note for f in table] == ["two\nlines"]
    assert len(warnings) == 1 and "imagenet.csv:3: value:" in warnings[0]  # line = record number + 1, as before
