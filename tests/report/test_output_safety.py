"""Nothing a student wrote is trusted in outputs: each attack seen in practice, reproduced and shown
inert (CSV formulas, terminal escape sequences, XML-breaking control characters, Markdown/HTML in
feedback, forged workflow commands), and hidden checks that stay hidden from students. Fast: no kernels."""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from fractions import Fraction as F
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from grader.grading.score import score_question
from grader.kinds import load_assignment
from grader.kinds.base import CheckOutcome, QuestionOutcome
from grader.report import render
from grader.report.safe import (
    annotation,
    csv_cell,
    markdown_code,
    markdown_text,
    terminal,
    xml_text,
)
from grader.results import (
    FAILED,
    PARTIAL,
    PASSED,
    CellEvent,
    CheckResult,
    GradeResult,
    QuestionResult,
)
from grader.spec import Rubric
from grader.workflows.batch.export import write_csv, write_failure_feedback
from grader.workflows.batch.gradebook import Gradebook
from grader.workflows.ci import Target, annotations, step_summary

FAKE_TOTAL = "Total: 20/20"
ESCAPES = ("\x1b[2J\x1b[H\x1b[31m"            # clear screen, home, red
           "\x1b]0;owned\x07"                 # OSC: window title
           "\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\"  # OSC 8 hyperlink
           "\x9b2J\x9d0;t\x9c"                # 8-bit CSI and OSC
           "\x1bc\x1b(0\x1b[?1049h"           # reset, charset, alternate screen
           "\x1b]unterminated")
HOSTILE = (f"raised ValueError: {ESCAPES}\r{FAKE_TOTAL}\n{FAKE_TOTAL}\n" + "x " * 60 + FAKE_TOTAL
           + "\n[bold]not markup[/bold] \u202eevil\u202c")
MD_ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "![x](http://evil/t.png)",
    "![x][ref]\n\n[ref]: http://evil/t.png",
    "[click](javascript:alert(1))",
    "<http://evil/auto>",
    "see http://evil/bare and www.evil.com",
    f"fine\n# {FAKE_TOTAL}",
    f"fine\r# {FAKE_TOTAL}",
    f"   ## {FAKE_TOTAL}",
    f"{FAKE_TOTAL}\n===",
    f"{FAKE_TOTAL}\n---",
    "> quoted\n> [!NOTE]\n> alert",
    "- item\n+ item\n* item\n1. item\n2) item",
    "| a | b |\n| --- | --- |\n| c | d |",
    "```\ncode\n```\n~~~\ncode\n~~~",
    "    indented code",
    "**bold** __bold__ ~~gone~~ `code` $x^2$ $$\\Huge{BIG}$$",
    "&lt;script&gt; &#60;img&#62; \\<script>",
    "<!-- comment --> <details open>x</details>",
]


def _q(qid: str, feedback: str, *, status: str = PARTIAL, title: str | None = None, checks=()) -> QuestionResult:
    score = F(2) if status == PASSED else F(1)
    return QuestionResult(qid, "function", title or qid.capitalize(), score, F(2), status, feedback, list(checks))


def _result(feedback: str = HOSTILE, *, event: str = HOSTILE, notebook: str = "alice.ipynb") -> GradeResult:
    return GradeResult("acts", "Activations", notebook,
                       [_q("relu", feedback), _q("sigmoid", feedback, status=PASSED)],  # a passed note too
                       events=[CellEvent(2, "error", event)])


# --- CSV ---------------------------------------------------------------------------------------------

FORMULAS = ["=1+2+cmd|'x'!A0", "+1+1", "-2+3", "-", "@SUM(A1)", "\t=1", "\r=1", "=HYPERLINK(\"http://evil\",\"x\")"]


@pytest.mark.parametrize("value", FORMULAS)
def test_csv_cell_neutralises_formulas(value: str) -> None:
    assert csv_cell(value) == "'" + value


def test_csv_cell_leaves_numbers_and_plain_text_alone() -> None:
    assert csv_cell(-1.5) == -1.5 and csv_cell(-2) == -2 and csv_cell(F(-1, 2)) == F(-1, 2)
    assert csv_cell("alice") == "alice" and csv_cell("o'brien=") == "o'brien=" and csv_cell("") == ""


