"""`grade validate`: instructors find broken assignment files before students do."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, run_cli

SEED_YAML = (ROOT / "assignments" / "derivatives-activations.yaml").read_text()


def test_bundled_assignment_is_valid() -> None:
    proc = run_cli("validate", "--no-run", "derivatives-activations")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok   derivatives-activations: 12 questions, 20 points")


@pytest.mark.parametrize("old, new, needle", [
    ('reference: "torch.sigmoid(x)"', 'reference: "torch.sigmoidd(x)"', "question sigmoid: the reference `torch.sigmoidd(x)` failed"),
    ('expected: "9*x**2 - 4*x + 5"', 'expected: "9*x**2 - 4*x +"', "question f_prime_symbolic: cannot parse expected expression"),
])
def test_broken_question_is_named_in_one_line(tmp_path: Path, old: str, new: str, needle: str) -> None:
    assert SEED_YAML.count(old) == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text(SEED_YAML.replace(old, new))
    proc = run_cli("validate", str(bad))
    assert proc.returncode == 2
    assert needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_rubric_naming_a_missing_question(tmp_path: Path) -> None:
    (tmp_path / "toy.yaml").write_text(
        "id: toy\ntitle: Toy\nrubric: toy-rubric.yaml\nquestions:\n  - id: q\n    kind: function\n    function: g\n"
        "    args: [x]\n    reference: x\n    probes:\n      - {name: a, inputs: {x: [1.0]}}\n")
    (tmp_path / "toy-rubric.yaml").write_text("assignment: toy\nquestions:\n  qq: {points: 2}\n")
    proc = run_cli("validate", str(tmp_path / "toy.yaml"))
    assert proc.returncode == 2 and "questions.qq: no such question in toy (questions: q)" in proc.stderr


OPT_YAML = (ROOT / "assignments" / "optimizers.yaml").read_text()
AUTOGRAD_YAML = (ROOT / "assignments" / "autograd.yaml").read_text()


@pytest.mark.parametrize("name, text, needle", [
    ("optimizers", OPT_YAML.replace("    reference: torch.optim.SGD\n", "    reference: torch.optim.SGDD\n"),
     "question SGD: reference: torch.optim has no 'SGDD'"),
    ("optimizers", OPT_YAML.replace("{reference: ref.SGDMomentumAverage,", "{reference: ref.NoSuchClass,"),
     "question SGD: mistakes: ref has no 'NoSuchClass'"),
    ("autograd", AUTOGRAD_YAML.replace("probe_builder: ref.linear_problem", "probe_builder: ref.no_builder"),
     "question linear_mse_grads: probe_builder: ref has no 'no_builder'"),
    ("autograd", AUTOGRAD_YAML.replace("require: *autograd\n    probes:\n      - {name: lecture, label: \"the lecture's example x",
                                       "isolate: [missing_helper]\n    require: *autograd\n    probes:\n"
                                       "      - {name: lecture, label: \"the lecture's example x"),
     "question mse_grad_w: isolate needs missing_helper"),
    ("extended", "extends: activations.yaml\nexclude: [nope]\nid: x\ntitle: X\n", "exclude: no question 'nope'"),
    ("extended", "extends: no-such-base.yaml\nid: x\ntitle: X\n", "no-such-base.yaml: file not found"),
])
def test_bad_new_fields_are_one_line_naming_the_place(tmp_path: Path, name: str, text: str, needle: str) -> None:
    """References to reference.py, torch.optim classes, probe builders, isolated helpers and base specs."""
    src = ROOT / "assignments"
    for folder in ("optimizers", "autograd"):
        shutil.copytree(src / folder, tmp_path / folder)
    (tmp_path / "activations.yaml").write_text((src / "activations.yaml").read_text())
    assert text.count("SGDD") + text.count("NoSuchClass") + text.count("no_builder") + text.count("missing_helper") \
        + text.count("nope") + text.count("no-such-base") == 1, "the edit did not apply"
    (tmp_path / f"{name}.yaml").write_text(text)
    proc = run_cli("validate", "--no-run", str(tmp_path / f"{name}.yaml"))
    assert proc.returncode == 2, proc.stdout
    assert needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


STARTER = ROOT / "examples" / "derivatives_activations_starter.ipynb"


@pytest.mark.notebook
def test_a_starter_whose_answer_reads_as_an_attempt_fails(tmp_path: Path) -> None:
    """A written answer the grader reads as an attempt: 0 points (a known mistake), yet not `no_answer`,
    so students who leave it would be told they made that mistake."""
    nb = nbformat.read(STARTER, as_version=4)
    cells = [c for c in nb.cells if "f_prime_symbolic" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    cells[0].source = "YOUR ANSWER HERE, for example $$f'(x) = 9x^2 - 4x$$"
    nbformat.write(nb, tmp_path / "starter.ipynb")
    solution = ROOT / "examples" / "derivatives_activations_solved.ipynb"
    text = SEED_YAML.replace("solution: ../examples/derivatives_activations_solved.ipynb",
                             f"solution: {solution}\nstarter: starter.ipynb")
    assert "starter: starter.ipynb" in text
    (tmp_path / "seed.yaml").write_text(text)
    proc = run_cli("validate", str(tmp_path / "seed.yaml"))
    assert proc.returncode == 2, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "the unsolved starter's f_prime_symbolic is graded as an attempt (failed" in lines[0], proc.stderr
    assert proc.stdout.startswith("FAIL derivatives-activations:") and "starter 0/20" in proc.stdout


def test_a_solution_flagged_for_review_fails(tmp_path: Path) -> None:
    """Full marks are not enough: a solution the grader would send to a TA (the right answer through a
    wrong step) would send every student who writes the same there too."""
    solution = ROOT / "examples" / "derivatives_activations_solved.ipynb"
    nb = nbformat.read(solution, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "markdown" and c.source == "$$f'(x)=9x^2-4x+5$$"]
    assert len(cells) == 1  # the seed's answer cell (found by its prompt: the seed has no tags)
    cells[0].source = "$$f'(x) = 9x^2 - 4x = 9x^2 - 4x + 5$$"
    nbformat.write(nb, tmp_path / "solution.ipynb")
    text = SEED_YAML.replace("solution: ../examples/derivatives_activations_solved.ipynb", "solution: solution.ipynb")
    (tmp_path / "seed.yaml").write_text(text)
    proc = run_cli("validate", str(tmp_path / "seed.yaml"))
    assert proc.returncode == 2, proc.stdout
    assert "the solution is flagged for review on f_prime_symbolic (passed)" in proc.stderr, proc.stderr
    assert "solution 20/20" in proc.stdout and proc.stdout.startswith("FAIL")
