"""Finding a course's cell by what its code does: the TODO comment is a hint, never required, and a
cell the code cannot single out is reported with the reason instead of guessed."""

from __future__ import annotations

import nbformat
import pytest

from grader.notebook.read import CellQuery, cell_facts, last_code_cell, locate_cell

SGD = """np.random.seed(1)
phi_all = np.zeros((2, 11))
for c_step in range(10):
  gradient = compute_gradient(phi_all[:, c_step:c_step+1])
  phi_all[:, c_step+1:c_step+2] = phi_all[:, c_step:c_step+1] - alpha * gradient
draw(phi_all)"""
MOMENTUM = """np.random.seed(1)
momentum = np.zeros([2,1])
phi_all = np.zeros((2, 11))
for c_step in range(10):
  gradient = compute_gradient(phi_all[:, c_step:c_step+1])
  # TODO -- calculate momentum - replace the line below
  momentum = beta * momentum + (1 - beta) * gradient
  phi_all[:, c_step+1:c_step+2] = phi_all[:, c_step:c_step+1] - alpha * momentum
draw(phi_all)"""
NESTEROV = MOMENTUM.replace("# TODO -- calculate momentum - replace the line below",
                            "# TODO -- calculate Nesterov momentum - replace the lines below")

MOMENTUM_Q = CellQuery("# TODO -- calculate momentum", ("phi_all", "momentum"), in_loop=True, nth=1, of=2)
NESTEROV_Q = CellQuery("# TODO -- calculate Nesterov momentum", ("phi_all", "momentum"), in_loop=True, nth=2, of=2)


def _nb(*cells: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Momentum")]
                                    + [nbformat.v4.new_code_cell(c) for c in cells])


def _edit(source: str, new_comment: str | None) -> str:
    """A TODO comment reworded ('# Done -- ...') or, with None, deleted."""
    lines = [(new_comment if line.strip().startswith("# TODO") else line) for line in source.splitlines()]
    return "\n".join(line for line in lines if line is not None)


def test_the_hint_picks_among_the_cells_that_do_what_the_question_expects() -> None:
    nb = _nb(SGD, MOMENTUM, NESTEROV)
    assert locate_cell(nb, MOMENTUM_Q).index == 2 and locate_cell(nb, MOMENTUM_Q).how == "hint"
    assert locate_cell(nb, NESTEROV_Q).index == 3
    assert last_code_cell(nb, "# TODO -- calculate momentum") == 2  # text alone, as before


@pytest.mark.parametrize("comment", ["  # Done -- calculate momentum", "  # TODO✅ -- calculate momentum", None])
def test_an_edited_or_deleted_comment_still_finds_the_same_cells(comment: str | None) -> None:
    nb = _nb(SGD, _edit(MOMENTUM, comment), _edit(NESTEROV, comment))
    momentum, nesterov = locate_cell(nb, MOMENTUM_Q), locate_cell(nb, NESTEROV_Q)
    assert (momentum.index, nesterov.index) == (2, 3)
    assert momentum.how == nesterov.how == "position" and momentum.trusted
    assert "the 1st of the 2 cells assigning `phi_all` and `momentum` inside a loop (cells 3, 4)" in momentum.note


def test_one_cell_doing_it_is_found_without_any_hint() -> None:
    q = CellQuery("grad_path1 = adam(", ("grad_path1",), calls=("adam",))
    before = "grad_path1 = normalized_gradients(start, 40, 0.08)"
    assert locate_cell(_nb(before, "grad_path1 = adam(start, n_steps=60, alpha=0.05)"), q).how == "hint"
    assert locate_cell(_nb(before, "grad_path1=adam(start,60,0.05)"), q).how == "hint"  # spacing aside
    found = locate_cell(_nb(before, "path = adam(start, 60, 0.05)  # mine\ngrad_path1 = path"), q)
    assert found.index == 2 and found.how == "structure"
    assert found.note == ("cell 3 was taken as the one this question reads: "
                          "the only cell assigning `grad_path1`, calling `adam`.")
    assert locate_cell(_nb(before, "path = adam(start, 60, 0.05)"), q).index is None  # never assigns grad_path1


def test_a_duplicated_loop_without_hints_is_not_guessed() -> None:
    nb = _nb(SGD, _edit(MOMENTUM, None), _edit(MOMENTUM, None), _edit(NESTEROV, None))
    found = locate_cell(nb, NESTEROV_Q)
    assert found.index is None and not found.trusted
    assert found.note == ("there are 3 cells assigning `phi_all` and `momentum` inside a loop (cells 3, 4, 5; "
                          "the starter has 2), and none contains `# TODO -- calculate Nesterov momentum`")
    nb = _nb(SGD, MOMENTUM, _edit(MOMENTUM, None), NESTEROV)
    assert locate_cell(nb, NESTEROV_Q).index == 4  # the hint still settles it


def test_a_cell_with_the_hint_but_not_the_code_is_found_but_not_trusted() -> None:
    nb = _nb(SGD, "# TODO -- calculate momentum\nphi_all = run_momentum(data)  # my own function")
    found = locate_cell(nb, MOMENTUM_Q)
    assert found.index == 2 and found.how == "hint only" and not found.trusted
    assert "is not a cell assigning `phi_all` and `momentum` inside a loop" in found.note
    assert locate_cell(_nb(SGD), MOMENTUM_Q).note == (
        "no code cell was found assigning `phi_all` and `momentum` inside a loop, "
        "nor one containing `# TODO -- calculate momentum`")


def test_what_counts_as_assigning_calling_and_using() -> None:
    facts = cell_facts("y, (a, *rest) = f(x)\nz[0] = 1\nobj.attr += 2\nfor i in range(3):\n    p[i] = np.exp(i)\n"
                       "def helper():\n    hidden = g()\nwith open('f') as fh:\n    pass\nprint(sigmoid)")
    assert facts is not None
    assert {"y", "a", "rest", "z", "obj", "i", "p", "fh"} <= facts.assigned and "hidden" not in facts.assigned
    assert facts.assigned_in_loop == {"p"}  # the loop variable is bound by the loop's header
    assert {"f", "np.exp", "exp", "range", "print", "open"} <= facts.called and "g" not in facts.called
    assert "sigmoid" in facts.used
    assert cell_facts("%matplotlib inline\n!ls\nx = 1").assigned == {"x"}  # magics aside


def test_cells_that_do_not_parse_or_nest_absurdly_are_only_matched_by_their_text() -> None:
    q = CellQuery("sig_z = sigmoid(z)", ("sig_z",))
    nb = _nb("sig_z = sigmoid(z)\nif oops", "x = " + "-" * 100_000 + "1", "y = " + "(" * 5000 + ")" * 5000)
    assert cell_facts(nb.cells[2].source) is None and cell_facts(nb.cells[3].source) is None
    assert cell_facts("x = " + "-" * 900 + "1").assigned == {"x"}  # deep, but it parses: walked without recursion
    found = locate_cell(nb, q)
    assert found.index == 1 and found.how == "hint only"
