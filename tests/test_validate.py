"""`grade validate`: instructors find broken assignment files before students do."""

from __future__ import annotations

from pathlib import Path

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
