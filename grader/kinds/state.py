"""Checks on notebook state: a variable's value after the cell that builds it, and a cell's output.

Course notebooks (the Understanding Deep Learning ones, for instance) put some exercises as
`TO DO` lines inside cells that run loops, e.g. `grad_path1 = adam(start_posn, ...)`. The
grader reads the variable right after that cell runs (a later cell may overwrite it) and
compares it, outside the kernel, with what the instructor's reference computes for the same
cell. `output` questions read what a cell printed.

The cell is found by what its code does (a state question's cell assigns its variable; `cell:`
adds the rest, e.g. inside a loop, next to `momentum`), with the `after:` text as a hint: students
edit and delete the TODO comments. A cell that cannot be told is flagged for review, not scored 0.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import numpy as np
from pydantic import Field

from grader import results as R
from grader.kernel.errors import KernelError
from grader.kinds.base import (
    Attempt,
    CheckContext,
    CheckOutcome,
    QuestionKind,
    QuestionOutcome,
    Watch,
)
from grader.kinds.cells import CellQuestion, cell_query
from grader.kinds.compare import compare
from grader.kinds.references import evaluate_reference, reference_module
from grader.kinds.registry import register
from grader.notebook.read import CellQuery, Located, locate_cell
from grader.spec.models import QuestionBase, Tolerance


class _CellQuestion(CellQuestion):
    reference: str  # expression over `ref` (the assignment's reference.py), e.g. "ref.adam_path1()"
    tolerance: Tolerance = Field(default_factory=Tolerance)
    depends: list[str] = Field(default_factory=list)  # the student functions the cell calls (for "not attempted")
    todo_in_cell: bool = False  # the exercise is lines inside this cell: unchanged from the starter = not attempted

    def check_names(self) -> list[str]:
        return ["value"]


class StateQuestion(_CellQuestion):
    kind: Literal["state"] = "state"
    variable: str

    def locator(self) -> CellQuery:
        return cell_query(self.after, self.cell, [self.variable])  # the cell that builds it assigns it


class OutputQuestion(_CellQuestion):
    kind: Literal["output"] = "output"


def cell_error(ctx: CheckContext, index: int) -> str:
    return next((e.message for e in ctx.events if e.cell_index == index and e.kind in ("error", "timeout", "kernel_died")), "")


def missing(q: _CellQuestion, why: str, status: str = R.MISSING) -> QuestionOutcome:
    return QuestionOutcome([CheckOutcome("value", False, status=status)], status=status, feedback=why)


def not_located(q: QuestionBase, found: Located, what: str) -> QuestionOutcome:
    """The cell could not be told from the others: a TA should look; the student is not scored 0 for it."""
    return QuestionOutcome([CheckOutcome(n, False, status=R.UNDECIDED) for n in q.check_names()], status=R.UNDECIDED,
                           needs_review=True, feedback=(f"Could not locate {what}: {found.note}. "
                                                        "Flagged for review: a TA will find the cell by hand."))


def failed_in_cell(checks: list[CheckOutcome], found: Located, text: str = "", status: str | None = None) -> QuestionOutcome:
    """A wrong value, saying how its cell was found when that was not by its hint; a cell found by its
    text alone, whose code does not do what the question expects, goes to a TA as well."""
    review = "" if found.trusted else "Flagged for review."
    return QuestionOutcome(checks, status=status, feedback=" ".join(filter(None, [text, found.note, review])),
                           needs_review=not found.trusted)


class CellKind(QuestionKind):
    """What the kinds that look at a course's own cell share: in the released starter that cell is
    the course's (only the prompt is the grader's), and it is attempted when the functions it
    calls, or its TODO lines, are no longer the starter's."""

    def attempt(self, q: Any) -> Attempt:
        return Attempt(list(q.depends), q.locator() if q.todo_in_cell else None)


class StateKind(CellKind):
    name = "state"
    model = StateQuestion

    def watches(self, q: StateQuestion) -> list[Watch]:
        return [Watch(q.locator(), [q.variable])]

    def prepare(self, q: StateQuestion, assignment: Any) -> Any:
        return evaluate_reference(q.reference, q.id, reference_module(assignment))

    async def check(self, q: StateQuestion, expected: Any, ctx: CheckContext) -> QuestionOutcome:
        found = locate_cell(ctx.notebook, q.locator())
        index = found.index
        if index is None:
            return not_located(q, found, f"the cell that builds `{q.variable}`")
        snap = ctx.snapshots.get(q.id)
        error = cell_error(ctx, index)
        if snap is None or isinstance(snap[1], KernelError):
            why = f" ({snap[1]})" if snap else ""
            return missing(q, f"Cell {index + 1}, which builds `{q.variable}`, did not finish"
                               f"{': ' + error if error else why}.", R.ERROR)
        value = snap[1].get(q.variable)
        if value is None:
            return failed_in_cell([CheckOutcome("value", False, status=R.MISSING)], found,
                           f"`{q.variable}` is not defined after cell {index + 1}"
                           f"{' (the cell raised ' + error + ')' if error else ''}.", R.MISSING)
        verdict = compare(value, expected, rtol=q.tolerance.rtol, atol=q.tolerance.atol, arg_names=[], args=[],
                          array=ctx.assignment.array_library)
        if verdict.passed:
            return QuestionOutcome([CheckOutcome("value", True, feedback=verdict.note)])
        text = f"`{q.variable}` after cell {index + 1} {verdict.message}"
        if error:
            text += f" The cell raised {error}."
        return failed_in_cell([CheckOutcome("value", False, feedback=text)], found)


_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")  # not the 1 of beta_1


class OutputKind(CellKind):
    """The numbers a cell printed, against the reference's numbers, in order."""

    name = "output"
    model = OutputQuestion

    def prepare(self, q: OutputQuestion, assignment: Any) -> Any:
        return np.atleast_1d(np.asarray(evaluate_reference(q.reference, q.id, reference_module(assignment)), dtype=np.float64))

    async def check(self, q: OutputQuestion, expected: Any, ctx: CheckContext) -> QuestionOutcome:
        found = locate_cell(ctx.notebook, q.locator())
        index = found.index
        if index is None:
            return not_located(q, found, "the cell whose printed numbers this question checks")
        cell = ctx.notebook.cells[index]
        text = "".join(o.get("text", "") for o in cell.get("outputs", [])  # what it printed, not figures' reprs
                       if o.get("output_type") == "stream" and o.get("name") == "stdout")
        numbers = [float(m) for m in _NUMBER.findall(text)]
        shown = text.strip().replace("\n", " ")[:200]
        if len(numbers) < expected.size:
            error = cell_error(ctx, index)
            why = f"it raised {error}" if error else f"it printed {shown!r}" if shown else "it printed nothing"
            return failed_in_cell([CheckOutcome("value", False)], found, f"Cell {index + 1} should print "
                           f"{expected.size} number(s); {why}.", R.ERROR if error else None)
        got = np.asarray(numbers[-expected.size:])
        ok = np.isclose(got, expected, rtol=q.tolerance.rtol, atol=q.tolerance.atol)
        if ok.all():
            return QuestionOutcome([CheckOutcome("value", True)])
        k = int(np.argmin(ok))
        return failed_in_cell([CheckOutcome("value", False)], found, f"Cell {index + 1} printed {shown!r}: "
                       f"value {k + 1} is {got[k]:.6g}, expected {expected[k]:.6g}.")


register(StateKind())
register(OutputKind())
