"""The service in a real browser (Debian's chromium driven by Playwright) against a real `grade serve`:
staff log in, review an answer the checker could not read, override it with a comment and see the roster
change; a student logs in, submits a notebook through the page, reads the result with the math rendered,
and cannot open another student's page. Screenshots go to $GRADER_SCREENSHOTS when it is set (the README's
docs/screenshots are made this way)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, SEED
from serving import (  # noqa: F401 - the fixtures `served`, `served_later`
    LATE,
    Server,
    served_fixture,
    served_later_fixture,
)

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", *(["--no-sandbox"] if os.geteuid() == 0 else [])]
pytestmark = [pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed (make setup installs it)"),
              pytest.mark.xdist_group("serve")]


@pytest.fixture
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def shot(page, name: str) -> None:
    folder = os.environ.get("GRADER_SCREENSHOTS")
    if folder:
        target = Path(folder) if Path(folder).is_absolute() else ROOT / folder
        target.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target / f"{name}.png"), full_page=True)


def login(browser, server: Server, token: str):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(server.url + "/login")
    page.fill("#token", token)
    page.click("button[type=submit]")
    return page


def test_staff_review_an_unreadable_answer_override_it_and_the_roster_shows_it(browser, served: Server) -> None:
    page = login(browser, served, served.staff)
    assert page.url.endswith("/")
    roster = page.locator("#roster")
    assert re.search(r"alice\s+4 / 7\s+graded\s+needs review", roster.inner_text())
    assert re.search(r"carol\s+—\s+missing", roster.inner_text())  # on the roster, nothing handed in
    shot(page, "dashboard")
    page.click("text=Review queue")
    item = page.locator("section.review-item[data-student=alice]")
    assert item.count() == 1
    text = item.inner_text()
    assert "unparsed" in text and "expected" in text.lower()
    assert item.locator(".answer math").count() == 1  # the student's LaTeX, as MathML next to the expected one
    shot(page, "review")
    item.locator("input[name=score]").fill("2")
    item.locator("textarea[name=comment]").fill("\\Game was a typo for a product; accepted.")
    item.locator("button[value=set]").click()
    assert page.url.endswith("/review")
    assert "Nothing to review." in page.inner_text("main")
    page.click("text=Dashboard")
    assert re.search(r"alice\s+6 / 7\s+graded\s+1 override", page.locator("#roster").inner_text())
    page.goto(served.url + "/review?all=1")
    reuse = page.locator("section.review-item[data-student=alice] form.reuse button")
    assert reuse.count() == 1 and "typo" in reuse.inner_text()  # one click reuses it
    page.locator("section.review-item[data-student=alice] a").first.click()
    assert "auto 0" in page.inner_text("main") and "accepted." in page.inner_text("#audit")
    shot(page, "submission")


@pytest.mark.notebook
def test_a_student_submits_reads_rendered_math_and_cannot_open_another_students_page(browser, served: Server) -> None:
    with served.client(served.staff) as staff:
        alice = {r["student"]: r["submission"] for r in staff.get("/api/gradebook").json()["students"]}["alice"]
    page = login(browser, served, served.token("carol"))
    assert page.url.endswith("/me") and "No submissions yet." in page.inner_text("main")
    page.set_input_files("input[name=notebook]", str(SEED))
    page.click("text=Submit for grading")
    assert re.search(r"/submissions/[\w-]+$", page.url)
    page.wait_for_selector("#total", timeout=300_000)  # the page refreshes itself until the result is there
    assert page.inner_text("#total").strip() == "20 / 20"
    page.goto(served.url + "/me")
    assert page.locator(".answer math").count() >= 4  # each written answer, rendered as MathML
    assert "σ" in page.locator(".answer math").nth(1).text_content()
    shot(page, "student")
    response = page.goto(f"{served.url}/submissions/{alice}")
    assert response.status == 404 and "no such submission" in page.inner_text("main")
    assert "alice" not in page.content()


def test_staff_publish_and_the_student_page_shows_the_check_held_back_until_then(browser, served_later: Server) -> None:
    student = login(browser, served_later, served_later.token("bob"))
    assert student.url.endswith("/me") and "6 / 7" in student.inner_text("#total")
    assert LATE not in student.content()
    assert "hidden-extremes" not in student.content() and "secret probe details" not in student.content()
    staff = login(browser, served_later, served_later.staff)
    assert "not published" in staff.inner_text("main")
    staff.click("text=Publish grades")
    assert "Grades are published" in staff.inner_text("main")
    student.reload()
    assert LATE in student.locator("#q-sigmoid .feedback").inner_text()
    assert "secret probe details" not in student.content()  # a hidden check: never
