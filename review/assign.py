"""Many reviewers: who reviews which paper, who decided what, and refusing decisions out of turn.

Three files under ``annotations/decisions/`` (a sub-folder, so analysis never reads them as facts):

- ``reviewers.csv`` (column ``name``): the reviewers of the project, written by hand. ``--assign``
  names must be listed there, so a typo never becomes a reviewer;
- ``assignments.csv`` (``arxiv_id, reviewer, role, assigned_at``): written by ``review export
  --assign``; ``role`` is ``first`` or ``second`` (a paper reviewed twice, for agreement);
- ``reviews/<yymm>.csv``: every reviewer's own verdicts (one row per reviewer and candidate), so that two
  reviewers' decisions on the same paper are both kept for ``review status --agreement`` even though
  the ledger keeps one decision per candidate.

``plan`` is stable: a paper keeps its reviewers when the export is run again (new papers are added
to the least loaded reviewer, counting candidates), and which papers are reviewed twice depends only
on their arXiv ids.

>>> plan({"a": 10, "b": 5, "c": 5}, ["alice", "bob"], 0.0)
{'a': ('alice',), 'b': ('bob',), 'c': ('bob',)}
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import math
import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from flopmine.config import Home
from flopmine.errors import ReviewError, UsageError
from flopmine.store import now_iso

from .annotations import LEGACY_REVIEWS_FILE, REVIEWS_DIR, commit_files, month_files, paper_month, review_lock
from .decision import CORRECT, FACT_DECISIONS, Decision, format_value
from .export import ExportReport, active_papers, export, paper_candidates
from .slots import DEFAULT_SLOT_RANK, DEFAULT_TOP, canonical_value, drop_lines, slot_conflicts, slot_of
from .validate import ImportReport, Problem, import_files

log = logging.getLogger(__name__)

REVIEWERS_FILE = "decisions/reviewers.csv"
ASSIGNMENTS_FILE = "decisions/assignments.csv"
ASSIGNMENT_COLUMNS = ("arxiv_id", "reviewer", "role", "assigned_at")
REVIEW_LOG_COLUMNS = ("reviewer", "key", "candidate_id", "arxiv_id", "version", "benchmark", "model", "field",
                      "value", "decision", "corrected_value", "decided_at", "source")
DEFAULT_OVERLAP = 0.1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


# ---------------------------------------------------------------- files


def _read(path: Path) -> list[tuple[int, dict[str, str]]]:
    if not path.is_file():
        return []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ReviewError(f"{path}:1: file: not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    out: list[tuple[int, dict[str, str]]] = []
    _ = reader.fieldnames
    line = reader.line_num + 1
    for row in reader:
        if any((v or "").strip() for k, v in row.items() if k is not None):
            out.append((line, {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}))
        line = reader.line_num + 1
    return out


def _render(header: Sequence[str], rows: list[dict[str, object]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(header), lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def load_reviewers(directory: Path) -> list[str]:
    """The names in ``decisions/reviewers.csv`` (empty when the file is absent).

    Raises ``ReviewError`` naming ``file:line`` for a missing ``name`` column, an empty, malformed or
    repeated name.
    """
    path = directory / REVIEWERS_FILE
    rows = _read(path)
    problems: list[str] = []
    names: dict[str, int] = {}
    if path.is_file():
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = [h.strip() for h in next(csv.reader(fh), [])]
        if "name" not in header:
            raise ReviewError(f"{path} is malformed", [f"{path}:1: name: required column missing"])
    for line, row in rows:
        name = row.get("name", "")
        if not _NAME.match(name):
            problems.append(f"{path}:{line}: name: {name!r} is not a reviewer name (letters, digits, . _ - @)")
        elif name.lower() in {n.lower() for n in names}:
            problems.append(f"{path}:{line}: name: {name!r} appears twice (first on line {names[name]})")
        else:
            names[name] = line
    if problems:
        raise ReviewError(f"{path} is malformed", problems)
    return list(names)


def parse_reviewers(text: str, directory: Path, *, listed: bool = True) -> list[str]:
    """The names of ``--assign alice,bob``, each one listed in ``decisions/reviewers.csv``.

    With ``listed=False`` (no reviewers file yet) the names are only checked for their form.
    Raises ``ReviewError`` for an unknown, empty, malformed or repeated name (nothing is exported).
    """
    path = directory / REVIEWERS_FILE
    known = load_reviewers(directory) if listed else []
    if listed and not known:
        raise ReviewError(f"{path}:1: name: no reviewers are listed; add one reviewer per line under its 'name' "
                          "header, then run --assign again")
    lower = {k.lower(): k for k in known}
    names: list[str] = []
    problems: list[str] = []
    for i, raw in enumerate(text.split(","), 1):
        name = raw.strip()
        if not name:
            problems.append(f"--assign:{i}: name: empty reviewer name in {text!r}")
        elif not listed and not _NAME.match(name):
            problems.append(f"--assign:{i}: name: {name!r} is not a reviewer name (letters, digits, . _ - @)")
        elif listed and name.lower() not in lower:
            problems.append(f"--assign:{i}: name: unknown reviewer {name!r}; known in {path}: {', '.join(known)}")
        elif (lower.get(name.lower(), name)).lower() in {n.lower() for n in names}:
            problems.append(f"--assign:{i}: name: {name!r} given twice")
        else:
            names.append(lower.get(name.lower(), name))
    if problems:
        raise UsageError("--assign names unknown reviewers; nothing was exported", problems)
    return names


def create_reviewers(home: Home, names: Sequence[str]) -> Path | None:
    """Write ``decisions/reviewers.csv`` listing ``names`` unless it exists (atomically, under the review
    lock). Returns its path when it was created, else None: an existing list is never changed."""
    directory = home.annotations_dir
    with review_lock(home, create=True):
        if (directory / REVIEWERS_FILE).exists():
            return None
        commit_files(directory, {REVIEWERS_FILE: _render(("name",), [{"name": n} for n in names])})
    log.info("created %s listing %s", directory / REVIEWERS_FILE, ", ".join(names))
    return directory / REVIEWERS_FILE


def check_overlap(overlap: float, reviewers: Sequence[str]) -> None:
    """Raise ``UsageError`` (exit 2) unless ``0 <= overlap <= 1`` (and two reviewers when it is above 0)."""
    if not (isinstance(overlap, int | float) and math.isfinite(overlap) and 0.0 <= overlap <= 1.0):
        raise UsageError(f"--overlap: {overlap!r} is outside 0–1 (the share of papers reviewed twice, "
                          "e.g. 0.1); nothing was exported")
    if overlap > 0 and len(reviewers) < 2:
        raise UsageError(f"--overlap: {overlap:g} needs at least two reviewers in --assign (a paper is reviewed "
                          "twice by two people); use --overlap 0 for one reviewer")


def load_assignments(directory: Path) -> dict[str, tuple[str, ...]]:
    """``{arxiv_id: (first reviewer, second reviewer?)}`` from ``decisions/assignments.csv``."""
    path = directory / ASSIGNMENTS_FILE
    out: dict[str, list[tuple[int, str]]] = {}
    problems: list[str] = []
    for line, row in _read(path):
        aid, name, role = row.get("arxiv_id", ""), row.get("reviewer", ""), row.get("role", "first")
        if not aid or not name:
            problems.append(f"{path}:{line}: {'arxiv_id' if not aid else 'reviewer'}: required")
            continue
        out.setdefault(aid, []).append((0 if role == "first" else 1, name))
    if problems:
        raise ReviewError(f"{path} is malformed", problems)
    return {aid: tuple(n for _, n in sorted(v)) for aid, v in out.items()}


def _double_order(arxiv_id: str) -> str:
    return hashlib.sha1(f"overlap:{arxiv_id}".encode()).hexdigest()


def plan(candidates: Mapping[str, int], reviewers: Sequence[str], overlap: float,
         existing: Mapping[str, tuple[str, ...]] | None = None) -> dict[str, tuple[str, ...]]:
    """Assign papers (``{arxiv_id: candidates}``) to ``reviewers``: stable, balanced, ``overlap`` twice.

    - a paper already assigned to reviewers in the list keeps them;
    - the other papers go, largest first, to the reviewer with the fewest candidates so far;
    - ``round(overlap × papers)`` papers (at least one when ``overlap > 0``), chosen by a hash of
      their id, get a second reviewer: the least loaded other one.

    >>> p = plan({f"p{i}": 10 for i in range(10)}, ["a", "b"], 0.2)
    >>> sum(len(r) == 2 for r in p.values()), sorted(sum(r.count(x) for r in p.values()) for x in "ab")
    (2, [6, 6])
    """
    existing = existing or {}
    keep = set(reviewers)
    order = {r: i for i, r in enumerate(reviewers)}
    load = dict.fromkeys(reviewers, 0)
    out: dict[str, list[str]] = {}

    def least(exclude: Sequence[str] = ()) -> str:
        return min((r for r in reviewers if r not in exclude), key=lambda r: (load[r], order[r]))

    def give(aid: str, who: str) -> None:
        out.setdefault(aid, []).append(who)
        load[who] += candidates[aid]

    n_double = 0
    if overlap > 0 and len(reviewers) >= 2 and candidates:
        n_double = min(len(candidates), max(1, round(overlap * len(candidates))))
    doubles = set(sorted(candidates, key=_double_order)[:n_double])
    for aid in sorted(candidates):  # papers assigned before keep their reviewers
        for who in existing.get(aid, ())[: 2 if aid in doubles else 1]:
            if who in keep and who not in out.get(aid, []):
                give(aid, who)
    by_size = sorted(candidates, key=lambda a: (-candidates[a], a))
    for aid in (a for a in by_size if a in doubles):  # doubles first: they weigh on two reviewers
        while len(out.get(aid, [])) < 2:
            give(aid, least(out.get(aid, [])))
    for aid in (a for a in by_size if a not in out):
        give(aid, least())
    return {aid: tuple(v) for aid, v in sorted(out.items())}


def save_assignments(home: Home, assignments: Mapping[str, tuple[str, ...]]) -> Path:
    """Write ``decisions/assignments.csv`` (atomically, under the review lock); keeps other papers' rows."""
    directory = home.annotations_dir
    stamp = now_iso()
    with review_lock(home):
        merged = dict(load_assignments(directory))
        merged.update(assignments)
        rows = [{"arxiv_id": aid, "reviewer": r, "role": "first" if i == 0 else "second", "assigned_at": stamp}
                for aid, names in sorted(merged.items()) for i, r in enumerate(names)]
        commit_files(directory, {ASSIGNMENTS_FILE: _render(ASSIGNMENT_COLUMNS, rows)})
    return directory / ASSIGNMENTS_FILE


