"""The Gradescope bundle's setup.sh installs what the project is tested with: the pinned CPU torch and a
Python that meets requires-python (Ubuntu 22.04's python3 is 3.10; the grader needs 3.11, e.g. tomllib).
Once (marked slow) the real setup.sh and run_autograder run in a temporary autograder root, with pip's
sources pointed at what this machine has and no apt on the host."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, SEED, run_cli

from tests.workflows.test_init import _pair

TORCH_PIN = next(line for line in (ROOT / "constraints.txt").read_text().splitlines() if line.startswith("torch=="))


def _bundle(tmp_path: Path, spec: str = "derivatives-activations") -> zipfile.ZipFile:
    z = tmp_path / "autograder.zip"
    proc = run_cli("gradescope-bundle", spec, "-o", str(z))
    assert proc.returncode == 0, proc.stderr
    return zipfile.ZipFile(z)


def _autograder_root(tmp_path: Path, spec: str = "derivatives-activations") -> Path:
    """What Gradescope lays out: the zip in ROOT/source, the upload in ROOT/submission."""
    root = tmp_path / "autograder"
    with _bundle(tmp_path, spec) as zf:
        zf.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)
    (root / "submission").mkdir()
    return root


def _fake_apt(tmp_path: Path) -> tuple[Path, Path]:
    """A PATH entry whose apt-get only records that it was called: the host's packages are never touched."""
    bin_dir, log = tmp_path / "fake-bin", tmp_path / "apt.log"
    bin_dir.mkdir()
    apt = bin_dir / "apt-get"
    apt.write_text(f'#!/bin/sh\necho "apt-get $*" >> {log}\nexit 1\n')
    apt.chmod(0o755)
    return bin_dir, log


def _path_without_dev_venv(extra: Path) -> str:
    """PATH with the fake apt-get first and without this checkout's venv, so nothing falls back to the dev grader."""
    dev = str(Path(sys.executable).parent)
    return os.pathsep.join([str(extra), *(p for p in os.environ["PATH"].split(os.pathsep) if p != dev)])


def _pip_find_links() -> list[Path]:
    """The folders pip is configured to find wheels in on this machine (PIP_FIND_LINKS or pip.conf)."""
    found = os.environ.get("PIP_FIND_LINKS", "").split()
    conf = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False)
    found += [v for m in re.finditer(r"find-links='([^']*)'", conf.stdout) for v in m.group(1).split()]
    return [Path(p.removeprefix("file://")) for p in dict.fromkeys(found) if p]


def _local_cpu_torch() -> Path | None:
    version = TORCH_PIN.removeprefix("torch==")
    for folder in _pip_find_links():
        for wheel in sorted(folder.glob(f"torch-{version}+cpu-*.whl")) if folder.is_dir() else []:
            return wheel
    return None


def test_setup_sh_pins_torch_as_the_project_does_and_provides_the_python_it_requires(tmp_path: Path) -> None:
    with _bundle(tmp_path) as zf:
        setup = zf.read("setup.sh").decode()
        pyproject = tomllib.loads(zf.read("grader_src/pyproject.toml").decode())
    [torch] = [line for line in setup.splitlines() if re.search(r"PIP.*\btorch==", line)]
    assert f'"{TORCH_PIN}"' in torch and "--index-url" in torch
    assert 'TORCH_INDEX_URL="${TORCH_INDEX_URL-https://download.pytorch.org/whl/cpu}"' in setup  # the CPU index by default

    major, minor = re.fullmatch(r">=(\d+)\.(\d+)", pyproject["project"]["requires-python"]).groups()
    assert (int(major), int(minor)) >= (3, 11)  # tomllib, and what the suite runs on
    [check] = re.findall(r"-c '(import sys.*?)'", setup)
    assert f"sys.version_info < ({major}, {minor})" in check  # the interpreter check asks for the same version
    assert f"apt-get install -y -qq python{major}.{minor} python{major}.{minor}-venv" in setup
    python = [sys.executable, "-c"]
    assert subprocess.run([*python, check], check=False).returncode == 0  # this Python (what the suite runs on) is kept
    assert subprocess.run([*python, check.replace(f"({major}, {minor})", "(99, 0)")], check=False).returncode == 1  # older: replaced


