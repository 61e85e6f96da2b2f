"""IPython's hooks and transformers cannot reach the grader's probes.

Probes run as silent requests, so a notebook's pre/post_run_cell hooks never see them, and every
request carries the grader's signature, so an input or AST transformer that rewrites the probe
cell (say, to switch off the tracing that catches a forbidden torch call) gets no answer: the
question is undecided and goes to review, never passed."""

from __future__ import annotations

from pathlib import Path

import pytest
from toys import DOUBLE, RELU, toy_assignment, toy_notebook

from grader.grading.pipeline import grade_notebook
from grader.kinds import load_assignment

pytestmark = pytest.mark.notebook

RELU_FORBID = RELU + '    forbid: ["torch.relu", "torch.Tensor.relu", "torch.nn.functional.relu"]\n'

OWN_RELU = "import torch\ndef relu(x):\n    return x.clamp(min=0)\ndef double(x):\n    return 2 * x"

SABOTAGE_HOOKS = '''
def pre(info):
    if "__grader_" + "probe__" in (info.raw_cell or ""):
        get_ipython().user_ns["double"] = lambda x: 3 * x
def post(result):
    if "__grader_" + "probe__" in (result.info.raw_cell or ""):
        get_ipython().user_ns.pop("double", None)
get_ipython().events.register("pre_run_cell", pre)
get_ipython().events.register("post_run_cell", post)
'''

TRACE_OFF = '''
import torch
def relu(x):
    return torch.relu(x)   # the forbidden call
def double(x):
    return 2 * x
def untraced(lines):
    return [line.replace('"trace": true', '"trace": false') for line in lines]
get_ipython().input_transformers_post.append(untraced)
'''


def _grade(tmp_path: Path, *cells: str):
    spec = toy_assignment(tmp_path, "relu-forbid", RELU_FORBID, DOUBLE)
    return {q.id: q for q in grade_notebook(toy_notebook(tmp_path, *cells), load_assignment(spec)).questions}


def test_run_cell_hooks_never_see_a_probe(tmp_path: Path) -> None:
    q = _grade(tmp_path, OWN_RELU, SABOTAGE_HOOKS)
    assert q["double"].score == 1 and q["double"].status == "passed", q["double"].feedback
    assert q["relu"].score == 1, q["relu"].feedback


def test_a_transformer_that_rewrites_the_probe_gets_no_answer(tmp_path: Path) -> None:
    q = _grade(tmp_path, TRACE_OFF)
    relu = q["relu"]
    assert relu.score < 1, relu.feedback  # never full marks with the forbidden call hidden
    assert relu.status == "undecided" and relu.needs_review, (relu.status, relu.feedback)
