"""Seeded sample points for comparing expressions numerically.

Each symbol gets a domain: the question's assumptions (``y_pred`` in (0, 1),
``y`` in {0, 1}), integer indices for ``i``, ``j`` (so ``p_i`` and ``p_j``
coincide when ``i = j``), sizes for ``n``, otherwise the reals around 0. Nice
values come first (so feedback can say "at x = 0.5"), then random ones, then
points on and beside the boundaries of cases and at the question's conventions.
The random ones are drawn from a generator seeded with a digest of the plan (the
symbols, their domains, the boundaries and conventions: what the question and the
answer are about), never from ``hash()`` or shared state, so a comparison samples the
same points in every process, in any order, whatever was checked before.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import astuple, dataclass, field
from functools import cached_property
from itertools import product
from typing import Iterable

import sympy as sp
from sympy.core.relational import Relational

from .evaluate import _INDEXED, Evaluator, PieceUndefined, Unevaluable
from .tensors import Tensors


@dataclass
class Domain:
    """Where one symbol is sampled."""

    kind: str  # real | interval | values | index | count
    lo: float = -3.0
    hi: float = 3.0
    open: bool = True
    values: tuple[float, ...] = ()


_COUNT_NAMES = frozenset({"n", "N", "m", "M", "K", "B"})  # sizes: positive integers
_NICE_REAL = (0.5, -0.5, 1.5, -1.5, 2.0, -2.0, 0.3, -0.7, 1.0, -1.0, 2.5, -2.5)


@dataclass
class Point:
    """One sample: scalar values, vectors for indexed symbols (p_i -> p[i])."""

    scalars: dict[str, float]
    vectors: dict[str, list[float]]
    convention: tuple[float, ...] | None = None  # accepted values here
    boundary: bool = False  # exactly on a case boundary: an undefined answer is not held against it
    label: dict[str, float] = field(default_factory=dict)  # what to show the student


@dataclass
class Plan:
    """How to sample the variables of a comparison."""

    domains: dict[str, Domain]  # scalar symbols
    vector_bases: dict[str, Domain]  # p for p_i, p_j
    boundaries: dict[str, set[float]]
    conventions: list[tuple[dict[str, float], tuple[float, ...]]]
    shown: list[str]  # symbol names to show in a witness
    tensors: Tensors | None = None  # matrix semantics: compared entry by entry (matrices.compare)

    @cached_property
    def seed(self) -> int:
        """A seed that is a function of the plan's content alone (not of the process or its hash seed)."""
        text = repr((sorted((n, astuple(d)) for n, d in self.domains.items()),
                     sorted((n, astuple(d)) for n, d in self.vector_bases.items()),
                     sorted((n, sorted(bs)) for n, bs in self.boundaries.items()),
                     [(sorted(at.items()), values) for at, values in self.conventions], self.shown,
                     self.tensors))
        return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")

    @property
    def continuous(self) -> bool:
        return any(d.kind in ("real", "interval") for d in self.domains.values()) or bool(self.vector_bases)


def _domain_from(spec: dict | None) -> Domain | None:
    if not spec:
        return None
    if "values" in spec:
        return Domain("values", values=tuple(float(v) for v in spec["values"]))
    if "interval" in spec:
        lo, hi = (float(v) for v in spec["interval"])
        return Domain("interval", lo, hi, bool(spec.get("open", True)))
    if spec.get("positive"):
        return Domain("interval", 0.0, 3.0, True)
    return None


def _assumption(name: str, assumptions: dict[str, dict]) -> Domain | None:
    if name in assumptions:
        return _domain_from(assumptions[name])
    m = _INDEXED.match(name)
    if m and m.group(1) in assumptions:
        return _domain_from(assumptions[m.group(1)])
    for key, spec in assumptions.items():
        km = _INDEXED.match(key)
        if km and km.group(1) == name:
            return _domain_from(spec)
    return None


