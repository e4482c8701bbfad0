"""MkDocs hooks: lay out the sources for mkdocstrings before anything is collected."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from api_tree import build_tree  # noqa: E402


def on_startup(command: str, dirty: bool) -> None:
    """Make ``build/api-src`` (see :mod:`api_tree`)."""
    build_tree()