@pytest.mark.parametrize("skip_apt", [True, False])
def test_setup_sh_runs_apt_only_when_it_lacks_an_interpreter_and_is_allowed_to(tmp_path: Path, skip_apt: bool) -> None:
    """No fitting Python: with GRADER_SKIP_APT=1 setup.sh stops with one clear line and never calls apt-get;
    without it, apt-get is what it turns to (here a fake that fails, so nothing is installed)."""
    root = _autograder_root(tmp_path)
    fake, log = _fake_apt(tmp_path)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "GRADER_BASE_PYTHON": "no-such-python3",
           "PATH": _path_without_dev_venv(fake), **({"GRADER_SKIP_APT": "1"} if skip_apt else {})}
    if not skip_apt:
        env.pop("GRADER_SKIP_APT", None)
    proc = subprocess.run(["bash", str(root / "source" / "setup.sh")], capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    assert proc.returncode != 0
    assert not (root / "venv").exists()
    if skip_apt:
        assert not log.exists()
        assert "no Python >= 3.11 with venv found, and apt-get was skipped" in proc.stderr
    else:
        assert log.read_text().splitlines()[0] == "apt-get update -qq"


def _spec_from_init(tmp_path: Path) -> tuple[str, Path, int]:
    """A spec `grade init` wrote (reference: solution), its solution notebook, and its points."""
    course = tmp_path / "course"
    course.mkdir()
    _blank, solution = _pair(course)
    proc = run_cli("init", str(_blank), str(solution), "-o", str(course), "--id", "practical3")
    assert proc.returncode == 0, proc.stderr
    return str(course / "practical3.yaml"), solution, 3


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("which", ["bundled", "init"])
def test_setup_sh_and_run_autograder_grade_a_submission_in_a_clean_venv(tmp_path: Path, which: str) -> None:
    """Gradescope's two steps, for real: setup.sh builds a fresh venv under the autograder root (pinned
    CPU torch from this machine's wheel, the grader from the zip's own source), then run_autograder grades
    an upload in ROOT/submission with that venv alone and writes ROOT/results/results.json. A spec whose
    reference is the solution notebook (as `grade init` writes) has the solution's answers computed
    once by setup.sh, into the cache run_autograder reads."""
    wheel = _local_cpu_torch()
    if wheel is None:
        pytest.skip(f"no {TORCH_PIN}+cpu wheel in pip's find-links here; setup.sh would download a CUDA-sized one")
    spec, upload, points = ("derivatives-activations", SEED, 20) if which == "bundled" else _spec_from_init(tmp_path)
    root = _autograder_root(tmp_path, spec)
    fake, log = _fake_apt(tmp_path)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "GRADER_SKIP_APT": "1", "TORCH_INDEX_URL": "",
           "PIP_FIND_LINKS": str(wheel.parent), "PATH": _path_without_dev_venv(fake)}
    for name in ("VIRTUAL_ENV", "GRADE", "GRADER_PYTHON", "PYTHONPATH", "GRADER_CACHE"):
        env.pop(name, None)
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], capture_output=True, text=True, env=env,
                           cwd=root / "source", timeout=900, check=False)
    assert setup.returncode == 0, setup.stderr[-3000:]
    assert not log.exists(), log.read_text()  # no apt on the host

    venv_python = root / "venv" / "bin" / "python"
    probe = subprocess.run([str(venv_python), "-c", "import json, sys, torch, grader; print(json.dumps("
                            "[torch.__version__, torch.version.cuda, grader.__file__, sys.version_info[:2]]))"],
                           capture_output=True, text=True, env=env, cwd=root, check=True)
    torch_version, cuda, grader_file, python = json.loads(probe.stdout)
    assert torch_version == TORCH_PIN.removeprefix("torch==") + "+cpu" and cuda is None  # the pinned CPU build
    assert Path(grader_file).is_relative_to(root / "venv")  # installed from the zip, not this checkout
    assert tuple(python) >= (3, 11)

    cached = list((root / "cache" / "solutions").glob("*.json"))
    assert len(cached) == (0 if which == "bundled" else 1), cached  # the solution ran once, at image build
    (root / "submission" / "my_work.ipynb").write_bytes(upload.read_bytes())
    run = subprocess.run([str(root / "source" / "run_autograder")], capture_output=True, text=True, env=env,
                         cwd=root, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    doc = json.loads((root / "results" / "results.json").read_text())
    assert doc["score"] == doc["max_score"] == points
    assert sum(t["score"] for t in doc["tests"]) == points
    assert list((root / "cache" / "solutions").glob("*.json")) == cached  # nothing computed per submission
