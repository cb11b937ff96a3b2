"""CLI for the eval command (extractor quality against gold) (thin: parse, call the library, render)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flopmine.extract import evaluation as ev
from flopmine.extract.evaluation import (
    DEFAULT_CURVE,
    DEFAULT_FOLDS,
    CurvePoint,
    CVResult,
    crossvalidate,
    learning_curve,
)
from flopmine.extract.gold import load_gold
from flopmine.extract.ranking import load_model, model_for_home

from ..config import write_text_atomic
from ..errors import ConfigError
from .common import console, console_err, progress_bar, state


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def eval_command(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(
        help="PDFs or folders of PDFs named <arxiv id>[vN].pdf, read and extracted in this process.",
        show_default=False)] = None,
    gold: Annotated[list[Path] | None, typer.Option(
        "--gold", help="Gold CSV (arxiv_id,benchmark,model,field,value,…); repeat for several files.",
        show_default=False)] = None,
    queue: Annotated[Path | None, typer.Option(
        "--queue", help="Score a review-queue CSV (columns arxiv_id, field, value, rank …) instead of PDFs.",
        show_default=False)] = None,
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Also write the full report (per field, per paper, misses) as JSON here.",
        show_default=False)] = None,
    meta: Annotated[list[Path] | None, typer.Option(
        "--meta", help="CSV with arxiv_id,title[,abstract] columns: titles help rank own models (PATH mode).",
        show_default=False)] = None,
    papers: Annotated[str | None, typer.Option(
        "--papers", help="Score only these arXiv ids (comma-separated), e.g. a held-out split.",
        show_default=False)] = None,
    per_paper: Annotated[bool, typer.Option("--per-paper", help="Also print a row per paper.")] = False,
    review_cost: Annotated[bool, typer.Option(
        "--review-cost", help="Replay a reviewer who knows the gold through `review import` on the home's "
                              "extracted candidates: rows read, decisions, minutes per paper vs reading "
                              "every paper in full.")] = False,
    folds: Annotated[int, typer.Option(
        "--folds", min=0, help="Cross-validate the ranker over K folds of papers (hash of the arXiv id): fit on "
        "K−1 folds' gold, score the held-out fold. 0: score the model in use as it is (no fitting).")]
        = DEFAULT_FOLDS,
    model: Annotated[Path | None, typer.Option(
        "--model", help="With --folds 0: the ranking model to score (default: the home's, else the shipped one).",
        show_default=False)] = None,
    curve: Annotated[bool, typer.Option(
        "--learning-curve", help="Also cross-validate with the ranker trained on 20%, 40% … 100% of each fold's "
        "training papers and print top-1 and slot top-1 at each share (needs --folds ≥ 2; trains K models per "
        "share).")] = False,
    sheet: Annotated[str, typer.Option(
        "--sheet", help="With --review-cost: candidates (the candidate export) or rows (the row sheet of `review "
                        "export --sheet rows`, counted in cells, beside the candidate export's figures).")]
        = "candidates",
) -> None:
    """Score extracted candidates against hand-checked gold facts, cross-validated.

    PDF paths are read and extracted in this process. With --folds K (default 5) papers are split into K folds by a stable hash of their arXiv id; the ranker is fit on the gold of K−1 folds and ranks the held-out fold, and the held-out rankings are scored together. Per field it prints candidate recall before the reviewer's list is capped and after, top-1 (the rank-1 candidate equals a gold value), recall@3 (a gold value among the top 3 of its paper and field), candidates per (paper, field), the spread (sd) of top-1 across folds, and the in-sample top-1 and recall@3 (fit and scored on every paper) beside them. Matching: numbers equal within 0.5 %, accuracy and error through 100 − x, flops ≡ mult_adds, hardware by normalised name or by naming one entry of the hardware catalog.

    Per gold fact it prints, for all facts, table / prose facts (gold evidence with a bracketed part naming the columns) and FLOPs-params / other: found (the value is among the paper's candidates of its field), attributed (found under the gold model: normalised names with rapidfuzz token-set ratio ≥ 70; hardware, hardware_count, training_time_hours, epochs and training_steps may also carry no model) and slot top-1 (in the gold model's slot, as review export groups paper, benchmark, field and model, the first value is the gold one; among equally matching names the slot whose whole name is closest to the gold model's). It prints the review cost of the compute part of the reviewer's list per fact slot: candidates per slot, rows shown per compute gold fact (at most 3 per slot, as review export shows), and slots of a model without a result. It also counts candidates per rule family (table.geometry: the grid reader; table.text: its line-by-line fallback; table.grid: pdfplumber's table finder, off by default; text; hardware.*). --learning-curve adds top-1, recall@3 and slot top-1 with the ranker trained on 20 % … 100 % of each fold's training papers.

    --folds 0 scores the model in use without fitting (for papers outside the training data); --queue scores a review-queue CSV. Exit code 1 when some PDF could not be read.

    --review-cost replays a gold-knowing reviewer on the candidates already extracted into the home, e.g. flopmine --home T extract PDFS, then flopmine --home T eval --review-cost --gold GOLD.csv (see docs/review.md). With --sheet rows it replays the row sheet too (cells right, copied from alternatives, typed; gold facts absent; minutes per paper) and gives, for both, the share of gold facts right in the dataset built after the review.

    Examples: flopmine eval --gold ../shared/corpus/gold_vision.csv --meta ../shared/corpus/sources_vision.csv ../shared/corpus/pdfs --json cv.json · flopmine eval --folds 0 --gold other.csv other-pdfs/ · flopmine eval --gold gold.csv --queue flopmine-data/queue/queue.csv
    """
    if not gold:
        raise ConfigError("--gold FILE is required (repeat it for several gold files)")
    if review_cost:
        from .review_cost_view import run_review_cost

        if sheet not in ("candidates", "rows"):
            raise typer.BadParameter(f"{sheet!r} is not a sheet kind; use candidates or rows", param_hint="--sheet")
        run_review_cost(ctx, gold, papers, json_out, per_paper=per_paper, extra=bool(paths or queue),
                        rows=sheet == "rows")
        return
    if sheet != "candidates":
        raise typer.BadParameter("only with --review-cost", param_hint="--sheet")
    if bool(queue) == bool(paths):
        raise ConfigError("give either --queue FILE or PDF paths, not both and not neither")
    if curve and (queue is not None or folds < 2):
        raise ConfigError("--learning-curve cross-validates the ranker: give PDF paths and --folds 2 or more")
    stray = [p for p in paths or [] if p.suffix.lower() == ".csv"]
    if stray:
        # `--gold a.csv b.csv` (a shell glob) gives only a.csv to --gold; the rest land here.
        raise ConfigError(f"{stray[0]} is a CSV among the PDF paths: repeat the option for each file, "
                          "e.g. --gold a.csv --gold b.csv (likewise --meta)")
    gold_facts = load_gold(gold)
    st = state(ctx)
    problems: list[str] = []
    wanted = [p.strip() for p in papers.split(",") if p.strip()] if papers else None
    if queue is not None:
        scored = ev.load_queue(queue)
        report = ev.evaluate(gold_facts, scored, wanted)
        facts = ev.evaluate_facts(gold_facts, scored, wanted)
        _render(report, per_paper=per_paper)
        _render_facts(facts)
        text = json.dumps({**report.to_dict(), "per_fact": facts.to_dict()}, indent=2)
    else:
        meta_map = ev.load_meta(meta or [])
        fixed = load_model(model) if model is not None else model_for_home(st.home.root)
        with progress_bar("Reading PDFs", enabled=not st.quiet) as progress:
            run = ev.candidates_from_paths(paths or [], meta=meta_map, on_progress=progress, model=fixed)
        problems = run.problems
        keep = set(wanted) if wanted is not None else {g.arxiv_id for g in gold_facts}
        seen = sorted(keep & set(run.papers))
        if folds >= 2:
            found = {p: run.found[p] for p in seen}
            cv = crossvalidate(found, gold_facts, folds)
            _render_cv(cv)
            data = cv.to_dict()
            if curve:
                with progress_bar("Learning curve", enabled=not st.quiet) as progress:
                    points = learning_curve(found, gold_facts, folds, DEFAULT_CURVE, on_progress=progress)
                _render_curve(points, folds)
                data["learning_curve"] = [p.to_dict() for p in points]
            text = json.dumps(data, indent=2)
        else:
            report = ev.evaluate(gold_facts, run.scored, seen)
            facts = ev.evaluate_facts(gold_facts, run.scored, seen)
            _render(report, per_paper=per_paper)
            _render_facts(facts)
            text = json.dumps({**report.to_dict(), "per_fact": facts.to_dict()}, indent=2)
    if json_out is not None:
        write_text_atomic(json_out, text + "\n")
        console.print(f"report written to {json_out}")
    for p in problems:
        console_err.print(f"[yellow]skipped[/] {p}", markup=True, highlight=False)
    raise typer.Exit(1 if problems else 0)


def _render(report: ev.EvalReport, *, per_paper: bool) -> None:
    table = Table(title="Extractor vs gold")
    for col, just in (("field", "left"), ("gold", "right"), ("found", "right"), ("recall", "right"),
                      ("top-1", "right"), ("precision", "right"), ("cands/(paper,field)", "right")):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    rows = [*report.fields.values(), None, report.metrics, report.compute, report.overall]
    for f in rows:
        if f is None:
            table.add_section()
            continue
        table.add_row(f.field, str(f.gold), str(f.found), _fmt(f.recall), f"{f.top1_correct}/{f.papers}",
                      _fmt(f.precision), _fmt(f.per_pair))
    console.print(table)
    if per_paper:
        pt = Table(title="Per paper")
        for col in ("paper", "gold", "recall", "precision", "candidates"):
            pt.add_column(col, justify="left" if col == "paper" else "right")
        for f in report.papers.values():
            pt.add_row(f.field, str(f.gold), _fmt(f.recall), _fmt(f.precision), str(f.candidates))
        console.print(pt)


def _render_cv(cv: CVResult) -> None:
    sizes = "/".join(str(n) for n in cv.fold_sizes)
    table = Table(title=f"Extractor vs gold, cross-validated over {cv.folds} folds of papers ({sizes})")
    for col in ("field", "gold", "recall", "capped", "top-1", "sd", "r@3", "c/pair", "top-1 in", "r@3 in"):
        table.add_column(col, justify="left" if col == "field" else "right", no_wrap=True)
    for row in cv.rows():
        if row["field"] == "metrics":
            table.add_section()
        table.add_row(str(row["field"]), str(row["gold"]), *(_fmt(row[k]) for k in (  # type: ignore[arg-type]
            "recall", "recall_capped", "top1", "top1_sd", "recall_at_3", "candidates_per_pair", "top1_in_sample",
            "recall_at_3_in_sample")))
    console.print(table)
    console.print("recall: among every candidate the rules found; capped: among the reviewer's list (compute "
                  "fields are capped); top-1, sd (its spread across folds), r@3 (recall@3) and c/pair (candidates "
                  "per paper and field) are the reviewer's list, held out; 'in' columns: fit and scored on every "
                  "paper (in-sample). Quote the cross-validated numbers.", highlight=False)
    overall = cv.held_out.overall
    if overall.gold:
        # what no ranking can change: gold values beyond a list's 3 shown, and values missing from the list
        console.print(f"recall@3 bounds, held out: {overall.bound3}/{overall.gold} gold facts ({_fmt(overall.recall3_bound)}) "
                      "fit in the top 3 of their (paper, field) list at all (more distinct gold values than 3 leave "
                      f"the rest out), {overall.listed3} ({_fmt(overall.recall3_listed)}) given the values the "
                      f"reviewer's list holds; reached {overall.found3} ({_fmt(overall.recall3)}).", highlight=False)
        places = cv.held_out.miss_places()
        console.print(f"recall@3 misses, held out: {places['not_in_list']} not in the list; of those in it, "
                      f"{places['rank_4_5']} at rank 4–5, {places['rank_6_10']} at 6–10, {places['rank_over_10']} "
                      f"lower; {places['below_gold_only']} below only other gold values of their list, "
                      f"{places['below_wrong']} below a wrong value ({places['below_wrong_tables_only']} below table "
                      "values only: other rows of the paper's tables).", highlight=False)
    rows = cv.fact_rows()
    if rows:
        ft = Table(title=f"Per gold fact, cross-validated over {cv.folds} folds")
        for col in ("facts", "n", "found", "capped", "attributed", "slot top-1", "sd", "attr in", "slot in"):
            ft.add_column(col, justify="left" if col == "facts" else "right", no_wrap=True)
        for row in rows:
            ft.add_row(_GROUP_LABEL[str(row["group"])], str(row["facts"]), *(_fmt(row[k]) for k in (  # type: ignore[arg-type]
                "found", "found_capped", "attributed", "slot_top1", "slot_top1_sd", "attributed_in_sample",
                "slot_top1_in_sample")))
        console.print(ft)
        console.print("found: the value is among every candidate of its field; capped, attributed (found under the "
                      "gold model) and slot top-1 (the first value of the gold model's slot is the gold one): the "
                      "reviewer's list, held out; 'in': in-sample.", highlight=False)
    if cv.facts is not None:
        _render_cost(cv.facts.cost)
    _render_families(cv.rule_counts()["all"], "every candidate")
    _render_families(cv.rule_counts()["capped"], "the reviewer's list")


_GROUP_LABEL = {"all": "all", "table": "in tables", "prose": "in prose", "flops_params": "FLOPs / params",
                "other": "other fields"}


def _render_facts(facts: ev.FactReport) -> None:
    ft = Table(title="Per gold fact")
    for col in ("facts", "n", "found", "attributed", "slot top-1"):
        ft.add_column(col, justify="left" if col == "facts" else "right", no_wrap=True)
    for name, g in facts.groups.items():
        ft.add_row(_GROUP_LABEL[name], str(g.facts), _fmt(g.found_rate), _fmt(g.attributed_rate),
                   _fmt(g.slot_top1_rate))
    console.print(ft)
    _render_cost(facts.cost)
    _render_families(facts.rule_families, "candidates scored")


def _render_cost(cost: ev.SlotCost) -> None:
    console.print(f"review cost, compute fields of the reviewer's list: {cost.slots} slots (paper, field, model), "
                  f"{_fmt(cost.per_slot)} candidates per slot; per compute gold fact ({cost.gold}): "
                  f"{_fmt(cost.rows_per_gold)} rows shown, {_fmt(cost.cost_only_per_gold)} slots of a model without "
                  "a result", highlight=False)


def _render_families(counts: dict[str, int], what: str) -> None:
    total = sum(counts.values())
    if not total:
        return
    parts = ", ".join(f"{k} {n} ({n / total:.0%})" for k, n in counts.items())
    console.print(f"rule families, {what} ({total}): {parts}", highlight=False)


def _render_curve(points: list[CurvePoint], folds: int) -> None:
    table = Table(title=f"Learning curve: share of each fold's training papers ({folds} folds)")
    for col in ("share", "train papers", "top-1", "r@3", "slot top-1", "failed folds"):
        table.add_column(col, justify="right", no_wrap=True)
    for p in points:
        table.add_row(f"{p.fraction:.0%}", f"{p.train_papers:.1f}", _fmt(p.top1), _fmt(p.recall_at_3),
                      _fmt(p.slot_top1), str(p.failed_folds))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""
    app.command("eval")(eval_command)
