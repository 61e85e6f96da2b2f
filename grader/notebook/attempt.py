"""Code as the starter notebook has it, compared by its syntax tree.

A definition whose tree is the starter's, once comments, docstrings and whitespace are set
aside, was not attempted. This module only compares notebooks; which starter to compare with,
and what it means for a question's score, is `grader.grading.attempt`.
"""

from __future__ import annotations

import ast
import warnings

import nbformat

from grader.notebook.read import last_code_cell


def _parse(source: str) -> ast.Module | None:
    """The student's code as a tree; its own warnings ('\\p' in a non-raw string) are not the grader's."""
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
        body = n.body if "body" in n._fields and isinstance(n.body, list) else None  # defs, loops, ifs...
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
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


def cell_code(nb: nbformat.NotebookNode, marker: str) -> str | None:
    """The normalised code of the last code cell containing `marker` (comments and layout aside)."""
    index = last_code_cell(nb, marker)
    tree = _parse(nb.cells[index].source) if index is not None else None
    return None if tree is None else _dump(tree)


def unchanged_definitions(nb: nbformat.NotebookNode, starter: dict[str, str]) -> set[str]:
    """Names whose definition in the notebook is exactly the starter's."""
    return {name for name, code in notebook_definitions(nb).items() if starter.get(name) == code}
