"""How the solution notebook itself calls its functions: run it in a sandboxed kernel with a profile
hook that writes down, for every call of a named function made from notebook code, each argument's
type, shape, dtype and value range (and whether the call wrote into it), and the return value's.

These records are what `grade init` turns into probe inputs: the instructor's own notebook is the
best evidence of what a function is meant to take. The hook runs in the solution's kernel, not here;
what it reports comes back as JSON through the kernel's output and is read with bounds, like any
reply from a kernel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.kernel.limits import Limits
from grader.kernel.session import KernelSession
from grader.notebook.read import read_notebook

MAX_CALLS = 40  # per function: enough to see the kinds of input, not a loop's every iteration

# Runs in the solution's kernel before its first cell. Names are private to keep out of its way.
_HOOK = r'''
import sys as _g_sys, json as _g_json, hashlib as _g_hashlib
_g_targets = set(__TARGETS__)
_g_calls = {}
_g_stack = {}

def _g_digest(v):
    try:
        import numpy as _np
        if hasattr(v, "detach"):
            v = v.detach().cpu().numpy()
        if isinstance(v, _np.ndarray) and v.size <= 4_000_000:
            return _g_hashlib.blake2b(_np.ascontiguousarray(v).tobytes(), digest_size=16).hexdigest()
    except Exception:
        pass
    return None

def _g_summary(v, depth=0):
    import numbers
    try:
        import numpy as _np
    except Exception:
        _np = None
    kind = None
    if hasattr(v, "detach") and hasattr(v, "shape") and hasattr(v, "dtype"):
        kind, arr = "tensor", v.detach().cpu().numpy()
    elif _np is not None and isinstance(v, _np.ndarray):
        kind, arr = "ndarray", v
    if kind is not None:
        out = {"type": kind, "shape": list(arr.shape), "dtype": str(arr.dtype)}
        if arr.size and arr.dtype.kind in "biuf":
            finite = arr[_np.isfinite(arr)] if arr.dtype.kind == "f" else arr
            if finite.size:
                out["min"], out["max"] = float(finite.min()), float(finite.max())
                out["integral"] = bool(_np.all(_np.equal(_np.mod(finite, 1), 0)))
                uniq = _np.unique(finite)
                if uniq.size <= 6:
                    out["distinct"] = [float(u) for u in uniq]
        if arr.size <= 16 and arr.dtype.kind in "biuf":
            out["values"] = arr.astype(float).tolist()
        return out
    if isinstance(v, bool):
        return {"type": "bool", "value": v}
    if isinstance(v, numbers.Integral):
        return {"type": "int", "value": int(v)}
    if isinstance(v, numbers.Real):
        return {"type": "float", "value": float(v)}
    if v is None:
        return {"type": "none"}
    if isinstance(v, str):
        return {"type": "str", "value": v[:200]}
    if isinstance(v, (list, tuple)) and depth < 2 and len(v) <= 16:
        return {"type": type(v).__name__, "items": [_g_summary(i, depth + 1) for i in v]}
    return {"type": "other", "name": type(v).__name__}

def _g_profile(frame, event, arg):
    code = frame.f_code
    if code.co_name not in _g_targets or frame.f_globals.get("__name__") != "__main__":
        return
    if event == "call":
        names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
        args = {n: frame.f_locals[n] for n in names if n in frame.f_locals}
        calls = _g_calls.setdefault(code.co_name, [])
        if len(calls) >= __MAX__:
            return
        record = {"args": {n: _g_summary(a) for n, a in args.items()}}
        calls.append(record)
        _g_stack[id(frame)] = (record, {n: _g_digest(a) for n, a in args.items()}, args)
    elif event == "return" and id(frame) in _g_stack:
        record, digests, args = _g_stack.pop(id(frame))
        record["returned"] = _g_summary(arg)
        record["mutated"] = [n for n, d in digests.items() if d is not None and _g_digest(args[n]) != d]

_g_sys.setprofile(_g_profile)
'''

_REPORT = r'''
import sys as _g_sys, json as _g_json
_g_sys.setprofile(None)
print("__GRADER_RECORD__" + _g_json.dumps(_g_calls))
'''

_MARK = "__GRADER_RECORD__"


@dataclass
class Recording:
    """What the solution notebook did with the functions asked about."""

    calls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # function -> call records
    errors: list[str] = field(default_factory=list)  # cells of the solution that raised


async def record_calls(solution: Path, functions: list[str], *, array_library: str,
                       files: dict[str, Path] | None = None, limits: Limits | None = None) -> Recording:
    """Run the solution notebook once in a sandboxed kernel and record how it calls `functions`."""
    nb = read_notebook(solution)
    preload = ("numpy",) if array_library == "numpy" else ("numpy", "torch")
    session = KernelSession(limits, preload=preload, files=files)
    try:
        await session.start()
        await session.execute_probe(_HOOK.replace("__TARGETS__", json.dumps(sorted(functions)))
                                    .replace("__MAX__", str(MAX_CALLS)), timeout=30)
        report = await session.run_notebook(nb)
        outputs = await session.execute_probe(_REPORT, timeout=30)
    finally:
        await session.close()
    errors = [f"cell {e.cell_index + 1}: {e.message}" for e in report.events if e.kind == "error"]
    return Recording(_parse(outputs), errors)


def _parse(outputs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    line = next((ln for ln in text.splitlines() if ln.startswith(_MARK)), None)
    if line is None or len(line) > 16 * 1024 ** 2:
        return {}
    try:
        raw = json.loads(line[len(_MARK):])
    except ValueError:
        return {}
    if not isinstance(raw, dict):
        return {}
    return {str(k): [c for c in v if isinstance(c, dict)][:MAX_CALLS] for k, v in raw.items() if isinstance(v, list)}
