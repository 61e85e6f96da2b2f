"""What in a blank + solution pair is a question: the functions the blank leaves as stubs, and the
markdown answer cells the blank leaves empty (or as a placeholder) where the solution writes math.

Both notebooks are read as text only here; nothing of either runs.
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass, field

import nbformat

from grader.notebook.answers import normalise
from grader.notebook.attempt import definitions
from grader.notebook.read import parse_code

_MATH = re.compile(r"\$|\\\[|\\begin\{")
_PLACEHOLDER = re.compile(r"your\s+(answer|solution)|todo|fill\s+in|write\s+(your|the)\s+|answer\s+here|^\W*$",
                          re.IGNORECASE)
_EXERCISE = re.compile(r"^\s*(\*\*|__)?\s*(exercise|question|task|problem|aufgabe)\s*[\d.]*\s*:?\s*(\*\*|__)?\s*:?\s*",
                       re.IGNORECASE)
_DISPLAY = re.compile(r"\$\$.*?\$\$|\\\[.*?\\\]|\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.DOTALL)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")


@dataclass
class Parameter:
    name: str
    default: object = None
    has_default: bool = False
    literal: bool = True  # the default is a literal the YAML can state (`0.01`), not an expression


@dataclass
class CodeFinding:
    """A function the blank leaves to the student."""

    name: str
    parameters: list[Parameter]
    cell: int          # where the solution defines it (0-based)
    blank_cell: int    # where the blank has its stub
    stub: str          # what the blank's body is, in a few words
    signature: str     # as the blank writes it


@dataclass
class WrittenFinding:
    """A markdown answer cell: empty or a placeholder in the blank, math in the solution."""

    blank_cell: int
    solution_cell: int
    prompt: str        # a sentence of the question's cell, to find the answer by
    section: str | None
    solution_text: str


@dataclass
class Findings:
    code: list[CodeFinding] = field(default_factory=list)
    written: list[WrittenFinding] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # what looked like a question but is not made one, and why
    title: str | None = None


def find_questions(blank: nbformat.NotebookNode, solution: nbformat.NotebookNode) -> Findings:
    out = Findings(title=_first_heading(blank) or _first_heading(solution))
    out.code = _code_questions(blank, solution, out.skipped)
    out.written = _written_questions(blank, solution)
    return out


# ------------------------------------------------------------------ code

def _code_questions(blank: nbformat.NotebookNode, solution: nbformat.NotebookNode, skipped: list[str]) -> list[CodeFinding]:
    theirs, mine = definitions(blank), definitions(solution)
    nodes = _def_nodes(solution)
    blank_nodes = _def_nodes(blank)
    found = []
    for name, defs in mine.items():
        last = defs[-1]
        stub = theirs.get(name)
        if stub is None:
            continue  # the solution's own helper: the blank does not ask for it
        if stub[-1].code == last.code:
            continue  # given in the blank as it is in the solution: not an exercise
        node = nodes.get(name)
        if isinstance(node, ast.ClassDef) or node is None:
            skipped.append(f"{name}: a class (write an `optimizer` question for it by hand)")
            continue
        bnode = blank_nodes.get(name)
        found.append(CodeFinding(name, _parameters(node), last.cell, stub[-1].cell,
                                 _stub_words(bnode) if stub[-1].placeholder else "partly given code",
                                 _signature(bnode or node)))
    return sorted(found, key=lambda f: (f.blank_cell, _order_in_cell(blank, f)))


def _order_in_cell(nb: nbformat.NotebookNode, f: CodeFinding) -> int:
    return nb.cells[f.blank_cell].source.find(f"def {f.name}(")


def _def_nodes(nb: nbformat.NotebookNode) -> dict[str, ast.AST]:
    out: dict[str, ast.AST] = {}
    for cell in nb.cells:
        tree = parse_code(cell.source) if cell.cell_type == "code" else None
        for node in tree.body if tree is not None else []:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out[node.name] = node
    return out


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[Parameter]:  # type: ignore[name-defined]
    a = node.args
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    out = []
    for arg, default in [*zip(positional, defaults), *zip(a.kwonlyargs, a.kw_defaults)]:
        if default is None:
            out.append(Parameter(arg.arg))
            continue
        try:
            out.append(Parameter(arg.arg, ast.literal_eval(default), True))
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            out.append(Parameter(arg.arg, ast.unparse(default), True, literal=False))
    return out


def _signature(node: ast.AST) -> str:
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    return f"{node.name}({ast.unparse(node.args)})"


def _stub_words(node: ast.AST | None) -> str:
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return "a stub"
    kinds = {type(s).__name__ for s in node.body}
    if "Raise" in kinds:
        return "a stub that raises NotImplementedError"
    if "Return" in kinds:
        return "a stub that returns None"
    return "a stub (`pass`)"


# ------------------------------------------------------------------ written answers

def _key(cell: nbformat.NotebookNode) -> str:
    """What two copies of the same cell share, whatever the solution filled in."""
    if cell.cell_type == "code":
        tree = parse_code(cell.source)
        names = sorted(n.name for n in (tree.body if tree else []) if isinstance(n, (ast.FunctionDef, ast.ClassDef)))
        return "code:" + (",".join(names) if names else normalise(cell.source)[:80])
    return f"{cell.cell_type}:" + normalise(cell.source)


def _written_questions(blank: nbformat.NotebookNode, solution: nbformat.NotebookNode) -> list[WrittenFinding]:
    a, b = [_key(c) for c in blank.cells], [_key(c) for c in solution.cells]
    pairs: list[tuple[int, int]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "replace":
            pairs += list(zip(range(i1, i2), range(j1, j2)))
    out = []
    for i, j in pairs:
        bc, sc = blank.cells[i], solution.cells[j]
        if bc.cell_type != "markdown" or sc.cell_type != "markdown":
            continue
        # an answer cell: a placeholder in the blank (math of its own there is a changed prompt), math in the solution
        if not _MATH.search(sc.source) or not _placeholder_only(bc.source):
            continue
        prompt_cell = _prompt_cell(blank, i)
        if prompt_cell is None:
            continue
        out.append(WrittenFinding(i, j, _prompt_sentence(blank.cells[prompt_cell].source),
                                  _section(blank, prompt_cell), sc.source))
    return out


def _placeholder_only(text: str) -> bool:
    """An answer cell as a blank leaves it: empty, a marker ("Your Solution:"), a placeholder."""
    stripped = re.sub(r"[*_#>\s]", " ", text).strip()
    return not stripped or bool(_PLACEHOLDER.search(stripped)) and len(stripped) < 200


def _prompt_cell(nb: nbformat.NotebookNode, index: int) -> int | None:
    """The markdown cell before the answer cell that asks the question (not a bare "Your Solution:")."""
    for j in range(index - 1, max(-1, index - 6), -1):
        c = nb.cells[j]
        if c.cell_type == "markdown" and _prompt_sentence(c.source):
            return j
    return None


def _prompt_sentence(text: str) -> str:
    """The question's own sentence: the last line of prose in the cell, without its "Exercise 1:"
    label, markdown emphasis or the math after it, at most about ten words."""
    text = _DISPLAY.sub("\n", text)
    for line in reversed(text.splitlines()):
        line = line.strip()
        if not line or line.startswith(("$", "\\", "#")) or _MATH.match(line):
            continue
        line = _EXERCISE.sub("", line)
        line = re.split(r"\$|\\\(|\\\[", line)[0]
        line = re.sub(r"[*_`]", "", line).strip(" :.-—")
        if re.search(r"your\s+(solution|answer)", line, re.IGNORECASE) or len(line.split()) < 3:
            continue
        words = line.split()
        return " ".join(words[:10])
    return ""


def _section(nb: nbformat.NotebookNode, index: int) -> str | None:
    for j in range(index, -1, -1):
        c = nb.cells[j]
        if c.cell_type != "markdown":
            continue
        for line in reversed(c.source.splitlines()):
            m = _HEADING.match(line)
            if m:
                return re.sub(r"^[\d.]+\s*", "", re.sub(r"[*_`]", "", m.group(1))).strip() or None
    return None


def _first_heading(nb: nbformat.NotebookNode) -> str | None:
    for c in nb.cells:
        if c.cell_type == "markdown":
            for line in c.source.splitlines():
                m = _HEADING.match(line)
                if m:
                    return re.sub(r"[*_`]", "", m.group(1)).strip()
    return None
