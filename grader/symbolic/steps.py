"""The steps of a written derivation, each checked against the one before it.

A TA grades the derivation, not only its last line. The steps are the right-hand sides of
the equations a student writes for the target (``σ'(x) = A = B``, continuation lines
``= C``, align rows), in reading order; ``g(u) = u^{-1}`` / ``Let u = 1 + e^{-x}`` lines are
the student's local definitions and lines about other quantities are skipped. Step k is
compared with step k − 1 by the same numeric + symbolic decision as final answers, under the
question's definitions, aliases, assumptions and conventions. A line under a condition
("For $x > 0$: …") is compared on that region only; a new case starts afresh.

A valid step marked wrong is the worst outcome, so every doubt gives ``None`` (undecided):
a step that still holds a derivative, a name only one side knows, a comparison that ran out
of time, a region that cannot be sampled exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.core.relational import Relational

from . import feedback as fb
from .equivalence import decide
from .expected import Definition
from .extract import Candidate, Extraction, extract
from .numeric import NumericResult
from .parser import ParserConfig
from .question import Question
from .rewrite import (
    evaluate_derivatives,
    local_definitions,
    substitute_definitions,
    unify_indices,
)
from .sampling import Plan
from .select import Choice, Selector
from .timer import CheckTimeout, Deadline

# ``g(u) =`` / ``u(x) =``: a one-letter helper function the student defines
_HELPER = re.compile(r"(?<![\\A-Za-z])([A-Za-z])\s*\(\s*([A-Za-z])\s*\)\s*=(?!=)")
_EQ_OPS = ("=", ":=")
_SPAN = 3.0  # how far a one-sided region (x > 0) is sampled


@dataclass
class Step:
    """One step of a derivation: its source and whether it follows from the step before."""

    latex: str  # the step's right-hand side, as written
    valid: bool | None  # None: undecided (never a guess)
    note: str = ""  # why: "first step", "the case x > 0", the witness of a difference


@dataclass
class _Raw:
    expr: sp.Basic
    latex: str
    cond: sp.Basic | None  # the condition the line is written under
    cond_latex: str
    answer: bool  # the graded final answer


def _helpers(text: str, q: Question) -> set[str]:
    """One-letter function names the student defines (``g(u) = u^{-1}``), unknown to the question."""
    names = {m.group(1) for m in _HELPER.finditer(text)}
    return {n for n in names if n not in q.functions and n not in q.known}


def _find(ex: Extraction, chosen: list[Candidate]) -> list[Candidate]:
    """The chosen candidates in another extraction of the same text (same segments)."""
    out = []
    for c in chosen:
        match = [d for d in ex.candidates if d.segment == c.segment and d.final_latex() == c.final_latex()]
        if not match:
            return []
        out.append(match[0])
    return out


class Derivation:
    """Collect and check the steps for one answer (the verdict's choice is the final step)."""

    def __init__(self, text: str, q: Question, ex: Extraction, selector: Selector, choice: Choice) -> None:
        self.q = q
        self.selector = selector
        helpers = _helpers(text, q)
        self.ex, self.chosen = ex, list(choice.candidates)
        if helpers:  # read g(u(x)) as calls: a second reading, for the steps only
            cfg = ParserConfig.make(q.functions | helpers, q.cfg.words, q.cfg.vectors)
            ex2 = extract(text, cfg)
            chosen2 = _find(ex2, self.chosen)
            if chosen2:
                self.ex, self.chosen = ex2, chosen2
        self.choice = choice
        self.raws: list[_Raw] = []
        self.fn_defs, self.sym_defs = self._local(helpers)
        self.names = {s.name for s in q.expected.free_symbols}

    # -- reading ----------------------------------------------------------------
    def _local(self, helpers: set[str]) -> tuple[tuple[Definition, ...], dict[sp.Symbol, sp.Basic]]:
        fns: list[Definition] = []
        syms: dict[sp.Symbol, sp.Basic] = {}
        for c in self.ex.candidates:
            if c in self.chosen or c.lhs is None or c.chain.ops[0] not in _EQ_OPS:
                continue
            lhs = self.q.prep(c.lhs)
            body = self.q.prep(c.chain.sides[1])
            if isinstance(lhs, AppliedUndef) and lhs.func.__name__ in helpers \
                    and all(isinstance(a, sp.Symbol) for a in lhs.args) and len(set(lhs.args)) == len(lhs.args) \
                    and not body.has(lhs.func):
                if not any(d.name == lhs.func.__name__ for d in fns):
                    fns.append(Definition(lhs.func.__name__, tuple(lhs.args), body))
            elif isinstance(lhs, sp.Symbol) and lhs.name not in self.q.known and len(c.chain.sides) == 2 \
                    and lhs not in body.free_symbols:
                syms.setdefault(lhs, body)
        return tuple(fns), syms

    def _condition(self, k: int) -> tuple[sp.Basic | None, str]:
        """``For $x > 0$: $$…$$``: the condition right before item k."""
        items = self.ex.items
        if k == 0 or not isinstance(items[k - 1], Candidate):
            return None, ""
        prev = items[k - 1]
        cond = self.selector.condition(prev)
        gap = self.ex.gap(prev, items[k]).strip()
        if cond is None or len(gap) > 12:
            return None, ""
        ch = prev.chain
        src = ch.side_latex(0) + "".join(f" {o} {ch.side_latex(i + 1)}" for i, o in enumerate(ch.ops))
        return cond, src

    def raw_steps(self) -> list[_Raw]:
        """The right-hand sides written for the target, in reading order."""
        out: list[_Raw] = []
        prose_cases = len(self.chosen) > 1
        # Where some equation names the target itself (∂L/∂ŷ_i = …), a d/dx of an explicit expression
        # (d/dŷ_i (ŷ_i − y_i)² = …) is a side fact on the way, not a step: it is taken as one only
        # when nothing names the target.
        named = any(isinstance(c, Candidate) and self.selector.target_level(c) == 2 for c in self.ex.items)
        for k, c in enumerate(self.ex.items):
            if not isinstance(c, Candidate):
                continue
            chosen = c in self.chosen
            if chosen and prose_cases:
                if c is self.chosen[-1]:
                    out.append(_Raw(self.choice.expr, self.choice.latex, None, "", True))
                continue
            if not chosen and (c.lhs is None or c.chain.ops[0] not in _EQ_OPS or c.is_relation_only()
                               or self.selector.target_level(c) < (2 if named else 1)):
                continue
            cond, cond_src = self._condition(k)
            first = 1 if c.lhs is not None else c.chain.final_index
            last = c.chain.final_index if chosen else len(c.chain.sides) - 1
            for i in range(first, last + 1):
                if i > 1 and c.chain.ops[i - 1] not in _EQ_OPS:
                    break
                side = c.chain.sides[i]
                if self.selector.matcher.is_target_itself(self.q.prep(side)):
                    continue  # σ'(x) = dσ/dx: the target renamed, not a step
                out.append(_Raw(side, c.chain.side_latex(i), cond, cond_src, chosen and i == c.chain.final_index))
        return out

    def value(self, e: sp.Basic) -> sp.Basic:
        """What a step is compared as: aliases, local and question definitions, derivatives done."""
        q = self.q
        e = evaluate_derivatives(q.prep(e))
        e = e.replace(lambda d: isinstance(d, sp.Derivative) and d.expr.is_number, lambda d: sp.Integer(0))
        defs = self.fn_defs + q.definitions
        e = substitute_definitions(e, defs)
        e, _ = local_definitions(e, self.sym_defs, q.known)
        e = substitute_definitions(substitute_definitions(e, defs), q.definitions)
        return unify_indices(e, self.names, q.vector_names)

    # -- checking ---------------------------------------------------------------
    def check(self, deadline: Deadline, steps: list[Step]) -> None:
        """Mark every step, appending to ``steps`` (what a timeout leaves there stands)."""
        self.raws = raws = self.raw_steps()
        values: list[sp.Basic | None] = []
        for k, r in enumerate(raws):
            latex = fb.one_line(r.latex)
            try:
                deadline.check()
                values.append(self.value(r.expr))
            except CheckTimeout:
                raise
            except Exception:  # noqa: BLE001 - an unreadable step is undecided, not wrong
                values.append(None)
            if k == 0:
                steps.append(Step(latex, True, "first step"))
                continue
            against = self._against(raws, k)
            if not against:
                steps.append(Step(latex, True, f"starts the case {r.cond_latex}"))
                continue
            try:
                steps.append(self._compare(raws, values, k, against, latex, deadline))
            except CheckTimeout:
                raise
            except Exception:  # noqa: BLE001 - a failed comparison decides nothing
                steps.append(Step(latex, None, "could not compare"))

    @staticmethod
    def _against(raws: list[_Raw], k: int) -> list[tuple[int, sp.Basic | None]]:
        """(step, region) pairs step k must agree with."""
        cur, prev = raws[k], raws[k - 1]
        if cur.cond == prev.cond:
            return [(k - 1, cur.cond)]
        if cur.cond is not None:
            if prev.cond is None:
                return [(k - 1, cur.cond)]
            j = k - 1
            while j >= 0 and raws[j].cond is not None:
                j -= 1
            return [(j, cur.cond)] if j >= 0 else []
        # after cases: agree with the last step of each case on its region
        out: list[tuple[int, sp.Basic | None]] = []
        seen: list[sp.Basic] = []
        j = k - 1
        while j >= 0 and raws[j].cond is not None:
            if not any(raws[j].cond == s for s in seen):
                seen.append(raws[j].cond)
                out.append((j, raws[j].cond))
            j -= 1
        return out

    def _compare(self, raws: list[_Raw], values: list[sp.Basic | None], k: int,
                 against: list[tuple[int, sp.Basic | None]], latex: str, deadline: Deadline) -> Step:
        undecided: str | None = None
        for j, cond in against:
            a, b = values[k], values[j]
            if a is None or b is None:
                undecided = "could not read it"
                continue
            if a.has(sp.Derivative, sp.Subs) or b.has(sp.Derivative, sp.Subs):
                undecided = "a derivative is left to evaluate"
                continue
            unknown = self.q.undefined(a.free_symbols ^ b.free_symbols)
            if unknown:
                undecided = f"it uses {', '.join(sorted(s.name for s in unknown))}, which is not defined"
                continue
            assumptions, exact = _region(cond, self.q.assumptions)
            plan = _inside(self.q.plan([a, b], assumptions), cond, assumptions)
            verdict = decide(a, b, plan, deadline)
            if verdict.status == "equal":
                continue
            if verdict.status == "different" and exact and _holds(cond, verdict.numeric):
                prev = fb.one_line(raws[j].latex)
                return Step(latex, False, f"from `{prev}` to `{latex}` the expressions differ"
                            f"{_witness(verdict.numeric)}")
            undecided = verdict.reason or "could not decide"
        if undecided:
            return Step(latex, None, undecided)
        return Step(latex, True, "")


def _inside(plan: Plan, cond: sp.Basic | None, region: dict[str, dict]) -> Plan:
    """Case boundaries and conventions sampled outside the region (x = 0 ± 0.25 for x < 0) are
    not points of this comparison."""
    if cond is None:
        return plan
    names = {s.name for s in cond.free_symbols}

    def ok(name: str, v: float, pad: float) -> bool:
        if name not in names or name not in region:
            return True
        lo, hi = region[name]["interval"]
        return lo + pad < v < hi - pad
    bounds = {n: {b for b in bs if ok(n, b, 0.25)} for n, bs in plan.boundaries.items()}
    convs = [(at, vals) for at, vals in plan.conventions if all(ok(n, v, 0.0) for n, v in at.items())]
    return replace(plan, boundaries={n: bs for n, bs in bounds.items() if bs}, conventions=convs)


def _holds(cond: sp.Basic | None, num: NumericResult | None) -> bool:
    """The witness of a difference lies where the step applies."""
    if cond is None:
        return True
    if num is None or not num.point or not {s.name for s in cond.free_symbols} <= set(num.point):
        return False
    value = cond.xreplace({s: sp.Float(num.point[s.name]) for s in cond.free_symbols})
    return value is sp.true


def _witness(num: NumericResult | None) -> str:
    if num is None or not num.point:
        return ""
    return f", e.g. at {fb.point(num.point)}: {fb.number(num.want)} vs {fb.number(num.got)}"


def _region(cond: sp.Basic | None, assumptions: dict[str, dict]) -> tuple[dict[str, dict], bool]:
    """The question's assumptions narrowed to ``cond`` (x > 0, -1 < x < 1); False when the
    region cannot be sampled exactly (then only agreement decides)."""
    if cond is None:
        return assumptions, True
    rels = list(cond.args) if isinstance(cond, sp.And) else [cond]
    bounds: dict[str, list[float]] = {}
    for rel in rels:
        if not isinstance(rel, Relational) or isinstance(rel, (sp.Eq, sp.Ne)):
            return assumptions, False
        lhs, rhs = rel.lhs, rel.rhs
        if isinstance(lhs, sp.Symbol) and rhs.is_number:
            name, c, upper = lhs.name, float(rhs), isinstance(rel, (sp.Lt, sp.Le))
        elif isinstance(rhs, sp.Symbol) and lhs.is_number:
            name, c, upper = rhs.name, float(lhs), isinstance(rel, (sp.Gt, sp.Ge))
        else:
            return assumptions, False
        lo, hi = bounds.get(name, (c - _SPAN, c + _SPAN))
        bounds[name] = [lo, c] if upper else [c, hi]
    out = dict(assumptions)
    for name, (lo, hi) in bounds.items():
        if name in assumptions or lo >= hi:
            return assumptions, False
        out[name] = {"interval": [lo, hi], "open": True}
    return out, True


def first_wrong(steps: list[Step]) -> int | None:
    """Index of the first step marked wrong."""
    return next((k for k, s in enumerate(steps) if s.valid is False), None)
