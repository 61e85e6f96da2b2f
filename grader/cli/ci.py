"""Gate a course repo's CI on its notebooks' grades.

Without NOTEBOOKs the notebooks come from the repo's configuration (grader.yml, or
[tool.grader] in pyproject.toml, found from the current folder upwards, or --config).
Writes JUnit XML with --junit, a Markdown summary to $GITHUB_STEP_SUMMARY when set, and
GitHub annotations for questions that lost points when running in GitHub Actions.

examples:
  grade ci                                   # uses ./grader.yml
  grade ci ex02.ipynb -a derivatives-activations --min-score 0.8 --junit results.xml

exit codes: 0 every notebook reached its minimum score, 1 some did not, 2 broken configuration.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from grader.cli.output import write_output
from grader.errors import GraderInputError
from grader.grading.pipeline import grade_notebook
from grader.kinds import load_assignment
from grader.report.junit import junit_xml
from grader.spec.find import resolve_assignment
from grader.workflows.ci import (
    Target,
    annotations,
    find_config,
    load_config,
    passed,
    shown,
    step_summary,
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="notebooks to grade (default: from the config)")
    p.add_argument("-a", "--assignment", metavar="ID|PATH", help="assignment for the NOTEBOOKs given on the command line")
    p.add_argument("--min-score", type=float, default=None, metavar="FRACTION",
                   help="fraction of the maximum each notebook must reach (default 1.0, or the config's)")
    p.add_argument("--config", metavar="PATH", help="grader.yml or pyproject.toml to read instead of searching")
    p.add_argument("--junit", metavar="PATH", help="write JUnit XML here")
    p.add_argument("--annotations", choices=["auto", "always", "never"], default="auto",
                   help="GitHub ::error annotations (auto: when GITHUB_ACTIONS is set)")


def run(args: argparse.Namespace) -> int:
    if args.min_score is not None and not 0 <= args.min_score <= 1:
        raise GraderInputError("--min-score must be a fraction between 0 and 1")
    if args.notebooks:
        if not args.assignment:
            raise GraderInputError("notebooks on the command line need --assignment ID|PATH")
        targets = [Target(Path(n), args.assignment, 1.0 if args.min_score is None else args.min_score)
                   for n in args.notebooks]
    else:
        cfg = Path(args.config) if args.config else find_config(Path.cwd())
        if cfg is None:
            raise GraderInputError("no notebooks given and no grader.yml or [tool.grader] in pyproject.toml found")
        if not cfg.is_file():
            raise GraderInputError(f"--config {cfg}: no such file")
        targets = load_config(cfg)
        if args.min_score is not None:
            for t in targets:
                t.min_score = args.min_score
    specs = {t.assignment: load_assignment(resolve_assignment(t.assignment)) for t in targets}
    for t in targets:
        if not t.notebook.is_file():
            raise GraderInputError(f"{t.notebook}: notebook not found")
    pairs = []
    for t in targets:
        result = grade_notebook(t.notebook, specs[t.assignment])
        pairs.append((t, result))
        verdict = "pass" if passed(result, t) else "FAIL"
        print(f"{verdict}  {shown(t.notebook)}: {float(result.score):g}/{float(result.max_score):g} "
              f"(needs {t.min_score:.0%})")
    show = args.annotations == "always" or (args.annotations == "auto" and os.environ.get("GITHUB_ACTIONS") == "true")
    if show:
        for t, r in pairs:
            for line in annotations(r, t):
                print(line)
    if args.junit:
        write_output(junit_xml([r for _, r in pairs]), args.junit)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(step_summary(pairs))
    sys.stdout.flush()
    return 0 if all(passed(r, t) for t, r in pairs) else 1
