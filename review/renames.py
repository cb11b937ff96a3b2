"""Model renames: one decision that names a model of a paper differently, for all of its facts.

A reviewer who sees that a paper's ``ResNet`` is the row ``ResNet-152`` renames it once; the rename
applies to every fact and candidate of that paper under the old name, including facts a later
re-extraction finds. Renames live in ``annotations/decisions/renames.csv``, keyed by (arXiv id,
normalised old name), and are written through the annotations transaction and lock like every
decision, so no concurrent decision is lost. Renaming a model back to its old name withdraws the rename.

Renames are applied where names are read, never written into the fact files: ``build`` (the
dataset's join), ``load_facts``, and the review's fact slots (``review.slots``), so candidates under
both names share one slot. A chain ``A → B``, ``B → C`` resolves ``A`` to ``C``.

Library API (what the row sheet and the browser call):

- ``rename_model(conn, home, arxiv_id, old, new, reviewer)``: validate and record one rename;
- ``undo_rename(conn, home, report)``: put back what that rename replaced (the browser's undo);
- ``apply_renames(facts, renames)``: pure, the facts under their renamed models;
- ``renamed_model(renames, arxiv_id, model)``: pure, one name;
- ``load_renames(directory)`` / ``cached_renames(conn)`` (in ``review.store``): the records;
- ``renames_file_text(directory, records)``: the new file's text, for ``apply(also_write=…)`` when a
  rename must commit in one transaction with other decisions.

>>> r = {("1512.03385", "resnet"): Rename("1512.03385", "ResNet", "ResNet-152")}
>>> renamed_model(r, "1512.03385", "ResNet (ours)"), renamed_model(r, "1706.03762", "ResNet")
('ResNet-152', 'ResNet')
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from flopmine.config import Home, neutralise_cell, unneutralise_cell
from flopmine.errors import ReviewError
from flopmine.store import now_iso
from flopmine.types import Fact, normalise_model

from .decision import MODELS_SEPARATOR

RENAMES_FILE = "decisions/renames.csv"
RENAME_COLUMNS: tuple[str, ...] = ("arxiv_id", "old_model", "new_model", "reviewer", "decided_at", "note", "source")
MAX_MODEL_CHARS = 200


@dataclass(frozen=True)
class Rename:
    """One rename record: the paper's model ``old_model`` is ``new_model``."""

    arxiv_id: str
    old_model: str
    new_model: str
    reviewer: str = ""
    decided_at: str = ""
    note: str = ""
    source: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """(arXiv id, normalised old name): at most one rename per name of a paper."""
        return (self.arxiv_id, normalise_model(self.old_model))

    def to_row(self) -> dict[str, str]:
        return {c: str(getattr(self, c)) for c in RENAME_COLUMNS}


Renames = Mapping[tuple[str, str], Rename]


def renamed_model(renames: Renames, arxiv_id: str, model: str) -> str:
    """``model`` of paper ``arxiv_id`` after its renames (a chain is followed; a loop stops where it closes)."""
    if not renames or not model:
        return model
    seen: set[str] = set()
    name = model
    while True:
        key = normalise_model(name)
        r = renames.get((arxiv_id, key))
        if r is None or key in seen:
            return name
        seen.add(key)
        name = r.new_model


def apply_renames(facts: Iterable[Fact], renames: Renames) -> list[Fact]:
    """The facts with each model renamed by its paper's renames (pure; others unchanged).

    >>> r = {("1512.03385", "resnet"): Rename("1512.03385", "ResNet", "ResNet-152")}
    >>> [f.model for f in apply_renames([Fact("1512.03385", 1, "flops", 1.13e10, model="resnet")], r)]
    ['ResNet-152']
    """
    out: list[Fact] = []
    for f in facts:
        new = renamed_model(renames, f.arxiv_id, f.model)
        out.append(f if new == f.model else replace(f, model=new))
    return out


def renamed_models(arxiv_ids: Iterable[str], models: Iterable[str], renames: Renames) -> list[str]:
    """``renamed_model`` for two parallel columns (a DataFrame's ``arxiv_id`` and ``model``)."""
    return [renamed_model(renames, a, m) for a, m in zip(arxiv_ids, models, strict=True)]


