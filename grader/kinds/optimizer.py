"""Optimizer questions: train with the student's optimizer class and compare whole trajectories.

The grader drives the class the way a training loop does (its own `zero_grad()`, then
`loss.backward()`, then its own `step()`) on small fixed problems, for several hyperparameter
settings, from the same initial parameters as the matching `torch.optim` class. Each setting
is one rubric check. Feedback names the setting, the problem and the first step where the two
trajectories part, and recognises known mistakes (no bias correction, L2 instead of decoupled
weight decay, ...) by running deliberately wrong references alongside the right one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from grader import results as R
from grader.errors import SpecError
from grader.kernel.probe import CallResult, Run
from grader.kinds.base import (
    Attempt,
    CheckContext,
    CheckOutcome,
    QuestionKind,
    QuestionOutcome,
    Shows,
    without_hidden,
)
from grader.kinds.cells import CODE_PLACEHOLDER, StarterCell, prompt_cells
from grader.kinds.compare import fmt, to_array
from grader.kinds.function import (
    describe_error,
    kernel_gone,
    shortcut_penalties,
    unusable,
)
from grader.kinds.inputs import make_input, stable_seed
from grader.kinds.references import resolve
from grader.kinds.registry import register
from grader.spec.models import (
    InputSpec,
    Model,
    QuestionBase,
    Shown,
    Tolerance,
    Visibility,
    values_shorthand,
)


class Setting(Shown):
    """One hyperparameter setting: the keyword arguments the class is built with."""

    name: str
    label: str | None = None
    kwargs: dict[str, Any] = Field(default_factory=dict)
    hidden: bool = False  # the same as `visibility: hidden`
    visibility: Visibility | None = None  # when a student sees this check's details (default visible)

    def describe(self) -> str:
        if self.label:
            return self.label
        return ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items()) or "the default hyperparameters"


class Problem(Model):
    """A small training problem: parameters, fixed data and a loss (a Python lambda of params, data)."""

    name: str
    label: str | None = None
    params: dict[str, InputSpec] = Field(min_length=1)
    data: dict[str, InputSpec] = Field(default_factory=dict)
    loss: str

    _shorthand = field_validator("params", "data", mode="before")(lambda v: values_shorthand(v))

    def describe(self) -> str:
        return self.label or self.name


class Mistake(Model):
    """A deliberately wrong reference; a student's trajectory that matches it gets its feedback."""

    reference: str
    kwargs: dict[str, Any] = Field(default_factory=dict)  # on top of the setting's
    feedback: str


class OptimizerQuestion(QuestionBase):
    kind: Literal["optimizer"] = "optimizer"
    optimizer: str  # the student's class
    signature: str | None = None  # as students see it, e.g. "SGD(params, lr, momentum=0.0)"
    reference: str  # e.g. torch.optim.Adam, or ref.MyRule from the assignment's reference.py
    defaults: dict[str, Any] = Field(default_factory=dict)  # the contract's defaults, given to references
    settings: list[Setting] = Field(min_length=1)
    problems: list[Problem] = Field(min_length=1)
    steps: int = Field(default=20, ge=1, le=1000)
    tolerance: Tolerance = Field(default_factory=lambda: Tolerance(rtol=1e-4, atol=1e-5))
    mistakes: list[Mistake] = Field(default_factory=list)
    forbid: list[str] = Field(default_factory=lambda: ["torch.optim.*"])
    require: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> "OptimizerQuestion":
        for what, items in (("settings", self.settings), ("problems", self.problems)):
            names = [i.name for i in items]
            dup = {n for n in names if names.count(n) > 1}
            if dup:
                raise ValueError(f"{what}: duplicate name {sorted(dup)[0]!r}")
        return self

    def check_names(self) -> list[str]:
        return [s.name for s in self.settings]

    @property
    def stub_signature(self) -> str:
        return self.signature or f"{self.optimizer}(params, lr)"

    @property
    def function(self) -> str:  # what assignment matching and the starter look for
        return self.optimizer


@dataclass
class PreparedRun:
    setting: Setting
    problem: Problem
    run: Run
    expected: list[np.ndarray]  # per parameter: [steps, *shape]
    mistakes: list[tuple[Mistake, list[np.ndarray]]] = field(default_factory=list)


