"""The `grade` command. Verbs are thin modules over the library; this file only dispatches.

`grade NOTEBOOK` is short for `grade grade NOTEBOOK`.
Exit codes: 0 graded (whatever the score), 2 unusable input, 3 the grader itself failed, 130 interrupted
(Ctrl-C), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from grader.errors import GraderInputError, NotGraded
from grader.interrupt import Interrupted
from grader.spec.folders import use_course_assignments
from grader.version import __version__

# verb -> module under grader.cli exposing add_arguments(parser) and run(args) -> int
VERBS: dict[str, tuple[str, str]] = {
    "grade": ("grade", "grade one notebook (the default verb)"),
    "batch": ("batch", "grade a folder or zip of submissions into a gradebook (resumable)"),
    "check": ("check", "students: run an assignment's public checks before submitting"),
    "ci": ("ci", "gate a course repo's CI on its notebooks' grades (JUnit, GitHub summary)"),
    "gradescope-bundle": ("gradescope_bundle", "build a Gradescope autograder zip for an assignment"),
    "init": ("init", "write an assignment spec from a course's blank notebook and its solution"),
    "validate": ("validate", "prove an assignment: files valid, solution full marks, starter zero"),
    "release": ("release", "write the students' starter notebook from an assignment's YAML"),
    "answer": ("answer", "check a LaTeX answer against an expected expression"),
    "schema": ("schema", "print the JSON Schema of assignment YAML, or the spec reference (docs/spec.md)"),
    "serve": ("serve", "serve a gradebook: submissions, staff review and overrides, student feedback pages"),
}

EXIT_OK, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 2, 3, 130


def _top_help() -> str:
    lines = ["usage: grade NOTEBOOK [options]", "       grade VERB [options]", "",
             "Autograder for deep-learning notebooks.", "", "verbs:"]
    width = max(map(len, VERBS)) + 2
    lines += [f"  {v:<{width}}{h}" for v, (_, h) in VERBS.items()]
    lines += ["", "Run `grade VERB --help` for a verb's options.",
              "Exit codes: 0 graded, 2 unusable input (one line on stderr), 3 grader failure."]
    return "\n".join(lines)


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line and a pointer to --help (exit 2), not argparse's usage block."""

    def __init__(self, *args: Any, verb: str, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.verb = verb

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_INPUT, f"grade: error: {message}; see `grade {self.verb} --help`\n")


def build_parser(verb: str) -> argparse.ArgumentParser:
    """The parser of one verb (its module's add_arguments, plus --assignments and --debug)."""
    module = importlib.import_module(f"{__name__}.{VERBS[verb][0]}")
    parser = _Parser(prog=f"grade {verb}" if verb != "grade" else "grade", description=module.__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter, verb=verb)
    module.add_arguments(parser)
    parser.add_argument("--assignments", dest="course_assignments", action="append", default=[], metavar="DIR",
                        help="the course's assignments folder, searched for ids before the bundled ones (repeatable; "
                             "else $GRADER_ASSIGNMENTS, then the folder a grader.yml above the current one names)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for grader failures")
    return parser


def _folder(d: str) -> str:
    if not os.path.isdir(d):
        raise GraderInputError(f"--assignments {d}: no such directory")
    return d


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_top_help())
        return EXIT_OK if argv else EXIT_INPUT
    if argv[0] == "--version":
        print(f"grade {__version__}")
        return EXIT_OK
    verb = argv.pop(0) if argv[0] in VERBS else "grade"
    module = importlib.import_module(f"{__name__}.{VERBS[verb][0]}")
    args = build_parser(verb).parse_args(argv)
    run: Callable[..., int] = module.run
    try:
        use_course_assignments(*(_folder(d) for d in args.course_assignments))
        return run(args)
    except GraderInputError as e:
        print(f"grade: error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except NotGraded as e:
        print(f"grade: not graded: the grader failed twice ({e.reason}); this is not a verdict on the notebook",
              file=sys.stderr)
        return EXIT_INTERNAL
    except Interrupted as e:
        print("grade: interrupted; nothing in flight was recorded", file=sys.stderr)
        return 128 + e.signum
    except KeyboardInterrupt:
        print("grade: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as e:  # a grader bug or a broken environment: one line unless asked for more
        if args.debug:
            raise
        print(f"grade: internal error: {type(e).__name__}: {e} (rerun with --debug for details)", file=sys.stderr)
        return EXIT_INTERNAL
