"""Evaluate a sympy expression at one point, in floats or 50-digit mpmath.

Why not ``lambdify``: student input can hide ``10^{10^{10}}`` (Python's integer
``**`` would run for hours inside one uninterruptible C call), cases with no
matching branch must be told apart from domain errors (``log(-1)``), and
indexed symbols (``p_i``, ``p_j`` with ``\\delta_{ij}``) must agree when
``i = j``. A small tree walk gives that control.
"""

from __future__ import annotations

import math
import re
from typing import Any

import mpmath
import sympy as sp
from sympy.core.relational import Relational
from sympy.logic.boolalg import Boolean

from .timer import Deadline

_MAX_LOG2 = 1e6  # results beyond 2**1e6 are "too large to evaluate"
_INDEXED = re.compile(r"^(.+)_([A-Za-z])$")

class Unevaluable(Exception):
    """The expression has parts with no numeric meaning (an unknown function, a derivative)."""


class PieceUndefined(Exception):
    """Cases with no branch for this point."""


class Overflow(Exception):
    """Too large to evaluate: the point tells nothing."""


def _fnan() -> float:
    return float("nan")


class Evaluator:
    """Evaluate an expression at one point; ``mp=True`` uses 50-digit mpmath."""

    def __init__(self, scalars: dict[str, float], vectors: dict[str, list[float]], mp: bool = False,
                 deadline: Deadline | None = None) -> None:
        self.env = dict(scalars)
        self.vectors = vectors
        self.mp = mp
        self.deadline = deadline
        self.steps = 0

    # -- numbers ----------------------------------------------------------------
    def num(self, e: sp.Basic) -> Any:
        if e is sp.nan or e is sp.zoo or e in (sp.oo, -sp.oo):
            return _fnan()
        if isinstance(e, sp.Integer):
            v = int(e)
            if self.mp:
                return mpmath.mpf(v)
            try:
                return float(v)
            except OverflowError:
                raise Overflow from None
        if isinstance(e, sp.Rational):
            if self.mp:
                return mpmath.mpf(int(e.p)) / int(e.q)
            try:
                return int(e.p) / int(e.q)
            except OverflowError:
                raise Overflow from None
        if isinstance(e, sp.Float):
            return mpmath.mpf(e._mpf_) if self.mp else float(e)
        if isinstance(e, sp.NumberSymbol):
            return mpmath.mpf(e.evalf(60)) if self.mp else float(e)
        raise Unevaluable(f"the number {e}")

    def lookup(self, name: str) -> Any:
        if name in self.env:
            return self.env[name]
        m = _INDEXED.match(name)
        if m and m.group(1) in self.vectors and m.group(2) in self.env:
            k = self.env[m.group(2)]
            vec = self.vectors[m.group(1)]
            ik = int(k)
            if ik != k or not 0 <= ik < len(vec):
                raise PieceUndefined
            return vec[ik]
        raise Unevaluable(f"no value for {name}")

    # -- evaluation -------------------------------------------------------------
    def __call__(self, e: sp.Basic) -> Any:
        self.steps += 1
        if self.deadline is not None and self.steps % 64 == 0:
            self.deadline.check()
        if e.is_Number or isinstance(e, sp.NumberSymbol):
            return self.num(e)
        if isinstance(e, sp.Symbol):
            return self.lookup(e.name)
        if isinstance(e, sp.Add):
            total = self(e.args[0])
            for a in e.args[1:]:
                total = total + self(a)
            return total
        if isinstance(e, sp.Mul):
            total = self(e.args[0])
            for a in e.args[1:]:
                total = total * self(a)
            return total
        if isinstance(e, sp.Pow):
            return self.power(self(e.base), self(e.exp))
        if isinstance(e, sp.Piecewise):
            for value, cond in e.args:
                if self.truth(cond):
                    return self(value)
            raise PieceUndefined
        if isinstance(e, sp.KroneckerDelta):
            return self.one(self(e.args[0]) == self(e.args[1]))
        if isinstance(e, (sp.Sum, sp.Product)):
            return self.series(e)
        if isinstance(e, sp.Heaviside):
            v = self(e.args[0])
            if v != v:
                return v
            if v == 0:
                raise PieceUndefined
            return self.one(v > 0)
        if isinstance(e, (sp.Max, sp.Min)):
            vals = [self(a) for a in e.args]
            if any(v != v for v in vals):
                return _fnan()
            return max(vals) if isinstance(e, sp.Max) else min(vals)
        if isinstance(e, sp.Function) and type(e).__name__ in _FUNCS:
            args = [self(a) for a in e.args]
            return self.apply(type(e).__name__, args)
        if isinstance(e, (Relational, Boolean)):
            return self.one(self.truth(e))
        raise Unevaluable(f"{type(e).__name__}")

    def one(self, flag: bool) -> Any:
        return (mpmath.mpf(1) if flag else mpmath.mpf(0)) if self.mp else (1.0 if flag else 0.0)

    def truth(self, c: sp.Basic) -> bool:
        if c is sp.true or c is True:
            return True
        if c is sp.false or c is False:
            return False
        if isinstance(c, sp.And):
            return all(self.truth(a) for a in c.args)
        if isinstance(c, sp.Or):
            return any(self.truth(a) for a in c.args)
        if isinstance(c, sp.Not):
            return not self.truth(c.args[0])
        if isinstance(c, Relational):
            a, b = self(c.lhs), self(c.rhs)
            if a != a or b != b:
                raise PieceUndefined
            op = c.rel_op
            return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b, "==": a == b, "!=": a != b}[op]
        if isinstance(c, sp.Contains):
            v = self(c.args[0])
            s = c.args[1]
            if isinstance(s, sp.Interval):
                return bool(s.contains(sp.Float(float(v))) == sp.true)
            if s is sp.S.Reals:
                return True
        raise Unevaluable(f"condition {c}")

    def power(self, b: Any, x: Any) -> Any:
        if b != b or x != x:
            return _fnan()
        if b == 0:
            if x > 0:
                return b * 0
            return _fnan()  # 0**0 or a pole
        if b < 0 and int(x) != x:
            return _fnan()  # no real value
        size = float(x) * math.log2(abs(float(b))) if abs(b) != 1 else 0.0
        if size > _MAX_LOG2 or (not self.mp and size > 1020):
            raise Overflow
        if size < -_MAX_LOG2 or (not self.mp and size < -1070):
            return b * 0
        if self.mp:
            return mpmath.power(b, x)
        try:
            return b ** x
        except (OverflowError, ZeroDivisionError):
            raise Overflow from None

    def apply(self, name: str, args: list[Any]) -> Any:
        if any(a != a for a in args):
            return _fnan()
        impl = _FUNCS[name]
        x = args[0]
        if name == "exp":
            if x > 700 and not self.mp or x > 1e5:
                raise Overflow
            return mpmath.exp(x) if self.mp else math.exp(x)
        try:
            return impl(mpmath if self.mp else math, *args)
        except (ValueError, ZeroDivisionError):
            return _fnan()
        except OverflowError:
            raise Overflow from None

    def series(self, e: sp.Basic) -> Any:
        body, *limits = e.args
        if len(limits) != 1:
            raise Unevaluable("nested sums")
        var, lo, hi = limits[0]
        a, b = self(lo), self(hi)
        if a != a or b != b or int(a) != a or int(b) != b or b - a > 10000:
            raise Unevaluable("sum bounds")
        saved = self.env.get(var.name)
        acc = self.one(isinstance(e, sp.Product))
        for k in range(int(a), int(b) + 1):
            self.env[var.name] = mpmath.mpf(k) if self.mp else float(k)
            v = self(body)
            acc = acc * v if isinstance(e, sp.Product) else acc + v
        if saved is None:
            self.env.pop(var.name, None)
        else:
            self.env[var.name] = saved
        return acc


