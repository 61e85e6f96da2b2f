"""The submission queue, kept in the gradebook (table `jobs`), and the workers that grade it.

Nothing accepted is lost: a submission is a row (and its notebook a file) before the 202 goes out;
a worker claims it (`queued` → `running`) and its result lands in the same transaction that marks it
`graded` or `not_graded`, so a job ends with exactly one recorded result. A server killed mid-grading
leaves `running` rows; `recover` at startup puts them back in the queue (grading again is fine), and a
job that was in flight at MAX_ATTEMPTS crashes is recorded as not graded instead of crashing the
server forever. Workers are threads, each with its own event loop and connection, grading with the
same pipeline as `grade batch` (one sandboxed kernel per notebook), so a slow grading never stalls
the web server's loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import GraderInputError, NotGraded
from grader.grading.pipeline import grade_notebook_async
from grader.kernel.limits import Limits
from grader.report.json_report import to_dict
from grader.spec.bundle import AssignmentBundle
from grader.version import __version__
from grader.workflows.batch.discover import safe_file_stem
from grader.workflows.batch.gradebook import Gradebook
from grader.workflows.batch.run import spec_hash

QUEUED, RUNNING, GRADED, NOT_GRADED = "queued", "running", "graded", "not_graded"
MAX_ATTEMPTS = 3
_COLUMNS = ("seq, id, student, filename, path, content_hash, source, status, attempts, problem, submitted_at, "
            "started_at, finished_at, result_json")


@dataclass
class Job:
    seq: int
    id: str
    student: str
    filename: str
    path: str
    content_hash: str
    source: str
    status: str
    attempts: int
    problem: str
    submitted_at: float
    started_at: float | None
    finished_at: float | None
    result: dict[str, Any] | None


def _job(row: tuple) -> Job:
    return Job(*row[:13], json.loads(row[13]) if row[13] else None)


class Full(Exception):
    """The submission was refused at once (`status`: 429 or 503), with a reason a client can show."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Queue:
    """The jobs table over one gradebook connection (the web server's)."""

    def __init__(self, book: Gradebook, uploads: Path, *, max_queued: int = 200, per_student: int = 3) -> None:
        self.book = book
        self.db = book.db
        self.uploads = uploads
        self.max_queued = max_queued
        self.per_student = per_student
        self.wakeup = threading.Event()
        self._lock = threading.Lock()

    def recover(self) -> int:
        """After a crash: `running` jobs are queued again, or recorded as not graded once they were in
        flight at MAX_ATTEMPTS crashes. Returns how many were queued again."""
        with self.db:
            self.db.execute("UPDATE jobs SET status = ?, finished_at = ?, problem = ? WHERE status = ? AND attempts >= ?",
                            (NOT_GRADED, time.time(), f"the server stopped {MAX_ATTEMPTS} times while grading it",
                             RUNNING, MAX_ATTEMPTS))
            n = self.db.execute("UPDATE jobs SET status = ?, started_at = NULL WHERE status = ?",
                                (QUEUED, RUNNING)).rowcount
        return n

    def import_batch(self) -> int:
        """Give every gradebook row that `grade batch` wrote (no job yet) a job, so it has an id to open."""
        rows = self.db.execute("SELECT s.student, s.path, s.content_hash, s.outcome, s.graded_at, s.problem FROM "
                               "submissions s WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.student = s.student "
                               "AND j.path = s.path)").fetchall()
        with self.db:
            for student, path, digest, outcome, at, problem in rows:
                self.db.execute(f"INSERT INTO jobs ({_COLUMNS}) VALUES (NULL,?,?,?,?,?,?,?,1,?,?,?,?,NULL)",
                                (secrets.token_urlsafe(9), student, Path(path).name, path, digest, "batch",
                                 GRADED if outcome == "graded" else NOT_GRADED, problem, at, at, at))
        return len(rows)

    def submit(self, student: str, filename: str, data: bytes) -> Job:
        """Store the notebook and queue it; Full when the queue or the student's share of it is full."""
        with self._lock:
            waiting = self.db.execute("SELECT COUNT(*) FROM jobs WHERE status = ?", (QUEUED,)).fetchone()[0]
            if waiting >= self.max_queued:
                raise Full(503, f"the grading queue is full ({waiting} submissions waiting); try again in a minute")
            mine = self.db.execute("SELECT COUNT(*) FROM jobs WHERE student = ? AND status IN (?, ?)",
                                   (student, QUEUED, RUNNING)).fetchone()[0]
            if mine >= self.per_student:
                raise Full(429, f"you already have {mine} submissions waiting to be graded; "
                                "wait for them to finish before submitting again")
            job_id = secrets.token_urlsafe(9)
            suffix = Path(filename).suffix.lower()
            folder = self.uploads / safe_file_stem(student) / job_id
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{safe_file_stem(Path(filename).stem) or 'submission'}{suffix}"
            path.write_bytes(data)
            now = time.time()
            with self.db:
                self.db.execute(f"INSERT INTO jobs ({_COLUMNS}) VALUES (NULL,?,?,?,?,?,?,?,0,'',?,NULL,NULL,NULL)",
                                (job_id, student, filename, str(path), hashlib.sha256(data).hexdigest(), "upload",
                                 QUEUED, now))
        self.wakeup.set()
        return self.job(job_id)  # type: ignore[return-value]

    def job(self, job_id: str) -> Job | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def jobs(self, student: str | None = None) -> list[Job]:
        where, params = ("WHERE student = ?", (student,)) if student is not None else ("", ())
        return [_job(r) for r in self.db.execute(f"SELECT {_COLUMNS} FROM jobs {where} ORDER BY seq DESC", params)]

    def is_current(self, job: Job) -> bool:
        """Whether `job` is what the gradebook holds for its student (its overrides apply to it)."""
        row = self.db.execute("SELECT path FROM submissions WHERE student = ?", (job.student,)).fetchone()
        return row is not None and row[0] == job.path

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall())


