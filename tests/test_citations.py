"""Citations in sentences and row labels (issue 17): a cited baseline must not read as the paper's own model, nor a
baseline the authors re-ran ("(our impl.)"). Generated author/year citations in the forms papers print them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flopmine.extract.document import Document
from flopmine.extract.rules.context import has_citation
from flopmine.extract.rules.paper import collect
from flopmine.extract.rules.table_rows import _label_evidence, cites_in_label, reimplemented

surnames = st.builds(lambda first, rest: first + rest, st.sampled_from("ABCDGHKLMORSTVWZ"),
                     st.text(alphabet="abcdefghilmnorstuvwz", min_size=1, max_size=10))
years = st.builds(lambda y, letter: f"{y}{letter}", st.integers(1950, 2029), st.sampled_from(["", "a", "b", "c"]))
joiners = st.sampled_from([" and ", " & "])


@st.composite
def citations(draw: st.DrawFn) -> str:
    """"(Tan & Le, 2019a)", "(Smith and Jones 2019)", "(He, 2016b; …)", "Ott & Auli (2018)", "Ott and Auli, 2018"."""
    first, second, year, join = draw(surnames), draw(surnames), draw(years), draw(joiners)
    authors = first + join + second if draw(st.booleans()) else first
    form = draw(st.sampled_from(["paren", "paren_no_comma", "paren_list", "narrative_paren", "narrative_comma"]))
    if form == "paren":
        return f"({authors}, {year})"
    if form == "paren_no_comma":
        return f"({authors} {year})"
    if form == "paren_list":
        return f"({authors}, {year}; {draw(surnames)} et al., {draw(years)})"
    two = first + join + second  # a narrative citation names two authors (one would be any capitalised word)
    return f"{two} ({year})" if form == "narrative_paren" else f"{two}, {year}"


@given(citations(), st.sampled_from(["EfficientNet-B3 ", "as reported by ", ""]),
       st.sampled_from([" reach 84.3% top-1", "", " uses 1.8B FLOPs."]))
def test_author_year_citations_are_citations(cite: str, before: str, after: str) -> None:
    assert has_citation(before + cite + after)
    assert cites_in_label(before + cite)


@given(st.sampled_from(["ImageNet", "COCO", "WMT", "ILSVRC", "Kinetics"]), st.sampled_from(["VOC", "COCO", "SQuAD"]),
       st.integers(1990, 2029), joiners)
def test_two_datasets_and_a_year_are_not_a_citation(one: str, two: str, year: int, join: str) -> None:
    """"trained on ImageNet and COCO 2017": dataset names and an edition year, not authors."""
    assert not has_citation(f"We train on {one}{join}{two} {year} for 90 epochs.")


@given(st.sampled_from(["ResNet-50", "Ours", "EfficientNetV2-S (ours)", "ViT-L/16 (2021)"]))
def test_a_model_name_with_a_year_alone_is_not_a_citation(label: str) -> None:
    assert not cites_in_label(label)


# A baseline the authors re-ran themselves is still another paper's model: its "our" says who ran it.
models = st.sampled_from(["PNASNet-5", "MobileNet v2", "ResNet-50", "Xception 1.5×", "BERT", "DenseNet 2×", "NASNet-A"])
reimplementation_marks = st.sampled_from(["(our impl.)", "(our impl)", "(our implementation)", "(our re-impl.)",
                                          "(re-implementation)", "(reimplemented)", "(reproduced)",
                                          "(trained by us)", "(run by us)", "(Our reimplementation)"])


@given(models, reimplementation_marks, st.sampled_from(["", " [14]", " [10]*"]))
def test_a_reimplemented_baseline_is_not_the_papers_own_row(model: str, mark: str, cite: str) -> None:
    label = f"{model}{cite} {mark}"
    assert reimplemented(label)
    own_score, ours, cites = _label_evidence(label, {"pnasnet": 0.9, "resnet": 0.9, "bert": 0.9})
    assert (own_score, ours, cites) == (0.0, False, True)


@given(models, st.sampled_from(["(ours)", "(ours, with SE)", "+ our module", "(proposed)", "(improved)",
                                "(implicit)", "(simplified)", ""]))
def test_the_papers_own_rows_are_not_reimplementations(model: str, tail: str) -> None:
    label = f"{model} {tail}".strip()
    assert not reimplemented(label)
    if "our" in tail or "proposed" in tail:
        assert _label_evidence(label, {})[1]


def test_a_reimplemented_row_in_a_table_gives_no_own_evidence() -> None:
    doc = Document.from_texts([
        "NewNet: a small network. We propose NewNet, a network for mobile devices, and evaluate it on ImageNet.",
        "Table 2: Classification on ImageNet.\nModel Params Top-1 err. (%)\n"
        "PNASNet-5 (our impl.) 5.1M 25.8\nNewNet 1x (ours) 2.3M 25.1\n",
    ], arxiv_id="2101.00002")
    rows = {c.model: ev for c, _, ev in collect(doc) if c.field.startswith("top1") and c.rule.startswith("table.")}
    reimpl = next(ev for m, ev in rows.items() if m.startswith("PNASNet"))
    own = next(ev for m, ev in rows.items() if m.startswith("NewNet"))
    assert (reimpl.ours, reimpl.citation, reimpl.own_model) == (False, True, 0.0)
    assert not own.citation and own.own_model >= 0.5
