"""The `grade` command as a user meets it: exit codes, formats, -o, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from conftest import SEED, cli_json, run_cli

SEED_QUESTIONS = {
    "f", "f_prime", "sigmoid", "sigmoid_derivative", "relu", "relu_derivative", "binary_cross_entropy",
    "bce_derivative", "f_prime_symbolic", "sigmoid_derivative_symbolic", "relu_derivative_symbolic",
    "bce_derivative_symbolic",
}


@pytest.mark.notebook
def test_seed_gets_full_marks_with_no_flags() -> None:
    proc = run_cli(str(SEED))
    assert proc.returncode == 0, proc.stderr
    assert "Total: 20/20" in proc.stdout
    assert "chosen by matching" in proc.stdout
    assert "Traceback" not in proc.stderr


@pytest.mark.notebook
def test_json_report_follows_the_contract() -> None:
    doc = cli_json(str(SEED))
    assert doc["assignment"] == "derivatives-activations"
    assert doc["score"] == doc["max_score"] == 20
    assert {q["id"] for q in doc["questions"]} == SEED_QUESTIONS
    for q in doc["questions"]:
        assert set(q) >= {"id", "score", "max_score", "status", "feedback"}
        assert q["status"] == "passed" and q["score"] == q["max_score"]
    assert sum(q["max_score"] for q in doc["questions"]) == 20


@pytest.mark.notebook
def test_gradescope_output_written_with_dash_o(tmp_path: Path) -> None:
    out = tmp_path / "results" / "results.json"
    proc = run_cli(str(SEED), "--format", "gradescope", "-o", str(out), "--mkdir", "--assignment", "derivatives-activations")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    doc = json.loads(out.read_text())
    assert doc["score"] == 20 and doc["max_score"] == 20
    assert doc["visibility"] in {"visible", "hidden", "after_due_date", "after_published"}
    assert len(doc["tests"]) == 12
    for t in doc["tests"]:
        assert set(t) >= {"name", "score", "max_score", "output", "visibility"}
        assert t["status"] == "passed"


@pytest.mark.notebook
def test_old_nbformat_v3_is_converted_and_graded(tmp_path: Path) -> None:
    nb = nbformat.read(SEED, as_version=4)
    v3 = nbformat.convert(nb, 3)
    path = tmp_path / "old.ipynb"
    nbformat.write(v3, path, version=3)
    doc = cli_json(str(path), "--assignment", "derivatives-activations")
    assert doc["score"] == 20


def _one_line_error(proc) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert lines[0].startswith("grade: error: ")
    return lines[0]


@pytest.mark.parametrize("content, needle", [
    (None, "no such file"),
    (b"", "empty"),
    (b"{not json", "invalid JSON at line 1"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b'{"hello": "world"}', "not a Jupyter notebook"),
    (b'{"nbformat": 9, "cells": []}', "unsupported notebook format"),
])
def test_unusable_notebook_gets_exit_2_and_one_line(tmp_path: Path, content: bytes | None, needle: str) -> None:
    path = tmp_path / "submission.ipynb"
    if content is not None:
        path.write_bytes(content)
    line = _one_line_error(run_cli(str(path), "--assignment", "derivatives-activations"))
    assert needle in line


def test_directory_instead_of_notebook(tmp_path: Path) -> None:
    assert "is a directory" in _one_line_error(run_cli(str(tmp_path), "--assignment", "derivatives-activations"))


def test_unknown_assignment_lists_the_bundled_ones() -> None:
    line = _one_line_error(run_cli(str(SEED), "--assignment", "no-such-assignment"))
    assert "derivatives-activations" in line


def test_notebook_matching_no_assignment_asks_for_one(tmp_path: Path) -> None:
    path = tmp_path / "other.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), path)
    assert "--assignment" in _one_line_error(run_cli(str(path)))


def test_invalid_assignment_yaml_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntitle: Bad\nquestions:\n  - id: q1\n    kind: function\n    function: f\n"
                   "    args: [x]\n    reference: x\n    probes:\n      - name: p\n        inputs: {x: {uniform: [0, 1], normal: [0, 1]}}\n")
    line = _one_line_error(run_cli(str(SEED), "--assignment", str(bad)))
    assert str(bad) in line and "line" in line and "exactly one of" in line


def test_unknown_question_kind_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntitle: Bad\nquestions:\n  - id: q1\n    kind: essay\n")
    line = _one_line_error(run_cli(str(SEED), "--assignment", str(bad)))
    assert "unknown question kind 'essay'" in line and "line 5" in line


def test_broken_yaml_syntax(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\nquestions: [\n")
    assert "invalid YAML" in _one_line_error(run_cli(str(SEED), "--assignment", str(bad)))


def test_help_and_usage() -> None:
    proc = run_cli("--help")
    assert proc.returncode == 0 and "Exit codes" in proc.stdout
    proc = run_cli("grade", "--help")
    assert proc.returncode == 0 and "--format" in proc.stdout and "gradescope" in proc.stdout
    assert run_cli().returncode == 2


@pytest.mark.parametrize("flags, needle", [
    (["--cell-timeout", "0"], "--cell-timeout and --timeout must be positive"),
    (["--memory-limit", "0.5"], "--memory-limit must be at least 1 GiB"),
])
def test_bad_limits_get_exit_2_and_one_line(flags: list[str], needle: str) -> None:
    proc = run_cli(str(SEED), *flags)
    assert proc.returncode == 2 and needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
