"""Recursive-descent parser from student LaTeX to sympy.

Reads the way a TA reads: ``\\hat{y}(1-\\hat{y})`` is a product because
``y_hat`` is not a function, ``\\sigma(x)`` is a call because sigma is,
``\\tanh^2(x)`` is ``tanh(x)**2`` and ``\\frac{d}{dx}`` applies to what
follows. Precedence, loosest first: relations, ``+ -``, explicit ``* / \\cdot``,
implicit products (so ``1/2x`` is ``1/(2x)``), unary minus, powers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import sympy as sp
from sympy.core.function import AppliedUndef

from .lexer import LexError, Token, tokenize
from .names import (BUILTIN_FUNCS, DEFAULT_FUNCTIONS, GREEK, GREEK_CANON, MULTI_ARG,
                    OTHERWISE_WORDS, PROSE)
from .unicode import normalize_unicode

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

    def is_equation(self) -> bool:
        return len(self.sides) > 1 and all(o in ("=", ":=", "approx") for o in self.ops)


@dataclass
class ParserConfig:
    """What the parser must know beyond LaTeX: which names are functions."""

    functions: dict[str, str] = field(default_factory=dict)  # lower -> canonical
    words: frozenset[str] = frozenset()  # multi-letter symbol names to keep whole

    @classmethod
    def make(cls, functions: Iterable[str] = (), words: Iterable[str] = ()) -> "ParserConfig":
        fmap = {f.lower(): f for f in DEFAULT_FUNCTIONS}
        for f in functions:
            fmap[f.lower()] = f
        return cls(fmap, frozenset(words))


_REL_OPS = {"=": "=", "<": "<", ">": ">"}
_REL_CMDS = {"le": "<=", "leq": "<=", "leqslant": "<=", "ge": ">=", "geq": ">=",
             "geqslant": ">=", "ne": "!=", "neq": "!=", "approx": "approx", "equiv": "=",
             "coloneqq": ":=", "lt": "<", "gt": ">", "in": "in", "notin": "notin",
             "simeq": "approx", "sim": "approx", "doteq": "="}
_SEPARATOR_CMDS = frozenset({"Rightarrow", "implies", "Longrightarrow", "iff", "therefore",
                             "because", "to", "rightarrow", "Leftrightarrow", "longrightarrow",
                             "mapsto", "forall", "exists", "text_sep",
                             "ldots", "dots", "cdots", "dotsc"})  # "i = 1, \dots, n" lists
_DECORATIONS = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde",
                "widetilde": "tilde", "dot": "dot", "ddot": "ddot", "check": "check",
                "breve": "breve", "acute": "acute", "grave": "grave", "underline": "under"}
_MUL_CMDS = frozenset({"cdot", "times", "ast", "div", "cdotp", "bullet"})
_FUNC_LIKE_CMDS = frozenset(BUILTIN_FUNCS) | {"ln", "exp", "log"}
_VALUE_CMDS = frozenset({"frac", "dfrac", "tfrac", "cfrac", "sqrt", "sum", "prod", "mathbb",
                         "begin", "infty", "partial", "nabla", "{", "binom"}) | frozenset(
    _DECORATIONS) | GREEK | _FUNC_LIKE_CMDS
_UNDEFINED_WORDS = frozenset({"undefined", "not defined", "undef", "dne", "does not exist", "n/a",
                              "not differentiable", "undefined (not differentiable)"})
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
            import math
            mag = max(abs(base.p), abs(base.q), 2)
            if abs(float(exp)) * math.log10(mag) > 400:
                return sp.Pow(base, exp, evaluate=False)
    elif exp.is_number and _is_huge(exp):
        return sp.Pow(base, exp, evaluate=False)
    return sp.Pow(base, exp)


def _rel(op: str, a: sp.Basic, b: sp.Basic) -> sp.Basic:
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


class Parser:
    """Parser over a token slice; sub-parsers share tokens and source."""

    def __init__(self, toks: list[Token], src: str, cfg: ParserConfig, start: int = 0,
                 stop: int | None = None, depth: int = 0) -> None:
        self.toks = toks
        self.src = src
        self.cfg = cfg
        self.i = start
        self.stop = len(toks) - 1 if stop is None else stop  # index of the sentinel
        self.depth = depth
        self.abs_depth = 0

    # -- token access -------------------------------------------------
    def peek(self, k: int = 0) -> Token:
        j = self.i
        seen = 0
        while j < self.stop:
            t = self.toks[j]
            if t.kind == "op" and t.value == "&":
                j += 1
                continue
            if seen == k:
                return t
            seen += 1
            j += 1
        end = self.toks[self.stop] if self.stop < len(self.toks) else self.toks[-1]
        return Token("end", "", end.pos, end.pos)

    def next(self) -> Token:
        while self.i < self.stop and self.toks[self.i].is_op("&"):
            self.i += 1
        t = self.peek()
        if self.i < self.stop:
            self.i += 1
        return t

    def at_end(self) -> bool:
        return self.peek().kind == "end"

    def error(self, msg: str, tok: Token | None = None) -> LatexParseError:
        t = tok or self.peek()
        return LatexParseError(msg, t.pos, self.src)

    def expect_op(self, value: str, what: str = "") -> Token:
        t = self.peek()
        if t.kind == "op" and t.value == value:
            return self.next()
        raise self.error(f"expected '{value}'" + (f" to close {what}" if what else ""))

    def sub(self, start: int, stop: int) -> "Parser":
        if self.depth + 1 > MAX_DEPTH:
            raise self.error(f"nesting deeper than {MAX_DEPTH} levels")
        return Parser(self.toks, self.src, self.cfg, start, stop, self.depth + 1)

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nesting deeper than {MAX_DEPTH} levels")

    def _leave(self) -> None:
        self.depth -= 1

    # -- token classification ------------------------------------------
    def is_prose(self, t: Token) -> bool:
        if t.kind == "word" and t.value.lower() in PROSE and t.value.lower() not in self.cfg.words:
            return True
        if t.kind == "text":
            v = t.value.strip().lower().rstrip(".,:;")
            if not v:
                return True
            if v in PROSE or v in OTHERWISE_WORDS or " " in v:
                return True
        return False

    def starts_factor(self, t: Token) -> bool:
        if t.kind in ("num", "letter"):
            return True
        if t.kind == "word":
            return not self.is_prose(t)
        if t.kind == "text":
            return not self.is_prose(t)
        if t.kind == "op":
            if t.value in "([{":
                return True
            if t.value == "|":
                return self.abs_depth == 0
            return False
        if t.kind == "cmd":
            return t.value in _VALUE_CMDS or t.value in ("ell", "mathbb", "operatorname")
        return False

    def is_separator(self, t: Token) -> bool:
        if t.kind in ("quad", "rowsep", "end"):
            return True
        if t.kind == "op" and t.value in ",;.:":
            return not (t.value == ":" and self.peek(1).is_op("="))
        if t.kind == "cmd" and t.value in _SEPARATOR_CMDS:
            return True
        return self.is_prose(t)

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
                out.append(self.error(f"unexpected {_describe(t)}"))
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
            left = left * right if op == "*" else left / right

    def parse_implicit(self) -> sp.Basic:
        if not self.starts_factor(self.peek()):
            t = self.peek()
            raise self.error("expected a value" if t.kind == "end" else f"unexpected {_describe(t)}")
        factors = [self.parse_power()]
        while self.starts_factor(self.peek()):
            factors.append(self.parse_power())
        if len(factors) > 1:
            self._arithmetic(factors, "multiplied")
        return sp.Mul(*factors) if len(factors) > 1 else factors[0]

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
        raise self.error(f"expected an exponent or subscript, found {_describe(t)}")

    def _split_num_first(self) -> None:
        """TeX reads x^23 as x^2 3 and \\frac12 as 1/2: split a digit off."""
        j = self.i
        while self.toks[j].is_op("&"):
            j += 1
        t = self.toks[j]
        if t.kind == "num" and len(t.value) > 1:
            first = Token("num", t.value[0], t.pos, t.pos + 1, t.ws)
            rest = Token("num", t.value[1:], t.pos + 1, t.end, False)
            if rest.value.startswith("."):
                return
            self.toks[j:j + 1] = [first, rest]
            self.stop += 1

    # -- groups -----------------------------------------------------------
    def _matching(self, j: int) -> int:
        """Index of the token closing the group opened at toks[j]."""
        t = self.toks[j]
        pairs = {("op", "{"): ("op", "}"), ("op", "("): ("op", ")"), ("op", "["): ("op", "]"),
                 ("cmd", "{"): ("cmd", "}")}
        close = pairs[(t.kind, t.value)]
        depth = 0
        k = j
        while k < self.stop:
            u = self.toks[k]
            if (u.kind, u.value) == (t.kind, t.value):
                depth += 1
            elif (u.kind, u.value) == close:
                depth -= 1
                if depth == 0:
                    return k
            k += 1
        raise LatexParseError(f"unbalanced '{t.value}'", t.pos, self.src)

    def _group_tokens(self) -> tuple[int, int]:
        """Consume a brace group or single token; return its inner token span."""
        while self.toks[self.i].is_op("&"):
            self.i += 1
        t = self.toks[self.i] if self.i < self.stop else self.peek()
        if t.kind == "end" or self.i >= self.stop:
            raise self.error("missing argument")
        if t.is_op("{"):
            k = self._matching(self.i)
            start = self.i + 1
            self.i = k + 1
            return start, k
        if t.kind == "num":
            self._split_num_first()
        j = self.i
        self.i += 1
        if t.kind == "cmd" and t.value in _DECORATIONS:
            self._group_tokens()  # \frac\hat{y}2: take \hat{y} whole
        return j, self.i

    def parse_group(self, open_: str, close: str, kind: str = "op") -> sp.Basic:
        t = self.next()
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
            rels = [_rel(op, a, b) for op, a, b in zip(chain.ops, chain.sides, chain.sides[1:])]
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
            raise self.error(f"unexpected {_describe(t)}")
        if t.kind == "cmd":
            return self._parse_cmd(t, allow_call)
        if t.kind in ("letter", "word", "text"):
            if allow_call and t.kind == "letter" and t.value == "d" and self.peek(1).kind != "end":
                deriv = self._slash_derivative()
                if deriv is not None:
                    return deriv
            return self._parse_name_token(t, allow_call)
        raise self.error("expected a value" if t.kind == "end" else f"unexpected {_describe(t)}")


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

    def _maybe_call(self, val: sp.Basic) -> sp.Basic:
        """{\\sigma}(x) from a font wrapper: a bare function name then '('."""
        if isinstance(val, sp.Symbol) and val.name.lower() in self.cfg.functions:
            if self.peek().is_op("(") or self.peek().is_op("'"):
                return self._parse_user_function(self.cfg.functions[val.name.lower()])
        return val

    def _parse_cmd(self, t: Token, allow_call: bool) -> sp.Basic:
        name = t.value
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            self.next()
            return self._parse_frac(t)
        if name == "binom":
            self.next()
            a = self._parse_span(*self._group_tokens())
            b = self._parse_span(*self._group_tokens())
            return sp.binomial(a, b)
        if name == "sqrt":
            self.next()
            index = None
            if self.peek().is_op("["):
                index = self.parse_group("[", "]")
            arg = self._parse_span(*self._group_tokens())
            return sp.sqrt(arg) if index is None else build_pow(arg, 1 / index)
        if name in ("sum", "prod"):
            self.next()
            return self._parse_sum(name)
        if name == "mathbb":
            self.next()
            return self._parse_mathbb(t)
        if name == "begin":
            self.next()
            return self._parse_env(t)
        if name == "infty":
            self.next()
            return sp.oo
        if name == "{":
            return self.parse_group("\\{", "}", kind="cmd")
        if name in _DECORATIONS:
            self.next()
            inner = self._parse_span(*self._group_tokens(), allow_call=False)
            if isinstance(inner, sp.Symbol):
                return self._name_postfix(decorate(inner.name, _DECORATIONS[name]), allow_call)
            raise self.error(f"\\{name} must decorate a single symbol", t)
        if name in ("partial", "nabla"):
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
        if name in _FUNC_LIKE_CMDS:
            self.next()
            return self._parse_builtin(name, t)
        if name in GREEK:
            self.next()
            g = GREEK_CANON.get(name, name)
            if g == "pi" and not self.peek().is_op("_"):
                return sp.pi
            return self._name_postfix(g, allow_call)
        if name == "ell":
            self.next()
            return self._name_postfix("ell", allow_call)
        if name == "operatorname":
            raise self.error("\\operatorname needs a name", t)
        if name in ("cdots", "ldots", "dots", "vdots"):
            raise self.error("an ellipsis '…' is not a complete expression", t)
        if name in ("int", "iint", "oint", "lim", "limsup", "liminf"):
            raise self.error(f"\\{name} is not supported", t)
        raise self.error(f"unknown command \\{name}", t)

    def _parse_span(self, start: int, stop: int, allow_call: bool = True) -> sp.Basic:
        p = self.sub(start, stop)
        if p.at_end():
            raise self.error("empty argument")
        chain = p.parse_chain()
        if not p.at_end():
            raise p.error(f"unexpected {_describe(p.peek())}")
        return p._chain_value(chain)

    # -- names, functions -----------------------------------------------------
    def _parse_name_token(self, t: Token, allow_call: bool) -> sp.Basic:
        self.next()
        raw = t.value.strip() if t.kind == "text" else t.value
        low = raw.lower()
        if t.kind == "text":
            if not raw:
                raise self.error("empty \\text{}", t)
            if low in ("e",):
                return self._e_or_symbol()
            if low.rstrip(".,;") in _UNDEFINED_WORDS:
                return sp.nan  # a case "undefined if x = 0"
        if t.kind in ("word", "text") and low in BUILTIN_FUNCS and low not in self.cfg.words:
            return self._parse_builtin(low, t)
        if low in self.cfg.functions and (t.kind != "letter" or allow_call):
            if t.kind == "letter" and not self._call_follows():
                return self._name_postfix(raw, allow_call)
            return self._parse_user_function(self.cfg.functions[low])
        if t.kind == "word" and raw in GREEK:
            g = GREEK_CANON.get(raw, raw)
            if g == "pi" and not self.peek().is_op("_"):
                return sp.pi
            return self._name_postfix(g, allow_call)
        if t.kind == "text":
            if self.is_prose(t):
                raise self.error(f"unexpected text '{raw}'", t)
            name = raw.replace(" ", "")
            if allow_call and (self.peek().is_op("(") or self._prime_follows()):
                return self._parse_user_function(name)
            return self._name_postfix(name, allow_call)
        if t.kind == "letter" and raw == "e" and not self.peek().is_op("_"):
            return sp.E
        return self._name_postfix(raw, allow_call)

    def _e_or_symbol(self) -> sp.Basic:
        return sp.E

    def _call_follows(self) -> bool:
        t = self.peek()
        return t.is_op("(") or t.is_op("'") or (t.is_op("^") and self._power_then_call())

    def _prime_follows(self) -> bool:
        t = self.peek()
        if t.is_op("'"):
            return True
        return t.is_op("^") and (self.peek(1).is_cmd("prime") or
                                 (self.peek(1).is_op("{") and self.peek(2).is_cmd("prime")))

    def _power_then_call(self) -> bool:
        save = self.i, self.stop
        try:
            self.next()
            self.parse_script()
            return self.peek().is_op("(")
        except LatexParseError:
            return False
        finally:
            self.i, self.stop = save

    def _name_postfix(self, name: str, allow_call: bool) -> sp.Basic:
        """Subscripts and primes after a symbol name; f'(x) makes f a function."""
        if self.peek().is_op("_"):
            self.next()
            sub = self.read_subscript_name()
            if name == "delta" and len(sub) == 2 and sub.isalpha():
                return sp.KroneckerDelta(sp.Symbol(sub[0]), sp.Symbol(sub[1]))
            if name == "delta" and "," in sub:
                a, b = sub.split(",", 1)
                return sp.KroneckerDelta(sp.Symbol(a), sp.Symbol(b))
            name = f"{name}_{sub}"
        if allow_call and self._prime_follows():
            return self._parse_user_function(name)
        if allow_call and name.lower() in self.cfg.functions and (
                self.peek().is_op("(") or (self.peek().is_op("^") and self._power_then_call())):
            return self._parse_user_function(self.cfg.functions[name.lower()])
        if name.lower() in self.cfg.functions:
            return sp.Symbol(self.cfg.functions[name.lower()])
        return sp.Symbol(name)

    def read_subscript_name(self) -> str:
        """The text of a subscript used as part of a name: y_{pred}, a_{ij}, x_1."""
        t = self.peek()
        if t.is_op("{"):
            k = self._matching(self.i)
            parts = []
            for u in self.toks[self.i + 1:k]:
                if u.kind in ("letter", "word", "num", "cmd"):
                    parts.append(u.value)
                elif u.kind == "text":
                    parts.append(u.value.strip().replace(" ", "_"))
                elif u.kind == "op" and u.value in "+-,":
                    parts.append(u.value)
                elif u.kind == "op" and u.value in "{}":
                    continue
                else:
                    raise self.error(f"cannot use {_describe(u)} in a subscript", u)
            self.i = k + 1
            if all(len(p) == 1 for p in parts):
                groups = "".join(parts).split(",")  # y_{pred,i} -> pred_i; a_{i,j} -> ij
                sub = "_".join(groups) if any(len(g) > 1 for g in groups) and len(groups) > 1 \
                    else "".join(groups)
            else:
                sub = "_".join(p for p in parts if p != ",")
            if not sub:
                raise self.error("empty subscript", t)
            return sub
        if t.kind == "num":
            self._split_num_first()
            return self.next().value
        if t.kind in ("letter", "word"):
            self.next()
            return t.value
        if t.kind == "text":
            self.next()
            return t.value.strip().replace(" ", "_")
        if t.kind == "cmd" and (t.value in GREEK):
            self.next()
            return GREEK_CANON.get(t.value, t.value)
        raise self.error(f"cannot read subscript {_describe(t)}")

    def _count_primes(self) -> int:
        n = 0
        while True:
            t = self.peek()
            if t.is_op("'"):
                self.next()
                n += 1
            elif t.is_op("^") and self.peek(1).is_cmd("prime"):
                self.next()
                self.next()
                n += 1
            elif t.is_op("^") and self.peek(1).is_op("{") and self.peek(2).is_cmd("prime"):
                self.next()
                self.next()
                while self.peek().is_cmd("prime"):
                    self.next()
                    n += 1
                self.expect_op("}", "a prime")
            else:
                return n

    def _parse_user_function(self, name: str) -> sp.Basic:
        """sigma(x), f'(x), ReLU'(x), tanh^2-like sigma^2(x), bare sigma."""
        power = None
        primes = self._count_primes()
        if not primes and self.peek().is_op("^") and self._power_then_call():
            self.next()
            power = self.parse_script()
        if not primes:
            primes = self._count_primes()
        if not self.peek().is_op("("):
            if primes:
                f = sp.Function(name)
                return sp.Derivative(f(ARG), (ARG, primes))
            return sp.Symbol(name)
        args = self._call_args()
        marker = sp.Symbol(name)
        if len(args) == 1 and marker in args[0].free_symbols and not primes:
            # sigma(1 - sigma): shorthand for sigma * (1 - sigma)
            return marker * args[0]
        f = sp.Function(name)
        if primes:
            if len(args) != 1:
                raise self.error(f"{name}' with {len(args)} arguments")
            a = args[0]
            if isinstance(a, sp.Symbol):
                val = sp.Derivative(f(a), (a, primes))
            else:
                u = sp.Dummy("u")
                val = sp.Subs(sp.Derivative(f(u), (u, primes)), u, a)
        else:
            val = f(*args)
        return build_pow(val, power) if power is not None else val

    def _call_args(self) -> list[sp.Basic]:
        val = self.parse_group("(", ")")
        if isinstance(val, sp.Tuple):
            return list(val.args)
        return [val]

    def _parse_builtin(self, name: str, t: Token) -> sp.Basic:
        """exp, log, ln, log_2, sin^2 x, tanh(x), max(0, x) ..."""
        func = BUILTIN_FUNCS[name]
        base = None
        power = None
        if self.peek().is_op("_") and name in ("log",):
            self.next()
            base = self.parse_script()
        if self.peek().is_op("^") and not self._prime_follows():
            self.next()
            power = self.parse_script()
        primes = self._count_primes()
        if self.peek().is_op("_") and name == "log" and base is None:
            self.next()
            base = self.parse_script()
        nt = self.peek()
        if nt.is_op("("):
            args = self._call_args()
        elif nt.is_op("{") or nt.is_cmd("{"):
            val = self.parse_group("{", "}") if nt.is_op("{") else self.parse_group("\\{", "}", "cmd")
            args = list(val.args) if isinstance(val, (sp.Tuple, sp.FiniteSet)) else [val]
        elif nt.is_op("["):
            args = [self.parse_group("[", "]")]
        elif self.starts_factor(nt):
            args = [self._bare_arg()]
        else:
            raise self.error(f"\\{name} needs an argument", nt)
        if name in MULTI_ARG:
            if len(args) < 2:
                raise self.error(f"\\{name} needs at least two arguments")
        elif len(args) != 1:
            raise self.error(f"\\{name} takes one argument, got {len(args)}")
        if base is not None:
            val = sp.log(args[0], base)
        else:
            val = func(*args)
        if primes:
            a = args[0]
            if isinstance(a, sp.Symbol):
                val = sp.Derivative(val, (a, primes))
            else:
                u = sp.Dummy("u")
                val = sp.Subs(sp.Derivative(func(u), (u, primes)), u, a)
        return build_pow(val, power) if power is not None else val

    def _bare_arg(self) -> sp.Basic:
        r"""\ln x, \sin 2x, \log \hat{y}: a juxtaposition of simple factors."""
        factors = [self.parse_power()]
        while True:
            t = self.peek()
            simple = t.kind == "num" or (t.kind == "letter" and t.value.lower() not in self.cfg.functions) \
                or (t.kind == "cmd" and (t.value in _DECORATIONS or
                                         (t.value in GREEK and t.value not in self.cfg.functions)))
            if not simple:
                break
            factors.append(self.parse_power())
        return sp.Mul(*factors)

    # -- fractions and derivatives ------------------------------------------
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
            raise q.error(f"unexpected {_describe(q.peek())}")
        return sp.Derivative(q._chain_value(chain), *variables, evaluate=False)

    def _postfix_sub(self, val: sp.Basic) -> sp.Basic:
        if self.peek().is_op("_") and isinstance(val, sp.Symbol):
            self.next()
            return sp.Symbol(f"{val.name}_{self.read_subscript_name()}")
        return val

    # -- sums, indicators, environments ------------------------------------------
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

    def _parse_mathbb(self, t: Token) -> sp.Basic:
        s, e = self._group_tokens()
        inner = "".join(u.value for u in self.toks[s:e])
        if inner in ("1", "I"):
            nt = self.peek()
            if nt.is_op("_"):
                self.next()
                cs, ce = self._group_tokens()
                cond = self._parse_condition_span(cs, ce)
            elif nt.is_op("[") or nt.is_op("(") or nt.is_op("{") or nt.is_cmd("{"):
                opener = nt
                k = self._matching(self.i)
                cond = self._parse_condition_span(self.i + 1, k)
                self.i = k + 1
                del opener
            else:
                raise self.error("an indicator \\mathbb{1} needs a condition", nt)
            return sp.Piecewise((1, cond), (0, True))
        return self._name_postfix(inner, True)

    def _parse_env(self, t: Token) -> sp.Basic:
        if not self.peek().is_op("{"):
            raise self.error("\\begin without an environment name")
        k = self._matching(self.i)
        env = self.src[self.toks[self.i].end:self.toks[k].pos].strip()
        self.i = k + 1
        if env == "array" and self.peek().is_op("{"):
            self.i = self._matching(self.i) + 1  # column spec
        end = self._find_end(env)
        body_start, body_stop = self.i, end
        self.i = end + 1
        if self.peek().is_op("{"):
            self.i = self._matching(self.i) + 1
        if env in ("cases", "dcases", "rcases", "array", "cases*"):
            return self._parse_cases(body_start, body_stop)
        if env in ("pmatrix", "bmatrix", "matrix", "vmatrix"):
            raise LatexParseError("matrices are not supported", t.pos, self.src)
        raise LatexParseError(f"environment '{env}' inside an expression", t.pos, self.src)

    def _find_end(self, env: str) -> int:
        depth = 0
        j = self.i
        while j < self.stop:
            u = self.toks[j]
            if u.is_cmd("begin"):
                depth += 1
            elif u.is_cmd("end"):
                if depth == 0:
                    return j
                depth -= 1
            j += 1
        raise self.error(f"\\begin{{{env}}} without \\end{{{env}}}")

    def _split_top(self, start: int, stop: int, pred) -> list[tuple[int, int]]:
        parts = []
        depth = 0
        env = 0
        s = start
        for j in range(start, stop):
            u = self.toks[j]
            if u.kind == "op" and u.value in "{([":
                depth += 1
            elif u.kind == "op" and u.value in "})]":
                depth -= 1
            elif u.is_cmd("begin"):
                env += 1
            elif u.is_cmd("end"):
                env -= 1
            elif depth == 0 and env == 0 and pred(u):
                parts.append((s, j))
                s = j + 1
        parts.append((s, stop))
        return parts

    def _parse_cases(self, start: int, stop: int) -> sp.Basic:
        rows = self._split_top(start, stop, lambda u: u.kind == "rowsep")
        pieces = []
        for rs, re_ in rows:
            if rs >= re_:
                continue
            cells = self._split_top(rs, re_, lambda u: u.is_op("&"))
            if len(cells) == 1:
                cells = self._split_value_condition(rs, re_)
            vs, ve = cells[0]
            cs, ce = (cells[1][0], cells[-1][1]) if len(cells) > 1 else (re_, re_)
            vs, ve = self._trim(vs, ve)
            if vs >= ve:
                raise LatexParseError("a case without a value", self.toks[rs].pos, self.src)
            value = self._parse_span(vs, ve)
            cond = self._parse_condition_span(cs, ce, allow_otherwise=True)
            pieces.append((value, cond))
        if not pieces:
            raise self.error("empty cases")
        try:
            return sp.Piecewise(*pieces)
        except (TypeError, ValueError) as exc:
            raise LatexParseError(f"cannot build the cases: {exc}", self.toks[start].pos, self.src)

    def _split_value_condition(self, s: int, e: int) -> list[tuple[int, int]]:
        """A row without '&': split at ',', \\quad or a prose word."""
        for j in range(s, e):
            u = self.toks[j]
            if (u.is_op(",") or u.kind == "quad" or self.is_prose(u)) and j > s:
                if u.is_op(",") or u.kind == "quad":
                    return [(s, j), (j + 1, e)]
                return [(s, j), (j, e)]
        return [(s, e)]

    def _trim(self, s: int, e: int) -> tuple[int, int]:
        while s < e and (self.toks[s].kind == "quad" or self.toks[s].is_op(",", ".", ";", "&")):
            s += 1
        while e > s and (self.toks[e - 1].kind == "quad" or self.toks[e - 1].is_op(",", ".", ";", ":")):
            e -= 1
        return s, e

    def _parse_condition_span(self, s: int, e: int, allow_otherwise: bool = False) -> sp.Basic:
        s, e = self._trim(s, e)
        # \{x > 0\} or {x > 0}: a set-builder brace around the whole condition
        while e - s >= 2 and ((self.toks[s].is_cmd("{") and self.toks[e - 1].is_cmd("}")) or
                              any(self.toks[s].is_op(a) and self.toks[e - 1].is_op(b)
                                  for a, b in (("{", "}"), ("[", "]"), ("(", ")")))):
            if self._matching(s) != e - 1:
                break
            s, e = s + 1, e - 1
        # strip leading prose: \text{if }, for, when ...
        while s < e:
            u = self.toks[s]
            if u.kind == "text" and u.value.strip().lower().rstrip(".,:") in OTHERWISE_WORDS:
                return sp.true
            if u.kind == "word" and u.value.lower() in OTHERWISE_WORDS:
                return sp.true
            if self.is_prose(u) or u.kind == "quad" or u.is_op(","):
                s += 1
                continue
            break
        s, e = self._trim(s, e)
        if s >= e:
            if allow_otherwise:
                return sp.true
            raise LatexParseError("missing condition", self.toks[s].pos, self.src)
        parts = self._split_top(s, e, lambda u: (self.is_prose(u) and _conj(u) is not None)
                                or u.is_cmd("land", "lor", "wedge", "vee") or u.is_op(","))
        conds = []
        joins = []
        for (ps, pe), j in zip(parts, range(len(parts))):
            if j > 0:
                sep = self.toks[ps - 1]
                joins.append("or" if (_conj(sep) == "or" or sep.is_cmd("lor", "vee")) else "and")
            ps, pe = self._trim(ps, pe)
            while ps < pe and self.is_prose(self.toks[ps]):
                ps += 1
            if ps >= pe:
                continue
            p = self.sub(ps, pe)
            chain = p.parse_chain()
            if not p.at_end():
                raise p.error(f"unexpected {_describe(p.peek())} in a condition")
            if len(chain.sides) < 2:
                raise LatexParseError("a condition needs a comparison such as x > 0",
                                      self.toks[ps].pos, self.src)
            conds.append(p._chain_condition(chain))
        if not conds:
            return sp.true
        out = conds[0]
        for j, c in zip(joins, conds[1:]):
            out = sp.Or(out, c) if j == "or" else sp.And(out, c)
        return out


def _conj(t: Token) -> str | None:
    v = t.value.strip().lower() if t.kind in ("text", "word") else ""
    if v in ("and", "or"):
        return v
    return None


def _describe(t: Token) -> str:
    if t.kind == "end":
        return "end of input"
    if t.kind == "cmd":
        return f"'\\{t.value}'"
    if t.kind == "rowsep":
        return "'\\\\'"
    if t.kind == "text":
        return f"text '{t.value}'"
    return f"'{t.value}'"


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
            rels.append(_rel(op, a, b))
    return rels[0] if len(rels) == 1 else sp.And(*rels, evaluate=False)
