"""The package's shape is part of its contract: stages in order, no circles, no hidden imports.

A submission's path reads top to bottom: spec -> notebook | kernel | symbolic -> kinds ->
grading | report -> workflows -> serve -> cli. A lower stage never imports a higher one, stages in the
same layer never import each other, and no grader import hides inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "grader"

# low -> high; packages in one tuple are independent of each other
LAYERS: list[tuple[str, ...]] = [
    ("grader.errors", "grader.results", "grader.files", "grader.version", "grader.interrupt"),
    ("grader.spec",),
    ("grader.notebook", "grader.kernel", "grader.symbolic"),
    ("grader.kinds",),
    ("grader.grading", "grader.report"),
    ("grader.workflows",),
    ("grader.serve",),  # grade serve: a web app over the batch workflow's gradebook
    ("grader.cli",),
]
FACADES = {"grader", "grader.__main__"}  # the package's public entry points may import any stage


def _modules() -> dict[str, Path]:
    out = {}
    for path in PKG.rglob("*.py"):
        parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Line numbers of imports under `if TYPE_CHECKING:` (annotations only, never run)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Import, ast.ImportFrom)):
                    lines.add(sub.lineno)
    return lines


def _imports(name: str, path: Path) -> list[tuple[str, int, bool]]:
    """(imported grader module, line, inside a function) for every grader import in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_only(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nested = {id(sub) for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
              for sub in ast.walk(fn)}
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)) or node.lineno in skip:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            # `from pkg import mod` imports the module pkg.mod
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        for t in targets:
            if t in MODULES:
                out.append((t, node.lineno, id(node) in nested))
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> tuple[int, str] | None:
    for i, layer in enumerate(LAYERS):
        for pkg in layer:
            if module == pkg or module.startswith(pkg + "."):
                return i, pkg
    return None


def test_every_module_belongs_to_a_stage():
    strays = [m for m in MODULES if m not in FACADES and _layer(m) is None]
    assert not strays, f"modules outside every stage package: {strays}"


def test_no_upward_or_sideways_imports():
    bad = []
    for module, imports in GRAPH.items():
        here = _layer(module)
        if here is None:
            continue
        for target, line, _ in imports:
            there = _layer(target)
            if there is None:
                bad.append(f"{module}:{line} imports the facade {target}")
            elif there[0] > here[0]:
                bad.append(f"{module}:{line} imports {target}, a higher stage")
            elif there[0] == here[0] and there[1] != here[1]:
                bad.append(f"{module}:{line} imports {target}, an independent stage of its layer")
    assert not bad, "\n".join(bad)


def test_no_grader_import_inside_a_function():
    hidden = [f"{m}:{line} imports {t} inside a function" for m, imports in GRAPH.items()
              for t, line, nested in imports if nested]
    assert not hidden, "\n".join(hidden)


def test_no_import_circles():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w, _, _ in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or any(t == v for t, _, _ in GRAPH[v]):
                cycles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert not cycles, f"import circles: {cycles}"


@pytest.mark.parametrize("module", ["grader.spec", "grader.notebook", "grader.kernel", "grader.symbolic"])
def test_lower_stages_import_without_the_kinds(module):
    """The model and loading layers must not pull the question kinds in (spec <-> kinds was a circle)."""
    import subprocess
    import sys

    code = f"import sys, {module}; print(any(m.startswith('grader.kinds') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
