"""Expression rewrites applied before comparing: aliases, definitions, bare
function names, and evaluation of derivatives whose contents are known."""

from __future__ import annotations

import re

import sympy as sp
from sympy.core.function import AppliedUndef

from .expected import Definition, parse_sympy
from .names import DEFAULT_FUNCTION_DEFS, fold
from .parser import ARG

_INDEX_SUFFIX = re.compile(r"^(.*)_([A-Za-z])$")


def alias_map(aliases: dict[str, list[str]] | None) -> dict[str, str]:
    """{"y_pred": ["y_hat", "p"]} -> {"y_hat": "y_pred", "p": "y_pred"}."""
    out: dict[str, str] = {}
    for canon, others in (aliases or {}).items():
        if isinstance(others, str):
            others = [others]
        for o in others:
            if o != canon:
                out[o] = canon
    return out


def rename_name(name: str, amap: dict[str, str]) -> str:
    if name in amap:
        return amap[name]
    m = _INDEX_SUFFIX.match(name)
    if m and m.group(1) in amap:  # y_hat_i -> y_pred_i
        return f"{amap[m.group(1)]}_{m.group(2)}"
    return name


def apply_aliases(expr: sp.Basic, amap: dict[str, str]) -> sp.Basic:
    """Rename symbols and undefined functions to their canonical names."""
    if not amap:
        return expr
    reps = {}
    for s in expr.atoms(sp.Symbol):
        new = rename_name(s.name, amap)
        if new != s.name:
            reps[s] = sp.Symbol(new)
    if reps:
        expr = expr.xreplace(reps)
    funcs = {f for f in expr.atoms(AppliedUndef) if f.func.__name__ in amap}
    if funcs:
        expr = expr.replace(lambda e: isinstance(e, AppliedUndef) and e.func.__name__ in amap,
                            lambda e: sp.Function(amap[e.func.__name__])(*e.args))
    return expr


def default_arguments(exprs: list[sp.Basic]) -> dict[str, sp.Basic]:
    """For each function, the single argument it is applied to (sigma -> x)."""
    seen: dict[str, set] = {}
    for e in exprs:
        if e is None:
            continue
        for f in e.atoms(AppliedUndef):
            if len(f.args) == 1 and f.args[0] != ARG:
                seen.setdefault(f.func.__name__, set()).add(f.args[0])
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}


def fill_bare_functions(expr: sp.Basic, functions: set[str], defaults: dict[str, sp.Basic]) -> sp.Basic:
    """sigma(1 - sigma) -> sigma(x)*(1 - sigma(x)); sigma' -> d/dx sigma(x)."""
    reps = {}
    for s in expr.atoms(sp.Symbol):
        if s.name in functions and s.name in defaults:
            reps[s] = sp.Function(s.name)(defaults[s.name])
    if reps:
        expr = expr.xreplace(reps)
    if ARG in expr.free_symbols or expr.has(ARG):
        def fix(d):
            f = d.expr
            if isinstance(f, AppliedUndef) and f.func.__name__ in defaults:
                v = defaults[f.func.__name__]
                if isinstance(v, sp.Symbol):
                    return sp.Derivative(f.func(v), *[(v, c) for _, c in d.variable_count])
            return d
        expr = expr.replace(lambda e: isinstance(e, sp.Derivative) and e.has(ARG), fix)
    return expr


def _rename_index(body: sp.Basic, old: str, new: str) -> sp.Basic:
    """Re-index a symbol definition: p_i's body with i -> j gives p_j's."""
    if old == new:
        return body
    reps = {}
    for s in body.free_symbols:
        if s.name == old:
            reps[s] = sp.Symbol(new)
        else:
            m = _INDEX_SUFFIX.match(s.name)
            if m and m.group(2) == old:
                reps[s] = sp.Symbol(f"{m.group(1)}_{new}")
    return body.xreplace(reps)


