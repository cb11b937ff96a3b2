"""What the review offers: one definition of the rows a reviewer is asked about, for the export and ``status``.

A paper's candidates pass two filters before a reviewer sees them:

1. **Offered** (``not_offered_reason``): a metric candidate is offered as its benchmark's metric only when
   that benchmark can take it. Left out, and counted by reason in the export's report and in ``status``:
   - ``no benchmark``: a metric the extractor could tie to no benchmark (``box_ap`` on PASCAL VOC), which
     ``build`` skips;
   - ``benchmark not the paper's``: its benchmark is neither one the paper was harvested for nor one its
     text names (``paper_benchmarks_of``; not applied when the extraction did not record the names);
   - ``another dataset's value``: the sentence at a value read from the text names another dataset nearer
     than any registry benchmark ("On PASCAL VOC 2007 we reach 73.2 %", offered as ImageNet top-1). Table
     cells are not judged so: their snippet lists every column's header, and the table reader placed them.
   They are left out rather than shown in a flagged group because no decision on them can reach the
   dataset as that benchmark's metric; a reviewer who knows the right value adds it (decision ``add``).
   A candidate with a decision is always offered, so no decision disappears from view.
2. **Shown** (``review.slots.shown_rows``): the top candidates of the best slots of each field.

``paper_view`` applies both; ``pending`` in ``review status`` is the pending rows it shows, which is exactly
what ``review export --pending-only`` writes with the same ``--top`` / ``--slot-rank``.
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from flopmine.benchmarks import name_patterns
from flopmine.store import benchmarks_named, paper_benchmarks
from flopmine.types import FIELDS, Candidate

from .decision import Decision
from .renames import Renames
from .slots import DEFAULT_SLOT_RANK, DEFAULT_TOP, ShownRow, Slot, build_slots, shown_rows
from .store import Attached

NO_BENCHMARK = "no benchmark"
NOT_THE_PAPERS = "benchmark not the paper's"
OTHER_DATASET = "another dataset's value"
REASONS: tuple[str, ...] = (NO_BENCHMARK, NOT_THE_PAPERS, OTHER_DATASET)

# How far (characters) after a value a dataset's name still counts as naming it, relative to one before it:
# "on PASCAL VOC we reach 73.2" names the dataset before the number; a name after it counts at double distance.
_AFTER_WEIGHT = 2


def paper_benchmarks_of(harvested: Iterable[str], named: Iterable[str] | None) -> frozenset[str] | None:
    """The paper's benchmarks: those its harvest query matched plus those its text names; None when the text's
    names were not recorded (then no candidate is left out for its benchmark)."""
    if named is None:
        return None
    return frozenset(harvested) | frozenset(named)


def stored_paper_benchmarks(conn: sqlite3.Connection, arxiv_id: str, version: int) -> frozenset[str] | None:
    """``paper_benchmarks_of`` from the store: ``paper_benchmarks`` (harvest) and ``extractions.benchmarks_named``."""
    return paper_benchmarks_of(paper_benchmarks(conn, arxiv_id), benchmarks_named(conn, arxiv_id, version))


def _other_datasets() -> re.Pattern[str]:
    """extract's pattern of datasets that are not benchmarks, imported on first use: the extraction rules cost every
    importer of ``flopmine.review`` (``flopmine build`` included) about 50 ms."""
    from flopmine.extract.tables import OTHER_DATASETS

    return OTHER_DATASETS


def dataset_named_at(text: str, value_text: str) -> str | None:
    """The dataset ``text`` names nearest to ``value_text`` (a name before the value preferred): a registry
    benchmark's name, ``other:<name>`` for another dataset, or None when it names none (or lacks the value).

    >>> dataset_named_at("On PASCAL VOC 2007 our detector reaches 73.2% accuracy.", "73.2")
    'other:pascal voc'
    >>> dataset_named_at("ImageNet top-1 accuracy of 76.5%, and 80.1 mAP on PASCAL VOC", "76.5")
    'imagenet'
    """
    pos = text.find(value_text) if value_text else -1
    if pos < 0:
        return None
    end = pos + len(value_text)  # a name after the mention counts from its end ("87.3% top-1 accuracy on ImageNet")
    others = [(m.start(), m.end(), "other:" + m.group(0).lower()) for m in _other_datasets().finditer(text)]
    spots = [(m.start(), name) for name, rx in name_patterns() for m in rx.finditer(text)
             if not any(s <= m.start() < e for s, e, _ in others)]  # "ImageNet-21k" is another dataset
    spots += [(s, name) for s, _, name in others]
    best: tuple[int, str] | None = None
    for p, name in spots:
        d = pos - p if p <= pos else max(p - end, 0) * _AFTER_WEIGHT
        if best is None or d < best[0]:
            best = (d, name)
    return best[1] if best else None


def not_offered_reason(c: Candidate, the_papers: frozenset[str] | None) -> str | None:
    """Why the review does not offer ``c`` as its benchmark's metric (one of ``REASONS``), or None.

    ``the_papers`` is ``paper_benchmarks_of`` the candidate's paper. Compute facts are always offered.

    >>> c = Candidate("1", 1, "top1_acc", 73.2, benchmark="imagenet", raw="73.2",
    ...               snippet="On PASCAL VOC 2007 our detector reaches 73.2% accuracy.")
    >>> not_offered_reason(c, frozenset({"imagenet"}))
    "another dataset's value"
    """
    spec = FIELDS.get(c.field)
    if spec is None or spec.kind != "metric":
        return None
    if not c.benchmark:
        return NO_BENCHMARK
    if the_papers is not None and c.benchmark not in the_papers:
        return NOT_THE_PAPERS
    if c.rule.startswith("table."):
        return None  # a table row's snippet ends with every column's header: the table reader placed the cell
    if not _other_datasets().search(c.snippet):
        return None  # no other dataset named: nothing can be nearer than the benchmark (and it is cheap)
    named = dataset_named_at(c.snippet, c.raw.strip())
    if named is not None and named.startswith("other:"):
        return OTHER_DATASET
    return None


def is_offered(a: Attached, the_papers: frozenset[str] | None) -> bool:
    """Whether the review (export, status, row sheet, browser) offers ``a``: a candidate with a decision always,
    another when ``not_offered_reason`` finds nothing against it."""
    return a.decision is not None or not_offered_reason(a.candidate, the_papers) is None


@dataclass(frozen=True)
class PaperView:
    """One paper as the review shows it: its offered slots, the rows shown, and what was left out."""

    slots: list[Slot]
    rows: list[ShownRow]
    left_out: Counter[str] = field(default_factory=Counter)  # reason → candidates not offered


def paper_view(attached: Sequence[Attached], the_papers: frozenset[str] | None, *, top: int | None = DEFAULT_TOP,
               slot_rank: int | None = DEFAULT_SLOT_RANK, pending_only: bool = False,
               renames: Renames | None = None, added: Sequence[Decision] = ()) -> PaperView:
    """The review of one paper's candidates (``attached``): offered candidates grouped into slots (after the
    paper's model ``renames``; a fact reviewers ``added`` settles its slot), and the rows shown (``shown_rows``
    with ``top``, ``slot_rank`` and ``pending_only``)."""
    offered: list[Attached] = []
    left_out: Counter[str] = Counter()
    for a in attached:
        if is_offered(a, the_papers):
            offered.append(a)
        else:
            why = not_offered_reason(a.candidate, the_papers)  # a reason: undecided and not offered
            left_out[why or ""] += 1
    slots = build_slots(offered, renames, added)
    return PaperView(slots, shown_rows(slots, top, pending_only=pending_only, slot_rank=slot_rank), left_out)
