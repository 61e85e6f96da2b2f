"""Write an assignment spec (YAML + rubric) from a course's blank notebook and its staff solution.

The functions the blank leaves as stubs become code questions compared with the solution's own
functions, on inputs like those the solution notebook itself passes them (recorded in one sandboxed
run); empty answer cells the solution answers in LaTeX become written questions. The spec is then
proved as `grade validate` proves it; a question that fails is left out, with the reason in the YAML.

examples:
  grade init ex02_blank.ipynb ex02_solution.ipynb -o assignments --id ex02
  grade validate assignments/ex02.yaml && grade batch submissions/ -a assignments/ex02.yaml -o out
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.cli.limits import add_limit_arguments, limits_from
from grader.workflows.scaffold import default_id, scaffold


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("blank", type=Path, metavar="BLANK", help="the notebook students receive (.ipynb or .py)")
    p.add_argument("solution", type=Path, metavar="SOLUTION", help="the staff solution of the same notebook")
    p.add_argument("-o", "--output", type=Path, default=Path("."), metavar="DIR",
                   help="folder to write ID.yaml and ID.rubric.yaml into (must exist; default: .)")
    p.add_argument("--id", dest="aid", metavar="ID", help="the assignment's id (default: from BLANK's file name)")
    p.add_argument("--force", action="store_true", help="overwrite ID.yaml and ID.rubric.yaml if they exist")
    p.add_argument("--no-verify", action="store_true",
                   help="write the spec without proving it (no grading of the solution and the blank)")
    add_limit_arguments(p)


def run(args: argparse.Namespace) -> int:
    aid = args.aid or default_id(args.blank)
    result = scaffold(args.blank, args.solution, args.output, aid, limits=limits_from(args),
                      overwrite=args.force, verify=not args.no_verify)
    out = sys.stdout
    print(f"wrote {result.assignment} ({len(result.code)} code question{'s' * (len(result.code) != 1)}, "
          f"{len(result.written)} written) and {result.rubric}", file=out)
    if result.solution_score:
        print(f"validated: the solution scores {result.solution_score}, the blank {result.starter_score}", file=out)
    for line in result.left_out:
        print(f"left out: {line}", file=out)
    print(f"next: edit {result.assignment}, then `grade validate {result.assignment}`", file=out)
    return 0
