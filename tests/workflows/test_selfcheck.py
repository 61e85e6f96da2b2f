"""`grade check`: students see their public checks, never the hidden ones' inputs or expected values."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest
from conftest import run_cli

from grader.kinds import load_assignment
from grader.workflows.selfcheck import public_view

SPEC = """
id: relu-hidden
title: ReLU with hidden checks
questions:
  - id: relu
    kind: function
    function: relu
    args: [x]
    reference: "torch.relu(x)"
    probes:
      - {name: public, inputs: {x: [-1.0, 2.0]}}
      - {name: secret, hidden: true, inputs: {x: [-7.25, 1234.5]}}
  - id: relu_derivative
    kind: derivative
    hidden: true
    function: relu_derivative
    args: [x]
    of: "torch.relu(x)"
    probes:
      - {name: random, inputs: {x: {uniform: [-5, 5], shape: [8]}}}
"""

# right on the public inputs, wrong on the hidden ones (|x| > 5)
CODE = """import torch
def relu(x):
    return torch.where(x.abs() > 5, x * 0 + 1, x.clamp(min=0))
def relu_derivative(x):
    return x * 0
"""


def _setup(tmp_path: Path, code: str = CODE) -> tuple[Path, Path]:
    spec = tmp_path / "relu-hidden.yaml"
    spec.write_text(SPEC)
    nb = tmp_path / "mine.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)]), nb)
    return spec, nb


@pytest.mark.notebook
def test_check_runs_public_checks_and_says_hidden_ones_remain(tmp_path: Path) -> None:
    spec, nb = _setup(tmp_path)
    proc = run_cli("check", str(nb), "-a", str(spec))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "✓ relu" in proc.stdout
    assert "Only public checks ran: 2 hidden checks were not run" in proc.stdout
    assert "relu_derivative" not in proc.stdout
    for secret in ("7.25", "1234.5", "secret"):
        assert secret not in proc.stdout
    graded = json.loads(run_cli(str(nb), "-a", str(spec), "--format", "json").stdout)
    scores = {q["id"]: (q["score"], q["max_score"]) for q in graded["questions"]}
    assert scores == {"relu": (0.5, 1), "relu_derivative": (0, 1)}  # the real grade sees both bugs


@pytest.mark.notebook
def test_failing_public_check_shows_feedback_and_exits_1(tmp_path: Path) -> None:
    spec, nb = _setup(tmp_path, "import torch\ndef relu(x):\n    return x\n")
    proc = run_cli("check", str(nb), "-a", str(spec))
    assert proc.returncode == 1
    assert "✗ relu" in proc.stdout and "expected 0, got -1" in proc.stdout


@pytest.mark.notebook
def test_check_from_a_cell_of_the_notebook_itself(tmp_path: Path) -> None:
    """A student runs the self-check in their own Jupyter kernel (a plain nbclient kernel here,
    as Jupyter would start it): the report appears as the cell's output, hidden checks stay hidden."""
    from nbclient import NotebookClient

    spec, nb = _setup(tmp_path)
    book = nbformat.read(nb, as_version=4)
    book.cells.append(nbformat.v4.new_code_cell(
        f"from grader import check_notebook\ncheck_notebook({str(nb)!r}, assignment={str(spec)!r})"))
    NotebookClient(book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown = "".join(o.get("data", {}).get("text/plain", "") + o.get("text", "") for o in book.cells[-1].outputs)
    assert "Checked the saved file mine.ipynb." in shown
    assert "✓ relu" in shown and "Only public checks ran: 2 hidden checks were not run" in shown
    assert "1234.5" not in shown and "relu_derivative" not in shown


@pytest.mark.notebook
def test_check_output_carries_no_escape_sequence_from_the_students_error(tmp_path: Path) -> None:
    code = ("import torch\ndef relu(x):\n"
            "    raise ValueError('\\x1b[2J\\x1b[32m✓ relu\\x1b]0;pwned\\x07 all checks pass')\n")
    spec, nb = _setup(tmp_path, code)
    proc = run_cli("check", str(nb), "-a", str(spec))
    assert proc.returncode == 1
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "✗ relu" in proc.stdout and "all checks pass" in proc.stdout  # the message itself is still shown


LATER = """
id: relu-later
title: ReLU with checks shown later
due: 2999-01-01
questions:
  - id: relu
    kind: function
    function: relu
    args: [x]
    reference: "torch.relu(x)"
    probes:
      - {name: public, inputs: {x: [-1.0, 2.0]}}
      - {name: late, visibility: after_due_date, inputs: {x: [-7.25]}}
      - {name: pub, visibility: after_published, inputs: {x: [1234.5]}}
  - id: relu_again
    kind: function
    visibility: after_due_date
    function: relu
    args: [x]
    reference: "torch.relu(x)"
    probes:
      - {name: random, inputs: {x: [-3.0]}}
"""


def test_a_self_check_runs_only_what_a_student_sees_now(tmp_path: Path) -> None:
    """Issue 17: a check (or a question) shown after the due date runs in `grade check` only once the due
    date passed; one shown once grades are published never does (nothing is published at a student's desk)."""
    spec = tmp_path / "relu-later.yaml"
    spec.write_text(LATER)
    a = load_assignment(spec)
    before = public_view(a, datetime(2998, 1, 1, tzinfo=timezone.utc))
    assert [[p.name for p in q.probes] for q in before.assignment.questions] == [["public"]]
    assert before.hidden_checks == 3 and before.hidden_questions == ["relu_again"]
    after = public_view(a, datetime(2999, 1, 2, tzinfo=timezone.utc))
    assert [[p.name for p in q.probes] for q in after.assignment.questions] == [["public", "late"], ["random"]]
    assert after.hidden_checks == 1


@pytest.mark.notebook
def test_check_never_runs_a_check_that_is_not_visible_yet(tmp_path: Path) -> None:
    spec, nb = _setup(tmp_path)  # relu is wrong for |x| > 5: the later probes would fail
    spec.write_text(LATER)
    proc = run_cli("check", str(nb), "-a", str(spec))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "✓ relu" in proc.stdout and "Only public checks ran: 3 hidden checks were not run" in proc.stdout
    for secret in ("7.25", "1234.5", "late", "relu_again"):
        assert secret not in proc.stdout
