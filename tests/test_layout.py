"""The package layout's rules (README "Layout"): layers import downwards only, modules and
functions stay small, notebooks hold narrative and calls, and every code scope names files
that exist (a renamed module must not drop out of an artifact's fingerprint unnoticed)."""

from __future__ import annotations

import ast
from pathlib import Path

import jupytext
import pytest

from galbias.core.paths import repo_root
from galbias.core.provenance import PACKAGE, SCOPES, UNSCOPED

#: what each layer may import from the package (``reference`` holds the published numbers)
ALLOWED = {
    "core": {"core", "__version__"},
    "reference": set(),
    "data": {"core", "data", "__version__"},
    "mock": {"core", "data", "mock", "__version__"},
    "methods": {"core", "data", "methods", "__version__"},
    "results": {"core", "data", "methods", "mock", "results", "reference", "__version__"},
}
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
#: the phrase a docstring uses to state why its function is longer than the rule
LONG_FUNCTION_REASON = "~80-line rule"
MAX_NOTEBOOK_CODE_LINES = 100

MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
NOTEBOOKS = sorted((repo_root() / "notebooks").glob("[0-9][0-9]_*.py"))


def _layer(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imported_layers(path: Path) -> set[str]:
    rel = path.relative_to(PACKAGE)
    pkg = ["galbias", *rel.parent.parts]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[: len(pkg) - node.level + 1]
                names = [".".join(base + [node.module])] if node.module else [".".join(base + [a.name])
                                                                              for a in node.names]
            else:
                names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        out.update(n.split(".")[1] for n in names if n.startswith("galbias.") and n.count(".") >= 1)
    return out


def test_the_layout_has_the_pipeline_layers():
    layers = {_layer(p) for p in MODULES}
    assert {"core", "data", "mock", "methods", "results", "compendium", "reference"} <= layers


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_layers_import_downwards_only(path):
    layer = _layer(path)
    if layer not in ALLOWED:  # compendium and the entry point may use everything
        return
    # names imported from a layer's own __init__ (``from . import DISK``) resolve to that layer
    wrong = {x for x in _imported_layers(path) if x not in ALLOWED[layer] and not x.isupper()}
    assert not wrong, f"{path.relative_to(PACKAGE)} ({layer}) imports from {sorted(wrong)}"


def test_real_data_never_imports_the_simulation():
    for path in (PACKAGE / "data").rglob("*.py"):
        assert "mock" not in _imported_layers(path), path


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_and_functions_are_small(path):
    text = path.read_text()
    n = len(text.splitlines())
    assert n <= MAX_MODULE_LINES, f"{path.relative_to(PACKAGE)} has {n} lines (at most {MAX_MODULE_LINES})"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                doc = ast.get_docstring(node) or ""
                assert LONG_FUNCTION_REASON in doc, (
                    f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} has {length} lines and no stated reason")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_hold_narrative_and_calls(path):
    nb = jupytext.read(path)
    code = sum(1 for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines()
               if line.strip() and not line.strip().startswith("#"))
    assert code <= MAX_NOTEBOOK_CODE_LINES, f"{path.name} has {code} lines of code"
    # no function is defined in a chapter: logic lives in the package
    assert not any(line.lstrip().startswith("def ") for c in nb.cells if c.cell_type == "code"
                   for line in c.source.splitlines()), f"{path.name} defines a function"


@pytest.mark.parametrize("name", sorted(SCOPES))
def test_every_scope_names_existing_files(name):
    for part in SCOPES[name]:
        path = repo_root() / part if part.startswith("notebooks/") else PACKAGE / part
        assert path.exists(), f"code scope {name!r} names {part}, which does not exist"
    for part in UNSCOPED:
        assert (PACKAGE / part).exists(), f"UNSCOPED names {part}, which does not exist"


PACKAGE_PARTS = sorted(p for p in (PACKAGE / "results").glob("*/*.py") if p.name != "__init__.py")


@pytest.mark.parametrize("path", PACKAGE_PARTS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_package_part_exports_every_public_name(path):
    """A results package's ``__init__`` re-exports its parts with ``import *``: a public function,
    class or constant missing from a part's ``__all__`` would vanish from the chapter's module."""
    tree = ast.parse(path.read_text())
    exported = next((ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                     and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets)), None)
    assert exported is not None, f"{path.relative_to(PACKAGE)} has no __all__"
    public = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    public |= {t.id for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))
               for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
    missing = sorted(x for x in public if not x.startswith("_") and x not in exported)
    assert not missing, f"{path.relative_to(PACKAGE)}: public names missing from __all__: {missing}"