# ---------------------------------------------------------------- the file


def read_renames_text(text: str, source: str = RENAMES_FILE) -> dict[tuple[str, str], Rename]:
    """Parse renames.csv text; raises ``ReviewError`` naming each malformed line."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    out: dict[tuple[str, str], Rename] = {}
    problems: list[str] = []
    line = reader.line_num + 1
    for row in reader:
        cells = {(k or "").strip(): unneutralise_cell((v or "").strip()) for k, v in row.items() if k is not None}
        if any(cells.values()):
            if not cells.get("arxiv_id") or not cells.get("old_model") or not cells.get("new_model"):
                problems.append(f"{source}:{line}: arxiv_id, old_model and new_model are required")
            else:
                r = Rename(**{c: cells.get(c, "") for c in RENAME_COLUMNS})
                out[r.key] = r
        line = reader.line_num + 1
    if problems:
        raise ReviewError(f"{source} is malformed", problems)
    return out


def load_renames(directory: Path) -> dict[tuple[str, str], Rename]:
    """The rename records of an annotations directory (none when the file is absent)."""
    path = directory / RENAMES_FILE
    if not path.is_file():
        return {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ReviewError(f"{path}:1: file: not UTF-8 text") from None
    return read_renames_text(text, str(path))


def render_renames(renames: Iterable[Rename]) -> str:
    """renames.csv text, sorted by paper and old name, formula-like text neutralised."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(RENAME_COLUMNS)
    for r in sorted(renames, key=lambda r: r.key):
        writer.writerow([neutralise_cell(v) for v in r.to_row().values()])
    return buf.getvalue()


def renames_file_text(directory: Path, records: Iterable[Rename]) -> dict[str, str]:
    """``{RENAMES_FILE: new text}``: the directory's renames with ``records`` added (a record whose new
    name equals its old one withdraws that name's rename). Call under the annotations lock."""
    current = load_renames(directory)
    for r in records:
        if normalise_model(r.new_model) == normalise_model(r.old_model):
            current.pop(r.key, None)
        else:
            current[r.key] = r
    return {RENAMES_FILE: render_renames(current.values())}


# ---------------------------------------------------------------- one rename


def rename_problem(old: str, new: str) -> str | None:
    """Why ``old`` → ``new`` is not a rename a reviewer can make, or None.

    >>> rename_problem("ResNet", ""), rename_problem("ResNet", "A; B") is not None
    ('the new model name is empty', True)
    """
    if not old.strip():
        return "the old model name is empty (a fact without a model is named by a 'correct' of its model cell)"
    if not new.strip():
        return "the new model name is empty"
    if MODELS_SEPARATOR in new:
        return f"a rename names one model (no {MODELS_SEPARATOR!r})"
    if len(new) > MAX_MODEL_CHARS or any(ch in new for ch in "\r\n\t"):
        return f"not a model name: {new[:40]!r} (one line, at most {MAX_MODEL_CHARS} characters)"
    return None


@dataclass(frozen=True)
class RenameReport:
    """What ``rename_model`` did."""

    rename: Rename
    withdrawn: bool  # the new name is the old one: the rename of that name was removed
    facts: int  # reviewed facts of the paper under the old name now (renamed by it)
    candidates: int  # candidates of the paper under the old name (their slots move)
    previous: Rename | None = None  # the name's rename this one replaced (what ``undo_rename`` restores)


