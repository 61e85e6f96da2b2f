"""Result records: what grading found, per check, per question and per notebook.

Scores are kept as Fractions until they are written out, so totals are exact (no 2.0001).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

# Question statuses, worst-to-best does not matter; each names a different situation.
PASSED = "passed"            # full marks
PARTIAL = "partial"          # some checks passed
FAILED = "failed"            # ran, answer wrong
ERROR = "error"              # the student's code raised
MISSING = "missing"          # function / answer not found in the notebook
NO_ANSWER = "no_answer"      # answer cell left as a placeholder
UNPARSED = "unparsed"        # LaTeX could not be read (flagged for manual review)
UNDECIDED = "undecided"      # the checker could not decide (flagged for manual review)
TIMEOUT = "timeout"          # a time limit was hit
KERNEL_DIED = "kernel_died"  # the kernel died before the question could be checked
NOT_ATTEMPTED = "not_attempted"  # the code is still the starter's (or still raises NotImplementedError)

REVIEW_STATUSES = frozenset({UNPARSED, UNDECIDED})

# When a student sees a question's or a check's result (the spec's `visibility`; staff see everything).
# grader.report.visibility decides, from these, what a student sees now.
VISIBLE, HIDDEN, AFTER_DUE_DATE, AFTER_PUBLISHED = "visible", "hidden", "after_due_date", "after_published"
VISIBILITIES = (VISIBLE, HIDDEN, AFTER_DUE_DATE, AFTER_PUBLISHED)


def check_visibility(visibility: str, hidden: bool) -> str:
    """A check's visibility from both ways of giving it (`hidden: true` is `hidden`; default `visible`)."""
    return visibility or (HIDDEN if hidden else VISIBLE)


@dataclass
class CheckResult:
    """One check of a question (e.g. "random inputs", "batched 2-D", "equivalent")."""

    name: str
    passed: bool
    points: Fraction = Fraction(0)
    max_points: Fraction = Fraction(0)
    status: str = PASSED
    feedback: str = ""
    hidden: bool = False  # withheld from what a student reads at grading time: any visibility but `visible`
    visibility: str = ""  # when a student sees its details; default from `hidden`

    def __post_init__(self) -> None:
        self.visibility = check_visibility(self.visibility, self.hidden)
        self.hidden = self.visibility != VISIBLE


@dataclass
class QuestionResult:
    id: str
    kind: str
    title: str
    score: Fraction
    max_score: Fraction
    status: str
    feedback: str
    checks: list[CheckResult] = field(default_factory=list)
    needs_review: bool = False
    details: dict[str, Any] = field(default_factory=dict)
    visibility: str = VISIBLE  # when a student sees this result (the spec's `visibility`; staff see all)

    @property
    def has_advice(self) -> bool:
        """Feedback worth showing the student: it lost points, or passed with something to say."""
        return bool(self.feedback) and (self.status != PASSED or self.score < self.max_score)


@dataclass
class CellEvent:
    """Something that happened while the notebook ran (an exception, a timeout, kernel death)."""

    cell_index: int
    kind: str  # "error" | "timeout" | "kernel_died" | "output_truncated" | "limit"
    message: str


@dataclass
class GradeResult:
    assignment: str
    assignment_title: str
    notebook: str
    questions: list[QuestionResult]
    events: list[CellEvent] = field(default_factory=list)
    assignment_source: str = ""  # how the assignment was chosen
    timings: dict[str, float] = field(default_factory=dict)
    isolation: str = ""
    grader_version: str = ""
    # about the notebook as a whole (its metadata names another assignment, several were handed in):
    # shown in every report, and each one flags the result for review; may hold the student's text
    warnings: list[str] = field(default_factory=list)

    @property
    def score(self) -> Fraction:
        return sum((q.score for q in self.questions), Fraction(0))

    @property
    def max_score(self) -> Fraction:
        return sum((q.max_score for q in self.questions), Fraction(0))

    @property
    def needs_review(self) -> bool:
        return bool(self.warnings) or self.answers_need_review

    @property
    def answers_need_review(self) -> bool:
        """Some question could not be checked automatically (as opposed to a warning about the notebook)."""
        return any(q.needs_review for q in self.questions)


def exact(x: float) -> Fraction:
    """A rubric's decimal as written: 0.1 -> 1/10, not the nearest binary float."""
    return Fraction(str(x))


def as_number(value: Fraction) -> float | int:
    """Exact scores as JSON numbers: integers stay integers, others round to 4 places."""
    if value.denominator == 1:
        return int(value)
    return round(float(value), 4)
