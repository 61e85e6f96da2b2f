"""Find the math in a markdown answer region and parse it into candidates.

Students answer in ``$$...$$`` blocks, inline ``$...$``, ``\\[...\\]``, align
environments, boxed results, or plain typed text (σ'(x) = σ(x)(1−σ(x))). This
module turns the region into an ordered list of parsed relation chains (and
parse failures) with the facts answer selection needs: which side is boxed,
where each chain sits, what prose separates it from its neighbours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy as sp

from .names import BUILTIN_FUNCS, DEFAULT_FUNCTIONS, GREEK
from .parser import LatexParseError, ParsedMath, ParserConfig, parse_all
from .unicode import normalize_unicode

# Text left in a starter notebook for the student to replace.
_PLACEHOLDER = re.compile(
    r"(your|the)\s+(answer|solution)s?\s+(goes\s+)?here|(type|write|insert|enter|put)\s+(your\s+)?"
    r"(answer|solution)s?(\s+here)?|\bTODO\b|\bTBD\b|\bFIXME\b|\bfill\s+(this\s+)?in\b|"
    r"\bdouble[- ]click\s+(here\s+)?to\s+edit\b|\[\s*answer\s*\]",
    re.I,
)
_CODE_FENCE = re.compile(r"```.*?(```|$)|~~~.*?(~~~|$)", re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_HTML_COMMENT = re.compile(r"<!--.*?(-->|$)", re.S)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_TOP_ENVS = ("equation", "align", "aligned", "gather", "gathered", "multline", "eqnarray", "displaymath",
             "math", "split", "flalign", "alignat", "alignedat")
_BEGIN_TOP = re.compile(r"\\begin\{(" + "|".join(_TOP_ENVS) + r")(\*?)\}")
_ENV_WRAPPER = re.compile(r"\\(begin|end)\{(" + "|".join(_TOP_ENVS) + r")\*?\}(\{[^{}]*\})?")
# A row break followed by a relation continues the chain: a &= b \\ &= c.
_ROW_CONTINUES = re.compile(r"\\\\(\[[^\]]{0,12}\])?\s*&?\s*(?=(=|\\approx|\\equiv)(?!=))")
_LEADING_REL = re.compile(r"^\s*&?\s*(=|\\approx(?![a-z])|\\equiv(?![a-z]))\s*")
_TRAILING_REL = re.compile(r"(=|\\approx|\\equiv|&)\s*$")
_EMPTY_TEXT = re.compile(r"\\(text|textbf|textit|mathrm|mbox)\s*\{\s*\}")
_BOXED = re.compile(r"\\(boxed|fbox|bbox)\s*(\[[^\]]*\])?\s*\{")
_MATHY_TEXT = re.compile(r"[=^\\]|[σδαβθλμπτφψωŷ²³′∂≥≤·−√∑]|\d[A-Za-z(]|[A-Za-z]\(\s*[A-Za-z0-9]")
_WORD = re.compile(r"(?<![_^\\A-Za-z])[A-Za-z]{2,}")  # not a subscript, command or part of a name
_PY_POWER = re.compile(r"(?<=[\w)])\*\*(?=[\w(])")  # 9*x**2 typed as Python
_KEEP_WORDS = frozenset({"if", "for", "when", "whenever", "otherwise", "else", "and", "or", "where", "with"})


@dataclass
class Segment:
    """One piece of math: a display block, inline math, or a line of typed text."""

    latex: str  # after Unicode normalisation and clean-up; what the parser read
    start: int  # position of the segment in the region text
    end: int
    kind: str  # "display" | "inline" | "text"
    boxed: list[tuple[int, int]] = field(default_factory=list)  # ranges of latex inside \boxed{}
    continuation: bool = False  # began with '=': continues the previous chain
    dangling: bool = False  # ended with '=' and nothing after it


@dataclass
class Candidate:
    """A parsed relation chain and where it was found."""

    chain: ParsedMath
    segment: int
    order: int  # position among all items, in reading order
    kind: str
    boxed: bool  # its final side is inside \boxed{}

    @property
    def final(self) -> sp.Basic:
        return self.chain.final

    @property
    def lhs(self) -> sp.Basic | None:
        return self.chain.lhs

    @property
    def span(self) -> tuple[int, int]:
        return self.chain.spans[0][0], self.chain.spans[-1][1]

    def final_latex(self) -> str:
        return self.chain.side_latex(self.chain.final_index)

    def lhs_latex(self) -> str | None:
        return self.chain.side_latex(0) if self.lhs is not None else None

    def is_relation_only(self) -> bool:
        return len(self.chain.sides) > 1 and not any(o in ("=", ":=", "approx") for o in self.chain.ops)


@dataclass
class Failure:
    """A segment (or its tail) that could not be parsed."""

    error: LatexParseError
    segment: int
    order: int
    kind: str


@dataclass
class Extraction:
    items: list[Candidate | Failure]
    segments: list[Segment]
    text: str  # the cleaned region text segment positions refer to
    placeholder: bool  # a starter placeholder was present

    @property
    def candidates(self) -> list[Candidate]:
        return [c for c in self.items if isinstance(c, Candidate)]

    @property
    def failures(self) -> list[Failure]:
        return [f for f in self.items if isinstance(f, Failure)]

    def gap(self, a: Candidate | Failure, b: Candidate | Failure) -> str:
        """The text between two items (math and prose), for reading cues like 'if'."""
        sa, sb = self.segments[a.segment], self.segments[b.segment]
        a_end = a.span[1] if isinstance(a, Candidate) else len(sa.latex)
        b_start = b.span[0] if isinstance(b, Candidate) else 0
        if a.segment == b.segment:
            return sa.latex[a_end:b_start]
        between = self.text[sa.end:sb.start]
        return sa.latex[a_end:] + " " + between + " " + sb.latex[:b_start]


def _clean_markdown(text: str) -> tuple[str, bool]:
    text = _HTML_COMMENT.sub(" ", text)
    text = _CODE_FENCE.sub(" ", text)
    text = _INLINE_CODE.sub(" ", text)
    placeholder = bool(_PLACEHOLDER.search(text))
    if placeholder:
        text = _PLACEHOLDER.sub(" ", text)
    return text, placeholder


def _find_close(text: str, token: str, start: int) -> int:
    """Index of the next unescaped ``token`` at or after ``start`` (-1 if none)."""
    j = start
    while True:
        j = text.find(token, j)
        if j < 0:
            return -1
        if j > 0 and text[j - 1] == "\\" and token.startswith("$"):
            j += 1
            continue
        return j


def find_math(text: str) -> list[tuple[str, int, int, str]]:
    """``(latex, start, end, kind)`` for each delimited math span in reading order."""
    out: list[tuple[str, int, int, str]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] == "$":
            i += 2
            continue
        if text.startswith("$$", i):
            j = _find_close(text, "$$", i + 2)
            j = n if j < 0 else j
            out.append((text[i + 2:j], i, min(j + 2, n), "display"))
            i = j + 2
            continue
        if text.startswith("\\[", i) or text.startswith("\\(", i):
            close = "\\]" if text[i + 1] == "[" else "\\)"
            j = text.find(close, i + 2)
            j = n if j < 0 else j
            out.append((text[i + 2:j], i, min(j + 2, n), "display" if close == "\\]" else "inline"))
            i = j + 2
            continue
        if c == "\\":
            m = _BEGIN_TOP.match(text, i)
            if m:
                end_tok = f"\\end{{{m.group(1)}{m.group(2)}}}"
                j = text.find(end_tok, m.end())
                j = n if j < 0 else j
                out.append((text[m.end():j], i, min(j + len(end_tok), n), "display"))
                i = j + len(end_tok)
                continue
        if c == "$":
            j = _find_close(text, "$", i + 1)
            if j > i + 1 and "\n\n" not in text[i + 1:j]:
                out.append((text[i + 1:j], i, j + 1, "inline"))
                i = j + 1
                continue
        i += 1
    return out


def _strip_boxes(latex: str) -> tuple[str, list[tuple[int, int]]]:
    """Remove ``\\boxed{...}`` wrappers, returning the ranges their contents occupy."""
    ranges: list[tuple[int, int]] = []
    while True:
        m = _BOXED.search(latex)
        if not m:
            return latex, ranges
        depth, j = 1, m.end()
        while j < len(latex) and depth:
            if latex[j] == "\\":
                j += 2
                continue
            depth += {"{": 1, "}": -1}.get(latex[j], 0)
            j += 1
        close = j - 1 if depth == 0 else len(latex)
        inner = latex[m.end():close]
        latex = latex[:m.start()] + " " + inner + " " + latex[close + 1:]
        shift = m.end() - m.start() - 1
        ranges = [(a - shift if a > m.start() else a, b - shift if b > m.start() else b) for a, b in ranges]
        ranges.append((m.start() + 1, m.start() + 1 + len(inner)))


def clean_latex(latex: str) -> tuple[str, bool, bool]:
    """Normalise one math span; returns (latex, continues a chain, ends with a bare '=')."""
    latex = normalize_unicode(latex)
    latex = _PY_POWER.sub("^", latex.replace("\\_", "_").replace("\\*", "*"))
    latex = _ENV_WRAPPER.sub(" ", latex)
    latex = _EMPTY_TEXT.sub(" ", latex)
    latex = _ROW_CONTINUES.sub(" ", latex)
    cont = False
    m = _LEADING_REL.match(latex)
    if m:
        cont = True
        latex = latex[m.end():]
    dangling = False
    stripped = latex.rstrip().rstrip(".,;").rstrip()
    while _TRAILING_REL.search(stripped):
        stripped = _TRAILING_REL.sub("", stripped).rstrip()
        dangling = True
    if dangling:
        latex = stripped
    return latex, cont, dangling


def _text_lines(text: str, keep: frozenset[str]) -> list[tuple[str, int, int]]:
    """Lines of typed math (no $ delimiters): prose words become separators."""
    out = []
    pos = 0
    for line in text.split("\n"):
        start = pos
        pos += len(line) + 1
        body = _HTML_TAG.sub(" ", _PY_POWER.sub("^", line))
        body = re.sub(r"^\s*([-*+>]|\d+[.)])\s+", " ", body).replace("**", " ").replace("__", " ")
        if not body.strip() or not _MATHY_TEXT.search(body):
            continue

        def word(m: re.Match) -> str:
            w = m.group()
            return w if w.lower() in keep else " ; "
        body = _WORD.sub(word, body)
        if re.search(r"[A-Za-z0-9\\]|[^\x00-\x7f]", body):
            out.append((body, start, start + len(line)))
    return out


def _math_vocabulary(cfg: ParserConfig) -> frozenset[str]:
    names = set(BUILTIN_FUNCS) | set(DEFAULT_FUNCTIONS) | set(GREEK) | set(_KEEP_WORDS)
    names |= {"sqrt", "frac", "relu", "sigmoid", "text", "cdot", "hat", "pred", "cases"}
    names |= set(cfg.functions) | {w.lower() for w in cfg.words}
    return frozenset(n.lower() for n in names)


def make_segments(text: str, cfg: ParserConfig) -> tuple[list[Segment], str, bool]:
    """Clean the markdown and cut it into math segments."""
    text, placeholder = _clean_markdown(text)
    raw = find_math(text)
    if not raw:
        raw = [(body, a, b, "text") for body, a, b in _text_lines(text, _math_vocabulary(cfg))]
    segments = []
    for latex, a, b, kind in raw:
        if kind == "text":  # typed y_pred, δ_ij mean y_{pred}, δ_{ij}
            latex = re.sub(r"_([A-Za-z0-9]{2,})", r"_{\1}", latex)
        latex, cont, dangling = clean_latex(latex)
        latex, boxed = _strip_boxes(latex)
        if not latex.strip():
            continue
        segments.append(Segment(latex, a, b, kind, boxed, cont, dangling))
    return segments, text, placeholder


def _inside(span: tuple[int, int], ranges: list[tuple[int, int]]) -> bool:
    return any(a <= span[0] and span[1] <= b for a, b in ranges)


def extract(text: str, cfg: ParserConfig) -> Extraction:
    """Parse every math segment of ``text`` into ordered candidates and failures."""
    segments, cleaned, placeholder = make_segments(text, cfg)
    items: list[Candidate | Failure] = []
    last: Candidate | None = None
    for k, seg in enumerate(segments):
        if seg.continuation and last is not None and last.lhs is not None:
            # "$$= ...$$" continues the previous chain: borrow its left side
            lhs_src = last.lhs_latex() or ""
            shift = len(lhs_src) + 3
            seg.latex = f"{lhs_src} = {seg.latex}"
            seg.boxed = [(a + shift, b + shift) for a, b in seg.boxed]
        for r in parse_all(seg.latex, cfg):
            if isinstance(r, LatexParseError):
                items.append(Failure(r, k, len(items), seg.kind))
                continue
            fspan = r.spans[r.final_index]
            cand = Candidate(r, k, len(items), seg.kind, _inside(fspan, seg.boxed))
            items.append(cand)
            last = cand
    return Extraction(items, segments, cleaned, placeholder)
