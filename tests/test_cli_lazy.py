"""The CLI imports a command's module only when that command runs (or ``--help`` lists it)."""

from __future__ import annotations

import subprocess
import sys

import typer
import typer.main

from flopmine.cli import COMMAND_MODULES, stage_commands


def test_the_command_table_names_what_each_module_registers_in_the_order_of_the_help() -> None:
    """Every module's commands, registered at once as before the lazy group: the same names, in the same order."""
    eager = typer.Typer(rich_markup_mode="rich")
    eager.callback()(lambda: None)
    for module in dict.fromkeys(COMMAND_MODULES.values()):
        assert sorted(stage_commands(module)) == sorted(n for n, m in COMMAND_MODULES.items() if m == module)
        __import__(f"flopmine.cli.{module}", fromlist=["register"]).register(eager)
    assert list(typer.main.get_group(eager).commands) == list(COMMAND_MODULES)


def _modules_after(*argv: str) -> set[str]:
    code = ("import sys\nfrom flopmine.cli import main\n"
            f"sys.argv = ['flopmine', *{list(argv)!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('flopmine'))))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    return set(run.stdout.split())


def test_build_imports_no_other_command_module() -> None:
    loaded = _modules_after("build", "--help")
    assert "flopmine.cli.analysis_cmd" in loaded
    assert not {f"flopmine.cli.{m}" for m in COMMAND_MODULES.values() if m != "analysis_cmd"} & loaded
    assert not {m for m in loaded if m.startswith(("flopmine.harvest", "flopmine.extract.pipeline", "flopmine.demo"))}


def test_the_help_lists_every_command_with_its_help_text() -> None:
    loaded = _modules_after("--help")
    assert {f"flopmine.cli.{m}" for m in COMMAND_MODULES.values()} <= loaded
    from typer.testing import CliRunner

    from flopmine.cli import app

    out = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "400"}).output
    root = typer.main.get_command(app)
    ctx = root.make_context("flopmine", ["--help"], resilient_parsing=True)
    for name in COMMAND_MODULES:
        command = root.get_command(ctx, name)  # type: ignore[attr-defined]
        first_line = (command.help or "").strip().splitlines()[0]
        assert f"│ {name} " in out and first_line.split(".")[0][:40] in out, name
