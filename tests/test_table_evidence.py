"""A table cell's evidence as the corpus writes it (issue 17): the row as printed, then ``[column headers]``,
so the reviewer sees which column a value was read from."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flopmine.extract.tables import fit_evidence, text_table_facts

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-/", min_size=1, max_size=12)
values = st.builds(lambda a, b: f"{a}.{b}", st.integers(0, 999), st.integers(0, 99))


@given(st.lists(words, min_size=1, max_size=6), st.lists(values, min_size=1, max_size=60),
       st.lists(words, min_size=0, max_size=60), st.integers(60, 300), st.data())
def test_evidence_keeps_the_header_and_the_value_within_the_limit(label: list[str], cells: list[str],
                                                                   header: list[str], limit: int,
                                                                   data: st.DataObject) -> None:
    row = " ".join(label + cells)
    raw = data.draw(st.sampled_from(cells))
    head = " ".join(header)
    out = fit_evidence(row, head, raw, limit)
    assert len(out) <= limit
    assert out.startswith(label[0][:5])  # the row's label leads
    if head:
        shown_row, _, shown_head = out.rpartition(" [")
        assert shown_head.endswith("]")
        assert head.startswith(shown_head[:-1].removesuffix("…"))  # the header, whole or cut at its end
        assert raw in shown_row  # the value stays visible


def test_a_text_table_cell_names_its_header_line() -> None:
    """The line-by-line reader (no word boxes): each value's evidence is its row and the header line above."""
    page = "Table 2: Error rates\nmethod top-1 err. top-5 err.\nVGG [41] 24.4 7.1\nOurs-152 19.38 4.49\n"
    facts = text_table_facts(page, benchmark="imagenet")
    assert {f.evidence for f in facts if f.model == "Ours-152"} == {"Ours-152 19.38 4.49 [method top-1 err. top-5 err.]"}
