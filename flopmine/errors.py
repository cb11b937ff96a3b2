"""One base error for the whole project; the CLI turns it into one line and an exit code.

Real bugs are not ``FlopmineError`` and keep their traceback.
"""

from __future__ import annotations

from pathlib import Path

# Exit codes documented in README ("Exit codes").
EXIT_ERROR = 1  # the user must act: bad input, failed items, invalid CSV …
EXIT_USAGE = 2  # bad command line (typer/click's own code)
EXIT_LOCKED = 75  # another run holds the home directory lock (EX_TEMPFAIL: try again later)


class FlopmineError(Exception):
    """Base class: a problem the user can understand and act on."""

    exit_code: int = EXIT_ERROR


class ConfigError(FlopmineError):
    """A setting, registry or data file is invalid."""


class LockedError(FlopmineError):
    """Another flopmine run is using the same home directory."""

    exit_code = EXIT_LOCKED


class HarvestError(FlopmineError):
    """Talking to arXiv (or downloading a PDF) failed."""

    def __init__(self, message: str, *, arxiv_id: str | None = None, url: str | None = None,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.arxiv_id = arxiv_id
        self.url = url
        self.status = status

    def __str__(self) -> str:
        parts = [self.args[0]]
        if self.arxiv_id:
            parts.append(f"paper {self.arxiv_id}")
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.url:
            parts.append(self.url)
        return " — ".join(parts)


class PdfError(FlopmineError):
    """A PDF cannot be read: corrupt, encrypted, too large, or without text."""

    def __init__(self, message: str, *, path: Path | str | None = None, page: int | None = None,
                 reason: str = "corrupt") -> None:
        super().__init__(message)
        self.path = path
        self.page = page
        self.reason = reason

    def __str__(self) -> str:
        where = str(self.path) if self.path else "PDF"
        if self.page is not None:
            where += f" page {self.page}"
        return f"{where}: {self.args[0]}"


class RuleError(FlopmineError):
    """An extraction rule (pattern table row) is invalid."""

    def __init__(self, message: str, *, rule_id: str | None = None) -> None:
        super().__init__(message)
        self.rule_id = rule_id

    def __str__(self) -> str:
        return f"rule {self.rule_id}: {self.args[0]}" if self.rule_id else self.args[0]


class ReviewError(FlopmineError):
    """A reviewer CSV is invalid; ``problems`` lists every ``file:line: column: message``."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])

    def __str__(self) -> str:
        if not self.problems:
            return self.args[0]
        return self.args[0] + "\n" + "\n".join(self.problems)


class UsageError(ReviewError):
    """A command-line value that cannot work (``--overlap 1.5``, an unknown name in ``--assign``): exit 2."""

    exit_code = EXIT_USAGE


class AnalysisError(FlopmineError):
    """The dataset cannot be built or fitted (missing columns, too few rows …)."""


EXIT_TERMINATED = 143  # 128 + SIGTERM: the shell's code for a run stopped by SIGTERM
EXIT_INTERRUPTED = 130  # 128 + SIGINT: Ctrl-C


class Terminated(BaseException):
    """SIGTERM arrived. A ``BaseException``, like ``KeyboardInterrupt``, so no ``except Exception`` swallows it.

    ``flopmine.stopping.terminate_on_sigterm`` raises it; ``flopmine.stopping.finish_writes`` holds it back
    until the write in progress is done.
    """

    exit_code = EXIT_TERMINATED


class Interrupted(Terminated):
    """Ctrl-C (SIGINT) arrived: stopped like ``Terminated``, with the shell's code for SIGINT."""

    exit_code = EXIT_INTERRUPTED
