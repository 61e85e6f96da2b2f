"""A course the grader was not built for, as its instructor has it: `grade init` on the blank and
the staff solution of tests/courses/mlp_practical/ (a NumPy two-layer-network lab in the style of
Edinburgh's Machine Learning Practical: stubs that `raise NotImplementedError('Write me!')`, a
course helper module and a CSV it loads, a backward pass that accumulates into the gradient arrays
it is given, derivations in markdown answer cells), then `grade validate` on the spec exactly as
written, then `grade batch` over a folder of student copies, each of which must get the right
verdict per question. Everything goes through the real command line, from a folder that is neither
the course's nor the repository's, so nothing is found relative to the current directory."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, run_cli

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("course-init")]  # one init, one batch

COURSE = ROOT / "tests" / "courses" / "mlp_practical"
AID = "mlp-practical"
FUNCTIONS = ["tanh", "tanh_derivative", "squared_error", "squared_error_grad", "leaky_relu", "forward_pass",
             "backward_pass"]
OUTPUTS = ["dw1", "db1", "dw2", "db2"]
Q1, Q2 = "Question 1", "Question 2"  # the written questions, by the section their answer cell is in

# Per student, the questions that must lose points (with the status they must get, or None for any
# status that is not full marks). Every other question, code or written, must get full marks.
LOSES: dict[str, dict[str, str | None]] = {
    "correct_different": {},
    "as_script": {},
    "buggy": {"squared_error": "failed", "backward_pass": "partial", Q1: "failed"},
    "ignores_slope": {"leaky_relu": "partial"},
    "partial": {"tanh_derivative": "not_attempted", "backward_pass": "not_attempted", Q2: "no_answer"},
    "wrong_order": {"forward_pass": None},
    "overwrites": {"backward_pass": "partial"},
}


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("course_init")


@pytest.fixture(scope="module")
def spec(work: Path) -> dict[str, Any]:
    """`grade init` → TMP/spec/mlp-practical.yaml (+ rubric), loaded."""
    out = work / "spec"
    out.mkdir()
    proc = run_cli("init", str(COURSE / "blank.ipynb"), str(COURSE / "solution.ipynb"), "-o", str(out), "--id", AID,
                   cwd=work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (out / f"{AID}.yaml").is_file() and (out / f"{AID}.rubric.yaml").is_file(), sorted(out.iterdir())
    return yaml.safe_load((out / f"{AID}.yaml").read_text())


@pytest.fixture(scope="module")
def spec_path(spec: dict[str, Any], work: Path) -> Path:
    return work / "spec" / f"{AID}.yaml"


@pytest.fixture(scope="module")
def written(spec: dict[str, Any]) -> dict[str, str]:
    """Question 1 / Question 2 -> the id `grade init` gave the written question answered there."""
    return {q["answer"]["section"]: q["id"] for q in spec["questions"] if q["kind"] == "symbolic"}


@pytest.fixture(scope="module")
def graded(spec_path: Path, work: Path) -> dict[str, dict[str, Any]]:
    """`grade batch` over the students' folder: student -> their result (as the gradebook stores it)."""
    out = work / "graded"
    proc = run_cli("batch", str(COURSE / "students"), "-a", str(spec_path), "-o", str(out), "-j", "2", cwd=work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        rows = db.execute("SELECT student, result_json FROM submissions").fetchall()
    return {student: json.loads(result) for student, result in rows}


def _questions(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for q in result["questions"]}


def test_init_writes_a_spec_of_the_stubs_the_answer_cells_and_the_course_files(spec: dict[str, Any],
                                                                               written: dict[str, str]) -> None:
    code = [q for q in spec["questions"] if q["kind"] != "symbolic"]
    assert spec["id"] == AID
    assert [q["id"] for q in code] == FUNCTIONS  # every stub, named after its function, in notebook order
    assert spec["reference"] == "solution"
    assert sorted(written) == [Q1, Q2]
    # the helper module the notebook imports and the data file it loads ship with the spec
    assert sorted(Path(f).name for f in spec["files"]) == ["mlp_utils.py", "points.csv"]
    backward = next(q for q in code if q["id"] == "backward_pass")
    assert backward["outputs"] == OUTPUTS  # it writes into its gradient arguments instead of returning
    leaky = next(q for q in code if q["id"] == "leaky_relu")
    slopes = [p.get("kwargs", {}).get("negative_slope", 0.01) for p in leaky["probes"]]
    assert 0.01 in slopes and any(s != 0.01 for s in slopes), leaky["probes"]  # the default, and another value


def test_validate_accepts_the_spec_as_init_wrote_it(spec_path: Path, work: Path) -> None:
    proc = run_cli("validate", str(spec_path), cwd=work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"solution (\d+(\.\d+)?)/\1; starter 0/\1", proc.stdout), proc.stdout


def test_batch_grades_every_hand_in_including_the_script(graded: dict[str, dict[str, Any]]) -> None:
    assert sorted(graded) == sorted(LOSES)
    assert graded["as_script"]["notebook"].endswith("as_script.py")


@pytest.mark.parametrize("student", list(LOSES))
def test_right_verdict_per_question(student: str, graded: dict[str, dict[str, Any]], written: dict[str, str]) -> None:
    questions = _questions(graded[student])
    loses = {written.get(k, k): status for k, status in LOSES[student].items()}
    assert set(questions) == set(FUNCTIONS) | set(written.values())
    wrong = {}
    for qid, q in questions.items():
        full = q["score"] == q["max_score"] > 0
        if qid not in loses and not full:
            wrong[qid] = f"expected full marks, got {q['score']}/{q['max_score']} ({q['status']}): {q['feedback']}"
        elif qid in loses and (full or loses[qid] not in (None, q["status"])):
            wrong[qid] = (f"expected to lose points ({loses[qid] or 'any status'}), got {q['score']}/{q['max_score']} "
                          f"({q['status']}): {q['feedback']}")
    assert not wrong, wrong


def test_buggy_backward_pass_loses_only_the_gradient_it_rebinds(graded: dict[str, dict[str, Any]]) -> None:
    q = _questions(graded["buggy"])["backward_pass"]
    failed = {c["name"] for c in q["checks"] if not c["passed"]}
    assert failed and {name.split("/")[-1] for name in failed} == {"db1"}, q["checks"]
    assert "left `db1` unchanged" in q["feedback"], q["feedback"]
    assert "mutat" not in q["feedback"].lower()  # writing into dw1, dw2, db2 is the job, not a mutation


def test_overwriting_the_gradients_instead_of_adding_loses_every_output(graded: dict[str, dict[str, Any]]) -> None:
    """The handout asks backward_pass to accumulate (`dw1 += ...`); one that assigns (`dw1[...] = ...`)
    is right only when the arrays it is given start at zero, so some probe must start each of them
    elsewhere."""
    q = _questions(graded["overwrites"])["backward_pass"]
    failed = {c["name"].split("/")[-1] for c in q["checks"] if not c["passed"]}
    assert failed == set(OUTPUTS), q["checks"]


def test_ignoring_negative_slope_loses_exactly_the_non_default_probes(spec: dict[str, Any],
                                                                      graded: dict[str, dict[str, Any]]) -> None:
    probes = next(q for q in spec["questions"] if q["id"] == "leaky_relu")["probes"]
    other_slope = {p["name"] for p in probes if p.get("kwargs", {}).get("negative_slope", 0.01) != 0.01}
    q = _questions(graded["ignores_slope"])["leaky_relu"]
    assert {c["name"] for c in q["checks"] if not c["passed"]} == other_slope, q["checks"]
    assert "negative_slope" in q["feedback"], q["feedback"]


def test_parameters_in_another_order_are_named_in_the_feedback(graded: dict[str, dict[str, Any]]) -> None:
    q = _questions(graded["wrong_order"])["forward_pass"]
    assert ("Your parameters are (x, w1, w2, b1, b2); the handout's order is (x, w1, b1, w2, b2)"
            in q["feedback"]), q["feedback"]


def test_stubs_are_not_attempted_and_a_blank_answer_is_no_answer(graded: dict[str, dict[str, Any]],
                                                                 written: dict[str, str]) -> None:
    q = _questions(graded["partial"])
    assert "still raises NotImplementedError" in q["backward_pass"]["feedback"], q["backward_pass"]["feedback"]
    assert q[written[Q2]]["score"] == 0 and "placeholder" in q[written[Q2]]["feedback"], q[written[Q2]]


def test_a_correct_answer_is_not_sent_to_review(graded: dict[str, dict[str, Any]]) -> None:
    """A question with full marks needs no TA: the staff solution's own derivation (copied by several
    students: the quotient rule with the two derivatives it uses stated inline, then one chain of `=`)
    must not be read as a wrong step."""
    flagged = [f"{student}/{q['id']}: {q['feedback']}" for student, result in sorted(graded.items())
               for q in result["questions"] if q["score"] == q["max_score"] and q.get("needs_review")]
    assert not flagged, "\n".join(flagged)


def test_keyword_calls_make_the_order_irrelevant(spec: dict[str, Any], spec_path: Path, work: Path) -> None:
    """The instructor's edit after init: `call: keyword` on forward_pass, and the student whose
    parameters are in another order gets full marks for it."""
    edited = work / "keyword"
    edited.mkdir()
    shutil.copy(spec_path.with_name(f"{AID}.rubric.yaml"), edited)
    data = dict(spec)
    data["questions"] = [{**q, "call": "keyword"} if q["id"] == "forward_pass" else q for q in spec["questions"]]
    # the spec's relative paths (solution, starter, files) hold from a folder at the same depth
    (edited / f"{AID}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    proc = run_cli("grade", str(COURSE / "students" / "wrong_order.ipynb"), "-a", str(edited / f"{AID}.yaml"),
                   "--format", "json", cwd=work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    q = _questions(json.loads(proc.stdout))["forward_pass"]
    assert q["score"] == q["max_score"] > 0, q
