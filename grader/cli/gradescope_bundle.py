"""Build a Gradescope autograder zip for an assignment.

Upload the zip as the assignment's "Autograder" (Ubuntu base image). Each submission's
notebook is graded and the results shown to the student test by test. The zip is
self-contained: the assignment (with `extends` flattened), its rubric, starter and reference
files travel in it.

examples:
  grade gradescope-bundle derivatives-activations -o autograder.zip
"""

from __future__ import annotations

import argparse
import sys

from grader.cli.options import output_file
from grader.cli.output import write_output
from grader.kinds import open_bundle
from grader.workflows.gradescope import build_bundle


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("assignment", metavar="ID|PATH", help="assignment id (bundled) or YAML path")
    p.add_argument("-o", "--output", default="autograder.zip", metavar="FILE", help="default: autograder.zip")
    p.add_argument("--mkdir", action="store_true", help="create the missing folders of -o")


def run(args: argparse.Namespace) -> int:
    output_file(args.output, mkdir=args.mkdir)
    bundle = open_bundle(args.assignment)
    data = build_bundle(bundle)
    write_output(data, args.output)
    print(f"wrote {args.output} ({len(data) // 1024} KiB) for {bundle.assignment.id}", file=sys.stderr)
    return 0
