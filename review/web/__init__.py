"""``flopmine review serve``: review candidates in the browser, one keystroke per decision.

>>> from flopmine.config import resolve_home
>>> app = create_app(resolve_home("/tmp/flopmine-doctest"))  # a Starlette app; serve it with uvicorn
"""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
