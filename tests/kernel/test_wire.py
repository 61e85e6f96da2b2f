"""What comes back from the kernel is untrusted: the decoder bounds it before it becomes data."""

from __future__ import annotations

import base64
import math

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


@pytest.mark.parametrize("spelled, check", [
    ("inf", lambda v: v == math.inf), ("-inf", lambda v: v == -math.inf), ("nan", math.isnan),
])
def test_non_finite_numbers_spelled_out_by_the_runtime_decode_as_values(spelled, check) -> None:
    """Standard JSON has no inf or NaN, so the runtime spells them out; they are values, not malformed."""
    v = decode_value({"kind": "number", "value": spelled})
    assert v.kind == "number" and isinstance(v.number, float) and check(v.number)


def test_negative_zero_keeps_its_sign() -> None:
    assert math.copysign(1.0, decode_value({"kind": "number", "value": -0.0}).number) == -1.0


@pytest.mark.parametrize("text", ["NaN", "Infinity", "+inf", "1e400", "nan "])
def test_other_number_strings_are_still_malformed(text) -> None:
    with pytest.raises(WireError):
        decode_value({"kind": "number", "value": text})
