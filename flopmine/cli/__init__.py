"""The ``flopmine`` command: one small sub-module per stage, each only parsing and rendering.

Library errors (``FlopmineError``) become one line on stderr and a non-zero exit code;
real bugs keep their traceback.
"""

from __future__ import annotations

import logging
import sys

import typer
from rich.markup import escape

from ..errors import FlopmineError, Terminated
from ..stopping import terminate_on_sigterm
from . import analysis_cmd, demo_cmd, eval_cmd, extract_cmd, harvest_cmd, ranker_cmd, review_cmd
from .common import FlopmineGroup, console_err, global_options, log_to_file

app = typer.Typer(
    name="flopmine",
    cls=FlopmineGroup,
    help="Measure how much compute deep-learning progress costs: harvest arXiv papers, extract compute "
    "facts with evidence, review them, and fit the scaling laws of Thompson et al. (2020).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.callback()(global_options)

for _module in (harvest_cmd, extract_cmd, eval_cmd, ranker_cmd, review_cmd, analysis_cmd, demo_cmd):
    _module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        with terminate_on_sigterm():
            app(args=argv, prog_name="flopmine")
    except Terminated as e:
        message = f"flopmine: {e}; work finished before it is kept, run the command again to go on"
        console_err.print(message, highlight=False, markup=False, soft_wrap=True)
        log_to_file(message, level=logging.WARNING)
        sys.exit(e.exit_code)
    except FlopmineError as e:
        console_err.print(f"[bold red]Error:[/] {escape(str(e))}", highlight=False, markup=True, soft_wrap=True)
        log_to_file(f"Error: {e} (exit {e.exit_code})")
        sys.exit(e.exit_code)
    except Exception as e:  # a bug: keep its traceback on the console, and leave a trace in the log file
        log_to_file(f"crashed: {type(e).__name__}: {e}", level=logging.CRITICAL, exc_info=True)
        raise
