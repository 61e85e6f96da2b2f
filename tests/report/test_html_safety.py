"""The HTML pages (student feedback, class report, not-graded page) cannot be made to carry markup:
student text is escaped, and a figure reaches an <img> only as base64 of a real PNG. Fast: no kernels."""

from __future__ import annotations

import base64
import struct
import zlib
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest

from grader.kinds import load_assignment
from grader.report import render
from grader.workflows.batch.discover import safe_file_stem
from grader.results import CellEvent, GradeResult, QuestionResult
from grader.spec.find import resolve_assignment
from grader.workflows.batch.class_report import write_report
from grader.workflows.batch.export import write_failure_feedback, write_feedback
from grader.workflows.batch.gradebook import Gradebook

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{ 7*7 }}"]
BAD_FIGURES = {
    "single quote": "x' onerror='alert(1)",
    "double quote": 'x" onerror="alert(1)',
    "script after padding": 'iVBORw0KGgo="><script>alert(1)</script>',
    "base64 of not a png": base64.b64encode(b"GIF89a not a png at all").decode(),
    "png signature, non-canonical base64": "iVBORw0KGgp=",
}
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "table", "tr", "th",
                "td", "ul", "li", "a", "img", "figure", "figcaption", "div", "pre", "em", "code", "strong"}
ALLOWED_ATTRS = {"lang", "charset", "class", "alt", "src", "href"}
DATA_PNG = "data:image/png;base64,"


def _png() -> str:
    """A 1x1 PNG, built by hand so the test needs no matplotlib."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))
    return base64.b64encode(raw).decode()


class _Page(HTMLParser):
    """Every start tag with its attributes, and the text as a browser would show it (entities decoded)."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def attrs(self, tag: str, name: str) -> list[str | None]:
        return [a.get(name) for t, a in self.tags if t == tag]


def assert_only_safe_markup(page: str) -> _Page:
    parsed = _Page(page)
    assert {t for t, _ in parsed.tags} <= ALLOWED_TAGS, {t for t, _ in parsed.tags} - ALLOWED_TAGS
    names = {name for _, a in parsed.tags for name in a}
    assert names <= ALLOWED_ATTRS and not any(n.startswith("on") for n in names), names
    assert all(src and src.startswith(DATA_PNG) for src in parsed.attrs("img", "src"))
    assert all(href and href.startswith("feedback/") for href in parsed.attrs("a", "href"))
    assert "<script" not in page.lower()
    return parsed


def _figure_result(*student: str, reference: str | None = None) -> GradeResult:
    q = QuestionResult("plot", "figure", "Plot it", Fraction(1), Fraction(1), "passed", "",
                       details={"figures": {"cell": 3, "student": list(student), "reference": reference}})
    return GradeResult("toy", "Toy", "mine.ipynb", [q])


@pytest.mark.parametrize("payload", list(BAD_FIGURES.values()), ids=list(BAD_FIGURES))
def test_a_figure_that_is_not_a_png_is_left_out(payload: str) -> None:
    for result in (_figure_result(payload), _figure_result(reference=payload)):
        page = render(result, "html")
        parsed = assert_only_safe_markup(page)
        assert payload not in page and "onerror" not in page and not parsed.attrs("img", "src")
        assert "a figure that is not a valid PNG was left out" in "".join(parsed.text)


def test_a_real_png_is_shown_with_its_exact_data_uri() -> None:
    png = _png()
    page = render(_figure_result(png, BAD_FIGURES["single quote"], reference=png), "html")
    parsed = assert_only_safe_markup(page)
    assert parsed.attrs("img", "src") == [DATA_PNG + png, DATA_PNG + png]  # the bad one between them left out
    assert f'src="{DATA_PNG}{png}"' in page


def test_an_oversized_figure_is_left_out() -> None:
    big = base64.b64encode(base64.b64decode(_png()) + b"\0" * 2_000_000).decode()
    parsed = assert_only_safe_markup(render(_figure_result(big), "html"))
    assert not parsed.attrs("img", "src") and "was left out" in "".join(parsed.text)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_escaped_in_the_feedback_page(text: str) -> None:
    q = QuestionResult("q1", "function", text, Fraction(0), Fraction(2), "failed", f"{text}\nsecond line")
    result = GradeResult("toy", text, "mine.ipynb", [q], events=[CellEvent(4, "error", text)])
    page = render(result, "html")
    shown = "".join(assert_only_safe_markup(page).text)
    assert shown.count(text) == 6  # <title>, <h1>, table row, event, <h3>, feedback
    assert "49" not in shown


def _book(tmp_path: Path):
    assignment = load_assignment(resolve_assignment("derivatives-activations"))
    book = Gradebook(tmp_path / "gradebook.sqlite")
    for i, student in enumerate(HOSTILE):
        questions = [QuestionResult(q.id, "function", q.id, Fraction(1), Fraction(1), "passed", "")
                     for q in assignment.questions]
        questions[0] = QuestionResult(questions[0].id, "symbolic", "", Fraction(0), Fraction(1), "unparsed",
                                      f"{HOSTILE[0]} could not be read\nmore", needs_review=True)
        book.record(student, f"{i}.ipynb", "c", "s", GradeResult("derivatives-activations", "t", "nb", questions),
                    seconds=1.0 + i)
    book.record_failure(HOSTILE[1] + "-failed", "x.ipynb", "c", "s", "derivatives-activations", "0",
                        f"invalid JSON: {HOSTILE[2]} {HOSTILE[1]}", 0.5)
    return book, assignment


def test_hostile_student_ids_and_feedback_are_escaped_in_the_class_report(tmp_path: Path) -> None:
    book, assignment = _book(tmp_path)
    page = write_report(book, assignment, tmp_path).read_text()
    book.close()
    parsed = assert_only_safe_markup(page)
    shown = "".join(parsed.text)
    review = shown.split("Needs manual review")[1].split("Slowest")[0]
    slowest = shown.split("Slowest submissions")[1]
    for student in HOSTILE:
        assert student in review and student in slowest
    assert f"invalid JSON: {HOSTILE[2]} {HOSTILE[1]}" in review
    assert f"{HOSTILE[0]} could not be read (3×)" in shown  # the most common problem: first line only
    assert sorted(parsed.attrs("a", "href")) == sorted(f"feedback/{quote(safe_file_stem(s))}.html"
                                                       for s in [*HOSTILE, HOSTILE[1] + "-failed"])
    assert len(parsed.attrs("img", "src")) == 2  # the grader's own plots


@pytest.mark.parametrize("student", HOSTILE)
def test_hostile_text_is_escaped_in_the_not_graded_page(tmp_path: Path, student: str) -> None:
    book = Gradebook(tmp_path / "gradebook.sqlite")
    book.record_failure(student, "x.ipynb", "c", "s", "derivatives-activations", "0", f"invalid JSON: {student}", 0.5)
    write_failure_feedback(book, tmp_path)
    book.close()
    write_feedback(tmp_path, "plain", f"# Not graded\n\n{student}\n")
    for page in ((tmp_path / "feedback" / f"{safe_file_stem(student)}.html").read_text(),
                 (tmp_path / "feedback" / "plain.html").read_text()):
        shown = "".join(assert_only_safe_markup(page).text)
        assert "not graded" in shown.lower() and student in shown and "49" not in shown
