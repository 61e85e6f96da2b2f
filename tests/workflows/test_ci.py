"""`grade ci` gates a course repo: exit status, JUnit XML, GitHub step summary and annotations."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import ROOT, SEED, run_cli

STARTER = ROOT / "examples" / "derivatives_activations_starter.ipynb"


def _repo(tmp_path: Path, config: str) -> Path:
    (tmp_path / "ex02").mkdir()
    (tmp_path / "ex02" / "done.ipynb").write_bytes(SEED.read_bytes())
    (tmp_path / "ex02" / "todo.ipynb").write_bytes(STARTER.read_bytes())
    (tmp_path / "grader.yml").write_text(config)
    return tmp_path


@pytest.mark.notebook
def test_failing_gate_reports_junit_summary_and_annotations(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "min_score: 0.9\nnotebooks:\n"
                           "  - {path: ex02/done.ipynb, assignment: derivatives-activations}\n"
                           "  - {path: ex02/todo.ipynb, assignment: derivatives-activations}\n")
    summary = tmp_path / "summary.md"
    proc = run_cli("ci", "--junit", "out/junit.xml", cwd=repo,
                   env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert proc.returncode == 1, proc.stderr
    assert "pass  ex02/done.ipynb: 20/20" in proc.stdout and "FAIL  ex02/todo.ipynb: 0/20" in proc.stdout
    assert "::error file=ex02/todo.ipynb,title=derivatives-activations relu::" in proc.stdout
    assert "::error file=ex02/done.ipynb" not in proc.stdout
    suites = ET.parse(repo / "out" / "junit.xml").getroot().findall("testsuite")
    assert [s.get("tests") for s in suites] == ["12", "12"]
    assert suites[0].get("failures") == suites[0].get("errors") == "0"
    todo = suites[1]
    assert int(todo.get("skipped")) == 12 and int(todo.get("errors")) == 0  # stubs and placeholders: not attempted
    relu = next(c for c in todo.iter("testcase") if c.get("name") == "relu")
    assert "Not attempted" in relu.find("skipped").get("message", "") + (relu.find("skipped").text or "")
    text = summary.read_text()
    assert "| `ex02/todo.ipynb` | derivatives-activations | 0/20 | 90% | ❌ below minimum |" in text


@pytest.mark.notebook
def test_passing_gate_from_the_command_line(tmp_path: Path) -> None:
    proc = run_cli("ci", str(SEED), "-a", "derivatives-activations", "--min-score", "1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "::error" not in proc.stdout  # annotations only inside GitHub Actions


@pytest.mark.parametrize("config, needle", [
    ("notebooks: []\n", "notebooks"),
    ("min_score: 3\nnotebooks:\n  - {path: a.ipynb, assignment: derivatives-activations}\n", "min_score"),
    ("notebooks:\n  - {path: missing.ipynb, assignment: derivatives-activations}\n", "missing.ipynb: notebook not found"),
    ("notebooks:\n  - {path: a.ipynb, assignment: nope}\n", "unknown assignment"),
    ("notebooks: [\n", "cannot read"),
])
def test_broken_configuration_exits_2_with_one_line(tmp_path: Path, config: str, needle: str) -> None:
    (tmp_path / "a.ipynb").write_bytes(SEED.read_bytes())
    (tmp_path / "grader.yml").write_text(config)
    proc = run_cli("ci", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_no_configuration_anywhere(tmp_path: Path) -> None:
    proc = run_cli("ci", cwd=tmp_path)
    assert proc.returncode == 2 and "grader.yml" in proc.stderr


@pytest.mark.notebook
def test_composite_action_grade_step_runs_as_actions_would(tmp_path: Path) -> None:
    """action.yml's Grade step, with its inputs substituted and the environment Actions sets."""
    import os
    import shlex
    import subprocess
    import sys

    import yaml

    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    step = next(s for s in action["runs"]["steps"] if s.get("name") == "Grade")
    inputs = {"junit": "results/junit.xml", "args": "--min-score 0.9"}
    command = step["run"]
    for name, value in inputs.items():
        command = command.replace("${{ inputs.%s }}" % name, value)
    assert "${{" not in command
    repo = _repo(tmp_path, "notebooks:\n  - {path: ex02/done.ipynb, assignment: derivatives-activations}\n")
    summary = tmp_path / "summary.md"
    bin_dir = str(Path(sys.executable).parent)  # where `grade` is installed, as pip puts it on PATH
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"], "GITHUB_ACTIONS": "true",
           "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(repo)}
    proc = subprocess.run(["bash", "-c", command], cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "pass  ex02/done.ipynb: 20/20" in proc.stdout and (repo / "results" / "junit.xml").is_file()
    assert "derivatives-activations" in summary.read_text()
    assert shlex.split(command)[:2] == ["grade", "ci"]
