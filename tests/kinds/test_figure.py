"""Figure questions graded by what they plot: the lines, scatter points and images of the cell's
figures, read inside the student's kernel as they are shown, against the reference figure's.

A correct plot keeps its points however it is styled or laid out; a NaN path, a wrong curve or a
diagonal where a step belongs loses them, with feedback naming the element and a point;
`compare: any` still accepts any image."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import by_id
from toys import reword_todo, toy_course, toy_notebook

from grader.errors import SpecError
from grader.grading.pipeline import grade_notebook
from grader.kinds import load_assignment
from grader.kinds.registry import get_kind
from grader.report import render

SPEC = """
id: toy-figure
title: Toy figure
array_library: numpy
questions:
  - id: step_plot
    kind: figure
    after: "# plot the step"
    reference: "ref.step_figure()"
  - id: path_plot
    kind: figure
    after: "path = descend("
    reference: "ref.path_figure()"
  - id: panels
    kind: figure
    after: "# two panels"
    reference: "ref.panels_figure()"
  - id: any_plot
    kind: figure
    compare: any
    after: "# any plot"
    reference: "ref.step_figure()"
"""

CELLS = {
    "imports": "import numpy as np\nimport matplotlib.pyplot as plt",
    "step": "def step(z):\n    return (z >= 0).astype(float)",
    "descend": ("def descend(start, n, alpha):\n    path = np.zeros((2, n + 1))\n    path[:, 0] = start\n"
                "    for i in range(n):\n        path[:, i + 1] = path[:, i] - alpha * np.array([2.0, 6.0]) * path[:, i]\n"
                "    return path"),
    "step_plot": ("# plot the step\nz = np.arange(-1, 1, 0.01)\nfig, ax = plt.subplots()\nax.plot(z, step(z), 'r-')\n"
                  "plt.show()"),
    "path_plot": ("path = descend(np.array([-1.5, 1.0]), 30, 0.1)\n"
                  "xs, ys = np.meshgrid(np.linspace(-2, 2, 50), np.linspace(-1.5, 1.5, 50))\n"
                  "fig, ax = plt.subplots()\nax.contourf(xs, ys, xs ** 2 + 3 * ys ** 2, 30)\n"
                  "ax.plot(path[0], path[1], 'go-')\nax.scatter(path[0, :1], path[1, :1])\nplt.show()"),
    "panels": ("# two panels\nfig, ax = plt.subplots(1, 2)\nax[0].plot(z, np.tanh(3 * z))\n"
               "ax[1].imshow(np.outer(step(z[::10]), z[::10]))\nplt.show()"),
    "any_plot": "# any plot\nplt.hist(np.random.default_rng(0).normal(size=100))\nplt.show()",
}

# The same plots as a student might draw them: other colours, labels, limits, sampling and layout, a legend,
# guide lines, a colour bar, an extra figure, the path drawn twice (line and markers), the start point as a
# marker line instead of a scatter, the step with plt.step on a grid of its own.
RESTYLED = {
    **CELLS,
    "step_plot": ("# plot the step\nz = np.arange(-1, 1, 0.01)\nzz = np.linspace(-1, 1, 41)\n"
                  "fig, ax = plt.subplots(figsize=(6, 3))\n"
                  "ax.step(zz, step(zz), where='post', color='tab:blue', ls='--', lw=3, label='step(z)')\n"
                  "ax.axhline(0, color='k', lw=0.5)\nax.axvline(0, color='k', lw=0.5)\nax.set_ylim(-2, 2)\n"
                  "ax.set_title('Heaviside')\nax.legend()\nplt.show()"),
    "path_plot": ("plt.figure()\nplt.plot([0, 1], [1, 0])\nplt.title('a warm-up figure first')\nplt.show()\n"
                  "path = descend(np.array([-1.5, 1.0]), 30, 0.1)\n"
                  "xs, ys = np.meshgrid(np.linspace(-2, 2, 50), np.linspace(-1.5, 1.5, 50))\n"
                  "fig, ax = plt.subplots()\nfig.set_size_inches(7, 7)\n"
                  "cs = ax.contourf(xs, ys, xs ** 2 + 3 * ys ** 2, 30, cmap='magma')\nfig.colorbar(cs)\n"
                  "ax.plot(path[0], path[1], '-', color='#a0d9d3')\nax.plot(path[0], path[1], '.', markersize=10)\n"
                  "ax.plot(path[0, 0], path[1, 0], 'r*', label='start')\nax.set_xlim(-2, 2)\nax.legend()\nplt.show()"),
    "panels": ("# two panels\nfig, (top, bottom) = plt.subplots(2, 1)\n"
               "im = bottom.imshow(np.outer(step(z[::10]), z[::10]), cmap='gray')\nfig.colorbar(im)\n"
               "top.plot(z, np.tanh(3 * z), 'k:', label='tanh(3z)')\ntop.legend()\nfig.tight_layout()\nplt.show()"),
}


def _write(folder: Path, name: str, cells: dict[str, str]) -> Path:
    return toy_notebook(folder, *cells.values(), name=name)


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    (tmp_path / "toy-figure").mkdir()
    shutil.copy(Path(__file__).parent / "toy_figure" / "reference.py", tmp_path / "toy-figure" / "reference.py")
    (tmp_path / "toy-figure.yaml").write_text(SPEC)
    return tmp_path


def _grade(toy: Path, cells: dict[str, str]):
    return grade_notebook(_write(toy, "mine.ipynb", cells), load_assignment(toy / "toy-figure.yaml"))


def _lost(result) -> dict[str, tuple[str, str]]:
    return {q.id: (q.status, q.feedback) for q in result.questions if q.score != q.max_score}


@pytest.mark.notebook
def test_correct_plots_full_marks_and_shown_next_to_the_reference(toy: Path) -> None:
    result = _grade(toy, CELLS)
    assert not _lost(result) and result.score == 4, _lost(result)
    assert render(result, "html").count("data:image/png;base64,") == 8  # four plots, four references


@pytest.mark.notebook
def test_restyled_and_rearranged_plots_keep_full_marks(toy: Path) -> None:
    result = _grade(toy, RESTYLED)
    assert not _lost(result) and result.score == 4, _lost(result)


@pytest.mark.notebook
def test_nan_path_diagonal_step_and_wrong_image_lose_their_points(toy: Path) -> None:
    cells = {**CELLS,
             "step": "def step(z):\n    return (z + 1) / 2  # a diagonal, not a step",
             "descend": CELLS["descend"].replace("- alpha *", "- np.nan * alpha *"),
             "panels": CELLS["panels"].replace("np.outer(step(z[::10]), z[::10])", "np.outer(z[::10], step(z[::10]))"),
             "any_plot": "# any plot\nplt.plot([3, 1, 2])\nplt.show()"}
    q = by_id(_grade(toy, cells))
    assert q["step_plot"].score == 0 and q["step_plot"].status == "failed"
    assert ("Cell 4: The reference's line is not in your figure; the closest, your line, differs from it at "
            "197 of 200 points, most at point 101: yours is (x=0, y=0.5), the reference's (x=0, y=1)."
            ) == q["step_plot"].feedback
    assert q["path_plot"].score == 0
    assert "The reference's line is not in your figure" in q["path_plot"].feedback
    assert "has NaN or inf at 30 of 31 points (the first is point 2: yours (x=nan, y=nan)" in q["path_plot"].feedback
    assert q["panels"].score == 0
    assert "The reference's image in axes 2 of 2 ('outer product') is not in your figure" in q["panels"].feedback
    assert "differs at" in q["panels"].feedback and "yours" in q["panels"].feedback
    assert q["any_plot"].score == 1  # compare: any: any image earns the points, as before


@pytest.mark.notebook
def test_a_wrong_path_names_the_point_and_a_missing_plot_is_said(toy: Path) -> None:
    cells = {**CELLS, "descend": CELLS["descend"].replace("np.array([2.0, 6.0])", "np.array([2.0, 3.0])"),
             "any_plot": "# any plot\nx = 1"}
    q = by_id(_grade(toy, cells))
    assert q["path_plot"].score == 0
    feedback = q["path_plot"].feedback
    # the path converges to 0 either way: the first 14 steps differ, most at the second step (y = 1 - 0.3 = 0.7,
    # then 0.7² = 0.49 where the reference has 1 - 0.6 = 0.4, then 0.16)
    assert ("Cell 5: The reference's line is not in your figure; the closest, your line, differs from it at 14 of 31 "
            "points, most at point 3: yours is (x=-0.96, y=0.49), the reference's (x=-0.96, y=0.16).") == feedback
    assert q["step_plot"].score == q["panels"].score == 1
    assert q["any_plot"].score == 0 and "showed no image" in q["any_plot"].feedback


@pytest.mark.notebook
def test_a_silenced_runtime_sends_the_plots_to_review_never_passes_them(toy: Path) -> None:
    cells = {**CELLS, "step": "def step(z):\n    return (z + 1) / 2", "last": "import sys\nsys.modules['__grader_probe__'] = None"}
    result = _grade(toy, cells)
    q = by_id(result)
    for qid in ("step_plot", "path_plot", "panels"):
        assert q[qid].score == 0 and q[qid].status == "undecided" and q[qid].needs_review, (qid, q[qid].feedback)
        assert "drew a figure, but the grader could not read what it plots" in q[qid].feedback
    assert q["any_plot"].score == 1


def _question(toy: Path, extra: str) -> object:
    (toy / "toy-figure.yaml").write_text(SPEC + extra)
    return load_assignment(toy / "toy-figure.yaml")


def test_content_is_the_default_with_a_reference_and_any_without(toy: Path) -> None:
    assignment = _question(toy, '  - {id: bare, kind: figure, after: "plt.plot("}\n')
    modes = {q.id: q.mode for q in assignment.questions}
    assert modes == {"step_plot": "content", "path_plot": "content", "panels": "content", "any_plot": "any",
                     "bare": "any"}


def test_content_without_a_reference_is_a_spec_error(toy: Path) -> None:
    with pytest.raises(SpecError, match="needs a `reference`"):
        _question(toy, '  - {id: bare, kind: figure, compare: content, after: "plt.plot("}\n')


def test_a_reference_with_nothing_to_compare_asks_for_compare_any(toy: Path) -> None:
    assignment = _question(toy, '  - {id: bars, kind: figure, after: "plt.bar(", reference: "ref.nothing_to_compare()"}\n')
    bars = next(q for q in assignment.questions if q.id == "bars")
    with pytest.raises(SpecError, match="give `compare: any`"):
        get_kind("figure").prepare(bars, assignment)


# ---- loop cells found by their code, as state questions' are ------------------------------------

LOOPS_SPEC = """
id: toy-figure-loops
title: Toy figure loops
array_library: numpy
starter: blank.ipynb
questions:
  - id: step_loop
    kind: figure
    after: "# TODO -- fill in the step"
    cell: {assigns: [out], in_loop: true, nth: 1, of: 2}
    reference: "ref.step_figure()"
    todo_in_cell: true
  - id: path_loop
    kind: figure
    after: "# TODO -- fill in the descent"
    cell: {assigns: [out], in_loop: true, nth: 2, of: 2}
    reference: "ref.path_figure()"
    todo_in_cell: true
