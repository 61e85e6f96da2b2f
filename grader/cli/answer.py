"""Check one LaTeX answer the way the grader would, from the shell.

Either give the expected expression (sympy syntax) or point at a symbolic
question of an assignment, whose expected answer, definitions, aliases,
conventions, required form and known mistakes are then used.

examples:
  grade answer --expected "9*x**2 - 4*x + 5" "f'(x) = 9x^2 - 4x + 5"
  grade answer --expected "sigma(x)*(1 - sigma(x))" --define "sigma(x)=1/(1+exp(-x))" '\\sigma(x)(1-\\sigma(x))'
  grade answer -a derivatives-activations -q bce_derivative_symbolic '$-\\frac{y}{\\hat y} + \\frac{1-y}{1-\\hat y}$'
  echo '$$\\tanh^2(x)$$' | grade answer --expected "tanh(x)**2" -

exit codes: 0 correct, 1 not correct (wrong, wrong form, known mistake, unparsed,
no answer or undecided), 2 unusable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from grader.errors import GraderInputError
from grader.kinds import load_assignment
from grader.kinds.symbolic import SymbolicQuestion
from grader.spec.find import resolve_assignment
from grader.symbolic import check_answer


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("latex", help="the answer: LaTeX or markdown with $...$ math; '-' reads it from stdin")
    p.add_argument("-e", "--expected", metavar="SYMPY", help="expected answer in sympy syntax, e.g. 'sigma(x)*(1-sigma(x))'")
    p.add_argument("-d", "--define", action="append", default=[], metavar="CALL=SYMPY",
                   help="a definition the answer may use, e.g. 'sigma(x)=1/(1+exp(-x))' (repeatable)")
    p.add_argument("-t", "--target", metavar="LATEX", help="the quantity asked for, e.g. '\\frac{\\partial L}{\\partial \\hat y}'")
    p.add_argument("--alias", action="append", default=[], metavar="NAME=ALIAS,...",
                   help="names that mean the same symbol, e.g. 'y_pred=y_hat,p' (repeatable)")
    p.add_argument("-a", "--assignment", metavar="ID|PATH", help="take the question's settings from this assignment")
    p.add_argument("-q", "--question", metavar="ID", help="the symbolic question's id (with --assignment)")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS", help="time limit for the check (default 2)")
    p.add_argument("--steps", action="store_true",
                   help="also print the derivation's steps, each marked ✓ (follows), ✗ (does not) or ? (undecided)")
    p.add_argument("-f", "--format", choices=["text", "json"], default="text", help="output format (default: text)")


_MARKS = {True: "✓", False: "✗", None: "?"}


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise GraderInputError(f"{flag} {item!r}: expected NAME=VALUE")
        out[key.strip()] = value.strip()
    return out


def _question_settings(args: argparse.Namespace) -> dict[str, Any]:
    if not args.question:
        raise GraderInputError("--assignment needs --question ID (a symbolic question)")
    assignment = load_assignment(resolve_assignment(args.assignment))
    symbolic = {q.id: q for q in assignment.questions if isinstance(q, SymbolicQuestion)}
    q = symbolic.get(args.question)
    if q is None:
        raise GraderInputError(f"{assignment.id} has no symbolic question {args.question!r}; "
                               f"its symbolic questions: {', '.join(symbolic) or 'none'}")
    return {"expected": q.expected, **q.settings(), "timeout": q.timeout}


def run(args: argparse.Namespace) -> int:
    if args.assignment:
        settings = _question_settings(args)
    elif args.question:
        raise GraderInputError("--question needs --assignment ID|PATH")
    elif not args.expected:
        raise GraderInputError("give --expected SYMPY, or --assignment and --question")
    else:
        settings = {"expected": args.expected, "timeout": 2.0}
    if args.expected:
        settings["expected"] = args.expected
    if args.define:
        settings["definitions"] = {**(settings.get("definitions") or {}), **_pairs(args.define, "--define")}
    if args.alias:
        aliases = {k: [a.strip() for a in v.split(",") if a.strip()] for k, v in _pairs(args.alias, "--alias").items()}
        settings["aliases"] = {**(settings.get("aliases") or {}), **aliases}
    if args.target:
        settings["target"] = args.target
    if args.timeout is not None:
        if args.timeout <= 0:
            raise GraderInputError("--timeout must be positive")
        settings["timeout"] = args.timeout
    latex = sys.stdin.read() if args.latex == "-" else args.latex
    expected = settings.pop("expected")
    try:
        res = check_answer(latex, expected, **settings)
    except ValueError as e:  # the expected answer or a definition is not valid sympy: the caller's input
        raise GraderInputError(f"--expected/--define: {e}") from None
    if args.format == "json":
        print(json.dumps({"status": res.status, "equivalent": res.equivalent, "feedback": res.feedback,
                          "read": res.answer_latex, "parsed": res.parsed, "mistake": res.mistake,
                          "needs_review": res.needs_review, "first_wrong": res.first_wrong,
                          "steps": [{"latex": s.latex, "valid": s.valid, "note": s.note} for s in res.steps]},
                         ensure_ascii=False))
    else:
        print(f"{res.status}: {res.feedback}" if res.feedback else res.status)
        if res.parsed:
            print(f"  read:   {res.answer_latex}\n  parsed: {res.parsed}")
        if args.steps:
            print(f"  steps ({len(res.steps)}):")
            for k, step in enumerate(res.steps):
                mark = _MARKS[step.valid]
                note = f"   ({step.note})" if step.note else ""
                print(f"    {mark} {k}  {step.latex}{note}")
    return 0 if res.status == "correct" else 1
