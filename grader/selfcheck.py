"""What a student may run before submitting: the public checks only.

Hidden questions and hidden probes are removed from the assignment before anything runs, so
their inputs and expected values never reach the student's kernel or the report.
"""

from __future__ import annotations

from dataclasses import dataclass

from .spec import Assignment


@dataclass
class PublicView:
    assignment: Assignment
    hidden_checks: int          # checks that exist but were not run
    hidden_questions: list[str]  # ids of questions with no public check at all


def public_view(assignment: Assignment) -> PublicView:
    kept, hidden_checks, hidden_questions = [], 0, []
    for q in assignment.questions:
        if q.hidden:
            hidden_checks += len(q.check_names())
            hidden_questions.append(q.id)
            continue
        probes = getattr(q, "probes", None)
        if probes is not None:
            public = [p for p in probes if not p.hidden]
            hidden_checks += len(probes) - len(public)
            if not public:
                hidden_questions.append(q.id)
                continue
            q = q.model_copy(update={"probes": public})
        kept.append(q)
    return PublicView(assignment.model_copy(update={"questions": kept}), hidden_checks, hidden_questions)
