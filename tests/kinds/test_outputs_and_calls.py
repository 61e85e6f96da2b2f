"""Functions that write into the arguments they are given (`outputs:`, a backward pass filling
gradient buffers) and how probes pass arguments (`call: keyword`, and what a student whose
parameters are the handout's in another order is told), through the real kernel."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import by_id

from grader.errors import SpecError
from grader.grading.pipeline import grade_notebook
from grader.kernel.probe import _parse
from grader.kinds import load_assignment

pytestmark = pytest.mark.notebook

SPEC = """
id: toy-backward
title: Toy MLP
questions:
  - id: forward_pass
    kind: function
    points: 2
    function: forward_pass
    args: [x, w1, b1, w2, b2]
    reference: "ref.forward_pass(x, w1, b1, w2, b2)"
    call: {call}
    probes:
      - name: random
        inputs:
          x: {normal: [0, 1], shape: [4, 3]}
          w1: {normal: [0, 1], shape: [3, 5]}
          b1: {normal: [0, 1], shape: [5]}
          w2: {normal: [0, 1], shape: [5, 2]}
          b2: {normal: [0, 1], shape: [2]}
  - id: backward_pass
    kind: function
    points: 4
    function: backward_pass
    args: [x, y, w1, b1, w2, b2, dw1, db1, dw2, db2]
    outputs: [dw1, db1, dw2, db2]
    reference: "ref.backward_pass(x, y, w1, b1, w2, b2, dw1, db1, dw2, db2)"
    probes:
      - name: fresh
        label: zeroed gradient buffers
        inputs: &mlp
          x: {normal: [0, 1], shape: [4, 3]}
          y: {normal: [0, 1], shape: [4, 2]}
          w1: {normal: [0, 1], shape: [3, 5]}
          b1: {normal: [0, 1], shape: [5]}
          w2: {normal: [0, 1], shape: [5, 2]}
          b2: {normal: [0, 1], shape: [2]}
          dw1: {fill: 0.0, shape: [3, 5]}
          db1: {fill: 0.0, shape: [5]}
          dw2: {fill: 0.0, shape: [5, 2]}
          db2: {fill: 0.0, shape: [2]}
      - name: accumulate
        label: buffers already holding a gradient
        inputs:
          <<: *mlp
          dw1: {normal: [0, 1], shape: [3, 5]}
          db1: {normal: [0, 1], shape: [5]}
          dw2: {normal: [0, 1], shape: [5, 2]}
          db2: {normal: [0, 1], shape: [2]}
"""

FORWARD = "def forward_pass(x, w1, b1, w2, b2):\n    return torch.tanh(x @ w1 + b1) @ w2 + b2"
BACKWARD = """def backward_pass(x, y, w1, b1, w2, b2, dw1, db1, dw2, db2):
    a = x.mm(w1) + b1
    h = torch.tanh(a)
    err = h.mm(w2) + b2 - y
    dw2.add_(h.t().mm(err))
    db2.add_(err.sum(dim=0))
    da = err.mm(w2.t()) * (1 - torch.tanh(a) ** 2)
    dw1.add_(x.t().mm(da))
    db1.add_(da.sum(dim=0))