def test_grades_csv_has_no_formula_in_any_cell(tmp_path: Path) -> None:
    spec = tmp_path / "acts.yaml"
    spec.write_text("id: acts\ntitle: Acts\nquestions:\n  - {id: relu, kind: function, function: relu, args: [x], "
                    "reference: x, probes: [{name: a, inputs: {x: [1.0]}}]}\n")
    assignment = load_assignment(spec)
    book = Gradebook(tmp_path / "gradebook.sqlite")
    for student in FORMULAS:
        res = GradeResult("acts", "Acts", f"{student}.ipynb", [_q("relu", "=1+1")])
        book.record(student, f"{student}.ipynb", "c", "s", res, 0.1)
    book.record_failure("=evil()", "x.ipynb", "c", "s", "acts", "0", "@problem", 0.1)
    path = write_csv(book, assignment, tmp_path)
    book.close()
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["student", "score", "max_score", "outcome", "needs_review", "relu", "reason"]
    students = {r[0] for r in rows[1:]}
    assert students == {"'" + s for s in [*FORMULAS, "=evil()"]}  # every one neutralised, none lost
    for row in rows[1:]:
        for cell in row:
            assert not cell or cell[0] not in "=+-@\t\r", row
    graded = next(r for r in rows if r[0] == "'+1+1")
    assert graded[1:] == ["1", "2", "graded", "0", "1", ""]  # the grader's numbers stay numbers
    failed = next(r for r in rows if r[0] == "'=evil()")
    assert failed[1] == "" and failed[-1] == "'@problem"  # no score, and the reason, neutralised


# --- terminal ----------------------------------------------------------------------------------------------

def test_terminal_strips_escape_sequences_and_controls_but_keeps_layout() -> None:
    out = terminal(f"a{ESCAPES}b\r\nc\td\x00\x07\x08\x7f\x85\x9fe\rf\ud800")
    assert out == "a" + "linkunterminated" + "b\nc\tdef\ufffd"
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out)
    assert terminal("x\ny", one_line=True) == "x y"
    assert terminal("plain → text [b]x[/b]") == "plain → text [b]x[/b]"


def _lines(text: str) -> list[str]:
    return re.sub(r"\x1b\[[0-9;]*m", "", text).split("\n")  # without the report's own colours


@pytest.mark.parametrize("color", [False, True])
def test_text_report_shows_no_student_escape_sequence_and_no_fake_total(color: bool) -> None:
    res = _result(notebook=f"nb{ESCAPES}\n{FAKE_TOTAL}.ipynb")
    res.assignment_source = f"by metadata\n{FAKE_TOTAL}"
    out = render(res, "text", color=color)
    if not color:
        assert "\x1b" not in out
    else:
        assert "\x1b[" in out  # the report's own colours
        assert "\x1b" not in re.sub(r"\x1b\[[0-9;]*m", "", out)  # and nothing else: no CSI, no OSC
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", out.replace("\x1b", ""))
    assert "owned" not in out and "http://evil/" not in out  # OSC payloads went with their sequences
    starts = [line for line in _lines(out) if line.startswith("Total:")]
    assert starts == ["Total: 3/4"]  # only the real total begins a line
    assert "[bold]not markup[/bold]" in out  # rich markup in student text is printed, not applied
    assert out.count(FAKE_TOTAL) >= 3  # the student's text is still shown, indented


def test_text_report_keeps_every_student_line_indented_even_when_wrapped() -> None:
    res = _result(feedback="y" * 250 + "\n" + " " * 97 + FAKE_TOTAL, event="z" * 300 + FAKE_TOTAL)
    res.questions[1].feedback = "note " + "w" * 200 + FAKE_TOTAL
    for line in _lines(render(res, "text", width=100)):  # wrapped as on a 100-column terminal
        assert not line.startswith(("y", "z", "w", FAKE_TOTAL)), line
        assert len(line) <= 100


# --- JUnit -------------------------------------------------------------------------------------------------

CONTROLS = [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]] + ["\ud800", "\udfff", "\ufffe", "\uffff"]


@pytest.mark.parametrize("char", CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_junit_parses_with_any_control_character_anywhere(char: str) -> None:
    text = f"error {char}here \x1b[31m{char}"
    res = GradeResult("acts", f"A{char}", f"nb{char}.ipynb", [_q(f"q{char}", text, title=text)],
                      events=[CellEvent(0, "error", text)])
    xml = render(res, "junit")
    root = ET.fromstring(xml.encode("utf-8"))  # well-formed, whatever the character
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name").startswith("acts: nb") and suite.get("name").endswith("pynb")
    failure = suite.find("testcase/failure")
    assert failure is not None and failure.text.startswith("error ") and "[31m" not in failure.text
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]", xml)


def test_xml_text_keeps_what_xml_allows() -> None:
    ok = "tab\tnl\ncr\r ascii é → 😀 \ue000"
    assert xml_text(ok) == ok
    assert xml_text("a\x00b\x1bc\ud800d\ufffee") == "abcde"


