"""Shared CLI plumbing: global options, the resolved home directory, logging and progress bars."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from typer.core import TyperGroup

from ..config import Home, resolve_home

console = Console()
console_err = Console(stderr=True)

# A progress callback that library code calls: (done, total, message).
ProgressCallback = Callable[[int, int, str], None]


def hide_flag_types(command: Any, ctx: Any) -> None:
    """Show nothing in the type column for plain flags (``--dry-run``, ``--help``), not ``<bool>``.

    Sub-groups (``review``) are walked too, so every command's help looks the same. Duck-typed:
    typer carries its own copy of click, whose classes are not ``click``'s.
    """
    for param in command.get_params(ctx):
        if getattr(param, "param_type_name", "") == "option" and getattr(param, "is_flag", False) \
                and param.metavar is None:
            param.metavar = ""
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                hide_flag_types(sub, ctx)


class FlopmineGroup(TyperGroup):
    """The top-level command group: typer's, with plain flags shown without a type in ``--help``."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            hide_flag_types(command, ctx)
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        hide_flag_types(self, ctx)
        super().format_help(ctx, formatter)


@dataclass
class CliState:
    home_value: Path | None = None
    annotations_value: Path | None = None
    quiet: bool = False

    @property
    def home(self) -> Home:
        return resolve_home(self.home_value, self.annotations_value)


def global_options(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option(
        "--home", help="Data directory (env FLOPMINE_HOME, default ./flopmine-data).", show_default=False)] = None,
    annotations: Annotated[Path | None, typer.Option(
        "--annotations", help="Reviewed-facts directory (env FLOPMINE_ANNOTATIONS, default <home>/annotations).",
        show_default=False)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors; no progress bars (for cron).")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
    log_file: Annotated[Path | None, typer.Option("--log-file", help="Also append logs to this file.")] = None,
) -> None:
    """Options shared by every command."""
    ctx.obj = CliState(home_value=home, annotations_value=annotations, quiet=quiet)
    setup_logging(quiet=quiet, verbose=verbose, log_file=log_file)


def setup_logging(*, quiet: bool, verbose: bool, log_file: Path | None) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.setLevel(logging.DEBUG if log_file else level)
    handler = RichHandler(console=console_err, show_path=False, show_time=False, rich_tracebacks=False)
    handler.setLevel(level)
    root.addHandler(handler)
    if log_file:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(log_file, encoding="utf-8")
        fh.setLevel(logging.DEBUG if verbose else logging.INFO)
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(fh)
    for noisy in ("urllib3", "arxiv", "pdfminer", "distributed", "asyncio", "matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, CliState) else CliState()


@contextlib.contextmanager
def progress_bar(description: str, *, enabled: bool = True) -> Iterator[ProgressCallback]:
    """A rich progress bar on interactive terminals; a no-op callback otherwise (cron, pipes, --quiet)."""
    if not (enabled and sys.stderr.isatty()):
        yield lambda done, total, message="": None
        return
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TimeRemainingColumn(), TextColumn("{task.fields[message]}"), console=console_err, transient=False,
    ) as bar:
        task = bar.add_task(description, total=None, message="")

        def update(done: int, total: int, message: str = "") -> None:
            bar.update(task, completed=done, total=total or None, message=message[:40])

        yield update