def make_plan(exprs: Iterable[sp.Basic], assumptions: dict[str, dict] | None = None,
              conventions: list[dict] | None = None, tensors: Tensors | None = None) -> Plan:
    """Decide each symbol's domain from the expressions being compared (``tensors``: the
    question's vectors and indices, for an entry-by-entry comparison)."""
    assumptions = assumptions or {}
    exprs = [e for e in exprs if e is not None]
    free: set[str] = set()
    index: set[str] = set()
    counts: set[str] = set()
    boundaries: dict[str, set[float]] = {}
    for e in exprs:
        free |= {s.name for s in e.free_symbols}
        for kd in e.atoms(sp.KroneckerDelta):
            index |= {s.name for s in kd.free_symbols}
        for s in e.atoms(sp.Sum, sp.Product):
            for lim in s.limits:
                index.add(lim[0].name)
                for bound in lim[1:]:
                    counts |= {b.name for b in bound.free_symbols}
        for rel in e.atoms(sp.Eq, sp.Ne):
            if all(isinstance(a, sp.Symbol) and len(a.name) == 1 for a in rel.args):
                index |= {a.name for a in rel.args}
        for pw in e.atoms(sp.Piecewise):
            for _, cond in pw.args:
                for rel in getattr(cond, "atoms", lambda *a: set())(Relational):
                    a, b = rel.lhs, rel.rhs
                    if isinstance(a, sp.Symbol) and b.is_number:
                        boundaries.setdefault(a.name, set()).add(float(b))
                    elif isinstance(b, sp.Symbol) and a.is_number:
                        boundaries.setdefault(b.name, set()).add(float(a))
    for name in free:
        m = _INDEXED.match(name)
        if m and m.group(2) in "ijk" and (m.group(2) in free or m.group(2) in index or
                                          any(n.endswith("_" + m.group(2)) and n != name for n in free)):
            index.add(m.group(2))
    domains: dict[str, Domain] = {}
    vectors: dict[str, Domain] = {}
    shown: list[str] = []
    for name in sorted(free | index):
        m = _INDEXED.match(name)
        if name in index:
            domains[name] = Domain("index", values=(1.0, 2.0, 3.0))
        elif name in counts:
            domains[name] = Domain("count", values=(3.0, 4.0))
        elif name in _COUNT_NAMES and name not in assumptions:
            domains[name] = Domain("count", values=(2.0, 3.0, 4.0, 5.0, 8.0))
        elif m and m.group(2) in index and m.group(1) not in index:
            vectors.setdefault(m.group(1), _assumption(name, assumptions) or Domain("real"))
        else:
            domains[name] = _assumption(name, assumptions) or Domain("real")
        if name in free:
            shown.append(name)
    convs = []
    for c in conventions or []:
        at = {str(k): float(v) for k, v in (c.get("at") or {}).items()}
        convs.append((at, tuple(float(v) for v in c.get("values", []))))
        for k, v in at.items():
            boundaries.setdefault(k, set()).add(v)
    # sorted: which boundary is sampled first must not follow set iteration order (the hash seed)
    return Plan(domains, vectors, {k: boundaries[k] for k in sorted(boundaries)}, convs, shown, tensors)


def _draw(d: Domain, rng: random.Random, nice: int | None) -> float:
    if d.kind == "real":
        if nice is not None and nice < len(_NICE_REAL):
            return _NICE_REAL[nice]
        return round(rng.uniform(d.lo, d.hi), 6)
    if d.kind == "interval":
        nice_pts = (0.3, 0.7, 0.5, 0.2, 0.9, 0.1, 0.6, 0.4, 0.8)
        if nice is not None and nice < len(nice_pts) and d.lo == 0 and d.hi == 1:
            return nice_pts[nice]
        lo, hi = d.lo, d.hi
        if math.isinf(hi):
            hi = lo + 5
        eps = (hi - lo) * 1e-3 if d.open else 0.0
        if nice is not None:
            return round(lo + eps + (hi - lo - 2 * eps) * ((nice * 0.37 + 0.21) % 1.0), 4)
        return lo + eps + (hi - lo - 2 * eps) * rng.random()
    return rng.choice(d.values)


def points(plan: Plan, seed: int | None = None, per_combo: int = 28) -> list[Point]:
    """Sample points, nice values first, then random, then boundaries; the same for the same
    plan (``seed`` defaults to ``plan.seed``)."""
    rng = random.Random(plan.seed if seed is None else seed)
    finite = [n for n, d in plan.domains.items() if d.kind == "values"]
    combos = list(product(*[plan.domains[n].values for n in finite])) or [()]
    if len(combos) > 16:
        combos = rng.sample(combos, 16)
    per = per_combo if plan.continuous else 1
    if not plan.continuous and not any(d.kind in ("index", "count") for d in plan.domains.values()):
        per = 1
    elif not plan.continuous:
        per = 12
    out: list[Point] = []

    def shifted(nice: int | None, ordinal: int) -> int | None:
        # different symbols get different nice values, so they do not coincide
        return None if nice is None else (nice + 5 * ordinal) % len(_NICE_REAL)

    def one(combo: tuple, nice: int | None, fixed: dict[str, float]) -> Point:
        scal: dict[str, float] = {}
        for o, (name, d) in enumerate(plan.domains.items()):
            if name in fixed:
                scal[name] = fixed[name]
            elif d.kind == "values":
                scal[name] = combo[finite.index(name)]
            else:
                scal[name] = _draw(d, rng, shifted(nice, o))
        vecs = {b: [_draw(d, rng, shifted(nice, 7 * o + k)) for k in range(6)]
                for o, (b, d) in enumerate(plan.vector_bases.items(), start=1)}
        return Point(scal, vecs)

    for combo in combos:
        for k in range(per):
            out.append(one(combo, k if k < 6 else None, {}))
    for combo in combos:
        for name, bs in plan.boundaries.items():
            if name not in plan.domains or plan.domains[name].kind not in ("real", "interval"):
                continue
            for b in sorted(bs):
                for off in (0.0, 1e-3, -1e-3, 0.25, -0.25):
                    p = one(combo, None, {name: b + off})
                    p.boundary = off == 0.0
                    out.append(p)
    for p in out:
        for at, values in plan.conventions:
            if at and all(k in p.scalars and p.scalars[k] == v for k, v in at.items()):
                p.convention = values
        p.label = _label(plan, p)
    return out


def _label(plan: Plan, p: Point) -> dict[str, float]:
    lab = {}
    for name in plan.shown:
        try:
            lab[name] = float(Evaluator(p.scalars, p.vectors).lookup(name))
        except (Unevaluable, PieceUndefined):
            continue
    return lab

