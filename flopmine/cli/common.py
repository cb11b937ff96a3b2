"""Shared CLI plumbing: global options, the resolved home directory, logging and progress bars."""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
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

# Output that is not a terminal (cron, pipes, log files) is never wrapped: one message per line, tables at
# their natural width. COLUMNS, when set, wins (as rich and most Unix tools do).
UNWRAPPED_WIDTH = 10_000
_file_handlers: list[logging.Handler] = []


def output_width(is_terminal: bool, environ: Mapping[str, str] | None = None) -> int | None:
    """The width to render at: ``COLUMNS`` when set, the terminal's own (None) on a terminal, else unwrapped.

    >>> output_width(False, {})
    10000
    >>> output_width(False, {"COLUMNS": "120"}), output_width(True, {"COLUMNS": "100"}), output_width(True, {})
    (120, 100, None)
    """
    env = os.environ if environ is None else environ
    columns = env.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return None if is_terminal else UNWRAPPED_WIDTH


def fit_consoles_to_output() -> None:
    """Set both consoles' width for where their output goes now (called once per command)."""
    for c in (console, console_err):
        c.width = output_width(c.is_terminal)  # type: ignore[assignment]  # None: ask the terminal

# A progress callback that library code calls: (done, total, message).
ProgressCallback = Callable[[int, int, str], None]


_LIST_ITEM = re.compile(r"^\s*(?:[-*•·]\s|\d+[.)]\s|Example)")


def reflow_help(text: str) -> str:
    r"""A docstring's paragraphs as single lines, so ``--help`` wraps them once, at the console's width.

    Docstrings are wrapped at the source's line length; rich keeps those breaks and wraps again at 80
    columns, which leaves ragged half-lines. List items and ``Example`` lines keep their own line, and
    a paragraph starting with click's ``\b`` marker is left as written.

    >>> reflow_help("First line\ncontinues.\n\nA paragraph\nwrapped.\n- item one\n- item two")
    'First line continues.\n\nA paragraph wrapped.\n- item one\n- item two'
    """
    paragraphs = []
    for paragraph in inspect.cleandoc(text).split("\n\n"):
        if paragraph.startswith("\b"):
            paragraphs.append(paragraph)
            continue
        lines: list[str] = []
        for line in paragraph.splitlines():
            if lines and not _LIST_ITEM.match(line):
                lines[-1] = f"{lines[-1]} {line.strip()}"
            else:
                lines.append(line.strip())
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def hide_flag_types(command: Any, ctx: Any) -> None:
    """Show nothing in the type column for plain flags (``--dry-run``, ``--help``), not ``<bool>``, and
    reflow the help text (``reflow_help``).

    Sub-groups (``review``) are walked too, so every command's help looks the same. Duck-typed:
    typer carries its own copy of click, whose classes are not ``click``'s.
    """
    if getattr(command, "help", None):
        command.help = reflow_help(command.help)
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
    fit_consoles_to_output()
    setup_logging(quiet=quiet, verbose=verbose, log_file=log_file)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler on whatever ``sys.stderr`` is when a record is written, not when it was made.

    Test runners and embedding programs swap ``sys.stderr``; a handler bound to the old one would write to
    a closed file.
    """

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass  # always sys.stderr


class OneLineFormatter(logging.Formatter):
    """A log line per message, whatever the message holds: newlines become `` | `` so grep sees it whole."""

    def format(self, record: logging.LogRecord) -> str:
        return " | ".join(line for line in super().format(record).splitlines() if line.strip())


def setup_logging(*, quiet: bool, verbose: bool, log_file: Path | None) -> None:
    """Console logging (rich on a terminal, plain one-line records otherwise) and the optional log file.

    The log file receives INFO and above (DEBUG with ``--verbose``), whatever ``--quiet`` says of the
    console, each line time-stamped; ``log_to_file`` adds the error that ends a command.
    """
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
        if h in _file_handlers:
            h.close()
    _file_handlers.clear()
    root.setLevel(logging.DEBUG if log_file else level)
    handler: logging.Handler
    if console_err.is_terminal:
        handler = RichHandler(console=console_err, show_path=False, show_time=False, rich_tracebacks=False)
    else:
        handler = StderrHandler()
        handler.setFormatter(OneLineFormatter("%(levelname)s %(name)s: %(message)s"))
    handler.setLevel(level)
    root.addHandler(handler)
    if log_file:
        try:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            fh = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as e:
            raise typer.BadParameter(f"cannot write the log file: {e.strerror or e}", param_hint="--log-file") \
                from None
        fh.setLevel(logging.DEBUG if verbose else logging.INFO)
        fh.setFormatter(OneLineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(fh)
        _file_handlers.append(fh)
    for noisy in ("urllib3", "arxiv", "pdfminer", "distributed", "asyncio", "matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def log_to_file(message: str, *, level: int = logging.ERROR, exc_info: bool = False) -> None:
    """Write a message the console already shows (a failure, the error that ends a command) to the log file."""
    if not _file_handlers:
        return
    record = logging.getLogger("flopmine").makeRecord(
        "flopmine", level, __file__, 0, message, None, sys.exc_info() if exc_info else None)
    for h in _file_handlers:
        h.handle(record)
        h.flush()


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
