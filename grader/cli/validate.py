"""Prove assignment files before students meet them.

Checks the schema and rubric and prepares every question as for grading (probe inputs drawn,
torch references computed, expected LaTeX answers parsed), so a typo in a reference shows up
here, not in the middle of a batch. Then, unless --no-run, grades the assignment's solution
notebook (it must get full marks) and its released starter (it must score zero, with no
grader error).

examples:
  grade validate activations
  grade validate assignments/*.yaml
  grade validate --no-run assignments/losses.yaml

exit codes: 0 all valid, 2 something to fix (one line per problem).
"""

from __future__ import annotations

import argparse
import sys

from grader.cli.limits import add_limit_arguments, limits_from
from grader.errors import GraderInputError
from grader.kinds import open_bundle
from grader.results import as_number
from grader.workflows.validate import check_files, prove


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("assignments", nargs="+", metavar="ID|PATH", help="assignment ids or YAML files")
    p.add_argument("--no-run", action="store_true", help="check the files only; do not grade the solution and starter")
    add_limit_arguments(p)


def run(args: argparse.Namespace) -> int:
    problems = 0
    for ref in args.assignments:
        try:
            bundle = open_bundle(ref)
            a = bundle.assignment
            rubric = check_files(bundle, limits_from(args))
            proof = None if args.no_run else prove(bundle, limits_from(args))
        except GraderInputError as e:
            problems += 1
            print(f"grade: error: {e}", file=sys.stderr)
            continue
        for p in proof.problems if proof else []:
            print(f"grade: error: {a.path}: {p}", file=sys.stderr)
        problems += bool(proof and proof.problems)
        points = sum(rubric.for_question(q.id).points or q.points for q in a.questions)
        line = f"{a.id}: {len(a.questions)} questions, {points:g} points ({a.path})"
        if proof:
            if proof.solution:
                line += f"; solution {as_number(proof.solution[0])}/{as_number(proof.solution[1])}"
            else:
                line += "; no solution notebook named"
            line += f"; starter {as_number(proof.starter[0])}/{as_number(proof.starter[1])}"
        print(("FAIL" if proof and proof.problems else "ok  ") + f" {line}")
    return 2 if problems else 0
