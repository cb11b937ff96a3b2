"""CLI for the review stage (thin: parse, call the library, render)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flopmine.review import export, status
from flopmine.review.assign import DEFAULT_OVERLAP, export_assigned, import_reviewed
from flopmine.review.decision import format_value
from flopmine.review.renames import rename_model
from flopmine.review.slots import DEFAULT_SLOT_RANK, DEFAULT_TOP, close_field
from flopmine.review.store import resolve_benchmark

from ..config import Home
from ..errors import EXIT_ERROR, ConfigError
from ..store import connect
from .common import console, console_err, progress_bar, state

review_app = typer.Typer(
    name="review",
    help="Review extracted facts: export CSVs for spreadsheets and import the decisions, see progress, "
         "or review one candidate at a time in the browser (serve).",
    no_args_is_help=True,
)


def _home(ctx: typer.Context) -> Home:
    return state(ctx).home


def _benchmark(home: Home, name: str | None) -> str | None:
    """``--benchmark`` as its canonical name; an unknown name is a bad command line (exit 2), listing the known ones."""
    if name is None:
        return None
    try:
        return resolve_benchmark(home, name)
    except ConfigError as e:
        raise typer.BadParameter(str(e), param_hint="--benchmark") from None


@review_app.command("export")
def export_cmd(
    ctx: typer.Context,
    benchmark: Annotated[str | None, typer.Option(
        "--benchmark", "-b", help="Only this benchmark (plus paper-level facts of its papers).")] = None,
    pending_only: Annotated[bool, typer.Option(
        "--pending-only", help="Only candidates without a decision.")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Directory for the CSVs (default <home>/review).", show_default=False)] = None,
    bom: Annotated[bool, typer.Option(
        "--bom/--no-bom", help="Start files with a UTF-8 byte-order mark (Excel needs it for accents).")] = True,
    top: Annotated[int, typer.Option(
        "--top", min=1, help="Candidates shown per fact slot (paper, benchmark, field, model); the rest are "
                             "counted in slot_rest.")] = DEFAULT_TOP,
    slot_rank: Annotated[int, typer.Option(
        "--slot-rank", min=1, help="Slots shown per paper and field: those whose best candidate is among the "
                                   "field's best N (slots with a decision are always shown).")] = DEFAULT_SLOT_RANK,
    show_all: Annotated[bool, typer.Option(
        "--all", help="Every candidate of every slot (no --top or --slot-rank limit).")] = False,
    assign: Annotated[str | None, typer.Option(
        "--assign", help="Split the papers among these reviewers (comma-separated names listed in "
                         "annotations/decisions/reviewers.csv; the first --assign creates that file with "
                         "the names given): one folder per reviewer under --out.",
        show_default=False)] = None,
    overlap: Annotated[float, typer.Option(
        "--overlap", help="With --assign: share of papers (0–1) given to a second reviewer, for agreement.")]
    = DEFAULT_OVERLAP,
    sheet: Annotated[str, typer.Option(
        "--sheet", help="candidates: a row per candidate (the default). rows: a row per paper and model with a "
                        "column per quantity, prefilled with each slot's top candidate (docs/review.md, Row sheet); "
                        "written to <home>/review-rows by default.")] = "candidates",
    per_paper: Annotated[bool, typer.Option(
        "--per-paper", help="With --sheet rows: one CSV per paper instead of one per benchmark.")] = False,
) -> None:
    """Write one review CSV per benchmark (and paper_facts.csv for paper-level facts).

    Rows are grouped by paper then fact slot (paper, benchmark, field, model): the top 3 candidates of
    each slot, best first, with a link to the PDF page; slot_rest counts the others. Only the slots
    whose best candidate is among its field's best 4 are written (--slot-rank); --all writes every
    candidate of every slot. Decided rows come prefilled; status says superseded when a sibling was accepted. Fill in
    decision (accept, reject, correct, add), corrected_value, reviewer and note, then run
    `flopmine review import`. Edit model, benchmark or field to move a fact to another model,
    benchmark or field (a correct; several models of a paper-level fact: "a; b"). With --assign, each reviewer gets their papers in <out>/<name>/.
    With --sheet rows: one row per paper and model, a column per quantity prefilled with each slot's top
    candidate; edit, clear, delete or add rows and cells, and `review import` turns the difference into
    decisions (docs/review.md, Row sheet).

    Example: flopmine review export --benchmark imagenet --pending-only --out ~/review · flopmine review export --assign alice,bob --overlap 0.1 · flopmine review export --sheet rows --per-paper
    """
    home = _home(ctx)
    benchmark = _benchmark(home, benchmark)
    if sheet not in ("candidates", "rows"):
        raise typer.BadParameter(f"{sheet!r} is not a sheet kind; use candidates or rows", param_hint="--sheet")
    if sheet == "rows":
        _export_rows(ctx, home, benchmark, out, bom=bom, per_paper=per_paper,
                     slot_rank=None if show_all else slot_rank, other=(
                         "--assign" if assign is not None else "--pending-only" if pending_only else ""))
        return
    if per_paper:
        raise typer.BadParameter("only with --sheet rows", param_hint="--per-paper")
    conn = connect(home.db_path)
    limit = None if show_all else top
    slots_limit = None if show_all else slot_rank
    try:
        if assign is not None:
            assigned = export_assigned(conn, home, out, assign, overlap=overlap, benchmark=benchmark,
                                       pending_only=pending_only, bom=bom, top=limit, slot_rank=slots_limit)
        else:
            with progress_bar("exporting", enabled=not state(ctx).quiet) as progress:
                report = export(conn, home, out, benchmark=benchmark, pending_only=pending_only, bom=bom,
                                top=limit, slot_rank=slots_limit, progress=progress)
    finally:
        conn.close()
    if assign is not None:
        if assigned.reviewers_created is not None:
            console.print(f"Listed the reviewers {', '.join(assigned.exports)} in {assigned.reviewers_created} "
                          "(new); later --assign names must be listed there (commit it with the annotations).",
                          highlight=False, soft_wrap=True)
        papers = {r: sum(1 for v in assigned.assignments.values() if r in v) for r in assigned.exports}
        console.print(f"Assigned {len(assigned.assignments)} paper(s), {assigned.doubles} reviewed twice:",
                      highlight=False)
        for r, rep in assigned.exports.items():
            where = rep.files[0].parent if rep.files else "(nothing to export)"
            console.print(f"  {r}: {papers[r]} paper(s), {assigned.candidates[r]} candidate(s), {rep.rows} row(s) "
                          f"shown → {where}", highlight=False, soft_wrap=True)
        return
    left_out = _left_out(report.left_out)
    if not report.files:
        console.print("Nothing to export" + (" (no pending candidates)." if pending_only else " (no candidates).")
                      + (f" {left_out}" if left_out else ""), highlight=False)
        return
    per_paper = f", {report.rows / report.papers:.1f} per paper" if report.papers else ""
    console.print(f"Exported {report.rows} row(s) in {report.slots} fact slot(s){per_paper}, {report.pending} "
                  f"pending" + (f"; hidden: {report.hidden} more candidate(s) of these slots and "
                                f"{report.hidden_slots} lower-ranked slot(s) (--all shows them)"
                                if report.hidden or report.hidden_slots else "") + ", to:", highlight=False)
    for f in report.files:
        console.print(f"  {f}", highlight=False, soft_wrap=True)
    if report.added:
        console.print(f"Facts added by hand: {report.added} row(s), status 'added' (shown as decided; importing "
                      "them unchanged changes nothing).", highlight=False)
    if left_out:
        console.print(left_out, highlight=False)


def _left_out(counts: tuple[tuple[str, int], ...]) -> str:
    """The line saying which metric candidates the review did not offer (``review.offer``), or ""."""
    total = sum(n for _, n in counts)
    if not total:
        return ""
    detail = ", ".join(f"{n} {why}" for why, n in counts)
    return (f"Not offered: {total} metric candidate(s) that no benchmark of the paper can take ({detail}); build "
            "could not use them: add the right fact by hand if the paper states it.")


def _export_rows(ctx: typer.Context, home: Home, benchmark: str | None, out: Path | None, *, bom: bool,
                 per_paper: bool, slot_rank: int | None, other: str) -> None:
    """``review export --sheet rows``: the row sheets (``review.sheet``)."""
    from flopmine.review.sheet import export_sheet

    if other:
        raise typer.BadParameter(f"{other} works on the candidate sheet only", param_hint="--sheet")
    conn = connect(home.db_path)
    try:
        with progress_bar("exporting", enabled=not state(ctx).quiet) as progress:
            report = export_sheet(conn, home, out, benchmark=benchmark, per_paper=per_paper, bom=bom,
                                  slot_rank=slot_rank, progress=progress)
    finally:
        conn.close()
    if not report.files:
        console.print("Nothing to export (no candidates).")
        return
    console.print(f"Exported {report.rows} row(s) of {report.papers} paper(s), {report.rows / report.papers:.1f} "
                  f"per paper, {report.pending} with cells to review, to:", highlight=False)
    for f in report.files:
        console.print(f"  {f}", highlight=False, soft_wrap=True)


@review_app.command("import")
def import_cmd(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Reviewed CSV files (imported together).", show_default=False)],
    partial: Annotated[bool, typer.Option(
        "--partial", help="Apply the valid rows even if others have problems (exit code stays 1).")] = False,
    reviewer: Annotated[str, typer.Option(
        "--reviewer", "-r", envvar="FLOPMINE_REVIEWER",
        help="Name for rows whose reviewer cell is empty (env FLOPMINE_REVIEWER).")] = "",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only; apply nothing.")] = False,
    any_paper: Annotated[bool, typer.Option(
        "--any-paper", help="Accept decisions on papers not assigned to their reviewer (see export --assign), "
                            "and added facts on papers the store does not know.")]
    = False,
) -> None:
    """Validate every row of every file, then apply all decisions at once to the annotations.

    Any problem is listed as file:line: column: message and nothing is applied (exit code 1),
    unless --partial. Importing the same file twice changes nothing. An edited model, benchmark or
    field cell is a correct that moves the fact (the ledger keeps old and new). Refused: one fact slot decided
    twice in a file with different values; once papers are assigned, a decision on a paper not
    assigned to its reviewer (unless --any-paper).

    Example: flopmine review import alice.csv bob.csv --reviewer carol
    """
    home = _home(ctx)
    conn = connect(home.db_path)
    try:
        result = import_reviewed(conn, home, files, partial=partial, reviewer=reviewer, dry_run=dry_run,
                                 any_paper=any_paper)
    finally:
        conn.close()
    for p in result.problems:
        console_err.print(str(p), highlight=False, markup=False, soft_wrap=True)
    if result.report is None:
        console.print(f"Dry run: {result.decisions} valid decision(s) in {result.rows} row(s); nothing applied.")
    elif not result.report.applied:
        console.print(f"Nothing to apply: {len(result.report.unchanged)} decision(s) already recorded "
                      f"({result.rows} row(s) read)." + (" Model renames recorded in decisions/renames.csv."
                                                         if "decisions/renames.csv" in result.report.files else ""))
    else:
        r = result.report
        counts = ", ".join(f"{n} {k}" for k, n in r.counts().items())
        console.print(f"Applied {len(r.applied)} decision(s): {counts}; {len(r.unchanged)} unchanged"
                      + (f"; {len(r.superseded)} older-version decision(s) replaced" if r.superseded else "")
                      + ".", highlight=False)
        console.print(f"Updated in {home.annotations_dir}: {', '.join(r.files)}", highlight=False, soft_wrap=True)
    if result.problems:
        console_err.print(f"Skipped {len(result.problems)} problem(s)"
                          + (" (--partial: only the valid rows were applied)." if partial else "."),
                          highlight=False, markup=False)
        raise typer.Exit(EXIT_ERROR)


@review_app.command("status")
def status_cmd(
    ctx: typer.Context,
    benchmark: Annotated[str | None, typer.Option("--benchmark", "-b", help="Only this benchmark.")] = None,
    papers: Annotated[bool, typer.Option("--papers", help="List every complete and incomplete paper.")] = False,
    agreement: Annotated[bool, typer.Option(
        "--agreement", help="Agreement per field (raw and Cohen's kappa) on papers reviewed twice, and the "
                            "disagreements to adjudicate.")] = False,
    top: Annotated[int, typer.Option(
        "--top", min=1, help="As review export --top: pending counts the candidates that export shows.")]
    = DEFAULT_TOP,
    slot_rank: Annotated[int, typer.Option(
        "--slot-rank", min=1, help="As review export --slot-rank.")] = DEFAULT_SLOT_RANK,
    show_all: Annotated[bool, typer.Option(
        "--all", help="Count every candidate of every slot as pending, as review export --all shows them.")]
    = False,
) -> None:
    """Show decided / superseded / pending candidates per benchmark and field, fact slots, complete papers,
    conflicting decisions (e.g. merged from two annotation clones), orphaned decisions, and per paper the
    reviewed facts `flopmine build` would put in no dataset row (unjoined.csv), with why.

    pending is exactly what `review export --pending-only` writes with the same --top / --slot-rank / --all;
    pending candidates that export does not show are counted as hidden, and metric candidates the review does
    not offer (no benchmark, or not one of the paper's) as not offered.

    Works from the annotations alone: after deleting the store and re-extracting, decisions
    re-attach by candidate id, or by fact for a new paper version.

    Example: flopmine review status --benchmark imagenet
    """
    home = _home(ctx)
    benchmark = _benchmark(home, benchmark)
    if agreement:
        _print_agreement(home)
        return
    conn = connect(home.db_path)
    try:
        report = status(conn, home, benchmark=benchmark, top=None if show_all else top,
                        slot_rank=None if show_all else slot_rank)
    finally:
        conn.close()
    table = Table("benchmark", "field", "decided", "superseded", "pending", "hidden", "carried over",
                  title="Review status")
    for f in report.fields:
        table.add_row(f.benchmark, f.field, str(f.decided), str(f.superseded or ""), str(f.pending),
                      str(f.hidden or ""), str(f.carried_over or ""))
    table.add_row("[bold]total", "", f"[bold]{report.decided}", f"[bold]{report.superseded}",
                  f"[bold]{report.pending}", f"[bold]{report.hidden}", "")
    console.print(table)
    console.print(f"Fact slots: {report.slots_settled} settled, {report.slots_open} open", highlight=False)
    if report.hidden:
        console.print(f"Hidden: {report.hidden} pending candidate(s) below the export's --top / --slot-rank "
                      "(review export --all shows them; review status --all counts them as pending)",
                      highlight=False)
    left_out = _left_out(report.left_out)
    if left_out:
        console.print(left_out, highlight=False)
    n_papers = len(report.papers_complete) + len(report.papers_incomplete)
    console.print(f"Papers complete: {len(report.papers_complete)} of {n_papers}", highlight=False)
    if papers:
        for p in report.papers_complete:
            console.print(f"  complete    {p}", highlight=False)
        for p in report.papers_incomplete:
            console.print(f"  incomplete  {p}", highlight=False)
    console.print(f"Decisions in annotations: {report.decisions} ({report.added} added by reviewers)",
                  highlight=False)
    if report.conflicts:
        console.print(f"Conflicting decisions (decide each again to settle it): {len(report.conflicts)}",
                      highlight=False)
        for c in report.conflicts:
            console.print(f"  {c}", highlight=False, markup=False, soft_wrap=True)
    if report.orphans:
        console.print(f"Orphaned decisions (kept; their candidates are no longer extracted): {len(report.orphans)}",
                      highlight=False)
        for o in report.orphans:
            d = o.decision
            console.print(f"  {d.candidate_id} {d.arxiv_id}v{d.version} {d.benchmark or '(paper)'} {d.model} "
                          f"{d.field}={format_value(d.value)} [{d.decision}]: {o.reason}",
                          highlight=False, markup=False, soft_wrap=True)
    _print_unjoined(home, benchmark)


def _print_unjoined(home: Home, benchmark: str | None) -> None:
    """Per paper, the reviewed facts build's join rule leaves out of every row (build's own list)."""
    from rich.markup import escape

    from flopmine.analysis.build import unjoined_in_home

    lost = unjoined_in_home(home)
    if benchmark:  # paper-level facts (no benchmark) count for every benchmark
        lost = lost[lost["benchmark"].isin([benchmark, ""])]
    if lost.empty:
        return
    console.print(f"Reviewed facts in no dataset row (build lists them in unjoined.csv): {len(lost)}",
                  highlight=False)
    table = Table("paper", "unjoined", "why", title=None)
    for aid, group in lost.groupby("arxiv_id", sort=True):
        why = "; ".join(f"{n} {r}" for r, n in group["reason"].value_counts().items())
        fields = ", ".join(sorted(f"{m or '(paper)'} {f}" for m, f in zip(group["model"], group["field"], strict=True)))
        table.add_row(escape(str(aid)), str(len(group)), escape(f"{why} ({fields})"))
    console.print(table)


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def _print_agreement(home: Home) -> None:
    from flopmine.review.agreement import agreement

    report = agreement(home.annotations_dir)
    if not report.papers:
        console.print("No paper has verdicts from two reviewers yet (export --assign NAMES --overlap 0.1, "
                      "then import each reviewer's sheets).", highlight=False)
        return
    table = Table("field", "items", "raw agreement", "Cohen's kappa",
                  title=f"Agreement on {len(report.papers)} doubly reviewed paper(s)")
    for f in [*report.fields, report.overall]:
        table.add_row(f.field, str(f.items), _fmt(f.raw), _fmt(f.kappa))
    console.print(table)
    console.print(f"Disagreements to adjudicate: {len(report.disagreements)}", highlight=False)
    for d in report.disagreements:
        console.print(f"  {d.candidate_id} {d.slot} {d.field}={d.value}: {d.first[0]} {d.first[1]}; "
                      f"{d.second[0]} {d.second[1]}", highlight=False, markup=False, soft_wrap=True)


@review_app.command("close")
def close_cmd(
    ctx: typer.Context,
    arxiv_id: Annotated[str, typer.Argument(help="The paper (arXiv id without version).", show_default=False)],
    fields: Annotated[list[str], typer.Argument(help="Fields the paper does not report (e.g. training_time_hours).",
                                                show_default=False)],
    benchmark: Annotated[str | None, typer.Option("--benchmark", "-b", help="Only this benchmark's slots.")] = None,
    reviewer: Annotated[str, typer.Option(
        "--reviewer", "-r", envvar="FLOPMINE_REVIEWER", help="Name written with the decisions.")] = "",
    note: Annotated[str, typer.Option("--note", help="Note written with each reject.")] = "not reported",
) -> None:
    """"Not reported": close every open fact slot of a paper's fields in one action.

    Each pending candidate of the field (and its pair: top1_err with top1_acc, mult_adds with flops)
    is rejected through the same validation as an import; slots already settled by an accept stay
    as they are, so this also closes "the rest" of a field after its real facts were accepted.

    Example: flopmine review close 1512.03385 training_time_hours hardware --reviewer alice
    """
    home = _home(ctx)
    benchmark = _benchmark(home, benchmark)
    conn = connect(home.db_path)
    try:
        for f in fields:
            r = close_field(conn, home, arxiv_id.strip(), f.strip(), benchmark=benchmark, reviewer=reviewer,
                            note=note)
            console.print(f"{arxiv_id} {f}: closed {r.slots} slot(s), {r.candidates} candidate(s) rejected.",
                          highlight=False)
    finally:
        conn.close()


@review_app.command("rename")
def rename_cmd(
    ctx: typer.Context,
    arxiv_id: Annotated[str, typer.Argument(help="The paper (arXiv id without version).", show_default=False)],
    old: Annotated[str, typer.Argument(help="The model name as extracted (case and '(ours)' do not matter).",
                                       show_default=False)],
    new: Annotated[str, typer.Argument(help="The model's name in the dataset (the old name again: undo).",
                                       show_default=False)],
    reviewer: Annotated[str, typer.Option(
        "--reviewer", "-r", envvar="FLOPMINE_REVIEWER", help="Name written with the rename.")] = "",
    note: Annotated[str, typer.Option("--note", help="Note written with the rename.")] = "",
) -> None:
    """Rename a model of a paper, for all of its facts and candidates under the old name.

    The rename also applies to facts a later re-extraction finds; build joins them under the new name.
    It is kept in annotations/decisions/renames.csv (the ledger keeps the decisions as made).

    Example: flopmine review rename 1512.03385 ResNet ResNet-152 --reviewer alice
    """
    home = _home(ctx)
    conn = connect(home.db_path)
    try:
        r = rename_model(conn, home, arxiv_id, old, new, reviewer, note=note, source="cli")
    finally:
        conn.close()
    if r.withdrawn:
        console.print(f"{r.rename.arxiv_id}: the rename of {r.rename.old_model!r} is withdrawn.", highlight=False)
    else:
        console.print(f"{r.rename.arxiv_id}: {r.rename.old_model!r} → {r.rename.new_model!r} ({r.facts} reviewed "
                      f"fact(s), {r.candidates} candidate(s) under the old name).", highlight=False)


@review_app.command("serve")
def serve_cmd(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(
        "--host", help="Address to listen on. Keep the default (this machine only): the server has no login.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535, help="TCP port.")] = 8765,
    allow_host: Annotated[list[str] | None, typer.Option(
        "--allow-host", help="Also accept requests naming the server by this host name (repeatable); "
                             "the addresses served are always accepted.", show_default=False)] = None,
    benchmark: Annotated[str | None, typer.Option(
        "--benchmark", "-b", help="Only this benchmark (plus paper-level facts of its papers).")] = None,
    reviewer: Annotated[str, typer.Option(
        "--reviewer", "-r", envvar="FLOPMINE_REVIEWER",
        help="Name written with each decision (env FLOPMINE_REVIEWER; default: your login name).")] = "",
) -> None:
    """Review pending candidates in the browser: the PDF page with the evidence boxed, one key per decision.

    Keys: a accept, r reject, c correct (type the value, Enter), n next, u undo.

    Each decision is validated like an imported CSV row and saved to the annotations at once.

    Stop with Ctrl-C; nothing decided is lost.

    Example: flopmine review serve --benchmark imagenet --port 8765
    """
    from flopmine.review.web.server import exposure_warning, run

    home = _home(ctx)
    benchmark = _benchmark(home, benchmark)
    warning = exposure_warning(host)
    if warning:
        console_err.print(f"Warning: {warning}", highlight=False, markup=False)

    def ready(url: str) -> None:
        console.print(f"Reviewing at {url} (Ctrl-C to stop)", highlight=False)

    run(home, host=host, port=port, benchmark=benchmark, reviewer=reviewer or None, allow_hosts=allow_host or (),
        on_ready=ready)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""
    app.add_typer(review_app, name="review")


__all__ = ["register", "review_app"]
