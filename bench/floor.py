"""The floor: run a notebook with nbclient alone in a fresh kernel (nothing checked, nothing written).

Same call as ../shared/peers-bench/exec_nb.py, kept here so the benchmark runs
on a fresh clone. usage: python bench/floor.py NOTEBOOK [NOTEBOOK ...]
"""

import os
import sys

import nbformat
from nbclient import NotebookClient


def main(paths: list[str]) -> None:
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=True,
                       resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}}).execute()


if __name__ == "__main__":
    main(sys.argv[1:])
