"""The author's side of a symbolic question, parsed once per check.

Everything the student's answer is read against: the expected expression with
definitions applied, the target (what the left side of the graded equation must
name), aliases, which names are functions, the question's variables, and the
known mistakes. Invalid author input raises ValueError: a spec bug, not the
student's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Iterable

import sympy as sp
from sympy.core.function import AppliedUndef

from .expected import Definition, function_names, parse_definitions, parse_sympy
from .parser import ARG, LatexParseError, ParserConfig, parse_all
from .rewrite import (
    alias_map,
    apply_aliases,
    default_arguments,
    fill_bare_functions,
    substitute_definitions,
)
from .sampling import Plan, make_plan
from .target import _is_loss
from .tensors import Tensors

_HEAVISIDE = re.compile(r"heaviside|(unit|step)[ -]+(step|function)", re.I)
_STEP_NAMES = ("H", "u", "Theta", "theta")
_ENTRY = re.compile(r"(.+)_[A-Za-z]")  # p_k: an entry of the vector p
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:[-+][A-Za-z0-9]+)*")  # a symbol name as the reader makes it: theta_t-1 for \theta_{t-1}


@dataclass
class Question:
    expected: sp.Basic  # with definitions applied: what answers are compared with
    expected_raw: sp.Basic
    definitions: tuple[Definition, ...]
    aliases: dict[str, str]  # alias -> canonical name
    cfg: ParserConfig
    target: sp.Basic | None
    defaults: dict[str, sp.Basic]  # function -> its usual argument (sigma -> x)
    functions: set[str]
    known: set[str]  # names the question itself uses
    variables: set[sp.Symbol]
    mistakes: list[tuple[dict[str, Any], sp.Basic]]
    assumptions: dict[str, dict]
    conventions: list[dict]
    form: dict[str, list[str]]
    tensors: Tensors | None = None  # vectors and indices: compared entry by entry (matrices.py)

    @classmethod
    def build(cls, expected: str, *, definitions: dict[str, str] | None = None, target: str | None = None,
              aliases: dict[str, list[str]] | None = None, assumptions: dict[str, dict] | None = None,
              conventions: list[dict] | None = None, form: dict[str, list[str]] | None = None,
              mistakes: list[dict] | None = None, functions: Iterable[str] = (),
              indices: list[str] | None = None, vectors: dict[str, str] | None = None) -> "Question":
        """Parse the author's inputs; raises ValueError when they are invalid."""
        tensors = Tensors.make(indices, vectors)
        raw = parse_sympy(expected)
        defs = parse_definitions(definitions)
        mist = [(dict(m), parse_sympy(str(m["expr"]))) for m in (mistakes or [])]
        funcs = {d.name for d in defs if d.params is not None} | function_names(raw) | set(functions)
        for _, m in mist:
            funcs |= function_names(m)
        amap = alias_map(read_aliases(aliases, ParserConfig.make(funcs)))
        funcs |= {a for a, canon in amap.items() if canon in funcs}  # \phi for Phi(x): a call, renamed to Phi
        words = {a for a in list(amap) + list(amap.values()) if a.isalpha() and len(a) > 1}
        words |= {s.name for s in raw.free_symbols if s.name.isalpha() and len(s.name) > 1}
        vecs = set(tensors.names) if tensors else set()
        vecs |= {a for a, canon in amap.items() if canon in vecs}  # \mathbf{s} for p
        tgt = _parse_target(target, ParserConfig.make(funcs, words, vecs), amap) if target else None
        if tgt is not None:
            funcs |= {f.func.__name__ for f in tgt.atoms(AppliedUndef)}
            if isinstance(tgt, sp.Derivative) and isinstance(tgt.expr, sp.Symbol) and _is_loss(tgt.expr.name):
                funcs.add(tgt.expr.name)  # so L(y, ŷ) reads as the loss applied to its arguments
        defaults = default_arguments([raw, tgt] + [m for _, m in mist])
        if tgt is not None:
            tgt = fill_bare_functions(tgt, funcs, defaults)
        value = substitute_definitions(raw, defs)
        variables = set(value.free_symbols) | set(raw.free_symbols)
        variables |= {sp.Symbol(k) for k in (assumptions or {})}
        for c in conventions or []:
            variables |= {sp.Symbol(str(k)) for k in (c.get("at") or {})}
        if tensors is not None:
            variables |= {sp.Symbol(n) for n in [*tensors.names, *tensors.indices]}
        if tgt is not None:
            variables |= {s for s in tgt.free_symbols if s != ARG}
        known = {s.name for s in variables} | funcs | set(amap.values())
        mistakes_ = [(m, substitute_definitions(e, defs)) for m, e in mist]
        return cls(value, raw, defs, amap, ParserConfig.make(funcs, words, vecs), tgt, defaults, funcs, known,
                   variables, mistakes_, dict(assumptions or {}), list(conventions or []), dict(form or {}), tensors)

    @property
    def vector_names(self) -> frozenset[str]:
        """The declared vectors (p for ``diag(p) - pp^T``): whole matrices, never renamed to entries."""
        return self.tensors.names if self.tensors is not None else frozenset()

    def undefined(self, symbols: set[sp.Symbol]) -> set[sp.Symbol]:
        """The symbols the question does not define: not its variables, not an entry p_k of a vector,
        not the size n."""
        vecs = self.vector_names
        return {s for s in symbols if s not in self.variables and not (vecs and (
            s.name == "n" or ((m := _ENTRY.fullmatch(s.name)) is not None and m.group(1) in vecs)))}

    def plan(self, exprs: Iterable[sp.Basic], assumptions: dict[str, dict] | None = None) -> Plan:
        """How to sample a comparison under this question (``assumptions``: narrowed to a region)."""
        return make_plan(exprs, self.assumptions if assumptions is None else assumptions, self.conventions,
                         self.tensors)

    def prep(self, e: sp.Basic) -> sp.Basic:
        """Rename aliases and give bare function names their argument (σ → σ(x))."""
        return fill_bare_functions(apply_aliases(e, self.aliases), self.functions, self.defaults)

    def for_answer(self, text: str) -> "Question":
        """``H(x)``, ``u(x)``, ``\\Theta(x)`` are the unit step when the student says so
        (otherwise they are just letters)."""
        if not _HEAVISIDE.search(text):
            return self
        names = {n for n in _STEP_NAMES if n not in self.functions | self.known}
        if not names:
            return self
        funcs = self.functions | names
        return replace(self, cfg=ParserConfig.make(funcs, self.cfg.words, self.cfg.vectors), functions=funcs,
                       aliases={**self.aliases, **{n: "heaviside" for n in names}})


