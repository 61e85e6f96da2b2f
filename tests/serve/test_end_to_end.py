"""Issue 17's "done when", with the real commands: a TA runs `grade batch -f gradescope` then `grade serve` on
the same folder, overrides a score, and every export (grades.csv, the feedback file, the batch's results/
file, report.html) has it; a later `grade batch` run keeps it; the roster's student with no submission is
listed as missing."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from conftest import SEED, run_cli
from serving import ASSIGNMENT, start_server, wait_for

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("serve")]


def _grades(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="") as fh:
        return {r["student"]: r for r in csv.DictReader(fh)}


def test_batch_then_serve_then_override_reaches_every_export_and_survives_the_next_batch(tmp_path: Path) -> None:
    subs = tmp_path / "submissions"
    subs.mkdir()
    shutil.copy(SEED, subs / "dana.ipynb")
    out = tmp_path / "graded"
    batch = ("batch", str(subs), "-a", ASSIGNMENT, "-o", str(out), "-f", "gradescope", "--workers", "1")
    proc = run_cli(*batch, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert _grades(out)["dana"]["score"] == "20"
    roster = tmp_path / "roster.csv"
    roster.write_text("student\ndana\nerin\n")

    server = start_server(out, roster=roster)
    try:
        with server.client(server.staff) as staff:
            rows = {r["student"]: r for r in staff.get("/api/gradebook").json()["students"]}
            assert rows["dana"]["score"] == 20 and rows["erin"]["status"] == "missing"
            r = staff.put(f"/api/submissions/{rows['dana']['submission']}/questions/sigmoid/override",
                          json={"score": 1, "comment": "unstable for large |x|"})
            assert r.status_code == 200 and r.json()["final_score"] == 19

        results = out / "results" / "dana.gradescope.json"
        assert wait_for(lambda: json.loads(results.read_text())["score"] == 19, timeout=60)
        assert wait_for(lambda: _grades(out)["dana"]["score"] == "19", timeout=60)
        assert _grades(out)["erin"]["outcome"] == "missing"
        assert "Reviewed by course staff" in (out / "feedback" / "dana.md").read_text()
        assert wait_for(lambda: "Mean 19.00" in (out / "report.html").read_text(), timeout=60)
        assert "<li>erin</li>" in (out / "report.html").read_text()
    finally:
        server.stop()

    proc = run_cli(*batch, timeout=600)  # nothing changed: skipped, and the override still wins everywhere
    assert proc.returncode == 0 and "1 unchanged" in proc.stderr, proc.stderr
    assert _grades(out)["dana"]["score"] == "19"
    tests = {t["name"].split(":")[0]: t for t in json.loads(results.read_text())["tests"]}
    assert tests["sigmoid"]["score"] == 1 and "unstable for large |x|" in tests["sigmoid"]["output"]
