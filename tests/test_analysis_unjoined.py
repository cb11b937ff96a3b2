"""flopmine build lists every reviewed fact that reached no dataset row, with why (issue 18, item 3)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flopmine.analysis.build import (
    AMBIGUOUS_MODEL,
    MODEL_FACT_WINS,
    NO_BENCHMARK,
    NO_ROW_FOR_MODEL,
    NO_ROW_IN_PAPER,
    UNJOINED_COLUMNS,
    build_dataset,
    read_annotations,
    read_dataset,
)
from flopmine.analysis.synthetic import write_annotations
from flopmine.cli import main
from flopmine.types import Fact, normalise_model


def _read_unjoined(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _issue_facts() -> list[Fact]:
    """The two facts the issue's tester accepted and build dropped without a word, with their metric rows."""
    return [
        Fact("1512.03385", 1, "top1_err", 19.38, benchmark="imagenet", model="ResNet-152", candidate_id="m1"),
        Fact("1512.03385", 1, "top1_err", 21.8, benchmark="imagenet", model="ResNet-34", candidate_id="m2"),
        Fact("1512.03385", 1, "flops", 11.3e9, benchmark="imagenet", model="ResNet", candidate_id="lost-flops",
             decision="accept"),
        Fact("1706.03762", 1, "bleu", 28.4, benchmark="wmt14_en_de", model="Transformer", candidate_id="m3"),
        Fact("1706.03762", 1, "training_time_hours", 84.0, benchmark="wmt14_en_de", model="WMT",
             candidate_id="lost-time", decision="accept"),
    ]


