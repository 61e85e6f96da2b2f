"""`grade batch`: a folder or zip in, a gradebook, grades.csv and feedback out; interrupted runs resume."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, SEED, run_cli
from variants import BUGGY

STARTER = ROOT / "examples" / "derivatives_activations_starter.ipynb"
pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("batch")]


def _class(folder: Path, n_solved: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n_solved):
        (folder / f"solved{i}.ipynb").write_bytes(SEED.read_bytes())
    (folder / "starter.ipynb").write_bytes(STARTER.read_bytes())
    flipped = next(v for v in BUGGY if v.name == "relu_deriv_code_flipped")
    flipped.build(folder).rename(folder / "flipped.ipynb")
    (folder / "broken.ipynb").write_text("{not json")
    return folder


def _grades(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def test_batch_grades_a_class_and_resumes_without_regrading(tmp_path: Path) -> None:
    subs, out = _class(tmp_path / "subs"), tmp_path / "out"
    proc = run_cli("batch", str(subs), "-a", "derivatives-activations", "-o", str(out), "--workers", "2")
    assert proc.returncode == 1, proc.stderr  # one notebook could not be graded
    assert "not graded: broken" in proc.stderr and "invalid JSON" in proc.stderr
    g = _grades(out)
    assert set(g) == {"solved0", "solved1", "starter", "flipped", "broken"}
    assert g["solved0"]["score"] == "20" and g["starter"]["score"] == "0"
    assert g["flipped"]["relu_derivative"] == "0" and g["flipped"]["relu"] == "1" and g["flipped"]["score"] == "18"
    assert g["broken"]["outcome"] == "failed"
    md = (out / "feedback" / "flipped.md").read_text()
    assert "relu_derivative" in md or "relu_derivative(x)" in md
    assert (out / "feedback" / "flipped.html").exists()
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM questions WHERE student = 'solved0'").fetchone()[0] == 12
    report = (out / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 2  # score histogram and per-question means
    assert "<tr><td>relu_derivative</td><td>" in report and "expected 1, got 0" in report  # flipped's problem
    review = report.split("Needs manual review")[1].split("Slowest")[0]
    assert "broken" in review and "invalid JSON" in review

    again = run_cli("batch", str(subs), "-a", "derivatives-activations", "-o", str(out))
    assert "0 graded, 4 unchanged, 1 could not be graded" in again.stderr

    (subs / "solved1.ipynb").write_bytes(STARTER.read_bytes())  # a resubmission is graded again
    third = run_cli("batch", str(subs), "-a", "derivatives-activations", "-o", str(out))
    assert "1 graded, 3 unchanged" in third.stderr
    assert _grades(out)["solved1"]["score"] == "0"


def test_batch_killed_midway_resumes_with_exactly_one_result_each(tmp_path: Path) -> None:
    subs, out = _class(tmp_path / "subs", n_solved=4), tmp_path / "out"
    cmd = [sys.executable, "-m", "grader", "batch", str(subs), "-a", "derivatives-activations", "-o", str(out), "-j", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    db_path = out / "gradebook.sqlite"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if db_path.exists():
            try:
                with sqlite3.connect(db_path) as db:
                    if db.execute("SELECT COUNT(*) FROM submissions WHERE outcome = 'graded'").fetchone()[0] >= 2:
                        break
            except sqlite3.OperationalError:
                pass  # the file exists a moment before its tables do
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the grader and its kernels, mid-batch
    proc.wait()
    with sqlite3.connect(db_path) as db:
        done_before = db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
    assert 2 <= done_before < 8

    resumed = run_cli("batch", str(subs), "-a", "derivatives-activations", "-o", str(out))
    assert f"{done_before} unchanged" in resumed.stderr or "unchanged" in resumed.stderr
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT student, COUNT(*) FROM submissions GROUP BY student").fetchall()
    assert sorted(s for s, _ in rows) == ["broken", "flipped", "solved0", "solved1", "solved2", "solved3", "starter"]
    assert all(n == 1 for _, n in rows)


def test_zip_export_with_per_student_folders(tmp_path: Path) -> None:
    z = tmp_path / "export.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(SEED, "ada_lovelace/submission.ipynb")
        zf.write(STARTER, "alan_turing/ex02.ipynb")
        zf.writestr("__MACOSX/ada_lovelace/._submission.ipynb", "junk")
        zf.writestr("../escape.ipynb", "{}")
    out = tmp_path / "out"
    proc = run_cli("batch", str(z), "-a", "derivatives-activations", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    g = _grades(out)
    assert set(g) == {"ada_lovelace", "alan_turing"}
    assert g["ada_lovelace"]["score"] == "20"
    assert not (tmp_path / "escape.ipynb").exists()


def test_batch_bad_input_is_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for args, needle in [
        ([str(empty)], "no notebooks"),
        ([str(tmp_path / "missing")], "no such file or folder"),
        ([str(empty), "--workers", "0"], "--workers"),
        ([str(empty), "--timeout", "0"], "--timeout must be positive"),
        ([str(empty), "--memory-limit", "0.5"], "--memory-limit must be at least 1 GiB"),
    ]:
        proc = run_cli("batch", *args, "-a", "derivatives-activations", "-o", str(tmp_path / "o"))
        assert proc.returncode == 2 and needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def _dask_cluster(tmp_path: Path, workers: int = 2) -> tuple[str, list[subprocess.Popen]]:
    """A real Dask scheduler and workers, as `dask scheduler` / `dask worker` would run on a cluster."""
    dask = str(Path(sys.executable).parent / "dask")
    sched_file = tmp_path / "scheduler.json"
    log = open(tmp_path / "dask.log", "ab")
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(sched_file)], stdout=log, stderr=log)]
    deadline = time.time() + 60
    while not sched_file.exists() and time.time() < deadline:
        time.sleep(0.2)
    import json

    address = json.loads(sched_file.read_text())["address"]
    for _ in range(workers):
        procs.append(subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-dashboard",
                                       "--local-directory", str(tmp_path / "dask-worker")], stdout=log, stderr=log))
    return address, procs


def test_batch_on_a_dask_cluster_fills_the_one_gradebook_and_resumes(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    address, procs = _dask_cluster(tmp_path)
    try:
        from distributed import Client

        with Client(address, timeout="30s") as c:
            c.wait_for_workers(2, timeout=60)
        subs, out = _class(tmp_path / "subs"), tmp_path / "out"
        proc = run_cli("batch", str(subs), "-a", "derivatives-activations", "-o", str(out), "--scheduler", address)
        assert proc.returncode == 1, proc.stderr  # the broken notebook
        g = _grades(out)
        assert set(g) == {"solved0", "solved1", "starter", "flipped", "broken"}
        assert g["solved0"]["score"] == "20" and g["flipped"]["score"] == "18" and g["starter"]["score"] == "0"
        assert (out / "feedback" / "flipped.md").exists() and (out / "report.html").exists()
        with sqlite3.connect(out / "gradebook.sqlite") as db:
            notebooks = {r[0] for r in db.execute("SELECT path FROM submissions WHERE student = 'flipped'")}
        assert notebooks == {str(subs / "flipped.ipynb")}  # the client's path, not the worker's temp copy
        again = run_cli("batch", str(subs), "-a", "derivatives-activations", "-o", str(out), "--scheduler", address)
        assert "0 graded, 4 unchanged" in again.stderr
    finally:
        for p in procs[::-1]:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_unreachable_scheduler_is_one_line(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    subs = _class(tmp_path / "subs", n_solved=1)
    proc = run_cli("batch", str(subs), "-a", "derivatives-activations", "-o", str(tmp_path / "out"),
                   "--scheduler", "tcp://127.0.0.1:9")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("grade: error: --scheduler tcp://127.0.0.1:9: cannot connect")
