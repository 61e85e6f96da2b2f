"""Every refusal of `grade serve`, over real HTTP against a running server: who may call what (401 with no
or an unknown token, 403 for a student on a staff endpoint, 404 for another student's submission), what an
upload must be (400/413, one line, nothing queued), what an override may be (400/404), CSRF on forms, and
cookies that scripts and other sites cannot use."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import stat
from pathlib import Path

import httpx
import pytest
from conftest import SEED
from serving import Server, served_fixture, wait_for  # noqa: F401 - the fixture `served`

from grader.serve.auth import load_tokens
from grader.serve.queue import Full, Queue
from grader.workflows.batch.gradebook import Gradebook

STAFF_API = [("GET", "/api/gradebook"),
             ("PUT", "/api/submissions/{alice}/questions/sigmoid/override"),
             ("DELETE", "/api/submissions/{alice}/questions/sigmoid/override")]
STAFF_PAGES = [("GET", "/"), ("GET", "/review"), ("GET", "/grades.csv"), ("POST", "/publish"),
               ("POST", "/submissions/{alice}/questions/sigmoid/override")]


def ids(server: Server) -> dict[str, str]:
    with server.client(server.staff) as c:
        rows = c.get("/api/gradebook").json()["students"]
    return {r["student"]: r["submission"] for r in rows}


def call(client: httpx.Client, method: str, path: str, **kw) -> httpx.Response:
    if method == "PUT":
        kw.setdefault("json", {"score": 1, "comment": "x"})
    if method == "POST":
        kw.setdefault("data", {"score": "1", "comment": "x", "action": "publish"})
    return client.request(method, path, **kw)


def one_line_error(r: httpx.Response, status: int, needle: str) -> str:
    assert r.status_code == status, (r.status_code, r.text)
    error = r.json()["error"]
    assert "\n" not in error and needle in error, error
    return error


def test_every_staff_endpoint_refuses_no_token_an_unknown_token_and_a_student_token(served: Server) -> None:
    sub = ids(served)
    before = served.client(served.staff).get("/api/gradebook").json()
    for method, path in STAFF_API + STAFF_PAGES:
        path = path.format(**sub)
        with served.client() as anonymous, served.client("not-a-token-at-all-0000") as stranger, \
                served.client(served.token("alice")) as student:
            assert call(anonymous, method, path).status_code == 401, (method, path)
            assert call(stranger, method, path).status_code == 401, (method, path)
            assert call(student, method, path).status_code == 403, (method, path)
    # nothing any of them asked for happened: no override, nothing published
    assert served.client(served.staff).get("/api/gradebook").json() == before
    with served.client(served.staff) as staff:
        page = staff.get("/").text
    assert "not published" in page


def test_a_student_sees_only_their_own_submissions(served: Server) -> None:
    sub = ids(served)
    with served.client(served.token("bob")) as bob:
        own = bob.get(f"/api/submissions/{sub['bob']}")
        assert own.status_code == 200 and own.json()["student"] == "bob"
        theirs, missing = bob.get(f"/api/submissions/{sub['alice']}"), bob.get("/api/submissions/no-such-id")
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json() == missing.json()  # another student's id tells nothing more than a made-up one
        assert bob.get(f"/submissions/{sub['alice']}").status_code == 404
        assert "alice" not in bob.get(f"/submissions/{sub['alice']}").text
        assert bob.get("/me").status_code == 200 and "alice" not in bob.get("/me").text


def test_a_student_result_leaves_out_hidden_checks_that_staff_see(served: Server) -> None:
    sub = ids(served)
    with served.client(served.token("bob")) as bob, served.client(served.staff) as staff:
        mine = bob.get(f"/api/submissions/{sub['bob']}").json()["result"]
        full = staff.get(f"/api/submissions/{sub['bob']}").json()["result"]
    checks = {q["id"]: [c["name"] for c in q["checks"]] for q in mine["questions"]}
    assert checks["sigmoid"] == ["random"]
    assert "secret probe details" not in json.dumps(mine)
    assert "secret probe details" in json.dumps(full)


@pytest.mark.parametrize("files, data, status, needle", [
    ({"notebook": ("notes.txt", b"hello", "text/plain")}, {}, 400, "submit a .ipynb notebook or a .py script"),
    ({"notebook": ("hw.ipynb", b"{not json", "application/json")}, {}, 400, "hw.ipynb: not a valid notebook"),
    ({"notebook": ("hw.ipynb", b"", "application/json")}, {}, 400, "hw.ipynb: the file is empty"),
    ({"other": ("hw.ipynb", b"{}", "application/json")}, {}, 400, "multipart field `notebook`"),
    (None, {"notebook": "not a file"}, 400, "multipart field `notebook`"),
])
def test_a_bad_upload_is_refused_in_one_line_and_nothing_is_queued(served: Server, files, data, status, needle) -> None:
    with served.client(served.token("carol")) as carol:
        if files is None:
            r = carol.post("/api/submissions", files={"x": ("a", b"b")}, data=data)
        else:
            r = carol.post("/api/submissions", files=files, data=data)
        one_line_error(r, status, needle)
    assert {r["student"]: r["status"] for r in served.client(served.staff).get("/api/gradebook").json()["students"]
            }["carol"] == "missing"
    assert not (served.outdir / "uploads").exists()


def test_uploads_over_the_size_limit_are_refused_before_being_read(served: Server) -> None:
    with served.client(served.token("carol")) as carol:
        big = b"{" + b" " * (21 * 2 ** 20) + b"}"
        one_line_error(carol.post("/api/submissions", files={"notebook": ("big.ipynb", big)}), 413, "MiB limit")
    # a client that declares a huge body is refused from the header alone, before it sends the body
    host, port = served.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(f"POST /api/submissions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {served.token('carol')}\r\n"
                     "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 1000000000\r\n\r\n".encode())
        head = sock.recv(4096).decode()
    assert head.startswith("HTTP/1.1 413"), head
    assert not (served.outdir / "uploads").exists()


def test_submitting_for_someone_else_is_refused(served: Server) -> None:
    nb = {"notebook": ("hw.ipynb", SEED.read_bytes())}
    with served.client(served.token("carol")) as carol, served.client(served.staff) as staff:
        one_line_error(carol.post("/api/submissions", files=nb, data={"student": "alice"}), 403, "only for themselves")
        one_line_error(staff.post("/api/submissions", files=nb), 400, "give the form field `student`")
        one_line_error(staff.post("/api/submissions", files=nb, data={"student": "mallory"}), 400, "no student 'mallory'")
        one_line_error(carol.post("/api/submissions", content=b"{}", headers={"Content-Type": "application/json"}),
                       400, "multipart/form-data")
    assert not (served.outdir / "uploads").exists()


def _final(server: Server, student: str) -> dict:
    with server.client(server.staff) as staff:
        return {r["student"]: r for r in staff.get("/api/gradebook").json()["students"]}[student]


@pytest.mark.parametrize("body, status, needle", [
    ({"score": 3}, 400, "out of range"),
    ({"score": -0.5}, 400, "out of range"),
    ({"score": "2"}, 400, "finite number"),
    ({"score": True}, 400, "finite number"),
    ({"comment": "no score"}, 400, "send JSON"),
    ({"score": 1, "comment": 7}, 400, "comment must be text"),
])
def test_an_override_out_of_range_or_malformed_is_refused_and_changes_nothing(served: Server, body, status, needle) -> None:
    sub = ids(served)
    before = _final(served, "alice")
    with served.client(served.staff) as staff:
        one_line_error(staff.put(f"/api/submissions/{sub['alice']}/questions/sigmoid_derivative_symbolic/override",
                                 json=body), status, needle)
        one_line_error(staff.put(f"/api/submissions/{sub['alice']}/questions/nope/override", json={"score": 1}),
                       404, "no question 'nope'")
        r = staff.put(f"/api/submissions/{sub['alice']}/questions/f/override", content=b"{bad json")
        one_line_error(r, 400, "send JSON")
        one_line_error(staff.delete(f"/api/submissions/{sub['alice']}/questions/f/override"), 404, "no override")
    assert _final(served, "alice") == before


def test_an_override_is_the_final_score_everywhere_and_is_audited(served: Server) -> None:
    sub = ids(served)
    assert _final(served, "alice")["score"] == 4  # 1 + 1 + 1 + 0 + 1 of 7 (0 of 2 for the unparsed answer)
    with served.client(served.staff) as staff:
        r = staff.put(f"/api/submissions/{sub['alice']}/questions/sigmoid_derivative_symbolic/override",
                      json={"score": 1.5, "comment": "Right idea; $\\sigma(x)(1-\\sigma(x))$ was meant"})
        assert r.status_code == 200 and r.json()["final_score"] == 5.5
    row = _final(served, "alice")
    assert row["score"] == 5.5 and row["auto_score"] == 4 and row["needs_review"] is False
    with served.client(served.token("alice")) as alice:
        mine = alice.get(f"/api/submissions/{sub['alice']}").json()["result"]
    q = {q["id"]: q for q in mine["questions"]}["sigmoid_derivative_symbolic"]
    assert mine["score"] == 5.5 and q["score"] == 1.5 and q["auto_score"] == 0
    assert q["override"]["comment"].startswith("Right idea")

    def exported():
        if not (served.outdir / "grades.csv").exists():  # the first export may still be under way
            return None
        with open(served.outdir / "grades.csv", newline="") as fh:
            rows = {r["student"]: r for r in csv.DictReader(fh)}
        return rows if rows.get("alice", {}).get("score") == "5.5" else None
    rows = wait_for(exported, timeout=30)
    assert rows["alice"]["sigmoid_derivative_symbolic"] == "1.5"
    assert wait_for(lambda: "Reviewed by course staff: 1.5 / 2" in (served.outdir / "feedback" / "alice.md").read_text(),
                    timeout=30)
    page = served.client(served.staff).get(f"/submissions/{sub['alice']}").text
    assert re.search(r"set: 0(\.0)? → 1\.5", page)  # the audit row: old and new

    with served.client(served.staff) as staff:
        assert staff.delete(f"/api/submissions/{sub['alice']}/questions/sigmoid_derivative_symbolic/override"
                            ).status_code == 200
    assert _final(served, "alice")["score"] == 4
    page = served.client(served.staff).get(f"/submissions/{sub['alice']}").text
    assert re.search(r"delete: 1\.5 → 0", page)


def _login(server: Server, token: str) -> httpx.Client:
    c = httpx.Client(base_url=server.url, timeout=30)
    form = c.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    r = c.post("/login", data={"token": token, "csrf": csrf})
    assert r.status_code == 303, r.text
    return c


def test_login_sets_a_strict_httponly_session_and_forms_need_its_csrf_token(served: Server) -> None:
    sub = ids(served)
    c = httpx.Client(base_url=served.url, timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    assert c.post("/login", data={"token": "wrong-token-0000000000", "csrf": csrf}).status_code == 401
    fresh = httpx.Client(base_url=served.url, timeout=30)  # no login-form cookie: a forged cross-site login
    assert fresh.post("/login", data={"token": served.staff, "csrf": csrf}).status_code == 403
    r = c.post("/login", data={"token": served.staff, "csrf": csrf})
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    page = c.get("/")
    assert page.status_code == 200 and "Roster" in page.text
    assert "script" not in page.headers["content-security-policy"].replace("script-src", "")  # no script allowed
    path = f"/submissions/{sub['alice']}/questions/sigmoid_derivative_symbolic/override"
    assert c.post(path, data={"score": "2", "comment": "forged"}).status_code == 403
    assert c.post(path, data={"score": "2", "comment": "forged", "csrf": "guess"}).status_code == 403
    assert c.post("/publish", data={"action": "publish"}).status_code == 403
    assert _final(served, "alice")["score"] == 4 and "not published" in c.get("/").text
    session_csrf = re.search(r'name="csrf" value="([^"]+)"', c.get(f"/submissions/{sub['alice']}").text).group(1)
    r = c.post(path, data={"score": "2", "comment": "ok", "csrf": session_csrf, "action": "set"})
    assert r.status_code == 303 and _final(served, "alice")["score"] == 6
    # the API takes bearer tokens only: the session cookie is no credential there
    assert c.get("/api/gradebook").status_code == 401


def test_a_student_session_cannot_reach_staff_pages(served: Server) -> None:
    c = _login(served, served.token("bob"))
    assert c.get("/me").status_code == 200
    for path in ("/", "/review", "/grades.csv"):
        assert c.get(path).status_code == 403
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/me").text).group(1)
    assert c.post("/publish", data={"action": "publish", "csrf": csrf}).status_code == 403


def test_secrets_are_private_and_the_server_listens_on_loopback(served: Server) -> None:
    assert served.url.startswith("http://127.0.0.1:")
    for name in ("tokens.csv", "session.key"):
        assert stat.S_IMODE((served.outdir / name).stat().st_mode) == 0o600, name
    with open(served.outdir / "tokens.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["student"] for r in rows] == ["alice", "bob", "carol"] and all(len(r["token"]) >= 16 for r in rows)
    assert not (served.outdir / "staff.token").exists()  # GRADER_STAFF_TOKEN was given


def test_student_text_on_pages_is_escaped_and_math_is_mathml(served: Server) -> None:
    sub = ids(served)
    page = served.client(served.staff).get(f"/submissions/{sub['alice']}").text
    assert "<math" in page and "<mi>σ</mi>" in page  # the student's LaTeX, rendered
    assert "<script" not in page
    buf = io.StringIO(served.client(served.staff).get("/grades.csv").text)
    assert [r["student"] for r in csv.DictReader(buf)] == ["alice", "bob", "carol"]  # carol: on the roster, missing


def test_a_generated_staff_token_is_private_and_kept_across_restarts(tmp_path: Path) -> None:
    tokens, notes = load_tokens(tmp_path, None, ["alice"], env={})
    assert stat.S_IMODE((tmp_path / "staff.token").stat().st_mode) == 0o600 and len(tokens.staff) >= 16
    assert any("staff token generated" in n for n in notes)
    again, notes = load_tokens(tmp_path, None, ["alice"], env={})
    assert (again.staff, again.students) == (tokens.staff, tokens.students) and notes == []
    assert again.identify(tokens.staff).is_staff and again.identify(tokens.students["alice"]).student == "alice"
    assert again.identify(tokens.staff[:-1]) is None and again.identify("") is None


def test_a_full_queue_refuses_at_once_with_503_and_stores_nothing(tmp_path: Path) -> None:
    book = Gradebook(tmp_path / "gradebook.sqlite")
    try:
        queue = Queue(book, tmp_path / "uploads", max_queued=2, per_student=3)
        for student in ("a", "b"):
            queue.submit(student, "hw.ipynb", SEED.read_bytes())
        with pytest.raises(Full) as refused:
            queue.submit("c", "hw.ipynb", SEED.read_bytes())
        assert refused.value.status == 503 and "queue is full" in refused.value.reason
        assert [j.student for j in queue.jobs()] in (["a", "b"], ["b", "a"])
        assert len(list((tmp_path / "uploads").rglob("*.ipynb"))) == 2
    finally:
        book.close()
