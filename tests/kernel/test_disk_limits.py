"""Disk inside the sandbox is bounded: the scratch directory, /tmp and /dev/shm are sized tmpfs
(counted in the memory limit), a notebook that fills one gets the limit named in its report, the
cells after it still run, and nothing it wrote reaches the host."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from toys import toy_assignment, toy_notebook

from grader.grading.pipeline import grade_notebook
from grader.kernel.limits import Limits
from grader.kernel.sandbox import bubblewrap, sizes_tmpfs
from grader.kinds import load_assignment
from grader.report import render

pytestmark = [pytest.mark.notebook,
              pytest.mark.skipif(bubblewrap() is None or not sizes_tmpfs(bubblewrap() or ""),
                                 reason="needs bubblewrap with --size (make setup installs it)")]


FILL = """
import os
chunk = b"x" * (1024 * 1024)
written = 0
with open(os.path.join({where!r}, "fill.bin"), "wb") as f:
    for _ in range({mib}):
        f.write(chunk)
        f.flush()
        written += 1
"""

MiB = 1024 ** 2


def _grade(tmp_path: Path, where: str, mib: int):
    nb = toy_notebook(tmp_path, "import torch", FILL.format(where=where, mib=mib), "def relu(x):\n    return x.clamp(min=0)")
    limits = Limits(scratch=48 * MiB, tmp=32 * MiB, cell_timeout=60)
    return grade_notebook(nb, load_assignment(toy_assignment(tmp_path, "relu-only")), limits=limits)


@pytest.mark.parametrize("where", [".", "/tmp", "/dev/shm"])
def test_filling_a_disk_names_the_limit_and_the_rest_is_graded(tmp_path: Path, where: str) -> None:
    result = _grade(tmp_path, where, 200)
    assert result.score == result.max_score == 1, result.questions[0].feedback
    limits = [e for e in result.events if e.kind == "limit"]
    assert limits and "filled its disk space" in limits[0].message, result.events
    assert "the scratch directory holds 48 MiB, /tmp and /dev/shm 32 MiB each" in limits[0].message
    assert "filled its disk space" in render(result, "text")
    assert "scratch directory 48 MiB, /tmp and /dev/shm 32 MiB each" in result.isolation


def test_writing_within_the_limits_is_fine_and_never_reaches_the_host(tmp_path: Path) -> None:
    before = set(os.listdir("/tmp"))
    result = _grade(tmp_path, ".", 8)
    assert result.score == 1 and not [e for e in result.events if e.kind in ("limit", "error")], result.events
    after = set(os.listdir("/tmp"))
    leftovers = [name for name in after - before if os.path.exists(os.path.join("/tmp", name, "scratch", "fill.bin"))]
    assert not leftovers
