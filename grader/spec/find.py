"""Find assignments and rubrics: in the course's own assignments folders, bundled with the package
or the repo, or given as paths.

A path in a spec (rubric, solution, starter, files, extends) is relative to that YAML file, never to
the current directory. An id (`-a ID`, `extends: ID`, a notebook's `grader.assignment`) is looked up
in the folder of the YAML that names it (when one does), then in the course's folders
(`GRADER_ASSIGNMENTS`, os.pathsep-separated, or `--assignments DIR` where a verb offers it), then the
bundled ones; an id not found names the folders searched.

Choosing the assignment for a notebook reads the notebook, so it lives a stage up (`grader.grading.choose`)."""

from __future__ import annotations

from pathlib import Path

from grader.errors import GraderInputError
from grader.spec.folders import (
    ASSIGNMENTS_ENV,
    bundled_assignments,
    bundled_roots,
    course_dirs,
    find_assignment_id,
    raw_assignment,
    search_dirs,
    use_course_assignments,
)
from grader.spec.load import load_rubric
from grader.spec.models import Assignment, Rubric

__all__ = ["ASSIGNMENTS_ENV", "bundled_assignments", "course_dirs", "find_assignment_id", "raw_assignment",
           "resolve_assignment", "rubric_for", "search_dirs", "use_course_assignments"]


def resolve_assignment(ref: str) -> Path:
    """`-a ID|PATH`: a path to a YAML file (as given, from the current directory), else an id."""
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise GraderInputError(f"{ref}: no such assignment file")
        return p
    return find_assignment_id(ref)


def rubric_for(assignment: Assignment) -> Rubric:
    """The assignment's rubric: as named in its file, else rubrics/<id>.yaml, else points as in the assignment."""
    here = assignment.path.parent if assignment.path else Path.cwd()
    roots = _rubric_dirs(here)
    if assignment.rubric:
        named = Path(assignment.rubric)
        path_like = named.suffix in (".yaml", ".yml")
        candidates = [here / named] if path_like else [r / f"{assignment.rubric}.yaml" for r in roots]
        for c in candidates:
            if c.is_file():
                return load_rubric(c, assignment)
        where = (f"looked for {here / named}" if path_like
                 else f"looked in {', '.join(str(r) for r in roots)}")
        raise GraderInputError(f"{assignment.path}: rubric {assignment.rubric!r} not found ({where})")
    for root in roots:
        c = root / f"{assignment.id}.yaml"
        if c.is_file():
            return load_rubric(c, assignment)
    return Rubric(assignment=assignment.id)


def _rubric_dirs(here: Path) -> list[Path]:
    """Where a rubric id is looked up: `rubrics/` beside or above the assignment's YAML, beside the
    course's assignments folders, then the bundled rubrics."""
    out: list[Path] = []
    for d in [here / "rubrics", here.parent / "rubrics", *(c / "rubrics" for c in course_dirs()),
              *(c.parent / "rubrics" for c in course_dirs()), *bundled_roots("rubrics")]:
        if d not in out:
            out.append(d)
    return out
