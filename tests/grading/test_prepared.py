"""References are computed once per loaded assignment, and never carried over to another one."""

from __future__ import annotations

from pathlib import Path

import pytest
from toys import RELU, toy_assignment, toy_notebook

from grader.grading.pipeline import grade_notebook
from grader.kinds import load_assignment

pytestmark = pytest.mark.notebook


def test_an_edited_assignment_with_the_same_id_is_graded_against_its_own_references(tmp_path: Path) -> None:
    """As `grade serve` does when an instructor edits a spec: the old assignment object is still
    loaded, the new one (same id) must not be graded with the old one's references."""
    nb = toy_notebook(tmp_path, "import torch\ndef relu(x):\n    return x.clamp(min=0)", name="relu.ipynb")
    before = load_assignment(toy_assignment(tmp_path, "relu-only", RELU))
    assert grade_notebook(nb, before).score == 1
    edited = RELU.replace('"torch.relu(x)"', '"torch.relu(x) + 1"')  # the instructor's (deliberately odd) edit
    assert edited != RELU
    after = load_assignment(toy_assignment(tmp_path, "relu-only", edited))
    assert grade_notebook(nb, after).score == 0
    assert grade_notebook(nb, before).score == 1  # and the first is still graded by its own
