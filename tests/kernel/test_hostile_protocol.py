"""The grader's protocol survives a notebook that patches what the kernel and the runtime rely
on: json, base64, pickle, sys.stdout and IPython's display machinery. The functions are still
graded on what they compute (or, where a patch breaks the kernel's own messaging, the kernel is
replaced and named) — never an internal error, never every question lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from toys import DOUBLE, RELU, toy_assignment, toy_notebook

from grader.grading.pipeline import grade_notebook
from grader.kinds import load_assignment

pytestmark = pytest.mark.notebook


DEFS = "import torch\ndef relu(x):\n    return x.clamp(min=0)\ndef double(x):\n    return 2 * x"

PATCHES = {
    "base64": "import base64\nbase64.b64encode = lambda b: b'AAAA'\nbase64.b64decode = lambda s, **k: b''",
    "pickle": "import pickle\npickle.dumps = pickle.loads = lambda *a, **k: None",
    "stdout": "import sys, io\nsys.stdout = io.StringIO()\nsys.stderr = io.StringIO()",
    "display_pub": ("ip = get_ipython()\nip.display_pub.publish = lambda *a, **k: None\n"
                    "import IPython.display as d\nd.publish_display_data = lambda *a, **k: None\n"
                    "d.display = lambda *a, **k: None"),
    "displayhook": "import sys\nsys.displayhook = lambda v: None\nget_ipython().displayhook = None",
    "json_loads": "import json\njson.loads = lambda s, **k: {}",
}


@pytest.mark.parametrize("patch", list(PATCHES))
def test_patched_machinery_does_not_cost_the_grade(tmp_path: Path, patch: str) -> None:
    spec = toy_assignment(tmp_path, "relu-protocol", RELU, DOUBLE)
    result = grade_notebook(toy_notebook(tmp_path, DEFS, PATCHES[patch]), load_assignment(spec))
    scores = {q.id: (q.score, q.status, q.feedback) for q in result.questions}
    assert all(s == 1 for s, _, _ in scores.values()), (patch, scores, result.events)
