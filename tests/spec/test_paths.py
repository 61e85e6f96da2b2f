"""Every path in a spec is relative to its YAML file, never to the current directory; ids are looked
up beside the YAML, in the course's folders, then the bundled ones, and an unknown id names the
folders searched."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.errors import GraderInputError, SpecError
from grader.kinds import load_assignment
from grader.spec.find import ASSIGNMENTS_ENV, resolve_assignment, rubric_for
from tests.conftest import ROOT, run_cli
from tests.toys import RELU

NUMPY_EDITION = "id: my-numpy\ntitle: mine\nextends: derivatives-activations\narray_library: numpy\n"


def test_extends_an_id_from_a_course_folder_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "course" / "mine.yaml"
    spec.parent.mkdir()
    spec.write_text(NUMPY_EDITION)
    monkeypatch.chdir(tmp_path)
    a = load_assignment(spec)
    base = load_assignment(ROOT / "assignments" / "derivatives-activations.yaml")
    assert a.based_on == "derivatives-activations" and [q.id for q in a.questions] == [q.id for q in base.questions]
    assert rubric_for(a).path == (ROOT / "rubrics" / "derivatives-activations.yaml")  # the base's rubric, by id


def test_an_unknown_id_names_the_folders_searched(tmp_path: Path) -> None:
    spec = tmp_path / "mine.yaml"
    spec.write_text("id: mine\ntitle: mine\nextends: no-such-base\n")
    with pytest.raises(SpecError, match=r"mine\.yaml: extends: unknown assignment 'no-such-base': not in .*"
                                        + str(tmp_path).replace("/", ".")):
        load_assignment(spec)
    with pytest.raises(GraderInputError, match=r"not in .*assignments"):
        resolve_assignment("no-such-assignment")


def test_a_rubric_path_is_relative_to_the_yaml_from_any_directory(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    course = tmp_path / "course"
    (course / "grading").mkdir(parents=True)
    (course / "grading" / "toy-rubric.yaml").write_text("assignment: toy\nquestions: {relu: {points: 3}}\n")
    (course / "toy.yaml").write_text("id: toy\ntitle: toy\nrubric: grading/toy-rubric.yaml\nquestions:\n" + RELU)
    for cwd in (tmp_path, course, course / "grading"):
        monkeypatch.chdir(cwd)
        rubric = rubric_for(load_assignment(course / "toy.yaml"))
        assert rubric.for_question("relu").points == 3
    (course / "other.yaml").write_text("id: toy\ntitle: toy\nrubric: nowhere.yaml\nquestions:\n" + RELU)
    with pytest.raises(GraderInputError, match=r"rubric 'nowhere.yaml' not found \(looked for .*course/nowhere.yaml\)"):
        rubric_for(load_assignment(course / "other.yaml"))


def test_the_course_folder_is_searched_for_ids_before_the_bundled_ones(tmp_path: Path) -> None:
    course = tmp_path / "assignments"
    course.mkdir()
    (course / "toy.yaml").write_text("id: toy\ntitle: toy\nquestions:\n" + RELU)
    proc = run_cli("release", "toy", "-o", str(tmp_path / "starter.ipynb"), env={ASSIGNMENTS_ENV: str(course)})
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("release", "toy", "-o", str(tmp_path / "starter2.ipynb"))
    assert proc.returncode == 2 and "unknown assignment 'toy'" in proc.stderr


def test_a_missing_support_file_names_the_file_and_line(tmp_path: Path) -> None:
    spec = tmp_path / "toy.yaml"
    spec.write_text("id: toy\ntitle: toy\nfiles:\n  - helpers.py\n  - {path: ../outside.csv}\nquestions:\n" + RELU)
    (tmp_path / "helpers.py").write_text("X = 1\n")
    with pytest.raises(SpecError, match=r"toy\.yaml: line 5, files\[1\]: \.\./outside\.csv not found"):
        load_assignment(spec)
    (tmp_path.parent / "outside.csv").write_text("1\n")
    assert set(load_assignment(spec).support_files()) == {"helpers.py", "outside.csv"}
    spec.write_text("id: toy\ntitle: toy\nfiles: [{path: helpers.py, as: ../up.py}]\nquestions:\n" + RELU)
    with pytest.raises(SpecError, match="must be a relative path inside it"):
        load_assignment(spec)


def test_ids_are_found_with_assignments_dir_and_next_to_grader_yml(tmp_path: Path) -> None:
    course = tmp_path / "course"
    (course / "specs").mkdir(parents=True)
    (course / "specs" / "toy.yaml").write_text("id: toy\ntitle: toy\nquestions:\n" + RELU)
    out = tmp_path / "starter.ipynb"
    # --assignments DIR, from anywhere
    proc = run_cli("release", "toy", "-o", str(out), "--assignments", str(course / "specs"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "def relu(x)" in out.read_text()
    # a grader.yml at the course's root names its folder, for every folder below it
    (course / "grader.yml").write_text("assignments: specs\n")
    (course / "week3").mkdir()
    out.unlink()
    proc = run_cli("release", "toy", "-o", str(out), cwd=course / "week3")
    assert proc.returncode == 0, proc.stderr
    # without either, the id is unknown, and the error names where it looked
    proc = run_cli("release", "toy", "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 2 and "unknown assignment 'toy'" in proc.stderr
    proc = run_cli("release", "toy", "-o", str(out), "--assignments", str(tmp_path / "nope"))
    assert proc.returncode == 2 and proc.stderr.strip() == f"grade: error: --assignments {tmp_path / 'nope'}: no such directory"
