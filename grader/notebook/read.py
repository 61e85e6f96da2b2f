"""Read a submitted notebook defensively: anything unusable becomes one clear line, not a traceback.

Limits on what a notebook may be (module constants):

- `MAX_BYTES` (100 MiB): the file's size.
- `MAX_DEPTH` (100): how deeply arrays and objects may nest. A real notebook nests about 8 deep
  (widget or plot state in outputs a few dozen); a hostile one nested 200,000 deep would overflow
  the JSON parser, nbformat's validation or anything later that walks it.
- `MAX_DIGITS` (1000): how long a bare number may be (Python refuses to convert an integer over
  4300 digits, and nothing in a notebook needs one that long; a long number *inside a string*,
  such as a printed factorial, is fine).

A `.py` hand-in (a jupytext percent-format script with `# %%` and `# %% [markdown]` cells, or a
plain script) is read as a notebook with jupytext; any other file type is refused with one line
saying what the grader reads (`ACCEPTED`), unless its text is a notebook's JSON.

Both structural limits are checked before `json.loads` by one scan of the text's tokens that
skips over string contents (a regex, so a 1 MiB notebook takes a few milliseconds).

Course notebooks put exercises inside their own cells (a `TODO` line in a loop). `locate_cell`
finds such a cell by what its code does (`CellQuery`: the names it assigns, inside a loop or not,
the functions it calls), with the text it usually contains only as a hint, because students edit
or delete those comments; when the code alone cannot tell which cell is meant it says why instead
of guessing.
"""

from __future__ import annotations

import ast
import functools
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import jupytext
import nbformat

from grader.errors import GraderInputError

MAX_BYTES = 100 * 1024 * 1024
MAX_DEPTH = 100
MAX_DIGITS = 1000
NOTEBOOK_SUFFIX = ".ipynb"
SCRIPT_SUFFIX = ".py"
ACCEPTED = "a Jupyter notebook (.ipynb) or a Python script (.py: plain, or percent-format with `# %%` cells)"

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
    """The submission at `path` as a notebook: a `.ipynb` file, a `.py` script (read by jupytext), or
    a file of another name holding a notebook's JSON. Anything unusable raises GraderInputError."""
    p = Path(path)
    if not p.exists():
        raise GraderInputError(f"{p}: no such file")
    if p.is_dir():
        raise GraderInputError(f"{p}: is a directory, expected {ACCEPTED}")
    size = p.stat().st_size
    script = p.suffix.lower() == SCRIPT_SUFFIX
    if size == 0:
        raise GraderInputError(f"{p}: the file is empty; submit the saved {'script' if script else '.ipynb notebook'}")
    if size > MAX_BYTES:
        raise GraderInputError(f"{p}: the notebook is {size / 2**20:.0f} MiB, over the {MAX_BYTES // 2**20} MiB limit; clear its outputs and resubmit")
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if p.suffix.lower() not in (NOTEBOOK_SUFFIX, SCRIPT_SUFFIX):
            raise GraderInputError(f"{p}: cannot read a {p.suffix or 'file without an extension'} file; "
                                   f"the grader reads {ACCEPTED}") from None
        what = "script" if script else "notebook"
        raise GraderInputError(f"{p}: not a {what}: the file is not UTF-8 text (byte {e.start}); "
                               f"submit the {'.py' if script else '.ipynb'} file itself") from None
    if script:
        return parse_script(text, str(p))
    if p.suffix.lower() != NOTEBOOK_SUFFIX and not text.lstrip().startswith("{"):
        raise GraderInputError(f"{p}: cannot read a {p.suffix or 'file without an extension'} file; "
                               f"the grader reads {ACCEPTED}")
    return parse_notebook(text, str(p))


def parse_script(text: str, name: str = "script.py") -> nbformat.NotebookNode:
    """A Python script as a notebook: jupytext's percent format when it has `# %%` cells (markdown
    cells become markdown, so written answers are found as in a notebook), else its light format
    (code paragraphs as cells, comment blocks as markdown). A header's `jupyter:` metadata, such as
    `grader.assignment`, is the notebook's."""
    if "\x00" in text:
        raise GraderInputError(f"{name}: not a Python script (it contains NUL bytes)")
    try:
        nb = jupytext.reads(text, fmt="py")
    except Exception as e:  # noqa: BLE001 - jupytext raises many kinds on odd headers
        raise GraderInputError(f"{name}: not a readable Python script: {str(e).splitlines()[0][:200] if str(e) else type(e).__name__}") from None
    nb.metadata.pop("jupytext", None)  # how the text was laid out, not the submission's metadata
    return _normalised(nb)


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
    return _normalised(nb)


