"""The options every grading verb shares, usage errors and output files, as a user meets them
through the real `grade` entry point; and the README's options table checked against the parser."""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, SEED, run_cli

from grader.cli import VERBS, reference
from grader.cli.limits import limits_table
from grader.cli.options import add_grading_arguments, markdown_table
from grader.files import write_atomic
from grader.report import formats

GRADING_VERBS = ["grade", "batch", "check", "ci"]
SHARED = ["-a", "--assignment", "-f", "--format", "-o", "--output", "--mkdir", "--cell-timeout", "--timeout",
          "--probe-timeout", "--memory-limit", "--disk-limit", "--no-sandbox", "--quiet", "--color"]


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, inherited by the `grade` subprocess."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _one_line(proc, needle: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].startswith("grade: error: ") and needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("verb", GRADING_VERBS)
def test_every_grading_verb_lists_the_shared_options_with_the_registry_formats(verb: str) -> None:
    proc = run_cli(verb, "--help")
    assert proc.returncode == 0, proc.stderr
    assert "grading options (the same on grade, batch, check and ci)" in proc.stdout
    for flag in SHARED:
        assert re.search(rf"(^|[\s,]){re.escape(flag)}\b", proc.stdout), (verb, flag)
    help_text = " ".join(proc.stdout.split())
    assert ", ".join(formats()) in help_text  # every registered format, listed from the registry


@pytest.mark.parametrize("verb", GRADING_VERBS)
def test_every_grading_verb_accepts_the_shared_options(verb: str, tmp_path: Path) -> None:
    """All shared options parse on every verb and reach the same validation: a bad --probe-timeout is
    the one thing wrong, and it is reported as such before any kernel starts."""
    out = tmp_path / ("out" if verb in ("batch", "ci") else "out.json")
    proc = run_cli(verb, str(SEED), "-a", "derivatives-activations", "-f", "json", "-o", str(out),
                   "--cell-timeout", "5", "--timeout", "60", "--probe-timeout", "0", "--memory-limit", "2",
                   "--disk-limit", "1", "--no-sandbox", "--quiet", "--color", "never", "--mkdir")
    _one_line(proc, "--probe-timeout must be positive")
    assert not out.exists()


@pytest.mark.parametrize("args, verb", [
    (["--no-such-flag", str(SEED)], "grade"),
    ([str(SEED), "-f", "pdf"], "grade"),
    (["batch", str(SEED)], "batch"),
    (["check"], "check"),
    (["ci", "--color", "sometimes"], "ci"),
    (["answer", "--expected"], "answer"),
])
def test_usage_errors_are_one_line_pointing_at_help(args: list[str], verb: str) -> None:
    line = _one_line(run_cli(*args), f"see `grade {verb} --help`")
    assert "usage:" not in line


def test_bad_student_pattern_is_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    out = tmp_path / "graded"
    proc = run_cli("batch", str(SEED), "-a", "derivatives-activations", "-o", str(out), "--student-pattern", "(?P<student>")
    _one_line(proc, "--student-pattern")
    assert "not a valid regular expression" in proc.stderr
    assert not out.exists()


@pytest.mark.parametrize("address", ["not an address", "tcp://head"])
def test_bad_scheduler_address_is_one_line_and_nothing_is_written(address: str, tmp_path: Path) -> None:
    out = tmp_path / "graded"
    proc = run_cli("batch", str(SEED), "-a", "derivatives-activations", "-o", str(out), "--scheduler", address)
    _one_line(proc, "--scheduler")
    assert "tcp://head:8786" in proc.stderr and not out.exists()