# --- Markdown ----------------------------------------------------------------------------------------------

class _Html(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.headings: list[str] = []
        self.text: list[str] = []
        self._in: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)
        if re.fullmatch(r"h[1-6]", tag):
            self._in, self.headings = tag, [*self.headings, ""]

    def handle_endtag(self, tag) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data) -> None:
        self.text.append(data)
        if self._in:
            self.headings[-1] += data


def _commonmark(md: str) -> _Html:
    """The Markdown as a CommonMark + GFM tables/strikethrough renderer shows it (raw HTML allowed);
    markdown-it-py is a dependency of rich, so it is always there."""
    return _Html(MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md))


def _assert_inert(md: str, expected_headings: list[str], tables: int = 1, items: int | None = None) -> _Html:
    assert "<script" not in md.lower() and "<img" not in md.lower() and "<details" not in md.lower()
    assert "![" not in md
    page = _commonmark(md)
    assert not {"script", "img", "a", "blockquote", "pre", "code", "hr", "em", "strong", "s", "details"} & set(page.tags), page.tags
    assert page.headings == expected_headings
    assert page.tags.count("table") == tables
    if items is not None:
        assert page.tags.count("li") == items
    return page


@pytest.mark.parametrize("attack", MD_ATTACKS)
def test_markdown_text_renders_exactly_the_characters(attack: str) -> None:
    escaped = markdown_text(attack)
    page = _assert_inert(escaped, [], tables=0, items=0)
    shown = "".join(page.text)
    assert [line.strip() for line in shown.split("\n") if line.strip()] == \
        [line.strip() for line in terminal(attack).split("\n") if line.strip()]
    assert "".join(_commonmark(markdown_text(attack, one_line=True)).text).strip() == terminal(attack, one_line=True).strip()


def test_markdown_text_keeps_ordinary_feedback_readable() -> None:
    plain = "is wrong on 1 of 3 values; x=2 → expected 3, got -4. y_pred has shape (2, 3): see cell 4."
    assert markdown_text(plain) == plain


@pytest.mark.parametrize("fmt", ["markdown", "html", "text"])
@pytest.mark.parametrize("attack", MD_ATTACKS)
def test_markdown_report_feedback_events_and_titles_are_inert(attack: str, fmt: str) -> None:
    res = _result(feedback=attack, event=attack, notebook=attack)
    res.questions[0].title = attack
    out = render(res, fmt)
    if fmt == "markdown":
        title = terminal(attack, one_line=True).strip()
        _assert_inert(out, ["Activations: 3 / 4", "While running your notebook", "Notes", "What to fix",
                            f"{title} (1 / 2, partial)"], items=2)  # the passed question's note is an item of Notes
        assert not re.search(r"^\s{0,3}#", out.split("## What to fix")[1].split("\n", 3)[3], re.MULTILINE)
    elif fmt == "html":
        page = _Html(out)
        assert "script" not in page.tags and "img" not in page.tags


# --- grade ci: step summary and annotations -----------------------------------------------------------------

def test_step_summary_is_inert_and_keeps_its_table() -> None:
    for attack in MD_ATTACKS:
        res = _result(feedback=f"{attack}\nsecond line")
        res.assignment = attack.replace("\n", " ")
        md = step_summary([(Target(Path("ex/a`b|c<script>.ipynb"), "acts", 1.0), res)])
        page = _commonmark(md)
        assert not {"script", "img", "a", "blockquote", "pre", "hr", "em", "details"} & set(page.tags), (attack, page.tags)
        assert page.tags.count("strong") == 1  # the grader's own **relu**
        assert "<img" not in md and "![" not in md and "<script>alert" not in md
        assert page.headings == ["Autograder", "ex/a`b|c<script>.ipynb"]
        assert page.tags.count("table") == 1 and page.tags.count("td") == 5 and page.tags.count("li") == 1
        assert page.tags.count("code") == 2  # the path, shown as code, whole


def test_annotations_are_one_command_each_with_the_text_escaped() -> None:
    feedback = f"line one\n::warning::forged\r\n%0A::error::also forged{ESCAPES} a[::2], b,c"
    res = _result(feedback=feedback)
    res.assignment = "acts,x::y"
    [line] = annotations(res, Target(Path("ex/we,ird:name.ipynb"), "acts", 1.0))
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert line.startswith("::error file=ex/we%2Cird%3Aname.ipynb,title=acts%2Cx%3A%3Ay relu::")
    _command, sep, message = line[2:].partition("::")
    assert sep and "::" not in message
    unescaped = message.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
    assert unescaped == terminal(f"relu: 1/2 (partial). {feedback}").replace("::", ":%3A")


