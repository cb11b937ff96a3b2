"""`flopmine ranker train` (issue 19 item 7): says when no PDF was read, starts from the shipped model when
learning from reviewers' decisions, compares the new model with the one in use and refuses a worse one."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flopmine.cli import app
from flopmine.errors import FlopmineError
from flopmine.extract.ranking import Ranker, home_model_path
from tests.support.pdfs import text_pdf

# Six papers, each stating its own epoch count and a cited paper's. Own and cited values are drawn from one
# set (so value priors cannot tell them apart) and have two significant digits.
PAIRS = [(47, 63), (63, 47), (52, 71), (71, 52), (58, 66), (66, 58)]
# A model that ranks a cited value first: no trained model can (a citation's weight is kept ≤ 0).
CITATION_LOVER = Ranker(("citation",), (5.0,), 0.0, {"samples": 1})


def _papers(tmp_path: Path, *, gold_is_cited: bool) -> tuple[Path, Path]:
    pdfs = tmp_path / "pdfs"
    rows = []
    for i, (own, cited) in enumerate(PAIRS):
        aid = f"2101.{i:05d}"
        text_pdf(pdfs / f"{aid}v1.pdf", [f"3 Experiments\nWe train the network for {own} epochs. Zhang et al. [3] "
                                         f"train their network for {cited} epochs.\n"])
        rows.append({"arxiv_id": aid, "benchmark": "", "model": "Net", "field": "epochs",
                     "value": str(cited if gold_is_cited else own), "page": "1", "evidence": ""})
    gold = tmp_path / "gold.csv"
    with open(gold, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return pdfs, gold


def _home_using(tmp_path: Path, model: Ranker) -> tuple[Path, Path]:
    """A home whose ranking model in use is ``model``: (the home, the model's file)."""
    home = tmp_path / "home"
    target = home_model_path(home)
    target.parent.mkdir(parents=True)
    target.write_text(model.to_json())
    return home, target


def _invoke(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, list(args))
    err = str(res.exception) if isinstance(res.exception, FlopmineError) else ""
    return res.exit_code, res.output + err


def test_a_home_without_pdfs_says_no_pdf_was_read(tmp_path: Path) -> None:
    _, gold = _papers(tmp_path, gold_is_cited=False)
    code, out = _invoke("--home", str(tmp_path / "empty-home"), "--quiet", "ranker", "train", "--gold", str(gold))
    assert code != 0
    assert "no PDF was read" in out and "none of the PDFs read" not in out


def test_a_model_worse_than_the_one_in_use_is_not_written_without_force(tmp_path: Path) -> None:
    pdfs, gold = _papers(tmp_path, gold_is_cited=True)
    home, target = _home_using(tmp_path, CITATION_LOVER)
    before = target.read_text()
    code, out = _invoke("--home", str(home), "--quiet", "ranker", "train", "--gold", str(gold), "--folds", "3",
                        str(pdfs))
    assert code == 1, out
    assert "New model vs the model in use" in out and "scores worse than the one in use" in out and "--force" in out
    assert target.read_text() == before
    code, out = _invoke("--home", str(home), "--quiet", "ranker", "train", "--gold", str(gold), "--folds", "3",
                        "--force", str(pdfs))
    assert code == 0, out
    assert "model written to" in out and target.read_text() != before


def test_a_model_better_than_the_one_in_use_is_written(tmp_path: Path) -> None:
    pdfs, gold = _papers(tmp_path, gold_is_cited=False)
    home, target = _home_using(tmp_path, CITATION_LOVER)
    code, out = _invoke("--home", str(home), "--quiet", "ranker", "train", "--gold", str(gold), "--folds", "3",
                        str(pdfs))
    assert code == 0, out
    assert "New model vs the model in use" in out and "model written to" in out
    assert target.read_text() != CITATION_LOVER.to_json()


def test_without_a_comparison_the_model_is_written_only_with_force(tmp_path: Path) -> None:
    pdfs, gold = _papers(tmp_path, gold_is_cited=False)
    home = tmp_path / "home"
    code, out = _invoke("--home", str(home), "--quiet", "ranker", "train", "--gold", str(gold), "--folds", "0",
                        str(pdfs))
    assert code == 1 and "no comparison" in out and not home_model_path(home).exists()
    code, out = _invoke("--home", str(home), "--quiet", "ranker", "train", "--gold", str(gold), "--folds", "0",
                        "--force", str(pdfs))
    assert code == 0 and home_model_path(home).exists()


def test_training_from_a_few_decisions_nudges_the_shipped_model() -> None:
    """With a start model, a few decisions move the coefficients a little toward what they teach; from zero,
    the same decisions give a model far from the shipped one."""
    import math

    from flopmine.extract.document import Document
    from flopmine.extract.ranking import default_model, rank_found, train, truths_from_decisions
    from flopmine.extract.rules.paper import collect
    from flopmine.review.decision import Decision

    found, decisions = {}, []
    for i in range(4):
        doc = Document.from_texts([
            f"1 Introduction\nWe present Net{i}.\n3 Experiments\nWe train Net{i} for {90 + i} epochs on ImageNet.\n",
            f"Appendix\nThe full schedule of Net{i} runs for {300 + 10 * i} epochs.\n"],
            arxiv_id=f"2001.{i:05d}", title=f"Net{i}: a network")
        found[doc.arxiv_id] = (collect(doc), doc.page_count)
        decisions += [Decision("accept", doc.arxiv_id, 1, "epochs", float(300 + 10 * i)),
                      Decision("reject", doc.arxiv_id, 1, "epochs", float(90 + i))]
    shipped = default_model()
    truths = truths_from_decisions(decisions)
    nudged = train(found, truths, prior=shipped)
    scratch = train(found, truths)

    def distance(m: Ranker) -> float:
        w = dict(zip(m.features, m.coef, strict=True))
        return math.sqrt(sum((w.get(k, 0.0) - v) ** 2 for k, v in zip(shipped.features, shipped.coef, strict=True)))

    assert distance(nudged) < distance(scratch) / 2
    assert set(shipped.features) <= set(nudged.features)  # features the decisions never show keep their weight
    assert nudged.summary["started_from_samples"] == shipped.summary["samples"]
    # … and the decisions still move it: the appendix value of a new paper gains on the main one
    new = Document.from_texts(["1 Introduction\nWe present Net9.\n3 Experiments\nWe train Net9 for 120 epochs.\n",
                               "Appendix\nThe full schedule of Net9 runs for 450 epochs.\n"], arxiv_id="2001.00099")

    def margin(m: Ranker) -> float:
        ranked = {c.value: c.confidence for c in rank_found(collect(new), m, new.page_count, max_per_field={},
                                                             min_relative=0.0) if c.field == "epochs"}
        return ranked[450.0] - ranked[120.0]

    assert margin(nudged) > margin(shipped)


@pytest.mark.parametrize("kind", ["accept", "correct", "add", "reject"])
def test_decisions_become_gold_for_scoring(kind: str) -> None:
    from flopmine.extract.ranking import gold_from_decisions
    from flopmine.review.decision import Decision

    d = Decision(kind, "2001.00001", 1, "epochs", 90.0, model="Net",
                 corrected_value=120.0 if kind == "correct" else None)
    gold = gold_from_decisions([d, d])
    expected = {"accept": [90.0], "add": [90.0], "correct": [120.0], "reject": []}[kind]
    assert [g.value for g in gold] == expected
