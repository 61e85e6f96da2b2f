"""Check assignment files before students meet them: schema, rubric, references and probes.

Every question is prepared as for grading (probe inputs drawn, torch references computed,
expected LaTeX answers parsed), so a typo in a reference expression shows up here, not in
the middle of a batch.

examples:
  grade validate assignments/derivatives-activations.yaml
  grade validate assignments/*.yaml

exit codes: 0 all valid, 2 something to fix (one line per problem).
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("assignments", nargs="+", metavar="ID|PATH", help="assignment ids or YAML files")


def run(args: argparse.Namespace) -> int:
    from ..assignments import resolve_assignment, rubric_for
    from ..checks import get_kind
    from ..errors import GraderInputError
    from ..spec import load_assignment

    problems = 0
    for ref in args.assignments:
        try:
            a = load_assignment(resolve_assignment(ref))
            rubric = rubric_for(a)  # validated against the assignment's question ids
            for q in a.questions:
                kind = get_kind(q.kind)
                try:
                    kind.prepare(q, a)  # every kind checks its author-side inputs here
                except GraderInputError as e:
                    raise GraderInputError(f"{a.path}: {e}".splitlines()[0]) from None
                except Exception as e:  # noqa: BLE001 - a kind that failed unexpectedly: still one line
                    raise GraderInputError(f"{a.path}: question {q.id}: {type(e).__name__}: {e}".splitlines()[0]) from None
        except GraderInputError as e:
            problems += 1
            print(f"grade: error: {e}", file=sys.stderr)
            continue
        points = sum(rubric.for_question(q.id).points or q.points for q in a.questions)
        print(f"ok  {a.id}: {len(a.questions)} questions, {points:g} points ({a.path})")
    return 2 if problems else 0
