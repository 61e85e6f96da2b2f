"""Cells, both ways: those a question contributes to the students' starter notebook (and their
placeholders), and how a question names a course's own cell in the student's notebook.

Kinds build their `starter_cells` from the former; `grader.kinds.starter` puts them together.
`CellShape` is the YAML for the latter (`cell:` beside `after:`), turned into the notebook stage's
`CellQuery` by `cell_query`; `CellQuestion` is what the kinds that read such a cell (state, output,
figure) share in their questions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import Field, model_validator

from grader.notebook.read import CellQuery
from grader.spec.models import Model, QuestionBase

ANSWER_PLACEHOLDER = "YOUR ANSWER HERE (write your derivation in LaTeX math, e.g. $$f'(x) = ...$$)"
CODE_PLACEHOLDER = "    # YOUR CODE HERE\n    raise NotImplementedError"


@dataclass
class StarterCell:
    kind: str  # "markdown" | "code"
    source: str
    tags: list[str] = field(default_factory=list)


def prompt_cells(question: QuestionBase) -> list[StarterCell]:
    """The question's prompt, or its title when the author wrote none."""
    text = question.prompt or f"**{question.display_title}**"
    return [StarterCell("markdown", text.rstrip())]


def function_stub(signature: str) -> str:
    return f"def {signature}:\n{CODE_PLACEHOLDER}\n"


class CellShape(Model):
    """What a course's cell does, so it is found however its comments were edited; `after:` is then a hint.

    `nth`/`of` tell apart cells that do the same thing (the momentum and the Nesterov loop): the `nth`
    of them (1-based, negative from the end), trusted only when the notebook has `of` of them, as the
    starter does."""

    assigns: list[str] = Field(default_factory=list)
    in_loop: bool = False
    calls: list[str] = Field(default_factory=list)
    uses: list[str] = Field(default_factory=list)
    nth: int | None = None
    of: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _position(self) -> CellShape:
        if self.nth == 0:
            raise ValueError("`nth` counts from 1 (or from the end with -1)")
        if self.of is not None and (self.nth is None or abs(self.nth) > self.of):
            raise ValueError("`of` needs an `nth` between 1 and `of` (or -1 to -`of`)")
        return self


def cell_query(hint: str | None, shape: CellShape | None, assigns: list[str] | None = None) -> CellQuery:
    """The query for a question's cell: `shape`, plus the names it must assign anyway (a state
    question's variable), with `hint` (the `after:` text) to prefer among the cells that fit."""
    s = shape or CellShape()
    names = tuple(dict.fromkeys([*(assigns or []), *s.assigns]))
    return CellQuery(hint, names, s.in_loop, tuple(s.calls), tuple(s.uses), s.nth, s.of)


class CellQuestion(QuestionBase):
    """A question about one of the course's own cells, found by what its code does (`cell:`) with
    the text it usually contains (`after:`) as a hint: students edit and delete the TODO comments."""

    after: str | None = None  # text the cell usually contains, e.g. "grad_path1 = adam(": a hint, see `cell`
    cell: CellShape | None = None  # what the cell's code does, which finds it when the text was edited away

    @model_validator(mode="after")
    def _findable(self) -> CellQuestion:
        if not (self.after or self.locator().structural):
            raise ValueError("give `after:` (text the cell contains) or `cell:` (what its code does)")
        return self

    def locator(self) -> CellQuery:
        """How to find the question's cell in a notebook (`grader.notebook.read.locate_cell`)."""
        return cell_query(self.after, self.cell)
