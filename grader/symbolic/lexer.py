"""Tokenizer for student LaTeX.

Drops presentation-only markup (\\left, \\bigl, \\, \\displaystyle ...) so the
parser sees only mathematical structure, and keeps known multi-letter words
(tanh, exp, ReLU, sigma) whole inside a run of letters so ``tanh(x)`` typed
without a backslash still reads as a function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .names import LEXER_WORDS, PROSE


class LexError(ValueError):
    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


@dataclass(slots=True)
class Token:
    kind: str   # num letter word cmd text op rowsep quad end
    value: str
    pos: int
    end: int
    ws: bool = False  # whitespace or a spacing command precedes it

    def is_op(self, *values: str) -> bool:
        return self.kind == "op" and self.value in values

    def is_cmd(self, *values: str) -> bool:
        return self.kind == "cmd" and self.value in values


# Commands that only change presentation: dropped.
_SKIP_CMDS = frozenset(
    "displaystyle textstyle scriptstyle limits nolimits Large large LARGE small tiny huge Huge "
    "normalsize left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr bigm Bigm "
    "middle nonumber notag mathstrut strut quad qquad enspace thinspace medspace thickspace "
    "negthinspace hfill cr checkmark blacksquare square qed Box QED".split()
)
# Font commands are transparent: their brace group stays and reads as grouping.
_FONT_CMDS = frozenset({"mathbf", "boldsymbol", "bm", "mathcal", "mathit", "mathsf", "mathscr",
                        "mathfrak", "pmb", "vec", "mathnormal", "emph", "boxed", "fbox",
                        "overbrace", "cancel"})
_SPACE_CMDS = frozenset({",", ";", ":", "!", " ", ">", "enspace", "thinspace", "medspace",
                         "thickspace", "negthinspace"})
# Commands whose single brace argument is dropped entirely.
_DROP_ARG_CMDS = frozenset({"label", "tag", "hspace", "vspace", "phantom", "hphantom",
                            "vphantom", "color", "tag*", "textcolor"})
# Commands whose argument is prose or an operator name: emitted as one text token.
_TEXT_CMDS = frozenset({"text", "textrm", "textit", "textbf", "textsf", "texttt", "mbox",
                        "mathrm", "operatorname", "textnormal", "mathop", "hbox"})
_DELIM_ALIASES = {"lvert": "|", "rvert": "|", "vert": "|", "lVert": "|", "rVert": "|", "|": "|",
                  "Vert": "|", "lbrace": "\\{", "rbrace": "\\}", "{": "\\{", "}": "\\}",
                  "lbrack": "[", "rbrack": "]", "langle": "(", "rangle": ")",
                  "lparen": "(", "rparen": ")", "lfloor": "(", "rfloor": ")", "lceil": "(",
                  "rceil": ")"}
_OPS = set("+-*/^_()[]{}|,.;:!=<>&'")

MAX_TOKENS = 4000


def _read_group(src: str, i: int) -> tuple[str, int]:
    """Return the content of the brace group starting at src[i] == '{'."""
    depth = 0
    j = i
    while j < len(src):
        c = src[j]
        if c == "\\":
            j += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return src[i + 1:j], j + 1
        j += 1
    raise LexError("unbalanced '{'", i)


def _skip_ws(src: str, i: int) -> int:
    while i < len(src) and src[i] in " \t\r\n":
        i += 1
    return i


def _split_letters(run: str, words: set[str]) -> list[str]:
    """Split a run of letters into known words (longest first) and letters."""
    out: list[str] = []
    low = run.lower()
    i = 0
    n = len(run)
    maxlen = min(12, n)
    while i < n:
        for length in range(min(maxlen, n - i), 1, -1):
            if low[i:i + length] in words:
                out.append(run[i:i + length])
                i += length
                break
        else:
            out.append(run[i])
            i += 1
    return out


def tokenize(src: str, words: Iterable[str] = ()) -> list[Token]:
    """Tokenize ``src``; ``words`` are extra multi-letter names to keep whole."""
    wordset = {w.lower() for w in LEXER_WORDS} | {w.lower() for w in PROSE if len(w) > 1}
    wordset |= {w.lower() for w in words if len(w) > 1 and w.isalpha()}
    toks: list[Token] = []
    i = 0
    n = len(src)
    ws = False
    lefts: list[int | None] = []  # token index of each \left delimiter (None: \left.)
    drop: set[int] = set()

    lead: int | None = None  # start of skipped markup (\mathbf, \left) before the next token

    def emit(kind: str, value: str, pos: int, end: int) -> None:
        nonlocal ws, lead
        # a token's span covers the markup in front of it, so spans quote \mathbf{1}, \left( whole
        toks.append(Token(kind, value, pos if lead is None else lead, end, ws))
        ws = False
        lead = None
        if len(toks) > MAX_TOKENS:
            raise LexError(f"expression longer than {MAX_TOKENS} tokens", pos)

    while i < n:
        c = src[i]
        if c in " \t\r\n~":
            ws = True
            i += 1
            continue
        if c == "%":  # LaTeX comment
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        if c.isdigit() or (c == "." and i + 1 < n and src[i + 1].isdigit()):
            j = i
            while j < n and src[j].isdigit():
                j += 1
            if j < n - 1 and src[j] == "." and src[j + 1].isdigit():
                j += 1
                while j < n and src[j].isdigit():
                    j += 1
            if j - i > 300:
                raise LexError("number with more than 300 digits", i)
            emit("num", src[i:j], i, j)
            i = j
            continue
        if c.isalpha() and c.isascii():
            j = i
            while j < n and src[j].isalpha() and src[j].isascii():
                j += 1
            k = i
            for part in _split_letters(src[i:j], wordset):
                emit("word" if len(part) > 1 else "letter", part, k, k + len(part))
                k += len(part)
            i = j
            continue
        if c == "\\":
            if i + 1 >= n:
                raise LexError("lone backslash", i)
            d = src[i + 1]
            if d == "\\":
                emit("rowsep", "\\\\", i, i + 2)
                i += 2
                # optional spacing argument \\[2pt]
                j = _skip_ws(src, i)
                if j < n and src[j] == "[":
                    close = src.find("]", j)
                    if 0 < close - j < 12 and any(u in src[j:close] for u in ("pt", "em", "ex", "mm")):
                        i = close + 1
                continue
            if not d.isalpha():
                name = d
                j = i + 2
            else:
                j = i + 1
                while j < n and src[j].isalpha():
                    j += 1
                name = src[i + 1:j]
                if j < n and src[j] == "*" and name in ("operatorname", "tag"):
                    j += 1
            if name in _SPACE_CMDS:
                ws = True
                i = j
                continue
            if name in ("quad", "qquad"):
                emit("quad", name, i, j)
                continue_at = j
                i = continue_at
                continue
            if name in ("left", "right") or name.startswith(("big", "Big")):
                # a sizing prefix: swallow it; '\left.' also swallows the dot. An
                # opener closed by '\right.' (\left\{ cases \right.) has no partner:
                # it is dropped, as is a closer opened by '\left.'.
                k = _skip_ws(src, j)
                dot = k < n and src[k] == "."
                if name == "left":
                    lefts.append(None if dot else len(toks))
                elif name == "right" and lefts:
                    opened = lefts.pop()
                    if dot and opened is not None:
                        drop.add(opened)
                    elif not dot and opened is None:
                        drop.add(len(toks))
                if name == "left" or (name != "right" and not dot):
                    lead = i if lead is None else lead
                i = k + 1 if dot else j
                continue
            if name in _SKIP_CMDS or name in _FONT_CMDS:
                if name in _FONT_CMDS or name in ("displaystyle", "textstyle"):
                    lead = i if lead is None else lead
                i = j
                continue
            if name in _DROP_ARG_CMDS:
                k = _skip_ws(src, j)
                if k < n and src[k] == "{":
                    _, k = _read_group(src, k)
                i = k
                continue
            if name in _TEXT_CMDS:
                k = _skip_ws(src, j)
                if k < n and src[k] == "{":
                    content, k2 = _read_group(src, k)
                elif k < n:
                    content, k2 = src[k], k + 1
                else:
                    raise LexError(f"\\{name} without argument", i)
                emit("text", content, i, k2)
                i = k2
                continue
            if name in _DELIM_ALIASES:
                v = _DELIM_ALIASES[name]
                emit("op" if len(v) == 1 else "cmd", v if len(v) == 1 else v[1:], i, j)
                i = j
                continue
            emit("cmd", name, i, j)
            i = j
            continue
        if c in _OPS:
            emit("op", c, i, i + 1)
            i += 1
            continue
        if c == "$":
            i += 1
            continue
        raise LexError(f"unexpected character {c!r}", i)
    if drop:
        toks = [t for k, t in enumerate(toks) if k not in drop]
    toks.append(Token("end", "", n, n, ws))
    return toks
