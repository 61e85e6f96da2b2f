"""Grade submissions N at a time; every result goes to the gradebook the moment it exists.

Entries that intake rejected (`find_submissions(...).rejected`: a symbolic link, a zip bomb, too many
notebooks, ...) are recorded as not graded with their reason, and reported as "failed", before
anything is graded; they never stop the rest."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from grader import interrupt
from grader.errors import GraderInputError, NotGraded
from grader.grading.pipeline import grade_notebook_async
from grader.kernel.limits import Limits
from grader.results import GradeResult
from grader.spec.bundle import AssignmentBundle
from grader.version import __version__
from grader.workflows.batch.discover import Rejected, Submission
from grader.workflows.batch.gradebook import Gradebook
from grader.workflows.batch.remote import DaskGrader


@dataclass
class Progress:
    student: str
    outcome: str          # graded | failed | skipped
    detail: str = ""


def spec_hash(bundle: AssignmentBundle) -> str:
    """Changes when anything that could change a score changes: the assignment and every file it
    needs (rubric, starter, reference.py), and the grader."""
    h = hashlib.sha256()
    for name, data in sorted(bundle.entries().items()):
        h.update(name.encode() + b"\0" + data + b"\0")
    h.update(__version__.encode())
    return h.hexdigest()


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


async def grade_batch_async(submissions: list[Submission], bundle: AssignmentBundle, gradebook: Gradebook,
                            *, workers: int | None = None, regrade: bool = False, limits: Limits | None = None,
                            scheduler: str | None = None,
                            on_progress: Callable[[Progress], None] = lambda p: None,
                            on_result: Callable[[str, GradeResult], None] = lambda s, r: None,
                            rejected: Iterable[Rejected] | None = None) -> None:
    """Grade every submission not already current in the gradebook; `scheduler`: a Dask address.
    `rejected` (default: `submissions.rejected` when `find_submissions` made the list) is recorded as
    not graded. A failing `on_result` (the feedback files cannot be written) fails that student only."""
    assignment, rubric = bundle.assignment, bundle.rubric
    rejects = list(getattr(submissions, "rejected", ()) if rejected is None else rejected)
    if scheduler:
        files = bundle.entries()
        async with DaskGrader(scheduler) as cluster:
            await _run(submissions, bundle, gradebook, workers or await cluster.slots(), regrade,
                       lambda s: cluster.grade(s.path, files, limits), on_progress, on_result, rejects)
        return
    await _run(submissions, bundle, gradebook, default_workers() if workers is None else workers, regrade,
               # a grader-side failure is retried once by the pipeline, then NotGraded (recorded with its reason)
               lambda s: grade_notebook_async(s.path, assignment, rubric, limits), on_progress, on_result, rejects)


async def _run(submissions: list[Submission], bundle: AssignmentBundle, gradebook: Gradebook,
               workers: int, regrade: bool, grade_one: Callable[[Submission], Awaitable[GradeResult]],
               on_progress: Callable[[Progress], None], on_result: Callable[[str, GradeResult], None],
               rejected: Iterable[Rejected] = ()) -> None:
    if workers < 1:
        raise GraderInputError("--workers must be at least 1")
    digest = spec_hash(bundle)
    assignment = bundle.assignment
    graded = {s.student for s in submissions}
    for r in rejected:
        if r.student in graded:  # intake never does this; a caller's list might: the submission wins
            continue
        gradebook.record_failure(r.student, r.path, "", digest, assignment.id, __version__, r.reason, 0.0)
        on_progress(Progress(r.student, "failed", r.reason))
    todo = []
    for s in submissions:
        if not regrade and gradebook.is_current(s.student, s.content_hash, digest):
            on_progress(Progress(s.student, "skipped", "unchanged since it was graded"))
        else:
            todo.append(s)
    queue: asyncio.Queue[Submission] = asyncio.Queue()
    for s in todo:
        queue.put_nowait(s)

    async def worker() -> None:
        while True:
            try:
                s = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            t0 = time.perf_counter()
            try:
                result = await grade_one(s)
            except Exception as e:  # noqa: BLE001 - one broken submission never stops the batch
                if interrupt.requested():
                    return  # stopped by a signal, not a verdict: nothing recorded, the next run grades it
                problem = (str(e) if isinstance(e, GraderInputError) else
                           f"the grader failed twice, not a verdict on the notebook: {e}" if isinstance(e, NotGraded)
                           else f"{type(e).__name__}: {e}")
                gradebook.record_failure(s.student, str(s.path), s.content_hash, digest, assignment.id, __version__,
                                         problem, time.perf_counter() - t0)
                on_progress(Progress(s.student, "failed", problem))
                continue
            if interrupt.requested():
                return  # graded while stopping (a cancelled kernel looks like a dead one): not recorded
            result.warnings[:0] = s.warnings  # intake's (which of several notebooks), before the grading's own
            try:
                on_result(s.student, result)  # feedback files first: a result in the gradebook always has them
            except Exception as e:  # noqa: BLE001 - e.g. a file name the filesystem refuses: this student only
                problem = f"graded, but its feedback could not be written ({type(e).__name__}: {e})"
                gradebook.record_failure(s.student, str(s.path), s.content_hash, digest, assignment.id, __version__,
                                         problem, time.perf_counter() - t0)
                on_progress(Progress(s.student, "failed", problem))
                continue
            gradebook.record(s.student, str(s.path), s.content_hash, digest, result, time.perf_counter() - t0)
            on_progress(Progress(s.student, "graded", f"{float(result.score):g}/{float(result.max_score):g}"))

    await asyncio.gather(*(worker() for _ in range(min(workers, max(1, len(todo))))))


def grade_batch(*args, **kwargs) -> None:
    """Raises Interrupted on SIGINT/SIGTERM, with nothing in flight recorded (a rerun grades those)."""
    interrupt.run(grade_batch_async(*args, **kwargs))
