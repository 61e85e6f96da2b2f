"""Tell "not attempted" from "wrong": code still as in the starter notebook.

A function (or class) whose definition is the starter's, once comments, docstrings and
whitespace are set aside, was not attempted; so was one that still raises
NotImplementedError. Reports and batch statistics show those apart from wrong answers, and a
question that depends on such a function (a loop cell calling `adam`) is not attempted either.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import Any

import nbformat

from .notebook import last_code_cell


def _parse(source: str) -> ast.Module | None:
    """The student's code as a tree; its own warnings ('\\p' in a non-raw string) are not the grader's."""
    import warnings

    source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(source)
        except (SyntaxError, ValueError):
            return None


def _dump(node: ast.AST) -> str:
    return ast.dump(node, annotate_fields=False, include_attributes=False)


def _strip_docstrings(node: ast.AST) -> ast.AST:
    for n in ast.walk(node):
        body = getattr(n, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and \
                isinstance(getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str):
            n.body = body[1:] or [ast.Pass()]
    return node


def notebook_definitions(nb: nbformat.NotebookNode) -> dict[str, str]:
    """name -> normalised definition, for every top-level def/class (the last one of a name wins)."""
    out: dict[str, str] = {}
    for cell in nb.cells:
        tree = _parse(cell.source) if cell.cell_type == "code" else None
        for node in tree.body if tree is not None else []:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out[node.name] = _dump(_strip_docstrings(node))
    return out


def _cell_code(nb: nbformat.NotebookNode, marker: str) -> str | None:
    """The normalised code of the last code cell containing `marker` (comments and layout aside)."""
    index = last_code_cell(nb, marker)
    tree = _parse(nb.cells[index].source) if index is not None else None
    return None if tree is None else _dump(tree)


@functools.lru_cache(maxsize=32)
def _read_starter(path: str, mtime: float) -> tuple[nbformat.NotebookNode, dict[str, str]]:
    nb = nbformat.read(path, as_version=4)
    return nb, notebook_definitions(nb)


_RELEASED: dict[str, dict[str, str]] = {}  # assignment (as JSON) -> definitions of its released starter


def _released_definitions(assignment: Any) -> dict[str, str]:
    from .release import starter_notebook

    key = assignment.model_dump_json()
    if key not in _RELEASED:
        if len(_RELEASED) >= 32:
            _RELEASED.clear()
        _RELEASED[key] = notebook_definitions(starter_notebook(assignment))
    return _RELEASED[key]


def _starter(assignment: Any) -> tuple[nbformat.NotebookNode | None, dict[str, str]]:
    """The starter (when it is a file) and its definitions: the named starter notebook, else what
    `grade release` writes. Both are read once per file version, not once per submission."""
    path = assignment.starter_path
    if path is not None and Path(path).is_file():
        return _read_starter(str(path), Path(path).stat().st_mtime)
    if assignment.release.setup or any(getattr(q, "prompt", None) for q in assignment.questions):
        return None, _released_definitions(assignment)
    return None, {}


def unattempted(nb: nbformat.NotebookNode, assignment: Any) -> set[str]:
    """Names whose definition in the notebook is exactly the starter's."""
    _, starter = _starter(assignment)
    if not starter:
        return set()
    return {name for name, code in notebook_definitions(nb).items() if starter.get(name) == code}


def _starter_cell_unchanged(nb: nbformat.NotebookNode, assignment: Any, marker: str) -> bool:
    starter, _ = _starter(assignment)
    mine = _cell_code(nb, marker)
    return starter is not None and mine is not None and mine == _cell_code(starter, marker)


def mark_unattempted(assignment: Any, nb: nbformat.NotebookNode, outcomes: dict[str, Any]) -> None:
    """Questions that lost points on code still as the starter has it become `not_attempted`."""
    from . import results as R
    from .checks.base import QuestionOutcome

    names = None
    for q in assignment.questions:
        own = [n for n in [getattr(q, "function", None), *getattr(q, "depends", [])] if n]
        in_cell = getattr(q, "todo_in_cell", False)
        outcome = outcomes.get(q.id)
        if not (own or in_cell) or outcome is None or outcome.status == R.NOT_ATTEMPTED:
            continue
        if all(c.passed for c in outcome.checks) and not getattr(q, "attempt_required", False):
            continue  # right is right, even if it is the starter's code
        if in_cell and _starter_cell_unchanged(nb, assignment, q.after):
            outcomes[q.id] = QuestionOutcome.not_attempted(
                outcome.checks, f"the cell containing `{q.after}` is still as in the starter notebook.")
            continue
        if names is None:
            names = unattempted(nb, assignment)
        left = [n for n in own if n in names]
        if left:
            which = ", ".join(f"`{n}`" for n in left)
            outcomes[q.id] = QuestionOutcome.not_attempted(
                outcome.checks, f"{which} {'is' if len(left) == 1 else 'are'} still as in the starter notebook.")
