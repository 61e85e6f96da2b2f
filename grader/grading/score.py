"""Turn what the checks found into points, using the rubric. Exact arithmetic throughout.

A hidden check's feedback (its label, the inputs, the expected and the received values) stays on
its CheckResult, for staff (the JSON report, the gradebook); the question's feedback, which students
see, only counts the hidden checks that did not pass. A check with `visibility: after_due_date` or
`after_published` is withheld the same way until it is released; a question's visibility covers its checks.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

from grader import results as R
from grader.kinds.base import METHOD_VALID, WRONG_STEP, QuestionOutcome
from grader.results import CheckResult, QuestionResult, exact
from grader.spec.models import QuestionBase, Rubric, RubricQuestion

# how the question's feedback counts the failed checks it cannot show yet (grader.report.visibility adds
# their own feedback once they are released)
WITHHELD = {
    R.HIDDEN: ("hidden check", "hidden checks"),
    R.AFTER_DUE_DATE: ("check shown after the due date", "checks shown after the due date"),
    R.AFTER_PUBLISHED: ("check shown once grades are published", "checks shown once grades are published"),
}


def check_points(question: QuestionBase, rubric: Rubric) -> tuple[Fraction, dict[str, Fraction]]:
    """The question's points and each check's share: explicit rubric points, the rest split evenly."""
    rq = rubric.for_question(question.id)
    total = exact(rq.points if rq.points is not None else question.points)
    names = question.check_names()
    explicit = {n: exact(c.points) for n, c in rq.checks.items() if c.points is not None}
    rest = [n for n in names if n not in explicit]
    share = (total - sum(explicit.values(), Fraction(0))) / len(rest) if rest else Fraction(0)
    return total, {n: explicit.get(n, share) for n in names}


def _points(p: Fraction) -> str:
    return f"{R.as_number(p)} point{'s' if p != 1 else ''}"


def _derivation(outcome: QuestionOutcome, rq: RubricQuestion, total: Fraction, score: Fraction,
                status: str | None, notes: list[str]) -> tuple[Fraction, str | None]:
    """The rubric's method marks for a written derivation (none unless it gives them)."""
    if outcome.derivation == METHOD_VALID and rq.method_marks:
        marks = min(total, exact(rq.method_marks))
        if marks > score:
            notes.append(f"Method marks: every step is valid up to the last one ({_points(marks)}).")
            return marks, R.PARTIAL
    if outcome.derivation == WRONG_STEP and rq.wrong_step_deduction:
        lost = min(score, exact(rq.wrong_step_deduction))
        if lost:
            notes.append(f"The right answer, but reached through a wrong step (−{_points(lost)}).")
            return score - lost, None
    return score, status


def score_question(question: QuestionBase, outcome: QuestionOutcome, rubric: Rubric) -> QuestionResult:
    rq = rubric.for_question(question.id)
    total, maxes = check_points(question, rubric)
    checks: list[CheckResult] = []
    hints: list[str] = []  # the rubric's advice for failed hidden checks: the author's words, for students
    withheld: Counter[str] = Counter()  # failed checks whose feedback students do not see yet, by visibility
    for co in outcome.checks:
        mx = maxes.get(co.name, Fraction(0))
        frac = exact(co.credit) if co.credit is not None else Fraction(int(co.passed))
        feedback = co.feedback
        hint = rq.checks.get(co.name)
        # a question's visibility covers its checks; a check may be later than its question
        visibility = co.visibility if question.shown_as == R.VISIBLE else question.shown_as
        hidden = visibility != R.VISIBLE
        failed = not co.passed or frac < 1
        if not co.passed and hint is not None and hint.feedback:
            feedback = f"{feedback} {hint.feedback}".strip()
            if hidden:
                hints.append(hint.feedback)
        if hidden and failed and co.feedback:
            withheld[visibility] += 1
        checks.append(CheckResult(co.name, co.passed, mx * frac, mx, co.status, feedback, visibility=visibility))
    score = sum((c.points for c in checks), Fraction(0))
    status = outcome.status
    situation = outcome.situation if outcome.situation in rq.partial else status
    if situation is not None and situation in rq.partial:  # rubric's partial credit for this situation
        score = total * exact(rq.partial[situation])
    notes = []
    score, status = _derivation(outcome, rq, total, score, status, notes)
    for name, note in outcome.penalties:
        fraction = exact(rubric.penalties.fraction(name))
        if fraction:
            lost = min(score, total * fraction)
            score -= lost
            note += f" (−{_points(lost)})"
        notes.append(note)
    if status is None:
        if score == total:
            status = R.PASSED
        elif score > 0:
            status = R.PARTIAL
        elif checks and all(c.status == R.ERROR for c in checks if not c.passed):
            status = R.ERROR
        else:
            status = R.FAILED
    lines = [outcome.feedback] if outcome.feedback else []
    lines += [c.feedback for c in checks if c.feedback and not c.hidden]
    for visibility, when in WITHHELD.items():
        n = withheld[visibility]
        if n:
            lines.append(f"{n} {when[0] if n == 1 else when[1]} did not pass.")
    lines += hints
    lines += notes
    if score < total and rq.feedback:
        lines.append(rq.feedback)
    return QuestionResult(
        id=question.id, kind=question.kind, title=question.display_title, score=score, max_score=total,
        status=status, feedback="\n".join(dict.fromkeys(line for line in lines if line)),
        checks=checks, needs_review=outcome.needs_review or status in R.REVIEW_STATUSES, details=outcome.details,
        visibility=question.shown_as,
    )
