"""Timeouts, kernel deaths and exceptions are different statuses, and none of them loses the rest of the grade."""

from __future__ import annotations

import copy
import os
import time
from pathlib import Path

import nbformat
import pytest
from conftest import SEED, by_id, grade

from grader.kernel import pool
from grader.kernel.limits import Limits
from grader.symbolic import shared_pool

CODE_QUESTIONS = {"f", "f_prime", "sigmoid", "sigmoid_derivative", "relu", "relu_derivative",
                  "binary_cross_entropy", "bce_derivative"}


def _variant(tmp_path: Path, name: str, edit) -> Path:
    nb = copy.deepcopy(nbformat.read(SEED, as_version=4))
    edit(nb)
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def _relu_body(nb: nbformat.NotebookNode, body: str) -> None:
    cell = next(c for c in nb.cells if "def relu(" in c.source)
    old = "return torch.maximum(torch.tensor(0.0), x)"
    assert cell.source.count(old) == 1
    cell.source = cell.source.replace(old, body)


def _children_of(parents: set[int]) -> set[int]:
    kids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) in parents and fields[0] != "Z":
                kids.add(int(entry))
    return kids


def _children() -> set[int]:
    """Live (non-zombie) child processes of this process, from /proc, other than the grader's own
    long-lived symbolic-check workers and warm-pool zygotes (they serve every notebook, by design);
    but with any kernel still alive under a zygote."""
    zygotes = {z.host_pid for z in pool.shared().zygotes()}
    forked = zygotes
    for _ in range(3):  # bwrap -> bwrap (PID 1 of its namespace) -> the zygote -> the kernels it forked
        forked = _children_of(forked)
    return (_children_of({os.getpid()}) - set(shared_pool().worker_pids()) - zygotes) | forked


@pytest.mark.notebook
def test_endless_loop_in_a_cell_is_stopped_and_the_rest_still_graded(tmp_path: Path) -> None:
    path = _variant(tmp_path, "loop", lambda nb: nb.cells.insert(9, nbformat.v4.new_code_cell("while True:\n    pass")))
    result = grade(path, limits=Limits(cell_timeout=4))
    assert result.score == result.max_score
    [event] = result.events
    assert event.kind == "timeout" and "time limit (4 s of CPU time" in event.message


@pytest.mark.notebook
def test_a_cell_that_kills_the_kernel_costs_nothing_else(tmp_path: Path) -> None:
    path = _variant(tmp_path, "die", lambda nb: nb.cells.insert(17, nbformat.v4.new_code_cell("import os; os._exit(1)")))
    result = grade(path)
    assert result.score == result.max_score  # the cells before and after it were replayed in a fresh kernel
    assert [e.kind for e in result.events] == ["kernel_died"]
    assert _children() == set(), "a kernel outlived its grading"


@pytest.mark.notebook
def test_function_that_kills_the_kernel_loses_only_its_question(tmp_path: Path) -> None:
    path = _variant(tmp_path, "die_in_probe", lambda nb: _relu_body(
        nb, "import os\n    if x.numel() == 64: os._exit(3)\n    return torch.maximum(torch.tensor(0.0), x)"))
    q = by_id(grade(path))
    assert q["relu"].status == "kernel_died" and q["relu"].score == 0
    assert "died while calling `relu(x)`" in q["relu"].feedback
    assert all(q[n].status == "passed" for n in CODE_QUESTIONS - {"relu"})


@pytest.mark.notebook
def test_function_that_hangs_and_ignores_interrupts_is_a_timeout(tmp_path: Path) -> None:
    path = _variant(tmp_path, "hang", lambda nb: _relu_body(nb, (
        "import signal, time\n    if x.numel() == 64:\n        signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "        while True: time.sleep(0.1)\n    return torch.maximum(torch.tensor(0.0), x)")))
    q = by_id(grade(path, limits=Limits(probe_timeout=3)))
    # it sleeps (no CPU time): the wall-clock backstop, max(4 x 3 s, 30 s), stops it
    assert q["relu"].status == "timeout" and "waited longer than the limit (30 s)" in q["relu"].feedback
    assert all(q[n].status == "passed" for n in CODE_QUESTIONS - {"relu"})
    assert _children() == set()


@pytest.mark.notebook
def test_whole_notebook_time_limit(tmp_path: Path) -> None:
    path = _variant(tmp_path, "slow", lambda nb: nb.cells.insert(9, nbformat.v4.new_code_cell("while True:\n    pass")))
    result = grade(path, limits=Limits(timeout=8))
    assert any(e.kind == "timeout" and "notebook's time limit (8 s of CPU time" in e.message for e in result.events), result.events
    q = by_id(result)
    assert q["f"].status == "passed"                       # defined before the limit
    assert q["relu"].status in {"missing", "timeout"}      # its cell never ran
    assert q["relu"].score == 0


@pytest.mark.notebook
def test_looping_functions_keep_the_whole_grading_within_the_notebook_limit(tmp_path: Path) -> None:
    """Every function loops forever: each question's calls are stopped by the per-question limit,
    and together they get no more than a budget the size of the notebook's limit (CPU time)."""
    def loop_everything(nb: nbformat.NotebookNode) -> None:
        nb.cells.append(nbformat.v4.new_code_cell("\n".join(
            f"def {name}(*a, **k):\n    while True:\n        pass" for name in sorted(CODE_QUESTIONS))))
    path = _variant(tmp_path, "loops", loop_everything)
    t0 = time.monotonic()
    result = grade(path, limits=Limits(timeout=12, probe_timeout=5))
    took = time.monotonic() - t0
    q = by_id(result)
    assert all(q[n].status == "timeout" and q[n].score == 0 for n in CODE_QUESTIONS), {n: q[n].status for n in CODE_QUESTIONS}
    # 8 questions x 5 s would be 40 s of CPU; the calls' 12 s budget bounds them (plus start-up and interrupts)
    assert took < 8 * 5, took
