"""The `grade serve` web app (Starlette): the JSON API, staff pages and the student's page.

API (JSON, `Authorization: Bearer TOKEN`; cookies are not accepted there, so no API call can be forged
from another site):
    POST   /api/submissions                                   multipart `notebook` (+ `student` for staff) → 202
    GET    /api/submissions/{id}                              status and the JSON report with final scores
    GET    /api/gradebook                                     staff: one row per student
    PUT    /api/submissions/{id}/questions/{qid}/override     staff: {"score", "comment"}
    DELETE /api/submissions/{id}/questions/{qid}/override     staff
Pages (HTML; a session cookie from /login, or the same bearer header): `/` staff dashboard,
`/review` the review queue, `/submissions/{id}`, `/me`. Every form carries the session's CSRF token.
Refusals: no or unknown credentials 401, a student on a staff endpoint 403, another student's
submission 404 (the same as one that does not exist).
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import secrets
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

from grader.errors import GraderInputError
from grader.kernel.limits import Limits
from grader.notebook.read import read_notebook
from grader.report import render
from grader.report.pages import environment as report_environment
from grader.serve import views
from grader.serve.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    Principal,
    Session,
    Sessions,
    csrf_ok,
    load_tokens,
)
from grader.serve.queue import GRADED, NOT_GRADED, Full, Job, Queue, Workers
from grader.serve.ratelimit import LoginLimiter
from grader.serve.release import Release
from grader.spec.bundle import AssignmentBundle
from grader.workflows.batch.class_report import write_report
from grader.workflows.batch.export import (
    final_grade_result,
    write_csv,
    write_failure_feedback,
    write_feedback,
    write_results,
    written_formats,
)
from grader.workflows.batch.gradebook import Gradebook, OverrideRefused

MAX_UPLOAD = 20 * 1024 * 1024  # bytes of one upload (a notebook with a few plots is well under this)
MAX_COMMENT = 4000
UPLOAD_SUFFIXES = (".ipynb", ".py")
SECURITY_HEADERS = {
    # no script at all, styles only inline (the page's own), images only data: URIs (checked PNGs)
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class Refused(Exception):
    """A request refused with `status` and a one-line reason (JSON for the API, a page otherwise)."""

    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.headers = status, reason, headers or {}


@dataclass
class ServeConfig:
    outdir: Path
    bundle: AssignmentBundle
    workers: int = 1
    limits: Limits | None = None
    roster: Path | None = None
    max_upload: int = MAX_UPLOAD
    max_queued: int = 200
    per_student: int = 3
    login_failures: int = 10     # failed logins allowed per client address and per token prefix ...
    login_window: float = 60.0   # ... in this many seconds; then 429 with Retry-After
    env: dict[str, str] | None = None
    notes: list[str] = field(default_factory=list)


class Exporter:
    """Rewrites grades.csv, report.html and the changed students' feedback files (and the results/ files
    `grade batch -f` wrote) from final scores and the release state after each grading, override or
    publish, in its own thread (the class report draws with matplotlib)."""

    def __init__(self, service: "Service") -> None:
        self.service = service
        self._dirty: set[str] = set()
        self._all = True
        self._event = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="grade-serve-exports", daemon=True)

    def touch(self, student: str | None = None) -> None:
        with self._lock:
            if student is not None:
                self._dirty.add(student)
            self._all = True
        self._event.set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._event.set()
        self._thread.join(10)

    def _run(self) -> None:
        while True:
            self._event.wait()
            if self._stop.is_set() and not self._all:
                return
            time.sleep(0.3)  # let a burst of changes arrive: one export for all of them
            with self._lock:
                dirty, self._dirty, doall, self._all = self._dirty, set(), self._all, False
                self._event.clear()
            if doall or dirty:
                self.export(dirty)
            if self._stop.is_set():
                return

    def export(self, students: set[str]) -> None:
        s = self.service
        book = Gradebook(s.gradebook_path)
        try:
            title = s.assignment.title
            roster = sorted(set(s.tokens.students) | {r.student for r in book.rows()})
            fmts = written_formats(s.outdir, roster)  # the results/ files `grade batch -f` wrote: kept current
            for student in students:
                row = book.row(student)
                if row is not None and row.result is not None:
                    result = final_grade_result(s.release.student_view(row.result), title)
                    write_feedback(s.outdir, student, render(result, "markdown"), render(result, "html"))
                    write_results(s.outdir, student, final_grade_result(s.release.release(row.result), title), fmts)
            write_csv(book, s.assignment, s.outdir, roster)
            write_failure_feedback(book, s.outdir, title=title)
            write_report(book, s.assignment, s.outdir, roster)
        except Exception:  # noqa: BLE001 - an export failing (a full disk) never stops the server; retried next change
            with self._lock:
                self._dirty |= students
        finally:
            book.close()


class Service:
    """Everything the app needs, opened before the server starts (so the CLI can say what it generated)."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.outdir = config.outdir
        self.bundle = config.bundle
        self.assignment = config.bundle.assignment
        self.gradebook_path = config.outdir / "gradebook.sqlite"
        self.book = Gradebook(self.gradebook_path)
        self.queue = Queue(self.book, config.outdir / "uploads", max_queued=config.max_queued,
                           per_student=config.per_student)
        self.requeued = self.queue.recover()
        self.queue.import_batch()
        students = [r.student for r in self.book.rows()]
        self.tokens, notes = load_tokens(config.outdir, config.roster, students, config.env)
        self.notes = notes + ([f"{self.requeued} submission(s) in flight when the server stopped were queued again"]
                              if self.requeued else [])
        self.sessions = Sessions(config.outdir / "session.key", self.tokens)
        self.release = Release(self.book, self.assignment)
        self.logins = LoginLimiter(config.login_failures, config.login_window)
        self.exporter = Exporter(self)
        self.workers = Workers(self.gradebook_path, self.bundle, self.queue.wakeup, workers=config.workers,
                               limits=config.limits, on_done=self.exporter.touch)

    def start(self) -> None:
        self.exporter.start()
        self.workers.start()
        self.exporter.touch()

    def stop(self) -> None:
        self.workers.stop()
        self.exporter.stop()

    # ------------------------------------------------------------------------------- submissions

    def current_ids(self) -> dict[str, str]:
        """student → the id of the submission the gradebook holds for them."""
        return dict(self.book.db.execute(
            "SELECT s.student, j.id FROM submissions s JOIN jobs j ON j.student = s.student AND j.path = s.path "
            "ORDER BY j.seq").fetchall())

    def result_of(self, job: Job) -> dict[str, Any] | None:
        """The job's report: final scores (overrides applied) when it is the student's current submission."""
        if job.status not in (GRADED, NOT_GRADED):
            return None
        if self.queue.is_current(job):
            row = self.book.row(job.student)
            if row is not None and row.result is not None:
                return row.result
        return job.result

    def roster(self) -> list[str]:
        return sorted(set(self.tokens.students) | {r.student for r in self.book.rows()})


