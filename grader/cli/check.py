"""Check your notebook before you submit: runs the assignment's public checks only.

Hidden checks are not run and not shown, so passing here does not guarantee full marks.
From inside the notebook itself: `from grader import check_notebook; check_notebook()`.

examples:
  grade check ex02.ipynb
  grade check ex02.ipynb --assignment derivatives-activations
  grade check ex02.ipynb --format json -o check.json     # the public checks' report in any format

exit codes: 0 every public check passed, 1 some did not, 2 unusable input.
"""

from __future__ import annotations

import argparse
import sys

from grader.cli.limits import limits_from
from grader.cli.options import add_grading_arguments, output_file, use_color
from grader.cli.output import write_output
from grader.kinds import load_assignment
from grader.report import render
from grader.spec.find import resolve_assignment
from grader.workflows.selfcheck import self_check


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("notebook", help="your notebook")
    add_grading_arguments(p, format_help="output format (text: the checklist; the others: the public checks' "
                                         "report)")


def run(args: argparse.Namespace) -> int:
    limits = limits_from(args)
    output_file(args.output, mkdir=args.mkdir)
    assignment = load_assignment(resolve_assignment(args.assignment)) if args.assignment else None
    report = self_check(args.notebook, assignment, limits)
    color = use_color(args.color, args.output in (None, "-") and sys.stdout.isatty())
    text = (report.text(color=color) + "\n" if args.format == "text"
            else render(report.result, args.format, color=color))
    write_output(text, args.output)
    return 0 if report.ok else 1
