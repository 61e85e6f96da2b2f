"""Written answers: LaTeX in a markdown cell, compared with an expected sympy expression."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from grader import results as R
from grader.errors import SpecError
from grader.kinds.base import (
    METHOD_VALID,
    WRONG_STEP,
    CheckContext,
    CheckOutcome,
    QuestionKind,
    QuestionOutcome,
)
from grader.kinds.cells import ANSWER_PLACEHOLDER, StarterCell, prompt_cells
from grader.kinds.registry import register
from grader.notebook.answers import find_answer
from grader.spec.models import AnswerLocator, Model, QuestionBase
from grader.symbolic import SymbolicResult, question_for, shared_pool


class Mistake(Model):
    expr: str
    feedback: str
    credit: float = Field(default=0.0, ge=0, le=1)


class SymbolicQuestion(QuestionBase):
    kind: Literal["symbolic"] = "symbolic"
    answer: AnswerLocator
    expected: str
    target: str | None = None
    definitions: dict[str, str] = Field(default_factory=dict)
    # canonical name -> other spellings, each a name or LaTeX as in the sheet: {y_pred: ['\hat{y}', p]}
    aliases: dict[str, list[str]] = Field(default_factory=dict)
    assumptions: dict[str, dict[str, Any]] = Field(default_factory=dict)
    conventions: list[dict[str, Any]] = Field(default_factory=list)
    form: dict[str, list[str]] | None = None
    form_credit: float = Field(default=0.5, ge=0, le=1)  # equivalent but not in the required form
    mistakes: list[Mistake] = Field(default_factory=list)
    vectors: dict[str, str] = Field(default_factory=dict)  # vector -> softmax, real, positive, probability or onehot
    indices: list[str] = Field(default_factory=list)  # the expected answer is this entry ([i, j]) of a matrix
    timeout: float = Field(default=2.0, gt=0, le=30)

    @field_validator("aliases", mode="before")
    @classmethod
    def _single_alias(cls, value: Any) -> Any:
        """``{y_pred: '\\hat{y}'}``: one alias needs no list."""
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    def check_names(self) -> list[str]:
        return ["answer"]

    def settings(self) -> dict[str, Any]:
        """check_answer's keyword settings for this question (besides the expected answer and timeout)."""
        return {"definitions": self.definitions or None, "target": self.target, "aliases": self.aliases or None,
                "assumptions": self.assumptions or None, "conventions": self.conventions or None, "form": self.form,
                "mistakes": [m.model_dump() for m in self.mistakes] or None,
                "indices": self.indices or None, "vectors": self.vectors or None}


_STATUS = {
    "correct": R.PASSED, "wrong": R.FAILED, "wrong_form": R.PARTIAL, "known_mistake": R.FAILED,
    "unparsed": R.UNPARSED, "no_answer": R.NO_ANSWER, "undecided": R.UNDECIDED,
}


class SymbolicKind(QuestionKind):
    name = "symbolic"
    model = SymbolicQuestion
    needs_kernel = False

    def starter_cells(self, q: SymbolicQuestion) -> list[StarterCell]:
        return [*prompt_cells(q), StarterCell("markdown", ANSWER_PLACEHOLDER, [q.answer.tag or q.id])]

    def prepare(self, q: SymbolicQuestion, assignment: Any) -> Any:
        """Parse the author's side once, so a broken expected answer is a spec error, not a student's zero."""
        try:
            question_for(q.expected, **q.settings())  # cached: answers are read against this parse
        except ValueError as e:
            raise SpecError(f"question {q.id}: {e}") from None
        return None

    async def check(self, q: SymbolicQuestion, prepared: Any, ctx: CheckContext) -> QuestionOutcome:
        prompts = [o.answer.prompt for o in ctx.assignment.questions
                   if isinstance(o, SymbolicQuestion) and o.answer.prompt]
        region = find_answer(ctx.notebook, tag=q.answer.tag, prompt=q.answer.prompt, section=q.answer.section,
                             other_prompts=prompts)
        if region is None:
            where = f"a markdown cell tagged `{q.answer.tag}`" if q.answer.tag else f"the prompt \"{q.answer.prompt}\""
            return QuestionOutcome([CheckOutcome("answer", False, status=R.MISSING)], status=R.MISSING,
                                   feedback=f"Could not find your answer: looked for {where}.")
        # in a worker process: the time limit holds in any thread, and the event loop stays free
        res = await shared_pool().check(region.text, q.expected, timeout=q.timeout, **q.settings())
        status = _STATUS.get(res.status, R.UNDECIDED)
        credit = None
        if res.status == "wrong_form":
            credit = q.form_credit
        elif res.status == "known_mistake":
            credit = next((m.credit for m in q.mistakes if res.mistake and m.expr == res.mistake), 0.0)
        passed = res.status == "correct"
        details = {"read": res.answer_latex, "parsed": res.parsed, "cells": region.cells, "found_by": region.how,
                   "steps": [{"latex": s.latex, "valid": s.valid, "note": s.note} for s in res.steps],
                   "first_wrong": res.first_wrong}
        return QuestionOutcome([CheckOutcome("answer", passed, feedback=res.feedback, status=status, credit=credit)],
                               status=status if status != R.PASSED else None, credit=credit,
                               needs_review=res.needs_review, details=details,
                               situation=res.status, derivation=derivation(res))


def derivation(res: SymbolicResult) -> str | None:
    """What the steps earn under a rubric with method marks: every step valid up to a final slip
    (at least two steps), or the right answer reached through a wrong step."""
    steps = res.steps
    if res.status in ("wrong", "known_mistake") and len(steps) >= 2 and steps[-1].valid is False \
            and all(s.valid is True for s in steps[:-1]):
        return METHOD_VALID
    if res.status == "correct" and res.first_wrong is not None and res.needs_review:
        return WRONG_STEP
    return None


register(SymbolicKind())
