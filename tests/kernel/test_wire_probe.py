"""The kernel boundary without a kernel: arrays survive the wire exactly, and a malformed or hostile
payload is refused (WireError / ProtocolError) or cut down to bounded size, never trusted.

tests/test_wire.py already covers a float32 round trip and the basic rejections (object dtype,
data/shape mismatch, MAX_ELEMENTS+1, a negative dim, 20 dims, unknown kind, a string number,
a non-dict, 50 levels of nesting); these tests cover the rest."""

from __future__ import annotations

import base64

import numpy as np
import pytest
import torch

from grader.kernel import wire
from grader.kernel.errors import KernelError, ProtocolError
from grader.kernel.probe import _parse
from grader.kernel.wire import MAX_DEPTH, MAX_ELEMENTS, MAX_ITEMS, MAX_NDIM, WireError, decode_value, encode_array, encode_input


def roundtrip(arr: np.ndarray, kind: str = "tensor") -> np.ndarray:
    v = decode_value({"kind": kind, **encode_array(arr)})
    assert v.kind == kind
    return v.array


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


# --- round trips -------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float16", "float64", "int8", "int16", "int32", "int64", "uint8"])
def test_every_supported_dtype_round_trips_exactly(dtype: str) -> None:
    info = np.finfo(dtype) if dtype.startswith("float") else np.iinfo(dtype)
    arr = np.array([[info.min, 0, 1], [info.max, 2, 3]], dtype=dtype)
    back = roundtrip(arr)
    assert back.dtype == np.dtype(dtype) and back.shape == (2, 3) and np.array_equal(back, arr)


def test_float_specials_and_subnormals_round_trip_bit_for_bit() -> None:
    arr = np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324, np.finfo(np.float64).max])
    back = roundtrip(arr, "ndarray")
    assert back.tobytes() == arr.tobytes()


def test_bool_arrays_round_trip() -> None:
    arr = np.array([[True, False], [False, True]])
    back = roundtrip(arr)
    assert back.dtype == np.bool_ and np.array_equal(back, arr)


@pytest.mark.parametrize("dtype", [">f8", ">f4", ">i4", ">i8"])
def test_big_endian_input_is_sent_little_endian_with_the_same_values(dtype: str) -> None:
    arr = np.array([1.5, -2.0, 300.0]).astype(dtype) if "f" in dtype else np.array([1, -2, 70000], dtype=dtype)
    payload = encode_array(arr)
    assert payload["dtype"] in ("float64", "float32", "int32", "int64")  # a name the decoder accepts
    back = decode_value({"kind": "ndarray", **payload}).array
    assert back.dtype.byteorder in ("=", "<", "|") and np.array_equal(back, arr)


def test_non_contiguous_and_transposed_arrays_keep_their_logical_layout() -> None:
    arr = np.arange(12, dtype=np.float64).reshape(3, 4).T[::2]
    assert np.array_equal(roundtrip(arr), arr)


def test_a_zero_dimensional_payload_decodes_to_a_scalar_array() -> None:
    back = decode_value({"kind": "tensor", "dtype": "float32", "shape": [], "data": b64(np.float32(2.5).tobytes())}).array
    assert back.shape == () and back.item() == 2.5


def test_zero_dimensional_arrays_round_trip() -> None:
    assert encode_array(np.array(2.5, dtype=np.float32))["shape"] == []
    back = roundtrip(np.array(2.5, dtype=np.float32))
    assert back.shape == () and back.item() == 2.5


@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 4, 2)])
def test_empty_arrays_round_trip(shape) -> None:
    back = roundtrip(np.zeros(shape, dtype=np.float32))
    assert back.shape == shape and back.size == 0


def test_a_decoded_array_is_writable_and_independent_of_the_payload() -> None:
    back = roundtrip(np.ones(3))
    back[0] = 7  # frombuffer alone would be read-only
    assert back[0] == 7


