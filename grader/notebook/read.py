"""Read a submitted notebook defensively: anything unusable becomes one clear line, not a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from grader.errors import GraderInputError

MAX_BYTES = 100 * 1024 * 1024


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    p = Path(path)
    if not p.exists():
        raise GraderInputError(f"{p}: no such file")
    if p.is_dir():
        raise GraderInputError(f"{p}: is a directory, expected a .ipynb notebook")
    size = p.stat().st_size
    if size == 0:
        raise GraderInputError(f"{p}: the file is empty; submit the saved .ipynb notebook")
    if size > MAX_BYTES:
        raise GraderInputError(f"{p}: the notebook is {size / 2**20:.0f} MiB, over the {MAX_BYTES // 2**20} MiB limit; clear its outputs and resubmit")
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise GraderInputError(f"{p}: not a notebook: the file is not UTF-8 text (byte {e.start}); submit the .ipynb file itself") from None
    return parse_notebook(text, str(p))


def parse_notebook(text: str, name: str = "notebook") -> nbformat.NotebookNode:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise GraderInputError(f"{name}: not a valid notebook: invalid JSON at line {e.lineno}, column {e.colno} ({e.msg})") from None
    if not isinstance(data, dict) or "nbformat" not in data or not ("cells" in data or "worksheets" in data):
        raise GraderInputError(f"{name}: not a Jupyter notebook (JSON without `cells` and `nbformat`)")
    major = data.get("nbformat")
    if not isinstance(major, int) or major < 3 or major > 4:
        raise GraderInputError(f"{name}: unsupported notebook format version {major!r} (expected 3 or 4)")
    try:
        nb = nbformat.reads(text, as_version=4)  # converts nbformat 3
    except Exception as e:  # nbformat raises many kinds for malformed structure
        raise GraderInputError(f"{name}: not a valid notebook: {str(e).splitlines()[0][:200]}") from None
    cells = []
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            continue  # unknown cell types are ignored, not fatal
        src = cell.get("source", "")
        cell["source"] = "".join(src) if isinstance(src, list) else str(src or "")
        cell.setdefault("metadata", nbformat.NotebookNode())
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell.setdefault("execution_count", None)
        cells.append(cell)
    nb["cells"] = cells
    return nb


def code_text(nb: nbformat.NotebookNode) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def headings(nb: nbformat.NotebookNode) -> list[str]:
    out = []
    for c in nb.cells:
        if c.cell_type == "markdown":
            out += [line.lstrip("# ").strip() for line in c.source.splitlines() if line.lstrip().startswith("#")]
    return out


def last_code_cell(nb: nbformat.NotebookNode, marker: str) -> int | None:
    """Index of the last code cell whose source contains `marker` (where a course's cell is found)."""
    hits = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and marker in c.source]
    return hits[-1] if hits else None
