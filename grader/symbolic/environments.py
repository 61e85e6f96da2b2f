"""``\\begin{...}`` environments, cases, and the conditions of cases and indicators.

``\\begin{cases} 1 & x > 0 \\\\ 0 & \\text{otherwise} \\end{cases}`` becomes a
Piecewise; so do an indicator ``\\mathbb{1}_{x > 0}`` (or ``\\mathbb{1}[x > 0]``)
and, through ``_parse_condition_span``, ``1_{x > 0}`` after a power. A condition
may be prose-led (``\\text{if } x > 0``), joined by and/or, or "otherwise".
"""

from __future__ import annotations

import sympy as sp

from .cursor import Cursor
from .lexer import Token
from .names import OTHERWISE_WORDS
from .syntax import LatexParseError, describe


def _conj(t: Token) -> str | None:
    v = t.value.strip().lower() if t.kind in ("text", "word") else ""
    if v in ("and", "or"):
        return v
    return None


class EnvironmentMixin(Cursor):
    """Environments, cases, indicators and conditions, for ``parser.Parser``."""

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
                raise p.error(f"unexpected {describe(p.peek())} in a condition")
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
