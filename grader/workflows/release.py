"""`grade release`: the students' starter notebook as a file, written from the assignment's YAML."""

from __future__ import annotations

import nbformat

from grader.kinds.starter import starter_notebook
from grader.spec.models import Assignment


def starter_text(assignment: Assignment) -> str:
    """The starter as .ipynb text (stable cell ids: releasing twice gives the same file)."""
    return nbformat.writes(starter_notebook(assignment)) + "\n"
