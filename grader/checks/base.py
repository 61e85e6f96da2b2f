"""What a question kind produces, and what it gets to look at."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..results import FAILED, NOT_ATTEMPTED, PASSED, CellEvent

if TYPE_CHECKING:
    import nbformat

    from ..probe import Prober
    from ..spec import Assignment, QuestionBase


@dataclass
class CheckOutcome:
    name: str
    passed: bool
    feedback: str = ""
    status: str = ""
    credit: float | None = None  # fraction of the check's points; None: all if passed, none if not
    hidden: bool = False

    def __post_init__(self) -> None:
        if not self.status:
            self.status = PASSED if self.passed else FAILED


@dataclass
class QuestionOutcome:
    checks: list[CheckOutcome]
    status: str | None = None       # overrides the status derived from the checks (missing, timeout...)
    feedback: str = ""              # question-level note, shown before the checks' feedback
    needs_review: bool = False
    penalties: list[tuple[str, str]] = field(default_factory=list)  # (rubric penalty name, note)
    credit: float | None = None     # whole-question credit fraction (symbolic partial credit)
    details: dict[str, Any] = field(default_factory=dict)
    situation: str | None = None    # a finer key for the rubric's `partial` (e.g. wrong_form, known_mistake)

    @classmethod
    def not_attempted(cls, checks: list[CheckOutcome], why: str) -> "QuestionOutcome":
        """Every check unearned, with a status that tells the student (and the class report) why."""
        return cls([CheckOutcome(c.name, False, status=NOT_ATTEMPTED, hidden=c.hidden) for c in checks],
                   status=NOT_ATTEMPTED, feedback=f"Not attempted: {why}")


@dataclass
class CheckContext:
    """What checks may look at once the notebook has run. `prober` is None when the kernel is gone."""

    notebook: "nbformat.NotebookNode"
    assignment: "Assignment"
    prober: "Prober | None"
    events: list[CellEvent]
    kernel_problem: str = ""  # why probing is impossible (kernel died, limit hit), for feedback
    snapshots: dict[str, Any] = field(default_factory=dict)  # question id -> what its watch read mid-run


class QuestionKind(Protocol):
    name: str
    model: type
    needs_kernel: bool

    def prepare(self, question: "QuestionBase", assignment: "Assignment") -> Any:
        """Grader-side work that needs no student code (runs while the notebook executes)."""

    def starter_cells(self, question: "QuestionBase") -> list[Any]:
        """The cells `grade release` writes for this question (prompt, stub, tagged answer cell)."""


@dataclass
class Watch:
    """Variables to read right after a cell whose source contains `marker` runs (the last such cell wins)."""

    marker: str
    variables: list[str]

    async def check(self, question: "QuestionBase", prepared: Any, ctx: CheckContext) -> QuestionOutcome:
        """Judge the executed notebook."""