def _normalised(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Cells as grading expects them: known types only, `source` a string, code cells without outputs."""
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


# --------------------------------------------------------------------------- a course's own cells

_SPACE = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _SPACE.sub("", text)


def _contains(source: str, hint: str) -> bool:
    """`hint` occurs in `source`, spacing aside (`sig_z=sigmoid(z)` still has `sig_z = sigmoid(z)`)."""
    return hint in source or bool(hint.strip()) and _squash(hint) in _squash(source)


def last_code_cell(nb: nbformat.NotebookNode, marker: str) -> int | None:
    """Index of the last code cell whose source contains `marker`, spacing aside. Text only: prefer
    `locate_cell`, which finds a cell by what its code does when the text was edited away."""
    hits = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and _contains(c.source, marker)]
    return hits[-1] if hits else None


def parse_code(source: str) -> ast.Module | None:
    """A code cell's syntax tree, IPython magics and shell lines blanked; None when it does not parse.
    Its own warnings ('\\p' in a non-raw string) are not the grader's."""
    source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None


@dataclass(frozen=True)
class CellFacts:
    """What a cell's top-level code does (the bodies of its functions and classes run later, if at all)."""

    assigned: frozenset[str]          # names bound or written into (`x = ...`, `x[i] = ...`, `for x in`)
    assigned_in_loop: frozenset[str]  # ... inside a `for` or `while` body
    called: frozenset[str]            # called functions, as written (`np.exp`) and by their last name (`exp`)
    used: frozenset[str]              # names read


def _targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        return node.targets
    if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor, ast.NamedExpr)):
        return [node.target]
    if isinstance(node, ast.withitem) and node.optional_vars is not None:
        return [node.optional_vars]
    return []


def _roots(target: ast.expr) -> list[str]:
    """The names an assignment target writes: `x`, `x[i]`, `x.a`, `(a, *b)` -> x, x, x, a and b."""
    while isinstance(target, (ast.Subscript, ast.Attribute, ast.Starred)):
        target = target.value
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for e in target.elts for n in _roots(e)]
    return [target.id] if isinstance(target, ast.Name) else []


def _dotted(node: ast.expr) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


@functools.lru_cache(maxsize=256)  # each question looks at every cell, before and after the run
def cell_facts(source: str) -> CellFacts | None:
    """The facts of one code cell's source; None when it does not parse. Walked without recursion, so
    no nesting a student can write overflows the stack."""
    tree = parse_code(source)
    if tree is None:
        return None
    assigned: set[str] = set()
    in_loop: set[str] = set()
    called: set[str] = set()
    used: set[str] = set()
    stack: list[tuple[ast.AST, bool]] = [(node, False) for node in tree.body]
    while stack:
        node, looping = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        for target in _targets(node):
            names = _roots(target)
            assigned.update(names)
            if looping:
                in_loop.update(names)
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name:
                called.update({name, name.rpartition(".")[2]})
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            used.add(node.id)
        inner = looping or isinstance(node, (ast.For, ast.AsyncFor, ast.While))
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))
    return CellFacts(frozenset(assigned), frozenset(in_loop), frozenset(called), frozenset(used))


def _names(names: tuple[str, ...]) -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


@dataclass(frozen=True)
class CellQuery:
    """Which code cell a question reads: by what its code does, with the text it usually contains as a hint.

    Students edit TODO comments ("# Done -- ..."), delete them, reformat lines, split and move cells,
    so the hint is never required. The cell must do what `assigns`, `in_loop`, `calls` and `uses` say;
    among the cells that do, one containing the hint wins, else the only one, else the `nth` of them
    (1-based, negative from the end) when there are `of` of them as in the starter. A query with no
    structure is the hint alone (the last cell containing it)."""

    hint: str | None = None
    assigns: tuple[str, ...] = ()  # names the cell assigns (or writes into: `x[i] = ...`)
    in_loop: bool = False          # ... inside a for/while loop
    calls: tuple[str, ...] = ()    # functions it calls (`np.exp` or `exp`)
    uses: tuple[str, ...] = ()     # names it reads (`sigmoid` passed as an argument)
    nth: int | None = None
    of: int | None = None

    @property
    def structural(self) -> bool:
        return bool(self.assigns or self.calls or self.uses)

    def fits(self, facts: CellFacts | None) -> bool:
        if facts is None or not self.structural:
            return False
        assigned = facts.assigned_in_loop if self.in_loop else facts.assigned
        return (set(self.assigns) <= assigned and set(self.calls) <= facts.called
                and set(self.uses) <= facts.used)

    def shape(self) -> str:
        """What the cell does, as a participle phrase: "assigning `p` inside a loop, calling `f`"."""
        parts = []
        if self.assigns:
            parts.append(f"assigning {_names(self.assigns)}{' inside a loop' if self.in_loop else ''}")
        if self.calls:
            parts.append(f"calling {_names(self.calls)}")
        if self.uses:
            parts.append(f"using {_names(self.uses)}")
        return ", ".join(parts)

    def describe(self) -> str:
        """The cell, as feedback names it."""
        if not self.structural:
            return f"the cell containing `{self.hint}`"
        hint = f" (the one with `{self.hint}`)" if self.hint else ""
        return f"the cell {self.shape()}{hint}"