def test_encode_input_sends_tensors_as_bytes_and_plain_values_as_json() -> None:
    t = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    enc = encode_input(t)
    assert enc["kind"] == "tensor" and enc["dtype"] == "float32" and enc["shape"] == [2, 2]
    assert np.array_equal(decode_value(enc).array, t.detach().numpy())
    assert encode_input(3) == {"kind": "py", "value": 3}
    assert encode_input([1, "a"]) == {"kind": "py", "value": [1, "a"]}


def test_encode_input_round_trips_half_and_bool_tensors() -> None:
    half = torch.tensor([0.1, 65504.0], dtype=torch.float16)
    assert np.array_equal(decode_value(encode_input(half)).array, half.numpy())
    mask = torch.tensor([True, False])
    assert decode_value(encode_input(mask)).array.tolist() == [True, False]


def test_numbers_sequences_none_and_other_decode() -> None:
    assert decode_value({"kind": "number", "value": 3}).number == 3
    flag = decode_value({"kind": "number", "value": True})
    assert flag.number is True and flag.describe() == "the Python bool True"
    seq = decode_value({"kind": "sequence", "type": "tuple", "items": [{"kind": "none"}, {"kind": "number", "value": 1.5}]})
    assert seq.type_name == "tuple" and [i.kind for i in seq.items] == ["none", "number"]
    other = decode_value({"kind": "other", "type": "dict", "repr": "{'a': 1}"})
    assert other.describe() == "a dict object ({'a': 1})"


# --- rejections and bounds ---------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["complex128", "float128", "bfloat16", "<f8", "U1", None, 3])
def test_dtypes_outside_the_list_are_refused(dtype) -> None:
    with pytest.raises(WireError, match="unsupported dtype"):
        decode_value({"kind": "tensor", "dtype": dtype, "shape": [1], "data": b64(b"\0" * 16)})


def test_exactly_max_ndim_dims_are_accepted_and_one_more_refused() -> None:
    ok = decode_value({"kind": "tensor", "dtype": "uint8", "shape": [1] * MAX_NDIM, "data": b64(b"\1")})
    assert ok.array.ndim == MAX_NDIM
    with pytest.raises(WireError, match="bad shape"):
        decode_value({"kind": "tensor", "dtype": "uint8", "shape": [1] * (MAX_NDIM + 1), "data": b64(b"\1")})


@pytest.mark.parametrize("shape", [[2.0], ["2"], "2", None, [[2]], [1, -3]])
def test_shapes_that_are_not_lists_of_non_negative_ints_are_refused(shape) -> None:
    with pytest.raises(WireError, match="bad shape"):
        decode_value({"kind": "tensor", "dtype": "uint8", "shape": shape, "data": b64(b"\0\0")})


def test_too_many_elements_is_refused_even_when_each_dim_is_small() -> None:
    """The product of the dims counts: four dims of 45 are each tiny but 45**4 > MAX_ELEMENTS."""
    side = int(round(MAX_ELEMENTS ** 0.25)) + 1
    with pytest.raises(WireError, match="too large"):
        decode_value({"kind": "tensor", "dtype": "uint8", "shape": [side] * 4, "data": ""})


def test_data_far_larger_than_the_shape_is_refused_before_it_is_decoded() -> None:
    with pytest.raises(WireError, match="bad array data"):
        decode_value({"kind": "tensor", "dtype": "float32", "shape": [1], "data": "A" * 1_000_000})


@pytest.mark.parametrize("data", [None, 42, ["AAAA"]])
def test_array_data_that_is_not_a_string_is_refused(data) -> None:
    with pytest.raises(WireError, match="bad array data"):
        decode_value({"kind": "tensor", "dtype": "float32", "shape": [1], "data": data})


@pytest.mark.parametrize("raw", [b"\0" * 4, b"\0" * 12])
def test_base64_that_does_not_match_the_shape_is_refused(raw: bytes) -> None:
    """Too few bytes and too many (within the length allowance) both disagree with shape (2,) float32."""
    with pytest.raises(WireError, match="does not match its shape"):
        decode_value({"kind": "tensor", "dtype": "float32", "shape": [2], "data": b64(raw)})


