"""Question kinds: what each kind of question asks of a notebook and how it is judged.

`base` is the contract (`QuestionKind`), `registry` the one place kinds are looked up; the
built-in kinds (`function`/`derivative`, `optimizer`, `state`/`output`, `figure`, `symbolic`)
register themselves when this package is imported, with their support modules: probe inputs
(`inputs`), instructor references (`references`), comparison (`compare`) and starter cells.
"""

from __future__ import annotations

from pathlib import Path

from grader.kinds import figure, function, optimizer, state, symbolic  # noqa: F401 - built-in kinds register
from grader.kinds.base import CheckContext, CheckOutcome, QuestionKind, QuestionOutcome
from grader.kinds.registry import get_kind, kinds, question_model, register
from grader.spec.bundle import AssignmentBundle
from grader.spec.load import load_assignment as _load
from grader.spec.models import Assignment


def load_assignment(path: str | Path) -> Assignment:
    """An assignment YAML validated with the registered kinds' question models."""
    return _load(Path(path), question_model)


def open_bundle(ref: str | Path) -> AssignmentBundle:
    """An assignment (bundled id or YAML path) with its rubric and every file it needs."""
    return AssignmentBundle.load(ref, question_model)


__all__ = ["CheckContext", "CheckOutcome", "QuestionKind", "QuestionOutcome", "get_kind", "kinds", "load_assignment",
           "open_bundle", "question_model", "register"]
