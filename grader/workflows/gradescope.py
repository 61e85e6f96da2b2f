"""Build the zip Gradescope's autograder expects: setup.sh, run_autograder and what they need.

Gradescope unpacks it to /autograder/source, runs setup.sh once when building the image, and
run_autograder per submission; run_autograder must write /autograder/results/results.json.
Both scripts take the root from AUTOGRADER_ROOT (default /autograder) and setup.sh its package
sources from the environment (see SETUP_SH), so the suite runs them for real in a temporary root.
The zip carries the grader's own source and the assignment, so the image grades exactly what
the instructor tested locally.
"""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Sequence
from pathlib import Path

from grader.grading.choose import Found, choose_notebook
from grader.kinds import load_assignment
from grader.report.safe import terminal
from grader.spec.bundle import AssignmentBundle
from grader.version import __version__

PKG = Path(__file__).resolve().parents[1]  # the grader package

SETUP_SH = """#!/usr/bin/env bash
# Runs once while Gradescope builds the autograder image (Ubuntu, as root). Where everything comes from
# can be overridden, so the same script is tested off Gradescope (tests/workflows/test_gradescope_setup.py):
#   AUTOGRADER_ROOT      the autograder tree (default /autograder); the grader's venv is $AUTOGRADER_ROOT/venv
#   GRADER_SKIP_APT=1    never run apt-get (it runs only when a Python >= 3.11 with venv or bubblewrap is missing)
#   GRADER_BASE_PYTHON   the interpreter to build the venv from (default: the first of python3, python3.11, ... that fits)
#   GRADER_VENV_ARGS     more arguments for `python -m venv`, e.g. --system-site-packages
#   TORCH_INDEX_URL      where the CPU torch wheel comes from (default the PyTorch CPU index; empty: pip's own sources)
#   PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS, PIP_NO_INDEX: pip's own, honoured by every install below
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
HERE="$(cd "$(dirname "$0")" && pwd)"
# the grader needs Python >= 3.11 (requires-python); Ubuntu 22.04's python3 is 3.10, its python3.11 is in universe
fits() { command -v "$1" >/dev/null 2>&1 && "$1" -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
find_python() {
  for candidate in ${GRADER_BASE_PYTHON:-python3 python3.11 python3.12 python3.13}; do
    if fits "$candidate"; then echo "$candidate"; return; fi
  done
}
PYTHON="$(find_python)"
if [ "${GRADER_SKIP_APT:-0}" != 1 ] && { [ -z "$PYTHON" ] || ! command -v bwrap >/dev/null 2>&1; }; then
  apt-get update -qq
  apt-get install -y -qq python3 python3-venv python3-pip bubblewrap >/dev/null
  PYTHON="$(find_python)"
  if [ -z "$PYTHON" ]; then
    apt-get install -y -qq python3.11 python3.11-venv >/dev/null
    PYTHON=python3.11
  fi
fi
if [ -z "$PYTHON" ]; then
  echo "setup.sh: no Python >= 3.11 with venv found, and apt-get was skipped (GRADER_SKIP_APT=1)" >&2
  exit 1
fi
# shellcheck disable=SC2086  # GRADER_VENV_ARGS is a list of arguments
"$PYTHON" -m venv ${GRADER_VENV_ARGS:-} "$ROOT/venv"
PIP=("$ROOT/venv/bin/python" -m pip install -q)
"${PIP[@]}" --upgrade pip
# the CPU build, pinned as the project pins it (constraints.txt); any other torch request pulls a CUDA build
TORCH_INDEX_URL="${TORCH_INDEX_URL-https://download.pytorch.org/whl/cpu}"
"${PIP[@]}" ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} "torch==2.13.0"
"${PIP[@]}" "$HERE/grader_src"
# A spec with `reference: solution` runs the solution notebook for its answers: done once here, when
# the image is built, into the cache run_autograder reads, instead of once per submission (if it
# fails here, run_autograder computes them itself)
GRADER_CACHE="$ROOT/cache" "$ROOT/venv/bin/grade" validate --no-run "$HERE/assignment.yaml" >/dev/null || true
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
export GRADER_CACHE="${GRADER_CACHE:-$ROOT/cache}"  # the solution's answers, computed by setup.sh
PYTHON="${GRADER_PYTHON:-$(dirname "$(command -v "$GRADE" || echo .)")/python}"
fail() {
  python3 - "$1" "$ROOT/results/results.json" <<'PY'
import json, sys
json.dump({"score": 0, "output": sys.argv[1], "output_format": "text", "visibility": "visible",
           "stdout_visibility": "hidden", "tests": []}, open(sys.argv[2], "w"), indent=2)
PY
}
warn() {  # $1: a JSON string; put it at the top of results.json's output
  python3 - "$1" "$ROOT/results/results.json" <<'PY'
import json, sys
note, path = json.loads(sys.argv[1]), sys.argv[2]
doc = json.load(open(path))
doc["output"] = "Warning: " + note + ("\\n\\n" + doc["output"] if doc.get("output") else "")
json.dump(doc, open(path, "w"), indent=2)
PY
}
shopt -s nullglob
notebooks=("$ROOT"/submission/*.ipynb "$ROOT"/submission/*/*.ipynb)
if [ ${#notebooks[@]} -eq 0 ]; then  # a .py is the submission only without a notebook: beside one it is a module
  notebooks=("$ROOT"/submission/*.py "$ROOT"/submission/*/*.py)
fi
if [ ${#notebooks[@]} -eq 0 ]; then
  fail "No .ipynb notebook (or .py script) was found in your submission. Upload your notebook file."
  exit 0
fi
# Of several notebooks (or, without one, several scripts), grade the one the student most plausibly
# meant (grader/workflows/gradescope.py: choose_upload) and say so.
notebook="${notebooks[0]}"
note=""
if [ ${#notebooks[@]} -gt 1 ]; then
  choice="$("$PYTHON" -c 'import json, sys
from pathlib import Path
from grader.workflows.gradescope import choose_upload
index, note = choose_upload(Path(sys.argv[1]), Path(sys.argv[2]), [Path(p) for p in sys.argv[3:]])
print(index)
print(json.dumps(note))' "$HERE/assignment.yaml" "$ROOT/submission" "${notebooks[@]}")"
  if [ $? -ne 0 ]; then  # the grader's fault, not the student's: a failed run staff see and rerun
    echo "could not choose among the submitted notebooks (see above)" >&2
    exit 1
  fi
  { read -r index; read -r note; } <<<"$choice"
  notebook="${notebooks[$index]}"
fi
err="$("$GRADE" "$notebook" --assignment "$HERE/assignment.yaml" --format gradescope \\
        -o "$ROOT/results/results.json" 2>&1 >/dev/null)"
status=$?
if [ $status -eq 2 ]; then  # the submission itself is unusable: tell the student what to fix
  fail "Your notebook could not be graded: ${err#grade: error: }"
elif [ $status -ne 0 ]; then  # the grader failed or was stopped: a failed run staff see and rerun, never a 0
  rm -f "$ROOT/results/results.json"
  echo "$err" >&2
  exit 1
fi
if [ -n "$note" ]; then warn "$note"; fi  # also above "could not be graded": the others are named
exit 0
"""


def choose_upload(assignment_file: Path, submission: Path, notebooks: Sequence[Path]) -> tuple[int, str]:
    """Several notebooks uploaded: the index (in `notebooks`) of the one the student most plausibly
    meant (see grading/choose.py: valid, for this assignment, newest) and the warning naming the
    others, made safe for Gradescope's text output. run_autograder calls it."""
    found = [Found(p, terminal(str(p.relative_to(submission)), one_line=True), p.lstat().st_mtime) for p in notebooks]
    choice = choose_notebook(found, load_assignment(assignment_file))
    return found.index(choice.chosen), terminal(choice.warning or "")


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
