"""Compare what a student's function returned with the reference, and say precisely how it differs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.kernel.wire import Value

MAX_EXAMPLES = 3
LARGE_INPUT = 20.0  # from this |x| on, exp(x), a high power or a long product can leave float range


@dataclass
class Verdict:
    passed: bool
    message: str = ""
    note: str = ""  # accepted, but worth telling (e.g. dtype)


def noun(array: str) -> str:
    """What the course calls its arrays: `array` in a NumPy assignment, `tensor` in a torch one."""
    return "array" if array == "numpy" else "tensor"


def to_array(value: Value, array: str = "torch") -> tuple[np.ndarray | None, str]:
    """The student's result as a float64 array, or None with the reason it cannot be one
    (worded for the course's array library)."""
    if value.kind in ("tensor", "ndarray"):
        assert value.array is not None
        return value.array.astype(np.float64), ""
    if value.kind == "number":
        return np.asarray(float(value.number), dtype=np.float64), ""  # type: ignore[arg-type]
    if value.kind == "sequence" and value.items is not None:
        try:
            arrs = [to_array(v)[0] for v in value.items]
            if any(a is None for a in arrs):
                raise ValueError
            return np.stack(arrs).astype(np.float64), ""  # type: ignore[arg-type]
        except ValueError:
            pass
    return None, f"returned {value.describe()}, expected {'an' if array == 'numpy' else 'a'} {noun(array)}"


def fmt(x: float) -> str:
    if np.isnan(x) or np.isinf(x):
        return str(x)
    if x == 0:
        return "0"
    if abs(x) >= 1e5 or abs(x) < 1e-4:
        return f"{x:.6g}"
    return f"{x:.6f}".rstrip("0").rstrip(".")


def _broadcast(arg: Any, out_shape: tuple[int, ...]) -> np.ndarray | None:
    """A probe input as float64 values over the output's shape, or None where it does not broadcast."""
    import torch

    if not isinstance(arg, torch.Tensor):
        return None
    try:
        return np.broadcast_to(arg.detach().to(torch.float64).numpy(), out_shape)
    except ValueError:
        return None


def _input_at(name: str, arg: Any, index: tuple[int, ...], out_shape: tuple[int, ...], array: str) -> str:
    import torch

    if isinstance(arg, torch.Tensor):
        b = _broadcast(arg, out_shape)
        if b is None:
            return f"{name}=<{noun(array)} of shape {tuple(arg.shape)}>"
        return f"{name}={fmt(float(b[index]))}"
    return f"{name}={arg!r}"


def compare(
    received: Value,
    expected: Any,
    *,
    rtol: float,
    atol: float,
    arg_names: list[str],
    args: list[Any],
    allowed: list[tuple[np.ndarray, list[float]]] | None = None,
    array: str = "torch",
) -> Verdict:
    """`allowed`: (mask over the output, values) pairs where any listed value is right (kinks).
    `array`: the library students work in; results in the other one are accepted with a note."""
    if isinstance(expected, (tuple, list)):
        return _compare_items(received, list(expected), rtol=rtol, atol=atol, arg_names=arg_names, args=args, array=array)
    exp = expected.detach().to("cpu").double().numpy() if hasattr(expected, "detach") else np.asarray(expected, dtype=np.float64)
    got, why = to_array(received, array)
    if got is None:
        return Verdict(False, why)
    note = ""
    if received.kind == "ndarray" and array == "torch":
        note = "returned a NumPy array rather than a tensor (accepted)"
    elif received.kind == "tensor" and array == "numpy":
        note = "returned a torch tensor rather than a NumPy array (accepted)"
    if got.shape != exp.shape:
        if got.size == exp.size == 1:
            got = got.reshape(exp.shape)
        else:
            return Verdict(False, f"returned shape {tuple(got.shape)}, expected {tuple(exp.shape)} (the same shape as the input)"
                           if exp.ndim and args and getattr(args[0], "shape", None) == tuple(exp.shape)
                           else f"returned shape {tuple(got.shape)}, expected {tuple(exp.shape)}")
    ok = np.isclose(got, exp, rtol=rtol, atol=atol, equal_nan=True)
    for mask, values in allowed or []:
        m = np.broadcast_to(mask, ok.shape)
        for v in values:
            ok |= m & np.isclose(got, v, rtol=rtol, atol=atol)
    if ok.all():
        return Verdict(True, note=note)
    bad = np.argwhere(~ok)
    n_bad, n = len(bad), ok.size
    examples = []
    for idx in bad[:MAX_EXAMPLES]:
        index = tuple(int(i) for i in idx)
        inputs = ", ".join(_input_at(nm, a, index, exp.shape, array) for nm, a in zip(arg_names, args))
        where = f"at index {list(index)}" if exp.ndim > 1 or not inputs else ""
        head_ = f"{where}: {inputs} → " if where and inputs else f"{where or inputs} → " if (where or inputs) else ""
        examples.append(f"{head_}expected {fmt(float(exp[index]))}, got {fmt(float(got[index]))}")
    nan_note = _nonfinite_cause(got, exp, arg_names, args)
    if exp.ndim == 0:
        inputs = ", ".join(_describe_arg(nm, a, array) for nm, a in zip(arg_names, args))
        which = f"gives a wrong value for {inputs}" if inputs else "is wrong"  # a notebook variable has no inputs
        return Verdict(False, f"{which}: expected {fmt(float(exp))}, got {fmt(float(got))}.{nan_note}")
    head = "is wrong on all" if n_bad == n else f"is wrong on {n_bad} of"
    extra = "" if n_bad <= MAX_EXAMPLES else f" (and {n_bad - MAX_EXAMPLES} more)"
    return Verdict(False, f"{head} {n} values; " + "; ".join(examples) + extra + "." + nan_note)


def _describe_arg(name: str, arg: Any, array: str) -> str:
    import torch

    if isinstance(arg, torch.Tensor):
        a = arg.detach().to(torch.float64)
        if a.numel() <= 4:
            vals = ", ".join(fmt(float(v)) for v in a.flatten())
            return f"{name}=[{vals}]" if a.ndim else f"{name}={vals}"
        return f"{name}=<{noun(array)} of shape {tuple(a.shape)} in [{fmt(float(a.min()))}, {fmt(float(a.max()))}]>"
    return f"{name}={arg!r}"


def _nonfinite_cause(got: np.ndarray, exp: np.ndarray, arg_names: list[str], args: list[Any]) -> str:
    """Why the result is NaN or inf where the answer is finite, read from the values (an unstable
    formula and a division by zero need different fixes): large inputs (or a huge answer) overflow;
    non-finite exactly at an input's zeros is a division by it (or its log); NaN exactly at its
    negative values is a square root or log of a negative number; otherwise inf is x/0 or log 0, and
    NaN is 0/0, ∞/∞ or ∞ − ∞. Empty when every non-finite value is right."""
    import torch

    wrong = ~np.isfinite(got) & np.isfinite(exp)
    if not wrong.any():
        return ""
    bad = got[wrong]
    what = "NaN" if np.isnan(bad).all() else "inf" if np.isinf(bad).all() else "NaN and inf"
    head = f" Your result has {what} where the answer is finite"
    floats = [a.detach().to(torch.float64).abs() for a in args
              if isinstance(a, torch.Tensor) and a.is_floating_point() and a.numel()]
    largest = max((float(a[torch.isfinite(a)].max()) for a in floats if torch.isfinite(a).any()), default=0.0)
    if largest >= LARGE_INPUT or float(np.abs(exp[wrong]).max()) > 1e30:
        return (f"{head}: the computation overflowed (numerically unstable): for inputs this large, exp(x) is "
                "inf and exp(−x) is 0 in floating point.")
    finite = np.isfinite(exp)
    for name, arg in zip(arg_names, args):
        values = _broadcast(arg, exp.shape) if exp.ndim else None
        if values is None:
            continue
        if np.array_equal(wrong, (values == 0) & finite):
            return f"{head}, exactly where {name} = 0: a division by {name} (or its log); x/0 and log 0 are inf, 0/0 is NaN."
        if what == "NaN" and np.array_equal(wrong, (values < 0) & finite):
            return f"{head}, exactly where {name} < 0: the square root or log of a negative number is NaN."
    if what == "inf":
        return (f"{head}: inf comes from a division by zero or the log of 0 (a product of many numbers below 1 "
                "underflows to 0: add logs instead of multiplying).")
    return (f"{head}: NaN comes from 0/0, ∞/∞ or ∞ − ∞ (often after a division by zero, such as by 1 − β⁰ = 0 "
            "when a step count starts at 0), or from the square root or log of a negative number.")


def _compare_items(received: Value, expected: list[Any], **kw: Any) -> Verdict:
    """A reference that is a tuple (grad_w, grad_b): the student's result must be a sequence of as
    many items (tuple or list alike), each compared in turn."""
    n = len(expected)
    if received.kind != "sequence" or received.items is None:
        return Verdict(False, f"returned {received.describe()}, expected a tuple of {n} {noun(kw.get('array', 'torch'))}s")
    if len(received.items) != n:
        return Verdict(False, f"returned {len(received.items)} items, expected {n}")
    notes = []
    for k, (got, exp) in enumerate(zip(received.items, expected)):
        v = compare(got, exp, **kw)
        if not v.passed:
            return Verdict(False, f"item {k} of the {n} returned {v.message.removeprefix('returned ')}"
                           if v.message.startswith("returned") else f"item {k} of the {n} {v.message}")
        if v.note:
            notes.append(v.note)
    return Verdict(True, note="; ".join(dict.fromkeys(notes)))
