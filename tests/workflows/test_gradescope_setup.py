"""The Gradescope bundle's setup.sh installs what the project is tested with: the pinned CPU torch and a
Python that meets requires-python (Ubuntu 22.04's python3 is 3.10; the grader needs 3.11, e.g. tomllib)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from conftest import ROOT, run_cli


def _bundle(tmp_path: Path) -> zipfile.ZipFile:
    z = tmp_path / "autograder.zip"
    proc = run_cli("gradescope-bundle", "derivatives-activations", "-o", str(z))
    assert proc.returncode == 0, proc.stderr
    return zipfile.ZipFile(z)


def test_setup_sh_pins_torch_as_the_project_does_and_provides_the_python_it_requires(tmp_path: Path) -> None:
    with _bundle(tmp_path) as zf:
        setup = zf.read("setup.sh").decode()
        pyproject = tomllib.loads(zf.read("grader_src/pyproject.toml").decode())
    pin = next(line for line in (ROOT / "constraints.txt").read_text().splitlines() if line.startswith("torch=="))
    [torch] = [line for line in setup.splitlines() if re.search(r"pip install.*\btorch\b", line)]
    assert "--index-url https://download.pytorch.org/whl/cpu" in torch and f'"{pin}"' in torch

    major, minor = re.fullmatch(r">=(\d+)\.(\d+)", pyproject["project"]["requires-python"]).groups()
    assert (int(major), int(minor)) >= (3, 11)  # tomllib, and what the suite runs on
    [check] = re.findall(r"python3 -c '(.*)'", setup)
    assert f"sys.version_info < ({major}, {minor})" in check  # the interpreter check asks for the same version
    assert f"apt-get install -y -qq python{major}.{minor} python{major}.{minor}-venv" in setup
    assert '"$PYTHON" -m venv /autograder/venv' in setup
    python = [sys.executable, "-c"]
    assert subprocess.run([*python, check], check=False).returncode == 0  # this Python (what the suite runs on) is kept
    assert subprocess.run([*python, check.replace(f"({major}, {minor})", "(99, 0)")], check=False).returncode == 1  # older: replaced