def read_aliases(aliases: dict[str, list[str] | str] | None, cfg: ParserConfig) -> dict[str, list[str]]:
    """The aliases with every name as the parser spells it: an author may write a name
    (``y_hat``) or LaTeX as in the sheet (``\\hat{y}``, ``\\lambda``, ``y_{pred}``, ``\\mathbf{p}``),
    for the canonical name as well as for its aliases. Raises ValueError for LaTeX that is
    not one symbol."""
    out: dict[str, list[str]] = {}
    for canon, others in (aliases or {}).items():
        others = [others] if isinstance(others, str) else list(others)
        out.setdefault(_alias_name(canon, cfg), []).extend(_alias_name(o, cfg) for o in others)
    return out


def _alias_name(text: str, cfg: ParserConfig) -> str:
    text = str(text).strip()
    if _NAME.fullmatch(text):
        return text
    try:
        parsed = parse_all(text, cfg)
    except RecursionError:
        parsed = []
    value = parsed[0].sides[0] if len(parsed) == 1 and not isinstance(parsed[0], LatexParseError) \
        and len(parsed[0].sides) == 1 else None
    if isinstance(value, sp.Symbol):
        return value.name
    raise ValueError(f"cannot read the alias `{text}`: write a name (y_hat) or one LaTeX symbol (\\hat{{y}})")


def _parse_target(target: str, cfg: ParserConfig, amap: dict[str, str]) -> sp.Basic:
    try:
        parsed = parse_all(target, cfg)
    except RecursionError:
        parsed = []
    if not parsed or isinstance(parsed[0], LatexParseError) or len(parsed[0].sides) != 1 or len(parsed) > 1:
        raise ValueError(f"cannot read the target {target!r}")
    return apply_aliases(parsed[0].sides[0], amap)
