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
    import os
    import sys
    import tempfile
    from pathlib import Path

    from ..assignments import resolve_assignment, rubric_for
    from ..gradescope_bundle import build_bundle
    from ..spec import load_assignment

    assignment = load_assignment(resolve_assignment(args.assignment))
    rubric = rubric_for(assignment)
    data = build_bundle(assignment, rubric.path)
    target = Path(args.output)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, target)
    print(f"wrote {target} ({len(data) // 1024} KiB) for {assignment.id}", file=sys.stderr)
    return 0
