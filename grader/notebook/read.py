"""Read a submitted notebook defensively: anything unusable becomes one clear line, not a traceback.

Limits on what a notebook may be (module constants):

- `MAX_BYTES` (100 MiB): the file's size.
- `MAX_DEPTH` (100): how deeply arrays and objects may nest. A real notebook nests about 8 deep
  (widget or plot state in outputs a few dozen); a hostile one nested 200,000 deep would overflow
  the JSON parser, nbformat's validation or anything later that walks it.
- `MAX_DIGITS` (1000): how long a bare number may be (Python refuses to convert an integer over
  4300 digits, and nothing in a notebook needs one that long; a long number *inside a string*,
  such as a printed factorial, is fine).

Both structural limits are checked before `json.loads` by one scan of the text's tokens that
skips over string contents (a regex, so a 1 MiB notebook takes a few milliseconds).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import nbformat

from grader.errors import GraderInputError

MAX_BYTES = 100 * 1024 * 1024
MAX_DEPTH = 100
MAX_DIGITS = 1000

# The JSON tokens that matter for the limits: a whole string (skipped over), an opening or a closing
# bracket, a run of digits too long to be a sensible number, or a quote that starts no complete
# string (the rest cannot be JSON: json.loads says where). Linear time on any text: the lookahead
# skips everything else cheaply and a digit run is only measured from its first digit.
_TOKENS = r'(?=["\[\]{}\d])(?:"[^"\\]*(?:\\.[^"\\]*)*"|([\[{])|([\]}])|(?<!\d)(\d{%d,})|("))'
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


@functools.lru_cache(maxsize=4)
def _tokens(max_digits: int) -> re.Pattern[str]:
    return re.compile(_TOKENS % (max_digits + 1), re.DOTALL)


def check_json_limits(text: str, max_depth: int = MAX_DEPTH, max_digits: int = MAX_DIGITS) -> str | None:
    """Why `text` is too pathological to hand to a JSON parser (nested deeper than `max_depth`, a
    number longer than `max_digits`), or None. Brackets and digits inside strings do not count."""
    depth = 0
    for m in _tokens(max_digits).finditer(text):
        kind = m.lastindex
        if kind == 1:
            depth += 1
            if depth > max_depth:
                return f"nested too deeply (over {max_depth} levels of arrays and objects)"
        elif kind == 2:
            depth -= 1
        elif kind == 3:
            return f"a number {m.end(3) - m.start(3)} digits long (at most {max_digits})"
        elif kind == 4:
            return None  # an unterminated string: not JSON, which json.loads reports with its position
    return None


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    p = Path(path)
    if not p.exists():
        raise GraderInputError(f"{p}: no such file")
    if p.is_dir():
        raise GraderInputError(f"{p}: is a directory, expected a .ipynb notebook")
    size = p.stat().st_size
    if size == 0:
        raise GraderInputError(f"{p}: the file is empty; submit the saved .ipynb notebook")
    if size > MAX_BYTES:
        raise GraderInputError(f"{p}: the notebook is {size / 2**20:.0f} MiB, over the {MAX_BYTES // 2**20} MiB limit; clear its outputs and resubmit")
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise GraderInputError(f"{p}: not a notebook: the file is not UTF-8 text (byte {e.start}); submit the .ipynb file itself") from None
    return parse_notebook(text, str(p))


def parse_notebook(text: str, name: str = "notebook") -> nbformat.NotebookNode:
    problem = check_json_limits(text)
    if problem:
        raise GraderInputError(f"{name}: not a valid notebook: {problem}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise GraderInputError(f"{name}: not a valid notebook: invalid JSON at line {e.lineno}, column {e.colno} ({e.msg})") from None
    except RecursionError:  # not reached past check_json_limits; kept so no input can give a traceback
        raise GraderInputError(f"{name}: not a valid notebook: nested too deeply") from None
    except ValueError as e:  # e.g. an integer past Python's digit limit
        raise GraderInputError(f"{name}: not a valid notebook: {str(e).splitlines()[0][:200]}") from None
    if _SURROGATE_ESCAPE.search(text):  # a lone \ud800 escape decodes to a str that cannot be written out as UTF-8
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise GraderInputError(f"{name}: not a valid notebook: text with an unpaired UTF-16 surrogate "
                                   "(a \\uD800-\\uDFFF escape); save the notebook again from Jupyter") from None
    if not isinstance(data, dict) or "nbformat" not in data or not ("cells" in data or "worksheets" in data):
        raise GraderInputError(f"{name}: not a Jupyter notebook (JSON without `cells` and `nbformat`)")
    major = data.get("nbformat")
    if not isinstance(major, int) or major < 3 or major > 4:
        raise GraderInputError(f"{name}: unsupported notebook format version {major!r} (expected 3 or 4)")
    try:
        nb = nbformat.reads(text, as_version=4)  # converts nbformat 3
    except Exception as e:  # noqa: BLE001 - nbformat raises many kinds for malformed structure
        raise GraderInputError(f"{name}: not a valid notebook: {str(e).splitlines()[0][:200]}") from None
    cells = []
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            continue  # unknown cell types are ignored, not fatal
        src = cell.get("source", "")
        cell["source"] = "".join(src) if isinstance(src, list) else str(src or "")
        cell.setdefault("metadata", nbformat.NotebookNode())
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell.setdefault("execution_count", None)
        cells.append(cell)
    nb["cells"] = cells
    return nb


def code_text(nb: nbformat.NotebookNode) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def headings(nb: nbformat.NotebookNode) -> list[str]:
    out = []
    for c in nb.cells:
        if c.cell_type == "markdown":
            out += [line.lstrip("# ").strip() for line in c.source.splitlines() if line.lstrip().startswith("#")]
    return out


def last_code_cell(nb: nbformat.NotebookNode, marker: str) -> int | None:
    """Index of the last code cell whose source contains `marker` (where a course's cell is found)."""
    hits = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and marker in c.source]
    return hits[-1] if hits else None
