"""A spec's `files:` (course helper modules, small data sets) are in the kernel's working directory,
read-only, in every executor; a notebook importing a module the course did not ship is flagged with
the module named instead of scoring a silent 0."""

from __future__ import annotations

import asyncio
from pathlib import Path

import nbformat
import pytest

from grader.grading.pipeline import grade_notebook
from grader.kernel.limits import Limits
from grader.kernel.sandbox import bubblewrap
from grader.kernel.session import KernelSession
from grader.kinds import load_assignment
from grader.kinds.registry import question_model
from grader.spec.bundle import AssignmentBundle
from grader.spec.find import rubric_for
from tests.toys import RELU, toy_notebook

SANDBOXES = [pytest.param(True, marks=pytest.mark.skipif(bubblewrap() is None, reason="bubblewrap is not installed")),
             False]
USES_HELPERS = (("import helpers\nimport numpy as np\n"
                 "points = np.loadtxt('data/points.csv', delimiter=',')\nassert points.shape == (2, 2)"),
                "def relu(x):\n    return helpers.clamp_low(x)")


def _course(tmp_path: Path) -> Path:
    """A course folder elsewhere than the notebook: its YAML lists a helper module and a data file."""
    course = tmp_path / "course"
    (course / "data").mkdir(parents=True)
    (course / "helpers.py").write_text("def clamp_low(x):\n    return x.clamp(min=0)\n")
    (course / "data" / "points.csv").write_text("1,2\n3,4\n")
    spec = course / "toy.yaml"
    spec.write_text("id: toy\ntitle: toy\nfiles: [helpers.py, data/points.csv]\nquestions:\n" + RELU)
    return spec


@pytest.mark.notebook
@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_notebook_importing_the_course_helper_gets_full_marks(tmp_path: Path, sandbox: bool) -> None:
    nb = toy_notebook(tmp_path, *USES_HELPERS)
    result = grade_notebook(nb, load_assignment(_course(tmp_path)), limits=Limits(sandbox=sandbox))
    assert result.score == result.max_score == 1 and result.events == [] and result.warnings == []
    assert result.isolation.startswith("bubblewrap sandbox") == sandbox


@pytest.mark.notebook
@pytest.mark.skipif(bubblewrap() is None, reason="bubblewrap is not installed")
def test_the_kernel_cannot_change_a_support_file(tmp_path: Path) -> None:
    helper = tmp_path / "helpers.py"
    helper.write_text("VALUE = 1\n")
    probe = ("import os, helpers\n"
             "for how in ('a', 'w'):\n"
             "    try:\n        open('helpers.py', how).write('VALUE = 2')\n        print('wrote', how)\n"
             "    except OSError as e:\n        print('refused', how, e.errno)\n"
             "try:\n    os.remove('helpers.py')\n    print('removed')\nexcept OSError as e:\n    print('refused rm', e.errno)\n"
             "print('value', helpers.VALUE, open('helpers.py').read().strip())")

    async def run() -> str:
        async with KernelSession(Limits(), files={"helpers.py": helper}) as s:
            cell = nbformat.v4.new_code_cell(probe)
            await s.run_notebook(nbformat.v4.new_notebook(cells=[cell]))
            return "".join(o.get("text", "") for o in cell.outputs)

    out = asyncio.run(run())
    assert "wrote" not in out and "removed" not in out, out
    assert out.count("refused") == 3 and "value 1 VALUE = 1" in out, out
    assert helper.read_text() == "VALUE = 1\n"


@pytest.mark.notebook
def test_a_module_the_course_did_not_ship_is_flagged_and_named(tmp_path: Path) -> None:
    spec = tmp_path / "toy.yaml"
    spec.write_text("id: toy\ntitle: toy\nquestions:\n" + RELU)
    nb = toy_notebook(tmp_path, *USES_HELPERS)
    result = grade_notebook(nb, load_assignment(spec))
    assert result.needs_review
    assert any("imports `helpers`" in w and "ships no files" in w for w in result.warnings), result.warnings
    assert [q.status for q in result.questions] == ["error"]  # `helpers` undefined when relu runs


@pytest.mark.notebook
def test_a_self_contained_copy_carries_the_support_files(tmp_path: Path) -> None:
    """What a Dask worker and the Gradescope zip grade with: `AssignmentBundle.entries`, written elsewhere."""
    bundle = AssignmentBundle.load(_course(tmp_path), question_model)
    entries = bundle.entries()
    assert entries["support-files/helpers.py"] == (tmp_path / "course" / "helpers.py").read_bytes()
    assert entries["support-files/data/points.csv"] == b"1,2\n3,4\n"
    copy = AssignmentBundle.write(entries, tmp_path / "copy")
    assignment = load_assignment(copy)
    assert set(assignment.support_files()) == {"helpers.py", "data/points.csv"}
    result = grade_notebook(toy_notebook(tmp_path, *USES_HELPERS), assignment, rubric_for(assignment))
    assert result.score == 1 and result.warnings == []
