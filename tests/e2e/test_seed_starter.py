"""The starter notebook students receive: it runs, names its assignment, and earns nothing yet."""

from __future__ import annotations

import nbformat
import pytest
from conftest import ROOT, by_id, run_cli

from grader.grading.pipeline import grade_notebook

STARTER = ROOT / "examples" / "derivatives_activations_starter.ipynb"


def test_starter_names_its_assignment_and_tags_every_written_answer() -> None:
    nb = nbformat.read(STARTER, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["grader"]["assignment"] == "derivatives-activations"
    tags = {t for c in nb.cells for t in c.get("metadata", {}).get("tags", [])}
    assert tags == {"f_prime_symbolic", "sigmoid_derivative_symbolic", "relu_derivative_symbolic", "bce_derivative_symbolic"}
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "torch.exp(-x)" not in code and "(x > 0).float()" not in code, "the starter leaks a solution"


@pytest.mark.notebook
def test_unsolved_starter_scores_zero_with_statuses_that_say_why() -> None:
    result = grade_notebook(STARTER)  # no assignment given: taken from the metadata
    assert result.assignment_source.startswith("from the notebook's metadata")
    assert result.max_score == 20 and result.score == 0
    q = by_id(result)
    for name in ("f", "f_prime", "sigmoid", "sigmoid_derivative", "relu", "relu_derivative",
                 "binary_cross_entropy", "bce_derivative"):
        assert q[name].status == "not_attempted", name  # still the stub: not the same as a wrong answer
        assert "Not attempted" in q[name].feedback and "NotImplementedError" in q[name].feedback
    for name in ("f_prime_symbolic", "sigmoid_derivative_symbolic", "relu_derivative_symbolic", "bce_derivative_symbolic"):
        assert q[name].status == "no_answer", (name, q[name].feedback)


@pytest.mark.notebook
def test_text_report_prints_author_feedback_verbatim() -> None:
    # the rubric's BCE hint contains square brackets, which a rich-markup bug would swallow
    proc = run_cli(str(STARTER), "--color", "never")
    assert proc.returncode == 0, proc.stderr
    assert "L = −[y·log(y_pred) + (1 − y)·log(1 − y_pred)]." in proc.stdout
    assert "Total: 0/20" in proc.stdout