"""

STEP_LOOP = ("out = np.zeros(len(z))\nfor k in range(len(z)):\n    # TODO -- fill in the step\n"
             "    out[k] = step(z[k:k + 1])[0]\nfig, ax = plt.subplots()\nax.plot(z, out, 'r-')\nplt.show()")
PATH_LOOP = ("out = np.zeros((2, 31))\nout[:, 0] = [-1.5, 1.0]\nfor i in range(30):\n    # TODO -- fill in the descent\n"
             "    out[:, i + 1] = out[:, i] - 0.1 * np.array([2.0, 6.0]) * out[:, i]\n"
             "fig, ax = plt.subplots()\nax.plot(out[0], out[1], 'go-')\nax.scatter(out[0, :1], out[1, :1])\nplt.show()")
LOOPS = {"imports": CELLS["imports"], "step": CELLS["step"], "grid": "z = np.arange(-1, 1, 0.01)",
         "step_loop": STEP_LOOP, "path_loop": PATH_LOOP}
LOOPS_BLANK = {**LOOPS, "step_loop": STEP_LOOP.replace("step(z[k:k + 1])[0]", "0.0"),
               "path_loop": PATH_LOOP.replace("out[:, i] - 0.1 * np.array([2.0, 6.0]) * out[:, i]", "0.0")}


@pytest.fixture
def loops(tmp_path: Path) -> Path:
    return toy_course(tmp_path, "toy-figure-loops", LOOPS_SPEC, Path(__file__).parent / "toy_figure" / "reference.py", LOOPS_BLANK)


def _grade_loops(folder: Path, cells: dict[str, str]):
    return grade_notebook(_write(folder, "mine.ipynb", cells), load_assignment(folder / "toy-figure-loops.yaml"))


@pytest.mark.notebook
def test_loop_plots_keep_their_points_when_the_todo_comments_are_reworded_or_deleted(loops: Path) -> None:
    result = _grade_loops(loops, {**LOOPS, "step_loop": reword_todo(STEP_LOOP, "    # Done -- filled in"),
                                  "path_loop": reword_todo(PATH_LOOP, None)})
    assert result.score == result.max_score == 2, _lost(result)
    assert not any(q.needs_review for q in result.questions)


@pytest.mark.notebook
def test_a_wrong_loop_plot_found_by_its_code_says_which_cell_was_read(loops: Path) -> None:
    wrong = reword_todo(PATH_LOOP, None).replace("[2.0, 6.0]", "[2.0, 3.0]")
    q = by_id(_grade_loops(loops, {**LOOPS, "path_loop": wrong}))
    assert q["path_loop"].status == "failed" and q["path_loop"].score == 0 and not q["path_loop"].needs_review
    assert "Cell 5: The reference's line is not in your figure" in q["path_loop"].feedback
    assert ("cell 5 was taken as the one this question reads: the 2nd of the 2 cells assigning `out` inside a loop "
            "(cells 4, 5)") in q["path_loop"].feedback
    assert q["step_loop"].score == 1


@pytest.mark.notebook
def test_a_plot_cell_that_cannot_be_told_apart_is_flagged_for_review_not_scored_zero(loops: Path) -> None:
    plain = reword_todo(PATH_LOOP, None)
    result = _grade_loops(loops, {**LOOPS, "step_loop": reword_todo(STEP_LOOP, None), "path_loop": plain, "again": plain})
    q = by_id(result)
    for qid in ("step_loop", "path_loop"):
        assert q[qid].status == "undecided" and q[qid].needs_review, (qid, q[qid].status, q[qid].feedback)
        assert q[qid].feedback.startswith("Could not locate the cell that should draw the figure: there are 3 cells "
                                          "assigning `out` inside a loop (cells 4, 5, 6; the starter has 2)")
    assert result.needs_review


@pytest.mark.notebook
def test_the_starter_plot_loop_with_reworded_comments_is_still_not_attempted(loops: Path) -> None:
    blank = {**LOOPS_BLANK, "step_loop": reword_todo(LOOPS_BLANK["step_loop"], "    # Done"),
             "path_loop": reword_todo(LOOPS_BLANK["path_loop"], None)}
    q = by_id(_grade_loops(loops, blank))
    for qid in ("step_loop", "path_loop"):
        assert q[qid].status == "not_attempted" and q[qid].score == 0, (qid, q[qid].status, q[qid].feedback)
        assert "the cell assigning `out` inside a loop" in q[qid].feedback
        assert "is still as in the starter notebook" in q[qid].feedback


def test_a_figure_question_that_names_no_cell_is_a_spec_error(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(LOOPS_SPEC.replace('    after: "# TODO -- fill in the step"\n'
                                       '    cell: {assigns: [out], in_loop: true, nth: 1, of: 2}\n', ""))
    with pytest.raises(SpecError, match="give `after:`"):
        load_assignment(spec)
