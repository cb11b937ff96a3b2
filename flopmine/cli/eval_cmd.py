"""CLI for the eval command (extractor quality against gold) (thin: parse, call the library, render)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""
