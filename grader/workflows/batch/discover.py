"""Find submissions: a folder of notebooks, a folder of per-student folders, or an LMS/Gradescope zip."""

from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderInputError

MAX_ZIP_MEMBER = 100 * 1024 * 1024


@dataclass(frozen=True)
class Submission:
    student: str
    path: Path
    content_hash: str


def _hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _student(name: str, pattern: re.Pattern[str] | None) -> str:
    if pattern is not None:
        m = pattern.search(name)
        if m:
            return m.group("student") if "student" in pattern.groupindex else m.group(1 if m.groups() else 0)
    return name


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _extract(zip_path: Path, dest: Path) -> Path:
    """Unpack only notebooks, never outside `dest` (zip-slip) and never a zip bomb member."""
    out = dest / zip_path.stem
    try:
        with zipfile.ZipFile(zip_path) as zf:
            for info in zf.infolist():
                name = Path(info.filename)
                if info.is_dir() or name.suffix != ".ipynb" or name.is_absolute() or ".." in name.parts \
                        or "__MACOSX" in name.parts or ".ipynb_checkpoints" in name.parts:
                    continue
                if info.file_size > MAX_ZIP_MEMBER:
                    continue
                target = out / name
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src:
                    target.write_bytes(src.read(MAX_ZIP_MEMBER + 1)[:MAX_ZIP_MEMBER])
    except zipfile.BadZipFile:
        raise GraderInputError(f"{zip_path}: not a valid zip file") from None
    return out


def find_submissions(paths: list[str], *, unpack_to: Path, student_pattern: str | None = None) -> list[Submission]:
    """One submission per student. The student id is the notebook's file name in a flat folder, else its
    top-level folder's name (one folder per student); `student_pattern` (a regex, group `student`) overrides."""
    pattern = re.compile(student_pattern) if student_pattern else None
    found: dict[str, Submission] = {}
    for ref in paths:
        p = Path(ref)
        if not p.exists():
            raise GraderInputError(f"{ref}: no such file or folder")
        if p.is_file() and p.suffix == ".zip":
            p = _extract(p, unpack_to)
        if p.is_file():
            if p.suffix != ".ipynb":
                raise GraderInputError(f"{ref}: expected a folder, a .zip or a .ipynb file")
            items = [(p.stem, p)]
        else:
            items = []
            for nb in _notebooks(p):
                rel = nb.relative_to(p)
                items.append((rel.parts[0] if len(rel.parts) > 1 else nb.stem, nb))
        for key, nb in items:
            student = _student(key if pattern is None else str(nb.relative_to(p) if p.is_dir() else nb.name), pattern)
            previous = found.get(student)
            # several notebooks for one student: the most recently modified is the submission
            if previous is None or nb.stat().st_mtime > previous.path.stat().st_mtime:
                found[student] = Submission(student, nb, _hash(nb))
    if not found:
        raise GraderInputError(f"no notebooks (.ipynb) found in {', '.join(paths)}")
    return sorted(found.values(), key=lambda s: s.student)
