"""Docs and --help stay in step with the code: every command is documented and explains itself."""

from __future__ import annotations

import re
from typing import Any

import typer.main

from flopmine.cli import app

from .conftest import REPO


def _commands() -> dict[str, Any]:
    """Every leaf command, with sub-commands named ``group sub`` (typer may vendor its own click)."""
    root: Any = typer.main.get_command(app)
    found: dict[str, Any] = {}
    for name, cmd in root.commands.items():
        if hasattr(cmd, "commands"):
            for sub, subcmd in cmd.commands.items():
                found[f"{name} {sub}"] = subcmd
        else:
            found[name] = cmd
    return found


def test_every_command_has_help_with_an_example() -> None:
    commands = _commands()
    assert {"harvest", "status", "extract", "eval", "review export", "review import", "review serve",
            "review status", "build", "analyze", "demo"} <= set(commands)
    for name, cmd in commands.items():
        text = cmd.help or ""
        assert len(text) > 40, f"`flopmine {name}` has no real help text"
        assert "Example" in text, f"`flopmine {name} --help` shows no example"


def test_readme_documents_every_command_and_the_two_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    for name in _commands():
        assert f"`{name}`" in readme, f"README does not mention `{name}`"


def test_readme_and_architecture_links_exist() -> None:
    for doc in ("README.md", "ARCHITECTURE.md"):
        text = (REPO / doc).read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#:]+)\)", text):
            assert (REPO / target).exists(), f"{doc} links to missing {target}"


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (REPO / ".ci" / "run").read_text()
