"""What a hidden probe is called, and what it feeds a function, never reaches what a student sees."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from grader.grading.pipeline import grade_notebook
from grader.kinds import load_assignment
from grader.report import render

SPEC = """id: hidden-relu
title: relu
questions:
  - id: relu
    kind: function
    points: 2
    function: relu
    args: [x]
    reference: "torch.relu(x)"
    probes:
      - {name: public, inputs: {x: {uniform: [-5, 5], shape: [8]}}}
      - {name: secret, label: SECRET-LABEL-71, hidden: true, inputs: {x: {values: [-7.125, 3.5]}}}
"""


@pytest.mark.notebook
def test_a_hidden_probe_is_not_named_in_any_feedback_a_student_reads(tmp_path: Path) -> None:
    """A relu that modifies its input in place only on the hidden probe's input: the penalty's note
    says it happened on 'a hidden input', not on SECRET-LABEL-71."""
    (tmp_path / "a.yaml").write_text(SPEC)
    cell = ("import torch\ndef relu(x):\n    if x.numel() == 2:\n        x.clamp_(min=0)\n"
            "        return x\n    return torch.clamp(x, min=0)")
    path = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)]), path)
    result = grade_notebook(path, load_assignment(tmp_path / "a.yaml"))
    [q] = result.questions
    assert "modified its input `x` in place (on a hidden input)" in q.feedback
    for fmt in ("text", "markdown", "html", "gradescope"):
        shown = render(result, fmt)
        assert "SECRET-LABEL-71" not in shown and "7.125" not in shown, fmt
    checks = {c.name: c for c in q.checks}  # staff (the JSON report, the gradebook) still have the check itself
    assert checks["secret"].hidden and not checks["public"].hidden
