"""Where data lives, the home-directory lock, and atomic file writes.

Home directory: ``--home DIR``, else env ``FLOPMINE_HOME``, else ``./flopmine-data``.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError, LockedError

DEFAULT_HOME = "flopmine-data"
ENV_HOME = "FLOPMINE_HOME"
ENV_ANNOTATIONS = "FLOPMINE_ANNOTATIONS"


@dataclass(frozen=True)
class Home:
    """The layout of one flopmine home directory."""

    root: Path
    annotations_override: Path | None = None

    @property
    def db_path(self) -> Path:
        return self.root / "flopmine.sqlite"

    @property
    def pdf_dir(self) -> Path:
        return self.root / "pdfs"

    @property
    def queue_dir(self) -> Path:
        return self.root / "queue"

    @property
    def annotations_dir(self) -> Path:
        """Reviewed facts (the source of truth). ``FLOPMINE_ANNOTATIONS`` or ``<home>/annotations``."""
        return self.annotations_override or self.root / "annotations"

    @property
    def dataset_dir(self) -> Path:
        return self.root / "dataset"

    @property
    def report_dir(self) -> Path:
        return self.root / "report"

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    def ensure(self) -> Home:
        for d in (self.root, self.pdf_dir):
            d.mkdir(parents=True, exist_ok=True)
        return self


def resolve_home(cli_value: str | Path | None = None, annotations: str | Path | None = None) -> Home:
    """Pick the home directory from the CLI flag, the environment, or the default."""
    value = cli_value or os.environ.get(ENV_HOME) or DEFAULT_HOME
    root = Path(value).expanduser()
    if root.exists() and not root.is_dir():
        raise ConfigError(f"home {root} exists and is not a directory")
    ann = annotations or os.environ.get(ENV_ANNOTATIONS)
    return Home(root=root.resolve(), annotations_override=Path(ann).expanduser().resolve() if ann else None)


@contextlib.contextmanager
def home_lock(home: Home, purpose: str = "run") -> Iterator[None]:
    """Hold an exclusive, non-blocking lock on the home directory.

    An overlapping cron run fails at once with ``LockedError`` (exit code 75). The lock is
    an OS ``flock``: it vanishes with the process, so a ``kill -9`` never leaves it stale.
    """
    home.root.mkdir(parents=True, exist_ok=True)
    path = home.root / ".lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = ""
            with contextlib.suppress(OSError):
                holder = Path(path).read_text().strip()
            raise LockedError(
                f"another flopmine run holds {path}" + (f" ({holder})" if holder else "") + "; try again later"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} {purpose}".encode())
        yield
    finally:
        os.close(fd)


def current_umask() -> int:
    """The process umask, read without changing it where Linux allows (``/proc/self/status``)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # elsewhere: set and restore
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it over ``target`` only on success.

    Readers see the old file or the complete new one, never a half-written file. The file gets the
    mode a plain ``open`` would give it (0666 less the umask), not ``mkstemp``'s private 0600, so a
    web server can serve a report when the umask lets it.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or ".part", dir=target.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
    finally:
        os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def write_bytes_atomic(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(target: Path, text: str, encoding: str = "utf-8") -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding=encoding)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """Stop a spreadsheet from running PDF-derived text as a formula.

    Text cells that start with ``= + - @`` (or tab/CR) get a leading apostrophe; numbers pass.

    >>> neutralise_cell("=HYPERLINK(1)")
    "'=HYPERLINK(1)"
    >>> neutralise_cell(-3.5)
    -3.5
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def unneutralise_cell(text: str) -> str:
    """Undo ``neutralise_cell`` on a text cell read back from a CSV flopmine wrote.

    >>> unneutralise_cell("'=HYPERLINK(1)"), unneutralise_cell("it's"), unneutralise_cell("'quoted'")
    ('=HYPERLINK(1)', "it's", "'quoted'")
    """
    if text.startswith("'") and text[1:2] and text[1] in _FORMULA_START:
        return text[1:]
    return text


def write_csv_atomic(target: Path, header: list[str], rows: list[dict[str, object]], *,
                     bom: bool = False, neutralise: bool = True, line_terminator: str = "\n") -> None:
    """Write rows as CSV atomically; text cells are formula-neutralised unless told otherwise."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, extrasaction="ignore", lineterminator=line_terminator)
    writer.writeheader()
    for row in rows:
        clean = {k: ("" if v is None else (neutralise_cell(v) if neutralise else v)) for k, v in row.items()}
        writer.writerow(clean)
    write_text_atomic(target, buf.getvalue(), encoding="utf-8-sig" if bom else "utf-8")
