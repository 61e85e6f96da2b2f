"""What a student may run before submitting: the public checks only.

Questions and checks (probes, optimizer settings) a student may not see yet (hidden, or shown only after
the due date or once grades are published) are removed from the assignment before anything runs, so
their inputs and expected values never reach the student's kernel or the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from grader.grading.choose import choose_assignment
from grader.grading.pipeline import grade_notebook
from grader.kernel.limits import Limits
from grader.kinds import load_assignment, solution
from grader.kinds.registry import get_kind
from grader.notebook.read import read_notebook
from grader.report.safe import terminal
from grader.report.visibility import shown
from grader.results import PASSED, GradeResult
from grader.spec.find import rubric_for
from grader.spec.models import Assignment


@dataclass
class PublicView:
    assignment: Assignment
    hidden_checks: int          # checks that exist but were not run
    hidden_questions: list[str]  # ids of questions with no public check at all


def public_view(assignment: Assignment, now: datetime | None = None) -> PublicView:
    """The public checks: those of questions and checks a student sees now (`visibility.shown`: no
    grades are published at a student's desk, so `after_published` never runs, `after_due_date` only once
    the due date passed). A question compared with the solution notebook has none where the solution
    is not at hand (a student's copy of the course): it is checked on submission, like a hidden one."""
    now = now or datetime.now(timezone.utc)

    def shows(visibility: str) -> bool:
        return shown(visibility, assignment, published=False, now=now)

    kept, hidden_checks, hidden_questions = [], 0, []
    unsolvable = not solution.available(assignment)
    for q in assignment.questions:
        kind = get_kind(q.kind)
        private = not shows(q.shown_as) or (unsolvable and kind.solution_calls(q, assignment))
        public, hidden = (None, len(q.check_names())) if private else kind.public(q, shows)
        hidden_checks += hidden
        if public is None:
            hidden_questions.append(q.id)
        else:
            kept.append(public)
    return PublicView(assignment.model_copy(update={"questions": kept}), hidden_checks, hidden_questions)


@dataclass
class SelfCheck:
    lines: list[str]
    passed: int
    total: int
    result: GradeResult  # the public checks' result, for reports in other formats
    verdicts: dict[int, bool] = field(default_factory=dict)  # line index -> passed, for the ✓/✗ lines

    @property
    def ok(self) -> bool:
        return self.passed == self.total

    def text(self, *, color: bool = False) -> str:
        """For a terminal: feedback quotes the student's own exception messages, so no escape codes but
        the checklist's own (✓ green, ✗ red) when `color`."""
        out = [terminal(line) for line in self.lines]
        if color:
            for i, good in self.verdicts.items():
                out[i] = f"\x1b[{32 if good else 31}m{out[i][:1]}\x1b[0m{out[i][1:]}"
        return "\n".join(out)


def self_check(notebook: str | Path, assignment: Assignment | None = None, limits: Limits | None = None) -> SelfCheck:
    """Grade with the public checks only, and say plainly what was not run."""
    full = assignment or load_assignment(choose_assignment(read_notebook(notebook))[0])
    view = public_view(full)
    result = grade_notebook(notebook, view.assignment, rubric_for(full), limits)
    lines, ok, verdicts = [], 0, {}
    for q in result.questions:
        good = q.status == PASSED and q.score == q.max_score
        ok += good
        verdicts[len(lines)] = good
        lines.append(f"{'✓' if good else '✗'} {q.title or q.id}")
        if not good and q.feedback:
            lines += [f"    {line}" for line in q.feedback.splitlines()]
    total = len(result.questions)
    lines += ["", f"{ok} of {total} questions pass their public checks."]
    hidden = view.hidden_checks
    if hidden:
        lines.append(f"Only public checks ran: {hidden} hidden check{'s' if hidden != 1 else ''} "
                     f"{'were' if hidden != 1 else 'was'} not run, so your final grade may be lower.")
    else:
        lines.append("This assignment has no hidden checks; your grader may still review written answers.")
    return SelfCheck(lines, ok, total, result, verdicts)
