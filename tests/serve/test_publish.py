"""Against a real `grade serve`: a check shown once grades are published stays out of what a student reads
until staff publish, then appears (API, pages, feedback files); the results/<student>.<ext> files that
`grade batch -f` wrote are rewritten with final scores after an override and a publish; failed logins are
limited per client address and per token prefix (429 with Retry-After); the roster's students with no
submission are listed as missing in grades.csv, report.html and the dashboard."""

from __future__ import annotations

import csv
import io
import json
import re

import httpx
import pytest
from serving import LATE, Server, served_later_fixture, wait_for  # noqa: F401 - the fixture `served_later`

from grader.report.registry import report_name

pytestmark = pytest.mark.xdist_group("serve")


def _text(doc) -> str:
    return json.dumps(doc, ensure_ascii=False)


def _staff_session(server: Server) -> tuple[httpx.Client, str]:
    c = httpx.Client(base_url=server.url, timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    assert c.post("/login", data={"token": server.staff, "csrf": csrf}).status_code == 303
    return c, re.search(r'name="csrf" value="([^"]+)"', c.get("/").text).group(1)


def _results(server: Server, fmt: str) -> dict:
    return json.loads((server.outdir / "results" / report_name("bob", fmt)).read_text())


def test_a_check_shown_once_published_is_released_by_publishing_and_results_files_follow(served_later: Server) -> None:
    with served_later.client(served_later.staff) as staff:
        sub = {r["student"]: r["submission"] for r in staff.get("/api/gradebook").json()["students"]}["bob"]
    bob = served_later.client(served_later.token("bob"))

    def sigmoid() -> dict:
        return {q["id"]: q for q in bob.get(f"/api/submissions/{sub}").json()["result"]["questions"]}["sigmoid"]

    assert [c["name"] for c in sigmoid()["checks"]] == ["random"]  # neither the hidden nor the later check
    assert LATE not in bob.get(f"/api/submissions/{sub}").text and LATE not in bob.get("/me").text
    staff_view = served_later.client(served_later.staff).get(f"/api/submissions/{sub}").json()["result"]
    assert LATE in _text(staff_view)  # staff see everything, always

    # an override reaches the results/ files `grade batch -f` wrote
    with served_later.client(served_later.staff) as staff:
        assert staff.put(f"/api/submissions/{sub}/questions/f/override",
                         json={"score": 0.5, "comment": "half"}).status_code == 200
    assert wait_for(lambda: _results(served_later, "gradescope")["score"] == 5.5, timeout=30)
    assert wait_for(lambda: _results(served_later, "json")["score"] == 5.5, timeout=30)
    tests = {t["name"]: t for t in _results(served_later, "gradescope")["tests"]}
    assert tests["f"]["score"] == 0.5 and "Reviewed by course staff: 0.5 / 1. half" in tests["f"]["output"]
    assert tests["sigmoid: late"]["visibility"] == "after_published"  # Gradescope holds it back itself

    staff, csrf = _staff_session(served_later)
    assert staff.post("/publish", data={"action": "publish", "csrf": csrf}).status_code == 303
    q = sigmoid()
    assert [c["name"] for c in q["checks"]] == ["random", "late"] and LATE in q["feedback"]
    assert "hidden-extremes" not in _text(q) and "secret probe details" not in _text(q)  # hidden: never
    assert LATE in bob.get("/me").text
    assert wait_for(lambda: LATE in (served_later.outdir / "feedback" / "bob.md").read_text(), timeout=30)
    assert wait_for(lambda: "sigmoid: late" not in _text(_results(served_later, "gradescope")), timeout=30)
    released = {t["name"]: t for t in _results(served_later, "gradescope")["tests"]}
    assert LATE in released["sigmoid"]["output"] and released["f"]["score"] == 0.5
    checks = {q["id"]: q for q in _results(served_later, "json")["questions"]}["sigmoid"]["checks"]
    assert [c["visibility"] for c in checks] == ["visible", "hidden", "visible"]


def _from(address: str, server: Server, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30,
                        transport=httpx.HTTPTransport(local_address=address))


def _retry_after(r: httpx.Response) -> int:
    assert r.status_code == 429, (r.status_code, r.text)
    wait = int(r.headers["retry-after"])
    assert 1 <= wait <= 60
    return wait


def test_failed_logins_are_limited_per_client_address(served_later: Server) -> None:
    for n in range(10):
        with _from("127.0.0.2", served_later, f"wrong{n:02d}-token-000000000") as c:
            assert c.get("/api/gradebook").status_code == 401
    with _from("127.0.0.2", served_later, "wrong99-token-000000000") as c:
        r = c.get("/api/gradebook")
        _retry_after(r)
        assert "too many failed logins" in r.json()["error"]
    with _from("127.0.0.2", served_later, served_later.staff) as c:  # the right token too: else 429 vs 200 tells which
        _retry_after(c.get("/api/gradebook"))
    with _from("127.0.0.2", served_later) as c:  # the login form as well
        page = c.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        _retry_after(c.post("/login", data={"token": served_later.staff, "csrf": csrf}))
    with _from("127.0.0.1", served_later, served_later.staff) as c:  # another address is not affected
        assert c.get("/api/gradebook").status_code == 200


def test_failed_logins_are_limited_per_token_prefix_across_addresses(served_later: Server) -> None:
    for n in range(10):  # one guess from each of ten addresses, all with the same prefix
        with _from(f"127.0.0.{3 + n}", served_later, f"guess-{n:02d}-0000000000000") as c:
            assert c.get("/api/gradebook").status_code == 401
    with _from("127.0.0.20", served_later, "guess-99-0000000000000") as c:
        _retry_after(c.get("/api/gradebook"))
    with _from("127.0.0.20", served_later, "other-99-0000000000000") as c:  # that address is still fine
        assert c.get("/api/gradebook").status_code == 401
    with _from("127.0.0.20", served_later, served_later.staff) as c:
        assert c.get("/api/gradebook").status_code == 200


def test_roster_students_with_no_submission_are_listed_as_missing(served_later: Server) -> None:
    with served_later.client(served_later.staff) as staff:
        rows = list(csv.DictReader(io.StringIO(staff.get("/grades.csv").text)))
        dashboard = staff.get("/").text
        api = {r["student"]: r for r in staff.get("/api/gradebook").json()["students"]}
    assert [(r["student"], r["outcome"], r["score"]) for r in rows] == [("bob", "graded", "6"),
                                                                       ("carol", "missing", "")]
    assert rows[1]["reason"] == "no submission"
    assert api["carol"]["status"] == "missing" and api["carol"]["score"] is None
    assert re.search(r"<td>carol</td>\s*<td[^>]*>.*?</td>\s*<td><span class=\"pill missing\">missing", dashboard, re.S)
    report = served_later.outdir / "report.html"
    assert wait_for(lambda: report.exists() and 'id="missing"' in report.read_text(), timeout=60)
    text = report.read_text()
    assert "No submission (1)" in text and "<li>carol</li>" in text and "<li>bob</li>" not in text
    with open(served_later.outdir / "grades.csv", newline="") as fh:  # the file the exporter writes, too
        assert [r["student"] for r in csv.DictReader(fh)] == ["bob", "carol"]
