"""Which assignment a notebook is for: its metadata, else the best match among the bundled ones;
and, when a student handed in several notebooks, which one they meant.

Matching reads only each bundled file's raw `match` hints and function names (cached), not the
validated spec: with a dozen bundled assignments that is 0.03 s instead of 0.6 s before the
kernel can start.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from grader.errors import GraderInputError
from grader.notebook.read import code_text, headings, read_notebook
from grader.spec.find import bundled_assignments, raw_assignment
from grader.spec.models import Assignment

_SHOWN_ID = 80  # characters of a metadata id quoted back (it is the student's text)


def _defined_functions(nb: nbformat.NotebookNode) -> set[str]:
    return set(re.findall(r"^\s*def\s+([A-Za-z_]\w*)\s*\(", code_text(nb), re.MULTILINE))


def metadata_assignment(nb: nbformat.NotebookNode) -> str | None:
    """The assignment id the notebook's metadata names (`{"grader": {"assignment": ID}}`), or None."""
    meta = nb.metadata.get("grader")
    ref = meta.get("assignment") if isinstance(meta, dict) else None
    return ref if isinstance(ref, str) else None


def _match(data: dict[str, Any], defined: set[str], heads: set[str]) -> tuple[float, float, int]:
    """(score, share of the assignment's functions the notebook defines, headings it has) for the
    raw assignment `data`: its `match` hints, else the functions and optimizers its questions name."""
    match = data.get("match") if isinstance(data.get("match"), dict) else {}
    named = [q.get("function") or q.get("optimizer") for q in data.get("questions") or [] if isinstance(q, dict)]
    funcs = set(match.get("functions") or []) or {f for f in named if isinstance(f, str)}
    hits = len(funcs & defined) / max(1, len(funcs))
    head_hits = sum(1 for h in match.get("headings") or [] if isinstance(h, str) and h.lower() in heads)
    return hits + 0.5 * head_hits, hits, head_hits


def _recognised(hits: float, head_hits: int) -> bool:
    return hits >= 0.5 or head_hits > 0


def choose_assignment(nb: nbformat.NotebookNode) -> tuple[Path, str]:
    """Pick the assignment for a notebook: its metadata, else the best match among the bundled ones."""
    known = bundled_assignments()
    ref = metadata_assignment(nb)
    if ref is not None:
        if ref in known:
            return known[ref], f"from the notebook's metadata (grader.assignment = {ref})"
        raise GraderInputError(f"the notebook's metadata names assignment {ref!r}, which is not bundled; use --assignment PATH")
    defined = _defined_functions(nb)
    heads = {h.lower() for h in headings(nb)}
    scored = []
    for aid, path in known.items():
        total, hits, head_hits = _match(raw_assignment(path) or {}, defined, heads)
        scored.append((total, hits, head_hits, aid, path))
    scored.sort(reverse=True)
    if scored and _recognised(scored[0][1], scored[0][2]) and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        _, hits, head_hits, aid, path = scored[0]
        return path, f"by matching the notebook against the bundled assignments ({aid}: {round(hits * 100)}% of its functions defined)"
    raise GraderInputError("could not tell which assignment this notebook is for; pass --assignment ID or PATH "
                           f"(bundled: {', '.join(sorted(known)) or 'none'})")


def _quoted(ref: str) -> str:
    return repr(ref if len(ref) <= _SHOWN_ID else ref[:_SHOWN_ID] + "…")


def assignment_warning(nb: nbformat.NotebookNode, assignment: Assignment) -> str | None:
    """A warning when the notebook's metadata names another assignment than the one it is graded
    against (`-a X` on the wrong notebook, or the wrong starter): everything would be `missing`
    and the 0 would look like the student's."""
    ref = metadata_assignment(nb)
    if ref is None or ref == assignment.id:
        return None
    return (f"This notebook's metadata says it is for assignment {_quoted(ref)}, but it was graded as "
            f"{assignment.id!r} ({assignment.title}). If that is not the assignment you did, this score is "
            "not about your work: a TA will check it.")


# --- several notebooks from one student --------------------------------------------------------

NAMES_IT, CANNOT_TELL, NAMES_ANOTHER = 1, 0, -1


