"""Gate a course repo's CI on its notebooks' grades.

Without NOTEBOOKs the notebooks come from the repo's configuration (grader.yml, or
[tool.grader] in pyproject.toml, found from the current folder upwards, or --config).
Writes JUnit XML with --junit, a Markdown summary to $GITHUB_STEP_SUMMARY when set, and
GitHub annotations for questions that lost points when running in GitHub Actions.

examples:
  grade ci                                   # uses ./grader.yml
  grade ci ex02.ipynb -a derivatives-activations --min-score 0.8 --junit results.xml
  grade ci -f json -f markdown -o reports/         # also each notebook's report, per format

exit codes: 0 every notebook reached its minimum score, 1 some did not, 2 broken configuration.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from grader.cli.limits import limits_from
from grader.cli.options import (
    add_grading_arguments,
    output_file,
    output_folder,
    report_name,
    use_color,
)
from grader.cli.output import write_output
from grader.errors import GraderInputError
from grader.files import write_atomic
from grader.grading.pipeline import grade_notebook
from grader.kinds import load_assignment
from grader.report import render
from grader.spec.find import resolve_assignment
from grader.workflows.batch.discover import safe_file_stem
from grader.workflows.ci import Target, annotations, find_config, junit_report, load_config, passed, shown, step_summary


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="notebooks to grade (default: from the config)")
    add_grading_arguments(p, assignment_help="assignment for the NOTEBOOKs given on the command line",
                          output_metavar="OUTDIR",
                          output_help="also write each notebook's report to OUTDIR/<notebook>.<ext> "
                                      "(created inside a folder that exists)",
                          format_help="format of the reports in OUTDIR (repeatable; default json)",
                          format_default=None, many_formats=True)
    p.add_argument("--min-score", type=float, default=None, metavar="FRACTION",
                   help="fraction of the maximum each notebook must reach (default 1.0, or the config's)")
    p.add_argument("--config", metavar="PATH", help="grader.yml or pyproject.toml to read instead of searching")
    p.add_argument("--junit", metavar="PATH", help="write JUnit XML here")
    p.add_argument("--annotations", choices=["auto", "always", "never"], default="auto",
                   help="GitHub ::error annotations (auto: when GITHUB_ACTIONS is set)")


def _verdict(ok: bool, color: bool) -> str:
    word = "pass" if ok else "FAIL"
    return f"\x1b[{32 if ok else 31}m{word}\x1b[0m" if color else word


def _report_stem(notebook: Path) -> str:
    """One file name per notebook, however deep it sits: ex02/derivatives.ipynb -> ex02_derivatives."""
    return safe_file_stem(Path(shown(notebook)).with_suffix("").as_posix().lstrip("/").replace("/", "_"))


def run(args: argparse.Namespace) -> int:
    if args.min_score is not None and not 0 <= args.min_score <= 1:
        raise GraderInputError("--min-score must be a fraction between 0 and 1")
    limits = limits_from(args)
    if args.format and not args.output:
        raise GraderInputError("-f/--format needs -o OUTDIR: the reports are written there, one file per notebook")
    out = output_folder(args.output, mkdir=args.mkdir) if args.output else None
    output_file(args.junit, "--junit", mkdir=True)  # as before --mkdir existed: CI workflows rely on it
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
    color = use_color(args.color, sys.stdout.isatty())
    for t in targets:
        result = grade_notebook(t.notebook, specs[t.assignment], limits=limits)
        pairs.append((t, result))
        if out is not None:
            for fmt in dict.fromkeys(args.format or ["json"]):
                write_atomic(out / report_name(_report_stem(t.notebook), fmt), render(result, fmt))
        if not args.quiet:
            print(f"{_verdict(passed(result, t), color)}  {shown(t.notebook)}: "
                  f"{float(result.score):g}/{float(result.max_score):g} (needs {t.min_score:.0%})")
    show = args.annotations == "always" or (args.annotations == "auto" and os.environ.get("GITHUB_ACTIONS") == "true")
    if show:
        for t, r in pairs:
            for line in annotations(r, t):
                print(line)
    if args.junit:
        write_output(junit_report(pairs), args.junit, "--junit")  # repo-relative file= paths
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(step_summary(pairs))
    sys.stdout.flush()
    return 0 if all(passed(r, t) for t, r in pairs) else 1
