"""Probe inputs from how the solution notebook called a function: random draws of the same kind
(type, shape, dtype, value range, or the few values a label takes), one probe per kind of call
the notebook made, and one more per parameter with a default, at a value other than the default,
so a function that ignores the parameter loses those points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from grader.workflows.scaffold.questions import CodeFinding, Parameter

MAX_SHAPES = 3  # distinct kinds of call made into probes
_DTYPES = {"float16": "float32", "float32": "float32", "float64": "float64", "bool": "bool",
           "int8": "int64", "int16": "int64", "int32": "int64", "int64": "int64", "uint8": "int64"}


class CannotProbe(Exception):
    """The records do not say how to build an input (a dict, a model object, no call at all)."""


@dataclass
class Probe:
    name: str
    inputs: dict[str, dict[str, Any]]
    kwargs: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    comment: str = ""


@dataclass
class ProbePlan:
    args: list[str]
    probes: list[Probe]
    outputs: list[str]
    comment: str   # how the solution called it, in a line


def plan(finding: CodeFinding, calls: list[dict[str, Any]]) -> ProbePlan:
    if not calls:
        raise CannotProbe("the solution notebook never calls it, so there is nothing to learn its inputs from")
    params = finding.parameters
    required = [p.name for p in params if not p.has_default]
    # defaulted parameters the notebook passes with another value than their default go in every probe
    observed = {p.name: _observed_scalar(calls, p) for p in params if p.has_default}
    fixed = {name: v for name, v in observed.items() if v is not None}
    outputs = [n for n in required if all(n in c.get("mutated", []) for c in calls)
               and all(c.get("returned", {}).get("type") == "none" for c in calls)]
    groups = _groups(calls, required)
    probes = []
    for k, (shape_key, members) in enumerate(groups[:MAX_SHAPES]):
        inputs = {n: _input(n, [c["args"][n] for c in members if n in c.get("args", {})], n in outputs) for n in required}
        name = "random" if k == 0 else f"random-{k + 1}"
        probes.append(Probe(name, inputs, dict(fixed), "random inputs like the notebook's" if k == 0 else
                            "random inputs like the notebook's other calls",
                            f"like the notebook's {_calls(len(members))} of this kind"))
    if outputs and any(probes[0].inputs[o].get("fill") == 0 for o in outputs):
        # buffers the notebook zeroes first: a function that overwrites them instead of adding to
        # them (or the other way round, whatever the solution does) only shows on a non-zero start
        started = {n: ({"uniform": [-1, 1], "shape": v["shape"], **({"dtype": v["dtype"]} if "dtype" in v else {})}
                       if n in outputs else v) for n, v in probes[0].inputs.items()}
        probes.append(Probe("nonzero-outputs", started, dict(fixed), "output arguments that do not start at zero",
                            f"{', '.join(outputs)} start non-zero here: the solution's result on them is the reference"))
    for p in params:
        if not p.has_default or not p.literal or p.name in fixed:
            continue
        other = _other_value(p.default)
        if other is None:
            continue
        probes.append(Probe(p.name, probes[0].inputs, {**fixed, p.name: other},
                            f"{p.name}={other!r} instead of the default {p.default!r}",
                            f"a student who ignores `{p.name}` loses this probe's points"))
    uses = ", ".join(f"{n} ({_describe(calls[0]['args'].get(n))})" for n in required if n in calls[0].get("args", {}))
    comment = f"the solution notebook calls {finding.name} {len(calls)} time{'s' * (len(calls) != 1)}" + \
        (f"; first call: {uses}" if uses else "") + \
        (f"; passes {', '.join(f'{k}={v!r}' for k, v in fixed.items())}" if fixed else "")
    return ProbePlan(required, probes, outputs, comment)


def _groups(calls: list[dict[str, Any]], names: list[str]) -> list[tuple[tuple, list[dict[str, Any]]]]:
    """Calls grouped by the kind of each argument (type and shape), most frequent first."""
    by: dict[tuple, list[dict[str, Any]]] = {}
    for c in calls:
        args = c.get("args", {})
        if not all(n in args for n in names):
            continue
        key = tuple((args[n].get("type"), tuple(args[n].get("shape", ())) if "shape" in args[n] else None) for n in names)
        by.setdefault(key, []).append(c)
    if not by:
        raise CannotProbe("no call of it passes all of its parameters")
    return sorted(by.items(), key=lambda kv: -len(kv[1]))


def _input(name: str, seen: list[dict[str, Any]], output: bool) -> dict[str, Any]:
    first = seen[0]
    kind = first.get("type")
    if kind in ("tensor", "ndarray"):
        dtype = _DTYPES.get(str(first.get("dtype")))
        if dtype is None:
            raise CannotProbe(f"`{name}` is a {first.get('dtype')} array")
        shape = list(first.get("shape", []))
        spec: dict[str, Any] = {}
        lo = min((s["min"] for s in seen if "min" in s), default=0.0)
        hi = max((s["max"] for s in seen if "max" in s), default=0.0)
        distinct = sorted({v for s in seen for v in s.get("distinct", [])}) if all("distinct" in s for s in seen) else []
        integral = all(s.get("integral", False) for s in seen)
        size = math.prod(shape) if shape else 1
        if lo == hi and dtype.startswith("float") and not output and size == 1 and len(seen) == 1:
            spread = max(1.0, abs(lo))  # one number seen once (a bias of shape [1]): draw around it
            spec["uniform"] = [_num(lo - spread), _num(lo + spread)]
        elif output or lo == hi:
            spec["fill"] = _num(lo)
        elif distinct and (integral or dtype in ("int64", "bool")) and len(distinct) <= 6:
            spec["choice"] = [_num(v) for v in distinct]
        elif dtype == "int64" and hi - lo <= 20:
            spec["choice"] = [int(v) for v in range(int(lo), int(hi) + 1)]
        else:
            spec["uniform"] = [_num(lo), _num(hi)]
        spec["shape"] = shape
        if dtype != "float32":
            spec["dtype"] = dtype
        return spec
    if kind in ("float", "int", "bool", "str", "none"):
        return {"value": first.get("value")}
    if kind in ("list", "tuple") and all(i.get("type") in ("float", "int", "bool") for i in first.get("items", [])):
        return {"value": [i.get("value") for i in first["items"]]}
    raise CannotProbe(f"`{name}` is {_describe(first)}, which the grader cannot build as a probe input")


def _calls(n: int) -> str:
    return "call" if n == 1 else f"{n} calls"


def _observed_scalar(calls: list[dict[str, Any]], p: Parameter) -> Any:
    """A defaulted parameter's value when the notebook passes it (the same plain value each time)."""
    values = {repr(c["args"][p.name].get("value")) for c in calls if p.name in c.get("args", {})
              and c["args"][p.name].get("type") in ("float", "int", "bool", "str")}
    if len(values) != 1:
        return None
    first = next(c["args"][p.name]["value"] for c in calls if p.name in c.get("args", {}))
    return None if first == p.default else first