def as_query(where: str | CellQuery) -> CellQuery:
    """A text marker is a query by hint alone."""
    return CellQuery(hint=where) if isinstance(where, str) else where


@dataclass(frozen=True)
class Located:
    """Where `locate_cell` found the cell, how, and what to tell the student about it (or why not)."""

    index: int | None
    how: Literal["hint", "structure", "position", "hint only", "not found"]
    note: str = ""

    @property
    def trusted(self) -> bool:
        """Found by the hint on a cell that does what the query says, or by what the code does."""
        return self.how in ("hint", "structure", "position")


def locate_cell(nb: nbformat.NotebookNode, where: str | CellQuery) -> Located:
    """The code cell `where` describes (see `CellQuery`), or why it cannot be told: never a guess
    between several cells that fit equally well."""
    q = as_query(where)
    code = [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    hinted = [i for i, src in code if q.hint and _contains(src, q.hint)]
    if not q.structural:
        if hinted:
            return Located(hinted[-1], "hint")
        return Located(None, "not found", f"no code cell contains `{q.hint}`")
    fitting = [i for i, src in code if q.fits(cell_facts(src))]
    both = [i for i in hinted if i in fitting]
    if both:
        return Located(both[-1], "hint")
    cells = ", ".join(str(i + 1) for i in fitting)
    if q.nth is not None and (q.of is None or len(fitting) == q.of):
        k = q.nth - 1 if q.nth > 0 else len(fitting) + q.nth
        if 0 <= k < len(fitting):
            return Located(fitting[k], "position", f"cell {fitting[k] + 1} was taken as the one this question reads: "
                           f"the {_ordinal(k + 1)} of the {len(fitting)} cells {q.shape()} (cells {cells}).")
    elif q.nth is None and len(fitting) == 1:
        return Located(fitting[0], "structure",
                       f"cell {fitting[0] + 1} was taken as the one this question reads: the only cell {q.shape()}.")
    if hinted:
        return Located(hinted[-1], "hint only",
                       f"cell {hinted[-1] + 1} contains `{q.hint}`, but it is not a cell {q.shape()}.")
    hint = f", and none contains `{q.hint}`" if q.hint else ""
    if not fitting:
        why = f"no code cell was found {q.shape()}" + (f", nor one containing `{q.hint}`" if q.hint else "")
    elif q.of is not None and len(fitting) != q.of:
        why = f"there are {len(fitting)} cells {q.shape()} (cells {cells}; the starter has {q.of}){hint}"
    else:
        why = f"there are {len(fitting)} cells {q.shape()} (cells {cells}){hint}"
    return Located(None, "not found", why)


def defined_names(source: str) -> frozenset[str]:
    """The names a cell's top-level code binds: assignments, `def`, `class`, imports."""
    tree, facts = parse_code(source), cell_facts(source)
    if tree is None or facts is None:
        return frozenset()
    out = set(facts.assigned)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
    return frozenset(out)


def read_names(source: str) -> frozenset[str]:
    """Every name a cell reads anywhere, function bodies included (they run when called)."""
    tree = parse_code(source)
    if tree is None:
        return frozenset()
    return frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load))


def lost_definitions(nb: nbformat.NotebookNode, skipped: set[int]) -> list[tuple[int, list[str]]]:
    """For each skipped code cell (one that killed its kernel and was not run again), the names it
    defines that a later cell reads: what the rest of the notebook was graded without."""
    out = []
    for index in sorted(skipped):
        if index >= len(nb.cells) or nb.cells[index].cell_type != "code":
            continue
        defined = defined_names(nb.cells[index].source)
        later = set().union(*(read_names(c.source) for c in nb.cells[index + 1:] if c.cell_type == "code"))
        needed = sorted(defined & later)
        if needed:
            out.append((index, needed))
    return out
