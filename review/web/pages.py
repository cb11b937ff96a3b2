"""PDF pages as PNG images for the review UI, rendered once with pypdfium2 and cached on disk.

The cache lives under ``<home>/cache/pages/<pdf stem>/p<N>@<scale>.png``, next to a small JSON
sidecar with the page size in PDF points (the UI scales evidence boxes with it). Both files are
written atomically, so a killed server never leaves a half-written image behind.

>>> page_cache_path(Path("/h"), "1512.03385v1.pdf", 3, 1.5).as_posix()
'/h/cache/pages/1512.03385v1/p3@1.5.png'
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from flopmine.config import write_text_atomic
from flopmine.errors import PdfError

log = logging.getLogger(__name__)

DEFAULT_SCALE = 1.5  # 108 dpi: readable, and a page PNG stays around 100-300 kB
MAX_PAGE_POINTS = 5000.0  # refuse absurd page sizes (a 5000 pt page at scale 1.5 is ~7500 px)

# PDFium is not thread-safe: one render at a time per process.
_PDFIUM_LOCK = threading.Lock()


@dataclass(frozen=True)
class PageImage:
    """A rendered page: the PNG file and the page size in PDF points (width, height)."""

    path: Path
    width: float
    height: float


# zlib level of the cached page images: level 1 encodes a page several times faster than the default (6), for
# a somewhat larger file read from the local disk (the PNG encoding was a third of a first page's time)
PNG_COMPRESS_LEVEL = 1


def page_cache_path(root: Path, pdf_name: str, page: int, scale: float = DEFAULT_SCALE) -> Path:
    """Where the PNG of ``page`` (1-based) of ``pdf_name`` is cached under home ``root``."""
    stem = Path(pdf_name).stem
    return root / "cache" / "pages" / stem / f"p{page}@{scale:g}.png"


def render_page(pdf_path: Path, page: int, cache_png: Path, scale: float = DEFAULT_SCALE) -> PageImage:
    """Render ``page`` (1-based) of ``pdf_path`` to ``cache_png`` unless it is cached already.

    Raises ``PdfError`` for a missing, corrupt or encrypted PDF or a page out of range.
    """
    meta_path = cache_png.with_suffix(".json")
    if cache_png.is_file() and meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text())
            if "bytes" in meta and cache_png.stat().st_size != int(meta["bytes"]):
                raise ValueError("the image is not the one its metadata describes")
            return PageImage(cache_png, float(meta["width"]), float(meta["height"]))
        except (ValueError, KeyError, OSError) as e:
            log.warning("page cache %s is unreadable (%s); rendering again", meta_path, e)
    if not pdf_path.is_file():
        raise PdfError("PDF not downloaded", path=pdf_path, reason="missing")
    import pypdfium2 as pdfium

    with _PDFIUM_LOCK:
        try:
            doc = pdfium.PdfDocument(str(pdf_path))
        except pdfium.PdfiumError as e:
            reason = "encrypted" if "password" in str(e).lower() else "corrupt"
            raise PdfError(f"cannot open PDF: {e}", path=pdf_path, reason=reason) from e
        try:
            if not 1 <= page <= len(doc):
                raise PdfError(f"no page {page} (the PDF has {len(doc)})", path=pdf_path, page=page)
            pdf_page = doc[page - 1]
            try:
                width, height = pdf_page.get_size()
                if width > MAX_PAGE_POINTS or height > MAX_PAGE_POINTS:
                    raise PdfError(f"page is {width:.0f}x{height:.0f} pt, too large to show", path=pdf_path,
                                   page=page, reason="too_large")
                image = pdf_page.render(scale=scale).to_pil()
            except pdfium.PdfiumError as e:
                raise PdfError(f"cannot render page: {e}", path=pdf_path, page=page) from e
            finally:
                pdf_page.close()
        finally:
            doc.close()
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False, compress_level=PNG_COMPRESS_LEVEL)
    png = buf.getvalue()
    _write_cache(cache_png, png)
    _write_cache(meta_path, json.dumps({"width": width, "height": height, "scale": scale, "bytes": len(png)}).encode())
    log.debug("rendered %s page %d to %s", pdf_path.name, page, cache_png)
    return PageImage(cache_png, float(width), float(height))


def _write_cache(target: Path, data: bytes) -> None:
    """Write a cache file by renaming a complete temporary file over it, without ``fsync``: a cache is
    rebuilt when lost, and syncing two files took 0.4 s of a first page on a busy disk. The metadata,
    written last, records the image's size, so an image torn by a crash is rendered again."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def box_percent(bbox: tuple[float, float, float, float], width: float, height: float) -> dict[str, float]:
    """An evidence box (x0, top, x1, bottom in points, top-left origin) as CSS percentages of the page.

    Percentages keep the highlight on the text at any displayed image size.

    >>> box_percent((100, 200, 300, 220), 600, 800)
    {'left': 16.667, 'top': 25.0, 'width': 33.333, 'height': 2.5}
    """
    x0, top, x1, bottom = bbox
    x0, x1 = sorted((max(0.0, min(x0, width)), max(0.0, min(x1, width))))
    top, bottom = sorted((max(0.0, min(top, height)), max(0.0, min(bottom, height))))
    return {
        "left": round(100 * x0 / width, 3),
        "top": round(100 * top / height, 3),
        "width": round(100 * (x1 - x0) / width, 3),
        "height": round(100 * (bottom - top) / height, 3),
    }


MAX_TITLE = 300  # characters


def _first_page_title(text: str) -> str:
    """The first line of a first page that reads like a title (not an arXiv stamp, not a number).

    >>> _first_page_title("arXiv:1512.03385v1 [cs.CV] 10 Dec 2015\\n\\nDeep Residual Learning for Image Recognition\\nKaiming He")
    'Deep Residual Learning for Image Recognition'
    """
    for line in text.splitlines():
        s = " ".join(line.split())
        if len(s) < 8 or s.lower().startswith(("arxiv:", "preprint", "published", "under review")):
            continue
        if sum(ch.isalpha() for ch in s) < 0.6 * len(s):
            continue
        return s[:MAX_TITLE]
    return ""


def pdf_title(pdf_path: Path, home_root: Path) -> str:
    """The paper's title from its PDF: the metadata ``Title``, else the first title-like line of page 1.

    Cached as JSON under ``<home>/cache/titles/<pdf stem>.json`` (written atomically). "" when the PDF
    is missing or unreadable.
    """
    cache = home_root / "cache" / "titles" / f"{pdf_path.stem}.json"
    if cache.is_file():
        try:
            return str(json.loads(cache.read_text(encoding="utf-8"))["title"])
        except (ValueError, KeyError, OSError):
            log.warning("title cache %s is unreadable; reading the PDF again", cache)
    if not pdf_path.is_file():
        return ""
    import pypdfium2 as pdfium

    title = ""
    with _PDFIUM_LOCK:
        try:
            doc = pdfium.PdfDocument(str(pdf_path))
        except pdfium.PdfiumError:
            return ""
        try:
            meta = (doc.get_metadata_value("Title") or "").strip()
            if len(meta) >= 8 and not meta.lower().endswith((".dvi", ".pdf", ".tex")) and "untitled" not in meta.lower():
                title = " ".join(meta.split())[:MAX_TITLE]
            elif len(doc):
                page = doc[0]
                try:
                    textpage = page.get_textpage()
                    try:
                        title = _first_page_title(textpage.get_text_range())
                    finally:
                        textpage.close()
                finally:
                    page.close()
        except pdfium.PdfiumError:
            title = ""
        finally:
            doc.close()
    write_text_atomic(cache, json.dumps({"title": title}))
    return title
