"""What the notebook's own code says about an attempt, read from its syntax trees.

A definition whose tree is the starter's, once comments, docstrings and whitespace are set
aside, was not attempted; nor was one whose body only holds placeholders (`pass`, `...`, a
docstring, constants assigned to names, `return None`, `raise NotImplementedError`), whatever
the starter says. A name defined more than once is graded by its last definition, as Python
runs the notebook; `Definition` keeps each one's place so the grader can say which it graded
and under which heading it sits. This module only reads notebooks; which starter or solution to
compare with, and what it means for a question's score, is `grader.grading.attempt`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import nbformat

from grader.notebook.read import CellQuery, locate_cell, parse_code


def _dump(node: ast.AST) -> str:
    return ast.dump(node, annotate_fields=False, include_attributes=False)


def _strip_docstrings(node: ast.AST) -> ast.AST:
    for n in ast.walk(node):
        body = n.body if "body" in n._fields and isinstance(n.body, list) else None  # defs, loops, ifs...
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            n.body = body[1:] or [ast.Pass()]
    return node


# ---------------------------------------------------------------------------- placeholder bodies

def _constant(node: ast.expr | None) -> bool:
    """A literal: `1e-8`, `-1`, `None`, `"todo"`, `(0, 1)`."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _constant(node.operand)
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_constant(e) for e in node.elts)
    return False


