"""Small assignments and notebooks written into a test's tmp_path: one relu question (and friends)
is all most kernel and grading tests need."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

RELU = """  - id: relu
    kind: function
    function: relu
    args: [x]
    reference: "torch.relu(x)"
    probes: [{name: random, inputs: {x: {uniform: [-5, 5], shape: [16]}}}]
"""

DOUBLE = """  - id: double
    kind: function
    function: double
    args: [x]
    reference: "2 * x"
    probes: [{name: random, inputs: {x: {uniform: [-5, 5], shape: [8]}}}]
"""


def toy_assignment(folder: Path, aid: str, *questions: str) -> Path:
    """folder/<aid>.yaml with the given questions (YAML list items; default: relu only)."""
    path = folder / f"{aid}.yaml"
    path.write_text(f"id: {aid}\ntitle: {aid}\nquestions:\n" + "".join(questions or (RELU,)))
    return path


def toy_notebook(folder: Path, *cells: str, name: str = "nb.ipynb") -> Path:
    """A notebook of code cells."""
    path = folder / name
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    return path


def toy_course(folder: Path, aid: str, spec: str, reference: Path, blank: dict[str, str] | None = None) -> Path:
    """An assignment `aid` in `folder`: its YAML, its folder with `reference` as reference.py, and
    `blank` (cells by name) written as blank.ipynb when given. Returns `folder`."""
    (folder / aid).mkdir()
    shutil.copy(reference, folder / aid / "reference.py")
    (folder / f"{aid}.yaml").write_text(spec)
    if blank is not None:
        toy_notebook(folder, *blank.values(), name="blank.ipynb")
    return folder


def reword_todo(source: str, comment: str | None) -> str:
    """The TODO comment line as a student leaves it: reworded, or deleted (None)."""
    lines = [comment if line.strip().startswith("# TODO") else line for line in source.splitlines()]
    return "\n".join(line for line in lines if line is not None)