@pytest.mark.parametrize("data", ["!!!!!!!!!!!!", "AAAA AAAAAAA", "AAAAAAAAAAA"])
def test_data_that_is_not_strict_base64_is_refused(data: str) -> None:
    # binascii.Error is a ValueError; callers (probe._parse, Prober.read) catch ValueError for this
    with pytest.raises(ValueError):
        decode_value({"kind": "tensor", "dtype": "float64", "shape": [1], "data": data})


def _nested(levels: int) -> dict:
    obj: dict = {"kind": "none"}
    for _ in range(levels):
        obj = {"kind": "sequence", "items": [obj]}
    return obj


def test_nesting_up_to_max_depth_is_accepted_and_one_level_more_refused() -> None:
    v = decode_value(_nested(MAX_DEPTH))
    for _ in range(MAX_DEPTH):
        v = v.items[0]
    assert v.kind == "none"
    with pytest.raises(WireError, match="nested too deeply"):
        decode_value(_nested(MAX_DEPTH + 1))


def test_a_sequence_of_max_items_is_accepted_and_a_longer_one_refused() -> None:
    item = {"kind": "number", "value": 1}
    assert len(decode_value({"kind": "sequence", "items": [item] * MAX_ITEMS}).items) == MAX_ITEMS
    with pytest.raises(WireError, match="malformed sequence"):
        decode_value({"kind": "sequence", "items": [item] * (MAX_ITEMS + 1)})


@pytest.mark.parametrize("items", [None, "abc", {"0": {"kind": "none"}}])
def test_sequence_items_must_be_a_list(items) -> None:
    with pytest.raises(WireError, match="malformed sequence"):
        decode_value({"kind": "sequence", "items": items})


def test_a_bad_item_anywhere_in_a_sequence_rejects_the_whole_value() -> None:
    with pytest.raises(WireError):
        decode_value({"kind": "sequence", "items": [{"kind": "none"}, {"kind": "tensor", "dtype": "object"}]})


@pytest.mark.parametrize("value", [None, [1], {"v": 1}])
def test_numbers_must_be_json_numbers(value) -> None:
    with pytest.raises(WireError, match="malformed number"):
        decode_value({"kind": "number", "value": value})


@pytest.mark.parametrize("big", [2**64, -(2**64), 10**30])
def test_ints_too_large_for_int64_become_floats(big: int) -> None:
    v = decode_value({"kind": "number", "value": big})
    assert isinstance(v.number, float) and v.number == float(big)


def test_int64_sized_ints_stay_exact_ints() -> None:
    v = decode_value({"kind": "number", "value": 2**62 + 1})
    assert isinstance(v.number, int) and v.number == 2**62 + 1


def test_an_int_beyond_float_range_is_refused_or_made_a_float() -> None:
    try:
        v = decode_value({"kind": "number", "value": 10**400})
    except WireError:
        return
    assert v.kind == "number" and isinstance(v.number, float)


def test_type_names_and_reprs_from_the_kernel_are_capped() -> None:
    other = decode_value({"kind": "other", "type": "T" * 10_000, "repr": "r" * 10_000})
    assert len(other.type_name) == 80 and len(other.repr) == 200
    seq = decode_value({"kind": "sequence", "type": "L" * 10_000, "items": []})
    assert len(seq.type_name) == 40


# --- _parse: the probe response --------------------------------------------------------------------

def _ok(*calls: dict, **extra) -> dict:
    return {"status": "ok", "calls": list(calls), **extra}


NUMBER = {"kind": "number", "value": 1.5}


def _refused(resp, why: str) -> None:
    assert resp.status == "failed" and resp.calls == []
    assert isinstance(resp.failure, ProtocolError) and isinstance(resp.failure, KernelError)
    assert resp.failure.event == "protocol" and why in str(resp.failure)


