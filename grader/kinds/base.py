"""The contract every question kind fulfils, and what kinds produce and get to look at.

A kind is a `QuestionKind` subclass: its question `model` (a pydantic model of the YAML), a
grader-side `prepare` step (references, probe inputs: no student code involved, so it can run
while the notebook executes) and a `check` step that judges the executed notebook. Every
optional capability has a default here, so the pipeline, the starter, "not attempted" and the
self-check call them without asking whether a kind has them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from grader.kernel.errors import KernelError
from grader.kinds.cells import StarterCell, prompt_cells
from grader.notebook.read import CellQuery, locate_cell
from grader.results import (
    FAILED,
    NOT_ATTEMPTED,
    PASSED,
    VISIBLE,
    CellEvent,
    check_visibility,
)
from grader.spec.models import Assignment, QuestionBase

if TYPE_CHECKING:
    import nbformat

    from grader.kernel.probe import Call, Prober


@dataclass(frozen=True)
class SolutionCall:
    """One call whose answer comes from the instructor's solution notebook (`reference: solution`):
    the solution's `function` is called with `call`, the same inputs as the student's probe `probe`."""

    question: str
    probe: str
    function: str
    call: "Call"
    array: str = "torch"


@dataclass
class CheckOutcome:
    name: str
    passed: bool
    feedback: str = ""
    status: str = ""
    credit: float | None = None  # fraction of the check's points; None: all if passed, none if not
    hidden: bool = False  # withheld from what a student reads when graded: any visibility but `visible`
    visibility: str = ""  # the check's spec `visibility` (its `shown_as`); default from `hidden`

    def __post_init__(self) -> None:
        if not self.status:
            self.status = PASSED if self.passed else FAILED
        self.visibility = check_visibility(self.visibility, self.hidden)
        self.hidden = self.visibility != VISIBLE


METHOD_VALID = "method_valid"  # a wrong final answer after steps that are all valid up to the last
WRONG_STEP = "wrong_step"      # the right answer reached through a wrong step


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
    derivation: str | None = None   # METHOD_VALID or WRONG_STEP: what a written derivation's steps earn (rubric)

    @classmethod
    def not_attempted(cls, checks: list[CheckOutcome], why: str) -> "QuestionOutcome":
        """Every check unearned, with a status that tells the student (and the class report) why."""
        return cls([CheckOutcome(c.name, False, status=NOT_ATTEMPTED, visibility=c.visibility) for c in checks],
                   status=NOT_ATTEMPTED, feedback=f"Not attempted: {why}")


@dataclass
class CheckContext:
    """What checks may look at once the notebook has run. `prober` is None when no kernel is involved."""

    notebook: "nbformat.NotebookNode"
    assignment: Assignment
    prober: "Prober | None"
    events: list[CellEvent]
    kernel_failure: KernelError | None = None  # why the kernel can no longer be probed (timeout, death, limit)
    snapshots: dict[str, Any] = field(default_factory=dict)  # question id -> what its watch read mid-run


@dataclass
class Watch:
    """Variables to read right after the cell `marker` locates runs (text: the last cell containing it)."""

    marker: str | CellQuery
    variables: list[str]

    def cell(self, nb: nbformat.NotebookNode) -> int | None:
        """Index of that cell in `nb`, found before anything runs (`grader.notebook.read.locate_cell`)."""
        return locate_cell(nb, self.marker).index


@dataclass
class Attempt:
    """What shows whether a question was attempted: the student's definitions it relies on, the
    course cell whose TODO lines are the exercise, and whether a starter-code pass still counts."""

    names: list[str] = field(default_factory=list)
    cell: str | CellQuery | None = None  # the cell that is the exercise: unchanged from the starter = not attempted
    required: bool = False        # even all checks passing earns nothing while the code is the starter's


Shows = Callable[[str], bool]  # whether a student sees an item of this visibility now (grader.report.visibility)


def without_hidden(question: Any, field: str, items: list[Any], shows: Shows) -> tuple[Any | None, int]:
    """`question` with only those of its checks' `items` (its `field`: probes, settings) a student sees now,
    and how many were left out; None when none is. What kinds with per-check visibility return from `public`."""
    shown = [i for i in items if shows(i.shown_as)]
    return (question.model_copy(update={field: shown}) if shown else None), len(items) - len(shown)


class QuestionKind(ABC):
    """One kind of question. Subclasses set `name` and `model` and implement `check`."""

    name: ClassVar[str]
    model: ClassVar[type[QuestionBase]]
    needs_kernel: ClassVar[bool] = True   # False: judged from the notebook's text alone (runs while it executes)
    draws_figures: ClassVar[bool] = False  # True: the kernel keeps the inline backend so plots become images

    def prepare(self, question: Any, assignment: Assignment) -> Any:
        """Grader-side work that needs no student code; what it returns is given to `check`."""
        return None

    @abstractmethod
    async def check(self, question: Any, prepared: Any, ctx: CheckContext) -> QuestionOutcome:
        """Judge the executed notebook."""

    def starter_cells(self, question: Any) -> list[StarterCell]:
        """The cells `grade release` writes for this question (prompt, stub, tagged answer cell)."""
        return prompt_cells(question)

    def watches(self, question: Any) -> list[Watch]:
        """Variables to read mid-run, right after the cell that builds them."""
        return []

    def image_cells(self, question: Any, nb: nbformat.NotebookNode) -> list[int]:
        """The cells whose plots this question needs as image outputs (with `draws_figures`): only
        those are rendered to PNG, the most expensive part of a plotting cell."""
        return []

    def attempt(self, question: Any) -> Attempt:
        """What "not attempted" looks at for this question."""
        return Attempt()

    def solution_calls(self, question: Any, assignment: Assignment) -> list[SolutionCall]:
        """The calls of the solution notebook's functions this question's references need (none
        unless the question says `reference: solution`); they run before `prepare`."""
        return []

    def public(self, question: Any, shows: Shows) -> tuple[Any | None, int]:
        """The question as a student's self-check may run it (only the checks `shows` their visibility),
        and how many checks were left out; None when none is left. The default: a kind with no per-check
        visibility (the question's own is the self-check's to apply)."""
        return question, 0
