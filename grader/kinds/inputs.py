"""Probe inputs: tensors the grader builds from an assignment's input specs, reproducibly."""

from __future__ import annotations

import hashlib
from typing import Any

from grader.spec.models import InputSpec


def stable_seed(*parts: object) -> int:
    """A seed that depends only on its parts (not on Python's hash randomisation)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") & 0x7FFF_FFFF_FFFF_FFFF


def make_input(spec: InputSpec, generator: Any) -> Any:
    import torch

    if spec.value is not None:
        return spec.value
    dtype = getattr(torch, spec.dtype)
    shape = tuple(spec.shape)
    if spec.values is not None:
        return torch.tensor(spec.values, dtype=dtype)
    if spec.fill is not None:
        return torch.full(shape, spec.fill, dtype=dtype)
    if spec.uniform is not None:
        lo, hi = spec.uniform
        t = lo + (hi - lo) * torch.rand(shape, generator=generator, dtype=torch.float64)
    elif spec.normal is not None:
        mean, std = spec.normal
        t = mean + std * torch.randn(shape, generator=generator, dtype=torch.float64)
    else:
        assert spec.choice is not None
        idx = torch.randint(len(spec.choice), shape, generator=generator)
        t = torch.tensor(spec.choice, dtype=torch.float64)[idx]
    return t.to(dtype)


def as_reference_input(value: Any) -> Any:
    """Float tensors are promoted to float64 for references, so the reference is the accurate side."""
    import torch

    if isinstance(value, torch.Tensor) and value.is_floating_point():
        return value.detach().to(torch.float64)
    return value


def reference_copies(values: list[Any], array: str) -> list[Any]:
    """Fresh copies of probe inputs for a reference that writes into its arguments (`outputs:`):
    float64 like `as_reference_input`, never sharing memory with the inputs sent to the student,
    and in the course's array library (NumPy arrays for a NumPy course), so the reference is
    called as the student's function is."""
    import torch

    out = []
    for v in values:
        if isinstance(v, torch.Tensor):
            t = v.detach().to(torch.float64 if v.is_floating_point() else v.dtype, copy=True)
            out.append(t.numpy() if array == "numpy" else t)
        else:
            out.append(v)
    return out
