"""The starter notebook students receive, written from the assignment's YAML.

Each question kind contributes its own cells (a code stub, a class skeleton, a tagged markdown
answer cell) through `starter_cells`; this module adds the title, intro, set-up cell and the
metadata that lets `grade` find the assignment without flags.
"""

from __future__ import annotations

import nbformat

from grader.kinds.registry import get_kind
from grader.spec.models import Assignment


def starter_notebook(assignment: Assignment) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    head = f"# {assignment.title}"
    if assignment.release.intro.strip():
        head += "\n\n" + assignment.release.intro.strip()
    cells = [nbformat.v4.new_markdown_cell(head)]
    if assignment.release.setup.strip():
        cells.append(nbformat.v4.new_code_cell(assignment.release.setup.strip()))
    for q in assignment.questions:
        for c in get_kind(q.kind).starter_cells(q):
            meta = {"tags": c.tags} if c.tags else {}
            new = nbformat.v4.new_code_cell if c.kind == "code" else nbformat.v4.new_markdown_cell
            cells.append(new(c.source, metadata=meta))
    for i, c in enumerate(cells):
        c["id"] = f"{assignment.id}-{i:02d}"[:64]  # stable ids: releasing twice gives the same file
    nb.cells = cells
    nb.metadata["grader"] = {"assignment": assignment.id}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    return nb
