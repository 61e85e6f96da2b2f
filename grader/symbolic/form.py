"""Required and forbidden names: "express σ'(x) in terms of σ(x)".

An answer can be equivalent yet not in the asked form (e^{-x}/(1+e^{-x})^2
instead of σ(x)(1−σ(x))); the spec's ``form: {require: [...], forbid: [...]}``
names functions or symbols that must (not) appear in what the student wrote.
"""

from __future__ import annotations

from typing import Callable

import sympy as sp
from sympy.core.function import AppliedUndef

from .names import fold


def has_name(e: sp.Basic, name: str) -> bool:
    """``e`` uses ``name`` as an undefined function, a symbol or a sympy function (exp)."""
    key = fold(name)
    if any(fold(f.func.__name__) == key for f in e.atoms(AppliedUndef)):
        return True
    if any(fold(s.name) == key for s in e.free_symbols):
        return True
    return any(fold(type(f).__name__) == key for f in e.atoms(sp.Function))


def form_problem(e: sp.Basic, form: dict[str, list[str]], pretty: Callable[[str], str] = str) -> str | None:
    """What is wrong with the form of ``e`` (as the end of a sentence), or None."""
    missing = [n for n in form.get("require", []) if not has_name(e, n)]
    if missing:
        return "it must be written in terms of " + " and ".join(pretty(n) for n in missing)
    used = [n for n in form.get("forbid", []) if has_name(e, n)]
    if used:
        return "it must not use " + " or ".join(pretty(n) for n in used)
    return None
