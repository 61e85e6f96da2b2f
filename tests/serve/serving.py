"""A real `grade serve` on a free loopback port, over a gradebook the test fills: results recorded the way
`grade batch` records them (no kernel needed for what the pages and refusals are about), or graded by the
server's own workers in the tests marked `notebook`."""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import httpx
import pytest
from conftest import ROOT

from grader import results as R
from grader.report import render
from grader.report.registry import report_name
from grader.results import CheckResult, GradeResult, QuestionResult
from grader.workflows.batch.gradebook import Gradebook

STAFF_TOKEN = "staff-token-for-tests-0123456789"
ASSIGNMENT = "derivatives-activations"
UNPARSED_ANSWER = r"\sigma'(x) = \sigma(x) \Game \sigma(x)"


def question(qid: str, score: int, points: int, status: str = R.PASSED, feedback: str = "", **kw) -> QuestionResult:
    return QuestionResult(id=qid, kind=kw.pop("kind", "function"), title=qid, score=Fraction(score),
                          max_score=Fraction(points), status=status, feedback=feedback, **kw)


def synthetic(student: str, *, unparsed: bool) -> GradeResult:
    """A derivatives-activations result: full marks except, when `unparsed`, a written answer the checker
    could not read (flagged for review, the way the symbolic kind reports it)."""
    qs = [question("f_prime_symbolic", 1, 1, kind="symbolic", details={"read": "f'(x)=9x^2-4x+5"}),
          question("f", 1, 1), question("f_prime", 1, 1)]
    if unparsed:
        qs.append(question("sigmoid_derivative_symbolic", 0, 2, R.UNPARSED, kind="symbolic", needs_review=True,
                           feedback=f"Could not read the math `{UNPARSED_ANSWER}`: unexpected '\\Game'.",
                           details={"read": UNPARSED_ANSWER, "steps": []},
                           checks=[CheckResult("answer", False, Fraction(0), Fraction(2), status=R.UNPARSED)]))
    else:
        qs.append(question("sigmoid_derivative_symbolic", 2, 2, kind="symbolic",
                           details={"read": r"\sigma'(x) = \sigma(x)(1-\sigma(x))"}))
    qs.append(question("sigmoid", 1, 2, R.PARTIAL, "is wrong on extreme inputs: x=-100 → expected 0, got nan",
                       checks=[CheckResult("random", True, Fraction(1), Fraction(1)),
                               CheckResult("hidden-extremes", False, Fraction(0), Fraction(1), R.FAILED,
                                           "secret probe details", hidden=True)]))
    return GradeResult(assignment=ASSIGNMENT, assignment_title="Derivatives and Activation Functions",
                       notebook=f"{student}.ipynb", questions=qs, grader_version="test")


def fill_gradebook(out: Path, students: dict[str, bool]) -> None:
    """Record `students` ({name: unparsed?}) as `grade batch` would."""
    book = Gradebook(out / "gradebook.sqlite")
    try:
        for student, unparsed in students.items():
            book.record(student, str(out / f"{student}.ipynb"), f"hash-{student}", "spec", synthetic(student, unparsed=unparsed), 1.0)
    finally:
        book.close()


@dataclass
class Server:
    url: str
    outdir: Path
    proc: subprocess.Popen
    log: Path

    @property
    def staff(self) -> str:
        return STAFF_TOKEN

    def token(self, student: str) -> str:
        with open(self.outdir / "tokens.csv", newline="") as fh:
            return next(r["token"] for r in csv.DictReader(fh) if r["student"] == student)

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, follow_redirects=False)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def start_server(out: Path, *extra: str, roster: Path | None = None) -> Server:
    """`grade serve OUTDIR --port 0` as a user runs it; returns once it says where it listens."""
    log = out.parent / f"serve-{time.monotonic_ns()}.log"
    args = [sys.executable, "-m", "grader", "serve", str(out), "-a", ASSIGNMENT, "--port", "0", *extra]
    if roster is not None:
        args += ["--roster", str(roster)]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT,
                                env={**os.environ, "GRADER_STAFF_TOKEN": STAFF_TOKEN})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        m = re.search(r"listening on (http://\S+?)/? ", log.read_text())
        if m:
            return Server(m.group(1), out, proc, log)
        if proc.poll() is not None:
            raise AssertionError(f"grade serve exited {proc.returncode}: {log.read_text()}")
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"grade serve did not start: {log.read_text()}")


def _serving(out: Path, tmp_path: Path, roster: list[str]) -> Iterator[Server]:
    """A server over `out` with `roster` as its roster file, stopped after the test."""
    path = tmp_path / "roster.csv"
    path.write_text("student\n" + "".join(f"{s}\n" for s in roster))
    server = start_server(out, roster=path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(name="served")
def served_fixture(tmp_path: Path) -> Iterator[Server]:
    """A server over a gradebook with alice (an unparsed answer, needs review) and bob (no review)."""
    out = tmp_path / "graded"
    out.mkdir()
    fill_gradebook(out, {"alice": True, "bob": False})
    yield from _serving(out, tmp_path, ["alice", "bob", "carol"])


LATE = "LATE-DETAIL x=-100 → expected 0, got nan"


def later(student: str) -> GradeResult:
    """The synthetic result, with a check of sigmoid shown once grades are published."""
    result = synthetic(student, unparsed=False)
    sigmoid = result.questions[4]
    sigmoid.checks.append(CheckResult("late", False, Fraction(0), Fraction(0), R.FAILED, f"On late: {LATE}",
                                      visibility=R.AFTER_PUBLISHED))
    sigmoid.feedback += "\n1 check shown once grades are published did not pass."
    return result


@pytest.fixture(name="served_later")
def served_later_fixture(tmp_path: Path) -> Iterator[Server]:
    """bob graded by `grade batch -f gradescope -f json` (results/ written) with a check of sigmoid shown
    once grades are published; carol on the roster only."""
    out = tmp_path / "graded"
    out.mkdir()
    book = Gradebook(out / "gradebook.sqlite")
    result = later("bob")
    book.record("bob", str(out / "bob.ipynb"), "hash-bob", "spec", result, 1.0)
    book.close()
    for fmt in ("gradescope", "json"):
        path = out / "results" / report_name("bob", fmt)
        path.parent.mkdir(exist_ok=True)
        path.write_text(render(result, fmt))
    yield from _serving(out, tmp_path, ["bob", "carol"])


def wait_for(predicate, timeout: float = 240.0, every: float = 0.3):
    """Poll `predicate` until it returns something truthy (returned) or `timeout` passes (AssertionError)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out waiting")
