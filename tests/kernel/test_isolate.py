"""`isolate:` without the instructor's code in the kernel: the student's helper is replaced by a
stub, the grader runs the reference on the stub's arguments and sends back only the value.

A hostile notebook looks for the reference's source everywhere it could be (the stub's code,
frames and their locals, every string the interpreter holds) and reports what it found through
its own feedback; it must find nothing, while an honest notebook is graded exactly as before."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from conftest import by_id

from grader.grading.pipeline import grade_notebook
from grader.kinds import load_assignment
from grader.report import render

pytestmark = pytest.mark.notebook

MARKER = "INSTRUCTOR-ONLY-7f3a"

REFERENCE = f'''"""Reference for the isolate test ({MARKER})."""
import torch

SECRET_NOTE = "{MARKER}"


def moments(x, *, shift=0.0):
    # {MARKER}: a tuple result and a keyword argument cross the stdin channel
    return (x + shift).mean(), (x + shift).std()


def standardise(x):
    m, s = moments(x)
    return (x - m) / s
'''

SPEC = """
id: toy-isolate
title: Toy isolate
questions:
  - id: moments
    kind: function
    function: moments
    args: [x]
    reference: "ref.moments(x)"
    probes: [{name: some, inputs: {x: [1.0, -2.0, 3.5, 0.5]}}]
  - id: standardise
    kind: function
    function: standardise
    args: [x]
    reference: "ref.standardise(x)"
    isolate: [moments]
    probes: [{name: some, inputs: {x: [1.0, -2.0, 3.5, 0.5]}}, {name: more, inputs: {x: [[0.0, 1.0], [4.0, 9.0]]}}]
"""

IMPORTS = "import torch"
GOOD_MOMENTS = "def moments(x, *, shift=0.0):\n    return (x + shift).mean(), (x + shift).std()"
WRONG_MOMENTS = "def moments(x, *, shift=0.0):\n    return x.mean(), x.var()  # variance, not std"
GOOD_STANDARDISE = "def standardise(x):\n    m, s = moments(x, shift=0.0)\n    return (x - m) / s"

SNOOP = f'''
def standardise(x):
    import gc, inspect, sys
    found = []
    try:
        found.append(inspect.getsource(moments))
    except (OSError, TypeError):
        pass
    code = getattr(moments, "__code__", None)
    if code is not None:
        found.extend(repr(c) for c in code.co_consts)
    frame = sys._getframe()
    while frame is not None:
        found.extend(repr(v)[:100000] for v in frame.f_locals.values())
        frame = frame.f_back
    found.extend(o for o in gc.get_objects() if isinstance(o, str))
    for mod in list(sys.modules.values()):
        try:
            found.append(repr(vars(mod).get("SECRET_NOTE", "")))
        except TypeError:
            pass
    leaked = [t for t in found if "{MARKER[:-5]}" + "-7f3a" in t]
    if leaked:
        raise RuntimeError("LEAKED " + leaked[0][:300])
    m, s = moments(x)
    return (x - m) / s
'''


def _write(folder: Path, name: str, *cells: str) -> Path:
    path = folder / name
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    return path


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    (tmp_path / "toy-isolate").mkdir()
    (tmp_path / "toy-isolate" / "reference.py").write_text(REFERENCE)
    (tmp_path / "toy-isolate.yaml").write_text(SPEC)
    return tmp_path


def _grade(toy: Path, *cells: str):
    return grade_notebook(_write(toy, "mine.ipynb", *cells), load_assignment(toy / "toy-isolate.yaml"))


def test_the_reference_helper_answers_from_the_grader_with_tuples_and_keywords(toy: Path) -> None:
    result = _grade(toy, IMPORTS, GOOD_MOMENTS, GOOD_STANDARDISE)
    assert result.score == result.max_score == 2, {q.id: q.feedback for q in result.questions}
    assert "reference `moments` in place of yours" in by_id(result)["standardise"].feedback


def test_a_wrong_helper_costs_only_its_own_question(toy: Path) -> None:
    q = by_id(_grade(toy, IMPORTS, WRONG_MOMENTS, GOOD_STANDARDISE))
    assert q["moments"].score == 0
    assert q["standardise"].score == 1, q["standardise"].feedback


def test_a_reference_failing_on_the_students_arguments_is_the_students_error(toy: Path) -> None:
    calls_wrongly = "def standardise(x):\n    m, s = moments(x, 3, 4)\n    return (x - m) / s"
    q = by_id(_grade(toy, IMPORTS, GOOD_MOMENTS, calls_wrongly))["standardise"]
    assert q.score == 0
    assert "the reference moments could not be called" in q.feedback and "TypeError" in q.feedback


def test_a_notebook_searching_the_kernel_for_the_reference_finds_nothing(toy: Path) -> None:
    result = _grade(toy, IMPORTS, GOOD_MOMENTS, SNOOP)
    q = by_id(result)["standardise"]
    assert "LEAKED" not in q.feedback, q.feedback
    assert q.score == 1, q.feedback
    assert MARKER not in render(result, "json")
