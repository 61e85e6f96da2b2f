"""Does the left side of a student's equation name the quantity asked for?

A derivation names many things (σ(x), u'(x), ∂L/∂z, ∂L/∂ŷ); the grader must
grade the line whose left side is the target. Students spell the same
derivative many ways — ``\\sigma'(x)``, ``\\frac{d\\sigma}{dx}``,
``\\frac{d}{dx}\\sigma(x)``, ``\\frac{\\partial \\mathcal{L}}{\\partial \\hat y}`` —
so matching compares what is differentiated (a name, loss names pooled) and
with respect to what, after aliases.
"""

from __future__ import annotations

from typing import Callable

import sympy as sp
from sympy.core.function import AppliedUndef

from .names import LOSS_NAMES, fold

Key = tuple


def _is_loss(name: str) -> bool:
    return name in LOSS_NAMES or name.lower() in {"l", "loss", "ell", "cost"} or \
        name.split("_")[0] in ("L", "ell", "J", "loss", "Loss")


def _norm_name(name: str) -> str:
    return "<loss>" if _is_loss(name) else fold(name)


def _operand_name(e: sp.Basic) -> str | None:
    if isinstance(e, AppliedUndef):
        return _norm_name(e.func.__name__)
    if isinstance(e, sp.Symbol):
        return _norm_name(e.name)
    if isinstance(e, sp.Function) and len(e.args) == 1 and isinstance(e.args[0], sp.Symbol):
        return fold(type(e).__name__)  # d/dx tanh(x)
    return None


def key_of(e: sp.Basic | None) -> Key | None:
    """A comparable description of a left side: ('d', name, vars) for derivatives."""
    if e is None:
        return None
    if isinstance(e, sp.Derivative):
        return ("d", _operand_name(e.expr), tuple((v, int(c)) for v, c in e.variable_count))
    if isinstance(e, sp.Subs) and isinstance(e.expr, sp.Derivative):
        inner = e.expr
        point = dict(zip(e.variables, e.point))
        vars_ = tuple((point.get(v, v), int(c)) for v, c in inner.variable_count)
        return ("d@", _operand_name(inner.expr), vars_)
    if isinstance(e, AppliedUndef):
        return ("f", _norm_name(e.func.__name__), e.args)
    if isinstance(e, sp.Symbol):
        return ("s", _norm_name(e.name))
    return ("e", e)


def _whole(key: Key | None, indices: tuple[str, ...]) -> Key | None:
    """∂p_i/∂z_j -> ∂p/∂z: the whole matrix whose entry (i, j) a question with indices asks for."""
    def strip(name: str) -> str:
        return name[:-2] if len(name) > 2 and name[-2] == "_" and name[-1] in indices else name
    if key is None or key[0] != "d" or not isinstance(key[1], str):
        return None
    return ("d", strip(key[1]), tuple((sp.Symbol(strip(v.name)) if isinstance(v, sp.Symbol) else v, c)
                                      for v, c in key[2]))


def _has_value(e: sp.Basic) -> bool:
    """tanh(a), 3x³ − 2x: an expression to compare with (not f(x) or σ, known only by name)."""
    return not isinstance(e, (AppliedUndef, sp.Symbol)) and not e.atoms(AppliedUndef)


class TargetMatcher:
    """Decide whether a (renamed, bare-filled) left side is the target."""

    def __init__(self, target: sp.Basic | None, same_value: Callable[[sp.Basic, sp.Basic], bool] | None = None,
                 defined: frozenset[str] = frozenset(), variables: set[sp.Symbol] | None = None,
                 indices: tuple[str, ...] = ()) -> None:
        self.target = target
        self.variables = variables
        self.key = key_of(target)
        self.whole = _whole(self.key, indices) if indices else None
        self.same_value = same_value
        self.defined = {fold(d) for d in defined}

    def __bool__(self) -> bool:
        return self.key is not None

    def matches(self, lhs: sp.Basic | None) -> bool:
        return self.level(lhs) > 0

    def level(self, lhs: sp.Basic | None) -> int:
        """2: names the target (σ'(x), dσ/dx), or d/dx of an explicit expression shown to be the
        target's (d/dx of tanh written out); 1: d/dx of an explicit expression that may be it
        (d/dx (3x³ − ...) for an f with no definition to compare with); 0: something else."""
        if lhs is None or self.key is None:
            return 0
        k = key_of(lhs)
        if k == self.key or (self.whole is not None and k == self.whole):
            return 2
        return self._loosely(lhs, k)

    def _loosely(self, lhs: sp.Basic, k: Key | None) -> int:
        t = self.key
        if k is None or t is None or k[0] != t[0] or t[0] not in ("d", "d@"):
            return 0
        if k[2] != t[2]:
            return 0
        # d/dx of an explicit expression: the target when that expression is
        # what the target differentiates (or the target's function has no
        # definition to compare with, e.g. f or a loss). A target with a value
        # (d/da tanh(a), a defined σ) is compared: "since d/da(e^a − e^{-a}) = …"
        # is a side fact, not the derivation.
        if k[1] is None:
            if self.variables is not None and not lhs.expr.free_symbols <= self.variables:
                return 0  # d/dx x^n: a rule, not this function
            name = t[1]
            valued = isinstance(self.target, sp.Derivative) and _has_value(self.target.expr)
            if name in self.defined or (valued and self.same_value is not None):
                if self.same_value is not None and isinstance(self.target, sp.Derivative):
                    return 2 if self.same_value(lhs.expr, self.target.expr) else 0
                return 0
            return 1
        return 0

    def is_target_itself(self, e: sp.Basic) -> bool:
        """The expression merely restates the target (σ'(x) as an 'answer')."""
        return self.key is not None and key_of(e) == self.key
