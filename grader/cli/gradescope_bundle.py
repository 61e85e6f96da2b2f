"""Build a Gradescope autograder zip for an assignment.

Upload the zip as the assignment's "Autograder" (Ubuntu base image). Each submission's
notebook is graded and the results shown to the student test by test.

examples:
  grade gradescope-bundle derivatives-activations -o autograder.zip
"""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("assignment", metavar="ID|PATH", help="assignment id (bundled) or YAML path")
    p.add_argument("-o", "--output", default="autograder.zip", metavar="FILE", help="default: autograder.zip")


def run(args: argparse.Namespace) -> int:
    import sys

    from ..assignments import resolve_assignment, rubric_for
    from ..gradescope_bundle import build_bundle
    from ..spec import load_assignment
    from .output import write_output

    assignment = load_assignment(resolve_assignment(args.assignment))
    rubric = rubric_for(assignment)
    data = build_bundle(assignment, rubric.path)
    write_output(data, args.output)
    print(f"wrote {args.output} ({len(data) // 1024} KiB) for {assignment.id}", file=sys.stderr)
    return 0
