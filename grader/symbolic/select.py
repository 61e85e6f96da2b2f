"""Choose the final answer among the math a student wrote.

Order (what a TA does): a boxed result for the asked quantity (or a bare boxed
expression); else the last equation whose left side is the target; else the
last boxed result; else the last expression that reads as an answer (not a
condition such as ``x > 0``, not ``y \\in \\{0, 1\\}``, not a restatement of the
question). In a chain ``A = B = C`` the answer is ``C``. A value followed by
conditions in prose ("1 if x > 0, 0 otherwise") is assembled into cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.logic.boolalg import Boolean

from .extract import Candidate, Extraction, Failure
from .names import fold
from .parser import ParserConfig, parse_all
from .target import TargetMatcher, _is_loss

_COND_WORD = re.compile(r"(?<![A-Za-z])(if|for|when|whenever|where|provided|otherwise|else)(?![A-Za-z])", re.I)
_BREAK = re.compile(r"\n\s*\n")
_SEPARATORS_ONLY = re.compile(r"^[\s,;:&]*((\\quad|\\qquad|\\,|\\;|\\text\{\s*\})[\s,;:&]*)*$")
_RELS = {"<": sp.Lt, ">": sp.Gt, "<=": sp.Le, ">=": sp.Ge, "!=": sp.Ne}


@dataclass
class Choice:
    expr: sp.Basic  # the student's final answer as parsed (before renaming)
    latex: str
    lhs: sp.Basic | None
    lhs_latex: str | None
    how: str  # boxed target | target equation | boxed | last expression
    candidates: list[Candidate] = field(default_factory=list)


@dataclass
class Selection:
    choice: Choice | None = None
    failure: Failure | None = None  # the answer could not be read
    restated: bool = False  # only the target itself was written (σ'(x) = ...)


class Selector:
    """Answer selection for one question; ``prep`` renames/fills a parsed expression."""

    def __init__(self, matcher: TargetMatcher, prep: Callable[[sp.Basic], sp.Basic],
                 variables: set[sp.Symbol], given: set[str], cfg: ParserConfig) -> None:
        self.matcher = matcher
        self.prep = prep
        self.variables = variables
        self.given = {fold(g) for g in given}
        self.cfg = cfg
        self._levels: dict[sp.Basic, int] = {}  # left side -> target level: selection and steps ask again

    # -- classification --------------------------------------------------------
    def lhs_is_target(self, c: Candidate) -> bool:
        return self.target_level(c) > 0

    def target_level(self, c: Candidate) -> int:
        if c.lhs is None:
            return 0
        level = self._levels.get(c.lhs)
        if level is None:
            level = self._levels[c.lhs] = self.matcher.level(self.prep(c.lhs))
        return level

    def condition(self, c: Candidate) -> Boolean | None:
        """``x > 0``, ``0 < x``, ``x \\neq 0``, ``x = 0``, ``x \\in (0, \\infty)`` as a condition."""
        ch = c.chain
        if len(ch.sides) < 2:
            return None
        sides = [self.prep(s) for s in ch.sides]
        rels = []
        for op, a, b in zip(ch.ops, sides, sides[1:]):
            if op in _RELS:
                rels.append(_RELS[op](a, b, evaluate=False))
            elif op == "=" and len(ch.ops) == 1 and isinstance(a, sp.Symbol) and b.is_number:
                rels.append(sp.Eq(a, b, evaluate=False))
            elif op == "in" and isinstance(a, sp.Symbol) and isinstance(b, sp.Interval):
                rels.append(b.as_relational(a))
            else:
                return None
        cond = sp.And(*rels) if len(rels) > 1 else rels[0]
        syms = getattr(cond, "free_symbols", set())
        if not syms or not syms & self.variables:
            return None
        return cond

    def answer_like(self, c: Candidate) -> bool:
        """Could this chain's last side be a final answer?"""
        if c.is_relation_only():
            return False
        final = c.final
        if isinstance(final, (sp.Set, Boolean, sp.Tuple)) and not isinstance(final, sp.Piecewise):
            return False
        if self.condition(c) is not None:
            return False
        if c.lhs is not None:
            lhs = self.prep(c.lhs)
            if isinstance(lhs, sp.Symbol) and lhs in self.variables and self.matcher.level(lhs) < 2:
                return False  # ŷ = σ(z): defines a variable (unless the question asks for that variable)
        if self.matcher.is_target_itself(self.prep(final)):
            return False  # "we compute $\sigma'(x)$", σ'(x) = dσ/dx: the question restated
        return True

    def defines_given(self, c: Candidate) -> bool:
        """``\\sigma(x) = ...`` or ``L = ...``: restates a function the question gave."""
        if c.lhs is None:
            return False
        lhs = self.prep(c.lhs)
        if isinstance(lhs, AppliedUndef):
            return fold(lhs.func.__name__) in self.given or _is_loss(lhs.func.__name__)
        if isinstance(lhs, sp.Symbol):
            return fold(lhs.name) in self.given or _is_loss(lhs.name)
        return False

    @staticmethod
    def _unfinished(c: Candidate) -> bool:
        return c.final.has(sp.Derivative, sp.Subs)

    # -- selection ---------------------------------------------------------------
    def select(self, ex: Extraction) -> Selection:
        cands = [c for c in ex.candidates]
        usable = [c for c in cands if self.answer_like(c)]
        pick: Candidate | None = None
        how = ""
        boxed_target = [c for c in usable if c.boxed and (c.lhs is None or self.lhs_is_target(c))]
        levels = {id(c): self.target_level(c) for c in usable}
        best = max(levels.values(), default=0)
        target_eqs = [c for c in usable if best and levels[id(c)] == best]
        if boxed_target:
            pick, how = boxed_target[-1], "boxed target"
        elif target_eqs:
            done = [c for c in target_eqs if not self._unfinished(c)]
            pick, how = (done or target_eqs)[-1], "target equation"
            pick = self._simplified_after(cands, pick)
        elif any(c.boxed for c in usable):
            pick, how = [c for c in usable if c.boxed][-1], "boxed"
        else:
            rest = [c for c in usable if not self.defines_given(c) and not self._unfinished(c)]
            solid = [c for c in rest if not (c.kind == "inline" and len(c.chain.sides) == 1
                                             and (c.final.is_Symbol or c.final.is_Number))]
            pool = solid or rest or usable
            if pool:
                pick, how = pool[-1], "last expression"
        failure = self._blocking_failure(ex, pick, how)
        if failure is not None:
            return Selection(failure=failure)
        if pick is None:
            restated = any(self.matcher.is_target_itself(self.prep(c.final)) or ex.segments[c.segment].dangling
                           for c in cands)
            return Selection(restated=restated)
        return Selection(choice=self._assemble(ex, pick, how))

    def _simplified_after(self, cands: list[Candidate], pick: Candidate) -> Candidate:
        """A displayed expression right after the target line ("Simplify: $$...$$") ends
        that derivation; an equation for anything else, or a remark, stops the search."""
        out = pick
        for c in cands[cands.index(pick) + 1:]:
            if c.lhs is not None or c.is_relation_only() or len(c.chain.sides) != 1:
                break
            syms = self.prep(c.final).free_symbols
            if c.kind == "display" and self.answer_like(c) and syms and syms <= self.variables \
                    and not self._unfinished(c):
                out = c
        return out

    def _blocking_failure(self, ex: Extraction, pick: Candidate | None, how: str) -> Failure | None:
        """A parse failure that may hide the real final answer."""
        fails = ex.failures
        if not fails:
            return None
        if pick is None:
            return fails[-1]
        # right after the answer, in its block, with nothing in between: the answer itself
        # is malformed (σ(x)) (1 − σ(x))); further on it is a trailing remark (\checkmark)
        for f in fails:
            if f.order == pick.order + 1 and f.segment == pick.segment:
                src = ex.segments[f.segment].latex
                if not src[pick.span[1]:f.error.position].strip():
                    return f
        later = [f for f in fails if f.order > pick.order and f.segment != pick.segment]
        if not later:
            return None
        if how == "last expression":
            return later[-1]
        if how in ("target equation", "boxed"):
            for f in reversed(later):
                if self._failure_names_target(ex, f):
                    return f
        return None

    def _failure_names_target(self, ex: Extraction, f: Failure) -> bool:
        src = ex.segments[f.segment].latex
        head = src.split("=", 1)[0] if "=" in src else ""
        if not head.strip():
            return False
        for r in parse_all(head, self.cfg):
            if not isinstance(r, Exception) and len(r.sides) == 1 and \
                    self.matcher.matches(self.prep(r.sides[0])):
                return True
        return False

    # -- cases written in prose ---------------------------------------------------
    def _value(self, c: Candidate) -> bool:
        if c.is_relation_only() or self.condition(c) is not None:
            return False
        if c.lhs is not None:
            return self.lhs_is_target(c)
        return not isinstance(c.final, (sp.Set, Boolean, sp.Tuple))

    def _assemble(self, ex: Extraction, pick: Candidate, how: str) -> Choice:
        plain = Choice(pick.final, pick.final_latex(), pick.lhs, pick.lhs_latex(), how, [pick])
        if isinstance(pick.final, sp.Piecewise) or how.startswith("boxed") and pick.boxed:
            return plain
        items = ex.items
        s = items.index(pick)

        def cand(k: int) -> Candidate | None:
            return items[k] if 0 <= k < len(items) and isinstance(items[k], Candidate) else None

        def is_cond(k: int) -> bool:
            c = cand(k)
            return c is not None and self.condition(c) is not None

        def is_val(k: int) -> bool:
            c = cand(k)
            return c is not None and self._value(c)

        def value_first(v: int, c: int) -> bool:
            gap = ex.gap(items[v], items[c])
            if _BREAK.search(gap):
                return False
            if _COND_WORD.search(gap):
                return True
            return items[v].segment == items[c].segment and bool(_SEPARATORS_ONLY.match(gap))

        pieces: list[tuple[Candidate, Candidate | None]] = []
        if is_cond(s + 1) and value_first(s, s + 1):
            start = s
            while is_val(start - 2) and is_cond(start - 1) and value_first(start - 2, start - 1):
                start -= 2
            k = start
            while is_val(k):
                if is_cond(k + 1) and value_first(k, k + 1):
                    pieces.append((items[k], items[k + 1]))
                    k += 2
                    continue
                prev = items[k - 1]
                if pieces and prev.segment == items[k].segment and not _BREAK.search(ex.gap(prev, items[k])):
                    pieces.append((items[k], None))  # "..., 0 otherwise"
                break
        elif is_cond(s - 1) and not _COND_WORD.search(ex.gap(items[s - 1], items[s])):
            start = s - 1
            while is_cond(start - 2) and is_val(start - 1) and \
                    not _COND_WORD.search(ex.gap(items[start - 2], items[start - 1])):
                start -= 2
            k = start
            while is_cond(k) and is_val(k + 1) and not _COND_WORD.search(ex.gap(items[k], items[k + 1])):
                pieces.append((items[k + 1], items[k]))
                k += 2
        if len(pieces) < 2 or pick not in [v for v, _ in pieces]:
            return plain
        args = []
        for v, c in pieces:
            cond = sp.true if c is None else self.condition(c)
            args.append((v.final, cond))
        try:
            expr = sp.Piecewise(*args)
        except (TypeError, ValueError):
            return plain
        parts = []
        for v, c in pieces:
            parts.append(v.final_latex() + (f" \\text{{ if }} {c.chain.side_latex(0)}"
                                            f"{''.join(' ' + o + ' ' + c.chain.side_latex(i + 1) for i, o in enumerate(c.chain.ops))}"
                                            if c is not None else " \\text{ otherwise}"))
        first = pieces[0][0]
        lhs = first.lhs if first.lhs is not None else pick.lhs
        lhs_latex = first.lhs_latex() if first.lhs is not None else pick.lhs_latex()
        return Choice(expr, ", ".join(parts), lhs, lhs_latex, how + " (cases in prose)", [v for v, _ in pieces])
