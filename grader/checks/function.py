"""Code questions: call the student's function on probe inputs and compare with a torch reference.

`function`: the reference is an expression over the arguments (e.g. `torch.sigmoid(x)`).
`derivative`: the reference is torch.autograd's derivative of an expression (e.g. of
`torch.relu(x)` with respect to x), with conventions at kinks.
Each probe (a named set of inputs) is one rubric check.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, model_validator

from .. import results as R
from ..compare import compare
from ..errors import SpecError
from ..inputs import as_reference_input, make_input, stable_seed
from ..probe import Call, CallResult, ProbeResponse
from ..spec import Kink, Model, ProbeSpec, QuestionBase, Tolerance
from . import register
from .base import CheckContext, CheckOutcome, QuestionOutcome


class Alternative(Model):
    """Another accepted answer, e.g. a mean-reduced loss where the sheet is ambiguous."""

    reference: str | None = None  # function questions: another reference expression
    reduce: Literal["sum", "mean"] | None = None  # derivative questions: gradient of the mean instead
    credit: float = Field(default=1.0, ge=0, le=1)
    note: str = ""


class _CodeQuestion(QuestionBase):
    function: str
    args: list[str] = Field(min_length=1)
    alternatives: list[Alternative] = Field(default_factory=list)
    probes: list[ProbeSpec] = Field(min_length=1)
    tolerance: Tolerance = Field(default_factory=Tolerance)

    @model_validator(mode="after")
    def _probes_cover_args(self) -> "_CodeQuestion":
        names = set()
        for i, p in enumerate(self.probes):
            if p.name in names:
                raise ValueError(f"probes[{i}]: duplicate probe name {p.name!r}")
            names.add(p.name)
            missing = [a for a in self.args if a not in p.inputs]
            extra = [a for a in p.inputs if a not in self.args]
            if missing or extra:
                raise ValueError(f"probes[{i}] ({p.name}): inputs must be given for exactly the args {self.args}"
                                 + (f"; missing {missing}" if missing else "") + (f"; unknown {extra}" if extra else ""))
        return self

    def check_names(self) -> list[str]:
        return [p.name for p in self.probes]

    @property
    def call_signature(self) -> str:
        return f"{self.function}({', '.join(self.args)})"


class FunctionQuestion(_CodeQuestion):
    kind: Literal["function"] = "function"
    reference: str


class DerivativeQuestion(_CodeQuestion):
    kind: Literal["derivative"] = "derivative"
    of: str
    wrt: str | None = None
    reduce: Literal["sum", "mean"] = "sum"
    kinks: list[Kink] = Field(default_factory=list)

    @model_validator(mode="after")
    def _wrt(self) -> "DerivativeQuestion":
        if self.wrt is None:
            self.wrt = self.args[0]
        if self.wrt not in self.args:
            raise ValueError(f"wrt {self.wrt!r} is not one of the args {self.args}")
        return self


@dataclass
class Expected:
    value: Any
    credit: float = 1.0
    note: str = ""


@dataclass
class PreparedProbe:
    spec: ProbeSpec
    args: list[Any]
    kwargs: dict[str, Any]
    expected: list[Expected]                     # the reference first, then alternatives
    allowed: list[tuple[Any, list[float]]] = field(default_factory=list)


def _evaluate(expr: str, question: _CodeQuestion, args: list[Any], kwargs: dict[str, Any]) -> Any:
    import torch

    ns: dict[str, Any] = {"torch": torch, "F": torch.nn.functional, "math": math}
    ns.update(zip(question.args, args))
    ns.update(kwargs)
    try:
        return eval(compile(expr, f"<reference of {question.id}>", "eval"), ns)  # instructor's expression
    except Exception as e:
        raise SpecError(f"question {question.id}: the reference `{expr}` failed: {type(e).__name__}: {e}") from None


def _derivative(question: DerivativeQuestion, args: list[Any], kwargs: dict[str, Any], reduce: str) -> Any:
    import torch

    xs = [as_reference_input(a) for a in args]
    i = question.args.index(question.wrt)  # type: ignore[arg-type]
    xs[i] = xs[i].clone().requires_grad_(True)
    out = _evaluate(question.of, question, xs, kwargs)
    total = out.sum() if reduce == "sum" else out.mean()
    (grad,) = torch.autograd.grad(total, xs[i])
    return grad.detach()


class _CodeKind:
    needs_kernel = True
    name = ""
    model: type = _CodeQuestion

    def references(self, q: Any, args: list[Any], kwargs: dict[str, Any]) -> list[Expected]:
        raise NotImplementedError

    def prepare(self, q: Any, assignment: Any) -> list[PreparedProbe]:
        import torch

        prepared = []
        for p in q.probes:
            gen = torch.Generator().manual_seed(stable_seed(assignment.seed, q.id, p.name))
            args = [make_input(p.inputs[a], gen) for a in q.args]
            allowed = []
            for k in getattr(q, "kinks", []):
                at = args[q.args.index(k.wrt or q.wrt)]
                if isinstance(at, torch.Tensor):
                    allowed.append(((at.double() == k.at).numpy(), k.values))
            prepared.append(PreparedProbe(p, args, dict(p.kwargs), self.references(q, args, dict(p.kwargs)), allowed))
        return prepared

    async def check(self, q: Any, prepared: list[PreparedProbe], ctx: CheckContext) -> QuestionOutcome:
        if ctx.prober is None or not ctx.prober.alive:
            status = R.TIMEOUT if "time limit" in ctx.kernel_problem else R.KERNEL_DIED
            why = ctx.kernel_problem or "the kernel is not running"
            return QuestionOutcome([CheckOutcome(p.spec.name, False, status=status, hidden=p.spec.hidden) for p in prepared],
                                   status=status, feedback=f"Could not call `{q.function}`: {why}.")
        response = await ctx.prober.call(q.function, [Call(p.args, p.kwargs) for p in prepared])
        if response.status != "ok":
            return _unusable(q, prepared, response, ctx)
        checks, penalties = [], []
        errors: dict[str, None] = {}
        for p, result in zip(prepared, response.calls):
            checks.append(_judge(q, p, result, response.signature))
            if not result.ok:
                errors[describe_error(q, result.error or {}, response.signature)] = None
            if result.mutated:
                names = ", ".join(f"`{q.args[i]}`" for i in result.mutated if i < len(q.args))
                penalties.append(("mutates_input",
                                  f"`{q.function}` modified its input {names} in place (on {p.spec.describe()}); "
                                  "work on a copy or use out-of-place operations"))
        feedback = ""
        if len(errors) == 1 and all(not c.passed and c.status == R.ERROR for c in checks):
            feedback = f"On every input: {next(iter(errors))}"  # one error, said once
            for c in checks:
                c.feedback = ""
        return QuestionOutcome(checks, feedback=feedback, penalties=penalties[:1])


def _judge(q: _CodeQuestion, p: PreparedProbe, result: CallResult, signature: str) -> CheckOutcome:
    name, where = p.spec.name, p.spec.describe()
    if not result.ok:
        return CheckOutcome(name, False, status=R.ERROR, hidden=p.spec.hidden,
                            feedback=f"On {where}: {describe_error(q, result.error or {}, signature)}")
    assert result.value is not None
    first = None
    for exp in p.expected:
        verdict = compare(result.value, exp.value, rtol=q.tolerance.rtol, atol=q.tolerance.atol,
                          arg_names=q.args, args=p.args, allowed=p.allowed)
        if verdict.passed:
            note = "; ".join(n for n in (exp.note, verdict.note) if n)
            return CheckOutcome(name, True, feedback=f"On {where}: {note}" if note else "",
                                credit=exp.credit if exp.credit < 1 else None, hidden=p.spec.hidden)
        first = first or verdict
    assert first is not None
    return CheckOutcome(name, False, feedback=f"On {where}: `{q.call_signature}` {first.message}", hidden=p.spec.hidden)


def describe_error(q: _CodeQuestion, err: dict[str, Any], signature: str) -> str:
    text = f"`{q.call_signature}` raised {err.get('type', 'an exception')}: {err.get('message', '')}".rstrip(": ")
    if err.get("code"):
        fn = err.get("function")
        inside = f" in `{fn}`" if fn and fn != "<module>" else ""
        text += f" (line {err.get('line')}{inside}: `{err['code']}`)"
    if err.get("type") == "TypeError" and signature and "argument" in str(err.get("message", "")):
        text += f". The grader calls it as `{q.call_signature}`; yours is `{signature}`"
    return text


def _unusable(q: _CodeQuestion, prepared: list[PreparedProbe], response: ProbeResponse, ctx: CheckContext) -> QuestionOutcome:
    if response.status == "missing":
        status = R.MISSING
        msg = f"No function `{q.function}` is defined in the notebook (the grader calls `{q.call_signature}`)."
        required = {getattr(o, "function", None) for o in ctx.assignment.questions}
        close = difflib.get_close_matches(q.function, [d for d in response.defined if d not in required], n=1, cutoff=0.75)
        if close:
            msg += f" Did you mean to name `{close[0]}` `{q.function}`?"
        errors = [e for e in ctx.events if e.kind == "error" and f"def {q.function}(" in ctx.notebook.cells[e.cell_index].source]
        if errors:
            e = errors[0]
            msg += f" Cell {e.cell_index + 1}, which defines it, raised {e.message} before the definition ran."
    elif response.status == "not_callable":
        status, msg = R.MISSING, f"`{q.function}` is a {response.problem}, not a function."
    elif response.status == "timeout":
        status, msg = R.TIMEOUT, (f"Calling `{q.call_signature}` on the grader's inputs took longer than the limit "
                                  f"({response.problem}) and was stopped. Look for an endless loop.")
    elif response.status == "kernel_died":
        status, msg = R.KERNEL_DIED, f"The kernel died while calling `{q.call_signature}`."
    else:
        status, msg = R.ERROR, f"The grader could not read what `{q.function}` returned ({response.problem})."
    return QuestionOutcome([CheckOutcome(p.spec.name, False, status=status, hidden=p.spec.hidden) for p in prepared],
                           status=status, feedback=msg)


class FunctionKind(_CodeKind):
    name = "function"
    model = FunctionQuestion

    def references(self, q: FunctionQuestion, args: list[Any], kwargs: dict[str, Any]) -> list[Expected]:
        xs = [as_reference_input(a) for a in args]
        out = [Expected(_evaluate(q.reference, q, xs, kwargs))]
        for alt in q.alternatives:
            if alt.reference:
                out.append(Expected(_evaluate(alt.reference, q, xs, kwargs), alt.credit, alt.note))
        return out


class DerivativeKind(_CodeKind):
    name = "derivative"
    model = DerivativeQuestion

    def references(self, q: DerivativeQuestion, args: list[Any], kwargs: dict[str, Any]) -> list[Expected]:
        out = [Expected(_derivative(q, args, kwargs, q.reduce))]
        for alt in q.alternatives:
            if alt.reduce:
                out.append(Expected(_derivative(q, args, kwargs, alt.reduce), alt.credit, alt.note))
        return out


register(FunctionKind())
register(DerivativeKind())
