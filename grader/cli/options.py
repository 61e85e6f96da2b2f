"""The options every verb that grades shares (`grade`, `batch`, `check`, `ci`), defined once.

`add_grading_arguments` is the one place their names, choices and help come from; the README's
options table is generated from it (`markdown_table`, checked by tests/cli/test_options.py).
The other helpers check user-given output paths before anything is graded.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from grader.cli.limits import add_limit_arguments
from grader.errors import GraderInputError
from grader.report import formats
from grader.report.registry import report_name  # noqa: F401 - the verbs' name for a report file

GROUP_TITLE = "grading options (the same on grade, batch, check and ci)"
COLORS = ("auto", "always", "never")


def add_grading_arguments(p: argparse.ArgumentParser, *, assignment_required: bool = False,
                          assignment_help: str = "bundled assignment id or YAML path; "
                                                 "default: from the notebook's metadata or by matching",
                          output_metavar: str = "FILE", output_required: bool = False,
                          output_help: str = "write the report to FILE (atomically) instead of stdout",
                          format_help: str = "report format", format_default: str | None = "text",
                          many_formats: bool = False) -> list[argparse.Action]:
    """Add the shared options as one group; return its actions. Verbs differ only in what -o and
    -f mean for them (a batch writes a folder, and any number of extra formats)."""
    g = p.add_argument_group(GROUP_TITLE)
    names = formats()
    default = f" (default {format_default})" if format_default else ""
    actions = [
        g.add_argument("-a", "--assignment", metavar="ID|PATH", required=assignment_required, help=assignment_help),
        g.add_argument("-f", "--format", metavar="FORMAT", choices=names,
                       action="append" if many_formats else "store",
                       default=[] if many_formats else format_default,
                       help=f"{format_help}: {', '.join(names)}{default}"),
        g.add_argument("-o", "--output", metavar=output_metavar, required=output_required, help=output_help),
        g.add_argument("--mkdir", action="store_true",
                       help="create the missing folders of -o; without it a missing folder is an error"),
    ]
    actions += add_limit_arguments(g)
    actions += [
        g.add_argument("--quiet", action="store_true", help="only errors on stderr: no progress, notes or summary"),
        g.add_argument("--color", choices=COLORS, default="auto", metavar="|".join(COLORS),
                       help="colour in text output (default auto: when writing to a terminal)"),
    ]
    return actions


def use_color(choice: str, to_terminal: bool) -> bool:
    """--color: `always`/`never` as said; `auto` colours only what goes straight to a terminal, and
    not when NO_COLOR is set (no-color.org: a flag wins over it) or the terminal is dumb."""
    if choice != "auto":
        return choice == "always"
    return to_terminal and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def paint(text: str, sgr: str, color: bool) -> str:
    """The grader's own words in an ANSI style (`"32"` green, `"31"` red, `"1"` bold) when colouring."""
    return f"\x1b[{sgr}m{text}\x1b[0m" if color else text


def output_file(path: str | None, flag: str = "-o", *, mkdir: bool = False) -> None:
    """A file the user asked for: its folder must exist (a typo is not silently created unless
    --mkdir says so); '-' is stdout."""
    if not path or path == "-":
        return
    p = Path(path)
    if p.is_dir():
        raise GraderInputError(f"{flag} {path}: is a directory; give a file name")
    _parent(p, flag, path, mkdir)


def output_folder(path: str, flag: str = "-o", *, mkdir: bool = False) -> Path:
    """A folder the verb fills: created if missing, but only inside a folder that exists (or with --mkdir)."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise GraderInputError(f"{flag} {path}: exists and is not a folder")
    if not p.exists():
        _parent(p, flag, path, mkdir)
    return p


def _parent(p: Path, flag: str, given: str, mkdir: bool) -> None:
    parent = p.parent
    if mkdir and not parent.exists():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise GraderInputError(f"{flag} {given}: cannot create folder {parent} ({e.strerror})") from None
    if not parent.exists():
        raise GraderInputError(f"{flag} {given}: folder {parent} does not exist (--mkdir creates it)")
    if not parent.is_dir():
        raise GraderInputError(f"{flag} {given}: {parent} is not a folder")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_table(actions: list[argparse.Action]) -> str:
    """The README's options table, from the parser itself so the two cannot drift."""
    rows = ["| option | meaning |", "| --- | --- |"]
    for a in actions:
        metavar = a.metavar or ("|".join(map(str, a.choices)) if a.choices else a.dest.upper())
        flags = ", ".join(a.option_strings) + (f" {metavar}" if a.nargs != 0 and metavar else "")
        rows.append(f"| `{_cell(flags)}` | {_cell(a.help or '')} |")
    return "\n".join(rows) + "\n"
