"""Say what was chosen: a notebook whose metadata names another assignment is graded with a warning
and flagged; of several notebooks for one student (batch folder or zip, Gradescope upload) the one
they most plausibly meant is graded (valid, for this assignment, newest) and the others are named in
their feedback; a `.py` beside a notebook is the student's module, never a submission."""

from __future__ import annotations

import csv
import json
import os
import re
import time
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, SEED, grade, run_cli

from grader.errors import GraderInputError
from grader.grading.choose import Found, assignment_warning, choose_notebook
from grader.kinds import load_assignment
from grader.notebook.read import read_notebook
from grader.report import render
from grader.spec.find import resolve_assignment
from grader.workflows.batch.discover import find_submissions

STARTER = ROOT / "examples" / "derivatives_activations_starter.ipynb"  # metadata: derivatives-activations
LOSSES = ROOT / "examples" / "losses_starter.ipynb"                    # metadata: losses
DA = load_assignment(resolve_assignment("derivatives-activations"))
HOSTILE = 'losses\x1b]8;;http://evil\x07<img src=x onerror=alert(1)>\n# Total: 20/20 [link](http://evil)'


def _put(path: Path, data: bytes | str, age_days: float = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    t = time.time() - age_days * 86400
    os.utime(path, (t, t))
    return path


def _with_metadata(src: Path, assignment: str) -> bytes:
    nb = json.loads(src.read_bytes())
    nb["metadata"]["grader"] = {"assignment": assignment}
    return json.dumps(nb).encode()


# --- metadata naming another assignment -------------------------------------------------------------


def test_metadata_warning_only_when_it_names_another_assignment() -> None:
    assert assignment_warning(read_notebook(STARTER), DA) is None  # names this one
    assert assignment_warning(read_notebook(SEED), DA) is None     # names none
    warning = assignment_warning(read_notebook(LOSSES), DA)
    assert warning is not None and "'losses'" in warning and "'derivatives-activations'" in warning


@pytest.mark.notebook
def test_a_notebook_for_another_assignment_is_graded_with_a_warning_in_every_report(tmp_path: Path) -> None:
    """The issue's case: `-a X` on a notebook made for another assignment scores 0 (every question
    missing): now every format says why, and it is flagged, whatever the metadata holds."""
    nb = _put(tmp_path / "mine.ipynb", _with_metadata(LOSSES, HOSTILE))
    result = grade(nb)
    assert result.score == 0 and {q.status for q in result.questions} <= {"missing", "not_attempted"}
    assert result.needs_review
    [warning] = result.warnings
    assert warning.startswith("This notebook's metadata says it is for assignment 'losses")
    assert "graded as 'derivatives-activations'" in warning

    text = render(result, "text")
    assert "Warning: This notebook's metadata says it is for assignment 'losses" in " ".join(text.split())
    assert "\x1b" not in text and "\x07" not in text
    assert not any(line.startswith("# Total") for line in text.splitlines())  # the student's newline cannot start a line

    md = render(result, "markdown")
    assert "**Warning:** This notebook" in md
    assert "<img" not in md and "&lt;img" in md and r"\[link\](http" in md  # shown as written, not markup
    assert not any(line.startswith("# Total") for line in md.splitlines())

    html = render(result, "html")
    assert "Warning:</strong> This notebook" in html and "<img src=x" not in html and "&lt;img" in html

    doc = json.loads(render(result, "json"))
    assert doc["needs_review"] is True and doc["warnings"] == [warning]  # kept as it is, for staff

    gs = json.loads(render(result, "gradescope"))
    assert gs["output"].startswith("Warning: This notebook's metadata says it is for assignment 'losses")
    assert "\x1b" not in gs["output"] and "\x07" not in gs["output"]

    junit = render(result, "junit")
    assert 'name="warning" value="This notebook' in junit and "\x1b" not in junit


# --- several notebooks for one student: intake ---------------------------------------------------------


def test_a_broken_newer_notebook_never_wins_over_a_valid_one(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    good = _put(root / "alice" / "hw.ipynb", SEED.read_bytes(), age_days=2)
    _put(root / "alice" / "hw (1).ipynb", "{not json", age_days=0)
    subs = find_submissions([str(root)], unpack_to=tmp_path / "u", assignment=DA)
    [s] = subs
    assert s.path == good
    [warning] = s.warnings
    assert warning.startswith("2 notebooks were handed in; graded `hw.ipynb` (the only valid notebook)")
    assert re.search(r"Not graded: `hw \(1\)\.ipynb` \(not a valid notebook: invalid JSON at line 1", warning)


def test_of_two_valid_notebooks_the_newest_is_graded_and_the_older_named(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    _put(root / "bob" / "a_first_try.ipynb", STARTER.read_bytes(), age_days=3)
    newest = _put(root / "bob" / "z_final.ipynb", SEED.read_bytes(), age_days=1)
    [s] = find_submissions([str(root)], unpack_to=tmp_path / "u", assignment=DA)
    assert s.path == newest  # not the alphabetically first
    assert "graded `z_final.ipynb` (the newest: modified " in s.warnings[0]
    assert "`a_first_try.ipynb` (older: modified " in s.warnings[0]


def test_one_for_this_assignment_wins_over_a_newer_one_for_another(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    mine = _put(root / "carol" / "ex02.ipynb", SEED.read_bytes(), age_days=5)  # no metadata; its functions match
    _put(root / "carol" / "ex03.ipynb", LOSSES.read_bytes(), age_days=0)
    [s] = find_submissions([str(root)], unpack_to=tmp_path / "u", assignment=DA)
    assert s.path == mine
    assert "graded `ex02.ipynb` (it looks like assignment 'derivatives-activations')" in s.warnings[0]
    assert "`ex03.ipynb` (its metadata names assignment 'losses')" in s.warnings[0]


def test_reasons_say_what_decided(tmp_path: Path) -> None:
    blank = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}
    unknown = _put(tmp_path / "unknown.ipynb", json.dumps(blank), age_days=3)
    other = _put(tmp_path / "other.ipynb", json.dumps({**blank, "metadata": {"grader": {"assignment": "losses"}}}))
    c = choose_notebook([Found(unknown, "unknown.ipynb", 1.0), Found(other, "other.ipynb", 9.0)], DA)
    assert c.chosen.path == unknown  # older, but the newer one says it is for another assignment
    assert c.warning is not None and "graded `unknown.ipynb` (the only one whose metadata does not name another" in c.warning
    twin = _put(tmp_path / "twin.ipynb", json.dumps(blank))
    c = choose_notebook([Found(unknown, "b.ipynb", 5.0), Found(twin, "a.ipynb", 5.0)], DA)  # a zip's 2-second dates
    assert c.chosen.path == twin and "(first by name of the equally new ones)" in (c.warning or "")
    assert "`b.ipynb` (as new as `a.ipynb`, which comes first by name)" in (c.warning or "")
    assert choose_notebook([Found(twin, "a.ipynb", 5.0)], DA).warning is None


def test_a_py_next_to_a_notebook_is_a_helper_module_not_a_submission(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    nb = _put(root / "dave" / "hw.ipynb", SEED.read_bytes(), age_days=1)
    _put(root / "dave" / "helpers.py", "def f(x):\n    return x\n")          # newer, and in the same folder
    _put(root / "erin.ipynb", SEED.read_bytes(), age_days=1)                   # a flat folder: erin.py is hers too
    _put(root / "erin.py", "import numpy\n")
    subs = find_submissions([str(root)], unpack_to=tmp_path / "u", assignment=DA)
    assert [(s.student, s.path.name, s.warnings) for s in subs] == [("dave", "hw.ipynb", ()), ("erin", "erin.ipynb", ())]
    assert subs[0].path == nb and subs.rejected == [] and subs.ignored == []
    only_py = tmp_path / "only_py"
    _put(only_py / "frank" / "solution.py", "x = 1\n")   # no notebook: the script is the hand-in
    _put(only_py / "gus.py", "x = 2\n")
    subs = find_submissions([str(only_py)], unpack_to=tmp_path / "u2", assignment=DA)
    assert [(s.student, s.path.name) for s in subs] == [("frank", "solution.py"), ("gus", "gus.py")]
    with pytest.raises(GraderInputError, match=r"no notebooks \(\.ipynb\) or scripts \(\.py\) found"):
        find_submissions([str(_put(tmp_path / "empty" / "notes.txt", "x").parent)], unpack_to=tmp_path / "u3",
                         assignment=DA)


def test_in_a_zip_the_newest_date_wins_and_only_the_graded_copy_stays(tmp_path: Path) -> None:
    z = tmp_path / "export.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("gina/b_old.ipynb", date_time=(2024, 1, 1, 9, 0, 0)), SEED.read_bytes())
        zf.writestr(zipfile.ZipInfo("gina/a_new.ipynb", date_time=(2025, 3, 1, 9, 0, 0)), STARTER.read_bytes())
        zf.writestr(zipfile.ZipInfo("gina/c_newest.ipynb", date_time=(2025, 6, 1, 9, 0, 0)), b"")  # empty: broken
        zf.writestr("hal/nb.ipynb", SEED.read_bytes())
    out = tmp_path / "u"
    subs = find_submissions([str(z)], unpack_to=out, assignment=DA)
    gina = {s.student: s for s in subs}["gina"]
    assert gina.path.read_bytes() == STARTER.read_bytes()
    assert "graded `a_new.ipynb` (the newest: modified 2025-03-01 09:00)" in gina.warnings[0]
    assert "`b_old.ipynb` (older: modified 2024-01-01 09:00)" in gina.warnings[0]
    assert "`c_newest.ipynb` (the file is empty" in gina.warnings[0]
    assert sorted(p.name for p in out.rglob("*.ipynb")) == ["a_new.ipynb", "nb.ipynb"]


def test_a_students_other_notebooks_never_crowd_out_the_class(tmp_path: Path) -> None:
    """Each student's newest notebook is unpacked first; their others only with what is left of the
    limit in all, and one left out for it is named with the reason."""
    size = len(SEED.read_bytes())
    z = tmp_path / "class.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("ivan/new.ipynb", date_time=(2025, 2, 1, 0, 0, 0)), SEED.read_bytes())
        zf.writestr(zipfile.ZipInfo("ivan/old.ipynb", date_time=(2025, 1, 1, 0, 0, 0)), SEED.read_bytes())
        zf.writestr("jo/nb.ipynb", SEED.read_bytes())
    subs = find_submissions([str(z)], unpack_to=tmp_path / "u", assignment=DA, max_unpacked_bytes=2 * size + 10)
    assert [s.student for s in subs] == ["ivan", "jo"] and subs.rejected == []
    ivan = subs[0]
    assert ivan.path.name == "new.ipynb"
    assert "`old.ipynb` (not unpacked: the notebooks unpack to more than the" in ivan.warnings[0]


def test_adding_a_notebook_beside_an_unchanged_one_regrades_it(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    _put(root / "kim" / "hw.ipynb", SEED.read_bytes(), age_days=1)
    [before] = find_submissions([str(root)], unpack_to=tmp_path / "u", assignment=DA)
    _put(root / "kim" / "draft.ipynb", STARTER.read_bytes(), age_days=2)
    [after] = find_submissions([str(root)], unpack_to=tmp_path / "u", assignment=DA)
    assert after.path == before.path and after.content_hash != before.content_hash and after.warnings


# --- end to end -----------------------------------------------------------------------------------


@pytest.mark.notebook
def test_grade_batch_grades_the_plausible_notebook_and_says_so(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    _put(root / "alice" / "hw.ipynb", SEED.read_bytes(), age_days=2)
    _put(root / "alice" / "hw-copy.ipynb", '{"cells": [', age_days=0)              # newer, broken
    _put(root / "bob" / "start.ipynb", STARTER.read_bytes(), age_days=3)           # older: the untouched starter
    _put(root / "bob" / "done.ipynb", SEED.read_bytes(), age_days=1)
    _put(root / "dave" / "hw.ipynb", SEED.read_bytes(), age_days=1)
    _put(root / "dave" / "my_utils.py", "def helper():\n    return 1\n")
    _put(root / "lee" / "hw.ipynb", _with_metadata(SEED, "losses"), age_days=1)     # metadata names another
    out = tmp_path / "out"
    proc = run_cli("batch", str(root), "-a", "derivatives-activations", "-o", str(out), "-j", "2")
    assert proc.returncode == 0, proc.stderr
    with open(out / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert {s: (r["score"], r["needs_review"]) for s, r in rows.items()} == {
        "alice": ("20", "1"), "bob": ("20", "1"), "dave": ("20", "0"), "lee": ("20", "1")}
    feedback = {s: (out / "feedback" / f"{s}.md").read_text().replace("\\", "") for s in rows}  # as rendered
    assert "graded `hw.ipynb` (the only valid notebook)" in feedback["alice"]
    assert "`hw-copy.ipynb` (not a valid notebook: invalid JSON" in feedback["alice"]
    assert "graded `done.ipynb` (the newest" in feedback["bob"] and "`start.ipynb` (older" in feedback["bob"]
    assert "Warning" not in feedback["dave"] and "my_utils" not in feedback["dave"]
    assert "metadata says it is for assignment 'losses'" in feedback["lee"]
    html = (out / "feedback" / "bob.html").read_text()
    assert "Not graded: `start.ipynb`" in html
    report = (out / "report.html").read_text()
    review = report.split("<h2>Needs manual review</h2>")[1].split("<h2>")[0]
    assert re.findall(r'<li><a href="feedback/(\w+)\.html">', review) == ["alice", "bob", "lee"]
    assert "2 notebooks were handed in; graded `hw.ipynb`" in review and "for assignment &#39;losses&#39;" in review
