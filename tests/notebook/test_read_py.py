"""`.py` hand-ins: percent-format (jupytext) and plain scripts are graded as the notebook they are;
a file type the grader cannot read is one line naming what it accepts."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest

from grader.errors import GraderInputError
from grader.notebook.read import read_notebook
from tests.conftest import SEED, by_id, grade, run_cli


def test_a_percent_script_reads_as_its_notebook(tmp_path: Path) -> None:
    script = tmp_path / "hw.py"
    script.write_text('# %% [markdown]\n# ## Sigmoid\n# $\\sigma\'(x) = \\sigma(x)(1-\\sigma(x))$\n\n'
                      '# %% tags=["sigmoid"]\nimport torch\n\ndef sigmoid(x):\n    return 1 / (1 + torch.exp(-x))\n')
    nb = read_notebook(script)
    assert [c.cell_type for c in nb.cells] == ["markdown", "code"]
    assert nb.cells[0].source == "## Sigmoid\n$\\sigma'(x) = \\sigma(x)(1-\\sigma(x))$"
    assert nb.cells[1].metadata["tags"] == ["sigmoid"] and "def sigmoid(x):" in nb.cells[1].source
    assert nb.cells[1].outputs == [] and "jupytext" not in nb.metadata


def test_a_plain_script_reads_as_code_cells(tmp_path: Path) -> None:
    script = tmp_path / "hw.py"
    script.write_text("import torch\n\n\ndef relu(x):\n    return torch.clamp(x, min=0)\n")
    nb = read_notebook(script)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "import torch" in code and "def relu(x):" in code


@pytest.mark.parametrize("name, content", [("hw.pdf", b"%PDF-1.7\n\x00\xff"), ("hw.docx", b"PK\x03\x04\x00\xff"),
                                           ("hw.txt", b"def relu(x): return x\n")])
def test_a_file_type_the_grader_cannot_read_is_one_line_naming_what_it_reads(tmp_path: Path, name: str,
                                                                              content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(GraderInputError, match=r"\.ipynb.*\.py"):
        read_notebook(path)
    proc = run_cli(str(path), "-a", "derivatives-activations")
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert f"cannot read a {Path(name).suffix} file" in lines[0] and "(.ipynb)" in lines[0] and "(.py" in lines[0]


def test_notebook_json_under_another_name_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "hw.ipynb.txt"  # a browser's download of the notebook
    path.write_bytes(SEED.read_bytes())
    assert len(read_notebook(path).cells) == len(read_notebook(SEED).cells)


@pytest.mark.notebook
def test_a_py_hand_in_gets_the_same_score_as_the_same_notebook(tmp_path: Path) -> None:
    script = tmp_path / "submission.py"
    script.write_text(jupytext.writes(nbformat.read(SEED, as_version=4), fmt="py:percent"), encoding="utf-8")
    as_notebook, as_script = grade(SEED), grade(script)
    assert as_script.score == as_notebook.score == as_notebook.max_score
    assert {q: r.score for q, r in by_id(as_script).items()} == {q: r.score for q, r in by_id(as_notebook).items()}
    assert {q: r.status for q, r in by_id(as_script).items()} == {q: r.status for q, r in by_id(as_notebook).items()}
