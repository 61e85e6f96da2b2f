"""Grade one notebook: load spec -> read notebook -> execute -> probe -> check -> score.

The kernel starts first; while it runs the student's cells, the grader imports torch, builds
probe inputs and references, and checks written answers, so that the grader's own work hides
behind the notebook's execution instead of adding to it.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Awaitable, Callable

import nbformat

from grader.version import __version__
from grader import interrupt
from grader.errors import GraderInputError, NotGraded
from grader.interrupt import Interrupted
from grader import results as R
from grader.grading.attempt import flag_for_review, mark_unattempted
from grader.grading.choose import assignment_warning, choose_assignment
from grader.grading.score import score_question
from grader.kernel.errors import KernelError, PoolLost
from grader.kernel.limits import Limits
from grader.kernel.probe import Prober
from grader.kernel.session import KernelSession
from grader.kinds import load_assignment, solution
from grader.kinds.base import CheckContext, CheckOutcome, QuestionKind, QuestionOutcome
from grader.kinds.registry import get_kind
from grader.notebook.read import lost_definitions, read_notebook
from grader.results import GradeResult
from grader.spec.find import rubric_for
from grader.spec.models import Assignment, QuestionBase, Rubric


_PREPARED: dict[int, dict[str, Any]] = {}  # id of a loaded assignment -> its questions' references
_PREPARING = threading.Lock()


def _prepare_all(assignment: Assignment) -> dict[str, Any]:
    """Every question's references and probe inputs, computed once per loaded assignment: they depend
    on the assignment alone (inputs are drawn from its seed) and checks only read them, so a batch
    does not re-run the instructor's reference code (plots included) for every submission."""
    with _PREPARING:  # serve's worker threads grade at once: one of them computes, the others wait
        got = _PREPARED.get(id(assignment))
        if got is None:
            got = {q.id: get_kind(q.kind).prepare(q, assignment) for q in assignment.questions}
            _PREPARED[id(assignment)] = got
            weakref.finalize(assignment, _PREPARED.pop, id(assignment), None)  # an id is reused after its object goes
    return got


async def _prepared(assignment: Assignment, limits: Limits | None) -> dict[str, Any]:
    """References and probe inputs; a `reference: solution` first needs the solution's answers (run in
    a kernel of its own once, then cached), which come while the student's notebook runs."""
    await solution.ensure(assignment, limits)
    return await asyncio.to_thread(_prepare_all, assignment)


async def _check(kind: QuestionKind, q: QuestionBase, prepared: Any, ctx: CheckContext) -> QuestionOutcome:
    """One question's check; a grader bug there is flagged for review instead of sinking the notebook."""
    try:
        return await kind.check(q, prepared, ctx)
    except PoolLost:
        raise  # the kernel's zygote died: the whole notebook is graded again, not this question flagged
    except Exception as e:  # noqa: BLE001 - isolate the failure to this question
        note = (f"The grader could not check this question ({type(e).__name__}: {e}); "
                "it is flagged for manual review.")
        return QuestionOutcome([CheckOutcome(n, False, status=R.UNDECIDED) for n in q.check_names()],
                               status=R.UNDECIDED, feedback=note, needs_review=True)


def _watcher(assignment: Assignment, kinds: dict[str, QuestionKind], prober: Prober, snapshots: dict[str, Any],
             nb: nbformat.NotebookNode) -> Callable[[int, nbformat.NotebookNode], Awaitable[None]] | None:
    """Read the variables that state questions watch, right after the cell that builds them.

    A snapshot is (cell index, values), or (cell index, the KernelError that stopped the read)."""
    watches = [(q.id, w, w.cell(nb)) for q in assignment.questions for w in kinds[q.id].watches(q)]
    if not watches:
        return None

    async def after_cell(index: int, cell: nbformat.NotebookNode) -> None:
        for qid, w, at in watches:
            if index == at:
                try:
                    snapshots[qid] = (index, await prober.read(w.variables))
                except KernelError as e:
                    snapshots[qid] = (index, e)

    return after_cell


async def grade_notebook_async(
    notebook: str | Path,
    assignment: Assignment | None = None,
    rubric: Rubric | None = None,
    limits: Limits | None = None,
) -> GradeResult:
    """Grade one notebook. A grading that fails for the grader's own reason (a kernel that would
    not start on a loaded machine, an internal error) is tried once more; a second failure raises
    NotGraded: no verdict, so never a score. Unusable input raises GraderInputError at once."""
    lost: PoolLost | None = None
    for _attempt in range(2):
        try:
            result = await _grade_once(notebook, assignment, rubric, limits)
        except (GraderInputError, Interrupted):
            raise
        except Exception as e:  # noqa: BLE001 - not the student's doing: once more, then not graded
            interrupt.check()
            failure = e
            lost = e if isinstance(e, PoolLost) else lost
            continue
        if lost is not None:  # the verdict is the second, complete run's; the first is not the student's
            result.isolation += f"; graded a second time from the start, because {lost} (not the notebook's doing)"
        return result
    raise NotGraded(f"{type(failure).__name__}: {failure}") from failure


