"""What every part of the LaTeX parser shares.

The parse error, one parsed relation chain, the parser's configuration, the
command tables more than one part reads, and the sympy builders (powers that
must not evaluate, relations, decorated names).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable

import sympy as sp

from .lexer import Token
from .names import BUILTIN_FUNCS, DEFAULT_FUNCTIONS, fold

MAX_DEPTH = 40
ARG = sp.Symbol("_arg")  # stands for "the function's argument" in a bare f' or sigma'


class LatexParseError(ValueError):
    """A LaTeX expression could not be read; ``position`` indexes the source."""

    def __init__(self, message: str, position: int = 0, source: str = "") -> None:
        self.reason = message
        self.position = position
        self.source = source
        read = source[:position].strip()
        if len(read) > 60:
            read = "…" + read[-60:]
        rest = source[position:position + 20].strip()
        text = message
        if source:
            text += f" (read `{read}`" + (f", stopped at `{rest}`" if rest else ", at the end") + ")"
        super().__init__(text)


@dataclass
class ParsedMath:
    """One relation chain ``a = b = c`` (or a single expression)."""

    sides: list[sp.Basic]
    ops: list[str]
    spans: list[tuple[int, int]]
    source: str

    def side_latex(self, k: int) -> str:
        a, b = self.spans[k]
        return self.source[a:b].strip()

    @property
    def final(self) -> sp.Basic:
        """The answer in a chain: the last side joined by '=' (not '≈')."""
        for k in range(len(self.sides) - 1, 0, -1):
            if self.ops[k - 1] in ("=", ":="):
                return self.sides[k]
        return self.sides[-1]

    @property
    def final_index(self) -> int:
        for k in range(len(self.sides) - 1, 0, -1):
            if self.ops[k - 1] in ("=", ":="):
                return k
        return len(self.sides) - 1

    @property
    def lhs(self) -> sp.Basic | None:
        return self.sides[0] if len(self.sides) > 1 and self.ops[0] in ("=", ":=") else None


@dataclass
class ParserConfig:
    """What the parser must know beyond LaTeX: which names are functions.

    ``functions`` maps each function's exact name and its ``fold`` key (``relu`` for
    ``ReLU``) to the name to use, so ``Relu(x)`` reads as the question's ``ReLU`` while
    ``\\Phi`` and ``\\phi`` stay two functions. It is built from sorted names: which name a
    spelling reads as never depends on set iteration order (the process's hash seed).
    """

    functions: dict[str, str] = field(default_factory=dict)  # exact name or fold key -> canonical
    words: frozenset[str] = frozenset()  # multi-letter symbol names to keep whole
    vectors: frozenset[str] = frozenset()  # declared vectors: transposes, diag and ordered products (tensors.py)

    @classmethod
    def make(cls, functions: Iterable[str] = (), words: Iterable[str] = (),
             vectors: Iterable[str] = ()) -> "ParserConfig":
        given = sorted(set(functions))
        fmap = {fold(f): f for f in sorted(DEFAULT_FUNCTIONS)}
        folded: dict[str, str] = {}
        for f in given:  # the question's own functions shadow the defaults; the first sorted on a tie
            folded.setdefault(fold(f), f)
        fmap.update(folded)
        fmap.update((f, f) for f in given)  # an exact name is always itself
        vecs = frozenset(vectors)
        return cls(fmap, frozenset(words) | ({"diag"} if vecs else frozenset()), vecs)

    def function(self, name: str) -> str | None:
        """The function ``name`` spells (``Sigmoid`` -> ``sigmoid``), or None."""
        return self.functions.get(name) or self.functions.get(fold(name))


DECORATIONS = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde",
               "widetilde": "tilde", "dot": "dot", "ddot": "ddot", "check": "check",
               "breve": "breve", "acute": "acute", "grave": "grave", "underline": "under"}
FUNC_LIKE_CMDS = frozenset(BUILTIN_FUNCS) | {"ln", "exp", "log"}
_RELATION_BUILDERS = {"=": sp.Eq, "!=": sp.Ne, "<": sp.Lt, ">": sp.Gt, "<=": sp.Le, ">=": sp.Ge}


def _is_huge(e: sp.Basic) -> bool:
    """A numeric value that sympy must not evaluate eagerly (10^{10^{10}})."""
    if not getattr(e, "is_number", False):
        return False
    for node in sp.preorder_traversal(e):
        if isinstance(node, sp.Integer) and abs(int(node)) > 10**6:
            return True
        if isinstance(node, sp.Pow) and node.base.is_number and node.exp.is_number:
            return True  # an unevaluated numeric power survived: it was huge
    return False


def build_pow(base: sp.Basic, exp: sp.Basic) -> sp.Basic:
    """``base**exp`` without letting sympy compute astronomically large numbers."""
    if base.is_number and exp.is_number:
        if _is_huge(exp) or _is_huge(base):
            return sp.Pow(base, exp, evaluate=False)
        if isinstance(exp, sp.Rational) and isinstance(base, sp.Rational) and base != 0:
            mag = max(abs(base.p), abs(base.q), 2)
            if abs(float(exp)) * math.log10(mag) > 400:
                return sp.Pow(base, exp, evaluate=False)
    elif exp.is_number and _is_huge(exp):
        return sp.Pow(base, exp, evaluate=False)
    return sp.Pow(base, exp)


def relation(op: str, a: sp.Basic, b: sp.Basic) -> sp.Basic:
    builder = _RELATION_BUILDERS.get(op)
    if builder is None:
        raise ValueError(f"relation {op} cannot be a condition")
    return builder(a, b, evaluate=False)


def decorate(name: str, deco: str) -> str:
    """y -> y_hat; y_i -> y_hat_i (decoration before the subscript)."""
    if "_" in name:
        base, rest = name.split("_", 1)
        return f"{base}_{deco}_{rest}"
    return f"{name}_{deco}"


def describe(t: Token) -> str:
    if t.kind == "end":
        return "end of input"
    if t.kind == "cmd":
        return f"'\\{t.value}'"
    if t.kind == "rowsep":
        return "'\\\\'"
    if t.kind == "text":
        return f"text '{t.value}'"
    return f"'{t.value}'"