def test_annotation_escapes_as_the_runner_unescapes() -> None:
    assert annotation("50% done\nnext\r") == "50%25 done%0Anext"
    assert annotation("a:b,c", prop=True) == "a%3Ab%2Cc"
    assert annotation("x::y") == "x:%3Ay"


def test_markdown_code_is_one_span_that_cannot_be_closed_early() -> None:
    for text in ["plain", "a`b", "``x``", "` lead", "trail `", " both ", "a|b", "<script>"]:
        page = _commonmark(markdown_code(text))
        assert page.tags == ["p", "code"] and "".join(page.text).strip("\n") == text
    assert markdown_code("a|b", table=True) == "`a\\|b`"
    assert markdown_code("") == ""


# --- hidden checks -------------------------------------------------------------------------------------------

SECRET = "SECRET-LABEL"
SECRET_VALUES = "x=tensor([-7.25, 1234.5]) → expected tensor([0., 1234.5]), got tensor([7.25, 1234.5])"
HIDDEN_FEEDBACK = f"On {SECRET}: `relu(x)` {SECRET_VALUES}"


@pytest.fixture
def relu(tmp_path: Path):
    spec = tmp_path / "acts.yaml"
    spec.write_text(
        "id: acts\ntitle: Acts\nquestions:\n"
        "  - id: relu\n    kind: function\n    function: relu\n    args: [x]\n    reference: x\n    points: 2\n"
        "    probes:\n"
        "      - {name: shown, inputs: {x: [1.0]}}\n"
        f"      - {{name: held_out, label: {SECRET}, hidden: true, inputs: {{x: [-7.25, 1234.5]}}}}\n"
        "      - {name: noted, hidden: true, inputs: {x: [3.0]}}\n"
        "  - id: secret_q\n    kind: function\n    function: f\n    args: [x]\n    reference: x\n    hidden: true\n"
        "    probes: [{name: only, label: SECRET-Q-LABEL, inputs: {x: [2.0]}}]\n")
    return load_assignment(spec)


def _graded(assignment, rubric: Rubric | None = None) -> GradeResult:
    rubric = rubric or Rubric(assignment="acts")
    relu_q, secret_q = assignment.questions
    relu = score_question(relu_q, QuestionOutcome([
        CheckOutcome("shown", True),
        CheckOutcome("held_out", False, feedback=HIDDEN_FEEDBACK, hidden=True),
        CheckOutcome("noted", True, feedback=f"On {SECRET}-2: accepted a float64 result", hidden=True),
    ]), rubric)
    secret = score_question(secret_q, QuestionOutcome([
        CheckOutcome("only", False, feedback="On SECRET-Q-LABEL: `f(x)` x=2.0 → expected 2.0, got 3.0")]), rubric)
    return GradeResult("acts", "Acts", "alice.ipynb", [relu, secret])


def test_score_keeps_hidden_feedback_on_the_check_and_out_of_the_question(relu) -> None:
    res = _graded(relu)
    relu_r, secret_r = res.questions
    assert relu_r.status == PARTIAL and relu_r.score == F(4, 3)
    assert relu_r.feedback == "1 hidden check did not pass."
    assert [c.hidden for c in relu_r.checks] == [False, True, True]
    assert relu_r.checks[1].feedback == HIDDEN_FEEDBACK  # kept for staff
    assert secret_r.status == FAILED and secret_r.feedback == "1 hidden check did not pass."
    assert secret_r.checks[0].hidden  # a hidden question's checks are hidden checks


def test_rubric_advice_for_a_hidden_check_still_reaches_the_student(relu) -> None:
    rubric = Rubric.model_validate({"assignment": "acts", "questions": {"relu": {
        "checks": {"held_out": {"feedback": "Think about negative inputs."}}}}})
    relu_r = _graded(relu, rubric).questions[0]
    assert relu_r.feedback == "1 hidden check did not pass.\nThink about negative inputs."
    assert SECRET in relu_r.checks[1].feedback and "negative inputs" in relu_r.checks[1].feedback


def test_visible_checks_feedback_is_still_shown(relu) -> None:
    relu_q = relu.questions[0]
    r = score_question(relu_q, QuestionOutcome([
        CheckOutcome("shown", False, feedback="On shown: `relu(x)` x=1.0 → expected 1.0, got 0.0"),
        CheckOutcome("held_out", False, feedback=HIDDEN_FEEDBACK, hidden=True),
        CheckOutcome("noted", False, feedback="On noted: wrong", hidden=True),
    ]), Rubric(assignment="acts"))
    assert r.feedback == "On shown: `relu(x)` x=1.0 → expected 1.0, got 0.0\n2 hidden checks did not pass."


