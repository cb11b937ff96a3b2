"""Download one paper version's PDF: stream, validate, write atomically, or fail with a reason.

A PDF is kept only when it passes every check: HTTP 200, a PDF (or generic binary) content type,
the ``%PDF-`` header, an ``%%EOF`` trailer, the announced length, a size cap, and pypdfium2 opening
it with at least one page. HTML served instead of a PDF, a truncated or corrupt file is never stored:
the temporary file is removed and the caller records the reason (and retries on a later run).
Transient failures (timeouts, dropped or reset connections, a truncated transfer, the overall
deadline, 429/5xx) are retried within the run with a short exponential backoff and jitter, through
the same rate limiter as every other request; only when every try failed does the failure count
toward the 1 h / 6 h / 1 d / 1 w schedule. When arXiv gives no answer on any try (no connection, or
a connection that times out or drops before an answer), ``ServiceUnreachableError`` is raised: that
is arXiv being down, not this PDF failing, and the run stops.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from flopmine.config import atomic_path
from flopmine.errors import HarvestError
from flopmine.ids import ArxivId

from .client import ArxivClient, RejectedError, ServiceUnreachableError, TransientError

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
DEFAULT_TRIES = 3
PDF_CONTENT_TYPES = frozenset({"application/pdf", "application/x-pdf", "application/octet-stream",
                               "binary/octet-stream", ""})
PART_SUFFIX = ".part"


class InvalidPdfError(HarvestError):
    """The bytes received are not a usable PDF (HTML, truncated, corrupt, too large)."""


class TruncatedPdfError(InvalidPdfError):
    """The transfer ended early (short of the announced length, or no ``%%EOF``): worth another try now."""


@dataclass(frozen=True)
class DownloadOutcome:
    """What happened to one PDF: ``ok`` with its checksum and size, or a failure ``reason``."""

    arxiv_id: str
    version: int
    ok: bool
    path: str = ""  # relative to <home>/pdfs
    sha256: str = ""
    size: int = 0
    reason: str = ""
    tries: int = 0
    adopted: bool = False  # an already-complete file from an interrupted run was recorded, not fetched


def pdf_filename(arxiv_id: str, version: int) -> str:
    """The file name of a paper version's PDF; never a path.

    >>> pdf_filename("hep-th/9901001", 2)
    'hep-th_9901001v2.pdf'
    """
    return ArxivId(arxiv_id, version).filename()


def validate_pdf(path: Path, *, expected_length: int | None = None, name: str | None = None) -> tuple[str, int]:
    """Check that ``path`` is a complete, readable PDF; return (sha256, size).

    Raises ``InvalidPdfError`` naming what is wrong. ``name`` is what log messages call the file
    (the paper's PDF name, not the temporary file being validated).
    """
    size = path.stat().st_size
    if expected_length is not None and size != expected_length:
        raise TruncatedPdfError(f"truncated: got {size} of {expected_length} bytes")
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        head = fh.read(1024)
        digest.update(head)
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
        fh.seek(max(0, size - 2048))
        tail = fh.read()
    if b"%PDF-" not in head:  # the spec allows up to 1 KiB of junk before it
        sniff = head[:200].lower()
        if b"<html" in sniff or b"<!doctype html" in sniff:
            raise InvalidPdfError("an HTML page, not a PDF")
        raise InvalidPdfError("no %PDF- header")
    if b"%%EOF" not in tail:
        raise TruncatedPdfError("truncated: no %%EOF trailer")
    try:
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        if getattr(e, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            # Complete and well-formed, only password-protected: keep it (downloading it again would
            # not change it); extraction records it with status ``encrypted``.
            logger.warning("%s is encrypted (needs a password); kept, extraction will report it",
                           name or path.name)
            return digest.hexdigest(), size
        raise InvalidPdfError(f"corrupt: the PDF library cannot open it ({e})") from None
    try:
        if len(doc) < 1:
            raise InvalidPdfError("corrupt: no pages")
    finally:
        doc.close()
    return digest.hexdigest(), size


def _fetch_once(client: ArxivClient, url: str, tmp: Path, max_bytes: int) -> int | None:
    """Stream ``url`` into ``tmp``; return the announced length (or None)."""
    with client.stream(url) as resp:
        if resp.content_type not in PDF_CONTENT_TYPES:
            kind = "an HTML page" if "html" in resp.content_type else f"content type {resp.content_type!r}"
            raise InvalidPdfError(f"{kind}, not a PDF", url=url)
        if resp.content_length is not None and resp.content_length > max_bytes:
            raise InvalidPdfError(f"too large: {resp.content_length} bytes > cap {max_bytes}", url=url)
        written = 0
        with open(tmp, "wb") as fh:
            for chunk in resp.chunks:
                written += len(chunk)
                if written > max_bytes:
                    raise InvalidPdfError(f"too large: more than {max_bytes} bytes", url=url)
                fh.write(chunk)
        return resp.content_length


def download_pdf(client: ArxivClient, arxiv_id: str, version: int, url: str, pdf_dir: Path, *,
                 max_bytes: int = DEFAULT_MAX_BYTES, tries: int = DEFAULT_TRIES) -> DownloadOutcome:
    """Fetch one PDF into ``pdf_dir/<id>v<version>.pdf`` atomically; never raises for bad downloads.

    A file already at the target (renamed into place by a run killed before it could record it)
    is validated and adopted without a request.
    """
    name = pdf_filename(arxiv_id, version)
    target = pdf_dir / name
    if target.exists():
        try:
            sha, size = validate_pdf(target)
        except InvalidPdfError as e:
            logger.warning("%s: existing file is unusable (%s); downloading again", target, e)
        else:
            return DownloadOutcome(arxiv_id, version, True, name, sha, size, adopted=True)
    reason = ""
    unreachable: ServiceUnreachableError | None = None
    for attempt in range(1, tries + 1):
        try:
            with atomic_path(target, suffix=PART_SUFFIX) as tmp:
                length = _fetch_once(client, url, tmp, max_bytes)
                sha, size = validate_pdf(tmp, expected_length=length, name=name)
            logger.debug("downloaded %s (%d bytes)", name, size)
            return DownloadOutcome(arxiv_id, version, True, name, sha, size, tries=attempt)
        except (TransientError, TruncatedPdfError) as e:  # a truncated or reset transfer: try again now
            unreachable = e if isinstance(e, ServiceUnreachableError) and (attempt == 1 or unreachable) else None
            reason = str(e.args[0]) + (f" (HTTP {e.status})" if e.status else "")
            if attempt < tries:
                wait = client.limiter.min_interval * 2 ** (attempt - 1) * (1 + random.uniform(0, 0.5))
                logger.info("%s: %s; retrying in %.2f s", name, reason, wait)
                client.limiter.defer(wait)
        except (RejectedError, InvalidPdfError) as e:
            reason = str(e.args[0]) + (f" (HTTP {e.status})" if e.status else "")
            logger.warning("%s: %s — %s", name, reason, url)
            return DownloadOutcome(arxiv_id, version, False, reason=reason, tries=attempt)
        except OSError as e:
            reason = f"cannot write {target}: {e.strerror}"
            logger.error(reason)
            return DownloadOutcome(arxiv_id, version, False, reason=reason, tries=attempt)
    if unreachable is not None:  # no connection on any try: arXiv is down, not this PDF bad
        raise ServiceUnreachableError(str(unreachable.args[0]).replace("(1 tries)", f"({tries} tries)"))
    logger.warning("%s: giving up for this run after %d tries: %s", name, tries, reason)
    return DownloadOutcome(arxiv_id, version, False, reason=f"{reason} after {tries} tries", tries=tries)


def remove_partials(pdf_dir: Path, *, older_than: float = 0.0) -> list[Path]:
    """Delete temporary files left by a killed run (call while holding the home lock)."""
    removed: list[Path] = []
    if not pdf_dir.is_dir():
        return removed
    cutoff = time.time() - older_than
    for p in pdf_dir.glob(f".*{PART_SUFFIX}"):
        with contextlib.suppress(OSError):
            if p.stat().st_mtime <= cutoff:
                p.unlink()
                removed.append(p)
    if removed:
        logger.info("removed %d partial download(s) left by an interrupted run", len(removed))
    return removed
