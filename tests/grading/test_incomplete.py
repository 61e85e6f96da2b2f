"""A cell that killed its kernel is not run again; when later cells need what it defined, the
grading is incomplete: said in every report and flagged for review, instead of grading the rest
as if the student's code were wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from toys import toy_assignment, toy_notebook

from grader.grading.pipeline import grade_notebook
from grader.kernel.limits import Limits
from grader.kinds import load_assignment
from grader.report import render

pytestmark = pytest.mark.notebook


# a set-up cell that ignores the interrupt after its imports: it is killed, and the revived kernel skips it
STUCK_SETUP = "import signal\nimport torch as T\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
RELU = "def relu(x):\n    return T.clamp(x, min=0)"


def _grade(tmp_path: Path, *cells: str):
    spec = toy_assignment(tmp_path, "relu-setup")
    return grade_notebook(toy_notebook(tmp_path, *cells), load_assignment(spec), limits=Limits(cell_timeout=2))


def test_a_killed_setup_cell_makes_the_grading_incomplete_and_flagged(tmp_path: Path) -> None:
    result = _grade(tmp_path, STUCK_SETUP, RELU)
    [warning] = result.warnings
    assert "Grading is incomplete: cell 1" in warning and "`T`" in warning
    assert result.needs_review
    for fmt in ("text", "markdown", "json"):
        assert "Grading is incomplete" in render(result, fmt), fmt


def test_a_killed_cell_nothing_depends_on_is_not_incomplete(tmp_path: Path) -> None:
    result = _grade(tmp_path, "import torch as T", RELU,
                    "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass")
    assert result.warnings == [] and result.score == 1