def _secretless(text: str) -> None:
    assert SECRET not in text and "1234.5" not in text and "7.25" not in text and "SECRET-Q" not in text, text


@pytest.mark.parametrize("fmt", ["markdown", "html", "text"])
def test_hidden_check_details_are_not_in_what_students_read(relu, fmt: str) -> None:
    out = render(_graded(relu), fmt)
    _secretless(out)
    assert "1 hidden check did not pass." in out


def test_gradescope_shows_no_hidden_details_and_holds_back_hidden_questions(relu) -> None:
    doc = json.loads(render(_graded(relu), "gradescope"))
    relu_t, secret_t = doc["tests"]
    # a question with `hidden: true` is `visibility: hidden` (issue 17): Gradescope never shows it to the student
    assert relu_t["visibility"] == "visible" and secret_t["visibility"] == "hidden"
    for t in doc["tests"]:
        _secretless(json.dumps(t, ensure_ascii=False))
    _secretless(doc["output"])
    assert relu_t["output"] == "1 hidden check did not pass." and relu_t["score"] == 1.3333


def test_json_report_keeps_hidden_details_for_staff(relu) -> None:
    doc = json.loads(render(_graded(relu), "json"))
    relu_j, secret_j = doc["questions"]
    _secretless(relu_j["feedback"])
    assert relu_j["checks"][1] == {"name": "held_out", "passed": False, "status": FAILED, "score": 0,
                                   "max_score": 0.6667, "feedback": HIDDEN_FEEDBACK, "hidden": True,
                                   "visibility": "hidden"}
    assert "SECRET-Q-LABEL" in secret_j["checks"][0]["feedback"]


def test_step_summary_and_annotations_show_no_hidden_details(relu) -> None:
    res = _graded(relu)
    target = Target(Path("alice.ipynb"), "acts", 1.0)
    _secretless(step_summary([(target, res)]))
    for line in annotations(res, target):
        _secretless(line)


# --- JSON stays valid -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "gradescope"])
def test_json_formats_stay_valid_utf8_with_lone_surrogates(fmt: str) -> None:
    res = _result(feedback="bad \ud800 surrogate", event="\udfff")
    out = render(res, fmt)
    out.encode("utf-8")  # writable as a file
    doc = json.loads(out)
    if fmt == "json":
        assert doc["questions"][0]["feedback"] == "bad \ud800 surrogate"  # data kept exactly
        assert "→" in render(_result(feedback="→"), "json")  # readable non-ASCII otherwise
    else:
        assert doc["tests"][0]["output"] == "bad \ufffd surrogate"


def test_gradescope_output_is_plain_text() -> None:
    doc = json.loads(render(_result(), "gradescope"))
    for text in [doc["output"], *(t["output"] for t in doc["tests"]), *(t["name"] for t in doc["tests"])]:
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", text)
    assert doc["tests"][0]["output"] == terminal(HOSTILE)
    assert all(t["output_format"] == "text" for t in doc["tests"]) and doc["output_format"] == "text"


def test_check_result_hidden_flag_is_what_gradescope_reads() -> None:
    res = GradeResult("a", "A", "n.ipynb", [QuestionResult("m", "function", "M", F(1), F(2), PARTIAL, "half", [
        CheckResult("shown", True, F(1), F(1)), CheckResult("held", False, F(0), F(1), hidden=True)])])
    assert json.loads(render(res, "gradescope"))["tests"][0]["visibility"] == "visible"


def test_a_not_graded_students_markdown_feedback_is_inert(tmp_path: Path) -> None:
    """The reason a submission was not graded can quote the student's own text (a file name, a cell's
    error): in the Markdown feedback it is shown, never rendered as HTML, an image or a heading."""
    book = Gradebook(tmp_path / "gradebook.sqlite")
    problem = "# Score: 20/20\n<img src=x onerror=alert(1)> ![t](https://evil.example/t.png) <script>x</script>"
    book.record_failure("mallory", "m.ipynb", "c", "s", "losses", "1", problem, seconds=0.1)
    write_failure_feedback(book, tmp_path / "out")
    book.close()
    md = (tmp_path / "out" / "feedback" / "mallory.md").read_text(encoding="utf-8")
    assert "<img" not in md and "<script" not in md and "![" not in md
    assert not [line for line in md.splitlines()[1:] if line.startswith("#")]  # only our own heading
    assert "Score: 20/20" in md and "onerror=alert(1)" in md  # the text itself is still there to read
