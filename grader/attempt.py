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



def _definitions(source: str) -> dict[str, str]:
    """name -> normalised definition, for every top-level def/class (the last one of a name wins)."""
    out: dict[str, str] = {}
    for cell in source.split("\n# <cell>\n"):
        tree = _parse(cell)
        if tree is None:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out[node.name] = ast.dump(_strip_docstrings(node), annotate_fields=False, include_attributes=False)
    return out


def _parse(source: str) -> ast.Module | None:
    """The student's code as a tree; its own warnings ('\\p' in a non-raw string) are not the grader's."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(source)
        except (SyntaxError, ValueError):
            return None


def _strip_docstrings(node: ast.AST) -> ast.AST:
    for n in ast.walk(node):
        body = getattr(n, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and \
                isinstance(getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str):
            n.body = body[1:] or [ast.Pass()]
    return node


def notebook_definitions(nb: nbformat.NotebookNode) -> dict[str, str]:
    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    return _definitions("\n# <cell>\n".join(_without_magics(c) for c in cells))


def _without_magics(src: str) -> str:
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in src.splitlines())


@functools.lru_cache(maxsize=32)
def _starter_definitions(path: str, mtime: float) -> dict[str, str]:
    return notebook_definitions(nbformat.read(path, as_version=4))


def starter_definitions(assignment: Any) -> dict[str, str]:
    """The starter's definitions: the named starter notebook, else what `grade release` writes."""
    path = assignment.starter_path
    if path is not None and Path(path).is_file():
        return _starter_definitions(str(path), Path(path).stat().st_mtime)
    if assignment.release.setup or any(getattr(q, "prompt", None) for q in assignment.questions):
        from .release import starter_notebook

        return notebook_definitions(starter_notebook(assignment))
    return {}


def unattempted(nb: nbformat.NotebookNode, assignment: Any) -> set[str]:
    """Names whose definition in the notebook is exactly the starter's."""
    starter = starter_definitions(assignment)
    if not starter:
        return set()
    mine = notebook_definitions(nb)
    return {name for name, code in mine.items() if starter.get(name) == code}


def _cell_code(nb: nbformat.NotebookNode, marker: str) -> str | None:
    """The normalised code of the last code cell containing `marker` (comments and layout aside)."""
    cells = [c.source for c in nb.cells if c.cell_type == "code" and marker in c.source]
    if not cells:
        return None
    tree = _parse(_without_magics(cells[-1]))
    return None if tree is None else ast.dump(tree, annotate_fields=False, include_attributes=False)


@functools.lru_cache(maxsize=32)
def _starter_notebook(path: str, mtime: float) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _starter_cell_unchanged(nb: nbformat.NotebookNode, assignment: Any, marker: str) -> bool:
    path = assignment.starter_path
    if path is None or not Path(path).is_file():
        return False
    mine = _cell_code(nb, marker)
    return mine is not None and mine == _cell_code(_starter_notebook(str(path), Path(path).stat().st_mtime), marker)


def mark_unattempted(assignment: Any, nb: nbformat.NotebookNode, outcomes: dict[str, Any]) -> None:
    """Questions that lost points on code still as the starter has it become `not_attempted`."""
    from . import results as R
    from .checks.base import CheckOutcome, QuestionOutcome

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
            outcomes[q.id] = QuestionOutcome(
                [CheckOutcome(c.name, False, status=R.NOT_ATTEMPTED, hidden=c.hidden) for c in outcome.checks],
                status=R.NOT_ATTEMPTED,
                feedback=f"Not attempted: the cell containing `{q.after}` is still as in the starter notebook.")
            continue
        if names is None:
            names = unattempted(nb, assignment)
        left = [n for n in own if n in names]
        if left:
            which = ", ".join(f"`{n}`" for n in left)
            outcomes[q.id] = QuestionOutcome(
                [CheckOutcome(c.name, False, status=R.NOT_ATTEMPTED, hidden=c.hidden) for c in outcome.checks],
                status=R.NOT_ATTEMPTED,
                feedback=f"Not attempted: {which} {'is' if len(left) == 1 else 'are'} still as in the starter notebook.")