async def _grade_once(notebook: str | Path, assignment: Assignment | None, rubric: Rubric | None,
                      limits: Limits | None) -> GradeResult:
    t0 = time.perf_counter()
    nb = read_notebook(notebook)
    how = "given"
    if assignment is None:
        path, how = choose_assignment(nb)
        assignment = load_assignment(path)
    warning = assignment_warning(nb, assignment)
    rubric = rubric or rubric_for(assignment)
    kinds = {q.id: get_kind(q.kind) for q in assignment.questions}
    timings: dict[str, float] = {}

    # the runtime imports the assignment's array libraries before the student's code (a NumPy course: no torch)
    preload = ("numpy",) if assignment.array_library == "numpy" else ("numpy", "torch")
    # only the cells whose images a question looks at are rendered to PNG (plots cost mostly rendering)
    images = [nb.cells[i].source for q in assignment.questions for i in kinds[q.id].image_cells(q, nb)]
    session = KernelSession(limits, figures=any(k.draws_figures for k in kinds.values()), preload=preload,
                            files=assignment.support_files(), image_cells=images)
    outcomes: dict[str, QuestionOutcome] = {}
    prepare: asyncio.Task[dict[str, Any]] | None = None
    try:
        start = asyncio.create_task(session.start())
        prepare = asyncio.create_task(_prepared(assignment, limits))
        await start
        timings["kernel_start"] = time.perf_counter() - t0
        snapshots: dict[str, Any] = {}
        run = asyncio.create_task(session.run_notebook(nb, _watcher(assignment, kinds, Prober(session), snapshots, nb)))
        await asyncio.sleep(0)  # let the first cell go out before the grader busies itself
        # Written answers need no kernel: check them while the notebook runs.
        offline = CheckContext(nb, assignment, None, [])
        for q in assignment.questions:
            if not kinds[q.id].needs_kernel:
                outcomes[q.id] = await _check(kinds[q.id], q, None, offline)
        report = await run
        timings["execute"] = report.seconds
        prepared = await prepare
        t1 = time.perf_counter()
        ctx = CheckContext(nb, assignment, Prober(session), report.events, report.failure, snapshots)
        for q in assignment.questions:
            if kinds[q.id].needs_kernel:
                outcomes[q.id] = await _check(kinds[q.id], q, prepared[q.id], ctx)
        timings["probe"] = time.perf_counter() - t1
    finally:
        if prepare is not None and not prepare.done():  # this attempt failed: its references are not needed
            prepare.cancel()
        await session.close()
    mark_unattempted(assignment, nb, outcomes)
    flag_for_review(assignment, nb, outcomes)
    questions = [score_question(q, outcomes[q.id], rubric) for q in assignment.questions]
    timings["total"] = time.perf_counter() - t0
    return GradeResult(
        assignment=assignment.id, assignment_title=assignment.title, notebook=str(notebook), questions=questions,
        events=session.report.events, assignment_source=how, timings=timings,
        isolation=session.wrapped.isolation, grader_version=__version__,
        warnings=([warning] if warning else []) + incomplete(nb, session.revival.killers)
        + missing_modules(session.report.events, assignment),
    )


_NO_MODULE = re.compile(r"^ModuleNotFoundError: No module named '([^']+)'")


def missing_modules(events: list[R.CellEvent], assignment: Assignment) -> list[str]:
    """A cell that imports a module the grading environment lacks (a course helper the spec does not
    ship in `files:`, a package not installed) leaves what it defines undefined: said, naming the
    module, and flagged for review rather than a silent 0 on everything after it."""
    shipped = ", ".join(f"`{p}`" for p in assignment.support_files()) or "no files"
    out = []
    for e in events:
        m = _NO_MODULE.match(e.message) if e.kind == "error" else None
        if m:
            out.append(f"Cell {e.cell_index + 1} imports `{m.group(1)}`, which is not available where the notebook is "
                       f"graded (the assignment ships {shipped}); what that cell defines was missing for the cells "
                       "after it, so a TA will review this submission.")
    return list(dict.fromkeys(out))


def incomplete(nb: nbformat.NotebookNode, skipped: set[int]) -> list[str]:
    """Grading is incomplete when a cell that killed its kernel (a crash, or a timeout that ignored the
    interrupt) defined what later cells need: the fresh kernel ran without it, so what failed after it
    may not be the student's code. Said in every report and flagged for review, never taken as a verdict."""
    return [f"Grading is incomplete: cell {index + 1} stopped its kernel and was not run again, so "
            f"{', '.join(f'`{n}`' for n in names[:6])}{' and more' if len(names) > 6 else ''} "
            f"{'was' if len(names) == 1 else 'were'} missing for the cells after it; a TA will review the questions "
            "that depend on it." for index, names in lost_definitions(nb, skipped)]


def grade_notebook(notebook: str | Path, assignment: Assignment | None = None, rubric: Rubric | None = None,
                   limits: Limits | None = None) -> GradeResult:
    """Synchronous entry point for library users. Raises Interrupted on SIGINT/SIGTERM."""
    return interrupt.run(grade_notebook_async(notebook, assignment, rubric, limits))