"""
CELLS = {"imports": "import torch", "forward": FORWARD, "backward": BACKWARD}


def _toy(folder: Path, call: str = "positional") -> Path:
    (folder / "toy-backward").mkdir(exist_ok=True)
    shutil.copy(Path(__file__).parent / "toy_backward" / "reference.py", folder / "toy-backward" / "reference.py")
    spec = folder / "toy-backward.yaml"
    spec.write_text(SPEC.replace("{call}", call))
    return spec


def _grade(folder: Path, cells: dict[str, str], call: str = "positional"):
    spec = _toy(folder, call)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells.values()])
    nbformat.write(nb, folder / "mine.ipynb")
    return by_id(grade_notebook(folder / "mine.ipynb", load_assignment(spec)))


def test_a_correct_backward_pass_that_returns_nothing_gets_full_marks(tmp_path: Path) -> None:
    q = _grade(tmp_path, CELLS)["backward_pass"]
    assert q.score == q.max_score == 4, q.feedback
    assert [c.name for c in q.checks] == [f"{p}/{o}" for p in ("fresh", "accumulate") for o in ("dw1", "db1", "dw2", "db2")]
    assert "None" not in q.feedback and "in place" not in q.feedback  # neither "forgot return" nor a mutation penalty


def test_a_wrong_gradient_loses_exactly_that_outputs_checks(tmp_path: Path) -> None:
    wrong = BACKWARD.replace("db1.add_(da.sum(dim=0))", "db1.add_(da.mean(dim=0))")
    q = _grade(tmp_path, {**CELLS, "backward": wrong})["backward_pass"]
    failed = [c.name for c in q.checks if not c.passed]
    assert failed == ["fresh/db1", "accumulate/db1"]
    assert q.score == 3  # 4 points over 8 checks: two of them lost, no penalty
    assert "`db1` after the call is wrong on all 5 values; at index [0] → expected" in q.feedback
    assert "`dw1`" not in q.feedback


def test_changing_an_input_that_is_not_an_output_is_still_penalised(tmp_path: Path) -> None:
    sloppy = BACKWARD.replace("    a = x.mm(w1) + b1", "    a = x.mm(w1) + b1\n    w1.zero_()  # done with w1")
    q = _grade(tmp_path, {**CELLS, "backward": sloppy})["backward_pass"]
    assert all(c.passed for c in q.checks)  # w1 was used before it was cleared: the gradients are right
    assert q.score == 3  # the default mutates_input penalty: a quarter of 4 points
    assert "modified its input `w1` in place" in q.feedback
    assert "`dw1`" not in q.feedback


def test_rebinding_an_output_instead_of_writing_into_it_is_explained(tmp_path: Path) -> None:
    rebinds = BACKWARD.replace("dw1.add_(x.t().mm(da))", "dw1 = dw1 + x.t().mm(da)")
    q = _grade(tmp_path, {**CELLS, "backward": rebinds})["backward_pass"]
    assert [c.name for c in q.checks if not c.passed] == ["fresh/dw1", "accumulate/dw1"]
    assert "left `dw1` unchanged: write into it in place" in q.feedback


REORDERED = "def forward_pass(x, w1, w2, b1, b2):\n    return torch.tanh(x @ w1 + b1) @ w2 + b2"


def test_parameters_in_another_order_than_the_handouts_are_named(tmp_path: Path) -> None:
    q = _grade(tmp_path, {**CELLS, "forward": REORDERED})["forward_pass"]
    assert q.score == 0 and q.status == "error", q.feedback
    assert ("Your parameters are (x, w1, w2, b1, b2); the handout's order is (x, w1, b1, w2, b2)"
            in q.feedback), q.feedback


def test_the_handouts_order_gets_no_such_note(tmp_path: Path) -> None:
    wrong = FORWARD.replace("torch.tanh", "torch.sigmoid")
    q = _grade(tmp_path, {**CELLS, "forward": wrong})["forward_pass"]
    assert q.score == 0 and "Your parameters are" not in q.feedback


def test_keyword_calls_work_whatever_the_parameter_order(tmp_path: Path) -> None:
    q = _grade(tmp_path, {**CELLS, "forward": REORDERED}, call="keyword")
    assert q["forward_pass"].score == 2, q["forward_pass"].feedback
    assert q["backward_pass"].score == 4, q["backward_pass"].feedback  # only forward_pass calls by keyword


def test_keyword_calls_name_the_parameters_the_handout_expects(tmp_path: Path) -> None:
    renamed = FORWARD.replace("(x, w1, b1, w2, b2):", "(inputs, w1, b1, w2, b2):").replace("x @", "inputs @")
    q = _grade(tmp_path, {**CELLS, "forward": renamed}, call="keyword")["forward_pass"]
    assert q.score == 0 and "unexpected keyword argument 'x'" in q.feedback, q.feedback
    assert "calls it by keyword as `forward_pass(x=x, w1=w1, b1=b1, w2=w2, b2=b2)`" in q.feedback


def test_an_output_that_is_not_an_argument_is_a_spec_error(tmp_path: Path) -> None:
    spec = _toy(tmp_path)
    spec.write_text(SPEC.replace("{call}", "positional").replace("outputs: [dw1, db1, dw2, db2]", "outputs: [dw1, grad]"))
    with pytest.raises(SpecError, match="outputs must be distinct names among the args"):
        load_assignment(spec)


NUMPY_SPEC = """
id: toy-backward
title: Toy MLP in NumPy
array_library: numpy
questions:
  - id: backward_pass
    kind: function
    function: backward_pass
    args: [x, y, w1, b1, w2, b2, dw1, db1, dw2, db2]
    outputs: [dw1, db1, dw2, db2]
    reference: "ref.backward_pass_numpy(x, y, w1, b1, w2, b2, dw1, db1, dw2, db2)"
    probes:
""" + SPEC.split("    probes:\n")[-1]


def test_a_numpy_backward_pass_writes_into_arrays_and_so_does_its_reference(tmp_path: Path) -> None:
    spec = _toy(tmp_path)
    spec.write_text(NUMPY_SPEC)
    numpy_backward = """import numpy as np

def backward_pass(x, y, w1, b1, w2, b2, dw1, db1, dw2, db2):
    h = np.tanh(x @ w1 + b1)
    d_out = h @ w2 + b2 - y
    dh = (d_out @ w2.T) * (1 - h ** 2)
    dw2 += h.T @ d_out
    db2 += d_out.sum(axis=0)
    dw1 += x.T @ dh
    db1[:] = db1 + dh.sum(axis=0)
"""
    for body, score in ((numpy_backward, 1), (numpy_backward.replace("dw2 += h.T", "dw2 -= h.T"), 0.75)):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(body)])
        nbformat.write(nb, tmp_path / "mine.ipynb")
        q = by_id(grade_notebook(tmp_path / "mine.ipynb", load_assignment(spec)))["backward_pass"]
        assert q.score == score, q.feedback


# ---- the reply, untrusted: every output asked for must come back ------------------------------

ARRAY = {"kind": "tensor", "dtype": "float64", "shape": [1], "data": "AAAAAAAA8D8="}  # [1.0]


def test_the_outputs_asked_for_come_back_with_the_mutated_keywords() -> None:
    reply = {"status": "ok", "parameters": ["x", "w1", "w2"], "calls": [
        {"ok": True, "value": {"kind": "none"}, "outputs": [ARRAY, ARRAY], "mutated": [0, "dw1", True, 2.5]}]}
    resp = _parse(reply, 1, [[6, "dw1"]])
    (call,) = resp.calls
    assert call.ok and [o.array.tolist() for o in call.outputs] == [[1.0], [1.0]]
    assert call.mutated == [0, "dw1"] and resp.parameters == ["x", "w1", "w2"]


@pytest.mark.parametrize("outputs", [None, [ARRAY], "dw1", [ARRAY, {"kind": "tensor", "dtype": "object"}]])
def test_outputs_missing_or_unreadable_are_no_result(outputs) -> None:
    record = {"ok": True, "value": {"kind": "none"}, **({} if outputs is None else {"outputs": outputs})}
    (call,) = _parse({"status": "ok", "calls": [record]}, 1, [[6, 7]]).calls
    assert not call.ok and call.error["type"] == "UnreadableResult"