@pytest.mark.parametrize("args", [
    ["grade", str(SEED), "-o", "{missing}/x.json"],
    ["check", str(SEED), "-o", "{missing}/x.json"],
    ["batch", str(SEED), "-a", "derivatives-activations", "-o", "{missing}/graded"],
    ["ci", str(SEED), "-a", "derivatives-activations", "-o", "{missing}/reports"],
    ["release", "derivatives-activations", "-o", "{missing}/starter.ipynb"],
    ["gradescope-bundle", "derivatives-activations", "-o", "{missing}/autograder.zip"],
])
def test_output_in_a_missing_folder_is_an_error_and_creates_nothing(args: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such"
    proc = run_cli(*[a.format(missing=missing) for a in args])
    _one_line(proc, f"folder {missing} does not exist")
    assert not (tmp_path / "no").exists()


def test_mkdir_creates_the_folder_and_files_follow_the_umask(tmp_path: Path, umask_022: None) -> None:
    target = tmp_path / "new" / "starter.ipynb"
    proc = run_cli("release", "derivatives-activations", "-o", str(target))
    _one_line(proc, "(--mkdir creates it)")
    proc = run_cli("release", "derivatives-activations", "-o", str(target), "--mkdir")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(target.read_text())["metadata"]["grader"]["assignment"] == "derivatives-activations"
    assert _mode(target) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["starter.ipynb"]  # no temporary file left behind


def test_gradescope_bundle_follows_the_umask(tmp_path: Path, umask_022: None) -> None:
    z = tmp_path / "autograder.zip"
    proc = run_cli("gradescope-bundle", "derivatives-activations", "-o", str(z))
    assert proc.returncode == 0, proc.stderr
    assert _mode(z) == 0o644 and [p.name for p in tmp_path.iterdir()] == ["autograder.zip"]


def test_write_atomic_follows_the_umask_and_keeps_secrets_private(tmp_path: Path, umask_022: None) -> None:
    write_atomic(tmp_path / "report.html", "<p>hi</p>")
    write_atomic(tmp_path / "token", "s3cret", secret=True)
    assert _mode(tmp_path / "report.html") == 0o644
    assert _mode(tmp_path / "token") == 0o600
    os.umask(0o077)
    write_atomic(tmp_path / "report.html", "<p>again</p>")
    assert _mode(tmp_path / "report.html") == 0o600 and (tmp_path / "report.html").read_text() == "<p>again</p>"


@pytest.mark.notebook
def test_grade_dash_reads_the_notebook_from_stdin(tmp_path: Path) -> None:
    with open(SEED, "rb") as fh:
        proc = subprocess.run([sys.executable, "-m", "grader", "-", "--quiet", "--color", "never"], stdin=fh,
                              capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Notebook: <stdin>" in proc.stdout and "Total: 20/20" in proc.stdout
    assert "stdin.ipynb" not in proc.stdout and "grade-stdin-" not in proc.stdout
    assert proc.stderr == ""  # --quiet: no notes


def test_grade_dash_with_unusable_input_names_stdin() -> None:
    proc = subprocess.run([sys.executable, "-m", "grader", "-", "-a", "derivatives-activations"], input="{not json",
                          capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    line = _one_line(proc, "<stdin>")
    assert "invalid JSON" in line and "stdin.ipynb" not in line and "/tmp" not in line


@pytest.mark.notebook
def test_check_writes_its_report_in_any_format(tmp_path: Path, umask_022: None) -> None:
    out = tmp_path / "check.json"
    proc = run_cli("check", str(SEED), "-a", "derivatives-activations", "-f", "json", "-o", str(out),
                   "--probe-timeout", "30")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    doc = json.loads(out.read_text())
    assert doc["assignment"] == "derivatives-activations" and doc["score"] == doc["max_score"] > 0
    assert _mode(out) == 0o644


@pytest.mark.notebook
def test_ci_writes_one_report_per_notebook_and_format(tmp_path: Path, umask_022: None) -> None:
    (tmp_path / "ex02").mkdir()
    nb = tmp_path / "ex02" / "done.ipynb"
    nb.write_bytes(SEED.read_bytes())
    proc = run_cli("ci", "ex02/done.ipynb", "-a", "derivatives-activations", "-f", "json", "-f", "gradescope",
                   "-o", "reports", "--junit", "junit.xml", "--color", "never", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "pass  ex02/done.ipynb: 20/20" in proc.stdout
    reports = tmp_path / "reports"
    assert sorted(p.name for p in reports.iterdir()) == ["ex02_done.gradescope.json", "ex02_done.json"]
    assert json.loads((reports / "ex02_done.json").read_text())["score"] == 20
    assert json.loads((reports / "ex02_done.gradescope.json").read_text())["score"] == 20
    assert all(_mode(p) == 0o644 for p in [*reports.iterdir(), tmp_path / "junit.xml"])


@pytest.mark.notebook
@pytest.mark.xdist_group("batch")
def test_batch_extra_formats_are_named_once_and_every_file_is_readable(tmp_path: Path, umask_022: None) -> None:
    """An LMS zip export: what is unpacked from it follows the umask like everything the batch writes."""
    subs, out = tmp_path / "export.zip", tmp_path / "graded"
    with zipfile.ZipFile(subs, "w") as zf:
        zf.writestr("alice/ex02.ipynb", SEED.read_bytes())
    proc = run_cli("batch", str(subs), "-a", "derivatives-activations", "-o", str(out), "-f", "json",
                   "--format", "gradescope", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # --quiet: no summary
    results = out / "results"
    assert sorted(p.name for p in results.iterdir()) == ["alice.gradescope.json", "alice.json"]
    assert json.loads((results / "alice.json").read_text())["score"] == 20
    with open(out / "grades.csv", newline="") as fh:
        assert [row["student"] for row in csv.DictReader(fh)] == ["alice"]
    written = [out / "grades.csv", out / "report.html", *(out / "feedback").iterdir(), *results.iterdir()]
    assert {p.name for p in (out / "feedback").iterdir()} >= {"alice.md", "alice.html"}
    assert {p.name: _mode(p) for p in written} == {p.name: 0o644 for p in written}
    everything = [p for p in out.rglob("*")]
    assert any(p.suffix == ".ipynb" for p in (out / "unpacked").rglob("*"))  # the unpacked notebook is among them
    assert {str(p): _mode(p) for p in everything} == {str(p): 0o755 if p.is_dir() else 0o644 for p in everything}


def test_readme_options_table_is_generated_from_the_parser() -> None:
    """README's table is `markdown_table` of the shared options (as `grade` defines them); regenerate
    it with `python -c 'import argparse; from grader.cli.options import *;
    print(markdown_table(add_grading_arguments(argparse.ArgumentParser())))'`."""
    table = markdown_table(add_grading_arguments(argparse.ArgumentParser()))
    readme = (ROOT / "README.md").read_text()
    start, end = "<!-- grading options: generated -->\n", "<!-- end grading options -->"
    assert start in readme and end in readme
    section = readme.split(start, 1)[1].split(end, 1)[0]
    assert section == table, f"README's options table is out of date; it should read:\n{table}"
    grade_help = " ".join(run_cli("grade", "--help").stdout.split())
    for flags in re.findall(r"^\| `([^`]+)` \|", section, re.MULTILINE):
        for flag in re.findall(r"--?[a-z][a-z-]*", flags):
            assert flag in grade_help, flag


def _generated(start: str, end: str) -> str:
    readme = (ROOT / "README.md").read_text()
    assert start in readme and end in readme, (start, end)
    return readme.split(start, 1)[1].split(end, 1)[0]


def test_readme_command_reference_is_every_verbs_help() -> None:
    """Every verb's section is generated from its parser (`python -m grader.cli.reference --write README.md`),
    and every flag it names is in that verb's real `--help`."""
    section = _generated(reference.START, reference.END)
    assert section == reference.reference(), "README's command reference is out of date: regenerate it"
    for verb in VERBS:
        assert f"#### `grade {verb}`" in section
        part = section.split(f"#### `grade {verb}`", 1)[1].split("#### `grade ", 1)[0]
        help_text = " ".join(run_cli(verb, "--help").stdout.split())
        for flags in re.findall(r"^\| `([^`]+)` \|", part, re.MULTILINE):
            for flag in re.findall(r"(?<![\w-])--?[a-z][a-z-]*", flags):
                assert flag in help_text, (verb, flag)


def test_readme_limits_table_is_every_limit_option() -> None:
    assert _generated("<!-- limits: generated -->\n", "<!-- end limits -->") == limits_table()
