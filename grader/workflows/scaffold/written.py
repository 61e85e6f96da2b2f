"""A written question from the solution's answer cell: the quantity it derives (the target, the left
side of its final equation), its final expression as the expected answer (sympy text), and
definitions of the functions the answer is written in when the blank defines them (the sheet's
"σ(x) = 1/(1 + e^{-x})"), so a student who writes the same answer expanded is still right.

The translation is checked before it is used: the solution's own cell must come out correct
against it, else the question is left out (with the reason) rather than written wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import nbformat
import sympy as sp
from sympy.core.function import AppliedUndef

from grader.symbolic import check_answer
from grader.symbolic.check import Question, Selector, TargetMatcher, extract
from grader.workflows.scaffold.questions import WrittenFinding


@dataclass
class WrittenPlan:
    target: str
    expected: str
    definitions: dict[str, str]
    read_as: str  # the solution's final answer as written there (LaTeX)


class CannotRead(Exception):
    """The solution's answer could not be read as one expression for one quantity."""


def _final(text: str) -> tuple[str | None, str, sp.Basic]:
    q = Question.build("0").for_answer(text)
    selection = Selector(TargetMatcher(q.target, variables=q.variables), q.prep, q.variables, q.functions,
                         q.cfg).select(extract(text, q.cfg))
    if selection.failure is not None or selection.choice is None:
        raise CannotRead("no final expression could be read from the solution's answer"
                         + (f" ({selection.failure.error})" if selection.failure is not None else ""))
    c = selection.choice
    return c.lhs_latex, c.latex, c.expr


def plan(finding: WrittenFinding, blank: nbformat.NotebookNode) -> WrittenPlan:
    lhs, latex, expr = _final(finding.solution_text)
    if not lhs:
        raise CannotRead(f"the solution's answer `{latex}` does not say what it is (no `f'(x) = …`)")
    expected = sp.sstr(expr)
    definitions = _definitions(expr, blank, finding.blank_cell)
    for defs in (definitions, {}):
        result = check_answer(finding.solution_text, expected, target=lhs, definitions=defs or None, timeout=5)
        if result.status == "correct":
            return WrittenPlan(lhs, expected, defs, latex)
    raise CannotRead(f"the solution's own answer is not read back as correct ({result.status}: {result.message})")


def _definitions(expr: sp.Basic, blank: nbformat.NotebookNode, before: int) -> dict[str, str]:
    """`{"sigma(x)": "1/(exp(-x) + 1)"}` for each function in the answer that a markdown cell of the
    blank, before the answer, defines by an equation `σ(x) = …` whose right side uses no such function."""
    wanted = {f.func.__name__ for f in expr.atoms(AppliedUndef)}
    out: dict[str, str] = {}
    for cell in blank.cells[:before]:
        if cell.cell_type != "markdown" or not wanted - set(out):
            continue
        q = Question.build("0").for_answer(cell.source)
        for cand in extract(cell.source, q.cfg).candidates:
            lhs, rhs = cand.lhs, cand.final
            if not isinstance(lhs, AppliedUndef) or lhs.func.__name__ not in wanted or lhs.func.__name__ in out:
                continue
            if rhs.atoms(AppliedUndef) or not all(isinstance(a, sp.Symbol) for a in lhs.args):
                continue
            out[f"{lhs.func.__name__}({', '.join(map(str, lhs.args))})"] = sp.sstr(rhs)
    return out
