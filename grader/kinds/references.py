"""Python references shipped with an assignment (`assignments/<id>/reference.py`).

Where no torch builtin is the reference (an API that takes dicts of parameters, a custom
update rule, a deliberately wrong optimizer to recognise a known mistake), the YAML names
`ref.<name>` and the function or class comes from that file. It is the instructor's code and
runs in the grader's process, like the reference expressions.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from grader.errors import SpecError
from grader.spec.models import Assignment

_LOADED: dict[Path, ModuleType] = {}
_SOURCES: dict[Path, str] = {}


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
        _SOURCES[path] = path.read_text(encoding="utf-8")
    return _LOADED[path]


def reference_source(assignment: Assignment) -> str | None:
    """The text of the assignment's reference.py (loaded with the module), to run inside a kernel."""
    module = reference_module(assignment)
    return None if module is None else _SOURCES[Path(module.__file__).resolve()]


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