@dataclass(frozen=True)
class AssignReport:
    """What ``export_assigned`` wrote: one export per reviewer, and the plan."""

    exports: dict[str, ExportReport]
    assignments: dict[str, tuple[str, ...]]
    candidates: dict[str, int]  # per reviewer, candidates of their papers
    reviewers_created: Path | None = None  # decisions/reviewers.csv, when this export created it

    @property
    def doubles(self) -> int:
        return sum(1 for r in self.assignments.values() if len(r) > 1)


def export_assigned(conn: sqlite3.Connection, home: Home, out_dir: Path | None, reviewers_text: str, *,
                    overlap: float = DEFAULT_OVERLAP, benchmark: str | None = None, pending_only: bool = False,
                    bom: bool = True, top: int | None = DEFAULT_TOP,
                    slot_rank: int | None = DEFAULT_SLOT_RANK) -> AssignReport:
    """Split the papers among reviewers (``plan``), record it, and export ``<out>/<reviewer>/*.csv``.

    The first ``--assign`` of a project (no ``decisions/reviewers.csv`` yet) creates that file
    listing the names given; later names must be listed there, so a typo never becomes a reviewer.
    Raises ``ReviewError`` (nothing written) for unknown names or an overlap outside 0–1.
    """
    directory = home.annotations_dir
    listed = (directory / REVIEWERS_FILE).exists()
    reviewers = parse_reviewers(reviewers_text, directory, listed=listed)
    check_overlap(overlap, reviewers)
    created = None if listed else create_reviewers(home, reviewers)
    counts: dict[str, int] = {}
    for aid, version in active_papers(conn):  # one paper's candidates at a time, not the store's
        n = len(paper_candidates(conn, aid, version, benchmark))
        if n:
            counts[aid] = n
    assignments = plan(counts, reviewers, overlap, load_assignments(directory))
    save_assignments(home, assignments)
    out_dir = Path(out_dir) if out_dir is not None else home.root / "review"
    exports: dict[str, ExportReport] = {}
    load: dict[str, int] = {}
    for r in reviewers:
        papers = {aid for aid, names in assignments.items() if r in names}
        load[r] = sum(counts[p] for p in papers)
        exports[r] = export(conn, home, out_dir / r, benchmark=benchmark, pending_only=pending_only, bom=bom,
                            top=top, slot_rank=slot_rank, papers=papers)
    return AssignReport(exports, assignments, load, created)


