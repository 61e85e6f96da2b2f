"""Find assignments and rubrics: bundled with the package or the repo, or given as paths.

Choosing the assignment for a notebook reads the notebook, so it lives a stage up (`grader.grading.choose`)."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from grader.errors import GraderInputError
from grader.spec.load import load_rubric
from grader.spec.models import Assignment, Rubric

_PKG = Path(__file__).resolve().parents[1]  # the grader package


def _roots(kind: str) -> list[Path]:
    """Installed wheels carry grader/_bundled/<kind>; a checkout (or editable install) has <repo>/<kind>."""
    return [d for d in (_PKG / "_bundled" / kind, _PKG.parent / kind) if d.is_dir()]


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=64)
def _raw(path: Path, mtime: float) -> dict | None:
    """An assignment file as plain data: enough to list and match assignments without validating them all."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None


def raw_assignment(path: Path) -> dict | None:
    """The file as plain data (cached per version), or None when it is not a YAML mapping."""
    try:
        return _raw(path, path.stat().st_mtime)
    except OSError:
        return None


def bundled_assignments() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in _roots("assignments"):
        for path in sorted(root.glob("*.y*ml")):
            data = raw_assignment(path)
            if data is not None and isinstance(data.get("id"), str):
                found.setdefault(data["id"], path)
    return found


def resolve_assignment(ref: str) -> Path:
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise GraderInputError(f"{ref}: no such assignment file")
        return p
    known = bundled_assignments()
    if ref in known:
        return known[ref]
    raise GraderInputError(f"unknown assignment {ref!r}; bundled assignments: {', '.join(sorted(known)) or 'none'} (or give a path to a YAML file)")


def rubric_for(assignment: Assignment) -> Rubric:
    """The assignment's rubric: as named in its file, else rubrics/<id>.yaml, else points as in the assignment."""
    candidates: list[Path] = []
    here = assignment.path.parent if assignment.path else Path.cwd()
    if assignment.rubric:
        named = Path(assignment.rubric)
        candidates = [here / named, named] if named.suffix in (".yaml", ".yml") else [r / f"{assignment.rubric}.yaml" for r in [here.parent / "rubrics", *_roots("rubrics")]]
        for c in candidates:
            if c.is_file():
                return load_rubric(c, assignment)
        raise GraderInputError(f"{assignment.path}: rubric {assignment.rubric!r} not found")
    for root in [here.parent / "rubrics", here / "rubrics", *_roots("rubrics")]:
        c = root / f"{assignment.id}.yaml"
        if c.is_file():
            return load_rubric(c, assignment)
    return Rubric(assignment=assignment.id)
