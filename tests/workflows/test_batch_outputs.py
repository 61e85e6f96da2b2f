"""What a batch leaves behind says what it is: the class report's problems come from real attempts,
and a submission that could not be graded gets a page that says so and why."""

from __future__ import annotations

import re
from fractions import Fraction as F
from html.parser import HTMLParser
from pathlib import Path

from grader.kinds import load_assignment
from grader.results import (
    FAILED,
    NO_ANSWER,
    NOT_ATTEMPTED,
    PASSED,
    GradeResult,
    QuestionResult,
)
from grader.spec.find import resolve_assignment
from grader.workflows.batch.class_report import write_report
from grader.workflows.batch.export import write_failure_feedback
from grader.workflows.batch.gradebook import Gradebook


class _Cells(HTMLParser):
    """The text of each <tr>'s cells, and the tags used."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.tags: list[str] = []
        self.text: dict[str, list[str]] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)
        self._open.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self.rows[-1].append("")

    def handle_endtag(self, tag) -> None:
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag):]

    def handle_data(self, data) -> None:
        if self._open and self._open[-1] in ("td", "th") and self.rows and self.rows[-1]:
            self.rows[-1][-1] += data
        for tag in self._open[-1:]:
            self.text.setdefault(tag, []).append(data)


def _parse(html: str) -> _Cells:
    p = _Cells()
    p.feed(html)
    return p


def test_most_common_problem_counts_only_attempted_answers(tmp_path: Path) -> None:
    assignment = load_assignment(resolve_assignment("derivatives-activations"))
    qid = assignment.questions[0].id
    book = Gradebook(tmp_path / "gradebook.sqlite")
    placeholders = [(NOT_ATTEMPTED, "still the starter code")] * 3 + [(NO_ANSWER, "the answer cell is a placeholder")] * 3
    attempts = [(FAILED, "wrong sign on x < 0"), (FAILED, "wrong sign on x < 0\nmore detail"), (FAILED, "off by one"),
                (PASSED, "")]
    for n, (status, feedback) in enumerate(placeholders + attempts):
        score = F(1) if status == PASSED else F(0)
        res = GradeResult(assignment.id, assignment.title, f"s{n}.ipynb",
                          [QuestionResult(qid, "function", qid, score, F(1), status, feedback)])
        book.record(f"s{n}", f"s{n}.ipynb", f"c{n}", "spec", res, seconds=0.1)
    page = write_report(book, assignment, tmp_path)
    book.close()
    row = next(r for r in _parse(page.read_text()).rows if r and r[0] == qid)
    full, skipped, problem = row[2], row[3], row[4]
    assert (full, skipped) == ("1/10", "6")  # the placeholders are counted as not attempted...
    assert problem == "wrong sign on x < 0 (2×)"  # ...and not as the problem, though they are the most frequent


def test_a_not_graded_submission_gets_a_page_with_the_reason(tmp_path: Path) -> None:
    book = Gradebook(tmp_path / "gradebook.sqlite")
    reason = "m.ipynb is not a notebook: invalid JSON at line 1\n(the file may be a .py renamed)"
    book.record_failure("mallory", "m.ipynb", "c", "s", "derivatives-activations", "1", reason, seconds=0.1)
    book.record_failure("bob", "b.ipynb", "c", "s", "derivatives-activations", "1", "", seconds=0.1)
    folder = write_failure_feedback(book, tmp_path / "out", title="Derivatives and Activation Functions")
    book.close()
    assert folder == tmp_path / "out" / "feedback" and (folder / "mallory.html").is_file()
    page = _parse((folder / "mallory.html").read_text())
    assert "pre" not in page.tags and "h1" in page.tags  # a page, not Markdown shown as text
    assert page.text["title"] == ["Derivatives and Activation Functions: not graded"]
    assert page.text["h1"] == ["Derivatives and Activation Functions: not graded"]
    shown = " ".join(t for ts in page.text.values() for t in ts)
    assert "mallory" in shown and reason in shown and not re.search(r"(^|\n)#", shown)
    assert "no reason was recorded" in (folder / "bob.html").read_text()  # never an empty "why"
    md = (folder / "mallory.md").read_text()
    assert md.startswith("# Derivatives and Activation Functions: not graded\n") and "invalid JSON" in md
