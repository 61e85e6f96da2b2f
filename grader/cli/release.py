"""Write the students' starter notebook for an assignment, from its YAML.

The starter has the assignment's intro and set-up cell, each question's prompt, a stub per
function or class (raising NotImplementedError) and a tagged markdown cell per written answer,
and names its assignment in its metadata so `grade starter.ipynb` needs no flags.

examples:
  grade release activations -o activations.ipynb
  grade release assignments/optimizers.yaml > optimizers.ipynb

exit codes: 0 written, 2 unusable assignment.
"""

from __future__ import annotations

import argparse

from grader.cli.options import output_file
from grader.cli.output import write_output
from grader.kinds import load_assignment
from grader.spec.find import resolve_assignment
from grader.workflows.release import starter_text


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("assignment", metavar="ID|PATH", help="a bundled assignment id or a YAML file")
    p.add_argument("-o", "--output", metavar="FILE", help="write the notebook here (default: stdout)")
    p.add_argument("--mkdir", action="store_true", help="create the missing folders of -o")


def run(args: argparse.Namespace) -> int:
    output_file(args.output, mkdir=args.mkdir)
    assignment = load_assignment(resolve_assignment(args.assignment))
    write_output(starter_text(assignment), args.output)
    return 0
