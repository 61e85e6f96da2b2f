"""Compare what a student's function returned with the reference, and say precisely how it differs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.kernel.wire import Value

MAX_EXAMPLES = 3


@dataclass
class Verdict:
    passed: bool
    message: str = ""
    note: str = ""  # accepted, but worth telling (e.g. dtype)


def to_array(value: Value) -> tuple[np.ndarray | None, str]:
    """The student's result as a float64 array, or None with the reason it cannot be one."""
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
    return None, f"returned {value.describe()}, expected a tensor"


def fmt(x: float) -> str:
    if np.isnan(x) or np.isinf(x):
        return str(x)
    if x == 0:
        return "0"
    if abs(x) >= 1e5 or abs(x) < 1e-4:
        return f"{x:.6g}"
    return f"{x:.6f}".rstrip("0").rstrip(".")


def _input_at(name: str, arg: Any, index: tuple[int, ...], out_shape: tuple[int, ...]) -> str:
    import torch

    if isinstance(arg, torch.Tensor):
        a = arg.detach().to(torch.float64).numpy()
        if a.ndim == 0:
            return f"{name}={fmt(float(a))}"
        try:
            b = np.broadcast_to(a, out_shape)
            return f"{name}={fmt(float(b[index]))}"
        except ValueError:
            return f"{name}=<tensor of shape {tuple(a.shape)}>"
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
    got, why = to_array(received)
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
        inputs = ", ".join(_input_at(nm, a, index, exp.shape) for nm, a in zip(arg_names, args))
        where = f"at index {list(index)}" if exp.ndim > 1 or not inputs else ""
        head_ = f"{where}: {inputs} → " if where and inputs else f"{where or inputs} → " if (where or inputs) else ""
        examples.append(f"{head_}expected {fmt(float(exp[index]))}, got {fmt(float(got[index]))}")
    nan_note = (" Your result contains NaN or inf where the answer is finite: the computation overflowed "
                "(numerically unstable)." if np.any(~np.isfinite(got) & np.isfinite(exp)) else "")
    if exp.ndim == 0:
        inputs = ", ".join(_describe_arg(nm, a) for nm, a in zip(arg_names, args))
        return Verdict(False, f"gives a wrong value for {inputs}: expected {fmt(float(exp))}, got {fmt(float(got))}.{nan_note}")
    head = "is wrong on all" if n_bad == n else f"is wrong on {n_bad} of"
    extra = "" if n_bad <= MAX_EXAMPLES else f" (and {n_bad - MAX_EXAMPLES} more)"
    return Verdict(False, f"{head} {n} values; " + "; ".join(examples) + extra + "." + nan_note)


def _describe_arg(name: str, arg: Any) -> str:
    import torch

    if isinstance(arg, torch.Tensor):
        a = arg.detach().to(torch.float64)
        if a.numel() <= 4:
            vals = ", ".join(fmt(float(v)) for v in a.flatten())
            return f"{name}=[{vals}]" if a.ndim else f"{name}={vals}"
        return f"{name}=<tensor of shape {tuple(a.shape)} in [{fmt(float(a.min()))}, {fmt(float(a.max()))}]>"
    return f"{name}={arg!r}"


def _compare_items(received: Value, expected: list[Any], **kw: Any) -> Verdict:
    """A reference that is a tuple (grad_w, grad_b): the student's result must be a sequence of as
    many items (tuple or list alike), each compared in turn."""
    n = len(expected)
    if received.kind != "sequence" or received.items is None:
        return Verdict(False, f"returned {received.describe()}, expected a tuple of {n} tensors")
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
