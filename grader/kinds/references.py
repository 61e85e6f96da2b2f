"""Python references shipped with an assignment (`assignments/<id>/reference.py`).

Where no torch builtin is the reference (an API that takes dicts of parameters, a custom
update rule, a deliberately wrong optimizer to recognise a known mistake), the YAML names
`ref.<name>` and the function or class comes from that file. It is the instructor's code and
runs in the grader's process, like the reference expressions.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from grader.errors import SpecError
from grader.kernel import wire
from grader.spec.models import Assignment

_LOADED: dict[Path, ModuleType] = {}


def reference_module(assignment: Assignment) -> ModuleType | None:
    """The assignment's reference.py as a module, or None when it ships none."""
    folder = assignment.resources
    if folder is None or not (folder / "reference.py").is_file():
        return None
    path = (folder / "reference.py").resolve()
    if path not in _LOADED:
        name = f"grader_reference_{assignment.id.replace('-', '_')}"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as e:  # noqa: BLE001 - the instructor's file: one line naming it
            sys.modules.pop(name, None)
            raise SpecError(f"{path}: failed to import: {type(e).__name__}: {e}") from None
        _LOADED[path] = module
    return _LOADED[path]


class ReferenceHelpers:
    """The instructor's helpers answered from the grader's process for `isolate:` questions.

    The kernel gets only stubs with the helpers' names; each call sends its arguments over the
    Jupyter stdin channel (an input request) and this object runs the reference on them and
    answers with the value. The reference's code never enters the kernel, so a student cannot
    read it; what a stub can learn is the reference's value on inputs the student picks, which
    calling the helper through their own function reveals anyway. Everything in a request is
    untrusted: sizes are capped by the wire decoder and a malformed request gets an error reply.
    """

    MAX_REQUEST = 64 * 1024 ** 2
    MAX_CALLS = 100_000  # per question: a stub in a runaway loop gets errors, not the grader's CPU

    def __init__(self, module: ModuleType, names: list[str], array: str) -> None:
        self.functions = {n: getattr(module, n) for n in names}
        self.array = array
        self.calls = 0

    def answer(self, request_text: str) -> str:
        """The JSON reply to one stub call: {"ok": true, "value": ...} or {"ok": false, "error": "..."}."""
        try:
            return json.dumps({"ok": True, "value": self._run(request_text)})
        except _Refused as e:
            return json.dumps({"ok": False, "error": str(e)})

    def _run(self, request_text: str) -> Any:
        self.calls += 1
        if self.calls > self.MAX_CALLS:
            raise _Refused(f"more than {self.MAX_CALLS} calls of the reference helpers")
        if len(request_text) > self.MAX_REQUEST:
            raise _Refused("arguments too large")
        try:
            request = json.loads(request_text)
        except (ValueError, RecursionError):
            raise _Refused("malformed call") from None
        fn = self.functions.get(request.get("helper")) if isinstance(request, dict) else None
        args, kwargs = (request.get("args"), request.get("kwargs")) if isinstance(request, dict) else (None, None)
        if fn is None or not isinstance(args, list) or not isinstance(kwargs, dict):
            raise _Refused("malformed call")
        try:
            values = [self._native(wire.decode_value(a)) for a in args]
            named = {str(k): self._native(wire.decode_value(v)) for k, v in kwargs.items()}
        except (wire.WireError, ValueError) as e:
            raise _Refused(f"arguments the reference cannot take ({e})") from None
        try:
            out = fn(*values, **named)
        except Exception as e:  # noqa: BLE001 - the student's inputs made the reference fail: their error to see
            raise _Refused(f"{type(e).__name__}: {e}") from None
        try:
            return _as_input(out)
        except TypeError as e:
            raise _Refused(str(e)) from None

    def _native(self, value: wire.Value) -> Any:
        """A decoded argument as the reference expects it: tensors for a torch course, arrays for NumPy."""
        import torch  # the grader imports torch lazily (see evaluate_reference)

        if value.kind in ("tensor", "ndarray"):
            assert value.array is not None
            return value.array if self.array == "numpy" else torch.from_numpy(value.array)
        if value.kind == "number":
            return value.number
        if value.kind == "sequence":
            items = [self._native(v) for v in value.items or []]
            return tuple(items) if value.type_name == "tuple" else items
        if value.kind == "none":
            return None
        raise wire.WireError(f"a {value.type_name} cannot be passed to the reference")


class _Refused(Exception):
    """A stub call the reference could not answer (the message goes back to the kernel)."""


def _as_input(value: Any, depth: int = 0) -> Any:
    """A reference helper's result in the form the kernel's runtime decodes into its own objects."""
    import torch

    if depth > 5:
        raise TypeError("the reference returned a value nested too deeply")
    if isinstance(value, torch.Tensor):
        return {"kind": "tensor", **wire.encode_array(value.detach().cpu().numpy())}
    if isinstance(value, np.ndarray):
        return {"kind": "tensor", **wire.encode_array(value)}
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"kind": "py", "value": value}
    if isinstance(value, (list, tuple)):
        return {"kind": "seq", "type": type(value).__name__, "items": [_as_input(v, depth + 1) for v in value]}
    raise TypeError(f"the reference returned a {type(value).__name__}, which cannot be sent to the kernel")


def resolve(dotted: str, assignment: Any, what: str) -> Any:
    """`ref.Name` from the assignment's reference.py, or an importable `package.module.Name`."""
    head, _, name = dotted.rpartition(".")
    if not head:
        raise SpecError(f"{what}: {dotted!r} is not a dotted name (e.g. torch.optim.Adam or ref.my_function)")
    if head == "ref":
        module = reference_module(assignment)
        if module is None:
            raise SpecError(f"{what}: {dotted!r} needs assignments/{assignment.id}/reference.py, which does not exist")
    else:
        try:
            module = importlib.import_module(head)
        except ImportError as e:
            raise SpecError(f"{what}: cannot import {head!r} ({e})") from None
    try:
        return getattr(module, name)
    except AttributeError:
        raise SpecError(f"{what}: {head} has no {name!r}") from None


def evaluate_reference(expr: str, qid: str, ref: Any, names: dict[str, Any] | None = None) -> Any:
    """An instructor's expression, with torch, F, math, np, the assignment's reference module
    (`ref`) and the given names in scope; a failure is a spec error naming the question."""
    import torch  # the grader imports torch lazily: `grade --help` and YAML checks stay fast

    ns: dict[str, Any] = {"torch": torch, "F": torch.nn.functional, "math": math, "np": np, "ref": ref, **(names or {})}
    try:
        return eval(compile(expr, f"<reference of {qid}>", "eval"), ns)  # instructor's expression
    except Exception as e:
        raise SpecError(f"question {qid}: the reference `{expr}` failed: {type(e).__name__}: {e}") from None
