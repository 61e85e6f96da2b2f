"""Grade one notebook: load spec -> read notebook -> execute -> probe -> check -> score.

The kernel starts first; while it runs the student's cells, the grader imports torch, builds
probe inputs and references, and checks written answers, so that the grader's own work hides
behind the notebook's execution instead of adding to it.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from . import __version__
from . import results as R
from .assignments import choose_assignment, rubric_for
from .attempt import mark_unattempted
from .checks import get_kind
from .checks.base import CheckContext, CheckOutcome, QuestionOutcome
from .execute import KernelSession, Limits
from .notebook import read_notebook
from .probe import Prober
from .results import GradeResult
from .score import score_question
from .spec import Assignment, Rubric, load_assignment


def _prepare_all(assignment: Assignment) -> dict[str, Any]:
    return {q.id: get_kind(q.kind).prepare(q, assignment) for q in assignment.questions}


async def _check(kind: Any, q: Any, prepared: Any, ctx: CheckContext) -> QuestionOutcome:
    """One question's check; a grader bug there is flagged for review instead of sinking the notebook."""
    try:
        return await kind.check(q, prepared, ctx)
    except Exception as e:  # noqa: BLE001 - isolate the failure to this question
        note = (f"The grader could not check this question ({type(e).__name__}: {e}); "
                "it is flagged for manual review.")
        return QuestionOutcome([CheckOutcome(n, False, status=R.UNDECIDED) for n in q.check_names()],
                               status=R.UNDECIDED, feedback=note, needs_review=True)


def _watcher(assignment: Assignment, kinds: dict[str, Any], prober: Prober, snapshots: dict[str, Any]) -> Any:
    """Read the variables that state questions watch, right after the cell that builds them."""
    watches = [(q.id, w) for q in assignment.questions for w in getattr(kinds[q.id], "watches", lambda q: [])(q)]
    if not watches:
        return None

    async def after_cell(index: int, cell: Any) -> None:
        for qid, w in watches:
            if w.marker in cell.source:
                snapshots[qid] = (index, await prober.read(w.variables))

    return after_cell


async def grade_notebook_async(
    notebook: str | Path,
    assignment: Assignment | None = None,
    rubric: Rubric | None = None,
    limits: Limits | None = None,
) -> GradeResult:
    t0 = time.perf_counter()
    nb = read_notebook(notebook)
    how = "given"
    if assignment is None:
        path, how = choose_assignment(nb)
        assignment = load_assignment(path)
    rubric = rubric or rubric_for(assignment)
    kinds = {q.id: get_kind(q.kind) for q in assignment.questions}
    timings: dict[str, float] = {}

    session = KernelSession(limits, hide=[str(Path(notebook).resolve().parent)],
                            figures=any(getattr(k, "draws_figures", False) for k in kinds.values()))
    outcomes: dict[str, QuestionOutcome] = {}
    try:
        start = asyncio.create_task(session.start())
        prepare = asyncio.create_task(asyncio.to_thread(_prepare_all, assignment))
        await start
        timings["kernel_start"] = time.perf_counter() - t0
        snapshots: dict[str, Any] = {}
        run = asyncio.create_task(session.run_notebook(nb, _watcher(assignment, kinds, Prober(session), snapshots)))
        await asyncio.sleep(0)  # let the first cell go out before the grader busies itself
        # Written answers need no kernel: check them while the notebook runs.
        offline = CheckContext(nb, assignment, None, [], "")
        for q in assignment.questions:
            if not kinds[q.id].needs_kernel:
                outcomes[q.id] = await _check(kinds[q.id], q, None, offline)
        report = await run
        timings["execute"] = report.seconds
        prepared = await prepare
        t1 = time.perf_counter()
        ctx = CheckContext(nb, assignment, Prober(session), report.events, report.problem, snapshots)
        for q in assignment.questions:
            if kinds[q.id].needs_kernel:
                outcomes[q.id] = await _check(kinds[q.id], q, prepared[q.id], ctx)
        timings["probe"] = time.perf_counter() - t1
    finally:
        await session.close()
    mark_unattempted(assignment, nb, outcomes)
    questions = [score_question(q, outcomes[q.id], rubric) for q in assignment.questions]
    timings["total"] = time.perf_counter() - t0
    return GradeResult(
        assignment=assignment.id, assignment_title=assignment.title, notebook=str(notebook), questions=questions,
        events=session.report.events, assignment_source=how, timings=timings,
        isolation=session.wrapped.isolation, grader_version=__version__,
    )


def grade_notebook(notebook: str | Path, assignment: Assignment | None = None, rubric: Rubric | None = None,
                   limits: Limits | None = None) -> GradeResult:
    """Synchronous entry point for library users."""
    return asyncio.run(grade_notebook_async(notebook, assignment, rubric, limits))
