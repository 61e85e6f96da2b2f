"""The human report: a score table and, under it, feedback a student can act on.

Every student- or author-written string goes through Text(), never rich markup: feedback
such as `−[y·log(p) + ...]` must print as written. It passes `safe.terminal` first, so no escape
sequence or control character of a student's (an exception message, a file name) reaches the
terminal, and it is printed indented, wrapped lines included, so it can never begin a line of the
report: a student cannot print a "Total:" line of their own.
"""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader import results as R
from grader.report.registry import register
from grader.report.safe import terminal
from grader.results import GradeResult, as_number

_STYLE = {R.PASSED: "green", R.PARTIAL: "yellow", R.FAILED: "red", R.ERROR: "red", R.MISSING: "red",
          R.NO_ANSWER: "red", R.NOT_ATTEMPTED: "red", R.TIMEOUT: "magenta", R.KERNEL_DIED: "magenta", R.UNPARSED: "cyan", R.UNDECIDED: "cyan"}
_WIDTH = 100


def _print(console: Console, lead: str, text: str, *, indent: int, style: str = "") -> None:
    """`lead` (the grader's own words), then `text` (anyone's), wrapped at the report's width; every line
    after the first, wrapped or not, starts with `indent` spaces, so `text` never begins a line."""
    body = Text(lead, style=style) + Text(terminal(text), style=style)
    for n, line in enumerate(body.wrap(console, _WIDTH - indent)):
        line.rstrip()
        console.print(Text(" " * indent) + line if n else line, soft_wrap=True)


@register("text")
def render_text(result: GradeResult, *, color: bool = False) -> str:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=_WIDTH, highlight=False)
    _print(console, "", f"{result.assignment_title} ({result.assignment})", indent=2, style="bold")
    _print(console, "Notebook: ", result.notebook, indent=2)
    if result.assignment_source and result.assignment_source != "given":
        _print(console, "Assignment chosen ", result.assignment_source, indent=2)
    if result.isolation:
        _print(console, "Isolation: ", result.isolation.split(" (")[0], indent=2, style="dim")  # details in --format json
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    table.add_column("question")
    table.add_column("score", justify="right")
    table.add_column("status")
    for q in result.questions:
        style = _STYLE.get(q.status, "")
        table.add_row(Text(terminal(q.id, one_line=True)), Text(f"{as_number(q.score)}/{as_number(q.max_score)}"),
                      Text(terminal(q.status, one_line=True), style=style))
    console.print(table)
    console.print(Text(f"Total: {as_number(result.score)}/{as_number(result.max_score)}", style="bold"))
    needing = [q for q in result.questions if q.has_advice]
    notes = [q for q in result.questions if q.feedback and q not in needing]
    if result.events:
        console.print(Text("\nWhile running the notebook", style="bold"))
        for e in result.events:
            _print(console, f"  cell {e.cell_index + 1}: ", e.message, indent=4)
    if needing:
        console.print(Text("\nFeedback", style="bold"))
        for q in needing:
            _print(console, "", f"{q.id} ({as_number(q.score)}/{as_number(q.max_score)}, {q.status})", indent=2,
                   style=_STYLE.get(q.status, ""))
            for line in terminal(q.feedback).split("\n"):
                _print(console, "  ", line, indent=2)
    if notes:
        console.print(Text("\nNotes", style="bold"))
        for q in notes:
            _print(console, f"{terminal(q.id, one_line=True)}: ", q.feedback, indent=2)
    if result.needs_review:
        console.print(Text("\nSome answers could not be checked automatically and are flagged for manual review.", style="cyan"))
    return buf.getvalue()
