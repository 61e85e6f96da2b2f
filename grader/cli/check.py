"""Check your notebook before you submit: runs the assignment's public checks only.

Hidden checks are not run and not shown, so passing here does not guarantee full marks.

examples:
  grade check ex02.ipynb
  grade check ex02.ipynb --assignment derivatives-activations

exit codes: 0 every public check passed, 1 some did not, 2 unusable input.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("notebook", help="your notebook")
    p.add_argument("-a", "--assignment", metavar="ID|PATH", help="default: from the notebook's metadata or by matching")


def run(args: argparse.Namespace) -> int:
    from ..assignments import choose_assignment, resolve_assignment, rubric_for
    from ..notebook import read_notebook
    from ..pipeline import grade_notebook
    from ..results import PASSED
    from ..selfcheck import public_view
    from ..spec import load_assignment

    if args.assignment:
        full = load_assignment(resolve_assignment(args.assignment))
    else:
        full = load_assignment(choose_assignment(read_notebook(args.notebook))[0])
    view = public_view(full)
    result = grade_notebook(args.notebook, view.assignment, rubric_for(full))
    ok = 0
    for q in result.questions:
        good = q.status == PASSED and q.score == q.max_score
        ok += good
        print(f"{'✓' if good else '✗'} {q.title or q.id}")
        if not good and q.feedback:
            for line in q.feedback.splitlines():
                print(f"    {line}")
    total = len(result.questions)
    print(f"\n{ok} of {total} questions pass their public checks.")
    hidden = view.hidden_checks
    if hidden:
        print(f"Only public checks ran: {hidden} hidden check{'s' if hidden != 1 else ''} "
              f"{'were' if hidden != 1 else 'was'} not run, so your final grade may be lower.")
    else:
        print("This assignment has no hidden checks; your grader may still review written answers.")
    sys.stdout.flush()
    return 0 if ok == total else 1
