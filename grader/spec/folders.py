"""Where assignments are looked up by id: the folder of the YAML naming one, the course's own
assignments folders, then the bundled ones (see `grader.spec.find`). Below `load`, so `extends: ID`
uses the same search."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import yaml

from grader.errors import GraderInputError

_PKG = Path(__file__).resolve().parents[1]  # the grader package
ASSIGNMENTS_ENV = "GRADER_ASSIGNMENTS"  # the course's own assignments folders, searched before the bundled ones
_course_dirs: list[Path] = []  # set by `use_course_assignments` (`--assignments DIR`)


def use_course_assignments(*folders: str | Path) -> None:
    """The course's assignments folders for this process (`--assignments DIR`), before GRADER_ASSIGNMENTS."""
    _course_dirs[:] = [Path(f) for f in folders]


def course_dirs() -> list[Path]:
    """The course's own assignments folders, in the order they are searched: `--assignments`,
    GRADER_ASSIGNMENTS, then the one a `grader.yml` in the current folder or above it names."""
    env = [Path(p) for p in os.environ.get(ASSIGNMENTS_ENV, "").split(os.pathsep) if p]
    config = course_config_dir(Path.cwd())
    return [*_course_dirs, *env, *([config] if config is not None else [])]


COURSE_FILES = ("grader.yml", "grader.yaml")


def course_config_dir(start: Path) -> Path | None:
    """The assignments folder of the course `start` is in: the nearest `grader.yml` at or above it
    names it (`assignments: DIR`, relative to that file; default `assignments/` beside it)."""
    for folder in [start, *start.parents]:
        for name in COURSE_FILES:
            config = folder / name
            if not config.is_file():
                continue
            try:
                data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError) as e:
                raise GraderInputError(f"{config}: not valid YAML ({str(e).splitlines()[0]})") from None
            where = data.get("assignments", "assignments") if isinstance(data, dict) else None
            if not isinstance(where, str):
                raise GraderInputError(f"{config}: `assignments:` must name a folder (relative to {config.name})")
            return (folder / where).resolve()
    return None


def search_dirs(near: Path | None = None) -> list[Path]:
    """Where an id is looked up: `near` (the folder of the YAML naming it), the course's folders, the bundled ones."""
    out: list[Path] = []
    for d in [*([near] if near is not None else []), *course_dirs(), *bundled_roots("assignments")]:
        if d not in out:
            out.append(d)
    return out


def bundled_roots(kind: str) -> list[Path]:
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


def _assignments_in(roots: list[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.glob("*.y*ml")):
            data = raw_assignment(path)
            if data is not None and isinstance(data.get("id"), str):
                found.setdefault(data["id"], path)
    return found


def bundled_assignments() -> dict[str, Path]:
    """Every assignment known by id: the course's folders first, then the bundled ones."""
    return _assignments_in([*course_dirs(), *bundled_roots("assignments")])


def find_assignment_id(ref: str, near: Path | None = None) -> Path:
    """The YAML of assignment id `ref`, searched in `search_dirs(near)`; an error names the folders."""
    dirs = search_dirs(near)
    known = _assignments_in(dirs)
    if ref in known:
        return known[ref]
    bundled = sorted(_assignments_in(bundled_roots("assignments")))
    raise GraderInputError(f"unknown assignment {ref!r}: not in {', '.join(str(d) for d in dirs) or 'any folder'} "
                           f"(bundled: {', '.join(bundled) or 'none'}; or give a path to a YAML file)")