def claim(db: Any) -> Job | None:
    """Take the oldest queued job (`running`, one more attempt); None when there is none. Safe across
    threads and processes: the UPDATE only succeeds for the one that still finds it queued."""
    while True:
        row = db.execute("SELECT seq FROM jobs WHERE status = ? ORDER BY seq LIMIT 1", (QUEUED,)).fetchone()
        if row is None:
            return None
        with db:
            took = db.execute("UPDATE jobs SET status = ?, attempts = attempts + 1, started_at = ? "
                              "WHERE seq = ? AND status = ?", (RUNNING, time.time(), row[0], QUEUED)).rowcount
        if took:
            return _job(db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE seq = ?", (row[0],)).fetchone())


class Workers:
    """N grading threads over the queue; `on_done(student)` is told after each result is recorded."""

    def __init__(self, gradebook: Path, bundle: AssignmentBundle, wakeup: threading.Event, *, workers: int,
                 limits: Limits | None = None, on_done: Callable[[str], None] = lambda s: None) -> None:
        self.gradebook, self.bundle, self.wakeup = gradebook, bundle, wakeup
        self.workers, self.limits, self.on_done = workers, limits, on_done
        self.digest = spec_hash(bundle)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for i in range(self.workers):
            t = threading.Thread(target=self._thread, name=f"grade-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking jobs; a grading in flight stays `running` and is queued again at the next start."""
        self._stop.set()
        self.wakeup.set()
        for t in self._threads:
            t.join(timeout)

    def _thread(self) -> None:
        book = Gradebook(self.gradebook)
        try:
            while not self._stop.is_set():
                job = claim(book.db)
                if job is None:
                    self.wakeup.wait(1.0)
                    self.wakeup.clear()
                    continue
                asyncio.run(self._grade(book, job))
                self.on_done(job.student)
        finally:
            book.close()

    async def _grade(self, book: Gradebook, job: Job) -> None:
        a = self.bundle.assignment
        t0 = time.perf_counter()
        try:
            result = await grade_notebook_async(job.path, a, self.bundle.rubric, self.limits)
        except Exception as e:  # noqa: BLE001 - every accepted job ends with a recorded outcome
            problem = (str(e).replace(job.path, job.filename) if isinstance(e, GraderInputError) else
                       f"the grader failed twice, not a verdict on the notebook: {e.reason}" if isinstance(e, NotGraded)
                       else f"{type(e).__name__}: {e}")
            if self._stop.is_set():
                return  # shutting down: left `running`, queued again at the next start
            update = ("UPDATE jobs SET status = ?, problem = ?, finished_at = ? WHERE seq = ?",
                      (NOT_GRADED, problem, time.time(), job.seq))
            if self._newest(book, job):
                book.record_failure(job.student, job.path, job.content_hash, self.digest, a.id, __version__, problem,
                                    time.perf_counter() - t0, also=update)
            else:
                with book.db:
                    book.db.execute(*update)
            return
        result.notebook = job.filename  # the student's name for it, not the server's path
        doc = json.dumps(to_dict(result), ensure_ascii=False)
        update = ("UPDATE jobs SET status = ?, result_json = ?, finished_at = ? WHERE seq = ?",
                  (GRADED, doc, time.time(), job.seq))
        if self._newest(book, job):
            book.record(job.student, job.path, job.content_hash, self.digest, result, time.perf_counter() - t0,
                        also=update)
        else:  # a later submission of this student is already in the gradebook: history only
            with book.db:
                book.db.execute(*update)

    @staticmethod
    def _newest(book: Gradebook, job: Job) -> bool:
        """Whether `job` may replace the student's gradebook row: nothing submitted later is recorded there."""
        row = book.db.execute("SELECT j.seq FROM submissions s JOIN jobs j ON j.student = s.student AND j.path = s.path "
                              "WHERE s.student = ? ORDER BY j.seq DESC LIMIT 1", (job.student,)).fetchone()
        return row is None or row[0] <= job.seq