def test_a_well_formed_response_is_parsed() -> None:
    resp = _parse(_ok({"ok": True, "value": NUMBER, "mutated": [1], "seconds": 0.25, "torch_calls": ["torch.exp"], "step": 0},
                      {"ok": False, "error": {"type": "ValueError", "message": "bad", "line": 3}}, signature="(x)"), 2)
    assert resp.status == "ok" and resp.failure is None and resp.signature == "(x)"
    first, second = resp.calls
    assert first.ok and first.value.number == 1.5 and first.mutated == [1] and first.seconds == 0.25
    assert first.torch_calls == ["torch.exp"] and first.cleared is True
    assert not second.ok and second.error == {"type": "ValueError", "message": "bad", "line": 3}


@pytest.mark.parametrize("n_sent, n_expected", [(1, 2), (3, 2), (0, 1), (1, 0)])
def test_a_wrong_number_of_calls_is_a_protocol_error(n_sent: int, n_expected: int) -> None:
    _refused(_parse(_ok(*[{"ok": True, "value": NUMBER}] * n_sent), n_expected), "malformed probe response")


@pytest.mark.parametrize("payload", [
    {"calls": [{"ok": True, "value": NUMBER}]},                    # no status
    {"status": None, "calls": [{"ok": True, "value": NUMBER}]},
    {"status": "OK", "calls": [{"ok": True, "value": NUMBER}]},   # statuses are exact
    {"status": "ok"},                                              # no calls
    {"status": "ok", "calls": {"0": {"ok": True}}},                # calls not a list
])
def test_a_missing_or_unknown_status_or_calls_is_a_protocol_error(payload: dict) -> None:
    _refused(_parse(payload, 1), "malformed probe response")


@pytest.mark.parametrize("record", [None, "ok", 1, ["ok", True]])
def test_a_call_record_that_is_not_a_dict_is_a_protocol_error(record) -> None:
    _refused(_parse(_ok({"ok": True, "value": NUMBER}, record), 2), "malformed call record")


def test_an_undecodable_result_fails_that_call_only() -> None:
    bad = {"kind": "tensor", "dtype": "float32", "shape": [2], "data": "!!!!"}
    resp = _parse(_ok({"ok": True, "value": bad}, {"ok": True, "value": NUMBER}, {"ok": True}), 3)
    assert resp.status == "ok"
    unreadable, fine, no_value = resp.calls
    assert not unreadable.ok and unreadable.error["type"] == "UnreadableResult" and unreadable.value is None
    assert fine.ok and fine.value.number == 1.5
    assert not no_value.ok and no_value.error["type"] == "UnreadableResult"  # "ok" without a value


def test_a_too_deep_result_is_unreadable_not_a_crash() -> None:
    resp = _parse(_ok({"ok": True, "value": _nested(MAX_DEPTH + 5)}), 1)
    assert not resp.calls[0].ok and "nested too deeply" in resp.calls[0].error["message"]


def test_an_error_record_keeps_only_known_keys_and_caps_strings() -> None:
    err = {"type": "RuntimeError", "message": "m" * 5000, "function": "f", "line": 12, "code": ["x = 1"],
           "execution_count": 4, "traceback": "secret" * 100, "__class__": "x", "html": "<script>"}
    call = _parse(_ok({"ok": False, "error": err}), 1).calls[0]
    assert not call.ok and call.value is None
    assert set(call.error) == {"type", "message", "function", "line", "code", "execution_count"}
    assert call.error["message"] == "m" * 500
    assert call.error["line"] == 12 and call.error["execution_count"] == 4  # ints stay ints
    assert call.error["code"] == "['x = 1']"  # anything else becomes a (capped) string
    assert all(len(v) <= 500 for v in call.error.values() if isinstance(v, str))


@pytest.mark.parametrize("err", [None, "boom", ["type", "message"]])
def test_an_error_that_is_not_a_dict_becomes_an_empty_error(err) -> None:
    call = _parse(_ok({"ok": False, "error": err}), 1).calls[0]
    assert not call.ok and call.error == {}


