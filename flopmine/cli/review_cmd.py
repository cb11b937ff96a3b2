"""CLI for the review stage (thin: parse, call the library, render)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""
