"""Derivatives, fractions, sums and products.

``\\frac{d}{dx} f``, ``\\frac{\\partial^2 L}{\\partial x^2}`` (a fraction whose
numerator and denominator start with d or \\partial), ``dL/dx`` and
``\\partial L/\\partial w`` typed with a slash, ``\\partial_x f``, and
``\\sum_{j=1}^{n}`` / ``\\prod`` with their index range.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import AppliedUndef

from .cursor import Cursor
from .lexer import Token
from .syntax import LatexParseError, describe


class CalculusMixin(Cursor):
    """Fractions, derivatives, sums and products, for ``parser.Parser``."""

    def _parse_frac(self, t: Token) -> sp.Basic:
        ns, ne = self._group_tokens()
        ds, de = self._group_tokens()
        deriv = self._derivative_pattern(ns, ne, ds, de)
        if deriv is not None:
            return deriv
        num = self._parse_span(ns, ne)
        den = self._parse_span(ds, de)
        if den == 0:
            raise LatexParseError("division by zero", t.pos, self.src)
        return num / den

    def _is_d(self, u: Token) -> bool:
        return (u.kind == "letter" and u.value == "d") or (u.kind == "text" and u.value.strip() == "d") \
            or u.is_cmd("partial")

    def _derivative_pattern(self, ns: int, ne: int, ds: int, de: int) -> sp.Basic | None:
        toks = self.toks
        if ne <= ns or de <= ds or not self._is_d(toks[ns]) or not self._is_d(toks[ds]):
            return None
        # denominator: (d|partial) var [^n] ...
        variables: list[tuple[sp.Symbol, int]] = []
        p = self.sub(ds, de)
        try:
            while not p.at_end():
                if not self._is_d(p.next()):
                    return None
                var = p.parse_atom(allow_call=False)
                var = p._postfix_sub(var)
                if not isinstance(var, sp.Symbol):
                    return None
                order = 1
                if p.peek().is_op("^"):
                    p.next()
                    o = p.parse_script()
                    if not (o.is_Integer and 0 < o < 10):
                        return None
                    order = int(o)
                variables.append((var, order))
        except LatexParseError:
            return None
        if not variables:
            return None
        total = sum(o for _, o in variables)
        q = self.sub(ns, ne)
        q.next()  # the d
        if q.peek().is_op("^"):
            q.next()
            o = q.parse_script()
            if o != total:
                raise self.error("the orders in the numerator and denominator differ")
        if q.at_end():
            operand = self.parse_implicit()
            return sp.Derivative(operand, *variables, evaluate=False)
        chain = q.parse_chain()
        if not q.at_end():
            raise q.error(f"unexpected {describe(q.peek())}")
        return sp.Derivative(q._chain_value(chain), *variables, evaluate=False)

    def _postfix_sub(self, val: sp.Basic) -> sp.Basic:
        if self.peek().is_op("_") and isinstance(val, sp.Symbol):
            self.next()
            return sp.Symbol(f"{val.name}_{self.read_subscript_name()}")
        return val

    def _slash_d_variable(self) -> sp.Symbol:
        """After the numerator of a slash derivative: ``/ dx`` (or ``/ \\partial x``) -> x."""
        self.next()  # the slash
        if not self._is_d(self.peek()):
            raise self.error("not a derivative")
        self.next()
        var = self.parse_atom(allow_call=False)
        if not isinstance(var, sp.Symbol):
            raise self.error("not a derivative")
        return var

    def _slash_derivative(self) -> sp.Basic | None:
        """``∂L/∂ŷ``, ``dL/dx``, ``d/dx f``: a derivative typed with a slash.

        Returns None (having consumed nothing) when the tokens do not form one,
        so ``d`` can still be an ordinary variable."""
        save = self.i
        try:
            self.next()  # d or \partial
            if self.peek().is_op("/"):  # d/dx f
                var = self._slash_d_variable()
                return sp.Derivative(self.parse_implicit(), var, evaluate=False)
            num = self.parse_atom(allow_call=True)  # dL/dx
            if not isinstance(num, (sp.Symbol, AppliedUndef)) or not self.peek().is_op("/"):
                raise self.error("not a derivative")
            return sp.Derivative(num, self._slash_d_variable(), evaluate=False)
        except LatexParseError:
            self.i = save
            return None

    def _parse_partial(self, t: Token) -> sp.Basic:
        """``\\partial_x f``, ``\\nabla_w L``; ``\\partial L/\\partial w`` is a slash derivative."""
        name = t.value
        if name == "partial" and not self.peek(1).is_op("_"):
            deriv = self._slash_derivative()
            if deriv is not None:
                return deriv
        self.next()
        if not self.peek().is_op("_"):
            raise self.error(f"\\{name} without a variable", t)
        self.next()
        var = self.parse_script()
        operand = self.parse_implicit()
        return sp.Derivative(operand, var, evaluate=False)

    def _parse_sum(self, kind: str) -> sp.Basic:
        lower_span = upper_span = None
        for _ in range(2):
            if self.peek().is_op("_") and lower_span is None:
                self.next()
                lower_span = self._group_tokens()
            elif self.peek().is_op("^") and upper_span is None:
                self.next()
                upper_span = self._group_tokens()
        if lower_span is None:
            raise self.error(f"\\{kind} needs an index, e.g. \\{kind}_j")
        p = self.sub(*lower_span)
        chain = p.parse_chain()
        exclude = None
        lower = sp.Integer(1)
        idx = chain.sides[0]
        if len(chain.sides) == 2 and chain.ops[0] == "=":
            lower = chain.sides[1]
        elif len(chain.sides) == 2 and chain.ops[0] == "!=":
            exclude = chain.sides[1]
        elif len(chain.sides) == 2 and chain.ops[0] in ("in",):
            pass
        elif len(chain.sides) != 1:
            raise self.error("cannot read the summation range")
        if not isinstance(idx, sp.Symbol):
            raise self.error("the summation index must be a single letter")
        upper = self._parse_span(*upper_span) if upper_span else sp.Symbol("n")
        body = self.parse_implicit()
        if exclude is not None:
            body = body * (1 - sp.KroneckerDelta(idx, exclude))
        cls = sp.Sum if kind == "sum" else sp.Product
        return cls(body, (idx, lower, upper))
