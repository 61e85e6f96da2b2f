"""Matrix and index notation: the softmax Jacobian written as ``diag(p) − ppᵀ`` or ``p_i(δ_ij − p_j)``.

A question declares what is a vector and which indices its expected answer is the entry of
(``vectors: {p: softmax}``, ``indices: [i, j]``, see ``tensors``); the parser then reads
transposes, ``diag`` and ordered products. Here both sides are evaluated as whole matrices and
compared entry by entry, on random sizes n and random vectors of each declared kind (a softmax
vector sums to 1, a one-hot one has a single 1). An index-form expression gives entry (i, j) for
i, j in 1..n; a matrix-form one is evaluated with numpy. Anything without a clear matrix
meaning (an unordered product of two matrices, a matrix plus a number) is ``Unevaluable``:
undecided, never a guess.
"""

from __future__ import annotations

import math
import random
from itertools import product
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from .evaluate import _INDEXED, Evaluator, Overflow, PieceUndefined, Unevaluable
from .numeric import NumericResult, close
from .tensors import Diag, MatProd, Tensors, Transposed, matrix_valued
from .timer import Deadline

if TYPE_CHECKING:
    from .sampling import Plan

SIZES = (2, 3, 4, 5)
DRAWS_PER_SIZE = 3


def _draw(kind: str, n: int, rng: random.Random) -> list[float]:
    if kind == "softmax":
        z = [rng.uniform(-2.5, 2.5) for _ in range(n)]
        top = max(z)
        e = [math.exp(v - top) for v in z]
        return [v / sum(e) for v in e]
    if kind == "positive":
        return [rng.uniform(0.1, 3.0) for _ in range(n)]
    if kind == "probability":
        return [rng.uniform(0.02, 0.98) for _ in range(n)]
    if kind == "onehot":
        hot = rng.randrange(n)
        return [1.0 if k == hot else 0.0 for k in range(n)]
    return [rng.uniform(-3.0, 3.0) for _ in range(n)]


class _MatrixEvaluator(Evaluator):
    """The scalar evaluator, with vectors as n×1 columns and the matrix nodes."""

    def __init__(self, scalars: dict[str, float], vectors: dict[str, list[float]],
                 columns: dict[str, np.ndarray], deadline: Deadline | None) -> None:
        super().__init__(scalars, vectors, False, deadline)
        self.columns = columns
        self.names = frozenset(columns)

    def __call__(self, e: sp.Basic) -> Any:
        if not matrix_valued(e, self.names):
            return super().__call__(e)
        if isinstance(e, sp.Symbol):
            return self.columns[e.name]
        if isinstance(e, Transposed):
            return _scalar_or(np.transpose(self._array(self(e.args[0]))))
        if isinstance(e, Diag):
            v = self._array(self(e.args[0]))
            if 1 not in v.shape:
                raise _IllFormed("diag of a matrix")
            return np.diag(v.ravel())
        if isinstance(e, MatProd):
            acc = self(e.args[0])
            for a in e.args[1:]:
                acc = _times(acc, self(a))
            return acc
        if isinstance(e, sp.Add):
            vals = [self(a) for a in e.args]
            shapes = {np.shape(v) for v in vals}
            if len(shapes) > 1:
                raise _IllFormed("a sum of a matrix and a number, or of matrices of different shapes")
            return sum(vals[1:], vals[0])
        if isinstance(e, sp.Mul):
            vals = [self(a) for a in e.args]
            if sum(1 for v in vals if np.ndim(v)) > 1:
                raise Unevaluable("a product of matrices whose order is not known")
            acc = vals[0]
            for v in vals[1:]:
                acc = acc * v
            return acc
        raise Unevaluable(f"{type(e).__name__} of a matrix")

    @staticmethod
    def _array(v: Any) -> np.ndarray:
        a = np.asarray(v, dtype=float)
        return a.reshape(1, 1) if a.ndim == 0 else a


def _scalar_or(a: np.ndarray) -> Any:
    """A 1×1 result (pᵀp) is a number."""
    return float(a[0, 0]) if a.shape == (1, 1) else a


def _times(a: Any, b: Any) -> Any:
    if not np.ndim(a) or not np.ndim(b):
        return a * b
    if a.shape[1] != b.shape[0]:
        raise _IllFormed(f"a product of a {_shape(a)} and a {_shape(b)} matrix")
    return _scalar_or(a @ b)


def _shape(v: Any) -> str:
    return "×".join(str(d) for d in np.shape(v)) or "1×1"


