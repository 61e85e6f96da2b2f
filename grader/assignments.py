"""Find assignments and rubrics: bundled with the package or the repo, or given as paths."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import nbformat
import yaml

from .errors import GraderInputError
from .notebook import code_text, headings
from .spec import Assignment, Rubric, load_assignment, load_rubric

_PKG = Path(__file__).resolve().parent


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


def _raw_of(path: Path) -> dict | None:
    try:
        return _raw(path, path.stat().st_mtime)
    except OSError:
        return None


def bundled_assignments() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in _roots("assignments"):
        for path in sorted(root.glob("*.y*ml")):
            data = _raw_of(path)
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


def _defined_functions(nb: nbformat.NotebookNode) -> set[str]:
    return set(re.findall(r"^\s*def\s+([A-Za-z_]\w*)\s*\(", code_text(nb), re.M))


def choose_assignment(nb: nbformat.NotebookNode) -> tuple[Path, str]:
    """Pick the assignment for a notebook: its metadata, else the best match among the bundled ones."""
    meta = nb.metadata.get("grader", {}) if isinstance(nb.metadata.get("grader"), dict) else {}
    known = bundled_assignments()
    if isinstance(meta.get("assignment"), str):
        ref = meta["assignment"]
        if ref in known:
            return known[ref], f"from the notebook's metadata (grader.assignment = {ref})"
        raise GraderInputError(f"the notebook's metadata names assignment {ref!r}, which is not bundled; use --assignment PATH")
    defined = _defined_functions(nb)
    heads = {h.lower() for h in headings(nb)}
    scored = []
    for aid, path in known.items():
        data = _raw_of(path) or {}
        match = data.get("match") if isinstance(data.get("match"), dict) else {}
        named = [q.get("function") or q.get("optimizer") for q in data.get("questions") or [] if isinstance(q, dict)]
        funcs = set(match.get("functions") or []) or {f for f in named if isinstance(f, str)}
        hits = len(funcs & defined) / max(1, len(funcs))
        head_hits = sum(1 for h in match.get("headings") or [] if isinstance(h, str) and h.lower() in heads)
        scored.append((hits + 0.5 * head_hits, hits, head_hits, aid, path))
    scored.sort(reverse=True)
    if scored and (scored[0][1] >= 0.5 or scored[0][2]) and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        _, hits, head_hits, aid, path = scored[0]
        return path, f"by matching the notebook against the bundled assignments ({aid}: {round(hits * 100)}% of its functions defined)"
    raise GraderInputError("could not tell which assignment this notebook is for; pass --assignment ID or PATH "
                           f"(bundled: {', '.join(sorted(known)) or 'none'})")
