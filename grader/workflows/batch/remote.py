"""Grading on a Dask distributed cluster: the same sandboxed grading, run on the workers.

A task carries the notebook's bytes and a self-contained copy of the assignment (its flattened
YAML, rubric, starter and reference files: `AssignmentBundle.entries`), so workers need not
share a filesystem, or an installed assignment, with the client; it returns the GradeResult,
and the client writes it to the one gradebook. What crosses between the client and the workers is the grader's own
data, pickled by Dask between grader processes; student code still only ever runs in a
sandboxed kernel on the worker.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from grader.errors import GraderInputError
from grader.grading.pipeline import grade_notebook
from grader.kernel.limits import Limits
from grader.kinds import load_assignment
from grader.results import GradeResult
from grader.spec.bundle import AssignmentBundle
from grader.spec.find import rubric_for


def grade_bytes(name: str, data: bytes, assignment_files: dict[str, bytes], limits: Limits | None,
                shown_as: str) -> GradeResult:
    """Runs on a Dask worker: grade a notebook given as bytes against an assignment given as files."""
    with tempfile.TemporaryDirectory(prefix="grader-task-") as tmp:
        spec = AssignmentBundle.write(assignment_files, Path(tmp) / "assignment")
        assignment = load_assignment(spec)
        path = Path(tmp) / (Path(name).name or "submission.ipynb")
        path.write_bytes(data)
        result = grade_notebook(path, assignment, rubric_for(assignment), limits)
    result.notebook = shown_as
    return result


class DaskGrader:
    """Sends submissions to a Dask scheduler; `await grader(path)` gives the GradeResult."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.client: Any = None

    async def __aenter__(self) -> "DaskGrader":
        try:
            from distributed import Client
        except ImportError:
            raise GraderInputError("--scheduler needs Dask distributed: pip install 'grader[dask]'") from None
        try:
            self.client = await Client(self.address, asynchronous=True, timeout="10s")
        except (OSError, TimeoutError, ValueError) as e:  # ValueError: an address Dask cannot parse
            raise GraderInputError(f"--scheduler {self.address}: cannot connect ({type(e).__name__}: {e})") from None
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.client is not None:
            await self.client.close()

    async def slots(self) -> int:
        """Grading slots across the cluster: one per worker thread."""
        return max(1, sum((await self.client.nthreads()).values()))

    async def grade(self, path: Path, assignment_files: dict[str, bytes], limits: Limits | None) -> GradeResult:
        future = self.client.submit(grade_bytes, path.name, path.read_bytes(), assignment_files, limits, str(path),
                                    pure=False, retries=1)  # a worker that dies: retried once elsewhere
        return await future
