"""The human report: a score table and, under it, feedback a student can act on.

Every student- or author-written string goes through Text(), never rich markup: feedback
such as `−[y·log(p) + ...]` must print as written. It passes `safe.terminal` first, so no escape
sequence or control character of a student's (an exception message, a file name) reaches the
terminal, and it is printed indented, wrapped lines included, so it can never begin a line of the
report: a student cannot print a "Total:" line of their own.

The renderer only wraps when asked (`width`, the caller's terminal width); piped or written to a file
a line stays one line. Wrapping breaks only between words and never inside a `code span` that fits on a
line (a span or word wider than the line is cut where it must be, still indented), and no line ends
in spaces.
"""

from __future__ import annotations

import io
import re
import shutil
from typing import TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from grader import results as R
from grader.report.registry import register
from grader.report.safe import terminal
from grader.results import GradeResult, as_number

_STYLE = {R.PASSED: "green", R.PARTIAL: "yellow", R.FAILED: "red", R.ERROR: "red", R.MISSING: "red",
          R.NO_ANSWER: "red", R.NOT_ATTEMPTED: "red", R.TIMEOUT: "magenta", R.KERNEL_DIED: "magenta", R.UNPARSED: "cyan", R.UNDECIDED: "cyan"}
MIN_WIDTH = 20  # narrower than this, a wrapped report is unreadable: wrap at this and let the terminal fold
# a word: a run of non-space characters in which a `code span` (spaces and all) counts as one piece; a
# backtick without a partner on its line is an ordinary character
_WORD = re.compile(r"(?:`[^`\n]*`|[^\s`]|`)+")


def isolation_summary(isolation: str) -> str:
    """The isolation line without its parenthesised details, each of its clauses kept: "bubblewrap
    sandbox, kernel forked from this worker's warm pool; graded a second time from the start, ..."
    (a clause is what `; ` separates outside parentheses)."""
    clauses, depth, start = [], 0, 0
    for i, ch in enumerate(isolation):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and isolation.startswith("; ", i):
            clauses.append(isolation[start:i])
            start = i + 2
    clauses.append(isolation[start:])
    return "; ".join(c.split(" (")[0] for c in clauses if c.strip())


def terminal_width(stream: TextIO) -> int | None:
    """The columns to wrap a report for `stream` at: the terminal's (`COLUMNS` if set, else the terminal's
    size) when `stream` is a terminal; None when it is piped or a file, where a line must stay one line."""
    return shutil.get_terminal_size().columns if stream.isatty() else None


def _cut(word: str, room: int) -> tuple[str, str]:
    """The longest head of `word` that fits in `room` cells (at least one character), and the rest."""
    used = 0
    for i, ch in enumerate(word):
        used += cell_len(ch)
        if used > room:
            return word[:max(i, 1)], word[max(i, 1):]
    return word, ""


def wrap(text: str, width: int | None, indent: int) -> list[str]:
    """`text`'s lines, each wrapped at `width` cells (None: not wrapped); every line after the first, wrapped
    or not, starts with `indent` spaces. Breaks go between words, so a code span stays whole unless it is
    wider than a line; no line ends in spaces."""
    pad = " " * indent
    out: list[str] = []
    for para in text.expandtabs(4).split("\n"):
        lead = pad if out else ""
        if width is None:
            out.append((lead + para).rstrip())
            continue
        line, pos = lead, 0
        for m in _WORD.finditer(para):
            gap, word = para[pos:m.start()], m.group()
            pos = m.end()
            room = max(width, MIN_WIDTH + indent)
            if line.strip() and cell_len(line + gap + word) > room:
                out.append(line.rstrip())
                line, gap = pad, ""
            line += gap
            while cell_len(line + word) > room:  # wider than a whole line: cut it, still indented
                head, word = _cut(word, room - cell_len(line))
                if not line.strip() and cell_len(line) >= room:  # only spaces, and no room left: start afresh
                    head, word = "", head + word
                out.append((line + head).rstrip())
                line = pad
            line += word
        out.append(line.rstrip())
    return out


def _print(console: Console, lead: str, text: str, *, width: int | None, indent: int, style: str = "") -> None:
    """`lead` (the grader's own words), then `text` (anyone's), wrapped at `width`; every line after the
    first, wrapped or not, starts with `indent` spaces, so `text` never begins a line."""
    for line in wrap(lead + terminal(text), width, indent):
        console.print(Text(line, style=style), soft_wrap=True)


def _table(console: Console, rows: list[tuple[Text, Text, Text]]) -> None:
    """Columns two spaces apart (question and status left-aligned, score right-aligned), not padded at the end."""
    header = (Text("question", style="bold"), Text("score", style="bold"), Text("status", style="bold"))
    widths = [max(cell_len(r[i].plain) for r in [header, *rows]) for i in range(3)]
    for qid, score, status in [header, *rows]:
        line = Text().join([qid, Text(" " * (widths[0] - cell_len(qid.plain) + 2 + widths[1] - cell_len(score.plain))),
                            score, Text("  "), status])
        line.rstrip()
        console.print(line, soft_wrap=True)


@register("text")
def render_text(result: GradeResult, *, color: bool = False, width: int | None = None) -> str:
    """`width`: wrap at this many columns (the terminal's); None, e.g. when piped, leaves lines unwrapped."""
    buf = io.StringIO()
    # the caller decided (--color, NO_COLOR): rich's own guesses from TERM or NO_COLOR must not overrule it
    console = Console(file=buf, force_terminal=color, no_color=not color, color_system="standard" if color else None,
                      width=10_000, highlight=False)

    def say(lead: str, text: str, *, indent: int = 2, style: str = "") -> None:
        _print(console, lead, text, width=width, indent=indent, style=style)

    say("", f"{result.assignment_title} ({result.assignment})", style="bold")
    say("Notebook: ", result.notebook)
    if result.assignment_source and result.assignment_source != "given":
        say("Assignment chosen ", result.assignment_source)
    if result.isolation:
        say("Isolation: ", isolation_summary(result.isolation), style="dim")  # details in --format json
    for w in result.warnings:
        say("Warning: ", w, style="bold yellow")
    _table(console, [(Text(terminal(q.id, one_line=True)), Text(f"{as_number(q.score)}/{as_number(q.max_score)}"),
                      Text(terminal(q.status, one_line=True), style=_STYLE.get(q.status, "")))
                     for q in result.questions])
    console.print(Text(f"Total: {as_number(result.score)}/{as_number(result.max_score)}", style="bold"))
    needing = [q for q in result.questions if q.has_advice]
    notes = [q for q in result.questions if q.feedback and q not in needing]
    if result.events:
        console.print(Text("\nWhile running the notebook", style="bold"))
        for e in result.events:
            say(f"  cell {e.cell_index + 1}: ", e.message, indent=4)
    if needing:
        console.print(Text("\nFeedback", style="bold"))
        for q in needing:
            say("", f"{q.id} ({as_number(q.score)}/{as_number(q.max_score)}, {q.status})", style=_STYLE.get(q.status, ""))
            for line in terminal(q.feedback).split("\n"):
                say("  ", line)
    if notes:
        console.print(Text("\nNotes", style="bold"))
        for q in notes:
            say(f"{terminal(q.id, one_line=True)}: ", q.feedback)
    if result.answers_need_review:
        console.print()
        say("", "Some answers could not be checked automatically and are flagged for manual review.", style="cyan")
    return buf.getvalue()
