"""Per-check visibility (issue 17, item 7): a code question's probe and an optimizer's setting take
`visibility: visible | hidden | after_due_date | after_published` (`hidden: true` is `hidden`). A check not
visible yet keeps its details (inputs, expected and received values) out of everything a student reads —
the question's feedback, Markdown and HTML feedback, Gradescope's output, the student view of the JSON
report — until `grader.report.visibility.shown` says it is released; then they appear. Fast: no kernels."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from grader.errors import SpecError
from grader.grading.score import score_question
from grader.kinds import load_assignment
from grader.kinds.base import CheckOutcome, QuestionOutcome
from grader.report import render
from grader.report.json_report import to_dict
from grader.report.visibility import student_view
from grader.results import GradeResult
from grader.spec.models import Rubric

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)
DUE = NOW + timedelta(days=1)
LATE = "LATE-DETAIL x=-7.25"  # what the after_due_date probe's feedback says
PUB = "PUB-DETAIL x=3.5"      # what the after_published probe's feedback says
SECRET = "SECRET-DETAIL x=9.0"

SPEC = f"""
id: relu-vis
title: ReLU with checks shown later
due: {DUE.isoformat()}
questions:
  - id: relu
    kind: function
    function: relu
    args: [x]
    reference: "torch.relu(x)"
    probes:
      - {{name: public, inputs: {{x: [-1.0, 2.0]}}}}
      - {{name: late, visibility: after_due_date, inputs: {{x: [-7.25]}}}}
      - {{name: pub, visibility: after_published, inputs: {{x: [3.5]}}}}
      - {{name: secret, hidden: true, inputs: {{x: [9.0]}}}}
  - id: adam
    kind: optimizer
    optimizer: MyAdam
    reference: torch.optim.Adam
    signature: "MyAdam(params, lr=0.001)"
    steps: 3
    settings:
      - {{name: default}}
      - {{name: tuned, visibility: after_published, kwargs: {{lr: 0.1}}}}
    problems:
      - {{name: quad, params: {{w: [1.0, -2.0]}}, loss: "lambda p, d: (p[0] ** 2).sum()"}}
"""


@pytest.fixture
def spec(tmp_path: Path):
    path = tmp_path / "relu-vis.yaml"
    path.write_text(SPEC)
    return load_assignment(path)


def test_probes_and_settings_take_a_visibility_and_hidden_true_stays_its_alias(spec, tmp_path: Path) -> None:
    relu, adam = spec.questions
    assert [p.shown_as for p in relu.probes] == ["visible", "after_due_date", "after_published", "hidden"]
    assert [s.shown_as for s in adam.settings] == ["visible", "after_published"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC.replace("{name: secret, hidden: true,", "{name: secret, hidden: true, visibility: visible,"))
    with pytest.raises(SpecError, match="`hidden: true` contradicts `visibility: visible`"):
        load_assignment(bad)
    bad.write_text(SPEC.replace("visibility: after_due_date", "visibility: later"))
    with pytest.raises(SpecError):
        load_assignment(bad)


def _graded(spec) -> GradeResult:
    """relu failing every probe but the public one, each with feedback naming its inputs."""
    relu = spec.questions[0]
    outcome = QuestionOutcome([
        CheckOutcome("public", True),
        CheckOutcome("late", False, feedback=f"On late: {LATE} → expected 0, got 1",
                     visibility=relu.probes[1].shown_as),
        CheckOutcome("pub", False, feedback=f"On pub: {PUB} → expected 3.5, got 0",
                     visibility=relu.probes[2].shown_as),
        CheckOutcome("secret", False, feedback=f"On secret: {SECRET}", visibility=relu.probes[3].shown_as),
    ])
    q = score_question(relu, outcome, Rubric(assignment=spec.id))
    return GradeResult(assignment=spec.id, assignment_title=spec.title, notebook="alice.ipynb", questions=[q])


def test_a_check_not_yet_visible_keeps_its_details_out_of_every_student_format(spec) -> None:
    result = _graded(spec)
    q = result.questions[0]
    assert float(q.score) == 0.25  # the points of checks shown later count from the start
    assert q.feedback.splitlines() == ["1 hidden check did not pass.",
                                       "1 check shown after the due date did not pass.",
                                       "1 check shown once grades are published did not pass."]
    assert [(c.name, c.visibility, c.hidden) for c in q.checks] == [
        ("public", "visible", False), ("late", "after_due_date", True), ("pub", "after_published", True),
        ("secret", "hidden", True)]
    for fmt in ("markdown", "html", "text"):
        out = render(result, fmt)
        for detail in (LATE, PUB, SECRET):
            assert detail not in out, (fmt, detail)
    doc = json.loads(render(result, "json"))  # the staff's report keeps them, with each check's visibility
    assert [c["visibility"] for c in doc["questions"][0]["checks"]] == [
        "visible", "after_due_date", "after_published", "hidden"]
    assert LATE in json.dumps(doc) and SECRET in json.dumps(doc)


def test_gradescope_gives_a_later_check_a_test_with_its_visibility_and_never_shows_a_hidden_one(spec) -> None:
    tests = json.loads(render(_graded(spec), "gradescope"))["tests"]
    question, late, pub = tests
    assert question["visibility"] == "visible" and question["score"] == 0.25
    assert all(d not in question["output"] for d in (LATE, PUB, SECRET))
    assert (late["name"], late["visibility"], late["status"]) == ("relu: late", "after_due_date", "failed")
    assert (pub["name"], pub["visibility"]) == ("relu: pub", "after_published")
    assert LATE in late["output"] and PUB in pub["output"]
    assert "score" not in late and "max_score" not in pub  # the question's test holds the points: none twice
    assert SECRET not in json.dumps(tests)


def test_the_student_view_releases_each_check_when_its_time_comes(spec) -> None:
    doc = to_dict(_graded(spec))

    def seen(**when):
        view = student_view(doc, spec, **when)
        q = view["questions"][0]
        return [c["name"] for c in q["checks"]], json.dumps(view), q["feedback"]

    names, text, _ = seen(published=False, now=NOW)
    assert names == ["public"] and LATE not in text and PUB not in text and SECRET not in text
    names, text, feedback = seen(published=False, now=DUE + timedelta(seconds=1))
    assert names == ["public", "late"] and LATE in feedback and PUB not in text
    names, text, feedback = seen(published=True, now=NOW)
    assert names == ["public", "pub"] and PUB in feedback and LATE not in text
    names, text, _ = seen(published=True, now=DUE + timedelta(days=1))
    assert names == ["public", "late", "pub"] and SECRET not in text  # hidden: never
