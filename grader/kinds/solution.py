"""The instructor's solution notebook as the reference (`reference: solution`).

A course that already has a staff solution need not restate it as torch expressions: the
solution notebook runs in its own sandboxed kernel (never the student's), its functions are
called on exactly the probe inputs the student's are called on, and the values that come back
are what the student's values are compared with, outside both kernels, as with any reference.

Running a notebook is seconds, so its results are computed once per assignment version, seed,
solution and grader (the cache key), kept in memory and on disk (`GRADER_CACHE`, else
`$XDG_CACHE_HOME/grader`), and shared by every submission and every batch worker: a file lock
makes one worker compute while the others wait for its file. The cached values are JSON in the
kernel wire format (arrays as raw bytes), read back through the same bounded decoder as a
student's reply, never pickle.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import os
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader.errors import SpecError
from grader.files import write_atomic
from grader.kernel import wire
from grader.kernel.limits import Limits
from grader.kernel.probe import Prober
from grader.kernel.session import KernelSession
from grader.kinds.base import SolutionCall
from grader.kinds.registry import get_kind
from grader.notebook.read import read_notebook
from grader.spec.models import Assignment
from grader.version import __version__

FORMAT = 1  # the cache file's layout; a change here invalidates every cached result


@dataclass
class Answer:
    """What the solution's function gave on one probe: its return value and output arguments."""

    value: wire.Value
    outputs: list[wire.Value]


_MEMO: dict[str, dict[str, dict[str, Answer]]] = {}       # cache key -> answers
_LOADED: dict[int, dict[str, dict[str, Answer]]] = {}     # id of a loaded assignment -> its answers
_LOCKS: dict[str, asyncio.Lock] = {}


def solution_calls(assignment: Assignment) -> list[SolutionCall]:
    """Every call the solution must answer, from the kinds (each says which of its questions use it)."""
    return [c for q in assignment.questions for c in get_kind(q.kind).solution_calls(q, assignment)]