def _recip(f):
    return lambda m, x: 1 / f(m, x)


_FUNCS = {
    "exp": lambda m, x: m.exp(x), "log": lambda m, x: m.log(x) if x > 0 else _fnan(),
    "sin": lambda m, x: m.sin(x), "cos": lambda m, x: m.cos(x), "tan": lambda m, x: m.tan(x),
    "sinh": lambda m, x: m.sinh(x), "cosh": lambda m, x: m.cosh(x), "tanh": lambda m, x: m.tanh(x),
    "asin": lambda m, x: m.asin(x), "acos": lambda m, x: m.acos(x), "atan": lambda m, x: m.atan(x),
    "asinh": lambda m, x: m.asinh(x), "acosh": lambda m, x: m.acosh(x),
    "atanh": lambda m, x: m.atanh(x) if -1 < x < 1 else _fnan(),
    "Abs": lambda m, x: abs(x), "sign": lambda m, x: (x > 0) - (x < 0),
    "erf": lambda m, x: m.erf(x), "gamma": lambda m, x: m.gamma(x),
    "factorial": lambda m, x: m.gamma(x + 1), "floor": lambda m, x: m.floor(x),
    "ceiling": lambda m, x: m.ceil(x),
}
_FUNCS.update({
    "sec": _recip(lambda m, x: m.cos(x)), "csc": _recip(lambda m, x: m.sin(x)),
    "cot": _recip(lambda m, x: m.tan(x)), "sech": _recip(lambda m, x: m.cosh(x)),
    "csch": _recip(lambda m, x: m.sinh(x)), "coth": _recip(lambda m, x: m.tanh(x)),
})

