"""Check your notebook before you submit: runs the assignment's public checks only.

Hidden checks are not run and not shown, so passing here does not guarantee full marks.
From inside the notebook itself: `from grader import check_notebook; check_notebook()`.

examples:
  grade check ex02.ipynb
  grade check ex02.ipynb --assignment derivatives-activations

exit codes: 0 every public check passed, 1 some did not, 2 unusable input.
"""

from __future__ import annotations

import argparse
import sys

from grader.kinds import load_assignment
from grader.spec.find import resolve_assignment
from grader.workflows.selfcheck import self_check


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("notebook", help="your notebook")
    p.add_argument("-a", "--assignment", metavar="ID|PATH", help="default: from the notebook's metadata or by matching")


def run(args: argparse.Namespace) -> int:
    assignment = load_assignment(resolve_assignment(args.assignment)) if args.assignment else None
    report = self_check(args.notebook, assignment)
    print(report.text())
    sys.stdout.flush()
    return 0 if report.ok else 1
