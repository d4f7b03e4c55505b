"""Where the checkout is (``data/``, ``book/`` and ``notebooks/`` live there)."""

from __future__ import annotations

from pathlib import Path


def repo_root() -> Path:
    """The compendium's checkout: the first parent of this file with ``pyproject.toml`` and
    ``notebooks/``; the working directory for an installed (non-editable) package."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists() and (parent / "notebooks").is_dir():
            return parent
    return Path.cwd()
