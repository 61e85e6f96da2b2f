"""Decide whether two expressions are equal: numeric sampling plus sympy.

Sampling decides fast and gives the student a concrete point when they
differ; a confirmed difference at one point is a proof. Agreement at enough
points (``numeric.MIN_VALID``) counts as equal; when sampling cannot decide
(few points where both sides have a value) sympy's simplification gets the
rest of the time budget. Each sympy step runs under a sub-deadline, and inputs
with astronomically large numbers never reach sympy at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import sympy as sp

from . import matrices
from .evaluate import Unevaluable
from .numeric import NumericResult, compare
from .parser import _is_huge
from .sampling import Plan
from .timer import CheckTimeout, Deadline, sub_limit


@dataclass
class Verdict:
    status: str  # equal | different | unknown
    how: str = ""  # symbolic | numeric
    numeric: NumericResult | None = None
    reason: str = ""


def too_big_for_sympy(e: sp.Basic) -> bool:
    """Numbers sympy would try to compute exactly (10^{10^{10}}, x^{10^9})."""
    for node in sp.preorder_traversal(e):
        if isinstance(node, sp.Pow):
            if _is_huge(node.exp) or (node.base.is_number and _is_huge(node.base)):
                return True
            if node.exp.is_Integer and abs(int(node.exp)) > 1000:
                return True
            if node.base.is_number and node.exp.is_number:
                return True  # left unevaluated by the parser because it was huge
        elif isinstance(node, sp.Integer) and abs(int(node)) > 10**400:
            return True
    return False


def _zero(d: sp.Basic, deadline: Deadline) -> bool:
    if d == 0:
        return True
    steps = [lambda: sp.cancel(sp.together(d))]
    if deadline.can_interrupt:
        steps += [lambda: sp.simplify(d), lambda: sp.simplify(sp.expand(d.rewrite(sp.exp)))]
    elif sp.count_ops(d) > 80:
        return False
    for step in steps:
        left = deadline.remaining()
        if left < 0.05:
            return False
        try:
            with sub_limit(deadline, max(0.05, left * 0.6)):
                if step() == 0:
                    return True
        except CheckTimeout:
            if deadline.expired():
                raise
        except (TypeError, ValueError, NotImplementedError, AttributeError, RecursionError,
                sp.PolynomialError):
            continue
    return False


def prove_equal(a: sp.Basic, b: sp.Basic, plan: Plan, deadline: Deadline) -> bool:
    """sympy shows ``a - b == 0`` for every combination of finite-valued symbols."""
    if too_big_for_sympy(a) or too_big_for_sympy(b):
        return False
    finite = [(n, d.values) for n, d in plan.domains.items() if d.kind == "values"]
    positive = {sp.Symbol(n): sp.Symbol(n, positive=True) for n, d in plan.domains.items()
                if d.kind == "interval" and d.lo >= 0}
    combos = list(product(*[v for _, v in finite])) or [()]
    for combo in combos[:16]:
        sub = {sp.Symbol(n): sp.Integer(int(v)) if float(v).is_integer() else sp.Float(v)
               for (n, _), v in zip(finite, combo)}
        d = (a - b).xreplace(sub).xreplace(positive)
        if not _zero(d, deadline):
            return False
    return True


def decide(student: sp.Basic, expected: sp.Basic, plan: Plan, deadline: Deadline) -> Verdict:
    """equal / different (with a witness point) / unknown."""
    if student == expected:
        return Verdict("equal", "symbolic")
    sample = compare if plan.tensors is None else matrices.compare  # points, or whole matrices entry by entry
    try:
        num = sample(student, expected, plan, deadline)
    except Unevaluable as exc:
        num = NumericResult("unknown", reason=f"it cannot be evaluated numerically ({exc})")
    if num.status == "different":
        return Verdict("different", "numeric", num)
    if num.status == "equal":
        return Verdict("equal", "numeric", num)
    if prove_equal(student, expected, plan, deadline):
        return Verdict("equal", "symbolic", num)
    return Verdict("unknown", "", num, num.reason)
