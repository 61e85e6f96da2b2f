"""Ctrl-C and SIGTERM: grading stops at once with exit 130 / 143, kernels are shut down, nothing in
flight is recorded, and the next run grades what was left to exactly the scores of a run that
was never interrupted."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, SEED, run_cli

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("batch")]


def _slow_copy(folder: Path, name: str, seconds: float) -> Path:
    """The seed solution with a cell that waits `seconds` at the end (in flight when we interrupt)."""
    nb = nbformat.read(SEED, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(f"import time\ntime.sleep({seconds})"))
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def _kernels_of(pid: int) -> list[int]:
    """Live descendants of `pid` running ipykernel."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    out = []
    for child in parents:
        p, seen = child, 0
        while p in parents and p != pid and seen < 50:
            p, seen = parents[p], seen + 1
        if p == pid:
            try:
                if b"ipykernel" in open(f"/proc/{child}/cmdline", "rb").read():
                    out.append(child)
            except OSError:
                pass
    return out


def _wait_for(what, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if what():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_grade_interrupted_prints_no_report_and_exits_128_plus_the_signal(tmp_path: Path, sig, status) -> None:
    nb = _slow_copy(tmp_path, "slow", 60)
    proc = subprocess.Popen([sys.executable, "-m", "grader", str(nb), "-a", "derivatives-activations"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: _kernels_of(proc.pid))
    time.sleep(3)  # well into the notebook
    t0 = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == status, (out, err)
    assert time.monotonic() - t0 < 20  # at once, not after the 60 s cell
    assert "Total:" not in out and out.strip() == ""
    assert "interrupted" in err and "Traceback" not in err


def _scores(out: Path) -> dict[str, str]:
    with open(out / "grades.csv", newline="") as fh:
        return {row["student"]: row["score"] for row in csv.DictReader(fh)}


def test_batch_interrupted_records_nothing_in_flight_and_resumes_to_the_same_scores(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.ipynb").write_bytes(SEED.read_bytes())
    _slow_copy(subs, "bob", 12)
    (subs / "carol.ipynb").write_bytes(SEED.read_bytes())
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "grader", "batch", str(subs), "-a", "derivatives-activations", "-o", str(out), "-j", "1"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    db_path = out / "gradebook.sqlite"

    def bob_in_flight() -> bool:
        try:
            with sqlite3.connect(db_path) as db:
                done = {s for (s,) in db.execute("SELECT student FROM submissions")}
        except sqlite3.OperationalError:
            return False
        return done == {"alice"} and bool(_kernels_of(proc.pid))

    _wait_for(bob_in_flight)
    time.sleep(2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    with sqlite3.connect(db_path) as db:
        rows = dict(db.execute("SELECT student, outcome FROM submissions").fetchall())
    assert rows == {"alice": "graded"}  # bob was in flight: not recorded as anything
    _wait_for(lambda: not _kernels_of(proc.pid), timeout=10)

    resumed = run_cli("batch", str(subs), "-a", "derivatives-activations", "-o", str(out), "-j", "1")
    assert resumed.returncode == 0, resumed.stderr
    fresh = tmp_path / "fresh"
    whole = run_cli("batch", str(subs), "-a", "derivatives-activations", "-o", str(fresh), "-j", "2")
    assert whole.returncode == 0, whole.stderr
    assert _scores(out) == _scores(fresh) == {"alice": "20", "bob": "20", "carol": "20"}
