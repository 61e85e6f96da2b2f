"""Recursive-descent parser from student LaTeX to sympy.

Reads the way a TA reads: ``\\hat{y}(1-\\hat{y})`` is a product because
``y_hat`` is not a function, ``\\sigma(x)`` is a call because sigma is,
``\\tanh^2(x)`` is ``tanh(x)**2`` and ``\\frac{d}{dx}`` applies to what
follows. Precedence, loosest first: relations, ``+ -``, explicit ``* / \\cdot``,
implicit products (so ``1/2x`` is ``1/(2x)``), unary minus, powers.

The grammar is split by area, each a mixin of the one ``Parser`` class below:
``cursor`` (token access, brace groups), ``calculus`` (fractions, derivatives,
sums), ``environments`` (cases, indicators, conditions), ``functions`` (names,
subscripts, calls) and ``commands`` (the table of LaTeX commands). This module
keeps the core grammar (relation chains, sums, products, powers, scripts,
groups, atoms) and the entry points.
"""

from __future__ import annotations

from typing import Iterable

import sympy as sp
from sympy.core.function import AppliedUndef

from .commands import CommandMixin
from .lexer import LexError, Token, tokenize
from .names import GREEK

# ARG and _is_huge are not used here: rewrite.py, question.py and equivalence.py import them from here.
from .syntax import (  # noqa: F401
    ARG,
    LatexParseError,
    ParsedMath,
    ParserConfig,
    _is_huge,
    build_pow,
    describe,
    relation,
)
from .tensors import MatProd, Transposed, matrix_valued
from .unicode import normalize_unicode

_REL_OPS = {"=": "=", "<": "<", ">": ">"}
_REL_CMDS = {"le": "<=", "leq": "<=", "leqslant": "<=", "ge": ">=", "geq": ">=",
             "geqslant": ">=", "ne": "!=", "neq": "!=", "approx": "approx", "equiv": "=",
             "coloneqq": ":=", "lt": "<", "gt": ">", "in": "in", "notin": "notin",
             "simeq": "approx", "sim": "approx", "doteq": "="}
_MUL_CMDS = frozenset({"cdot", "times", "ast", "div", "cdotp", "bullet"})


