"""What a question declares about vectors and matrices, and the matrix nodes the parser builds.

``vectors: {p: softmax}`` makes ``p`` (``\\mathbf{p}``) a vector of length n whose entries are
``p_i``; ``indices: [i, j]`` says the expected answer is entry (i, j) of a matrix (one index: a
vector). For such a question the parser reads ``p^T``, ``p^\\top``, ``p^{\\mathsf{T}}`` as a
transpose, ``\\operatorname{diag}(p)`` as a diagonal matrix, and a product with a matrix factor
in the order written (``p p^T`` is an n×n matrix, ``p^T p`` a number), so ``matrices`` can
compare it entry by entry. Without the declaration nothing changes: ``p^T`` is a power.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

VECTOR_KINDS = ("softmax", "real", "positive", "probability", "onehot")


class Transposed(sp.Function):
    """``p^T``, ``p^\\top``: the transpose of a vector or matrix."""

    nargs = 1


class Diag(sp.Function):
    """``\\operatorname{diag}(p)``: the diagonal matrix with p on its diagonal."""

    nargs = 1


class MatProd(sp.Function):
    """A product with a matrix factor, in the order written (matrix products do not commute)."""


_MATRIX_NODES = (Transposed, Diag, MatProd)


@dataclass(frozen=True)
class Tensors:
    """A question's matrix semantics: the expected answer is entry ``indices`` of a matrix
    (one index: a vector) over vectors of length n, each drawn as its kind says."""

    indices: tuple[str, ...]
    vectors: tuple[tuple[str, str], ...]  # (name, kind), sorted: part of the sampling seed

    @classmethod
    def make(cls, indices: list[str] | None, vectors: dict[str, str] | None) -> "Tensors | None":
        """None when the question declares no vectors; raises ValueError for invalid declarations."""
        if not indices and not vectors:
            return None
        idx = tuple(str(i) for i in indices or ())
        if not vectors:
            raise ValueError("`indices` needs `vectors`: the symbols whose entries p_i the indices pick")
        if not 1 <= len(idx) <= 2 or len(set(idx)) != len(idx) or not all(len(i) == 1 and i.isalpha() for i in idx):
            raise ValueError(f"`indices` must be one or two distinct letters (i, j), not {list(idx)}")
        for name, kind in vectors.items():
            if kind not in VECTOR_KINDS:
                raise ValueError(f"vector {name!r}: kind {kind!r} is not one of {', '.join(VECTOR_KINDS)}")
            if not name.isidentifier() or "_" in name:
                raise ValueError(f"vector {name!r}: write the bare name (p, not p_i)")
        return cls(idx, tuple(sorted((str(k), str(v)) for k, v in vectors.items())))

    @property
    def names(self) -> frozenset[str]:
        return frozenset(n for n, _ in self.vectors)


def matrix_valued(e: sp.Basic, vectors: frozenset[str]) -> bool:
    """Whether ``e`` is a matrix or vector (a bare vector name, a transpose, diag, an ordered product)."""
    if not vectors or not isinstance(e, sp.Basic):
        return False
    return e.has(*_MATRIX_NODES) or any(s.name in vectors for s in e.free_symbols)