def substitute_definitions(expr: sp.Basic, defs: tuple[Definition, ...], use_defaults: bool = True,
                           rounds: int = 4) -> sp.Basic:
    """Replace defined functions/symbols by their bodies, then evaluate
    derivatives that became concrete."""
    for _ in range(rounds):
        before = expr
        for d in defs:
            if d.params is not None:
                n = len(d.params)

                def _apply(e, d=d):
                    return d.body.xreplace(dict(zip(d.params, e.args)))
                expr = expr.replace(
                    lambda e, d=d, n=n: isinstance(e, AppliedUndef) and e.func.__name__ == d.name
                    and len(e.args) == n, _apply)
            else:
                reps = {}
                m = _INDEX_SUFFIX.match(d.name)
                for s in expr.free_symbols:
                    if s.name == d.name:
                        reps[s] = d.body
                    elif m:
                        m2 = _INDEX_SUFFIX.match(s.name)
                        if m2 and m2.group(1) == m.group(1):
                            reps[s] = _rename_index(d.body, m.group(2), m2.group(2))
                if reps:
                    expr = expr.xreplace(reps)
        if expr == before:
            break
    if use_defaults:
        defined = {d.name for d in defs}
        for f in list(expr.atoms(AppliedUndef)):
            name = f.func.__name__
            key = fold(name)
            if name in defined or key not in DEFAULT_FUNCTION_DEFS or len(f.args) != 1:
                continue
            body = parse_sympy(DEFAULT_FUNCTION_DEFS[key])
            x = sp.Symbol("_x")
            expr = expr.replace(lambda e, name=name: isinstance(e, AppliedUndef)
                                and e.func.__name__ == name and len(e.args) == 1,
                                lambda e, body=body, x=x: body.xreplace({x: e.args[0]}))
    return evaluate_derivatives(expr)


def evaluate_derivatives(expr: sp.Basic) -> sp.Basic:
    """doit() derivatives whose body is concrete and depends on the variable.

    d/dy_hat of an opaque symbol L stays unevaluated (it is not zero: the
    student left an unfinished derivative)."""
    def concrete(e) -> bool:
        if isinstance(e, sp.Subs):  # f'(2x) once f is known
            return not e.expr.atoms(AppliedUndef)
        if not isinstance(e, sp.Derivative):
            return False
        if e.expr.atoms(AppliedUndef):
            return False
        return all(v in e.expr.free_symbols for v in e.variables)
    if not expr.has(sp.Derivative, sp.Subs):
        return expr
    return expr.replace(concrete, lambda e: e.doit())


def local_definitions(expr: sp.Basic, defs: dict[sp.Symbol, sp.Basic], known: set[str]) -> tuple[sp.Basic, list[str]]:
    """Substitute the student's own ``s = \\sigma(x)`` for symbols the question
    does not know; returns the new expression and the names used."""
    used: list[str] = []
    for _ in range(3):
        reps = {s: defs[s] for s in expr.free_symbols if s.name not in known and s in defs}
        if not reps:
            break
        used.extend(s.name for s in reps)
        expr = expr.xreplace(reps)
    return expr, used


def unify_indices(expr: sp.Basic, names: set[str], keep: frozenset[str] = frozenset()) -> sp.Basic:
    """Elementwise notation: ``\\hat y_i - y_i`` vs ``\\hat y - y`` (or back).

    Applied only when renaming makes every symbol of ``expr`` one of ``names``; names in
    ``keep`` (a question's declared vectors, compared as whole matrices) stay as they are.
    """
    syms = expr.free_symbols
    names = names | keep
    if not syms or {s.name for s in syms} <= names:
        return expr
    reps: dict[sp.Symbol, sp.Symbol] = {}
    for s in syms:
        if s.name in names:
            continue
        m = _INDEX_SUFFIX.match(s.name)
        if m and m.group(1) in names:
            reps[s] = sp.Symbol(m.group(1))
            continue
        withidx = [n for n in names if (mm := _INDEX_SUFFIX.match(n)) and mm.group(1) == s.name]
        if len(withidx) == 1:
            reps[s] = sp.Symbol(withidx[0])
    new = expr.xreplace(reps)
    return new if {s.name for s in new.free_symbols} <= names else expr
