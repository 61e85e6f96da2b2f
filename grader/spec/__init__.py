"""Assignments and rubrics: their schemas (`models`), loading from YAML (`load`), where to find
them (`find`) and every file an assignment needs (`bundle`)."""

from grader.spec.load import assignment_data, load_assignment, load_rubric
from grader.spec.models import (
           AnswerLocator,
           Assignment,
           InputSpec,
           Model,
           ProbeSpec,
           QuestionBase,
           Rubric,
           Tolerance,
)

__all__ = ["Assignment", "AnswerLocator", "InputSpec", "Model", "ProbeSpec", "QuestionBase", "Rubric", "Tolerance",
           "assignment_data", "load_assignment", "load_rubric"]
