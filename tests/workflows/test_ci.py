"""`grade ci` gates a course repo: exit status, JUnit XML, GitHub step summary and annotations."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from fractions import Fraction as F
from pathlib import Path

import pytest
from conftest import ROOT, SEED, run_cli

from grader.results import FAILED, GradeResult, QuestionResult

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


def _lost(notebook: Path) -> GradeResult:
    return GradeResult("derivatives-activations", "D", str(notebook),
                       [QuestionResult("relu", "function", "ReLU", F(0), F(1), FAILED, "wrong")])


def test_junit_and_annotations_name_notebooks_from_the_repo_root_even_from_a_subfolder(tmp_path: Path,
                                                                                        monkeypatch) -> None:
    from grader.workflows.ci import (
        Target,
        annotations,
        find_config,
        junit_report,
        load_config,
        shown,
    )

    repo = _repo(tmp_path, "notebooks:\n  - {path: ex02/todo.ipynb, assignment: derivatives-activations}\n")
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    for cwd in (repo, repo / "ex02"):
        monkeypatch.chdir(cwd)
        [target] = load_config(find_config(Path.cwd()))  # found upwards, as `grade ci` does
        given = Target(Path("todo.ipynb") if cwd != repo else Path("ex02/todo.ipynb"), "derivatives-activations", 1.0)
        for t in (target, given):  # from the config (absolute) or typed on the command line (relative to cwd)
            assert shown(t.notebook) == "ex02/todo.ipynb"
            assert annotations(_lost(t.notebook), t)[0].startswith("::error file=ex02/todo.ipynb,")
            [case] = ET.fromstring(junit_report([(t, _lost(t.notebook))])).iter("testcase")
            assert case.get("file") == "ex02/todo.ipynb"
    monkeypatch.setenv("GITHUB_WORKSPACE", str(repo / "ex02"))  # in Actions, relative to the checkout
    assert shown(Path("todo.ipynb")) == "todo.ipynb" and shown(repo / "ex02" / "todo.ipynb") == "todo.ipynb"


@pytest.mark.notebook
def test_grade_ci_from_a_subfolder_names_notebooks_from_the_repo_root(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "notebooks:\n  - {path: ex02/todo.ipynb, assignment: derivatives-activations}\n")
    proc = run_cli("ci", cwd=repo / "ex02", env={"GITHUB_ACTIONS": "true"})
    assert proc.returncode == 1, proc.stderr
    assert "FAIL  ex02/todo.ipynb: 0/20" in proc.stdout
    assert "::error file=ex02/todo.ipynb,title=derivatives-activations relu::" in proc.stdout
    assert str(tmp_path) not in proc.stdout  # no absolute path in the console


def test_action_cache_key_changes_with_the_graders_version(tmp_path: Path) -> None:
    """hashFiles() cannot see the action's folder: the key comes from a step that hashes the grader's files."""
    import shutil
    import subprocess

    import yaml

    steps = yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"]
    cache = next(s for s in steps if str(s.get("uses", "")).startswith("actions/cache"))
    assert "hashFiles" not in cache["with"]["key"] and "${{ steps.grader.outputs.hash }}" in cache["with"]["key"]
    step = next(s for s in steps if s.get("id") == "grader")
    assert steps.index(step) < steps.index(cache)

    def key(action: Path) -> str:
        out = tmp_path / "out.txt"
        out.write_text("")
        subprocess.run(["bash", "-c", step["run"]], check=True, env={"GITHUB_ACTION_PATH": str(action),
                                                                    "GITHUB_OUTPUT": str(out), "PATH": "/usr/bin:/bin"})
        [line] = out.read_text().splitlines()
        assert re.fullmatch(r"hash=[0-9a-f]{16}", line), line
        return line

    action = tmp_path / "action"
    (action / "grader").mkdir(parents=True)
    for name in ("pyproject.toml", "constraints.txt", "grader/version.py"):
        shutil.copy(ROOT / name, action / name)
    before = key(action)
    assert key(action) == before
    (action / "grader" / "version.py").write_text('__version__ = "99.0"\n')
    assert key(action) != before


def test_workflows_update_apt_before_installing_and_pin_cpu_torch() -> None:
    import yaml

    action = yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"]
    example = yaml.safe_load((ROOT / "examples" / "github-actions" / "autograde.yml").read_text())["jobs"]["grade"]["steps"]
    pin = next(line for line in (ROOT / "constraints.txt").read_text().splitlines() if line.startswith("torch=="))
    for steps in (action, example):
        install = next(s["run"] for s in steps if "apt-get install" in s.get("run", ""))
        assert install.index("apt-get update") < install.index("apt-get install")
        torch = next(line for line in install.splitlines() if "download.pytorch.org/whl/cpu" in line)
        assert pin in torch or "constraints.txt" in torch