# ---------------------------------------------------------------- import: ownership and the review log


def _names(reviewer: str) -> list[str]:
    return [n.strip() for n in reviewer.split(";") if n.strip()]


def ownership_problems(decisions: Sequence[Decision], assignments: Mapping[str, tuple[str, ...]],
                       known: Sequence[str], paths: Sequence[Path | str] = ()) -> list[Problem]:
    """Problems for decisions by reviewers on papers not assigned to them (none when nothing is assigned)."""
    if not assignments:
        return []
    full = {Path(p).name: str(p) for p in paths}
    lower = {k.lower() for k in known}
    problems: list[Problem] = []
    for d in decisions:
        name = d.source.rsplit(":", 1)[0]
        src = full.get(name, name)
        people = _names(d.reviewer)
        if not people:
            problems.append(Problem(src, d.line, "reviewer", "empty, but papers are assigned to reviewers "
                                                             "(decisions/assignments.csv): fill it in or pass "
                                                             "--reviewer NAME"))
            continue
        owners = assignments.get(d.arxiv_id, ())
        for who in people:
            if known and who.lower() not in lower:
                problems.append(Problem(src, d.line, "reviewer", f"unknown reviewer {who!r} (not in "
                                                                 f"decisions/reviewers.csv: {', '.join(known)})"))
            elif who.lower() not in {o.lower() for o in owners}:
                to = f"assigned to {', '.join(owners)}" if owners else "assigned to nobody"
                problems.append(Problem(src, d.line, "reviewer", f"{who} is not assigned paper {d.arxiv_id} "
                                                                 f"({to}); use --any-paper to import it anyway"))
    return problems