def _names(target: ast.expr) -> list[str] | None:
    """The plain names an assignment binds, or None when it writes elsewhere (`x[0] = ...`, `self.a = ...`)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        parts = [_names(e) for e in target.elts]
        return None if any(p is None for p in parts) else [n for p in parts if p for n in p]
    return None


def _not_implemented(node: ast.Raise) -> bool:
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    args_ok = not isinstance(node.exc, ast.Call) or all(_constant(a) for a in node.exc.args)
    return isinstance(exc, ast.Name) and exc.id in ("NotImplementedError", "NotImplemented") and args_ok


def _placeholder_body(body: list[ast.stmt]) -> bool:
    """Straight-line code that computes nothing: what a blank stub holds."""
    none: set[str] = set()  # names whose value is None (`activation = None` ... `return activation`)
    for stmt in body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a docstring, `...`
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            value = stmt.value
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            bound = [_names(t) for t in targets]
            if value is not None and not _constant(value) or any(b is None for b in bound):
                return False
            is_none = value is None or isinstance(value, ast.Constant) and value.value is None
            for n in (n for names in bound for n in names or []):
                if is_none:
                    none.add(n)
                else:
                    none.discard(n)
            continue
        if isinstance(stmt, ast.Return):
            v = stmt.value
            if v is None or isinstance(v, ast.Constant) and v.value is None or isinstance(v, ast.Name) and v.id in none:
                continue
            return False
        if isinstance(stmt, ast.Raise) and stmt.exc is not None and _not_implemented(stmt):
            continue
        return False
    return True


def is_placeholder(node: ast.AST) -> bool:
    """A function that returns nothing yet, or a class all of whose code is such functions."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return _placeholder_body(node.body)
    if isinstance(node, ast.ClassDef):
        methods = [s for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
        rest = [s for s in node.body if s not in methods]
        return all(map(is_placeholder, methods)) and _placeholder_body(rest)
    return False


# ---------------------------------------------------------------------------- definitions

@dataclass(frozen=True)
class Definition:
    """One top-level `def` or `class` in the notebook."""

    name: str
    cell: int          # index into nb.cells
    line: int          # 1-based line in that cell
    code: str          # the normalised tree: comments, docstrings and layout aside
    placeholder: bool  # the body returns nothing yet (see `is_placeholder`)


def _rebinds(node: ast.stmt) -> list[str]:
    """Names a top-level statement other than a definition binds: `sigmoid = my_sigmoid`, `from m import relu`."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    targets = node.targets if isinstance(node, ast.Assign) else \
        [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
    return [n for t in targets for n in _names(t) or []]


def definitions(nb: nbformat.NotebookNode) -> dict[str, list[Definition]]:
    """name -> every top-level definition of it, in notebook order (the last is the one Python keeps).

    A name whose last top-level binding is not a `def` or `class` (`sigmoid = my_sigmoid`, an import)
    is left out: what the kernel calls by that name is not any of its definitions."""
    out: dict[str, list[Definition]] = {}
    rebound: set[str] = set()
    for index, cell in enumerate(nb.cells):
        tree = parse_code(cell.source) if cell.cell_type == "code" else None
        for node in tree.body if tree is not None else []:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                rebound.discard(node.name)
                out.setdefault(node.name, []).append(
                    Definition(node.name, index, node.lineno, _dump(_strip_docstrings(node)), is_placeholder(node)))
            else:
                rebound.update(_rebinds(node))
    return {name: defs for name, defs in out.items() if name not in rebound}


def notebook_definitions(nb: nbformat.NotebookNode) -> dict[str, str]:
    """name -> normalised definition, for every top-level def/class (the last one of a name wins)."""
    return {name: defs[-1].code for name, defs in definitions(nb).items()}


def cell_code(nb: nbformat.NotebookNode, marker: str | CellQuery) -> str | None:
    """The normalised code of the cell `marker` locates (comments and layout aside)."""
    index = locate_cell(nb, marker).index
    tree = parse_code(nb.cells[index].source) if index is not None else None
    return None if tree is None else _dump(tree)


def unchanged_definitions(nb: nbformat.NotebookNode, starter: dict[str, str]) -> set[str]:
    """Names whose definition in the notebook is exactly the starter's."""
    return {name for name, code in notebook_definitions(nb).items() if starter.get(name) == code}


def placeholder_definitions(nb: nbformat.NotebookNode) -> set[str]:
    """Names whose (last) definition only holds placeholders: nothing attempted, whatever the starter."""
    return {name for name, defs in definitions(nb).items() if defs[-1].placeholder}


# ---------------------------------------------------------------------------- solution headings

# "Solution", "Correction", "Corrected version", "Musterlösung"; not the sheet's own "Your Solution:".
_SOLUTION_WORD = re.compile(r"(?<!your )(?<!my )(?<!our )\b(solutions?|corrections?|corrected|(muster)?lösung)\b", re.IGNORECASE)
_HEADING_LINE = re.compile(r"^\s{0,3}(?:#{1,6}\s+(?P<h>.+?)|\*\*(?P<b>.+?)\*\*:?|__(?P<u>.+?)__:?)\s*$")


def _solution_word(text: str) -> bool:
    return bool(_SOLUTION_WORD.search(re.sub(r"\s+", " ", text)))


def _markdown_heading(source: str) -> str | None:
    """The last heading in a markdown cell: a `#` line, or a line that is only bold text."""
    last = None
    for line in source.splitlines():
        m = _HEADING_LINE.match(line)
        if m:
            last = (m.group("h") or m.group("b") or m.group("u") or "").strip(" #*_:")
    return last


def solution_heading(nb: nbformat.NotebookNode, d: Definition, after: Definition | None) -> str | None:
    """The 'Solution' / 'Correction' heading `d` sits under, if any, between `after` (the previous
    definition of the name) and `d`: a comment in `d`'s cell above it, else the nearest markdown heading."""
    lines = nb.cells[d.cell].source.splitlines()[:d.line - 1]
    start = after.line if after is not None and after.cell == d.cell else 0
    for line in reversed(lines[start:]):
        text = line.strip()
        if text.startswith("#") and _solution_word(text.lstrip("# ")):
            return text.lstrip("# ").strip()
    if after is not None and after.cell == d.cell:
        return None
    for index in range(d.cell - 1, after.cell if after is not None else -1, -1):
        cell = nb.cells[index]
        heading = _markdown_heading(cell.source) if cell.cell_type == "markdown" else None
        if heading is not None:
            return heading if _solution_word(heading) else None
    return None
