"""The ``flopmine`` command: one small sub-module per stage, each only parsing and rendering.

Library errors (``FlopmineError``) become one line on stderr and a non-zero exit code;
real bugs keep their traceback.

A command's module is imported when the command runs (or when ``--help`` lists it): importing every stage's
module (extract's rules, harvest's HTTP client, review's browser) cost every command about a second before it
started, ``flopmine build`` included.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Iterator, MutableMapping
from typing import Any

import typer
import typer.main
from rich.markup import escape

from ..errors import FlopmineError, Terminated
from ..stopping import terminate_on_sigterm
from .common import FlopmineGroup, console_err, global_options, log_to_file

#: Each command and the module whose ``register`` adds it, in the order ``--help`` lists them (typer's: the
#: commands, then the groups). A test keeps it in step with what the modules register.
COMMAND_MODULES: dict[str, str] = {
    "harvest": "harvest_cmd", "status": "harvest_cmd", "extract": "extract_cmd", "eval": "eval_cmd",
    "build": "analysis_cmd", "analyze": "analysis_cmd", "demo": "demo_cmd", "ranker": "ranker_cmd",
    "review": "review_cmd",
}
#: The app's settings, shared by the apps each module registers its commands on (so their help renders alike).
_APP_SETTINGS: dict[str, Any] = {"add_completion": False, "pretty_exceptions_enable": False,
                                 "rich_markup_mode": "rich"}


def stage_commands(module_name: str) -> dict[str, Any]:
    """The click commands a command module registers (``flopmine.cli.<module_name>.register``), by name."""
    module = importlib.import_module(f"{__name__}.{module_name}")
    stage = typer.Typer(**_APP_SETTINGS)
    module.register(stage)
    return dict(typer.main.get_group(stage).commands)


class _LazyCommands(MutableMapping[str, Any]):
    """The top-level commands by name, each module imported the first time one of its commands is looked up."""

    def __init__(self) -> None:
        self._loaded: dict[str, Any] = {}

    def _load(self, name: str) -> None:
        if name not in self._loaded and name in COMMAND_MODULES:
            for found, command in stage_commands(COMMAND_MODULES[name]).items():
                self._loaded.setdefault(found, command)

    def __getitem__(self, name: str) -> Any:
        self._load(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter([*COMMAND_MODULES, *(n for n in self._loaded if n not in COMMAND_MODULES)])

    def __len__(self) -> int:
        return len(set(COMMAND_MODULES) | set(self._loaded))

    def __contains__(self, name: object) -> bool:
        return name in COMMAND_MODULES or name in self._loaded


class LazyGroup(FlopmineGroup):
    """The top-level group, whose commands' modules are imported when a command is looked up."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lazy = _LazyCommands()
        for name, command in self.commands.items():  # any command registered on the app itself
            lazy[name] = command
        self.commands = lazy


app = typer.Typer(
    name="flopmine",
    cls=LazyGroup,
    help="Measure how much compute deep-learning progress costs: harvest arXiv papers, extract compute "
    "facts with evidence, review them, and fit the scaling laws of Thompson et al. (2020).",
    no_args_is_help=True,
    **_APP_SETTINGS,
)
app.callback()(global_options)


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
