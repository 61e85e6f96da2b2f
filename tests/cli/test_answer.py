"""`grade answer`: instructors try a LaTeX answer from the shell, exit 0 correct / 1 not / 2 bad input."""

from __future__ import annotations

import json

from conftest import run_cli


def test_correct_answer_exits_0_and_says_so() -> None:
    proc = run_cli("answer", "--expected", "9*x**2 - 4*x + 5", "f'(x) = 9x^2 - 4x + 5")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("correct")


def test_wrong_answer_exits_1_with_feedback() -> None:
    proc = run_cli("answer", "--expected", "sigma(x)*(1 - sigma(x))", "--define", "sigma(x)=1/(1+exp(-x))",
                   r"\sigma(x)(1+\sigma(x))")
    assert proc.returncode == 1
    assert proc.stdout.startswith("wrong")


def test_question_from_assignment_uses_its_mistake_catalogue() -> None:
    proc = run_cli("answer", "-a", "derivatives-activations", "-q", "sigmoid_derivative_symbolic",
                   "--format", "json", r"$$\sigma'(x) = \sigma(x)(1+\sigma(x))$$")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["status"] == "known_mistake"
    assert "1 − σ(x), not 1 + σ(x)" in doc["feedback"]


def test_question_target_picks_the_asked_line_of_a_derivation() -> None:
    latex = (r"$$\frac{\partial L}{\partial \hat{y}} = -\frac{y}{\hat{y}} + \frac{1-y}{1-\hat{y}}$$"
             r" and then $$\boxed{\frac{\partial L}{\partial z} = \hat{y} - y}$$")
    proc = run_cli("answer", "-a", "derivatives-activations", "-q", "bce_derivative_symbolic", latex)
    assert proc.returncode == 0, proc.stdout


def test_answer_read_from_stdin() -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "grader", "answer", "--expected", "tanh(x)**2", "-"],
                          input=r"$$\tanh^2(x)$$", capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_bad_input_exits_2_with_one_line() -> None:
    for args, needle in [
        (["answer", "x"], "--expected"),
        (["answer", "-a", "derivatives-activations", "-q", "nope", "x"], "sigmoid_derivative_symbolic"),
        (["answer", "--expected", "sigma(x", "x"], "--expected"),
        (["answer", "--expected", "x", "--define", "nodefinition", "x"], "NAME=VALUE"),
    ]:
        proc = run_cli(*args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1 and needle in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
