"""The human report: a score table and, under it, feedback a student can act on.

Every student- or author-written string goes through Text(), never rich markup: feedback
such as `−[y·log(p) + ...]` must print as written.
"""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader import results as R
from grader.report.registry import register
from grader.results import GradeResult, as_number

_STYLE = {R.PASSED: "green", R.PARTIAL: "yellow", R.FAILED: "red", R.ERROR: "red", R.MISSING: "red",
          R.NO_ANSWER: "red", R.NOT_ATTEMPTED: "red", R.TIMEOUT: "magenta", R.KERNEL_DIED: "magenta", R.UNPARSED: "cyan", R.UNDECIDED: "cyan"}


@register("text")
def render_text(result: GradeResult, *, color: bool = False) -> str:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=100, highlight=False)
    console.print(Text(f"{result.assignment_title} ({result.assignment})", style="bold"))
    console.print(Text(f"Notebook: {result.notebook}"))
    if result.assignment_source and result.assignment_source != "given":
        console.print(Text(f"Assignment chosen {result.assignment_source}"))
    if result.isolation:
        console.print(Text(f"Isolation: {result.isolation.split(' (')[0]}", style="dim"))  # details in --format json
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    table.add_column("question")
    table.add_column("score", justify="right")
    table.add_column("status")
    for q in result.questions:
        style = _STYLE.get(q.status, "")
        table.add_row(q.id, f"{as_number(q.score)}/{as_number(q.max_score)}", Text(q.status, style=style))
    console.print(table)
    console.print(Text(f"Total: {as_number(result.score)}/{as_number(result.max_score)}", style="bold"))
    needing = [q for q in result.questions if q.has_advice]
    notes = [q for q in result.questions if q.feedback and q not in needing]
    if result.events:
        console.print(Text("\nWhile running the notebook", style="bold"))
        for e in result.events:
            console.print(Text(f"  cell {e.cell_index + 1}: {e.message}"))
    if needing:
        console.print(Text("\nFeedback", style="bold"))
        for q in needing:
            console.print(Text(f"{q.id} ({as_number(q.score)}/{as_number(q.max_score)}, {q.status})", style=_STYLE.get(q.status, "")))
            for line in q.feedback.splitlines():
                console.print(Text(f"  {line}"))
    if notes:
        console.print(Text("\nNotes", style="bold"))
        for q in notes:
            console.print(Text(f"{q.id}: {q.feedback}"))
    if result.needs_review:
        console.print(Text("\nSome answers could not be checked automatically and are flagged for manual review.", style="cyan"))
    return buf.getvalue()