# ---------------------------------------------------------------------------------------- helpers

@functools.cache
def _templates() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("grader.serve", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(report_environment().filters)
    env.filters["score"] = lambda x: "" if x is None else (
        str(int(x)) if float(x).is_integer() else f"{float(x):.2f}".rstrip("0").rstrip("."))
    env.filters["when"] = lambda t: time.strftime("%Y-%m-%d %H:%M", time.localtime(t)) if t else ""
    return env


def _page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_templates().get_template(name).render(**context), status_code=status,
                        headers=SECURITY_HEADERS)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@dataclass(frozen=True)
class Caller:
    who: Principal
    session: Session | None  # None: a bearer token (no CSRF needed: nothing ambient to forge)
    name: str = ""


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


def identify(service: Service, request: Request, token: str | None) -> Principal | None:
    """Whose `token` this is (a bearer header or the login form): refused with 429 while its address or
    its prefix is over the failed-login limit, and counted there when it is no one's."""
    wait = service.logins.retry_after(_client(request), token)
    if wait is not None:
        raise Refused(429, f"too many failed logins; try again in {wait} s", {"Retry-After": str(wait)})
    who = service.tokens.identify(token)
    if who is None:
        service.logins.failed(_client(request), token)
    return who


def _caller(service: Service, request: Request, *, cookies: bool) -> Caller | None:
    token = _bearer(request)
    if token is not None:
        who = identify(service, request, token)
        return Caller(who, None, who.name) if who else None
    if not cookies:
        return None
    session = service.sessions.read(request.cookies.get(SESSION_COOKIE))
    return Caller(session.principal, session, session.principal.name) if session else None