def rename_model(conn: sqlite3.Connection, home: Home, arxiv_id: str, old: str, new: str, reviewer: str = "", *,
                 note: str = "", source: str = "api") -> RenameReport:
    """Record that paper ``arxiv_id``'s model ``old`` is ``new``, for all of its facts and candidates.

    ``old`` must name a model of the paper (in its candidates or reviewed facts; case, spacing and
    "(ours)" do not matter). Renaming to the old name again withdraws the rename. Written under the
    annotations lock in one transaction (``commit_files``). Raises ``ReviewError`` with a one-line reason.
    """
    from .annotations import commit_files, review_lock
    from .store import ensure_schema, refresh, store_renames

    arxiv_id, old, new = arxiv_id.strip(), old.strip(), new.strip()
    why = rename_problem(old, new)
    if why is not None:
        raise ReviewError(f"cannot rename {old!r} in {arxiv_id}: {why}")
    ensure_schema(conn)
    with review_lock(home, create=True):
        refresh(conn, home)
        directory = home.annotations_dir
        renames = load_renames(directory)
        known = paper_models(conn, arxiv_id, renames)
        if normalise_model(old) not in {normalise_model(m) for m in known} and (arxiv_id, normalise_model(old)) not in renames:
            shown = ", ".join(sorted(known)[:12]) or "none"
            raise ReviewError(f"cannot rename {old!r} in {arxiv_id}: no candidate or reviewed fact of the paper is "
                              f"under that model (its models: {shown})")
        record = Rename(arxiv_id, old, new, reviewer, now_iso(), note, source)
        contents = renames_file_text(directory, [record])
        commit_files(directory, contents)
        after = read_renames_text(contents[RENAMES_FILE])
        store_renames(conn, home, after)
    n_old = normalise_model(old)
    previous = renames.get((arxiv_id, n_old))
    before = {k: r for k, r in renames.items() if k != (arxiv_id, n_old)}  # this rename replaces its own key

    def moved(model: str) -> bool:
        # Under the old name before this rename: directly, or through an earlier rename chained into it.
        return normalise_model(renamed_model(before, arxiv_id, model)) == n_old

    facts = sum(1 for r in conn.execute("SELECT model, corrected_model, decision FROM review_decisions "
                                        "WHERE arxiv_id = ? AND decision != 'reject'", (arxiv_id,))
                if moved(r["corrected_model"] or r["model"]))
    cands = sum(1 for r in conn.execute("SELECT model FROM candidates WHERE arxiv_id = ?", (arxiv_id,))
                if moved(r["model"]))
    return RenameReport(record, normalise_model(new) == n_old, facts, cands, previous)


def undo_rename(conn: sqlite3.Connection, home: Home, done: RenameReport) -> None:
    """Put the name's rename back as it was before ``done`` (its previous rename, or none).

    Refused (``ReviewError``) when the name's rename changed since ``done`` was recorded, e.g. another
    reviewer renamed the model again: undoing would silently revert their decision.
    """
    from .annotations import commit_files, review_lock
    from .store import ensure_schema, store_renames

    rec = done.rename
    ensure_schema(conn)
    with review_lock(home, create=True):
        directory = home.annotations_dir
        now = load_renames(directory).get(rec.key)
        if now != (None if done.withdrawn else rec):
            shown = f"it is now {now.old_model!r} → {now.new_model!r} by {now.reviewer or 'someone'}" if now else \
                "it was withdrawn"
            raise ReviewError(f"cannot undo the rename of {rec.old_model!r} in {rec.arxiv_id}: it changed since "
                              f"({shown})")
        restore = done.previous or replace(rec, new_model=rec.old_model)  # a rename to itself withdraws
        contents = renames_file_text(directory, [restore])
        commit_files(directory, contents)
        store_renames(conn, home, read_renames_text(contents[RENAMES_FILE]))


def paper_models(conn: sqlite3.Connection, arxiv_id: str, renames: Renames | None = None) -> list[str]:
    """The model names of a paper a reviewer may pick: its candidates' and reviewed facts' models, and
    their renamed names (the browser's datalist), sorted, one spelling per normalised name."""
    names: dict[str, str] = {}
    rows = [*conn.execute("SELECT DISTINCT model FROM candidates WHERE arxiv_id = ? AND model != ''", (arxiv_id,)),
            *conn.execute("SELECT DISTINCT model FROM review_decisions WHERE arxiv_id = ? AND model != ''", (arxiv_id,)),
            *conn.execute("SELECT DISTINCT corrected_model AS model FROM review_decisions WHERE arxiv_id = ? "
                          "AND corrected_model NOT IN ('', '-')", (arxiv_id,))]
    for r in rows:
        for m in r["model"].split(MODELS_SEPARATOR):
            m = m.strip()
            if m:
                names.setdefault(normalise_model(m), m)
                if renames:
                    new = renamed_model(renames, arxiv_id, m)
                    names.setdefault(normalise_model(new), new)
    return sorted(names.values(), key=str.lower)
