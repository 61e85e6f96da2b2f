"""Every file an assignment needs, found once.

An assignment is more than its YAML: the `extends` base, the rubric, `<id>/reference.py` (and
whatever else that folder holds), the starter notebook students receive and the solution. The
bundle knows them all, so a Gradescope zip, a Dask worker or a copy for validation carries
exactly what grading reads, and a self-contained copy (`entries`) flattens `extends` and points
at its own rubric and starter, so nothing is looked up from the grader's install at grading time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from grader.errors import SpecError
from grader.spec.find import resolve_assignment, rubric_for
from grader.spec.load import QuestionModels, assignment_data, load_assignment
from grader.spec.models import Assignment, Rubric

ASSIGNMENT_FILE = "assignment.yaml"
RUBRIC_FILE = "rubric.yaml"
STARTER_FILE = "starter.ipynb"
FILES_DIR = "support-files"  # the support files (`files:`) in a self-contained copy


@dataclass(frozen=True)
class AssignmentBundle:
    assignment: Assignment
    rubric: Rubric
    data: dict[str, Any]           # the YAML as data, `extends` flattened in

    @classmethod
    def load(cls, ref: str | Path, question_model: QuestionModels) -> "AssignmentBundle":
        """From a bundled id or a YAML path."""
        path = resolve_assignment(str(ref))
        assignment = load_assignment(path, question_model)
        return cls(assignment, rubric_for(assignment), assignment_data(path, question_model))

    @property
    def path(self) -> Path:
        assert self.assignment.path is not None
        return self.assignment.path

    @property
    def resources(self) -> Path | None:
        return self.assignment.resources

    @property
    def starter(self) -> Path | None:
        """The starter notebook file, when the spec names one (else `grade release` writes it)."""
        return self.assignment.starter_path

    @property
    def solution(self) -> Path | None:
        return self.assignment.solution_path

    @property
    def solution_is_reference(self) -> bool:
        """Whether grading runs the solution notebook (`reference: solution`), so every copy that
        grades must carry it (it is run in a kernel of its own, never shown to a student's)."""
        questions = self.data.get("questions") or []
        return self.data.get("reference") == "solution" or any(
            isinstance(q, dict) and q.get("reference") == "solution" for q in questions)

    def support_files(self) -> dict[str, Path]:
        """The course's `files:`, {place in the kernel's working directory: file}."""
        return self.assignment.support_files()

    def resource_files(self) -> list[Path]:
        """`<id>/`'s files (reference.py, probe builders, data), less the starter and solution, which
        travel under their own names (and the solution only when asked for)."""
        if self.resources is None:
            return []
        own = {p.resolve() for p in (self.starter, self.solution) if p is not None}
        return sorted(f for f in self.resources.rglob("*")
                      if f.is_file() and "__pycache__" not in f.parts and not f.is_symlink() and f.resolve() not in own)

    def entries(self, *, solution: bool = False) -> dict[str, bytes]:
        """A self-contained copy, as {relative name: bytes}: `assignment.yaml` (flattened, pointing at
        the files beside it), `rubric.yaml`, `starter.ipynb`, `support-files/...` (the support files), `<id>/...`; the solution only when asked
        (a copy that students' code could see must not carry it)."""
        data = {k: v for k, v in self.data.items() if k not in ("rubric", "starter", "solution", "files")}
        out: dict[str, bytes] = {}
        # the rubric always travels as a file: a copy must never fall back on a rubric of the same id elsewhere
        out[RUBRIC_FILE] = (self.rubric.path.read_bytes() if self.rubric.path is not None
                            else yaml.safe_dump({"assignment": self.assignment.id}).encode("utf-8"))
        data["rubric"] = RUBRIC_FILE
        if self.starter is not None:
            if not self.starter.is_file():
                raise SpecError(f"{self.path}: starter notebook {self.starter} not found")
            out[STARTER_FILE] = self.starter.read_bytes()
            data["starter"] = STARTER_FILE
        if (solution or self.solution_is_reference) and self.solution is not None and self.solution.is_file():
            out["solution.ipynb"] = self.solution.read_bytes()
            data["solution"] = "solution.ipynb"
        if self.assignment.files:  # under support-files/, each keeping its place in the kernel's working directory
            data["files"] = [{"path": f"{FILES_DIR}/{target}", "as": target} for target in self.support_files()]
            for target, source in self.support_files().items():
                out[f"{FILES_DIR}/{target}"] = source.read_bytes()
        for f in self.resource_files():
            out[f"{self.assignment.id}/{f.relative_to(self.resources).as_posix()}"] = f.read_bytes()
        out[ASSIGNMENT_FILE] = yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode("utf-8")
        return out

    @staticmethod
    def write(entries: dict[str, bytes], folder: Path) -> Path:
        """Write a copy made by `entries` into `folder`; returns the assignment file's path."""
        for name, data in entries.items():
            target = (folder / name).resolve()
            if not target.is_relative_to(folder.resolve()):
                raise SpecError(f"bundle entry {name!r} points outside its folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return folder / ASSIGNMENT_FILE
