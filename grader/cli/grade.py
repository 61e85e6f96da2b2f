"""Grade one notebook and print a report.

examples:
  grade submission.ipynb
  grade submission.ipynb --assignment derivatives-activations --format json -o result.json
  grade submission.ipynb --format gradescope -o /autograder/results/results.json
"""

from __future__ import annotations

import argparse
import json
import sys

from grader.cli.limits import add_limit_arguments, limits_from
from grader.cli.output import write_output
from grader.errors import NotGraded
from grader.grading.pipeline import grade_notebook
from grader.kinds import load_assignment
from grader.report import formats, render
from grader.spec.find import resolve_assignment


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("notebook", help="the submitted .ipynb notebook")
    p.add_argument("-a", "--assignment", metavar="ID|PATH",
                   help="assignment id (bundled) or YAML path; default: from the notebook's metadata or by matching")
    p.add_argument("-f", "--format", choices=formats(), default="text", help="report format (default: text)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    add_limit_arguments(p)
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto", help="colour in the text report")


def run(args: argparse.Namespace) -> int:
    limits = limits_from(args)
    assignment = load_assignment(resolve_assignment(args.assignment)) if args.assignment else None
    try:
        result = grade_notebook(args.notebook, assignment, limits=limits)
    except NotGraded as e:
        if args.format == "json":  # a report a pipeline can read: no score, and why
            write_output(json.dumps({"notebook": args.notebook, "status": "not_graded", "score": None,
                                     "max_score": None, "needs_review": True, "reason": e.reason}, indent=2) + "\n",
                         args.output)
        raise
    if args.format != "text" and result.assignment_source != "given":
        print(f"grade: assignment {result.assignment} chosen {result.assignment_source}", file=sys.stderr)
    to_terminal = not args.output and sys.stdout.isatty()
    color = args.color == "always" or (args.color == "auto" and to_terminal)
    write_output(render(result, args.format, color=color), args.output)
    return 0