def _entries(e: sp.Basic, tensors: Tensors, n: int, scalars: dict[str, float], vectors: dict[str, list[float]],
             deadline: Deadline | None) -> np.ndarray:
    """``e`` as an array of shape (n,) * len(indices); nan where it has no value."""
    shape = (n,) * len(tensors.indices)
    padded = {k: [math.nan, *v] for k, v in vectors.items()}  # p_1 … p_n: indices count from 1
    if matrix_valued(e, tensors.names):
        return _matrix(e, shape, scalars, padded, vectors, deadline)
    out = np.empty(shape)
    for at in product(range(1, n + 1), repeat=len(shape)):
        env = {**scalars, **{i: float(k) for i, k in zip(tensors.indices, at)}}
        try:
            v = Evaluator(env, padded, False, deadline)(e)
            out[tuple(k - 1 for k in at)] = float(v) if not isinstance(v, complex) else math.nan
        except (ZeroDivisionError, ValueError, TypeError, Overflow):
            out[tuple(k - 1 for k in at)] = math.nan
    return out


def _matrix(e: sp.Basic, shape: tuple[int, ...], scalars: dict[str, float], padded: dict[str, list[float]],
            vectors: dict[str, list[float]], deadline: Deadline | None) -> np.ndarray:
    """A matrix-form expression, vectors as columns; as rows when only that makes sense (a course
    that writes the outer product pᵀp)."""
    n = shape[0]
    error: Exception | None = None
    for orient in ((n, 1), (1, n)):
        cols = {k: np.array(v, dtype=float).reshape(orient) for k, v in vectors.items()}
        try:
            value = _MatrixEvaluator(scalars, padded, cols, deadline)(e)
        except _IllFormed as exc:
            error = error or exc
            continue
        except (ZeroDivisionError, ValueError, TypeError, Overflow):
            return np.full(shape, math.nan)
        arr = np.asarray(value, dtype=float)
        if len(shape) == 1 and arr.ndim == 2 and 1 in arr.shape:
            arr = arr.ravel()  # a gradient as a column or a row
        if arr.shape == shape:
            return arr
        error = error or _Shape(_shape(arr))
    raise error  # type: ignore[misc]


class _IllFormed(Unevaluable):
    """Shapes that do not fit (a matrix plus a number, a 3×1 times a 3×1)."""


class _Shape(Exception):
    """A matrix answer of the wrong shape."""


def compare(student: sp.Basic, expected: sp.Basic, plan: "Plan", deadline: Deadline | None = None) -> NumericResult:
    """Both sides as whole matrices on random sizes and vectors; a differing entry decides.

    Raises ``Unevaluable`` when a side has no numeric matrix meaning."""
    tensors = plan.tensors
    assert tensors is not None  # decide() comes here only for a plan with tensors
    rng = random.Random(plan.seed)
    skip = set(tensors.indices) | {"n"} | tensors.names
    scalar_domains = {k: d for k, d in plan.domains.items() if k not in skip and d.kind in ("real", "interval")
                      and not ((m := _INDEXED.match(k)) and m.group(1) in tensors.names)}
    valid = 0
    for n in [s for s in SIZES for _ in range(DRAWS_PER_SIZE)]:
        vectors = {name: _draw(kind, n, rng) for name, kind in tensors.vectors}
        scalars = {"n": float(n), **{k: _scalar(d, rng) for k, d in scalar_domains.items()}}
        try:
            want = _entries(expected, tensors, n, scalars, vectors, deadline)
        except (_Shape, PieceUndefined):
            continue
        try:
            got = _entries(student, tensors, n, scalars, vectors, deadline)
        except _Shape as exc:
            return NumericResult("different", valid, {"n": n}, reason="shape",
                                 shapes=(str(exc), f"{n}×{n}" if len(tensors.indices) == 2 else f"{n}×1"))
        except PieceUndefined:
            return NumericResult("different", valid, {"n": n}, None, None, "no case")
        for at in zip(*np.nonzero(~np.isnan(want))):
            g, w = got[at], want[at]
            label = {"n": n, **{i: int(k) + 1 for i, k in zip(tensors.indices, at)}}
            if math.isnan(g):
                return NumericResult("different", valid, label, None, float(w), "undefined")
            if not close(g, w):
                return NumericResult("different", valid, label, float(g), float(w), "value")
        valid += 1
    if valid >= len(SIZES):
        return NumericResult("equal", valid)
    return NumericResult("unknown", valid, reason="too few sizes where both sides have a value")


def _scalar(d: Any, rng: random.Random) -> float:
    lo, hi = (d.lo, d.hi) if d.kind == "interval" else (-3.0, 3.0)
    if math.isinf(hi):
        hi = lo + 5
    return lo + (hi - lo) * (0.001 + 0.998 * rng.random())
