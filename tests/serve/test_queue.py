"""Nothing accepted is lost: a submission accepted with 202 ends with exactly one recorded result even when
`grade serve` is killed with SIGKILL while it is queued or being graded, and a student over their share of
the queue is refused at once with 429 and a reason, never silently dropped."""

from __future__ import annotations

import json
import signal
import sqlite3
from pathlib import Path

import pytest
from conftest import SEED
from serving import start_server, wait_for

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("serve")]
WARM = "forked from this worker's warm pool"


def _jobs(out: Path) -> list[tuple]:
    db = sqlite3.connect(out / "gradebook.sqlite")
    try:
        return db.execute("SELECT id, status, result_json IS NOT NULL, attempts FROM jobs ORDER BY seq").fetchall()
    finally:
        db.close()


def test_kill_9_while_grading_loses_nothing_and_records_each_result_once(tmp_path: Path) -> None:
    out = tmp_path / "graded"
    out.mkdir()
    roster = tmp_path / "roster.csv"
    roster.write_text("student\ncarol\n")
    server = start_server(out, roster=roster)
    nb = SEED.read_bytes()
    try:
        with server.client(server.token("carol")) as carol:
            accepted = [carol.post("/api/submissions", files={"notebook": (f"try{i}.ipynb", nb)}) for i in range(3)]
            assert [r.status_code for r in accepted] == [202, 202, 202]
            refused = carol.post("/api/submissions", files={"notebook": ("try3.ipynb", nb)})
            assert refused.status_code == 429 and "waiting to be graded" in refused.json()["error"]
            assert refused.headers["retry-after"]
            ids = [r.json()["id"] for r in accepted]
            wait_for(lambda: carol.get(f"/api/submissions/{ids[0]}").json()["status"] == "running", timeout=60,
                     every=0.05)
    finally:
        server.stop(signal.SIGKILL)
    before = _jobs(out)
    assert [j[1] for j in before] == ["running", "queued", "queued"] and len(before) == 3  # the refused one is not stored

    server = start_server(out, roster=roster)
    try:
        assert "queued again" in server.log.read_text()
        with server.client(server.token("carol")) as carol:
            done = wait_for(lambda: all(carol.get(f"/api/submissions/{i}").json()["status"] == "graded" for i in ids),
                            timeout=400, every=1)
            assert done
            docs = [carol.get(f"/api/submissions/{i}").json() for i in ids]
        assert all(d["result"]["score"] == 20 for d in docs)
        # the service's workers fork their kernels from its warm pool, sandboxed as a cold kernel is
        assert all(WARM in d["result"]["isolation"] for d in docs), [d["result"]["isolation"] for d in docs]
        assert [d["current"] for d in docs] == [False, False, True]  # the gradebook holds the newest
    finally:
        server.stop()
    after = _jobs(out)
    assert [(j[0], j[1], j[2]) for j in after] == [(i, "graded", 1) for i in ids]
    assert after[0][3] == 2  # graded again after the crash
    db = sqlite3.connect(out / "gradebook.sqlite")
    rows = db.execute("SELECT student, path, result_json FROM submissions").fetchall()
    db.close()
    assert len(rows) == 1 and rows[0][0] == "carol" and json.loads(rows[0][2])["score"] == 20


def test_serve_no_warm_starts_each_kernel_cold_with_the_same_score(tmp_path: Path) -> None:
    out = tmp_path / "graded"
    out.mkdir()
    roster = tmp_path / "roster.csv"
    roster.write_text("student\ncarol\n")
    server = start_server(out, "--no-warm", roster=roster)
    try:
        with server.client(server.token("carol")) as carol:
            sid = carol.post("/api/submissions", files={"notebook": ("mine.ipynb", SEED.read_bytes())}).json()["id"]
            doc = wait_for(lambda: (d := carol.get(f"/api/submissions/{sid}").json())["status"] == "graded" and d,
                           timeout=300, every=0.5)
    finally:
        server.stop()
    assert doc["result"]["score"] == 20
    assert "bubblewrap" in doc["result"]["isolation"] and WARM not in doc["result"]["isolation"]
