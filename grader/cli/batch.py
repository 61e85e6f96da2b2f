"""Grade a class's submissions in parallel into a gradebook; rerun to resume.

PATH is a folder of notebooks (student = file name), a folder of per-student folders
(student = folder name) or a zip export from an LMS or Gradescope. Results go to
OUTDIR/gradebook.sqlite as each submission finishes; OUTDIR/grades.csv and
OUTDIR/feedback/<student>.md|.html and the class report OUTDIR/report.html are written too. Running the same command again grades
only what is new or changed (content, assignment, rubric or grader version).

examples:
  grade batch submissions/ -a derivatives-activations -o graded/
  grade batch export.zip -a assignments/derivatives-activations.yaml -o graded/ --workers 2
  grade batch submissions/ -a derivatives-activations -o graded/ --regrade

exit codes: 0 every submission has a result, 1 some could not be graded (see grades.csv), 2 unusable input.
"""

from __future__ import annotations

import argparse
import re
import sys

from grader.cli.limits import add_warm_argument, intake_from, limits_from
from grader.cli.options import (
    add_grading_arguments,
    output_folder,
    paint,
    report_name,
    use_color,
)
from grader.errors import GraderInputError
from grader.files import write_atomic
from grader.kinds import open_bundle
from grader.report import render
from grader.workflows.batch.class_report import write_report
from grader.workflows.batch.discover import find_submissions, safe_file_stem
from grader.workflows.batch.export import (
    write_csv,
    write_failure_feedback,
    write_feedback,
    write_final_feedback,
)
from grader.workflows.batch.gradebook import Gradebook
from grader.workflows.batch.run import Progress, grade_batch


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="folder, zip or notebook(s)")
    add_grading_arguments(p, assignment_required=True, assignment_help="bundled assignment id or YAML path",
                          output_metavar="OUTDIR", output_required=True,
                          output_help="where the gradebook and exports go (created inside a folder that exists)",
                          format_help="also write OUTDIR/results/<student>.<ext> in this format (repeatable)",
                          format_default=None, many_formats=True)
    p.add_argument("-j", "--workers", type=int, default=None, metavar="N", help="notebooks graded at once (default: cores)")
    p.add_argument("--regrade", action="store_true", help="grade everything again, even unchanged submissions")
    p.add_argument("--student-pattern", metavar="REGEX",
                   help="regex with a group `student` applied to each notebook's path to get the student id")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (default when not a terminal)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on a Dask distributed cluster (e.g. tcp://head:8786); the gradebook stays here")
    add_warm_argument(p)


def _check_pattern(pattern: str | None) -> None:
    """Before anything is unpacked or graded: a typo in the regex is the user's, said in one line."""
    if pattern is None:
        return
    try:
        re.compile(pattern)
    except re.error as e:
        raise GraderInputError(f"--student-pattern {pattern!r}: not a valid regular expression ({e})") from None


_ADDRESS = re.compile(r"(?:[a-z][a-z0-9+.-]*://)?(?:\[[0-9a-fA-F:.]+\]|[^\s/:\[\]]+):\d{1,5}")


def _check_scheduler(address: str | None) -> None:
    """Before anything is unpacked: an address Dask could never connect to is the user's typo, in one line."""
    if address is not None and not _ADDRESS.fullmatch(address.strip()):
        raise GraderInputError(f"--scheduler {address!r}: not an address such as tcp://head:8786 (PROTOCOL://HOST:PORT)")


def run(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise GraderInputError("--workers must be at least 1")
    limits = limits_from(args, batch=True, pooled=True)  # a warm kernel pool per worker
    _check_pattern(args.student_pattern)
    _check_scheduler(args.scheduler)
    out = output_folder(args.output, mkdir=args.mkdir)
    bundle = open_bundle(args.assignment)
    assignment = bundle.assignment
    subs = find_submissions(args.paths, unpack_to=out / "unpacked", student_pattern=args.student_pattern,
                            assignment=assignment, **intake_from(args))
    book = Gradebook(out / "gradebook.sqlite")
    failed: list[str] = []

    def on_result(student: str, result) -> None:
        write_feedback(out, student, render(result, "markdown"), render(result, "html"))
        for fmt in dict.fromkeys(args.format):
            write_atomic(out / "results" / report_name(safe_file_stem(student), fmt), render(result, fmt))

    show = sys.stderr.isatty() and not args.no_progress and not args.quiet
    color = use_color(args.color, sys.stderr.isatty())  # progress, summary and failures all go to stderr
    counts = {"graded": 0, "failed": 0, "skipped": 0}
    progress = task = None
    if show:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar
        progress = Bar(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[status]}"),
                       TimeRemainingColumn(), transient=False, console=Console(stderr=True, no_color=not color))
        task = progress.add_task("grading", total=len(subs) + len(subs.rejected), status="")
        progress.start()

    def on_progress(p: Progress) -> None:
        counts[p.outcome] += 1
        if p.outcome == "failed":
            failed.append(f"{p.student}: {p.detail}")
        if progress is not None:
            progress.update(task, advance=1, status=f"{counts['graded']} graded, {counts['failed']} failed, "
                                                    f"{counts['skipped']} unchanged")

    try:
        grade_batch(subs, bundle, book, workers=args.workers, regrade=args.regrade, limits=limits,
                    scheduler=args.scheduler, on_progress=on_progress, on_result=on_result)
    finally:
        if progress is not None:
            progress.stop()
        write_final_feedback(book, assignment.title, on_result)  # staff overrides (grade serve) win
        write_csv(book, assignment, out)
        write_failure_feedback(book, out, title=assignment.title)
        write_report(book, assignment, out)
        book.close()
    if not args.quiet:
        bad = paint(f"{counts['failed']} could not be graded", "31" if counts["failed"] else "0", color)
        n = len(subs) + len(subs.rejected)
        print(f"{n} submission{'s' if n != 1 else ''}: {paint(str(counts['graded']) + ' graded', '32', color)}, "
              f"{counts['skipped']} unchanged, {bad}; gradebook {out / 'gradebook.sqlite'}, "
              f"grades {out / 'grades.csv'}, feedback {out / 'feedback'}/, report {out / 'report.html'}",
              file=sys.stderr)
    for line in failed:  # an error, so --quiet keeps it
        print(f"  {paint('not graded', '31', color)}: {line}", file=sys.stderr)
    return 1 if failed else 0
