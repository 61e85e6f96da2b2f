"""Grading on a Dask distributed cluster: the same sandboxed grading, run on the workers.

A task carries the notebook's bytes (workers need not share a filesystem with the client),
the assignment and rubric, and the limits; it returns the GradeResult, and the client writes
it to the one gradebook. What crosses between the client and the workers is the grader's own
data, pickled by Dask between grader processes; student code still only ever runs in a
sandboxed kernel on the worker.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ..execute import Limits
from ..results import GradeResult
from ..spec import Assignment, Rubric


def grade_bytes(name: str, data: bytes, assignment: Assignment, rubric: Rubric, limits: Limits | None,
                shown_as: str) -> GradeResult:
    """Runs on a Dask worker: grade a notebook given as bytes."""
    from ..pipeline import grade_notebook

    with tempfile.TemporaryDirectory(prefix="grader-task-") as tmp:
        path = Path(tmp) / (Path(name).name or "submission.ipynb")
        path.write_bytes(data)
        result = grade_notebook(path, assignment, rubric, limits)
    result.notebook = shown_as
    return result


class DaskGrader:
    """Sends submissions to a Dask scheduler; `await grader(path)` gives the GradeResult."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.client: Any = None

    async def __aenter__(self) -> "DaskGrader":
        from ..errors import GraderInputError

        try:
            from distributed import Client
        except ImportError:
            raise GraderInputError("--scheduler needs Dask distributed: pip install 'grader[dask]'") from None
        try:
            self.client = await Client(self.address, asynchronous=True, timeout="10s")
        except (OSError, TimeoutError) as e:
            raise GraderInputError(f"--scheduler {self.address}: cannot connect ({type(e).__name__}: {e})") from None
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.client is not None:
            await self.client.close()

    async def slots(self) -> int:
        """Grading slots across the cluster: one per worker thread."""
        return max(1, sum((await self.client.nthreads()).values()))

    async def grade(self, path: Path, assignment: Assignment, rubric: Rubric, limits: Limits | None) -> GradeResult:
        future = self.client.submit(grade_bytes, path.name, path.read_bytes(), assignment, rubric, limits, str(path),
                                    pure=False, retries=1)  # a worker that dies: retried once elsewhere
        return await future
