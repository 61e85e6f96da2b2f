"""Names and function calls.

A letter, word or ``\\text{}`` becomes a symbol (with its subscript: ``y_{pred}``,
``a_{ij}``) or a call: ``\\sigma(x)``, ``f'(x)``, ``\\text{ReLU}'(x)``,
``\\sigma^2(x)``, and the builtins ``\\tanh^2 x``, ``\\log_2 x``, ``\\max(0, x)``.
Whether a name is a function comes from the parser's configuration.
"""

from __future__ import annotations

import sympy as sp

from .cursor import Cursor
from .lexer import Token
from .names import BUILTIN_FUNCS, GREEK, GREEK_CANON, MULTI_ARG
from .syntax import ARG, DECORATIONS, LatexParseError, build_pow, describe
from .tensors import Diag

_UNDEFINED_WORDS = frozenset({"undefined", "not defined", "undef", "dne", "does not exist", "n/a",
                              "not differentiable", "undefined (not differentiable)"})


class FunctionMixin(Cursor):
    """Symbols, subscripts, primes and calls, for ``parser.Parser``."""

    def _maybe_call(self, val: sp.Basic) -> sp.Basic:
        """{\\sigma}(x) from a font wrapper: a bare function name then '('."""
        func = self.cfg.function(val.name) if isinstance(val, sp.Symbol) else None
        if func is not None and (self.peek().is_op("(") or self.peek().is_op("'")):
            return self._parse_user_function(func)
        return val

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
        if t.kind in ("word", "text") and low == "diag" and self.cfg.vectors and self.peek().is_op("("):
            args = self._call_args()
            if len(args) != 1:
                raise self.error(f"diag takes one vector, got {len(args)} arguments")
            return Diag(args[0])
        if t.kind in ("word", "text") and low in BUILTIN_FUNCS and low not in self.cfg.words:
            return self._parse_builtin(low, t)
        func = self.cfg.function(raw)
        if func is not None and (t.kind != "letter" or allow_call):
            if t.kind == "letter" and not self._call_follows():
                return self._name_postfix(raw, allow_call)
            return self._parse_user_function(func)
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
        func = self.cfg.function(name)
        if allow_call and func is not None and (
                self.peek().is_op("(") or (self.peek().is_op("^") and self._power_then_call())):
            return self._parse_user_function(func)
        return sp.Symbol(func or name)

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
                    raise self.error(f"cannot use {describe(u)} in a subscript", u)
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
        raise self.error(f"cannot read subscript {describe(t)}")

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
            simple = t.kind == "num" or (t.kind == "letter" and self.cfg.function(t.value) is None) \
                or (t.kind == "cmd" and (t.value in DECORATIONS or
                                         (t.value in GREEK and self.cfg.function(t.value) is None)))
            if not simple:
                break
            factors.append(self.parse_power())
        return sp.Mul(*factors)
