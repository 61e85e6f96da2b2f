"""Build the starter notebook students receive from the solved one.

Solutions are replaced by placeholders; answer cells get the tags the
assignment looks for, and the notebook names its assignment in metadata so
`grade` needs no flags. Run: python tools/make_starter.py
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLVED = ROOT / "examples" / "derivatives_activations_solved.ipynb"
STARTER = ROOT / "examples" / "derivatives_activations_starter.ipynb"

# markdown answer cells, in order, with the tag each gets
ANSWER_TAGS = ["f_prime_symbolic", "sigmoid_derivative_symbolic", "relu_derivative_symbolic", "bce_derivative_symbolic"]
PLACEHOLDER_MD = "YOUR ANSWER HERE (write your derivation in LaTeX math)"


def _stub(source: str) -> str:
    """Keep imports and plotting; blank every function body."""
    out = re.sub(r"(def \w+\(.*?\):\n)((?:    .*\n?|\s*\n)+)",
                 lambda m: m.group(1) + "    # YOUR CODE HERE\n    raise NotImplementedError\n\n", source)
    return out.rstrip() + "\n"


def main() -> None:
    nb = nbformat.read(SOLVED, as_version=4)
    answers = iter(ANSWER_TAGS)
    cells = []
    after_prompt = False
    for cell in nb.cells:
        if cell.cell_type == "markdown" and after_prompt:
            tag = next(answers)
            cell = nbformat.v4.new_markdown_cell(PLACEHOLDER_MD, metadata={"tags": [tag]})
        elif cell.cell_type == "code" and "def " in cell.source:
            cell = nbformat.v4.new_code_cell(_stub(cell.source))
        after_prompt = cell.cell_type == "markdown" and "Your Solution" in cell.source and "Exercise 2" not in cell.source \
            and "Implement" not in cell.source
        cells.append(cell)
    nb.cells = cells
    nb.metadata["grader"] = {"assignment": "derivatives-activations"}
    for c in nb.cells:
        if c.cell_type == "code":
            c.update(outputs=[], execution_count=None)
    nbformat.validate(nb)
    nbformat.write(nb, STARTER)


if __name__ == "__main__":
    main()
