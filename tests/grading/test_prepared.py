"""References are computed once per loaded assignment, and never carried over to another one."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from grader.grading.pipeline import grade_notebook
from grader.kinds import load_assignment

pytestmark = pytest.mark.notebook

SPEC = """
id: relu-only
title: relu
questions:
  - id: relu
    kind: function
    points: 1
    function: relu
    args: [x]
    reference: "{reference}"
    probes:
      - {{name: random, inputs: {{x: {{uniform: [-5, 5], shape: [16]}}}}}}
"""


def test_an_edited_assignment_with_the_same_id_is_graded_against_its_own_references(tmp_path: Path) -> None:
    """As `grade serve` does when an instructor edits a spec: the old assignment object is still
    loaded, the new one (same id) must not be graded with the old one's references."""
    nb = tmp_path / "relu.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import torch\ndef relu(x):\n    return x.clamp(min=0)")]), nb)
    spec = tmp_path / "relu.yaml"
    spec.write_text(SPEC.format(reference="torch.relu(x)"))
    before = load_assignment(spec)
    assert grade_notebook(nb, before).score == 1
    spec.write_text(SPEC.format(reference="torch.relu(x) + 1"))  # the instructor's (deliberately odd) edit
    after = load_assignment(spec)
    assert grade_notebook(nb, after).score == 0
    assert grade_notebook(nb, before).score == 1  # and the first is still graded by its own
