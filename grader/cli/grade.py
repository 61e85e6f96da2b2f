"""Grade one notebook and print a report.

examples:
  grade submission.ipynb
  grade submission.ipynb --assignment derivatives-activations --format json -o result.json
  grade submission.ipynb --format gradescope -o /autograder/results/results.json
"""

from __future__ import annotations

import argparse
import sys

from ..execute import Limits


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..report import formats

    p.add_argument("notebook", help="the submitted .ipynb notebook")
    p.add_argument("-a", "--assignment", metavar="ID|PATH",
                   help="assignment id (bundled) or YAML path; default: from the notebook's metadata or by matching")
    p.add_argument("-f", "--format", choices=formats(), default="text", help="report format (default: text)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--cell-timeout", type=float, default=Limits.cell_timeout, metavar="SECONDS",
                   help=f"time limit per cell (default {Limits.cell_timeout:g})")
    p.add_argument("--timeout", type=float, default=Limits.timeout, metavar="SECONDS",
                   help=f"time limit for the whole notebook (default {Limits.timeout:g})")
    p.add_argument("--memory-limit", type=float, default=Limits.memory / 1024 ** 3, metavar="GIB",
                   help=f"address-space limit of the student's kernel in GiB (default {Limits.memory / 1024 ** 3:g})")
    p.add_argument("--no-sandbox", action="store_true",
                   help="do not use bubblewrap even when it is installed (limits and scratch directory still apply)")
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto", help="colour in the text report")


def run(args: argparse.Namespace) -> int:
    from ..assignments import resolve_assignment
    from ..errors import GraderInputError
    from ..pipeline import grade_notebook
    from ..report import render
    from ..spec import load_assignment
    from .output import write_output

    if args.cell_timeout <= 0 or args.timeout <= 0:
        raise GraderInputError("--cell-timeout and --timeout must be positive")
    assignment = load_assignment(resolve_assignment(args.assignment)) if args.assignment else None
    if args.memory_limit < 1:
        raise GraderInputError("--memory-limit must be at least 1 GiB (importing torch needs about 1.5)")
    limits = Limits(cell_timeout=args.cell_timeout, timeout=args.timeout, memory=int(args.memory_limit * 1024 ** 3),
                    sandbox=not args.no_sandbox)
    result = grade_notebook(args.notebook, assignment, limits=limits)
    if args.format != "text" and result.assignment_source != "given":
        print(f"grade: assignment {result.assignment} chosen {result.assignment_source}", file=sys.stderr)
    to_terminal = not args.output and sys.stdout.isatty()
    color = args.color == "always" or (args.color == "auto" and to_terminal)
    write_output(render(result, args.format, color=color), args.output)
    return 0
