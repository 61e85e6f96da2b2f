"""compare(): whether a student's returned value matches the reference, and feedback that says where
it does not (the input, the expected and the received value), without a kernel."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grader.kernel.wire import Value
from grader.kinds.compare import MAX_EXAMPLES, compare, fmt, to_array


def tensor(values, dtype=np.float32) -> Value:
    return Value(kind="tensor", array=np.asarray(values, dtype=dtype))


def ndarray(values, dtype=np.float64) -> Value:
    return Value(kind="ndarray", array=np.asarray(values, dtype=dtype))


X = torch.tensor([0.0, 1.0, 2.0])
EXP = torch.tensor([1.0, 2.0, 3.0])


def cmp(received: Value, expected=EXP, *, rtol=1e-5, atol=1e-8, arg_names=("x",), args=(X,), **kw):
    return compare(received, expected, rtol=rtol, atol=atol, arg_names=list(arg_names), args=list(args), **kw)


# --- right answers, in whatever form a student may reasonably return them ------------------------

@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_a_right_tensor_passes_whatever_its_float_dtype(dtype) -> None:
    v = cmp(tensor([1, 2, 3], dtype))  # 1, 2, 3 are exact in every float dtype
    assert v.passed and v.message == ""
    # float64 / float16 results are not remarked upon: the only note compare() gives is about the library
    assert v.note == ""


def test_an_integer_or_bool_tensor_with_the_right_values_passes() -> None:
    assert cmp(tensor([1, 2, 3], np.int64)).passed
    assert cmp(tensor([True, False]), torch.tensor([1.0, 0.0]), args=()).passed


def test_a_python_number_passes_for_a_scalar_reference() -> None:
    assert cmp(Value(kind="number", number=0.25), torch.tensor(0.25), args=[torch.tensor(0.0)]).passed
    assert cmp(Value(kind="number", number=2), 2.0, args=[]).passed  # a plain-float reference works too


def test_a_one_element_result_of_another_shape_is_accepted_for_a_scalar() -> None:
    """A loss returned as shape (1,) or (1, 1) instead of a 0-d tensor is the same number."""
    assert cmp(tensor([[0.5]]), torch.tensor(0.5), args=[]).passed
    assert cmp(tensor(0.5), torch.tensor([0.5]), args=[]).passed


def test_a_list_of_tensors_is_stacked_and_compared() -> None:
    rows = Value(kind="sequence", type_name="list", items=[tensor([1, 2]), tensor([3, 4])])
    assert cmp(rows, torch.tensor([[1.0, 2.0], [3.0, 4.0]]), args=[]).passed
    numbers = Value(kind="sequence", type_name="list", items=[Value(kind="number", number=n) for n in (1, 2, 3)])
    assert cmp(numbers).passed


# --- results that cannot be compared at all --------------------------------------------------------

def test_returning_none_asks_whether_return_was_forgotten() -> None:
    v = cmp(Value(kind="none"))
    assert not v.passed
    assert "None" in v.message and "forget `return`" in v.message and "expected a tensor" in v.message


def test_returning_some_other_object_names_its_type_and_repr() -> None:
    v = cmp(Value(kind="other", type_name="Generator", repr="<generator object f at 0x1>"))
    assert not v.passed
    assert v.message == "returned a Generator object (<generator object f at 0x1>), expected a tensor"


def test_a_ragged_list_says_it_is_a_list_not_a_tensor() -> None:
    ragged = Value(kind="sequence", type_name="list", items=[tensor([1, 2]), tensor([3])])
    v = cmp(ragged)
    assert not v.passed and v.message == "returned a list of 2 items, expected a tensor"
    with_none = Value(kind="sequence", type_name="tuple", items=[tensor([1]), Value(kind="none")])
    assert to_array(with_none)[0] is None and "a tuple of 2 items" in cmp(with_none).message


def test_a_shape_mismatch_gives_both_shapes_and_says_when_the_input_shape_was_expected() -> None:
    v = cmp(tensor([1, 2]))
    assert not v.passed
    assert v.message == "returned shape (2,), expected (3,) (the same shape as the input)"
    # when the reference has another shape than the input, the hint would be wrong and is left out
    w = cmp(tensor([1, 2]), args=[torch.zeros(4)])
    assert w.message == "returned shape (2,), expected (3,)"


def test_a_number_where_a_vector_was_expected_is_a_shape_mismatch() -> None:
    v = cmp(Value(kind="number", number=6.0))
    assert not v.passed and v.message.startswith("returned shape (), expected (3,)")


def test_a_summed_batch_is_not_mistaken_for_a_scalar() -> None:
    """Only size-1 results are reshaped: (3,) vs (3, 1) is a real mistake (a missing squeeze)."""
    v = cmp(tensor([[1], [2], [3]]))
    assert not v.passed and "returned shape (3, 1), expected (3,)" in v.message


# --- tolerances ---------------------------------------------------------------------------------

@pytest.mark.parametrize("got, passed", [(1000.9, True), (1001.1, False), (999.1, True), (998.9, False)])
def test_relative_tolerance_edges(got: float, passed: bool) -> None:
    """rtol=1e-3 of the reference 1000 allows an error of 1, on either side."""
    v = cmp(tensor([got], np.float64), torch.tensor([1000.0], dtype=torch.float64), rtol=1e-3, atol=0.0, args=[])
    assert v.passed is passed


@pytest.mark.parametrize("got, passed", [(9e-7, True), (-9e-7, True), (1.1e-6, False), (-1.1e-6, False)])
def test_absolute_tolerance_edges_around_zero(got: float, passed: bool) -> None:
    """Near zero a relative tolerance allows nothing; atol decides."""
    v = cmp(tensor([got], np.float64), torch.tensor([0.0]), rtol=1e-3, atol=1e-6, args=[])
    assert v.passed is passed


def test_the_tolerance_scales_with_the_reference_not_with_the_answer() -> None:
    # |got - expected| <= atol + rtol * |expected|: 1 vs reference 2 is within 0.6*2, 2 vs reference 1 is not
    assert cmp(tensor([1.0]), torch.tensor([2.0]), rtol=0.6, atol=0.0, args=[]).passed
    assert not cmp(tensor([2.0]), torch.tensor([1.0]), rtol=0.6, atol=0.0, args=[]).passed


def test_float16_results_fail_a_tolerance_tighter_than_their_precision() -> None:
    """float16 keeps ~3 significant digits: 1/3 in half precision is off by ~1e-4."""
    third = torch.tensor([1 / 3], dtype=torch.float64)
    assert not cmp(tensor([1 / 3], np.float16), third, rtol=1e-5, atol=1e-8, args=[]).passed
    assert cmp(tensor([1 / 3], np.float16), third, rtol=1e-3, atol=0.0, args=[]).passed


# --- NaN and inf: the cause, read from the values ---------------------------------------------------

def test_nan_for_large_inputs_is_called_an_overflow() -> None:
    v = cmp(tensor(np.nan), torch.tensor(1.0), args=[torch.tensor(800.0)])
    assert not v.passed
    assert "x=800" in v.message and "expected 1, got nan" in v.message
    assert "overflowed" in v.message and "numerically unstable" in v.message


def test_inf_for_small_inputs_is_a_division_by_zero_or_log_of_zero_not_an_overflow() -> None:
    v = cmp(tensor([1, np.inf, 3]))
    assert not v.passed
    assert "wrong on 1 of 3 values" in v.message and "x=1 → expected 2, got inf" in v.message
    assert "overflowed" not in v.message
    assert "has inf where the answer is finite" in v.message and "division by zero or the log of 0" in v.message


def test_nan_for_small_inputs_names_zero_denominators_and_negative_roots() -> None:
    """Adam's bias correction 1 − β^t with t counting from 0 divides by 0: NaN on small, harmless inputs."""
    v = cmp(tensor([np.nan, np.nan, np.nan]))
    assert "overflowed" not in v.message
    assert "has NaN where the answer is finite" in v.message
    assert "1 − β⁰" in v.message and "square root or log of a negative number" in v.message