def _train(cls: Any, params: list[Any], data: dict[str, Any], loss: str, kwargs: dict[str, Any], steps: int) -> list[np.ndarray]:
    """The reference side of the same loop the kernel runs, in float64."""
    import torch
    import torch.nn.functional as F

    ps = [p.detach().to(torch.float64).clone().requires_grad_(True) for p in params]
    d = {k: (v.to(torch.float64) if isinstance(v, torch.Tensor) and v.is_floating_point() else v) for k, v in data.items()}
    fn = eval(loss, {"torch": torch, "F": F})  # the instructor's problem
    opt = cls(ps, **{k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()})
    snaps: list[list[Any]] = [[] for _ in ps]
    for _ in range(steps):
        opt.zero_grad()
        fn(ps, d).backward()
        opt.step()
        for s, p in zip(snaps, ps):
            s.append(p.detach().clone())
    return [torch.stack(s).numpy() for s in snaps]


class OptimizerKind(QuestionKind):
    name = "optimizer"
    model = OptimizerQuestion

    def attempt(self, q: OptimizerQuestion) -> Attempt:
        return Attempt([q.optimizer])

    def public(self, q: OptimizerQuestion, shows: Shows) -> tuple[OptimizerQuestion | None, int]:
        """Settings not yet visible are left out of a student's self-check."""
        return without_hidden(q, "settings", q.settings, shows)

    def prepare(self, q: OptimizerQuestion, assignment: Any) -> list[PreparedRun]:
        import torch

        what = f"question {q.id}"
        reference = resolve(q.reference, assignment, f"{what}: reference")
        mistakes = [(m, resolve(m.reference, assignment, f"{what}: mistakes")) for m in q.mistakes]
        prepared = []
        for problem in q.problems:
            gen = torch.Generator().manual_seed(stable_seed(assignment.seed, q.id, problem.name))
            params = [make_input(spec, gen) for spec in problem.params.values()]
            data = {k: make_input(spec, gen) for k, spec in problem.data.items()}
            for s in q.settings:
                kwargs = {**q.defaults, **s.kwargs}
                try:
                    expected = _train(reference, params, data, problem.loss, kwargs, q.steps)
                    wrong = [(m, _train(cls, params, data, problem.loss, {**kwargs, **m.kwargs}, q.steps)) for m, cls in mistakes]
                except SpecError:
                    raise
                except Exception as e:  # noqa: BLE001 - the instructor's problem or reference: one line
                    raise SpecError(f"{what}: setting {s.name!r} on problem {problem.name!r} failed in the reference: "
                                    f"{type(e).__name__}: {e}") from None
                run = Run(params=params, data=data, loss=problem.loss, kwargs=dict(s.kwargs), steps=q.steps)
                prepared.append(PreparedRun(s, problem, run, expected, wrong))
        return prepared

    def starter_cells(self, q: OptimizerQuestion) -> list[StarterCell]:
        args = q.stub_signature.split("(", 1)[1].rsplit(")", 1)[0]
        stub = (f"class {q.optimizer}:\n"
                f"    def __init__(self, {args}):\n"
                f"        self.params = list(params)\n"
                f"        # YOUR CODE HERE\n\n"
                f"    def zero_grad(self):\n    {CODE_PLACEHOLDER.replace(chr(10), chr(10) + '    ')}\n\n"
                f"    def step(self):\n    {CODE_PLACEHOLDER.replace(chr(10), chr(10) + '    ')}\n")
        return [*prompt_cells(q), StarterCell("code", stub, [q.id])]

    async def check(self, q: OptimizerQuestion, prepared: list[PreparedRun], ctx: CheckContext) -> QuestionOutcome:
        settings = {s.name: s for s in q.settings}
        if ctx.prober is None or not ctx.prober.alive:
            status, why = kernel_gone(ctx)
            return QuestionOutcome([CheckOutcome(s.name, False, status=status, visibility=s.shown_as) for s in q.settings],
                                   status=status, feedback=f"Could not train with `{q.optimizer}`: {why}.")
        response = await ctx.prober.call(q.optimizer, runs=[p.run for p in prepared], trace=bool(q.forbid or q.require))
        if response.status != "ok":
            return unusable(_AsCode(q), [_AsProbe(s) for s in q.settings], response, ctx)
        problems: dict[str, list[tuple[str, bool]]] = {name: [] for name in settings}  # (what differs, it raised)
        for p, result in zip(prepared, response.calls):
            problem = self._judge(q, p, result)
            if problem:
                problems[p.setting.name].append((problem, not result.ok))
        checks = [CheckOutcome(name, not found, feedback=found[0][0] if found else "",
                               status=R.ERROR if found and found[0][1] else "", visibility=settings[name].shown_as)
                  for name, found in problems.items()]
        feedback = ""
        if any(not r.cleared for r in response.calls if r.ok):
            feedback = (f"`{q.optimizer}.zero_grad()` left the gradients in place: after it, every parameter's "
                        "`.grad` must be zero (or None), or gradients pile up across steps.")
        penalties = shortcut_penalties(q, list(response.calls), f"`{q.optimizer}`")
        return QuestionOutcome(checks, feedback=feedback, penalties=penalties)

    def _judge(self, q: OptimizerQuestion, p: PreparedRun, result: CallResult) -> str:
        """'' when the trajectory matches; else what differs, where, and which known mistake it matches."""
        ref_name = q.reference.removeprefix("ref.")
        setting = f"setting `{p.setting.name}` ({p.setting.describe()})"
        where = f"With {setting} on {p.problem.describe()}"
        if not result.ok:
            when = "when constructed" if result.step == 0 else f"at step {result.step}"
            err = describe_error(_AsCode(q, q.optimizer), result.error or {}, "")
            return f"{where}: {err} ({when})."
        got = _trajectory(result, len(p.expected))
        if isinstance(got, str):
            return f"{where}: {got}"
        step = _first_divergence(got, p.expected, q.tolerance)
        if step is None:
            return ""
        names = list(p.problem.params)
        k, i = step
        exp, rec = p.expected[i][k].ravel(), got[i][k].ravel()
        text = (f"{where}: your parameters first differ from `{ref_name}`'s at step {k + 1} of {q.steps}: "
                f"`{names[i]}` expected {_show(exp)}, got {_show(rec)}.")
        if k >= 1 and not np.isfinite(rec).all():
            text += " They became NaN or inf."
        for mistake, traj in p.mistakes:
            if _first_divergence(got, traj, q.tolerance) is None:
                text += f" {mistake.feedback}"
                break
        return text


