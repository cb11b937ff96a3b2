"""Running the ``flopmine`` entry point in-process, as a shell would: its exit code and what it printed."""

from __future__ import annotations

import pytest

from flopmine.cli import main


def exit_code(argv: list[str]) -> int:
    """Run ``flopmine ARGV``; its exit code (0 when it returns)."""
    try:
        main(argv)
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run ``flopmine ARGV``; its exit code and its stdout + stderr."""
    code = exit_code(argv)
    captured = capsys.readouterr()
    return code, captured.out + captured.err
