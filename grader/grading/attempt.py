"""Tell "not attempted" from "wrong": code still as in the starter notebook.

A function (or class) whose definition is the starter's, or that still raises
NotImplementedError, was not attempted. Reports and batch statistics show those apart from
wrong answers, and a question that depends on such a function (a loop cell calling `adam`) is
not attempted either. Each kind says which names and cells count for its questions
(`QuestionKind.attempt`).
"""

from __future__ import annotations

import functools
from pathlib import Path

import nbformat

from grader import results as R
from grader.kinds.base import QuestionOutcome
from grader.kinds.registry import get_kind
from grader.kinds.starter import starter_notebook
from grader.notebook.attempt import (
    cell_code,
    notebook_definitions,
    unchanged_definitions,
)
from grader.spec.models import Assignment


@functools.lru_cache(maxsize=32)
def _read_starter(path: str, mtime: float) -> tuple[nbformat.NotebookNode, dict[str, str]]:
    nb = nbformat.read(path, as_version=4)
    return nb, notebook_definitions(nb)


_RELEASED: dict[str, dict[str, str]] = {}  # assignment (as JSON) -> definitions of its released starter


def _released_definitions(assignment: Assignment) -> dict[str, str]:
    key = assignment.model_dump_json()
    if key not in _RELEASED:
        if len(_RELEASED) >= 32:
            _RELEASED.clear()
        _RELEASED[key] = notebook_definitions(starter_notebook(assignment))
    return _RELEASED[key]


def _starter(assignment: Assignment) -> tuple[nbformat.NotebookNode | None, dict[str, str]]:
    """The starter (when it is a file) and its definitions: the named starter notebook, else what
    `grade release` writes. Both are read once per file version, not once per submission."""
    path = assignment.starter_path
    if path is not None and Path(path).is_file():
        return _read_starter(str(path), Path(path).stat().st_mtime)
    if assignment.release.setup or any(q.prompt for q in assignment.questions):
        return None, _released_definitions(assignment)
    return None, {}


def _starter_cell_unchanged(nb: nbformat.NotebookNode, assignment: Assignment, marker: str) -> bool:
    starter, _ = _starter(assignment)
    mine = cell_code(nb, marker)
    return starter is not None and mine is not None and mine == cell_code(starter, marker)


def mark_unattempted(assignment: Assignment, nb: nbformat.NotebookNode, outcomes: dict[str, QuestionOutcome]) -> None:
    """Questions that lost points on code still as the starter has it become `not_attempted`."""
    names = None
    for q in assignment.questions:
        attempt = get_kind(q.kind).attempt(q)
        outcome = outcomes.get(q.id)
        if not (attempt.names or attempt.cell) or outcome is None or outcome.status == R.NOT_ATTEMPTED:
            continue
        if all(c.passed for c in outcome.checks) and not attempt.required:
            continue  # right is right, even if it is the starter's code
        if attempt.cell and _starter_cell_unchanged(nb, assignment, attempt.cell):
            outcomes[q.id] = QuestionOutcome.not_attempted(
                outcome.checks, f"the cell containing `{attempt.cell}` is still as in the starter notebook.")
            continue
        if names is None:
            names = unchanged_definitions(nb, _starter(assignment)[1])
        left = [n for n in attempt.names if n in names]
        if left:
            which = ", ".join(f"`{n}`" for n in left)
            outcomes[q.id] = QuestionOutcome.not_attempted(
                outcome.checks, f"{which} {'is' if len(left) == 1 else 'are'} still as in the starter notebook.")