def _trajectory(result: CallResult, n_params: int) -> list[np.ndarray] | str:
    value = result.value
    if value is None or value.kind != "sequence" or value.items is None or len(value.items) != n_params:
        return "the grader could not read the parameters after training (were they replaced instead of updated in place?)"
    out = []
    for item in value.items:
        arr, why = to_array(item)
        if arr is None:
            return why
        out.append(arr)
    return out


def _first_divergence(got: list[np.ndarray], expected: list[np.ndarray], tol: Tolerance) -> tuple[int, int] | None:
    """(step index, parameter index) of the first step where any parameter is off."""
    steps = len(expected[0])
    for k in range(steps):
        for i, (g, e) in enumerate(zip(got, expected)):
            if g.shape != e.shape or not np.allclose(g[k], e[k], rtol=tol.rtol, atol=tol.atol, equal_nan=False):
                return k, i
    return None


def _show(a: np.ndarray, limit: int = 4) -> str:
    body = ", ".join(fmt(float(v)) for v in a[:limit])
    return f"[{body}{', …' if a.size > limit else ''}]"


class _AsCode:
    """The optimizer question seen through the code-question wording helpers."""

    def __init__(self, q: OptimizerQuestion, call: str | None = None) -> None:
        self.function = q.optimizer
        self.call_signature = call or f"{q.optimizer}(params, ...)"


class _AsProbe:
    def __init__(self, s: Setting) -> None:
        self.spec = _Spec(s.name, s.shown_as)


@dataclass
class _Spec:
    name: str
    shown_as: str


register(OptimizerKind())
