"""Build the zip Gradescope's autograder expects: setup.sh, run_autograder and what they need.

Gradescope unpacks it to /autograder/source, runs setup.sh once when building the image, and
run_autograder per submission; run_autograder must write /autograder/results/results.json.
The zip carries the grader's own source and the assignment, so the image grades exactly what
the instructor tested locally.
"""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

from grader.version import __version__
from grader.spec.bundle import AssignmentBundle

PKG = Path(__file__).resolve().parents[1]  # the grader package

SETUP_SH = """#!/usr/bin/env bash
# Runs once while Gradescope builds the autograder image (Ubuntu, as root).
set -euo pipefail
apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip bubblewrap >/dev/null
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install -q --upgrade pip
/autograder/venv/bin/pip install -q --index-url https://download.pytorch.org/whl/cpu "torch>=2.2"
/autograder/venv/bin/pip install -q /autograder/source/grader_src
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Grades the submitted notebook and writes results.json; a submission that cannot be graded
# still gets a results.json that tells the student why.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
HERE="$(cd "$(dirname "$0")" && pwd)"
GRADE="${GRADE:-$ROOT/venv/bin/grade}"
command -v "$GRADE" >/dev/null 2>&1 || GRADE=grade
mkdir -p "$ROOT/results"
fail() {
  python3 - "$1" "$ROOT/results/results.json" <<'PY'
import json, sys
json.dump({"score": 0, "output": sys.argv[1], "output_format": "text", "visibility": "visible",
           "stdout_visibility": "hidden", "tests": []}, open(sys.argv[2], "w"), indent=2)
PY
}
shopt -s nullglob
notebooks=("$ROOT"/submission/*.ipynb "$ROOT"/submission/*/*.ipynb)
if [ ${#notebooks[@]} -eq 0 ]; then
  fail "No .ipynb notebook was found in your submission. Upload your notebook file."
  exit 0
fi
if [ ${#notebooks[@]} -gt 1 ]; then
  echo "several notebooks submitted; grading ${notebooks[0]}" >&2
fi
err="$("$GRADE" "${notebooks[0]}" --assignment "$HERE/assignment.yaml" --format gradescope \\
        -o "$ROOT/results/results.json" 2>&1 >/dev/null)"
status=$?
if [ $status -eq 2 ]; then  # the submission itself is unusable: tell the student what to fix
  fail "Your notebook could not be graded: ${err#grade: error: }"
elif [ $status -ne 0 ]; then  # the grader failed or was stopped: a failed run staff see and rerun, never a 0
  rm -f "$ROOT/results/results.json"
  echo "$err" >&2
  exit 1
fi
exit 0
"""


def build_bundle(bundle: AssignmentBundle) -> bytes:
    """The zip's bytes: the scripts, the grader's source, and a self-contained copy of the
    assignment (`assignment.yaml` with `extends` flattened, its rubric, starter and reference
    files) beside run_autograder, so nothing is looked up from an installed grader."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        def add(name: str, data: bytes | str, executable: bool = False) -> None:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)

        add("setup.sh", SETUP_SH, executable=True)
        add("run_autograder", RUN_AUTOGRADER, executable=True)
        for name, data in bundle.entries().items():
            add(name, data)
        for f in sorted(PKG.rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts and "_bundled" not in f.parts:
                add(f"grader_src/grader/{f.relative_to(PKG)}", f.read_bytes())
        add("grader_src/pyproject.toml", _pyproject())
        readme = PKG.parent / "README.md"
        add("grader_src/README.md", readme.read_bytes() if readme.is_file() else b"# grader\n")
    return buf.getvalue()


def _pyproject() -> str:
    src = PKG.parent / "pyproject.toml"
    if src.is_file():
        text = src.read_text(encoding="utf-8")
        # the bundle has no assignments/rubrics/examples folders to force-include
        start = text.find("[tool.hatch.build.targets.wheel.force-include]")
        if start != -1:
            end = text.find("\n[", start + 1)
            text = text[:start] + (text[end + 1:] if end != -1 else "")
        return text
    return (f'[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n[project]\nname = "grader"\n'
            f'version = "{__version__}"\n')