def _other_value(default: Any) -> Any:
    """A value that shows whether a function uses its parameter (None: no telling one, e.g. an eps)."""
    if isinstance(default, bool):
        return not default
    if isinstance(default, int):
        return default + 1 if default >= 0 else default - 1
    if isinstance(default, float):
        if default == 0:
            return 0.5
        if abs(default) < 1e-4:
            return None  # a numerical guard such as eps: changing it changes nothing a probe can see
        if abs(default) < 0.1:
            return _num(default * 10)
        if abs(default) < 1:
            return _num(default / 2)
        return _num(default * 2)
    return None


def _num(x: float) -> float | int:
    """A number as an instructor would write it: 0.01, not 0.009999999776482582 (float32's)."""
    if isinstance(x, float) and math.isfinite(x):
        r = float(f"{x:.6g}")
        return int(r) if r.is_integer() and abs(r) < 1e15 else r
    return x


def _describe(s: dict[str, Any] | None) -> str:
    if not s:
        return "not passed"
    kind = s.get("type")
    if kind in ("tensor", "ndarray"):
        rng = f" in [{_num(s['min'])}, {_num(s['max'])}]" if "min" in s else ""
        what = "tensor" if kind == "tensor" else "array"
        dtype = str(s.get("dtype"))
        return f"{'an' if dtype[0] in 'aeiou' else 'a'} {dtype} {what} of shape {s.get('shape')}{rng}"
    if kind in ("float", "int", "bool", "str"):
        return f"{kind} {s.get('value')!r}"
    return f"a {s.get('name') or kind}"