def reviews_file_name(month: str) -> str:
    """The verdicts of the papers of one month: ``2007`` → ``decisions/reviews/2007.csv``."""
    return f"{REVIEWS_DIR}/{month}.csv"


def reviews_files(directory: Path) -> list[Path]:
    """The verdicts' files (one per arXiv month of the papers: an import rewrites its papers' months only): the
    older layout's single file (if any) first, where a month file's row wins, then one per month, sorted."""
    return month_files(directory, REVIEWS_DIR, LEGACY_REVIEWS_FILE)


def reviews_text(directory: Path, decisions: Sequence[Decision], stamp: str) -> dict[str, str]:
    """``{reviews_file_name(month): new text}`` for each arXiv month of ``decisions``' papers: the month's
    verdicts plus each reviewer's verdicts in ``decisions`` (one row per reviewer and candidate); ``{}``
    when there are none. ``review import`` commits it in the transaction that writes the ledger (``apply``'s
    ``also_write``), so a kill never keeps one without the other."""
    by_month: dict[str, dict[tuple[str, str], dict[str, object]]] = {}
    for d in decisions:
        month = paper_month(d.arxiv_id)
        if month not in by_month:
            by_month[month] = {(row.get("reviewer", ""), row.get("key", "")): row
                               for _, row in _read(directory / reviews_file_name(month))}
        rows = by_month[month]
        for who in _names(d.reviewer) or [""]:
            rows[(who, d.key)] = {
                "reviewer": who, "key": d.key, "candidate_id": d.candidate_id, "arxiv_id": d.arxiv_id,
                "version": d.version, "benchmark": d.benchmark, "model": d.model, "field": d.field,
                "value": format_value(d.value), "decision": d.decision,
                "corrected_value": format_value(d.corrected_value), "decided_at": d.decided_at or stamp,
                "source": d.source,
            }
    return {reviews_file_name(month): _render(REVIEW_LOG_COLUMNS, [rows[k] for k in sorted(rows)])
            for month, rows in by_month.items()}