def _build_home(tmp_path: Path, facts: list[Fact], capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    home = tmp_path / "home"
    write_annotations(facts, home / "annotations")
    with pytest.raises(SystemExit) as exc:
        main(["--home", str(home), "build"])
    assert exc.value.code in (0, None)
    return home, capsys.readouterr().out


def test_issue_dropped_facts_are_listed_with_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home, out = _build_home(tmp_path, _issue_facts(), capsys)
    df = read_dataset(home / "dataset" / "dataset.csv")
    in_rows = {c for cell in df["candidate_ids"] for c in cell.split(";") if c}
    listed = _read_unjoined(home / "dataset" / "unjoined.csv")
    by_id = {r["candidate_id"]: r for r in listed}
    for cid in ("lost-flops", "lost-time"):
        assert (cid in in_rows) != (cid in by_id)  # in a row, or listed: never both, never neither
    assert by_id["lost-flops"]["reason"] == NO_ROW_FOR_MODEL
    assert by_id["lost-flops"]["model"] == "ResNet" and float(by_id["lost-flops"]["value"]) == 11.3e9
    assert "ResNet-152" in by_id["lost-flops"]["detail"]
    assert by_id["lost-time"]["reason"] == NO_ROW_FOR_MODEL and by_id["lost-time"]["field"] == "training_time_hours"
    assert "Transformer" in by_id["lost-time"]["detail"]
    assert all(r["fact_key"] for r in listed) and list(listed[0]) == UNJOINED_COLUMNS
    assert "2 reviewed fact(s) reached no row (2 no metric row for this model; 2 papers)" in out


def test_metric_without_benchmark_and_paper_level_facts(tmp_path: Path) -> None:
    facts = [
        Fact("1612.03144", 1, "box_ap", 36.2, benchmark="", model="FPN", candidate_id="no-bench"),
        Fact("1612.03144", 1, "box_ap", 36.2, benchmark="coco", model="FPN", candidate_id="fpn"),
        Fact("1612.03144", 1, "box_ap", 31.0, benchmark="coco", model="Faster R-CNN", candidate_id="frcnn"),
        Fact("1612.03144", 1, "hardware", "NVIDIA V100", candidate_id="ambiguous"),  # two models, none (ours)
        Fact("1905.11946", 1, "epochs", 350.0, candidate_id="no-rows"),  # a paper without any metric row
        Fact("1409.1556", 1, "top1_err", 24.4, benchmark="imagenet", model="VGG-19", candidate_id="vgg"),
        Fact("1409.1556", 1, "epochs", 74.0, model="VGG-19", candidate_id="own-epochs"),
        Fact("1409.1556", 1, "epochs", 80.0, candidate_id="paper-epochs"),  # the model's own 74 wins
        Fact("1409.1556", 1, "hardware_count", 4.0, candidate_id="paper-count"),  # attached to the only model
    ]
    write_annotations(facts, tmp_path / "ann")
    table, warnings = read_annotations(tmp_path / "ann")
    assert not warnings
    result = build_dataset(table, gflops_lookup=lambda _n: None)
    reasons = dict(zip(result.unjoined["candidate_id"], result.unjoined["reason"], strict=True))
    assert reasons == {"no-bench": NO_BENCHMARK, "ambiguous": AMBIGUOUS_MODEL, "no-rows": NO_ROW_IN_PAPER,
                       "paper-epochs": MODEL_FACT_WINS}
    assert result.n_unjoined == 4
    vgg = result.frame[result.frame["arxiv_id"] == "1409.1556"].iloc[0]
    assert vgg["epochs"] == 74.0 and vgg["hardware_count"] == 4.0
    # the build warning about the ambiguous paper and the list come from the same place
    assert any("1612.03144: paper-level hardware" in w for w in result.warnings)


def test_formula_like_model_is_neutralised_in_unjoined_csv(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    facts = [Fact("1512.03385", 1, "top1_err", 19.38, benchmark="imagenet", model="ResNet-152"),
             Fact("1512.03385", 1, "params", 6e7, model="=HYPERLINK(\"x\")", candidate_id="evil")]
    home, _out = _build_home(tmp_path, facts, capsys)
    (row,) = _read_unjoined(home / "dataset" / "unjoined.csv")
    assert row["model"] == "'=HYPERLINK(\"x\")" and row["candidate_id"] == "evil"


def test_review_status_lists_unjoined_per_paper(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home, _out = _build_home(tmp_path, _issue_facts(), capsys)
    with pytest.raises(SystemExit) as exc:
        main(["--home", str(home), "review", "status"])
    assert exc.value.code in (0, None)
    out = capsys.readouterr().out
    assert "Reviewed facts in no dataset row" in out and ": 2" in out
    assert "1512.03385" in out and "1706.03762" in out and "no metric row for this model" in out


PAPERS = ["1512.03385", "1706.03762"]
MODELS = ["ResNet-152", "resnet-152 (ours)", "ResNet", "Transformer*", "WMT", ""]
METRICS = [("imagenet", "top1_err"), ("wmt14_en_de", "bleu"), ("", "top1_err")]
COMPUTE = ["flops", "training_time_hours", "epochs"]


@st.composite
def small_annotations(draw: st.DrawFn) -> list[Fact]:
    facts = []
    for i in range(draw(st.integers(1, 14))):
        aid, model = draw(st.sampled_from(PAPERS)), draw(st.sampled_from(MODELS))
        version = draw(st.integers(1, 2))
        if draw(st.booleans()):
            bench, fld = draw(st.sampled_from(METRICS))
            value = float(draw(st.integers(1, 60)))
        else:
            bench, fld = draw(st.sampled_from(["", "imagenet", "wmt14_en_de"])), draw(st.sampled_from(COMPUTE))
            value = float(draw(st.integers(1, 50)))
        facts.append(Fact(aid, version, fld, value, benchmark=bench, model=model, candidate_id=f"c{i}",
                          decision=draw(st.sampled_from(["accept", "correct", "add"]))))
    return facts


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(facts=small_annotations())
def test_no_reviewed_fact_is_lost(tmp_path_factory: pytest.TempPathFactory, facts: list[Fact]) -> None:
    """Every reviewed fact is in a dataset row (its own value, or its key's newer value) or in unjoined.csv."""
    ann = tmp_path_factory.mktemp("ann")
    write_annotations(facts, ann)
    table, _warnings = read_annotations(ann)
    result = build_dataset(table, gflops_lookup=lambda _n: None)
    used = {c for cell in result.frame["candidate_ids"] for c in str(cell).split(";") if c}
    listed = set(result.unjoined["candidate_id"])
    assert not used & listed
    # the key of a fact as build picks winners: paper, benchmark, model, field
    def key(f: Fact) -> tuple[str, str, str, str]:
        return (f.arxiv_id, f.benchmark, normalise_model(f.model), f.field)
    won_keys = {key(f) for f in facts if f.candidate_id in used}
    for f in facts:
        assert f.candidate_id in used or f.candidate_id in listed or key(f) in won_keys, f
    assert result.n_unjoined == len(listed)


def test_every_reason_is_explained_in_the_data_dictionary() -> None:
    from flopmine.analysis import dictionary
    from flopmine.analysis.build import UNJOINED_REASONS

    text = dictionary.to_markdown()
    assert "## unjoined.csv" in text
    assert all(f"'{r}'" in text for r in UNJOINED_REASONS)


def test_gold_corpus_facts_are_in_a_row_or_listed(shared_dir: Path, tmp_path: Path) -> None:
    """The corpus's gold facts as accepted annotations: each one is used in a row or listed with a reason."""
    facts = []
    for gold in sorted((shared_dir / "corpus").glob("gold_*.csv")):
        with open(gold, encoding="utf-8") as fh:
            facts += [Fact.from_row({**r, "version": "1", "decision": "accept", "candidate_id": f"{gold.stem}:{i}"})
                      for i, r in enumerate(csv.DictReader(fh))]
    write_annotations(facts, tmp_path / "ann")
    table, _warnings = read_annotations(tmp_path / "ann")
    result = build_dataset(table, gflops_lookup=lambda _n: None)
    used = {c for cell in result.frame["candidate_ids"] for c in str(cell).split(";") if c}
    listed = set(result.unjoined["candidate_id"])
    def key(f: Fact) -> tuple[str, str, str, str]:  # build picks one value per paper, benchmark, model and field
        return (f.arxiv_id, f.benchmark, normalise_model(f.model), f.field)

    won = {key(f) for f in facts if f.candidate_id in used}
    missing = [f for f in facts if f.candidate_id not in used | listed and key(f) not in won]
    assert not missing[:5] and not used & listed
