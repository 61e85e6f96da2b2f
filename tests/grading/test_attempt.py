"""Not attempted versus wrong, several definitions of a graded function, and notebooks that are
mostly missing: graded through the real kernel, as a student's notebook would be."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest
from conftest import SEED, by_id, grade
from variants_udl import SOLUTIONS as UDL_SOLUTIONS

from grader.kinds.cells import ANSWER_PLACEHOLDER

pytestmark = pytest.mark.notebook

CODE = ["f", "f_prime", "sigmoid", "sigmoid_derivative", "relu", "relu_derivative", "binary_cross_entropy",
        "bce_derivative"]
WRITTEN = ["f_prime_symbolic", "sigmoid_derivative_symbolic", "relu_derivative_symbolic", "bce_derivative_symbolic"]


def _with_bodies(source: str, bodies: dict[str, str]) -> str:
    """`source` with the body of each top-level function named in `bodies` replaced by that text
    (indented four spaces); constant assignments such as `eps = 1e-8` stay, as the upstream blank keeps them."""
    lines = source.splitlines()
    tree = ast.parse(source)
    for node in reversed(tree.body):
        if isinstance(node, ast.FunctionDef) and node.name in bodies:
            kept = [ast.get_source_segment(source, s) for s in node.body
                    if isinstance(s, ast.Assign) and isinstance(s.value, ast.Constant)]
            new = [f"    {line}" if line else "" for text in [*kept, bodies[node.name]] for line in text.splitlines()]
            lines[node.body[0].lineno - 1:node.end_lineno] = new
    return "\n".join(lines) + "\n"


def _blank(dest: Path, bodies: dict[str, str], answer: str) -> Path:
    """The solved seed turned back into a blank: function bodies replaced, each written answer (the
    markdown cell after a "Your Solution" marker) replaced by `answer`."""
    nb = nbformat.read(SEED, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.source = _with_bodies(cell.source, bodies)
        elif i and "Your Solution" in nb.cells[i - 1].source and "$" in cell.source:
            cell.source = answer
    assert sum(c.source == answer for c in nb.cells) == len(WRITTEN)
    path = dest / "blank.ipynb"
    nbformat.write(nb, path)
    return path


def _assert_blank(path: Path) -> None:
    result = grade(path)
    q = by_id(result)
    assert result.score == 0 and result.max_score == 20
    assert {n: q[n].status for n in CODE} == {n: "not_attempted" for n in CODE}, {n: q[n].feedback for n in CODE}
    assert {n: q[n].status for n in WRITTEN} == {n: "no_answer" for n in WRITTEN}, {n: q[n].feedback for n in WRITTEN}
    assert not any("forget" in x.feedback for x in result.questions)  # no "did you forget `return`?"
    assert not result.needs_review
    for name in CODE:
        assert q[name].feedback.startswith("Not attempted:") and f"`{name}`" in q[name].feedback


def test_the_upstream_blank_with_pass_stubs_is_not_attempted(tmp_path: Path) -> None:
    """The seed sheet as its course hands it out: `pass` stubs (BCE's after `eps = 1e-8`), empty answer
    cells, plotting code that then fails on None."""
    _assert_blank(_blank(tmp_path, {n: "pass" for n in CODE}, ""))


def test_every_placeholder_style_is_not_attempted(tmp_path: Path) -> None:
    bodies = {
        "f": "...",
        "f_prime": '"""The derivative of f."""',
        "sigmoid": "# YOUR CODE HERE\nreturn None",
        "sigmoid_derivative": "# TODO compute the derivative; replace the line below\ns = None\nreturn s",
        "relu": "raise NotImplementedError('relu')",
        "relu_derivative": "return",
        "binary_cross_entropy": "pass",
        "bce_derivative": '"""\nParameters\n----------\ny_pred : Tensor\n"""\n# TODO\npass',
    }
    _assert_blank(_blank(tmp_path, bodies, ANSWER_PLACEHOLDER))  # and `grade release`'s placeholder text


def _edited(dest: Path, edit) -> Path:
    nb = nbformat.read(SEED, as_version=4)
    edit(nb)
    path = dest / "submission.ipynb"
    nbformat.write(nb, path)
    return path


def _cell(nb: nbformat.NotebookNode, needle: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if needle in c.source)


RELU = "def relu(x):\n    return torch.maximum(torch.tensor(0.0), x)\n"  # the solution's code, as pasted
RELU_DERIVATIVE = "def relu_derivative(x):\n    return (x > 0).float()\n"


def _several_definitions(nb: nbformat.NotebookNode) -> None:
    code = nbformat.v4.new_code_cell
    # relu: a wrong attempt in the sheet's cell, then the solution pasted in a cell of its own
    i = _cell(nb, "def relu(x):")
    nb.cells[i].source = nb.cells[i].source.replace(RELU.strip(), "def relu(x):\n    return x")
    nb.cells[i].source = nb.cells[i].source.replace(RELU_DERIVATIVE.strip(), "def relu_derivative(x):\n    pass")
    # relu_derivative: the stub left in place, the student's own code (the same as the solution's) below it
    nb.cells.insert(i + 1, code(RELU + "\n" + RELU_DERIVATIVE))
    # sigmoid_derivative: a wrong attempt, then a "Correction" heading and different correct code
    j = _cell(nb, "def sigmoid_derivative(x):")
    nb.cells[j].source = nb.cells[j].source.replace("return s * (1 - s)", "return s * (1 + s)")
    nb.cells.insert(j + 1, nbformat.v4.new_markdown_cell("### Correction"))
    nb.cells.insert(j + 2, code("def sigmoid_derivative(x):\n    return torch.sigmoid(x) * torch.sigmoid(-x)\n"))
    # f: the student's code, then the stub pasted again further down: Python keeps the stub
    k = _cell(nb, "def sigmoid(x):")
    nb.cells.insert(k, code("def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError\n"))


def test_the_last_of_several_definitions_is_graded_and_said_so(tmp_path: Path) -> None:
    path = _edited(tmp_path, _several_definitions)
    nb = nbformat.read(path, as_version=4)
    relu_cells = [i + 1 for i, c in enumerate(nb.cells) if "def relu(x):" in c.source]
    q = by_id(grade(path))

    relu = q["relu"]
    assert relu.score == relu.max_score and relu.needs_review
    assert f"`relu` is defined 2 times (cells {relu_cells[0]}, {relu_cells[1]})" in relu.feedback
    assert f"the last definition (cell {relu_cells[1]}) is the one graded" in relu.feedback
    assert "released solution's code; flagged for review" in relu.feedback

    derivative = q["sigmoid_derivative"]
    assert derivative.score == derivative.max_score and derivative.needs_review
    assert 'follows the heading "Correction"; flagged for review' in derivative.feedback

    f = q["f"]
    assert f.status == "not_attempted" and f.needs_review  # the attempt above it does not count, but a TA looks
    assert "is an attempt, but the later one" in f.feedback and "the one graded" in f.feedback

    below_stub = q["relu_derivative"]  # own code under the sheet's stub: graded, said, not suspicious
    assert below_stub.score == below_stub.max_score and not below_stub.needs_review
    assert "`relu_derivative` is defined 2 times" in below_stub.feedback

    assert not any(q[n].needs_review or "defined" in q[n].feedback
                   for n in ("f_prime", "sigmoid", "binary_cross_entropy", "bce_derivative", *WRITTEN))


@pytest.mark.parametrize("renamed, flagged", [(CODE[:6], True), (CODE[:5], False)])  # 6 of 12 missing; 5 of 12
def test_half_or_more_missing_is_flagged_for_review(tmp_path: Path, renamed: list[str], flagged: bool) -> None:
    def rename(nb: nbformat.NotebookNode) -> None:
        for c in nb.cells:
            for name in renamed:
                c.source = c.source.replace(f"def {name}(", f"def my_{name}(")

    result = grade(_edited(tmp_path, rename))
    q = by_id(result)
    assert [n for n in CODE if q[n].status == "missing"] == renamed
    assert result.needs_review is flagged
    assert all(q[n].needs_review is flagged for n in renamed)
    assert ("6 of the 12 questions were not found" in q[renamed[0]].feedback) is flagged


def test_a_notebook_with_nothing_of_the_assignment_is_flagged(tmp_path: Path) -> None:
    path = tmp_path / "other.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Lab 3: convolutions")]), path)
    result = grade(path)
    assert result.score == 0 and {x.status for x in result.questions} == {"missing"}
    assert result.needs_review and "12 of the 12 questions were not found" in result.questions[0].feedback


def test_udl_style_stubs_are_not_attempted(tmp_path: Path) -> None:
    """UDL's sigmoid emptied the way its other stubs are (`# TODO` then `activation = None`), and
    heaviside left exactly as the starter has it: neither they nor the cells that use them count as wrong."""
    nb = nbformat.read(UDL_SOLUTIONS["udl_3_4_activations"], as_version=4)
    sigmoid = "activation = 1.0 / (1.0 + np.exp(-10.0 * preactivation))"
    heaviside = "activation = (preactivation >= 0).astype(int)"
    for c in nb.cells:
        c.source = c.source.replace(sigmoid, "activation = None").replace(heaviside, "activation = np.zeros_like(preactivation);")
    path = tmp_path / "udl.ipynb"
    nbformat.write(nb, path)
    result = grade(path, "udl-3-4-activations")
    statuses = {x.id: x.status for x in result.questions}
    assert result.score == 0 and set(statuses.values()) == {"not_attempted"}, {x.id: x.feedback for x in result.questions}
    assert "`sigmoid` has no code yet" in by_id(result)["sigmoid"].feedback
    assert "`heaviside` is still as in the starter notebook" in by_id(result)["heaviside"].feedback
