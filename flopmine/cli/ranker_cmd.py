"""CLI for the ranker: train the candidate-ranking model from gold and reviewers' decisions, show the one in use
(thin: parse, call the library, render)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flopmine.extract import evaluation as ev
from flopmine.extract import ranking as rk
from flopmine.extract.evaluation import DEFAULT_FOLDS, ModelComparison, compare_with_current
from flopmine.extract.gold import load_gold

from ..config import write_text_atomic
from ..errors import ConfigError
from .common import console, console_err, progress_bar, state
from .eval_cmd import _fmt, _render_cv

ranker_app = typer.Typer(help="The learned model that ranks candidates (confidence = its probability).",
                         no_args_is_help=True)


@ranker_app.command("train")
def train_command(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(
        help="PDFs or folders of PDFs named <arxiv id>[vN].pdf (default: the home's pdfs/).",
        show_default=False)] = None,
    gold: Annotated[list[Path] | None, typer.Option(
        "--gold", help="Gold CSV (arxiv_id,benchmark,model,field,value,…); repeat for several files.",
        show_default=False)] = None,
    meta: Annotated[list[Path] | None, typer.Option(
        "--meta", help="CSV with arxiv_id,title[,abstract] columns (titles help find own models).",
        show_default=False)] = None,
    annotations: Annotated[Path | None, typer.Option(
        "--annotations", help="Annotations folder whose decisions to learn from (accept/correct/add → right "
        "value, reject → wrong); default: the home's, when it has decisions.", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Model file to write (default: <home>/models/ranker.json, which extraction then uses).",
        show_default=False)] = None,
    folds: Annotated[int, typer.Option(
        "--folds", min=0, help="Folds of the cross-validated score compared with the model in use before writing "
        "(0: skip the comparison, which then needs --force).")] = DEFAULT_FOLDS,
    force: Annotated[bool, typer.Option(
        "--force", help="Write the new model even when it scores worse than the one in use, or when the two "
        "cannot be compared.")] = False,
) -> None:
    """Train the ranking model, compare it with the one in use, and write it if it is not worse.

    Labels: a candidate matching a gold fact (or a reviewer's accepted or corrected value) is right; the other candidates of that paper and field, and values reviewers rejected, are wrong. Without --gold (reviewers' decisions only) training starts from the shipped model: the fit is pulled toward its coefficients instead of toward zero, so a few decisions nudge it rather than replace a model trained on the dev corpus. Before writing, it prints the new model's cross-validated top-1, recall@3 and slot top-1 beside those of the model in use (not refit, so in-sample on the papers it was trained on) on the same papers, scored against the gold and the reviewers' settled values; a new model with a lower top-1 is not written (exit 1) unless --force. The model file is JSON: the feature list, the coefficients, the value priors, a training summary and the library versions; no paper text. Extraction uses <home>/models/ranker.json when present, else the model shipped with flopmine.

    Examples: flopmine ranker train --gold ../shared/corpus/gold_vision.csv --meta ../shared/corpus/sources_vision.csv ../shared/corpus/pdfs · flopmine ranker train   (the home's PDFs and reviewers' decisions)
    """
    st = state(ctx)
    home = st.home
    truths: dict[str, rk.Truth] = {}
    gold_facts = load_gold(gold or [])
    if gold_facts:
        truths = rk.truths_from_gold(gold_facts)
    decisions = _decisions(annotations if annotations is not None else home.annotations_dir, explicit=annotations)
    if decisions:
        truths = rk.merge_truths(truths, rk.truths_from_decisions(decisions))
    if not truths:
        raise ConfigError("nothing to learn from: give --gold FILE or an --annotations folder with decisions")
    sources = paths or [home.pdf_dir]
    with progress_bar("Reading PDFs", enabled=not st.quiet) as progress:
        run = ev.candidates_from_paths(sources, meta=ev.load_meta(meta or []), on_progress=progress)
    for p in run.problems:
        console_err.print(f"[yellow]skipped[/] {p}", markup=True, highlight=False)
    if not run.papers:
        where = ", ".join(str(p) for p in sources)
        raise ConfigError(f"no PDF was read from {where}" + (f" ({len(run.problems)} could not be read)"
                                                              if run.problems else "")
                          + "; give PDF paths, or harvest into this home first")
    found = {p: run.found[p] for p in run.papers if p in truths}
    if not found:
        raise ConfigError(f"none of the {len(run.papers)} PDFs read has gold or decisions; check the arXiv ids "
                          "in the file names")
    start = rk.default_model() if not gold_facts else None
    if start is not None:
        console.print(f"starting from the shipped model ({start.summary.get('samples', '?')} samples from "
                      f"{start.summary.get('papers', '?')} papers): {len(decisions)} decisions nudge it", highlight=False)
    score_gold = [*gold_facts, *rk.gold_from_decisions(decisions)]
    scored = sorted({g.arxiv_id for g in score_gold} & set(found))
    verdict = ""
    if folds >= 2 and len(scored) >= folds:
        extra = rk.wrong_only(rk.truths_from_decisions(decisions)) if decisions else None
        current = rk.model_for_home(home.root)
        cmp = compare_with_current({p: found[p] for p in scored}, score_gold, current, folds, extra=extra,
                                   start=start)
        _render_cv(cmp.cv)
        _render_comparison(cmp)
        if cmp.worse:
            verdict = (f"the new model scores worse than the one in use (top-1 {cmp.new_top1:.3f} < "
                       f"{cmp.current_top1:.3f})")
    elif folds >= 2:
        verdict = f"no cross-validated score ({len(scored)} papers with gold or decisions, fewer than {folds} folds)"
    else:
        verdict = "no comparison with the model in use (--folds 0)"
    target = out or rk.home_model_path(home.root)
    if verdict and not force:
        raise rk.WorseModelError(f"{verdict}; {target} not written (add --force to write it anyway)")
    if verdict:
        console_err.print(f"[yellow]warning[/] {verdict}; writing it because of --force", markup=True,
                          highlight=False)
    model = rk.train(found, truths, prior=start, summary={"gold_files": [p.name for p in gold or []],
                                                          "decisions": len(decisions), "trained_at": _now()})
    write_text_atomic(target, model.to_json())
    console.print(f"model written to {target} ({model.summary['samples']} candidates from "
                  f"{model.summary['papers']} papers, {len(model.features)} features)", highlight=False)


def _render_comparison(cmp: ModelComparison) -> None:
    table = Table(title="New model vs the model in use, on the same papers")
    for col in ("model", "top-1", "r@3", "slot top-1"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for row in cmp.rows():
        table.add_row(str(row["model"]), *(_fmt(row[k]) for k in ("top1", "recall_at_3", "slot_top1")))  # type: ignore[arg-type]
    console.print(table)
    console.print("The model in use is not refit: on papers it was trained on, its score is in-sample.",
                  highlight=False)


@ranker_app.command("show")
def show_command(
    ctx: typer.Context,
    model: Annotated[Path | None, typer.Option(
        "--model", help="Model file to show (default: the one extraction uses).", show_default=False)] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many of the heaviest features to list.")] = 15,
) -> None:
    """Which ranking model is in use, and its heaviest features.

    Example: flopmine ranker show --top 20
    """
    st = state(ctx)
    m = rk.load_model(model) if model is not None else rk.model_for_home(st.home.root)
    console.print(model and f"model: {model}" or f"model in use: {rk.model_in_use(st.home.root)}", highlight=False)
    table = Table(title="Heaviest features (log-odds per unit)")
    table.add_column("feature")
    table.add_column("weight", justify="right")
    for name, w in m.describe(top):
        table.add_row(name, f"{w:+.2f}")
    console.print(table)


def _decisions(directory: Path, *, explicit: Path | None) -> list[object]:
    from flopmine.review.annotations import load_ledger

    if not directory.is_dir():
        if explicit is not None:
            raise ConfigError(f"{directory}: no such annotations folder")
        return []
    return list(load_ledger(directory).decisions.values())


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""
    app.add_typer(ranker_app, name="ranker")
