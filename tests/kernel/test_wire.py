"""What comes back from the kernel is untrusted: the decoder bounds it before it becomes data."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from grader.kernel.wire import MAX_ELEMENTS, WireError, decode_value, encode_array


def test_roundtrip_preserves_dtype_shape_and_values() -> None:
    arr = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    v = decode_value({"kind": "tensor", **encode_array(arr)})
    assert v.array.dtype == np.float32 and v.array.shape == (3, 4) and np.array_equal(v.array, arr)


@pytest.mark.parametrize("obj", [
    {"kind": "tensor", "dtype": "object", "shape": [1], "data": ""},
    {"kind": "tensor", "dtype": "float32", "shape": [3], "data": base64.b64encode(b"\0" * 8).decode()},
    {"kind": "tensor", "dtype": "float32", "shape": [MAX_ELEMENTS + 1], "data": ""},
    {"kind": "tensor", "dtype": "float32", "shape": [-1], "data": ""},
    {"kind": "tensor", "dtype": "float32", "shape": [1] * 20, "data": ""},
    {"kind": "pickle", "data": "gASVAAAAAAAAAAA="},
    {"kind": "number", "value": "1.0"},
    "not a dict",
])
def test_malformed_payloads_are_rejected(obj) -> None:
    with pytest.raises(WireError):
        decode_value(obj)


def test_nesting_is_bounded() -> None:
    obj: dict = {"kind": "none"}
    for _ in range(50):
        obj = {"kind": "sequence", "items": [obj]}
    with pytest.raises(WireError):
        decode_value(obj)