class Parser(CommandMixin):
    """Parser over a token slice; sub-parsers share tokens and source."""

    # -- top level -------------------------------------------------------
    def parse_all(self) -> list["ParsedMath | LatexParseError"]:
        """All relation chains in the slice, split at prose/punctuation."""
        out: list[ParsedMath | LatexParseError] = []
        while True:
            while not self.at_end() and (self.is_separator(self.peek()) or self._skip_prose_paren()):
                self.next()
            if self.at_end():
                return out
            try:
                chain = self.parse_chain()
            except LatexParseError as err:
                out.append(err)
                return out
            out.append(chain)
            t = self.peek()
            if not self.is_separator(t) and not self._skip_prose_paren():
                out.append(self.error(f"unexpected {describe(t)}"))
                return out

    def _skip_prose_paren(self) -> bool:
        """``(\\text{power rule})``: a remark in parentheses. Consumes all but its ')'."""
        if not (self.peek().is_op("(") and self.peek(2).is_op(")") and self.is_prose(self.peek(1))):
            return False
        self.next()
        self.next()
        return True

    def parse_chain(self) -> ParsedMath:
        starts = [self.peek().pos]
        sides = [self.parse_expr()]
        ends = [self._last_end()]
        ops: list[str] = []
        while True:
            op = self._relation_op()
            if op is None:
                break
            ops.append(op)
            starts.append(self.peek().pos)
            if op in ("in", "notin"):
                sides.append(self._parse_set_or_expr())
            else:
                sides.append(self.parse_expr())
            ends.append(self._last_end())
        return ParsedMath(sides, ops, list(zip(starts, ends)), self.src)

    def _last_end(self) -> int:
        j = self.i - 1
        return self.toks[j].end if j >= 0 else 0

    def _relation_op(self) -> str | None:
        t = self.peek()
        if t.kind == "op" and t.value in _REL_OPS:
            self.next()
            v = t.value
            if self.peek().is_op("=") and v in "<>":
                self.next()
                return v + "="
            return _REL_OPS[v]
        if t.kind == "op" and t.value == ":" and self.peek(1).is_op("="):
            self.next()
            self.next()
            return ":="
        if t.kind == "op" and t.value == "!" and self.peek(1).is_op("="):
            self.next()
            self.next()
            return "!="
        if t.kind == "cmd" and t.value == "not" and self.peek(1).is_op("="):
            self.next()
            self.next()
            return "!="
        if t.kind == "cmd" and t.value in _REL_CMDS:
            self.next()
            return _REL_CMDS[t.value]
        return None

    def _parse_set_or_expr(self) -> sp.Basic:
        t = self.peek()
        if t.kind == "cmd" and t.value == "mathbb":
            self.next()
            self._group_tokens()
            return sp.S.Reals
        if t.kind == "op" and t.value in "([":
            # an interval such as (0, 1) or [0, 1): read and ignore
            self.next()
            lo = self.parse_expr()
            self.expect_op(",", "an interval")
            hi = self.parse_expr()
            close = self.next()
            if not (close.kind == "op" and close.value in ")]"):
                raise self.error("expected ')' or ']' to close an interval", close)
            return sp.Interval(lo, hi, t.value == "(", close.value == ")")
        return self.parse_expr()

    # -- arithmetic -------------------------------------------------------
    def parse_expr(self) -> sp.Basic:
        self._enter()
        try:
            terms = [self._signed(self.parse_term)]
            while True:
                t = self.peek()
                if t.kind == "op" and t.value in "+-":
                    self.next()
                    term = self._signed(self.parse_term)
                    terms.append(term if t.value == "+" else -term)
                elif t.kind == "cmd" and t.value in ("pm", "mp"):
                    raise self.error("'±' gives two answers; write a single expression")
                else:
                    break
            if len(terms) > 1:
                self._arithmetic(terms, "added")
            return sp.Add(*terms) if len(terms) > 1 else terms[0]
        finally:
            self._leave()

    def _signed(self, inner) -> sp.Basic:
        sign = 1
        while True:
            t = self.peek()
            if t.kind == "op" and t.value == "-":
                self.next()
                sign = -sign
            elif t.kind == "op" and t.value == "+":
                self.next()
            else:
                break
        v = inner()
        return -v if sign < 0 else v

    def parse_term(self) -> sp.Basic:
        left = self.parse_implicit()
        while True:
            t = self.peek()
            if t.kind == "op" and t.value in "*/":
                op = t.value
            elif t.kind == "cmd" and t.value in _MUL_CMDS:
                op = "/" if t.value == "div" else "*"
            else:
                return left
            self.next()
            right = self._signed(self.parse_implicit)
            self._arithmetic([left, right], "multiplied")
            left = self._product([left, right]) if op == "*" else left / right

    def parse_implicit(self) -> sp.Basic:
        if not self.starts_factor(self.peek()):
            t = self.peek()
            raise self.error("expected a value" if t.kind == "end" else f"unexpected {describe(t)}")
        factors = [self.parse_power()]
        while self.starts_factor(self.peek()):
            factors.append(self.parse_power())
        if len(factors) > 1:
            self._arithmetic(factors, "multiplied")
        return self._product(factors) if len(factors) > 1 else factors[0]

    def _product(self, factors: list[sp.Basic]) -> sp.Basic:
        """A product; with a matrix factor, in the order written (``p p^T`` is not ``p^T p``)."""
        if any(matrix_valued(f, self.cfg.vectors) for f in factors):
            return MatProd(*factors)
        return sp.Mul(*factors)

    def _arithmetic(self, values: list[sp.Basic], how: str) -> None:
        """Lists (a, b), sets and comparisons are not numbers: reject ``g(u, v)`` for an unknown g."""
        for v in values:
            if not isinstance(v, sp.Expr):
                kind = "a list" if isinstance(v, sp.Tuple) else "a set" if isinstance(v, sp.Set) else "a comparison"
                raise self.error(f"{kind} ({v}) cannot be {how}")

    def parse_power(self) -> sp.Basic:
        base = self.parse_atom()
        while True:
            t = self.peek()
            if t.is_op("_") and base == 1:
                # 1_{x > 0}, \mathbf{1}_{x>0}: an indicator
                self.next()
                cs, ce = self._group_tokens()
                base = sp.Piecewise((1, self._parse_condition_span(cs, ce)), (0, True))
            elif t.kind == "op" and t.value == "^" and self._transpose_script(base):
                base = Transposed(base)
            elif t.kind == "op" and t.value == "^":
                self.next()
                if self._peek_prime_script():
                    raise self.error("a prime (') must follow a function name")
                exp = self.parse_script()
                self._arithmetic([base, exp], "raised to a power")
                base = build_pow(base, exp)
            elif t.kind == "op" and t.value == "!" and not self.peek(1).is_op("="):
                self.next()
                if base.is_number and (not base.is_Integer or abs(int(base)) > 500):
                    raise self.error("factorial too large")
                base = sp.factorial(base)
            elif t.kind == "op" and t.value == "_" and isinstance(base, (sp.Symbol, AppliedUndef)):
                self.next()
                sub = self.read_subscript_name()
                if isinstance(base, sp.Symbol):
                    base = sp.Symbol(f"{base.name}_{sub}")
                else:
                    base = sp.Function(f"{base.func.__name__}_{sub}")(*base.args)
            else:
                return base

    def _transpose_script(self, base: sp.Basic) -> bool:
        """``^T``, ``^{\\top}``, ``^\\intercal``, ``^{\\mathsf{T}}`` on a matrix of a question with
        vectors: consumes the script and says so (otherwise ``^T`` stays a power)."""
        if not matrix_valued(base, self.cfg.vectors):
            return False
        k = 1
        while self.peek(k).is_op("{"):
            k += 1
        t = self.peek(k)
        if not (t.is_cmd("top") or t.is_cmd("intercal") or (t.kind in ("letter", "text") and t.value == "T")):
            return False
        opened = k - 1
        if any(not self.peek(k + m).is_op("}") for m in range(1, opened + 1)):
            return False
        for _ in range(k + opened + 1):
            self.next()
        return True

    def _peek_prime_script(self) -> bool:
        t = self.peek()
        if t.kind == "cmd" and t.value == "prime":
            return True
        return t.is_op("{") and self.peek(1).is_cmd("prime")

    def parse_script(self) -> sp.Basic:
        """The argument of ^ or _: a brace group or a single token (TeX rules)."""
        t = self.peek()
        if t.kind == "op" and t.value == "{":
            return self.parse_group("{", "}")
        if t.kind == "op" and t.value == "-":
            self.next()
            return -self.parse_script()
        if t.kind == "num":
            self._split_num_first()
            self.next()
            return sp.Rational(t.value[0]) if len(t.value) > 1 else sp.Rational(t.value)
        if t.kind in ("letter", "word", "text") or (t.kind == "cmd" and t.value in GREEK):
            return self.parse_atom(allow_call=False)
        if t.kind == "cmd" and t.value in ("frac", "dfrac", "tfrac", "infty"):
            return self.parse_atom()
        if t.kind == "op" and t.value == "(":
            return self.parse_atom()
        raise self.error(f"expected an exponent or subscript, found {describe(t)}")

    # -- groups -----------------------------------------------------------
    def parse_group(self, open_: str, close: str, kind: str = "op") -> sp.Basic:
        self.next()
        self._enter()
        try:
            if self.peek().kind == "op" and self.peek().value == close and kind == "op":
                raise self.error("empty group")
            saved_abs = self.abs_depth
            self.abs_depth = 0
            chain = self.parse_chain()
            self.abs_depth = saved_abs
            items = [chain]
            while self.peek().is_op(","):
                self.next()
                items.append(self.parse_chain())
            c = self.next()
            if not (c.kind == kind and c.value == close):
                raise LatexParseError(f"expected '{close}' to close '{open_}'", c.pos, self.src)
        finally:
            self._leave()
        if len(items) > 1:
            vals = [self._chain_value(ch) for ch in items]
            if open_ == "\\{":
                return sp.FiniteSet(*vals)
            return sp.Tuple(*vals)
        return self._chain_value(chain, indicator=open_ in "([")

    def _chain_value(self, chain: ParsedMath, indicator: bool = False) -> sp.Basic:
        if len(chain.sides) == 1:
            return chain.sides[0]
        cond = self._chain_condition(chain)
        if indicator:  # Iverson bracket [x > 0]
            return sp.Piecewise((1, cond), (0, True))
        return cond

    def _chain_condition(self, chain: ParsedMath) -> sp.Basic:
        try:
            rels = [relation(op, a, b) for op, a, b in zip(chain.ops, chain.sides, chain.sides[1:])]
        except (TypeError, ValueError) as exc:
            raise LatexParseError(f"cannot use this relation as a condition: {exc}",
                                  chain.spans[0][0], self.src)
        return sp.And(*rels) if len(rels) > 1 else rels[0]

    # -- atoms -------------------------------------------------------------
    def parse_atom(self, allow_call: bool = True) -> sp.Basic:
        t = self.peek()
        if t.kind == "num":
            self.next()
            return sp.Rational(t.value)
        if t.kind == "op":
            if t.value == "(":
                return self.parse_group("(", ")")
            if t.value == "[":
                return self.parse_group("[", "]")
            if t.value == "{":
                val = self.parse_group("{", "}")
                return self._maybe_call(val) if allow_call else val
            if t.value == "|":
                self.next()
                self._enter()
                self.abs_depth += 1
                try:
                    inner = self.parse_expr()
                finally:
                    self.abs_depth -= 1
                    self._leave()
                self.expect_op("|", "an absolute value")
                return sp.Abs(inner)
            raise self.error(f"unexpected {describe(t)}")
        if t.kind == "cmd":
            return self._parse_cmd(t, allow_call)
        if t.kind in ("letter", "word", "text"):
            if allow_call and t.kind == "letter" and t.value == "d" and self.peek(1).kind != "end":
                deriv = self._slash_derivative()
                if deriv is not None:
                    return deriv
            return self._parse_name_token(t, allow_call)
        raise self.error("expected a value" if t.kind == "end" else f"unexpected {describe(t)}")

    def _parse_span(self, start: int, stop: int, allow_call: bool = True) -> sp.Basic:
        p = self.sub(start, stop)
        if p.at_end():
            raise self.error("empty argument")
        chain = p.parse_chain()
        if not p.at_end():
            raise p.error(f"unexpected {describe(p.peek())}")
        return p._chain_value(chain)