def record_reviews(home: Home, decisions: Sequence[Decision], stamp: str | None = None) -> None:
    """Add each reviewer's verdicts to ``decisions/reviews/`` on their own (``import_reviewed`` writes
    them with the ledger instead)."""
    with review_lock(home, create=True):
        commit_files(home.annotations_dir, reviews_text(home.annotations_dir, decisions, stamp or now_iso()))


def load_reviews(directory: Path) -> list[Decision]:
    """Every reviewer's verdicts (``reviews_files``; ``reviewer`` holds one name). Where the older layout's
    single file and a month file hold the same reviewer's verdict on one key, the month file's wins."""
    found: dict[tuple[str, str], Decision] = {}
    problems: list[str] = []
    for path in reviews_files(directory):
        for line, row in _read(path):
            try:
                found[(row.get("reviewer", ""), row.get("key", ""))] = replace(Decision.from_row(row), line=line)
            except (KeyError, ValueError) as e:
                problems.append(f"{path}:{line}: {e}")
    if problems:
        raise ReviewError("the reviewers' verdicts (decisions/reviews) are malformed", problems)
    return list(found.values())


def import_reviewed(conn: sqlite3.Connection, home: Home, paths: Sequence[Path | str], *, partial: bool = False,
                    reviewer: str = "", dry_run: bool = False, any_paper: bool = False) -> ImportReport:
    """``review.import_files`` plus the slot and ownership checks, then the reviewers' verdicts logged.

    Refused (``file:line`` problems, nothing applied unless ``partial``): one slot decided twice in
    a file with different values; a decision on a paper not assigned to its reviewer (unless
    ``any_paper``). The verdicts go to ``decisions/reviews/<yymm>.csv`` in the ledger's transaction.
    """
    directory = home.annotations_dir
    assignments = {} if any_paper else load_assignments(directory)
    known = load_reviewers(directory) if assignments else []

    def check(decisions: list[Decision]) -> tuple[list[Decision], list[Problem]]:
        problems = slot_conflicts(decisions, paths) + ownership_problems(decisions, assignments, known, paths)
        return drop_lines(decisions, problems), problems

    def verdicts(decisions: Sequence[Decision], stamp: str) -> dict[str, str]:
        from .renames import renames_file_text
        from .sheet import row_sheet_renames

        out = reviews_text(directory, decisions, stamp)
        renames = [replace(r, decided_at=stamp) for r in row_sheet_renames(conn, paths, reviewer=reviewer)]
        if renames:  # a row sheet's renamed models, in the decisions' transaction
            out.update(renames_file_text(directory, renames))
        return out

    return import_files(conn, home, paths, partial=partial, reviewer=reviewer, dry_run=dry_run, check=check,
                        any_paper=any_paper, also_write=verdicts)


# ---------------------------------------------------------------- outcome of a verdict (for agreement)


def outcome(d: Decision) -> str:
    """What a verdict says the fact is: ``no`` (rejected) or the value as its slot field states it.

    >>> outcome(Decision("correct", "1", 1, "top1_err", 20.0, corrected_value=19.38))
    '80.62'
    """
    if d.decision not in FACT_DECISIONS:
        return "no"
    value = d.corrected_value if d.decision == CORRECT and d.corrected_value is not None else d.value
    v = canonical_value(d.field, value)
    return f"{v:.6g}" if isinstance(v, float) else str(v).strip().lower()


__all__ = ["ASSIGNMENTS_FILE", "LEGACY_REVIEWS_FILE", "REVIEWERS_FILE", "REVIEWS_DIR", "AssignReport",
           "check_overlap", "create_reviewers", "export_assigned", "import_reviewed", "load_assignments",
           "load_reviewers", "load_reviews", "outcome", "ownership_problems", "parse_reviewers", "plan",
           "record_reviews", "reviews_file_name", "reviews_files", "reviews_text", "save_assignments",
           "slot_of"]
