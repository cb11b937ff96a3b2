"""CLI for the ranker: train the candidate-ranking model from gold and reviewers' decisions, show the one in use
(thin: parse, call the library, render)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flopmine.extract import evaluate as ev
from flopmine.extract import ranker as rk
from flopmine.extract.crossval import DEFAULT_FOLDS, crossvalidate

from ..config import write_text_atomic
from ..errors import ConfigError
from .common import console, console_err, progress_bar, state
from .eval_cmd import _render_cv

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
        "--folds", min=0, help="Folds of the cross-validated score printed before training (0: skip).")]
        = DEFAULT_FOLDS,
) -> None:
    """Train the ranking model and print its cross-validated score.

    Labels: a candidate matching a gold fact (or a reviewer's accepted or corrected value) is right; the other candidates of that paper and field, and values reviewers rejected, are wrong. The model file is JSON: the feature list, the coefficients, the value priors, a training summary and the library versions; no paper text. Extraction uses <home>/models/ranker.json when present, else the model shipped with flopmine.

    Examples: flopmine ranker train --gold ../shared/corpus/gold_vision.csv --meta ../shared/corpus/sources_vision.csv ../shared/corpus/pdfs · flopmine ranker train   (the home's PDFs and reviewers' decisions)
    """
    st = state(ctx)
    home = st.home
    truths: dict[str, rk.Truth] = {}
    gold_facts = ev.load_gold(gold or [])
    if gold_facts:
        truths = rk.truths_from_gold(gold_facts)
    decisions = _decisions(annotations if annotations is not None else home.annotations_dir, explicit=annotations)
    if decisions:
        truths = rk.merge_truths(truths, rk.truths_from_decisions(decisions))
    if not truths:
        raise ConfigError("nothing to learn from: give --gold FILE or an --annotations folder with decisions")
    with progress_bar("Reading PDFs", enabled=not st.quiet) as progress:
        run = ev.candidates_from_paths(paths or [home.pdf_dir], meta=ev.load_meta(meta or []), on_progress=progress)
    found = {p: run.found[p] for p in run.papers if p in truths}
    if not found:
        raise ConfigError("none of the PDFs read has gold or decisions; check the arXiv ids in the file names")
    scored = sorted({g.arxiv_id for g in gold_facts} & set(found))
    if folds >= 2 and len(scored) >= folds:
        extra = rk.truths_from_decisions(decisions) if decisions else None
        _render_cv(crossvalidate({p: found[p] for p in scored}, gold_facts, folds, extra=extra))
    elif folds >= 2:
        console.print(f"(no cross-validated score: {len(scored)} papers with gold, fewer than {folds} folds)")
    model = rk.train(found, truths, summary={"gold_files": [p.name for p in gold or []],
                                             "decisions": len(decisions), "trained_at": _now()})
    target = out or rk.home_model_path(home.root)
    write_text_atomic(target, model.to_json())
    console.print(f"model written to {target} ({model.summary['samples']} candidates from "
                  f"{model.summary['papers']} papers, {len(model.features)} features)", highlight=False)
    for p in run.problems:
        console_err.print(f"[yellow]skipped[/] {p}", markup=True, highlight=False)


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
