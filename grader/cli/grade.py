"""Grade one notebook and print a report.

NOTEBOOK may be `-`: the notebook is read from stdin and the report names it "<stdin>".

examples:
  grade submission.ipynb
  grade submission.ipynb --assignment derivatives-activations --format json -o result.json
  grade submission.ipynb --format gradescope -o /autograder/results/results.json
  curl -s https://example.org/ex02.ipynb | grade - -a derivatives-activations
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

from grader.cli.limits import limits_from
from grader.cli.options import add_grading_arguments, output_file, use_color
from grader.cli.output import write_output
from grader.errors import GraderInputError, NotGraded
from grader.grading.pipeline import grade_notebook
from grader.kernel.limits import Limits
from grader.kinds import load_assignment
from grader.report import render
from grader.report.text import terminal_width
from grader.results import GradeResult
from grader.spec.find import resolve_assignment
from grader.spec.models import Assignment

STDIN_NAME = "<stdin>"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("notebook", help="the submitted .ipynb notebook, or - to read it from stdin")
    add_grading_arguments(p)


def _grade_stdin(assignment: Assignment | None, limits: Limits) -> GradeResult:
    """Grade a notebook piped in: it is saved to a private temporary file, and every message that
    would name that file names "<stdin>" instead."""
    if sys.stdin.isatty():
        raise GraderInputError("grade -: stdin is a terminal; pipe a notebook in (grade - < submission.ipynb)")
    data = sys.stdin.buffer.read()
    with tempfile.TemporaryDirectory(prefix="grade-stdin-") as tmp:
        path = Path(tmp) / "stdin.ipynb"
        path.write_bytes(data)
        try:
            result = grade_notebook(path, assignment, limits=limits)
        except GraderInputError as e:
            raise type(e)(str(e).replace(str(path), STDIN_NAME)) from None
    return dataclasses.replace(result, notebook=STDIN_NAME)


def run(args: argparse.Namespace) -> int:
    limits = limits_from(args)
    output_file(args.output, mkdir=args.mkdir)
    assignment = load_assignment(resolve_assignment(args.assignment)) if args.assignment else None
    name = STDIN_NAME if args.notebook == "-" else args.notebook
    try:
        result = (_grade_stdin(assignment, limits) if args.notebook == "-"
                  else grade_notebook(args.notebook, assignment, limits=limits))
    except NotGraded as e:
        if args.format == "json":  # a report a pipeline can read: no score, and why
            write_output(json.dumps({"notebook": name, "status": "not_graded", "score": None,
                                     "max_score": None, "needs_review": True, "reason": e.reason}, indent=2) + "\n",
                         args.output)
        raise
    if args.format != "text" and result.assignment_source != "given" and not args.quiet:
        print(f"grade: assignment {result.assignment} chosen {result.assignment_source}", file=sys.stderr)
    to_terminal = args.output in (None, "-") and sys.stdout.isatty()
    color = use_color(args.color, to_terminal)
    width = terminal_width(sys.stdout) if to_terminal else None  # wrapped on a terminal only, never when piped
    write_output(render(result, args.format, color=color, width=width), args.output)
    return 0
