"""Skipping unchanged figures: a rerun of ``analyze`` draws a figure again only when what it is drawn from, or
the code that draws it, changed since the figure beside it was drawn (issue 20 item 4)."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from pathlib import Path

import numpy as np
import pandas as pd

from flopmine.config import write_text_atomic

#: The drawing code a cached figure was drawn with: figures.py (its resolution included) and the matplotlib
#: version, read without importing matplotlib, so a rerun with nothing to draw never loads it (about 0.8 s).
_CODE_KEY = hashlib.sha256(Path(__file__).with_name("figures.py").read_bytes()
                           + f"|{importlib.metadata.version('matplotlib')}".encode()).digest()
CACHE_FILE = ".figures.json"
#: The figures' default resolution: sharp on screen and in the HTML report, and cheaper to draw and encode than
#: print resolution (``PRINT_DPI``, ``flopmine analyze --dpi 300``): the same content, half the pixels each way.
#: Here rather than in figures.py so that choosing it never imports matplotlib.
DEFAULT_DPI = 150
PRINT_DPI = 300


def input_key(*parts: object) -> str:
    """A hash of a figure's inputs and drawing code: frames by their values (``hash_pandas_object``, columns and
    dtypes), arrays by their bytes, anything else (the fits: frozen dataclasses of floats) by its repr."""
    h = hashlib.sha256(_CODE_KEY)
    for part in parts:
        if isinstance(part, pd.DataFrame):
            h.update(repr([(str(c), str(t)) for c, t in part.dtypes.items()]).encode())
            h.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
        elif isinstance(part, np.ndarray):
            h.update(f"{part.dtype}{part.shape}".encode())
            h.update(np.ascontiguousarray(part).tobytes())
        else:
            h.update(repr(part).encode())
        h.update(b"\0")
    return h.hexdigest()


class FigureCache:
    """Which figures of a directory were drawn from which inputs (``CACHE_FILE`` beside them: per file name its
    ``input_key`` and the PNG's own sha256, so a figure edited or replaced since is drawn again)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / CACHE_FILE
        try:
            entries = json.loads(self.path.read_text(encoding="utf-8"))
            self.entries: dict[str, dict[str, str]] = entries if isinstance(entries, dict) else {}
        except (OSError, ValueError):
            self.entries = {}

    def fresh(self, path: Path, key: str) -> bool:
        """Whether ``path`` holds the figure drawn from ``key`` (the same inputs and drawing code)."""
        entry = self.entries.get(path.name)
        if not isinstance(entry, dict) or entry.get("key") != key:
            return False
        try:
            return hashlib.sha256(path.read_bytes()).hexdigest() == entry.get("png")
        except OSError:
            return False

    def record(self, path: Path, key: str) -> None:
        self.entries[path.name] = {"key": key, "png": hashlib.sha256(path.read_bytes()).hexdigest()}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.path, json.dumps(self.entries, indent=0, sort_keys=True) + "\n")
