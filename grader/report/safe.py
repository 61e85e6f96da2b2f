"""Student-written text made inert for each place it is shown: nothing a student wrote is trusted in outputs.

A student controls their notebook's file name, their exception messages, the values their code
returns and the text of their answers, and all of it reaches feedback. Each function here takes such
text and returns it so that, where it is embedded, it can only ever be read, never acted on:

    csv_cell(value)     a spreadsheet cell that is never a formula (OWASP "CSV injection")
    terminal(text)      no control characters or escape sequences (colours, cursor moves, OSC titles/links)
    xml_text(text)      only characters XML 1.0 allows, so the document still parses
    markdown_text(text) renders as exactly these characters: no HTML, images, links, headings, lists,
                        tables, block quotes or code from the student
    markdown_code(text) the same text shown as one inline code span
    annotation(text)    the message (or a property) of a GitHub workflow command such as ::error

Markdown: student text is escaped rather than put in fenced code blocks. A fence would make every
piece of feedback a grey code box, lose the hard line breaks the feedback layout relies on, and still
leave `<script>` and `![..](..)` in the file, where a renderer that ignores fences (an LMS comment box,
a plain-text preview, a careless converter) would act on them. Escaping leaves no raw `<`, no `![`,
no line that starts a block, and works inside table cells, headings and list items alike, which a
fence cannot. `markdown_code` (an inline code span sized past the longest backtick run in the text)
is there for things that read as code, such as a notebook path.
"""

from __future__ import annotations

import re
from typing import TypeVar

T = TypeVar("T")

# --- CSV ---------------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: T) -> T | str:
    """`value` for a CSV cell: a string a spreadsheet would read as a formula gets a leading `'`.

    Only strings are touched: numbers (negative ones included) are the grader's own and stay numbers,
    so write scores as numbers (or pass them around this function) and every string through it."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


# --- terminals ---------------------------------------------------------------------------------------

# ECMA-48: CSI sequences (ESC [ or 8-bit CSI, parameters, intermediates, a final byte); control strings
# (OSC, DCS, SOS, PM, APC) up to BEL or ST on the same line; then any other escape (ESC, intermediates,
# a final byte). An unterminated control string loses its introducer, leaving harmless printable text.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\n]*?(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]"
)
# C0 except \t and \n, DEL, C1; and the bidirectional overrides and isolates, which reorder what is shown
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SURROGATES = re.compile("[\ud800-\udfff]")


def terminal(text: str, *, one_line: bool = False) -> str:
    """`text` with every escape sequence and control character removed (tabs and newlines stay; `\\r\\n`
    becomes a newline, a lone `\\r` goes), and lone surrogates replaced by U+FFFD so it can be encoded.
    `one_line`: newlines become spaces too."""
    text = _ESCAPES.sub("", str(text).replace("\r\n", "\n"))
    text = _SURROGATES.sub("\ufffd", _CONTROLS.sub("", text))
    return text.replace("\n", " ") if one_line else text


# --- XML ---------------------------------------------------------------------------------------------

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 does not allow (most C0 controls, lone surrogates, U+FFFE/FFFF)."""
    return _NOT_XML.sub("", str(text))


# --- Markdown ----------------------------------------------------------------------------------------

_ANYWHERE = re.compile(r"[\\`*\[\]|~$]")          # code spans, emphasis, links and images, tables, strikethrough, math
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")  # an `_` not between two letters/digits (`y_pred` stays)
_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9])(:)(?=//)|(?<![\w.])(www)(\.)")
_BLOCK_START = re.compile(r"^(\s*)(?:([-+=#])|(\d+)([.)]))")  # list, setext/thematic line, heading, ordered list


def _escape_line(line: str) -> str:
    line = line.lstrip(" \t")  # Markdown drops it anyway; four spaces would start a code block
    line = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # no HTML, no block quote
    line = _ANYWHERE.sub(r"\\\g<0>", line)
    line = _UNDERSCORE.sub(r"\\_", line)
    line = _AUTOLINK.sub(lambda m: "\\:" if m.group(1) else m.group(2) + "\\.", line)
    return _BLOCK_START.sub(lambda m: m.group(1) + (f"\\{m.group(2)}" if m.group(2) else f"{m.group(3)}\\{m.group(4)}"),
                            line)


def markdown_text(text: str, *, one_line: bool = False) -> str:
    """`text` escaped so Markdown (CommonMark, GFM) shows exactly its characters: HTML, images, links,
    bare-URL autolinks, emphasis, code and math are escaped, and no line can start a heading, list,
    table, block quote, fence or thematic break. Line breaks stay (`one_line`: they become spaces)."""
    text = terminal(text, one_line=one_line)  # also: a lone \r would be a line ending to CommonMark
    return "\n".join(_escape_line(line) for line in text.split("\n"))


def markdown_code(text: str, *, table: bool = False) -> str:
    """`text` as one inline code span, delimited by more backticks than its longest backtick run (so it
    cannot be closed early); newlines become spaces. `table`: for a GFM table cell, `|` is escaped too."""
    text = terminal(text, one_line=True)
    if not text:
        return ""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    # CommonMark strips one space from each end when both ends are spaces; pad so the text survives
    pad = " " if text[0] == "`" or text[-1] == "`" or (text[0] == text[-1] == " " and text.strip()) else ""
    span = f"{fence}{pad}{text}{pad}{fence}"
    return span.replace("|", "\\|") if table else span


# --- GitHub workflow commands ---------------------------------------------------------------------------

def annotation(text: str, *, prop: bool = False) -> str:
    """`text` for a GitHub workflow command (`::error file=<prop>,title=<prop>::<message>`), escaped the way
    the runner unescapes it: `%`, CR and LF always; in a property (`prop`) also `:` and `,`. In a message
    `::` is broken up as `:%3A` (shown as such), so no parser can take it for the end of the command."""
    text = terminal(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        return text.replace(":", "%3A").replace(",", "%2C")
    return text.replace("::", ":%3A")
