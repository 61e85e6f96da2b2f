"""`grade release` writes the students' starter from the YAML, and `grade validate` proves an
assignment: its solution gets full marks and its starter scores zero without a grader error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, grade, run_cli

from grader.kinds import load_assignment
from grader.spec.find import resolve_assignment
from grader.workflows.release import starter_text

COURSE = ["activations", "activations-numpy", "losses", "optimizers", "autograd"]


def _starter_path(aid: str) -> Path:
    return ROOT / "examples" / f"{aid.replace('-', '_')}_starter.ipynb"


@pytest.mark.parametrize("aid", COURSE)
def test_released_starter_opens_in_jupyter_and_holds_every_question(aid: str, tmp_path: Path) -> None:
    out = tmp_path / "starter.ipynb"
    proc = run_cli("release", aid, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.read(out, as_version=4)
    nbformat.validate(nb)  # what Jupyter checks when it opens a notebook
    assert nb.metadata["grader"]["assignment"] == aid and nb.metadata["kernelspec"]["name"] == "python3"
    a = load_assignment(resolve_assignment(aid))
    tags = {t for c in nb.cells for t in c.metadata.get("tags", [])}
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for q in a.questions:
        if q.kind == "symbolic":
            assert q.answer.tag in tags, q.id
        elif q.kind == "optimizer":
            assert f"class {q.optimizer}:" in code and "def step(self):" in code
        else:
            assert f"def {q.stub_signature}:" in code, q.id
    assert code.count("raise NotImplementedError") >= sum(q.kind != "symbolic" for q in a.questions)


@pytest.mark.parametrize("aid", COURSE)
def test_shipped_starter_is_what_release_writes(aid: str) -> None:
    shipped = _starter_path(aid).read_text(encoding="utf-8")
    assert shipped == starter_text(load_assignment(resolve_assignment(aid))), \
        f"examples/{_starter_path(aid).name} is stale: run `grade release {aid} -o examples/{_starter_path(aid).name}`"


def test_release_to_stdout_and_bad_assignment() -> None:
    proc = run_cli("release", "autograd")
    assert proc.returncode == 0 and json.loads(proc.stdout)["metadata"]["grader"]["assignment"] == "autograd"
    proc = run_cli("release", "no-such-assignment")
    assert proc.returncode == 2 and proc.stderr.startswith("grade: error: unknown assignment 'no-such-assignment'")


@pytest.mark.notebook
@pytest.mark.parametrize("aid", COURSE + ["derivatives-activations", "udl-6-5-adam"])  # the last: a `starter:` file
def test_validate_proves_each_bundled_assignment(aid: str) -> None:
    proc = run_cli("validate", aid)
    assert proc.returncode == 0, proc.stderr
    line = proc.stdout.strip()
    assert line.startswith(f"ok   {aid}:") and "starter 0/" in line
    total = line.split("solution ")[1].split(";")[0]
    score, max_score = total.split("/")
    assert score == max_score and float(max_score) > 0, line


@pytest.mark.notebook
def test_validate_fails_when_the_solution_loses_points(tmp_path: Path) -> None:
    src = ROOT / "assignments"
    shutil.copytree(src / "autograd", tmp_path / "autograd")
    solution = nbformat.read(ROOT / "examples" / "autograd_solution.ipynb", as_version=4)
    for c in solution.cells:
        c.source = c.source.replace("F.mse_loss(x * w, y)\n", "F.mse_loss(x * w, y, reduction='sum')\n")
    nbformat.write(solution, tmp_path / "solution.ipynb")
    text = (src / "autograd.yaml").read_text().replace("solution: ../examples/autograd_solution.ipynb", "solution: solution.ipynb")
    (tmp_path / "autograd.yaml").write_text(text)
    proc = run_cli("validate", str(tmp_path / "autograd.yaml"))
    assert proc.returncode == 2
    assert "the solution loses points on mse_grad_w" in proc.stderr
    assert proc.stdout.startswith("FAIL autograd:")


@pytest.mark.notebook
def test_released_starter_is_entirely_blank(tmp_path: Path) -> None:
    """What `grade release` writes grades as not attempted everywhere: its placeholder (with an example
    `$$f'(x) = ...$$` in it) is no answer, its stubs are not wrong answers."""
    a = load_assignment(resolve_assignment("losses"))
    path = tmp_path / "starter.ipynb"
    path.write_text(starter_text(a), encoding="utf-8")
    result = grade(path, "losses")
    assert result.score == 0 and not result.needs_review
    written = [q for q in result.questions if q.kind == "symbolic"]
    assert written and all(q.status == "no_answer" and "placeholder" in q.feedback for q in written), \
        {q.id: (q.status, q.feedback) for q in written}
    assert all(q.status == "not_attempted" for q in result.questions if q.kind != "symbolic")