def test_non_finite_exactly_where_an_input_is_zero_is_a_division_by_it() -> None:
    x = torch.tensor([-1.0, 0.0, 2.0, 0.0])
    v = cmp(tensor([1, np.nan, 1, np.inf]), torch.tensor([1.0, 1.0, 1.0, 1.0]), args=[x])
    assert "exactly where x = 0: a division by x" in v.message and "overflowed" not in v.message


def test_nan_exactly_where_an_input_is_negative_is_a_root_or_log_of_it() -> None:
    x = torch.tensor([-1.0, 4.0, -0.5])
    v = cmp(tensor([np.nan, 2, np.nan]), torch.tensor([1.0, 2.0, 0.7]), args=[x])
    assert "exactly where x < 0: the square root or log of a negative number" in v.message


def test_a_zero_input_that_is_not_where_the_nans_are_is_not_blamed() -> None:
    x = torch.tensor([0.0, 1.0, 2.0])
    v = cmp(tensor([0, np.nan, 3]), torch.tensor([0.0, 2.0, 3.0]), args=[x])
    assert "x = 0" not in v.message and "NaN comes from 0/0" in v.message


def test_a_notebook_variable_with_inf_has_no_inputs_to_blame_but_still_gets_a_cause() -> None:
    v = cmp(tensor(np.inf, np.float64), torch.tensor(9.56), args=[], arg_names=[])
    assert v.message.startswith("is wrong: expected 9.56, got inf.")
    assert "add logs instead of multiplying" in v.message


