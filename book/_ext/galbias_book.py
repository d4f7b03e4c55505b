"""The book's own Sphinx settings that ``_config.yml`` cannot express.

- MathJax on every page: Sphinx loads MathJax only on pages with equations, but the
  navigation of every page shows chapter titles, and a title with maths would show raw TeX
  on the other pages.  ``set_html_assets_policy("always")`` loads it everywhere.
- Launch buttons (Binder, Colab) point at the chapter's notebook in the repository,
  ``notebooks/NN_name.ipynb`` (made from ``notebooks/NN_name.py`` by ``jupytext``; Binder's
  ``binder/postBuild`` does that), instead of the theme's default
  ``<path_to_book>/chapters/NN_name.ipynb``, which exists only in a build folder.
"""

from __future__ import annotations

import re


def retarget(url: str, path_to_book: str) -> str:
    """``.../<path_to_book>/chapters/NN_name.ipynb`` -> ``.../notebooks/NN_name.ipynb``."""
    book = path_to_book.strip("/")
    prefix = re.escape(book + "/") if book else ""
    return re.sub(rf"(?<=[/=]){prefix}chapters/(\d\d_[\w\-]+)\.ipynb\b",
                  lambda m: f"notebooks/{m.group(1)}.ipynb", url)


def _walk(buttons, path_to_book: str):
    for b in buttons:
        if isinstance(b, dict):
            if isinstance(b.get("url"), str):
                b["url"] = retarget(b["url"], path_to_book)
            _walk(b.get("buttons", []), path_to_book)


def launch_to_sources(app, pagename, templatename, context, doctree):
    if pagename.startswith("chapters/"):
        path_to_book = app.config.html_theme_options.get("path_to_docs", "")
        for group in context.get("header_buttons", []):
            if isinstance(group, dict) and group.get("label") == "launch-buttons":
                _walk(group.get("buttons", []), path_to_book)


def setup(app):
    app.set_html_assets_policy("always")
    # after sphinx-book-theme's own handler (priority 501) has made the buttons
    app.connect("html-page-context", launch_to_sources, priority=510)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
