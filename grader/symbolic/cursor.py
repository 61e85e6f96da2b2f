"""The parser's cursor over the token list.

Token access (``&`` column marks are invisible to it), the nesting-depth guard,
what a token is (prose, a separator, the start of a factor) and brace groups.
The grammar itself is in the mixins built on this class (calculus,
environments, functions, commands) and in ``parser.Parser``, which combines
them; a method here or in a mixin may call any of theirs through ``self``.
"""

from __future__ import annotations

from .lexer import Token
from .names import GREEK, OTHERWISE_WORDS, PROSE
from .syntax import (
    DECORATIONS,
    FUNC_LIKE_CMDS,
    MAX_DEPTH,
    LatexParseError,
    ParserConfig,
)

_SEPARATOR_CMDS = frozenset({"Rightarrow", "implies", "Longrightarrow", "iff", "therefore",
                             "because", "to", "rightarrow", "Leftrightarrow", "longrightarrow",
                             "mapsto", "forall", "exists", "text_sep",
                             "ldots", "dots", "cdots", "dotsc"})  # "i = 1, \dots, n" lists
_VALUE_CMDS = frozenset({"frac", "dfrac", "tfrac", "cfrac", "sqrt", "sum", "prod", "mathbb",
                         "begin", "infty", "partial", "nabla", "{", "binom"}) | frozenset(
    DECORATIONS) | GREEK | FUNC_LIKE_CMDS


class Cursor:
    """A position in a token slice; sub-cursors share tokens and source."""

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

    def sub(self, start: int, stop: int) -> "Cursor":
        if self.depth + 1 > MAX_DEPTH:
            raise self.error(f"nesting deeper than {MAX_DEPTH} levels")
        return type(self)(self.toks, self.src, self.cfg, start, stop, self.depth + 1)

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
        if t.kind == "cmd" and t.value in DECORATIONS:
            self._group_tokens()  # \frac\hat{y}2: take \hat{y} whole
        return j, self.i

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