def cache_dir() -> Path:
    base = os.environ.get("GRADER_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "grader")
    return Path(base) / "solutions"


def cache_key(assignment: Assignment, calls: list[SolutionCall]) -> str:
    """Changes with anything that could change the solution's answers: the grader, the libraries, the
    assignment (version, seed, questions), the solution notebook and the support files it reads."""
    import torch

    path = _solution_path(assignment)
    h = hashlib.sha256()
    parts: list[Any] = [FORMAT, __version__, torch.__version__, np.__version__, assignment.id, assignment.version,
                        assignment.seed, assignment.array_library,
                        [q.model_dump(mode="json") for q in assignment.questions]]
    h.update(json.dumps(parts, sort_keys=True, default=str).encode())
    h.update(hashlib.sha256(path.read_bytes()).digest())
    for place, source in sorted(assignment.support_files().items()):
        h.update(place.encode() + b"\0" + hashlib.sha256(Path(source).read_bytes()).digest())
    h.update(json.dumps([(c.question, c.probe) for c in calls]).encode())
    return h.hexdigest()[:32]


def _solution_path(assignment: Assignment) -> Path:
    path = assignment.solution_path
    if path is None:
        raise SpecError(f"{assignment.path}: `reference: solution` needs `solution:` (the solution notebook)")
    if not path.is_file():
        raise SpecError(f"{assignment.path}: solution notebook {path} not found (`reference: solution` runs it)")
    return path


def available(assignment: Assignment) -> bool:
    """Whether the solution notebook is here to be run (a student's copy of the spec has none)."""
    return assignment.solution_path is not None and assignment.solution_path.is_file()


async def ensure(assignment: Assignment, limits: Limits | None = None) -> None:
    """Make the solution's answers for `assignment` available to `answers`: from memory, the disk
    cache, or by running the solution notebook (once, whoever asks at the same time: a file lock
    across processes, waited for without blocking this process's other gradings). The key (the
    probe inputs drawn, the solution and support files hashed) is worked out once per loaded
    assignment, not once per submission graded against it."""
    if id(assignment) in _LOADED:
        return
    calls = solution_calls(assignment)
    key = cache_key(assignment, calls) if calls else ""
    if calls and key not in _MEMO:
        async with _LOCKS.setdefault(key, asyncio.Lock()):
            if key not in _MEMO:
                _MEMO[key] = await _table(assignment, calls, limits, cache_dir() / f"{key}.json")
    if id(assignment) not in _LOADED:
        _LOADED[id(assignment)] = _MEMO.get(key, {})
        weakref.finalize(assignment, _LOADED.pop, id(assignment), None)  # an id is reused after its object goes


async def _table(assignment: Assignment, calls: list[SolutionCall], limits: Limits | None,
                 path: Path) -> dict[str, dict[str, Answer]]:
    """The answers from the disk cache, else from running the solution under the cache's file lock."""
    table = _load(path)
    if table is not None:
        return table
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(0.2)  # another worker is running the solution
        try:
            table = _load(path)
            if table is None:
                table = await _run_solution(assignment, calls, limits)
                write_atomic(path, json.dumps(_dump(table)))
            return table
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def answers(assignment: Assignment) -> dict[str, dict[str, Answer]]:
    """The solution's answers, {question: {probe: Answer}}; `ensure` must have run for this assignment."""
    table = _LOADED.get(id(assignment))
    if table is None:
        raise SpecError(f"{assignment.path}: the solution's answers were not computed (run `ensure` first)")
    return table


async def _run_solution(assignment: Assignment, calls: list[SolutionCall],
                        limits: Limits | None) -> dict[str, dict[str, Answer]]:
    path = _solution_path(assignment)
    nb = read_notebook(path)
    preload = ("numpy",) if assignment.array_library == "numpy" else ("numpy", "torch")
    session = KernelSession(limits, preload=preload, files=assignment.support_files())
    table: dict[str, dict[str, Answer]] = {}
    try:
        await session.start()
        report = await session.run_notebook(nb)
        prober = Prober(session)
        by_question: dict[str, list[SolutionCall]] = {}
        for c in calls:
            by_question.setdefault(c.question, []).append(c)
        for qid, group in by_question.items():
            function = group[0].function
            response = await prober.call(function, [c.call for c in group], array=group[0].array)
            if response.status == "missing":
                raised = [e for e in report.events if e.kind == "error"]
                why = f"; cell {raised[0].cell_index + 1} raised {raised[0].message}" if raised else ""
                raise SpecError(f"question {qid}: the solution notebook {path.name} defines no `{function}`{why}")
            if response.status != "ok":
                raise SpecError(f"question {qid}: could not call the solution's `{function}`: "
                                f"{response.failure or response.problem}")
            for c, result in zip(group, response.calls):
                if not result.ok or result.value is None:
                    err = result.error or {}
                    raise SpecError(f"question {qid}: the solution's `{function}` raised {err.get('type', 'an error')}: "
                                    f"{err.get('message', '')} on probe {c.probe!r}".rstrip())
                table.setdefault(qid, {})[c.probe] = Answer(result.value, list(result.outputs))
    finally:
        await session.close()
    return table


# ------------------------------------------------------------------ the cache file

def _value_json(v: wire.Value) -> dict[str, Any]:
    if v.kind in ("tensor", "ndarray"):
        assert v.array is not None
        return {"kind": v.kind, **wire.encode_array(v.array)}
    if v.kind == "number":
        n = v.number
        return {"kind": "number", "value": n if isinstance(n, (bool, int)) or np.isfinite(n) else str(n)}
    if v.kind == "sequence":
        return {"kind": "sequence", "type": v.type_name, "items": [_value_json(i) for i in v.items or []]}
    if v.kind == "none":
        return {"kind": "none"}
    return {"kind": "other", "type": v.type_name, "repr": v.repr}


def _dump(table: dict[str, dict[str, Answer]]) -> dict[str, Any]:
    return {"format": FORMAT, "questions": {
        q: {p: {"value": _value_json(a.value), "outputs": [_value_json(o) for o in a.outputs]} for p, a in probes.items()}
        for q, probes in table.items()}}


def _load(path: Path) -> dict[str, dict[str, Answer]] | None:
    """The cached answers, or None when there are none (or the file is unreadable: then recompute)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format") != FORMAT:
            return None
        return {q: {p: Answer(wire.decode_value(a["value"]), [wire.decode_value(o) for o in a["outputs"]])
                    for p, a in probes.items()} for q, probes in raw["questions"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def expected_value(v: wire.Value) -> Any:
    """A solution's value as a reference value: arrays (float64), numbers, tuples of them."""
    if v.kind in ("tensor", "ndarray"):
        assert v.array is not None
        return v.array.astype(np.float64) if v.array.dtype.kind in "fc" else v.array
    if v.kind == "number":
        return np.asarray(float(v.number), dtype=np.float64)  # type: ignore[arg-type]
    if v.kind == "sequence":
        return tuple(expected_value(i) for i in v.items or [])
    raise ValueError(f"the solution returned {v.describe()}, which cannot be compared")