def _need(caller: Caller | None, *, staff: bool = False) -> Caller:
    if caller is None:
        raise Refused(401, "log in: give a token (Authorization: Bearer TOKEN, or the login form)",
                      {"WWW-Authenticate": "Bearer"})
    if staff and not caller.who.is_staff:
        raise Refused(403, "staff only")
    return caller


def _check_csrf(caller: Caller, form: FormData) -> None:
    if caller.session is not None and not csrf_ok(caller.session.csrf, form.get("csrf")):
        raise Refused(403, "the form is out of date (CSRF check failed); reload the page and try again")


async def _limited_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes `limit` (before reading it all)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise Refused(413, f"the upload is over the {limit // 2**20} MiB limit")
        except ValueError:
            raise Refused(400, "bad Content-Length") from None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(413, f"the upload is over the {limit // 2**20} MiB limit")
        chunks.append(chunk)
    return b"".join(chunks)


async def _form(request: Request, limit: int) -> FormData:
    body = await _limited_body(request, limit)
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        async def stream() -> AsyncIterator[bytes]:
            yield body

        try:
            return await MultiPartParser(request.headers, stream(), max_files=2, max_fields=20,
                                         max_part_size=limit).parse()
        except MultiPartException as e:
            raise Refused(400, f"could not read the form: {e.message}") from None
    if ctype.startswith("application/x-www-form-urlencoded"):
        return FormData(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    raise Refused(400, "send a form (multipart/form-data with the field `notebook`)")


def _validate_upload(item: Any, limit: int) -> tuple[str, bytes]:
    """(file name, bytes) of an uploaded notebook or script that the grader can read; Refused(400) with why."""
    if not isinstance(item, UploadFile):
        raise Refused(400, "no file: send the notebook as the multipart field `notebook`")
    name = Path((item.filename or "").replace("\\", "/")).name
    if not name.lower().endswith(UPLOAD_SUFFIXES):
        raise Refused(400, f"{name or 'the file'}: submit a .ipynb notebook or a .py script")
    data = item.file.read(limit + 1)
    if len(data) > limit:
        raise Refused(413, f"the upload is over the {limit // 2**20} MiB limit")
    with tempfile.TemporaryDirectory(prefix="grade-upload-") as tmp:
        path = Path(tmp) / ("upload" + Path(name).suffix.lower())
        path.write_bytes(data)
        try:
            read_notebook(path)
        except GraderInputError as e:
            raise Refused(400, str(e).replace(str(path), name).splitlines()[0]) from None
    return name, data


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Refused(400, "score must be a finite number")
    return float(value)


# ------------------------------------------------------------------------------------------ app

def create_app(service: Service) -> Starlette:
    config = service.config

    def endpoint(handler: Callable[[Request], Awaitable[Response]], *, api: bool) -> Callable[[Request], Awaitable[Response]]:
        async def wrapped(request: Request) -> Response:
            try:
                return await handler(request)
            except Refused as e:
                if api:
                    return _json({"error": e.reason}, e.status, e.headers)
                if e.status == 401:
                    return _login_page(request, e.reason, 401)
                response = _page("error.html", e.status, title=f"{e.status}", reason=e.reason, caller=None)
                response.headers.update(e.headers)
                return response
        return wrapped

    def _login_page(request: Request, message: str = "", status: int = 200) -> Response:
        csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
        response = _page("login.html", status, title="Log in", message=message, csrf=csrf, caller=None)
        response.set_cookie(LOGIN_CSRF_COOKIE, csrf, httponly=True, samesite="strict", max_age=3600)
        return response

    # ----------------------------------------------------------------------------- API

    async def api_submit(request: Request) -> Response:
        caller = _need(_caller(service, request, cookies=False))
        form = await _form(request, config.max_upload)
        job = _accept(caller, form)
        return _json({"id": job.id, "status": job.status}, 202, {"Location": f"/api/submissions/{job.id}"})

    def _accept(caller: Caller, form: Any) -> Job:
        """An upload (API or page) checked and queued for the student it is for; a full queue refuses."""
        student = _student_for(caller, form.get("student"))
        name, data = _validate_upload(form.get("notebook"), config.max_upload)
        try:
            return service.queue.submit(student, name, data)
        except Full as e:
            raise Refused(e.status, e.reason, {"Retry-After": "30"}) from None

    def _student_for(caller: Caller, given: Any) -> str:
        given = given.strip() if isinstance(given, str) else None
        if caller.who.is_staff:
            if not given:
                raise Refused(400, "staff submit for a student: give the form field `student`")
            if given not in service.roster():
                raise Refused(400, f"no student {given!r} in the roster")
            return given
        if given and given != caller.who.student:
            raise Refused(403, "a student submits only for themselves")
        return str(caller.who.student)

    def _job_for(caller: Caller, job_id: str) -> Job:
        job = service.queue.job(job_id)
        if job is None or (not caller.who.is_staff and job.student != caller.who.student):
            raise Refused(404, "no such submission")  # another student's looks the same as none
        return job

    def _job_doc(caller: Caller, job: Job) -> dict[str, Any]:
        result = service.result_of(job)
        if result is not None and not caller.who.is_staff:
            result = service.release.student_view(result)
        doc: dict[str, Any] = {"id": job.id, "student": job.student, "status": job.status, "result": result,
                               "submitted_at": job.submitted_at, "finished_at": job.finished_at,
                               "current": service.queue.is_current(job)}
        if job.status == NOT_GRADED:
            doc["reason"] = job.problem
        return doc

    async def api_submission(request: Request) -> Response:
        caller = _need(_caller(service, request, cookies=False))
        return _json(_job_doc(caller, _job_for(caller, request.path_params["id"])))

    async def api_gradebook(request: Request) -> Response:
        _need(_caller(service, request, cookies=False), staff=True)
        return _json({"assignment": service.assignment.id, "students": _roster_rows()})

    def _roster_rows() -> list[dict[str, Any]]:
        rows = {r.student: r for r in service.book.rows()}
        current = service.current_ids()
        pending: dict[str, str] = {}
        for j in reversed(service.queue.jobs()):
            if j.status in ("queued", "running"):
                pending.setdefault(j.student, j.status)
        items = views.review_items(service.assignment, list(rows.values()), current)
        open_review = {i.student for i in items if not i.reviewed}
        out = []
        for student in service.roster():
            r = rows.get(student)
            status = pending.get(student) or ("missing" if r is None else GRADED if r.outcome == "graded"
                                              else NOT_GRADED)
            out.append({"student": student, "score": r.score if r else None, "auto_score": r.auto_score if r else None,
                        "max_score": r.max_score if r else None, "status": status,
                        "needs_review": student in open_review, "submission": current.get(student),
                        "overrides": len(r.overrides or {}) if r else 0})
        return out

    def _override_target(caller: Caller, job_id: str, qid: str) -> Job:
        job = _job_for(caller, job_id)
        if not service.queue.is_current(job):
            raise Refused(409, "not the student's current submission: overrides apply to the graded one in the "
                               "gradebook")
        row = service.book.row(job.student)
        if row is None or row.result is None or qid not in {q["id"] for q in row.result["questions"]}:
            raise Refused(404, f"no question {qid!r} in this submission")
        return job

    async def api_override(request: Request) -> Response:
        caller = _need(_caller(service, request, cookies=False), staff=True)
        job = _override_target(caller, request.path_params["id"], request.path_params["qid"])
        qid = request.path_params["qid"]
        if request.method == "DELETE":
            if not service.book.delete_override(job.student, qid, caller.name):
                raise Refused(404, "no override to delete")
            service.exporter.touch(job.student)
            return _json({"id": job.id, "question": qid, "deleted": True})
        try:
            body = json.loads(await _limited_body(request, 64 * 1024))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise Refused(400, 'send JSON: {"score": number, "comment": text}') from None
        if not isinstance(body, dict) or "score" not in body:
            raise Refused(400, 'send JSON: {"score": number, "comment": text}')
        comment = body.get("comment", "")
        if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
            raise Refused(400, f"comment must be text of at most {MAX_COMMENT} characters")
        by = body.get("by") if isinstance(body.get("by"), str) and body.get("by").strip() else caller.name
        try:
            o = service.book.set_override(job.student, qid, _number(body["score"]), comment, by[:100])
        except OverrideRefused as e:
            raise Refused(400, str(e)) from None
        service.exporter.touch(job.student)
        row = service.book.row(job.student)
        return _json({"id": job.id, "question": qid, "score": o.score, "auto_score": o.auto_score,
                      "comment": o.comment, "by": o.by, "final_score": row.score if row else None})

    # ----------------------------------------------------------------------------- pages

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return _login_page(request)
        form = await _form(request, 64 * 1024)
        if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE, ""), form.get("csrf")):
            return _login_page(request, "the login form is out of date; try again", 403)
        token = form.get("token")
        who = identify(service, request, token if isinstance(token, str) else "")
        if who is None:
            return _login_page(request, "unknown token", 401)
        value, _ = service.sessions.issue(who)
        response = RedirectResponse("/" if who.is_staff else "/me", 303, headers=SECURITY_HEADERS)
        response.set_cookie(SESSION_COOKIE, value, httponly=True, samesite="strict", max_age=SESSION_SECONDS)
        response.delete_cookie(LOGIN_CSRF_COOKIE)
        return response

    async def logout(request: Request) -> Response:
        caller = _need(_caller(service, request, cookies=True))
        _check_csrf(caller, await _form(request, 64 * 1024))
        response = RedirectResponse("/login", 303, headers=SECURITY_HEADERS)
        response.delete_cookie(SESSION_COOKIE)
        return response

    def _context(caller: Caller, title: str, **kw: Any) -> dict[str, Any]:
        return {"title": title, "caller": caller, "csrf": caller.session.csrf if caller.session else "",
                "assignment": service.assignment, **kw}

    async def dashboard(request: Request) -> Response:
        caller = _need(_caller(service, request, cookies=True), staff=True)
        service.queue.import_batch()  # a `grade batch` run since startup
        rows = [r for r in service.book.rows()]
        graded = [r for r in rows if r.outcome == "graded" and r.result]
        top = max((r.max_score or 0 for r in graded), default=0.0)
        return _page("dashboard.html", **_context(
            caller, service.assignment.title, roster=_roster_rows(), counts=service.queue.counts(),
            total=views.histogram([float(r.score or 0) for r in graded], top) if graded else None, top=top,
            questions=views.question_stats(service.assignment, graded), release=service.release.state()))

    async def review(request: Request) -> Response:
        caller = _need(_caller(service, request, cookies=True), staff=True)
        rows = {r.student: r for r in service.book.rows()}
        show_all = request.query_params.get("all") == "1"
        items = views.review_items(service.assignment, list(rows.values()), service.current_ids())
        pending = [i for i in items if show_all or not i.reviewed]
        cards = []
        for item in pending:
            r = rows[item.student]
            q = next((views.question_views(service.assignment, {"questions": [x]},
                                           comments={x["id"]: service.book.used_comments(x["id"])})[0]
                      for x in (r.result or {}).get("questions", []) if x["id"] == item.question), None)
            cards.append((item, q))
        return _page("review.html", **_context(caller, "Review queue", cards=cards, reviewed=sum(i.reviewed for i in items),
                                               show_all=show_all))

    async def override_form(request: Request) -> Response:
        caller = _need(_caller(service, request, cookies=True), staff=True)
        form = await _form(request, 64 * 1024)
        _check_csrf(caller, form)
        qid = request.path_params["qid"]
        job = _override_target(caller, request.path_params["id"], qid)
        if form.get("action") == "delete":
            service.book.delete_override(job.student, qid, caller.name)
        else:
            raw, comment = form.get("score"), form.get("comment") or ""
            try:
                score = float(raw) if isinstance(raw, str) else math.nan
            except ValueError:
                score = math.nan
            if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
                raise Refused(400, f"comment must be text of at most {MAX_COMMENT} characters")
            try:
                service.book.set_override(job.student, qid, _number(score), comment.strip(), caller.name)
            except OverrideRefused as e:
                raise Refused(400, str(e)) from None
        service.exporter.touch(job.student)
        back = "/review" if form.get("next") == "review" else f"/submissions/{job.id}"
        return RedirectResponse(back, 303, headers=SECURITY_HEADERS)

    async def submission_page(request: Request) -> Response:
        caller = _need(_caller(service, request, cookies=True))
        job = _job_for(caller, request.path_params["id"])
        doc = _job_doc(caller, job)
        result = doc["result"]
        comments = ({q["id"]: service.book.used_comments(q["id"]) for q in result["questions"]}
                    if caller.who.is_staff and result else {})
        questions = views.question_views(service.assignment, result, comments=comments) if result else []
        return _page("submission.html", **_context(
            caller, f"{job.student}: {service.assignment.title}", job=job, doc=doc, questions=questions,
            audit=service.book.audit(job.student) if caller.who.is_staff else [],
            refresh=job.status in ("queued", "running")))

    async def me(request: Request) -> Response:
        caller = _need(_caller(service, request, cookies=True))
        if caller.who.is_staff:
            raise Refused(403, "this is a student's page; staff use the dashboard")
        jobs = service.queue.jobs(caller.who.student)
        latest = next((j for j in jobs if j.status in (GRADED, NOT_GRADED) and service.queue.is_current(j)), None)
        doc = _job_doc(caller, latest) if latest else None
        questions = views.question_views(service.assignment, doc["result"]) if doc and doc["result"] else []
        return _page("me.html", **_context(caller, service.assignment.title, jobs=jobs, latest=latest, doc=doc,
                                           questions=questions, refresh=any(j.status in ("queued", "running")
                                                                            for j in jobs),
                                           message=request.query_params.get("m", "")))

    async def me_submit(request: Request) -> Response:
        caller = _need(_caller(service, request, cookies=True))
        form = await _form(request, config.max_upload)
        _check_csrf(caller, form)
        job = _accept(caller, form)
        return RedirectResponse(f"/submissions/{job.id}", 303, headers=SECURITY_HEADERS)

    async def publish(request: Request) -> Response:
        caller = _need(_caller(service, request, cookies=True), staff=True)
        form = await _form(request, 64 * 1024)
        _check_csrf(caller, form)
        service.release.publish(form.get("action") != "unpublish", caller.name)
        service.exporter.touch()
        for student in service.roster():
            service.exporter.touch(student)
        return RedirectResponse("/", 303, headers=SECURITY_HEADERS)

    async def grades_csv(request: Request) -> Response:
        _need(_caller(service, request, cookies=True), staff=True)
        write_csv(service.book, service.assignment, service.outdir, service.roster())
        return PlainTextResponse((service.outdir / "grades.csv").read_text(), media_type="text/csv",
                                 headers={**SECURITY_HEADERS, "Content-Disposition": 'attachment; filename="grades.csv"'})

    async def health(request: Request) -> Response:
        return _json({"ok": True, "queue": service.queue.counts()})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        service.start()
        try:
            yield
        finally:
            service.stop()

    def page(path: str, handler: Any, methods: list[str] | None = None) -> Route:
        return Route(path, endpoint(handler, api=False), methods=methods or ["GET"])

    def api(path: str, handler: Any, methods: list[str]) -> Route:
        return Route(path, endpoint(handler, api=True), methods=methods)

    routes = [
        api("/api/submissions", api_submit, ["POST"]),
        api("/api/submissions/{id}", api_submission, ["GET"]),
        api("/api/gradebook", api_gradebook, ["GET"]),
        api("/api/submissions/{id}/questions/{qid}/override", api_override, ["PUT", "DELETE"]),
        api("/api/health", health, ["GET"]),
        page("/login", login, ["GET", "POST"]),
        page("/logout", logout, ["POST"]),
        page("/", dashboard),
        page("/review", review),
        page("/grades.csv", grades_csv),
        page("/publish", publish, ["POST"]),
        page("/submissions/{id}", submission_page),
        page("/submissions/{id}/questions/{qid}/override", override_form, ["POST"]),
        page("/me", me),
        page("/me/submissions", me_submit, ["POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def open_service(config: ServeConfig) -> Service:
    """Open the gradebook, recover the queue and load the tokens (GraderInputError for a bad roster)."""
    return Service(config)