def unwrap_outer_braces(toks: list[Token]) -> list[Token]:
    """``{a = b}`` (left by a transparent \\boxed) -> ``a = b``."""
    while len(toks) >= 3 and toks[0].is_op("{"):
        depth = 0
        for j, u in enumerate(toks[:-1]):
            if u.is_op("{"):
                depth += 1
            elif u.is_op("}"):
                depth -= 1
                if depth == 0:
                    break
        else:
            return toks
        if j != len(toks) - 2:
            return toks
        toks = toks[1:-2] + [toks[-1]]
    return toks


def parse_all(src: str, cfg: ParserConfig | None = None) -> list[ParsedMath | LatexParseError]:
    """Every relation chain in ``src`` (split at prose and punctuation)."""
    cfg = cfg or ParserConfig.make()
    text = normalize_unicode(src)
    try:
        toks = tokenize(text, cfg.words | frozenset(cfg.functions.values()))
    except LexError as exc:
        return [LatexParseError(str(exc), exc.position, text)]
    toks = unwrap_outer_braces(toks)
    try:
        return Parser(toks, text, cfg).parse_all()
    except RecursionError:
        return [LatexParseError("expression nested too deeply", 0, text)]


def parse_math(src: str, cfg: ParserConfig | None = None) -> ParsedMath:
    """Exactly one relation chain (trailing punctuation allowed)."""
    results = parse_all(src, cfg)
    if not results:
        raise LatexParseError("no mathematical expression found", 0, src)
    for r in results:
        if isinstance(r, LatexParseError):
            raise r
    if len(results) > 1:
        first = results[0]
        raise LatexParseError("more than one expression", first.spans[-1][1], first.source)
    return results[0]  # type: ignore[return-value]


def latex_to_sympy(src: str, *, functions: Iterable[str] = ()) -> sp.Basic:
    """Parse one LaTeX expression or relation into sympy.

    A chain ``a = b = c`` becomes ``And(Eq(a, b), Eq(b, c))`` (unevaluated);
    raises LatexParseError with the position where reading stopped.
    """
    cfg = ParserConfig.make(functions)
    chain = parse_math(src, cfg)
    if len(chain.sides) == 1:
        return chain.sides[0]
    rels = []
    for op, a, b in zip(chain.ops, chain.sides, chain.sides[1:]):
        if op in ("=", ":=", "approx"):
            rels.append(sp.Eq(a, b, evaluate=False))
        elif op in ("in", "notin"):
            rels.append(sp.Contains(a, b, evaluate=False) if op == "in"
                        else sp.Not(sp.Contains(a, b, evaluate=False)))
        else:
            rels.append(relation(op, a, b))
    return rels[0] if len(rels) == 1 else sp.And(*rels, evaluate=False)
