"""Every report format, rendered straight from a GradeResult (no kernel, no CLI): the numbers, the
statuses and the feedback a student, a TA, Gradescope or a CI system reads from it, and that
student-controlled text cannot break the format it is embedded in."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from fractions import Fraction as F
from html.parser import HTMLParser

import pytest

from grader.report import formats, render
from grader.report.junit import junit_xml
from grader.report.safe import terminal
from grader.results import (
    FAILED,
    NOT_ATTEMPTED,
    PARTIAL,
    PASSED,
    UNDECIDED,
    CellEvent,
    CheckResult,
    GradeResult,
    QuestionResult,
)

PARTIAL_FEEDBACK = "is wrong on 1 of 3 values; x=2 → expected 3, got 4.\nCheck the sign of the exponent."
ALL_FORMATS = ["text", "markdown", "html", "json", "gradescope", "junit"]


def q(qid, score, max_score, status, feedback="", checks=(), **kw) -> QuestionResult:
    return QuestionResult(id=qid, kind="function", title=qid.capitalize(), score=score, max_score=max_score,
                          status=status, feedback=feedback, checks=list(checks), **kw)


def sample(feedback: str = PARTIAL_FEEDBACK, event: str = "NameError: name 'x' is not defined") -> GradeResult:
    """One of each situation: passed, partial (7/3 of 3) with feedback, a failed question whose only check
    is hidden, a question flagged for review, a not-attempted question, and an event from a cell."""
    return GradeResult(
        assignment="acts", assignment_title="Activations", notebook="alice.ipynb",
        questions=[
            q("sigmoid", F(2), F(2), PASSED, checks=[CheckResult("random", True, F(2), F(2))]),
            q("tanh", F(7, 3), F(3), PARTIAL, feedback,
              checks=[CheckResult("random", True, F(7, 3), F(7, 3)),
                      CheckResult("batched", False, F(0), F(2, 3), status=FAILED, feedback="wrong on the batch")]),
            q("secret", F(0), F(1), FAILED, "failed a hidden test",
              checks=[CheckResult("held_out", False, F(0), F(1), status=FAILED, hidden=True)]),
            q("derive", F(0), F(2), UNDECIDED, "could not be checked automatically", needs_review=True),
            q("relu", F(0), F(1), NOT_ATTEMPTED, "still the starter code"),
        ],
        events=[CellEvent(cell_index=2, kind="error", message=event)],
        timings={"total": 3.14159}, grader_version="9.9.9",
    )


def test_every_built_in_format_is_registered() -> None:
    assert set(ALL_FORMATS) <= set(formats())


# --- json -------------------------------------------------------------------------------------------

def test_json_has_exact_totals_and_each_question_with_its_status() -> None:
    doc = json.loads(render(sample(), "json"))
    # 2 + 7/3 = 13/3 of 9, summed exactly then rounded once to 4 places
    assert doc["score"] == 4.3333 and doc["max_score"] == 9 and isinstance(doc["max_score"], int)
    assert doc["needs_review"] is True
    assert [(x["id"], x["status"], x["score"], x["max_score"]) for x in doc["questions"]] == [
        ("sigmoid", PASSED, 2, 2), ("tanh", PARTIAL, 2.3333, 3), ("secret", FAILED, 0, 1),
        ("derive", UNDECIDED, 0, 2), ("relu", NOT_ATTEMPTED, 0, 1)]
    tanh = doc["questions"][1]
    assert tanh["feedback"] == PARTIAL_FEEDBACK
    assert [(c["name"], c["passed"], c["score"], c["max_score"]) for c in tanh["checks"]] == [
        ("random", True, 2.3333, 2.3333), ("batched", False, 0, 0.6667)]
    assert doc["questions"][2]["checks"][0]["hidden"] is True
    assert [x["needs_review"] for x in doc["questions"]] == [False, False, False, True, False]
    assert doc["events"] == [{"cell": 3, "kind": "error", "message": "NameError: name 'x' is not defined"}]
    assert doc["timings"] == {"total": 3.142}


def test_json_scores_sum_exactly_where_floats_would_not() -> None:
    """Ten questions of 1/10 are worth exactly 1, not 0.9999999999999999."""
    res = GradeResult("a", "A", "n.ipynb", [q(f"q{i}", F(1, 10), F(1, 10), PASSED) for i in range(10)])
    doc = json.loads(render(res, "json"))
    assert doc["score"] == 1 and doc["max_score"] == 1


# --- gradescope ---------------------------------------------------------------------------------------

def test_gradescope_has_one_test_per_question_and_the_total() -> None:
    doc = json.loads(render(sample(), "gradescope"))
    assert doc["score"] == 4.3333 and doc["max_score"] == 9
    assert doc["execution_time"] == 3.14
    tests = doc["tests"]
    assert [t["name"] for t in tests] == ["sigmoid: Sigmoid", "tanh: Tanh", "secret: Secret", "derive: Derive", "relu: Relu"]
    assert [(t["score"], t["max_score"]) for t in tests] == [(2, 2), (2.3333, 3), (0, 1), (0, 2), (0, 1)]
    assert [t["status"] for t in tests] == ["passed", "failed", "failed", "failed", "failed"]
    assert tests[0]["output"] == "Correct."  # a passed question without feedback still says something
    assert tests[1]["output"] == PARTIAL_FEEDBACK
    assert tests[4]["output"] == "still the starter code"
    assert sum(t["score"] for t in tests) == pytest.approx(doc["score"], abs=1e-4)


def test_gradescope_holds_back_questions_whose_checks_are_all_hidden() -> None:
    tests = {t["name"].split(":")[0]: t for t in json.loads(render(sample(), "gradescope"))["tests"]}
    assert tests["secret"]["visibility"] == "after_published"
    assert tests["tanh"]["visibility"] == "visible" and tests["relu"]["visibility"] == "visible"
    mixed = GradeResult("a", "A", "n.ipynb", [q("m", F(1), F(2), PARTIAL, "half", checks=[
        CheckResult("shown", True, F(1), F(1)), CheckResult("held_out", False, F(0), F(1), hidden=True)])])
    assert json.loads(render(mixed, "gradescope"))["tests"][0]["visibility"] == "visible"


def test_gradescope_puts_cell_events_in_the_top_level_output() -> None:
    doc = json.loads(render(sample(), "gradescope"))
    assert "Cell 3: NameError: name 'x' is not defined" in doc["output"]
    quiet = sample()
    quiet.events = []
    assert json.loads(render(quiet, "gradescope"))["output"] == ""


def test_gradescope_without_a_distinct_title_uses_the_id() -> None:
    res = GradeResult("a", "A", "n.ipynb", [QuestionResult("q1", "function", "q1", F(1), F(1), PASSED, "")])
    assert json.loads(render(res, "gradescope"))["tests"][0]["name"] == "q1"


# --- junit ----------------------------------------------------------------------------------------------

def _suite(xml: str) -> ET.Element:
    root = ET.fromstring(xml.encode("utf-8"))
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    return suite


def test_junit_has_one_testcase_per_question_with_failures_for_lost_points() -> None:
    suite = _suite(render(sample(), "junit"))
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == ["sigmoid", "tanh", "secret", "derive", "relu"]
    assert list(cases["sigmoid"]) == []  # full marks: a passing testcase
    tanh = cases["tanh"].find("failure")
    assert tanh is not None and tanh.text == PARTIAL_FEEDBACK
    assert tanh.get("message") == "2.3333/3 points, partial" and tanh.get("type") == PARTIAL
    assert cases["secret"].find("failure") is not None
    assert cases["derive"].find("failure") is not None  # lost points pending review still show
    relu = cases["relu"]
    assert relu.find("failure") is None and relu.find("skipped") is not None  # nothing to judge yet
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("5", "3", "0", "1")
    assert suite.find("properties/property[@name='score']").get("value") == "4.3333/9"


def test_junit_reports_code_that_raised_as_an_error() -> None:
    res = GradeResult("a", "A", "n.ipynb", [q("boom", F(0), F(1), "error", "raised ZeroDivisionError")])
    suite = _suite(render(res, "junit"))
    case = suite.find("testcase")
    assert case.find("error") is not None and case.find("failure") is None
    assert suite.get("errors") == "1" and suite.get("failures") == "0"


def test_junit_has_one_suite_per_notebook() -> None:
    a, b = sample(), sample()
    b.notebook = "bob.ipynb"
    root = ET.fromstring(junit_xml([a, b]).encode())
    assert [s.get("name") for s in root.findall("testsuite")] == ["acts: alice.ipynb", "acts: bob.ipynb"]


NASTY = "if a < b && c: ]]> <![CDATA[ `x | y` | z\nsecond line <script>alert(1)</script> &amp;"


def test_junit_stays_well_formed_with_markup_in_feedback() -> None:
    suite = _suite(render(sample(feedback=NASTY, event=NASTY), "junit"))
    tanh = [c for c in suite.findall("testcase") if c.get("name") == "tanh"][0]
    assert tanh.find("failure").text == NASTY  # escaped on the way out, intact on the way back


@pytest.mark.parametrize("control", ["\x00", "\x1b[31m", "\x08", "\x0c"])
def test_junit_stays_well_formed_with_control_characters_in_feedback(control: str) -> None:
    _suite(render(sample(feedback=f"error {control}here"), "junit"))


# --- markdown ---------------------------------------------------------------------------------------------

def test_markdown_shows_the_total_table_and_what_to_fix() -> None:
    md = render(sample(), "markdown")
    assert md.startswith("# Activations: 4.3333 / 9\n")
    assert "| Tanh | 2.3333 / 3 | partial |" in md and "| Sigmoid | 2 / 2 | passed |" in md
    fix = md.split("## What to fix", 1)[1]
    assert "### Tanh (2.3333 / 3, partial)" in fix
    # each feedback line ends with two spaces: a hard line break, so the lines stay apart
    assert "is wrong on 1 of 3 values; x=2 → expected 3, got 4.  \nCheck the sign of the exponent." in fix
    assert "### Sigmoid" not in fix  # nothing to fix there
    assert "- cell 3: NameError: name 'x' is not defined" in md
    assert "a TA will review them" in md


def test_markdown_and_text_list_a_passed_questions_note_apart_from_what_to_fix() -> None:
    res = sample()
    res.questions[0].feedback = "returned a NumPy array rather than a tensor (accepted)"
    assert "returned a NumPy array" not in render(res, "markdown").split("## What to fix", 1)[1]
    text = render(res, "text")
    assert "sigmoid: returned a NumPy array" in text.split("\nNotes", 1)[1]
    assert "returned a NumPy array" not in text.split("\nFeedback", 1)[1].split("\nNotes", 1)[0]


def test_markdown_table_cells_escape_pipes_and_newlines() -> None:
    res = GradeResult("a", "A", "n.ipynb", [QuestionResult("q", "function", "a | b\nc", F(0), F(1), FAILED, "x")])
    md = render(res, "markdown")
    row = [line for line in md.splitlines() if line.startswith("| a")][0]
    assert row == "| a \\| b c | 0 / 1 | failed |"
    assert len(re.findall(r"(?<!\\)\|", row)) == 4  # still three columns


# --- text -------------------------------------------------------------------------------------------------

def test_text_shows_the_table_the_total_and_feedback_under_its_question() -> None:
    text = render(sample(), "text", color=False)
    assert "Total: 4.3333/9" in text
    assert re.search(r"tanh\s+2\.3333/3\s+partial", text)
    feedback = text.split("\nFeedback", 1)[1]
    assert ("tanh (2.3333/3, partial)\n  is wrong on 1 of 3 values; x=2 → expected 3, got 4.\n"
            "  Check the sign of the exponent.\n") in feedback
    assert "sigmoid (" not in feedback
    assert "cell 3: NameError" in text and "flagged for manual review" in text


def test_text_isolation_line_keeps_every_clause_without_its_details() -> None:
    """A regrade after the warm pool failed, or a kernel started cold, is said on the terminal too."""
    res = sample()
    res.isolation = ("bubblewrap sandbox, kernel forked from this worker's warm pool (own mount, PID and network "
                     "namespaces; no capabilities; memory limit 4 GiB); graded a second time from the start, because "
                     "the warm pool's zygote died, and the kernel forked from it with it (not the notebook's doing)")
    line = next(ln for ln in render(res, "text", color=False, width=400).splitlines() if ln.startswith("Isolation: "))
    assert line == ("Isolation: bubblewrap sandbox, kernel forked from this worker's warm pool; graded a second time "
                    "from the start, because the warm pool's zygote died, and the kernel forked from it with it")
    res.isolation = "bubblewrap sandbox (own namespaces; no network)"
    assert "Isolation: bubblewrap sandbox\n" in render(res, "text", color=False)


def test_text_without_color_has_no_ansi_escapes_and_with_color_has_them() -> None:
    plain = render(sample(), "text", color=False)
    assert "\x1b" not in plain
    colored = render(sample(), "text", color=True)
    assert "\x1b[" in colored
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored).split() == plain.split()  # colour is the only difference


def test_text_prints_rich_markup_in_feedback_literally() -> None:
    fb = "expected −[y·log(p) + (1−y)·log(1−p)], got [bold]nan[/bold]"
    assert fb in render(sample(feedback=fb), "text", color=False)


def test_text_without_color_has_no_ansi_escapes_even_from_feedback() -> None:
    assert "\x1b" not in render(sample(feedback="raised ValueError: \x1b[2J\x1b[31mgotcha"), "text", color=False)


LONG = ("is wrong on 3 of 64 values; the loss should be `−[y·log(p) + (1−y)·log(1−p)]` averaged over the batch, "
        "yours sums it: compare `loss.mean()` with `loss.sum()` and check `reduction='mean'` in your call")


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_text_unwrapped_keeps_every_line_whole() -> None:
    """Piped or written to a file (width None) a feedback line is one line, however long."""
    text = render(sample(feedback=LONG + "\n" + "y" * 300), "text")
    assert f"\n  {LONG}\n" in text and f"\n  {'y' * 300}\n" in text


@pytest.mark.parametrize("width", [40, 57, 80, 120])
@pytest.mark.parametrize("color", [False, True])
def test_text_wraps_at_the_width_between_words_and_never_inside_a_code_span(width: int, color: bool) -> None:
    text = _plain(render(sample(feedback=LONG), "text", color=color, width=width))
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    fb = text.split("tanh (2.3333/3, partial)\n", 1)[1].split("\nsecret (", 1)[0].splitlines()
    assert all(line.startswith("  ") for line in fb)  # still under its question
    assert " ".join(line.strip() for line in fb) == LONG  # every word, in order, none lost or cut
    for span in re.findall(r"`[^`]*`", LONG):
        assert any(span in line for line in fb), span  # each code span whole on one line
    assert (len(fb) > 1) == (width < len(LONG) + 2)


@pytest.mark.parametrize("width", [None, 30, 100])
@pytest.mark.parametrize("color", [False, True])
def test_text_has_no_trailing_spaces(width: int | None, color: bool) -> None:
    fb = "ends in spaces   \n  indented   \n" + LONG + "     " + "\tand a tab  "
    text = _plain(render(sample(feedback=fb, event="error   \n   "), "text", color=color, width=width))
    assert [line for line in text.splitlines() if line != line.rstrip()] == []
    assert "not_attempted\n" in text  # the score table's last column is not padded either


def test_text_cuts_only_what_cannot_fit_on_a_line_and_keeps_it_indented() -> None:
    span = "`" + "x" * 70 + "`"
    text = render(sample(feedback=f"see {span} here"), "text", width=40)
    fb = text.split("tanh (2.3333/3, partial)\n", 1)[1].split("\nsecret (", 1)[0].splitlines()
    assert all(line.startswith("  ") and len(line) <= 40 for line in fb)
    assert "".join(line.strip() for line in fb) == f"see{span}here"


def _width_seen(env: dict[str, str], *, tty: bool, columns: int | None = None) -> str:
    """What `terminal_width(sys.stdout)` says in a fresh process whose stdout is a terminal or a pipe."""
    code = "import sys; from grader.report.text import terminal_width; print(terminal_width(sys.stdout), file=sys.stderr)"
    env = {k: v for k, v in {**os.environ, **env}.items() if k != "COLUMNS" or "COLUMNS" in env}
    if not tty:
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                              check=True).stderr.strip()
    main, child = pty.openpty()
    try:
        if columns is not None:
            import fcntl
            import struct
            import termios
            fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        proc = subprocess.run([sys.executable, "-c", code], env=env, stdout=child, stderr=subprocess.PIPE,
                              text=True, check=True)
    finally:
        os.close(child)
        os.close(main)
    return proc.stderr.strip()


def test_the_report_width_is_the_terminals_and_none_when_piped() -> None:
    assert _width_seen({"COLUMNS": "57"}, tty=True) == "57"  # COLUMNS wins, as for any Unix tool
    assert _width_seen({}, tty=True, columns=63) == "63"  # else the terminal's own size
    assert _width_seen({"COLUMNS": "57"}, tty=False) == "None"  # piped: never wrapped


# --- html -------------------------------------------------------------------------------------------------

class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)

    def handle_data(self, data) -> None:
        self.text.append(data)


def _page(html: str) -> _Page:
    p = _Page()
    p.feed(html)
    p.close()
    return p


def test_html_shows_the_total_and_the_feedback() -> None:
    page = _page(render(sample(), "html"))
    text = "".join(page.text)
    assert "Activations: 4.3333 / 9" in text
    assert PARTIAL_FEEDBACK in text
    assert "still the starter code" in text


def test_html_escapes_markup_in_feedback_events_and_titles() -> None:
    res = sample(feedback=NASTY, event=NASTY)
    res.assignment_title = "<img src=x onerror=alert(1)>"
    page = _page(render(res, "html"))
    assert "script" not in page.tags and "img" not in page.tags
    text = "".join(page.text)
    assert NASTY in text and "<img src=x onerror=alert(1)>" in text  # shown as text, not run


# --- all formats -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_no_format_crashes_on_hostile_feedback(fmt: str) -> None:
    hostile = NASTY + "\x00\x1b[31m\r\n\t`" + "|" * 50 + "\n" * 5 + "]]>"
    res = sample(feedback=hostile, event=hostile)
    res.questions[2].title = hostile
    out = render(res, fmt, color=False)
    assert isinstance(out, str) and out.endswith("\n")
    if fmt in ("json", "gradescope"):
        doc = json.loads(out)
        tanh = doc["questions"][1]["feedback"] if fmt == "json" else doc["tests"][1]["output"]
        # JSON data keeps the feedback exactly; Gradescope shows it to the student, without escape codes
        assert tanh == (hostile if fmt == "json" else terminal(hostile))


@pytest.mark.parametrize("fmt, shows", [
    ("text", "Total: 0/0"), ("markdown", "# A: 0 / 0"), ("html", "A: 0 / 0"),
    ("json", '"max_score": 0'), ("gradescope", '"tests": []'), ("junit", 'tests="0"'),
])
def test_a_result_without_questions_renders_a_zero_total(fmt: str, shows: str) -> None:
    """E.g. a notebook graded against an assignment whose questions were all filtered out."""
    out = render(GradeResult("a", "A", "n.ipynb", []), fmt)
    assert shows in out
