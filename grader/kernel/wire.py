"""The data that crosses the kernel boundary: JSON with raw little-endian bytes, never pickle.

Everything coming back from the kernel is untrusted: sizes, dtypes, shapes and nesting are
bounded here before any of it becomes a tensor in the grader.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_ELEMENTS = 4_000_000      # per array
MAX_NDIM = 8
MAX_ITEMS = 10_000            # per list/tuple
MAX_DEPTH = 6
_DTYPES = {
    "float16": np.float16, "float32": np.float32, "float64": np.float64,
    "int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
    "uint8": np.uint8, "bool": np.bool_,
}


_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


class WireError(ValueError):
    """Data from the kernel that does not follow the protocol."""


@dataclass
class Value:
    """A decoded value the student's code returned.

    kind: "tensor" | "ndarray" | "number" | "sequence" | "none" | "other".
    """

    kind: str
    array: np.ndarray | None = None
    number: float | int | bool | None = None
    items: list[Value] | None = None
    type_name: str = ""
    repr: str = ""

    def describe(self) -> str:
        if self.kind in ("tensor", "ndarray"):
            assert self.array is not None
            what = "tensor" if self.kind == "tensor" else "NumPy array"
            return f"a {what} of shape {tuple(self.array.shape)} and dtype {self.array.dtype}"
        if self.kind == "number":
            return f"the Python {type(self.number).__name__} {self.number!r}"
        if self.kind == "sequence":
            return f"a {self.type_name or 'sequence'} of {len(self.items or [])} items"
        if self.kind == "none":
            return "None (did you forget `return`?)"
        return f"a {self.type_name} object ({self.repr})"


def encode_array(arr: np.ndarray) -> dict[str, Any]:
    arr = np.asarray(arr)
    if not arr.flags.c_contiguous:
        arr = arr.copy(order="C")  # not np.ascontiguousarray: it turns a 0-d array into shape (1,)
    if arr.dtype.byteorder == ">":
        arr = arr.byteswap().view(arr.dtype.newbyteorder("<"))
    return {"dtype": str(arr.dtype), "shape": list(arr.shape), "data": base64.b64encode(arr.tobytes()).decode("ascii")}


def encode_input(value: Any) -> dict[str, Any]:
    """A probe argument: a torch tensor (sent as bytes) or a plain JSON value."""
    import torch

    if isinstance(value, torch.Tensor):
        return {"kind": "tensor", **encode_array(value.detach().cpu().numpy())}
    return {"kind": "py", "value": value}


def _decode_array(obj: dict[str, Any]) -> np.ndarray:
    name = obj.get("dtype")
    dtype = _DTYPES.get(name) if isinstance(name, str) else None
    if dtype is None:
        raise WireError(f"unsupported dtype {obj.get('dtype')!r}")
    shape = obj.get("shape")
    if not isinstance(shape, list) or len(shape) > MAX_NDIM or not all(isinstance(d, int) and 0 <= d for d in shape):
        raise WireError("bad shape")
    n = math.prod(shape)
    if n > MAX_ELEMENTS:
        raise WireError(f"array too large ({n} elements)")
    data = obj.get("data")
    if not isinstance(data, str) or len(data) > 4 * (n * np.dtype(dtype).itemsize + 2) // 3 + 4:
        raise WireError("bad array data")
    raw = base64.b64decode(data, validate=True)
    if len(raw) != n * np.dtype(dtype).itemsize:
        raise WireError("array data does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def decode_value(obj: Any, depth: int = 0) -> Value:
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if not isinstance(obj, dict):
        raise WireError("malformed value")
    kind = obj.get("kind")
    if kind in ("tensor", "ndarray"):
        return Value(kind=kind, array=_decode_array(obj))
    if kind == "number":
        v = obj.get("value")
        if isinstance(v, str) and v in _NON_FINITE:  # the runtime spells inf and NaN out: JSON has no such numbers
            v = _NON_FINITE[v]
        if isinstance(v, (int, float)):  # bool is an int
            if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**63:
                v = float(v) if abs(v) < 2**1023 else (math.inf if v > 0 else -math.inf)  # float(10**400) overflows
            return Value(kind="number", number=v)
        raise WireError("malformed number")
    if kind == "sequence":
        items = obj.get("items")
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise WireError("malformed sequence")
        return Value(kind="sequence", items=[decode_value(i, depth + 1) for i in items], type_name=str(obj.get("type", ""))[:40])
    if kind == "none":
        return Value(kind="none")
    if kind == "other":
        return Value(kind="other", type_name=str(obj.get("type", "?"))[:80], repr=str(obj.get("repr", ""))[:200])
    raise WireError(f"unknown value kind {kind!r}")