def test_nan_or_inf_that_the_reference_has_too_is_right() -> None:
    ref = torch.tensor([np.nan, np.inf, -np.inf, 1.0])
    assert cmp(tensor([np.nan, np.inf, -np.inf, 1.0]), ref, args=[]).passed
    wrong_sign = cmp(tensor([np.nan, -np.inf, -np.inf, 1.0]), ref, args=[])
    assert not wrong_sign.passed
    assert "overflowed" not in wrong_sign.message  # the reference is not finite there: no overflow claim


def test_a_finite_answer_where_the_reference_is_nan_is_wrong() -> None:
    assert not cmp(tensor([0.0]), torch.tensor([np.nan]), args=[]).passed


# --- kinks --------------------------------------------------------------------------------------

RELU_X = torch.tensor([-1.0, 0.0, 2.0])
RELU_GRAD = torch.tensor([0.0, 0.0, 1.0])  # the reference picks 0 at the kink
KINK = [(RELU_X.numpy() == 0, [0.0, 1.0])]


@pytest.mark.parametrize("at_zero", [0.0, 1.0])
def test_at_a_kink_either_listed_value_is_accepted(at_zero: float) -> None:
    assert cmp(tensor([0.0, at_zero, 1.0]), RELU_GRAD, args=[RELU_X], allowed=KINK).passed


def test_at_a_kink_a_value_that_is_not_listed_is_wrong() -> None:
    v = cmp(tensor([0.0, 0.5, 1.0]), RELU_GRAD, args=[RELU_X], allowed=KINK)
    assert not v.passed and "x=0 → expected 0, got 0.5" in v.message


def test_a_kink_value_away_from_the_kink_is_still_wrong() -> None:
    """The mask limits the alternatives to where it is set: 1 at x=-1 is not a ReLU gradient."""
    v = cmp(tensor([1.0, 0.0, 1.0]), RELU_GRAD, args=[RELU_X], allowed=KINK)
    assert not v.passed and "x=-1 → expected 0, got 1" in v.message


def test_without_allowed_values_the_reference_value_at_the_kink_is_required() -> None:
    assert not cmp(tensor([0.0, 1.0, 1.0]), RELU_GRAD, args=[RELU_X]).passed


# --- NumPy vs torch -----------------------------------------------------------------------------

def test_a_numpy_array_when_tensors_were_asked_for_is_accepted_with_a_note() -> None:
    v = cmp(ndarray([1, 2, 3]), array="torch")
    assert v.passed and v.note == "returned a NumPy array rather than a tensor (accepted)"


def test_a_tensor_when_numpy_was_asked_for_is_accepted_with_a_note() -> None:
    v = cmp(tensor([1, 2, 3]), array="numpy")
    assert v.passed and v.note == "returned a torch tensor rather than a NumPy array (accepted)"


def test_the_library_that_was_asked_for_gets_no_note() -> None:
    assert cmp(tensor([1, 2, 3]), array="torch").note == ""
    assert cmp(ndarray([1, 2, 3]), array="numpy").note == ""


def test_a_numpy_assignment_says_array_and_a_torch_one_tensor() -> None:
    big = [torch.linspace(-1, 4, 100)]
    for array, word, other in (("numpy", "array", "tensor"), ("torch", "tensor", "array")):
        wrong_scalar = cmp(tensor(3.0), torch.tensor(2.0), args=big, array=array)
        assert f"x=<{word} of shape (100,) in [-1, 4]>" in wrong_scalar.message
        assert other not in wrong_scalar.message
        unbroadcastable = cmp(tensor([1, 2, 4]), args=[torch.zeros(2, 5)], array=array)
        assert f"x=<{word} of shape (2, 5)> → expected 3, got 4" in unbroadcastable.message
        assert cmp(Value(kind="none"), array=array).message.endswith(f"expected {'an' if word == 'array' else 'a'} {word}")
        assert cmp(tensor([1, 2]), GRADS, args=[], array=array).message.endswith(f"expected a tuple of 2 {word}s")


def test_the_other_library_with_wrong_values_still_fails() -> None:
    v = cmp(ndarray([1, 2, 4]), array="torch")
    assert not v.passed and "expected 3, got 4" in v.message


# --- where a wrong answer differs -----------------------------------------------------------------

def test_a_wrong_element_names_the_input_there() -> None:
    v = cmp(tensor([1, 2, 4]))
    assert v.message == "is wrong on 1 of 3 values; x=2 → expected 3, got 4."


