"""Author-side inputs in sympy syntax: the expected answer and definitions.

``parse_expr`` would map names such as ``beta``, ``gamma``, ``E``-less
``lambda`` or ``S`` onto sympy objects; we bind every identifier explicitly so
``beta_1`` stays a symbol and ``sigma(x)`` an undefined function.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp
from sympy.parsing.sympy_parser import parse_expr, standard_transformations

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# sympy names an author may use in an expected answer.
_SYMPY_NAMES: dict[str, object] = {
    name: getattr(sp, name)
    for name in (
        "exp log sqrt sin cos tan sec csc cot sinh cosh tanh sech csch coth asin acos atan "
        "asinh acosh atanh Abs sign Max Min Piecewise KroneckerDelta Heaviside Sum Product "
        "Eq Ne Lt Le Gt Ge And Or Not Rational Integer Float pi E I oo erf floor ceiling "
        "factorial binomial Derivative Function Symbol"
    ).split()
}
_SYMPY_NAMES.update({"ln": sp.log, "true": sp.true, "false": sp.false})
_CONSTANTS = {"pi", "E", "I", "oo", "True", "False"}


class ExpectedParseError(ValueError):
    """The author's sympy text is invalid: a spec bug, not a student error."""


@lru_cache(maxsize=512)
def parse_sympy(text: str) -> sp.Basic:
    """Parse sympy-syntax text with every unknown identifier bound explicitly."""
    local: dict[str, object] = {}
    src = text
    for m in _IDENT.finditer(text):
        name = m.group()
        if name in local:
            continue
        after = text[m.end():].lstrip()
        is_call = after.startswith("(")
        if name in _SYMPY_NAMES and (is_call or name in _CONSTANTS or name in ("true", "false")):
            local[name] = _SYMPY_NAMES[name]
        elif keyword.iskeyword(name) and name not in ("True", "False", "and", "or", "not"):
            safe = name + "_kw_"
            src = re.sub(rf"\b{name}\b", safe, src)
            local[safe] = sp.Function(name) if is_call else sp.Symbol(name)
        elif name in ("True", "False", "and", "or", "not"):
            continue
        else:
            local[name] = sp.Function(name) if is_call else sp.Symbol(name)
    try:
        return parse_expr(src, local_dict=local, global_dict={"__builtins__": {}, **_SYMPY_NAMES,
                                                               "Symbol": sp.Symbol,
                                                               "Integer": sp.Integer,
                                                               "Float": sp.Float,
                                                               "Rational": sp.Rational},
                          transformations=standard_transformations)
    except Exception as exc:  # noqa: BLE001 - any failure is a spec error
        raise ExpectedParseError(f"cannot parse expected expression {text!r}: {exc}") from exc


@dataclass(frozen=True)
class Definition:
    """``sigma(x) -> 1/(1+exp(-x))`` (function) or ``p_i -> ...`` (symbol)."""

    name: str
    params: tuple[sp.Symbol, ...] | None  # None: a symbol definition
    body: sp.Basic


def parse_definitions(definitions: dict[str, str] | None) -> tuple[Definition, ...]:
    if not definitions:
        return ()
    return _parse_definitions(tuple(sorted(definitions.items())))


@lru_cache(maxsize=256)
def _parse_definitions(items: tuple[tuple[str, str], ...]) -> tuple[Definition, ...]:
    out = []
    for key, value in items:
        key = key.strip()
        m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)", key)
        body = parse_sympy(value)
        if m:
            params = tuple(sp.Symbol(p.strip()) for p in m.group(2).split(",") if p.strip())
            out.append(Definition(m.group(1), params, body))
        else:
            out.append(Definition(key, None, body))
    return tuple(out)


def function_names(expr: sp.Basic) -> set[str]:
    """Names of undefined functions applied in ``expr``."""
    from sympy.core.function import AppliedUndef
    return {f.func.__name__ for f in expr.atoms(AppliedUndef)}
