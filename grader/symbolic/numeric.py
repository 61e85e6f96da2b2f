"""Compare two expressions at seeded sample points.

A confirmed difference at one point (re-checked with 50-digit arithmetic so
round-off cannot fake it) decides "different" and is the witness shown to the
student; agreement at ``MIN_VALID`` points where both sides have a value
decides "equal". Answers undefined where the expected one is defined (cases
with a gap, ``log`` of a negative) count against the answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp

from .evaluate import Evaluator, Overflow, PieceUndefined
from .sampling import Plan, Point, points
from .timer import Deadline

MIN_VALID = 20  # agreeing points needed to call two expressions equal


def close(a: Any, b: Any, rel: float = 1e-7, abs_: float = 1e-9) -> bool:
    return abs(a - b) <= abs_ + rel * max(abs(a), abs(b))


def finite(v: Any) -> bool:
    try:
        return math.isfinite(float(v))
    except (OverflowError, TypeError, ValueError):
        return False


@dataclass
class NumericResult:
    status: str  # equal | different | unknown
    valid: int = 0
    point: dict[str, float] | None = None
    got: float | None = None  # the student's value at the point (None: undefined there)
    want: float | None = None
    reason: str = ""
    shapes: tuple[str, str] | None = None  # (the answer's, the expected) when a matrix answer has the wrong shape


def _value(e: sp.Basic, p: Point, mp: bool, deadline: Deadline | None) -> tuple[str, Any]:
    """('ok', v) | ('nan', None) | ('cases', None) | ('big', None)."""
    try:
        if mp:
            with mpmath.workdps(50):
                scal = {k: mpmath.mpf(v) for k, v in p.scalars.items()}
                vecs = {k: [mpmath.mpf(x) for x in v] for k, v in p.vectors.items()}
                v = Evaluator(scal, vecs, True, deadline)(e)
                v = mpmath.mpf(v) if not isinstance(v, mpmath.mpf) else v
                if not mpmath.isfinite(v):
                    return ("nan", None)
                return ("ok", v)
        v = Evaluator(p.scalars, p.vectors, False, deadline)(e)
    except PieceUndefined:
        return ("cases", None)
    except Overflow:
        return ("big", None)
    except (ZeroDivisionError, ValueError, TypeError):
        return ("nan", None)
    if isinstance(v, complex):
        return ("nan", None)
    if not finite(v):
        return ("big", None) if v in (float("inf"), float("-inf")) else ("nan", None)
    return ("ok", float(v))


def compare(student: sp.Basic, expected: sp.Basic, plan: Plan, deadline: Deadline | None = None,
            min_valid: int | None = None) -> NumericResult:
    """Compare at seeded points; a confirmed difference at one point decides.

    Raises ``Unevaluable`` when either side has no numeric meaning."""
    pts = points(plan)
    need = min_valid if min_valid is not None else (MIN_VALID if plan.continuous else len(pts))
    need = min(need, len(pts))
    valid = 0
    undefined: list[Point] = []
    undefined_wants: list[float] = []
    for p in pts:
        ks, want = _value(expected, p, False, deadline)
        if p.convention is not None:
            gs, got = _value(student, p, False, deadline)
            if gs in ("nan", "cases") or (gs == "ok" and (any(close(got, v) for v in p.convention) or
                                                          (ks == "ok" and close(got, want)))):
                valid += 1
                continue
            if gs == "ok":
                return NumericResult("different", valid, p.label, got, want if ks == "ok" else None, "convention")
            continue
        if ks != "ok":
            continue
        gs, got = _value(student, p, False, deadline)
        if gs == "big":
            continue
        if gs in ("cases", "nan") and p.boundary:
            continue
        if gs == "cases":
            return NumericResult("different", valid, p.label, None, want, "no case")
        if gs == "nan":
            undefined.append(p)
            undefined_wants.append(want)
            continue
        if close(got, want):
            valid += 1
            continue
        ms, mgot = _value(student, p, True, deadline)
        me, mwant = _value(expected, p, True, deadline)
        if ms == "ok" and me == "ok" and close(mgot, mwant, rel=1e-20, abs_=1e-25):
            valid += 1
            continue
        return NumericResult("different", valid, p.label, got, want, "value")
    if undefined and len(undefined) >= 3 and len(undefined) > 0.2 * (valid + len(undefined)):
        return NumericResult("different", valid, undefined[0].label, None, undefined_wants[0], "undefined")
    if valid >= max(1, need):
        return NumericResult("equal", valid)
    return NumericResult("unknown", valid, reason="too few points where both sides have a value")