def assignment_fit(nb: nbformat.NotebookNode, assignment: Assignment) -> int:
    """How surely `nb` is for `assignment`: NAMES_IT (its metadata names it, or without metadata it
    defines half its functions or has one of its headings), NAMES_ANOTHER (its metadata names
    another), else CANNOT_TELL."""
    ref = metadata_assignment(nb)
    if ref is not None:
        return NAMES_IT if ref == assignment.id else NAMES_ANOTHER
    data = {"match": assignment.match.model_dump(), "questions": [q.model_dump() for q in assignment.questions]}
    _, hits, head_hits = _match(data, _defined_functions(nb), {h.lower() for h in headings(nb)})
    return NAMES_IT if _recognised(hits, head_hits) else CANNOT_TELL


@dataclass(frozen=True)
class Found:
    """One of a student's notebooks: the file on disk, its name as the student knows it, when it was
    last modified (the file's mtime, a zip member's date_time)."""
    path: Path
    name: str
    mtime: float


@dataclass(frozen=True)
class Passed:
    """A notebook of the student's that was not graded, and why not."""
    name: str
    why: str


@dataclass(frozen=True)
class NotebookChoice:
    chosen: Found
    why: str                  # why this one: "the newest", "the only valid notebook", ...
    others: tuple[Passed, ...]

    @property
    def warning(self) -> str | None:
        """What the student and the TA are told, or None when there was only one notebook."""
        if not self.others:
            return None
        rest = "; ".join(f"`{o.name}` ({o.why})" for o in self.others)
        return (f"{len(self.others) + 1} notebooks were handed in; graded `{self.chosen.name}` ({self.why}). "
                f"Not graded: {rest}. If you meant another one, tell your TA; this grade is flagged for review.")


def _when(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t)) if t > 0 else "unknown time"


def choose_notebook(found: Sequence[Found], assignment: Assignment | None = None,
                    left_out: Sequence[Passed] = ()) -> NotebookChoice:
    """The notebook the student most plausibly meant: one that parses over a broken one (never the
    other way round), then one whose metadata or content names `assignment` over one that cannot
    be told, over one whose metadata names another, then the newest, then the first by name.
    `left_out`: notebooks already refused (too big, damaged in the zip), listed with the others."""
    if not found:
        raise ValueError("choose_notebook needs at least one notebook")
    ranked: list[tuple[tuple[bool, int, float], Found, str]] = []
    for f in sorted(found, key=lambda f: f.name):
        try:
            nb = read_notebook(f.path)
        except GraderInputError as e:
            problem = str(e).removeprefix(f"{f.path}: ")
            ranked.append(((False, CANNOT_TELL, f.mtime), f, problem))
            continue
        fit = assignment_fit(nb, assignment) if assignment is not None else CANNOT_TELL
        ranked.append(((True, fit, f.mtime), f, _fit_words(nb, fit, assignment)))
    best_key, best, best_fit = max(ranked, key=lambda r: r[0])
    others = []
    for key, f, words in ranked:
        if f is best:
            continue
        if not key[0] or key[1] != best_key[1]:
            why = words
        elif key[2] < best_key[2]:
            why = f"older: modified {_when(key[2])}"
        else:
            why = f"as new as `{best.name}`, which comes first by name"
        others.append(Passed(f.name, why))
    return NotebookChoice(best, _why_chosen(ranked, best_key, best_fit), tuple(others) + tuple(left_out))


def _why_chosen(ranked: list[tuple[tuple[bool, int, float], Found, str]], best_key: tuple[bool, int, float],
                best_fit: str) -> str:
    """What made the winner win: the first part of the ranking key no other notebook equals."""
    if len(ranked) == 1:
        return "the only notebook that could be read"
    if best_key[0] and sum(1 for key, _, _ in ranked if key[0]) == 1:
        return "the only valid notebook"
    same_level = [key for key, _, _ in ranked if key[:2] == best_key[:2]]
    if len(same_level) == 1:
        return best_fit if best_key[1] == NAMES_IT else "the only one whose metadata does not name another assignment"
    if sum(1 for key in same_level if key[2] == best_key[2]) == 1:
        return f"the newest: modified {_when(best_key[2])}"
    return "first by name of the equally new ones"


def _fit_words(nb: nbformat.NotebookNode, fit: int, assignment: Assignment | None) -> str:
    if assignment is None:
        return "a valid notebook"
    if fit == NAMES_ANOTHER:
        return f"its metadata names assignment {_quoted(metadata_assignment(nb) or '')}"
    if fit == NAMES_IT:
        how = "its metadata names" if metadata_assignment(nb) else "it looks like"
        return f"{how} assignment {assignment.id!r}"
    return f"it does not look like assignment {assignment.id!r}"
