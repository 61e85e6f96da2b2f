"""Tell "not attempted" from "wrong", and flag what the code alone cannot settle.

A function (or class) whose definition is the starter's, whose body only holds placeholders
(`pass`, `return None`, ...), or that still raises NotImplementedError, was not attempted.
Reports and batch statistics show those apart from wrong answers, and a question that depends
on such a function (a loop cell calling `adam`) is not attempted either. Each kind says which
names and cells count for its questions (`QuestionKind.attempt`).

`flag_for_review` then looks at what a score cannot show: a graded name defined several times
(the last definition is graded, as Python keeps it, and the feedback says so; a later one that
is the released solution's code or sits under a "Solution" heading, or an attempt hidden by a
later stub, goes to a TA), and a notebook in which half or more of the questions are missing
(another assignment's notebook, or everything renamed).
"""

from __future__ import annotations

import functools
import itertools
from pathlib import Path

import nbformat

from grader import results as R
from grader.kinds.base import QuestionOutcome
from grader.kinds.registry import get_kind
from grader.kinds.starter import starter_notebook
from grader.notebook.attempt import (
    Definition,
    cell_code,
    definitions,
    notebook_definitions,
    placeholder_definitions,
    solution_heading,
    unchanged_definitions,
)
from grader.notebook.read import CellQuery, as_query
from grader.spec.models import Assignment


@functools.lru_cache(maxsize=32)
def _read_notebook(path: str, mtime: float) -> tuple[nbformat.NotebookNode, dict[str, str]]:
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
        return _read_notebook(str(path), Path(path).stat().st_mtime)
    if assignment.release.setup or any(q.prompt for q in assignment.questions):
        return None, _released_definitions(assignment)
    return None, {}


def _solution(assignment: Assignment) -> dict[str, str]:
    """The solution notebook's definitions, when the assignment has one here (a Gradescope copy does not)."""
    path = assignment.solution_path
    if path is None or not path.is_file():
        return {}
    try:
        return _read_notebook(str(path), path.stat().st_mtime)[1]
    except (OSError, ValueError):  # unreadable: `grade validate` reports it; grading goes on without it
        return {}


def _starter_cell_unchanged(nb: nbformat.NotebookNode, assignment: Assignment, marker: str | CellQuery) -> bool:
    starter, _ = _starter(assignment)
    mine = cell_code(nb, marker)
    return starter is not None and mine is not None and mine == cell_code(starter, marker)


def _names(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def mark_unattempted(assignment: Assignment, nb: nbformat.NotebookNode, outcomes: dict[str, QuestionOutcome]) -> None:
    """Questions that lost points on code still as the starter has it, or on blank stubs, become `not_attempted`."""
    unchanged: set[str] | None = None
    blank: set[str] = set()
    for q in assignment.questions:
        attempt = get_kind(q.kind).attempt(q)
        outcome = outcomes.get(q.id)
        if not (attempt.names or attempt.cell) or outcome is None or outcome.status == R.NOT_ATTEMPTED:
            continue
        if all(c.passed for c in outcome.checks) and not attempt.required:
            continue  # right is right, even if it is the starter's code
        if attempt.cell and _starter_cell_unchanged(nb, assignment, attempt.cell):
            outcomes[q.id] = QuestionOutcome.not_attempted(
                outcome.checks, f"{as_query(attempt.cell).describe()} is still as in the starter notebook.")
            continue
        if unchanged is None:
            unchanged, blank = unchanged_definitions(nb, _starter(assignment)[1]), placeholder_definitions(nb)
        left = [n for n in attempt.names if n in unchanged]
        empty = [n for n in attempt.names if n in blank and n not in unchanged]
        why = []
        if left:
            why.append(f"{_names(left)} {'is' if len(left) == 1 else 'are'} still as in the starter notebook")
        if empty:
            why.append(f"{_names(empty)} {'has' if len(empty) == 1 else 'have'} no code yet (only placeholders "
                       "such as `pass`, `return None` or constants)")
        if why:
            outcomes[q.id] = QuestionOutcome.not_attempted(outcome.checks, "; ".join(why) + ".")


def _redefinition_notes(nb: nbformat.NotebookNode, name: str, found: list[Definition], starter: dict[str, str],
                        solution: dict[str, str], not_attempted: bool) -> tuple[list[str], bool]:
    """What to tell about a name defined more than once, and whether a TA should look: a definition
    after the student's own attempt that is the solution's code or sits under a "Solution" heading, or
    an attempt that a later stub replaces."""
    last = found[-1]
    cells = ", ".join(str(d.cell + 1) for d in found)
    notes = [(f"`{name}` is defined {len(found)} times (cells {cells}); the last definition (cell {last.cell + 1}) "
              "is the one graded, as Python keeps the last.")]
    attempts = [not d.placeholder and d.code != starter.get(name) for d in found]
    for i, (previous, d) in enumerate(itertools.pairwise(found), start=1):
        if not any(attempts[:i]):
            continue  # written below the stub: the student's first attempt, not a second one
        heading = solution_heading(nb, d, previous)
        if d.code == solution.get(name):
            why = "is the released solution's code"
        elif heading is not None:
            why = f"follows the heading \"{heading}\""
        else:
            continue
        notes.append(f"The later definition in cell {d.cell + 1} {why}; flagged for review.")
        return notes, True
    if not_attempted:
        tried = [d for d, attempt in zip(found[:-1], attempts) if attempt and d.code != last.code]
        if tried:
            notes.append(f"The definition in cell {tried[-1].cell + 1} is an attempt, but the later one in cell "
                         f"{last.cell + 1} replaces it; flagged for review.")
            return notes, True
    return notes, False


def _flag_redefinitions(assignment: Assignment, nb: nbformat.NotebookNode, outcomes: dict[str, QuestionOutcome]) -> None:
    defs = definitions(nb)
    several = {name: found for name, found in defs.items() if len({d.code for d in found}) > 1}
    if not several:
        return
    starter, solution = _starter(assignment)[1], _solution(assignment)
    for q in assignment.questions:
        outcome = outcomes.get(q.id)
        if outcome is None:
            continue
        for name in get_kind(q.kind).attempt(q).names:
            if name in several:
                notes, review = _redefinition_notes(nb, name, several[name], starter, solution,
                                                    outcome.status == R.NOT_ATTEMPTED)
                outcome.feedback = "\n".join(filter(None, [outcome.feedback, *notes]))
                outcome.needs_review = outcome.needs_review or review


def _flag_mostly_missing(assignment: Assignment, outcomes: dict[str, QuestionOutcome]) -> None:
    missing = [q.id for q in assignment.questions if q.id in outcomes and outcomes[q.id].status == R.MISSING]
    if not missing or 2 * len(missing) < len(assignment.questions):
        return
    for qid in missing:
        outcomes[qid].needs_review = True
    first = outcomes[missing[0]]
    note = (f"{len(missing)} of the {len(assignment.questions)} questions were not found in this notebook: it may be "
            "another assignment's notebook, or its functions and answers were renamed; flagged for review.")
    first.feedback = "\n".join(filter(None, [first.feedback, note]))


def flag_for_review(assignment: Assignment, nb: nbformat.NotebookNode, outcomes: dict[str, QuestionOutcome]) -> None:
    """Notes and review flags for what the score alone would hide (run after `mark_unattempted`)."""
    _flag_redefinitions(assignment, nb, outcomes)
    _flag_mostly_missing(assignment, outcomes)
