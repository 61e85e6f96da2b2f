"""The course's assignments (activations, losses, optimizers, autograd, and the NumPy edition of
activations): each solution notebook gets full marks, each buggy variant loses points on exactly
the broken question with feedback that says why, and each correct-but-different variant keeps
full marks."""

from __future__ import annotations

import importlib

import pytest
from conftest import grade
from variants import Variant, assert_verdicts

pytestmark = pytest.mark.notebook

# assignment id -> (variants module, its solution, buggy list, correct list)
EDITIONS = {
    "activations": ("variants_activations", "SOLUTION", "BUGGY", "CORRECT"),
    "activations-numpy": ("variants_activations", "NUMPY_SOLUTION", "BUGGY_NUMPY", "CORRECT_NUMPY"),
    "losses": ("variants_losses", "SOLUTION", "BUGGY", "CORRECT"),
    "optimizers": ("variants_optimizers", "SOLUTION", "BUGGY", "CORRECT"),
    "autograd": ("variants_autograd", "SOLUTION", "BUGGY", "CORRECT"),
}


def _cases(which: int) -> list:
    out = []
    for aid, (module, _, buggy, correct) in EDITIONS.items():
        mod = importlib.import_module(module)
        for v in getattr(mod, (buggy, correct)[which]):
            out.append(pytest.param(aid, v, id=f"{aid}-{v.name}"))
    return out


@pytest.mark.parametrize("assignment", list(EDITIONS))
def test_solution_gets_full_marks(assignment: str) -> None:
    module, solution, _, _ = EDITIONS[assignment]
    result = grade(getattr(importlib.import_module(module), solution), assignment)
    lost = {q.id: (q.status, q.feedback) for q in result.questions if q.score != q.max_score}
    assert not lost, lost
    assert result.score == result.max_score > 0


@pytest.mark.parametrize("assignment,variant", _cases(0))
def test_buggy_variant_loses_points_on_exactly_the_broken_question(assignment: str, variant: Variant, tmp_path) -> None:
    result = grade(variant.build(tmp_path), assignment)
    assert_verdicts(result, variant)


@pytest.mark.parametrize("assignment,variant", _cases(1))
def test_correct_variant_keeps_full_marks(assignment: str, variant: Variant, tmp_path) -> None:
    result = grade(variant.build(tmp_path), assignment)
    lost = {q.id: (q.status, q.feedback) for q in result.questions if q.score != q.max_score}
    assert not lost, lost