def test_a_wrong_element_of_a_matrix_gives_its_index_and_input() -> None:
    v = cmp(tensor([[1, 2], [3, 5]]), torch.tensor([[1.0, 2.0], [3.0, 4.0]]), args=[torch.tensor([[0.0, 1.0], [2.0, 3.0]])])
    assert "wrong on 1 of 4 values" in v.message
    assert "at index [1, 1]: x=3 → expected 4, got 5" in v.message


def test_a_scalar_input_is_shown_for_every_element_and_plain_arguments_by_repr() -> None:
    v = cmp(tensor([1, 2, 4]), args=[torch.tensor(0.5), 1], arg_names=["alpha", "dim"])
    assert "alpha=0.5, dim=1 → expected 3, got 4" in v.message


def test_an_input_of_another_shape_is_described_not_indexed() -> None:
    v = cmp(tensor([1, 2, 4]), args=[torch.zeros(2, 5)])
    assert "x=<tensor of shape (2, 5)> → expected 3, got 4" in v.message


def test_only_a_few_examples_are_listed_and_the_rest_counted() -> None:
    n = 10
    v = cmp(tensor(np.arange(n) + 1), torch.zeros(n), args=[torch.arange(float(n))])
    assert v.message.startswith(f"is wrong on all {n} values; ")
    assert v.message.count("→") == MAX_EXAMPLES
    assert f"(and {n - MAX_EXAMPLES} more)" in v.message
    assert "x=0 → expected 0, got 1" in v.message  # the first wrong elements are the ones shown


def test_a_wrong_scalar_without_inputs_has_no_empty_label() -> None:
    """A notebook variable (the `state` kind) is compared with no inputs: no 'a wrong value for : ...'."""
    v = cmp(tensor(0.7), torch.tensor(0.5), args=[], arg_names=[])
    assert v.message == "is wrong: expected 0.5, got 0.7."


def test_a_wrong_scalar_lists_the_inputs_it_was_called_with() -> None:
    v = cmp(tensor(0.7), torch.tensor(0.5), args=[torch.tensor([1.0, 2.0]), torch.tensor([0.0, 1.0])],
            arg_names=["p", "y"])
    assert v.message == "gives a wrong value for p=[1, 2], y=[0, 1]: expected 0.5, got 0.7."


def test_a_large_input_to_a_wrong_scalar_is_summarised_by_shape_and_range() -> None:
    v = cmp(tensor(3.0), torch.tensor(2.0), args=[torch.linspace(-1, 4, 100)])
    assert "x=<tensor of shape (100,) in [-1, 4]>" in v.message


# --- tuple references (e.g. gradients for w and b) ------------------------------------------------

GRADS = (torch.tensor([1.0, 2.0]), torch.tensor([3.0]))


def test_a_tuple_reference_accepts_a_list_or_tuple_of_right_items() -> None:
    for type_name in ("tuple", "list"):
        v = cmp(Value(kind="sequence", type_name=type_name, items=[tensor([1, 2]), tensor([3])]), GRADS, args=[])
        assert v.passed


def test_a_tuple_reference_names_the_wrong_item() -> None:
    v = cmp(Value(kind="sequence", items=[tensor([1, 2]), tensor([4])]), GRADS, args=[])
    assert not v.passed and v.message.startswith("item 1 of the 2 ") and "expected 3, got 4" in v.message
    shape = cmp(Value(kind="sequence", items=[tensor([1, 2, 0]), tensor([3])]), GRADS, args=[])
    assert shape.message == "item 0 of the 2 returned shape (3,), expected (2,)"


def test_a_tuple_reference_refuses_a_single_tensor_or_the_wrong_count() -> None:
    assert cmp(tensor([1, 2]), GRADS, args=[]).message.endswith("expected a tuple of 2 tensors")
    v = cmp(Value(kind="sequence", items=[tensor([1, 2])]), GRADS, args=[])
    assert not v.passed and v.message == "returned 1 items, expected 2"


def test_a_tuple_of_numpy_arrays_gets_the_library_note_once() -> None:
    v = cmp(Value(kind="sequence", items=[ndarray([1, 2]), ndarray([3])]), GRADS, args=[], array="torch")
    assert v.passed and v.note == "returned a NumPy array rather than a tensor (accepted)"


# --- number formatting in feedback ----------------------------------------------------------------

@pytest.mark.parametrize("x, text", [(0.0, "0"), (0.5, "0.5"), (2.0, "2"), (-1.25, "-1.25"), (1 / 3, "0.333333"),
                                     (1e-5, "1e-05"), (123456.0, "123456"), (float("nan"), "nan"),
                                     (float("-inf"), "-inf")])
def test_fmt_writes_numbers_readably(x: float, text: str) -> None:
    assert fmt(x) == text