def test_torch_calls_mutated_and_signature_are_capped() -> None:
    raw = {"ok": True, "value": NUMBER, "torch_calls": ["t" * 1000] * 10_000,
           "mutated": list(range(100)) + ["0", None, 1.5]}
    resp = _parse(_ok(raw, signature="s" * 10_000), 1)
    call = resp.calls[0]
    assert len(call.torch_calls) == 500 and all(len(n) == 120 for n in call.torch_calls)
    assert call.mutated == list(range(32))  # only ints, at most 32
    assert len(resp.signature) == 200


@pytest.mark.parametrize("field, value, attr, expected", [
    ("torch_calls", "torch.exp", "torch_calls", []),    # a string is not a list of names
    ("seconds", "fast", "seconds", 0.0),
    ("seconds", None, "seconds", 0.0),
    ("step", "3", "step", 0),
    ("step", 7, "step", 7),
    ("cleared", False, "cleared", False),
    ("cleared", 0, "cleared", True),                   # only an explicit False says zero_grad() failed
    ("cleared", None, "cleared", True),
])
def test_ill_typed_call_fields_fall_back_to_defaults(field: str, value, attr: str, expected) -> None:
    call = _parse(_ok({"ok": True, "value": NUMBER, field: value}), 1).calls[0]
    assert call.ok and getattr(call, attr) == expected


@pytest.mark.parametrize("mutated", [None, 5])
def test_a_non_list_mutated_does_not_crash_parse(mutated) -> None:
    call = _parse(_ok({"ok": True, "value": NUMBER, "mutated": mutated}), 1).calls[0]
    assert call.mutated == []


@pytest.mark.parametrize("record", [{"ok": True, "value": {"kind": "number", "value": 10**400}},
                                    {"ok": False, "seconds": 10**400}])
def test_an_int_beyond_float_range_does_not_crash_parse(record: dict) -> None:
    resp = _parse(_ok(record), 1)
    assert resp.status in ("ok", "failed")


def test_missing_reports_what_is_defined_capped() -> None:
    resp = _parse({"status": "missing", "defined": ["n" * 500] * 1000}, 3)
    assert resp.status == "missing" and resp.failure is None and resp.calls == []
    assert len(resp.defined) == 300 and all(len(d) == 80 for d in resp.defined)
    assert _parse({"status": "missing", "defined": [1, None]}, 1).defined == ["1", "None"]


@pytest.mark.parametrize("defined", [None, "sigmoid", {"a": 1}, 3])
def test_missing_with_a_non_list_defined_lists_nothing(defined) -> None:
    resp = _parse({"status": "missing", "defined": defined}, 1)
    assert resp.status == "missing" and resp.defined == []


def test_not_callable_reports_the_type_capped() -> None:
    resp = _parse({"status": "not_callable", "type": "int"}, 1)
    assert resp.status == "not_callable" and resp.problem == "int"
    assert len(_parse({"status": "not_callable", "type": "x" * 1000}, 1).problem) == 80
    assert _parse({"status": "not_callable"}, 1).problem == "?"


def test_a_decoded_result_is_usable_by_compare() -> None:
    """End of the boundary: a tensor that crossed the wire is judged like any other."""
    from grader.kinds.compare import compare

    payload = _ok({"ok": True, "value": {"kind": "tensor", **encode_array(np.array([0.5, 0.25], dtype=np.float32))}})
    value = _parse(payload, 1).calls[0].value
    assert isinstance(value, wire.Value)
    assert compare(value, torch.tensor([0.5, 0.25]), rtol=1e-6, atol=0, arg_names=[], args=[]).passed


@pytest.mark.parametrize("dtype", [["float32"], {"name": "float32"}])
def test_an_unhashable_dtype_is_refused_not_a_crash(dtype) -> None:
    value = {"kind": "tensor", "dtype": dtype, "shape": [1], "data": b64(b"\0" * 4)}
    with pytest.raises(WireError):
        decode_value(value)
