"""Code questions: call the student's function on probe inputs and compare with a torch reference.

`function`: the reference is an expression over the arguments (e.g. `torch.sigmoid(x)`).
`derivative`: the reference is torch.autograd's derivative of an expression (e.g. of
`torch.relu(x)` with respect to x), with conventions at kinks.
Each probe (a named set of inputs) is one rubric check; a function question with `outputs:`
(arguments the function writes into, such as gradient buffers) has one check per probe and output.
`call: keyword` passes the arguments by name instead of in the handout's order.
"""

from __future__ import annotations

import difflib
import fnmatch
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, model_validator

from grader import results as R
from grader.errors import SpecError
from grader.kernel.errors import CellTimeout, KernelDied
from grader.kernel.probe import Call, CallResult, ProbeResponse, Swap
from grader.kinds import solution
from grader.kinds.base import (
    Attempt,
    CheckContext,
    CheckOutcome,
    QuestionKind,
    QuestionOutcome,
    Shows,
    SolutionCall,
    without_hidden,
)
from grader.kinds.cells import StarterCell, function_stub, prompt_cells
from grader.kinds.compare import compare
from grader.kinds.inputs import as_reference_input, make_input, reference_copies, stable_seed
from grader.kinds.references import ReferenceHelpers, evaluate_reference, reference_module, resolve
from grader.kinds.registry import get_kind, register
from grader.results import VISIBLE
from grader.spec.models import Kink, Model, ProbeSpec, QuestionBase, Tolerance


class Alternative(Model):
    """Another accepted answer, e.g. a mean-reduced loss where the sheet is ambiguous, or a
    known approximation worth part of the points (GELU's tanh form)."""

    reference: str | None = None  # function questions: another reference expression
    of: str | None = None  # derivative questions: the derivative of another expression
    reduce: Literal["sum", "mean"] | None = None  # derivative questions: gradient of the mean instead
    credit: float = Field(default=1.0, ge=0, le=1)
    note: str = ""


class _CodeQuestion(QuestionBase):
    function: str
    args: list[str] = Field(min_length=1)
    signature: str | None = None  # as students see it, e.g. "leaky_relu(x, negative_slope=0.01)"
    defaults: dict[str, Any] = Field(default_factory=dict)  # keyword defaults the reference assumes
    alternatives: list[Alternative] = Field(default_factory=list)
    probes: list[ProbeSpec] = Field(min_length=1)
    probe_builder: str | None = None  # ref.<name>(probe_name, generator) -> {arg: value}
    tolerance: Tolerance = Field(default_factory=Tolerance)
    isolate: list[str] = Field(default_factory=list)  # student helpers replaced by the reference's while probing
    forbid: list[str] = Field(default_factory=list)   # torch functions the student may not call (fnmatch)
    require: list[str] = Field(default_factory=list)  # at least one of these must be called (fnmatch)
    call: Literal["positional", "keyword"] = "positional"  # how probes pass the args: in order, or by name
    outputs: list[str] = Field(default_factory=list)  # args the function writes into; compared after the call

    @model_validator(mode="after")
    def _probes_cover_args(self) -> "_CodeQuestion":
        unknown = [o for o in self.outputs if o not in self.args]
        if unknown or len(set(self.outputs)) != len(self.outputs):
            raise ValueError(f"outputs must be distinct names among the args {self.args}"
                             + (f"; unknown {unknown}" if unknown else ""))
        names = set()
        for i, p in enumerate(self.probes):
            if p.name in names:
                raise ValueError(f"probes[{i}]: duplicate probe name {p.name!r}")
            names.add(p.name)
            if self.probe_builder and not p.inputs:
                continue
            missing = [a for a in self.args if a not in p.inputs]
            extra = [a for a in p.inputs if a not in self.args]
            if missing or extra:
                raise ValueError(f"probes[{i}] ({p.name}): inputs must be given for exactly the args {self.args}"
                                 + (f"; missing {missing}" if missing else "") + (f"; unknown {extra}" if extra else ""))
        return self

    def check_names(self) -> list[str]:
        if self.outputs:
            return [output_check(p.name, o) for p in self.probes for o in self.outputs]
        return [p.name for p in self.probes]

    @property
    def call_signature(self) -> str:
        return f"{self.function}({', '.join(self.args)})"

    @property
    def probe_call(self) -> str:
        """How the grader calls the function, as feedback shows it."""
        if self.call == "keyword":
            return f"{self.function}({', '.join(f'{a}={a}' for a in self.args)})"
        return self.call_signature

    @property
    def stub_signature(self) -> str:
        return self.signature or self.call_signature

    def own_reference(self) -> str | None:
        """The question's own reference (an expression or `solution`), None when it has none."""
        return None


class FunctionQuestion(_CodeQuestion):
    kind: Literal["function"] = "function"
    # a torch expression over the args, or `solution`: the solution notebook's own function
    # (default: the assignment's `reference:`)
    reference: str | None = None

    def own_reference(self) -> str | None:
        return self.reference


class DerivativeQuestion(_CodeQuestion):
    kind: Literal["derivative"] = "derivative"
    of: str | None = None  # the expression autograd differentiates; or `reference: solution`
    reference: Literal["solution"] | None = None
    wrt: str | None = None
    reduce: Literal["sum", "mean"] = "sum"
    kinks: list[Kink] = Field(default_factory=list)

    def own_reference(self) -> str | None:
        return self.of or self.reference

    @model_validator(mode="after")
    def _wrt(self) -> "DerivativeQuestion":
        if self.of is not None and self.reference is not None:
            raise ValueError("give `of` (an expression to differentiate) or `reference: solution`, not both")
        if self.outputs:
            raise ValueError("outputs: only function questions compare arguments written in place")
        if self.wrt is None:
            self.wrt = self.args[0]
        if self.wrt not in self.args:
            raise ValueError(f"wrt {self.wrt!r} is not one of the args {self.args}")
        return self


def output_check(probe: str, output: str) -> str:
    """The rubric check of one output argument on one probe, e.g. `random/dw1`."""
    return f"{probe}/{output}"


@dataclass
class Expected:
    value: Any                                        # the return value (not compared when there are outputs)
    credit: float = 1.0
    note: str = ""
    outputs: list[Any] = field(default_factory=list)  # the output arguments' contents after the reference ran


@dataclass
class PreparedProbe:
    spec: ProbeSpec
    args: list[Any]
    kwargs: dict[str, Any]
    expected: list[Expected]                     # the reference first, then alternatives
    allowed: list[tuple[Any, list[float]]] = field(default_factory=list)


def _evaluate(expr: str, question: _CodeQuestion, args: list[Any], kwargs: dict[str, Any], ref: Any = None) -> Any:
    return evaluate_reference(expr, question.id, ref, {**question.defaults, **dict(zip(question.args, args)), **kwargs})


def _derivative(question: DerivativeQuestion, args: list[Any], kwargs: dict[str, Any], reduce: str,
                of: str | None = None, ref: Any = None) -> Any:
    import torch

    xs = [as_reference_input(a) for a in args]
    i = question.args.index(question.wrt)  # type: ignore[arg-type]
    xs[i] = xs[i].clone().requires_grad_(True)
    out = _evaluate(of or question.of, question, xs, kwargs, ref)
    total = out.sum() if reduce == "sum" else out.mean()
    (grad,) = torch.autograd.grad(total, xs[i])
    return grad.detach()


def _from_solution(q: _CodeQuestion, assignment: Any) -> bool:
    """Whether the question's reference is the solution notebook (its own `reference: solution`, or the
    assignment's when it gives no reference of its own); no reference at all is a spec error."""
    own = q.own_reference()
    if own is None and assignment.reference is None:
        raise SpecError(f"question {q.id}: no reference: give `reference:` (a torch expression, or `solution` for the "
                        "solution notebook's own function), or `reference: solution` for the whole assignment")
    return (own or assignment.reference) == "solution"


def _solved(q: _CodeQuestion, answer: solution.Answer) -> Expected:
    """The solution notebook's answer to a probe as the reference's: its return value, or its outputs."""
    try:
        if q.outputs:
            return Expected(None, outputs=[solution.expected_value(o) for o in answer.outputs])
        return Expected(solution.expected_value(answer.value))
    except ValueError as e:
        hint = " (a function that writes into its arguments needs `outputs:`)" if answer.value.kind == "none" else ""
        raise SpecError(f"question {q.id}: {e}{hint}") from None


class CodeKind(QuestionKind):
    """Kinds that call a student's function on the grader's inputs (each probe is one check, or one per output)."""

    def references(self, q: Any, args: list[Any], kwargs: dict[str, Any], ref: Any, array: str = "torch") -> list[Expected]:
        """The reference's answer first, then the alternatives'; `array` is the course's array library."""
        raise NotImplementedError

    def alternatives(self, q: Any, args: list[Any], kwargs: dict[str, Any], ref: Any, array: str = "torch") -> list[Expected]:
        """The alternatives' answers alone (what `references` adds after the reference's, and what
        stands beside a solution notebook's answer)."""
        raise NotImplementedError

    def _inputs(self, q: Any, assignment: Any) -> list[PreparedProbe]:
        """Each probe's inputs, drawn reproducibly from the assignment's seed (no references yet)."""
        import torch

        builder = resolve(q.probe_builder, assignment, f"question {q.id}: probe_builder") if q.probe_builder else None
        out = []
        for p in q.probes:
            gen = torch.Generator().manual_seed(stable_seed(assignment.seed, q.id, p.name))
            if p.inputs:
                args = [make_input(p.inputs[a], gen) for a in q.args]
            else:
                built = builder(p.name, gen)  # type: ignore[misc]
                if not isinstance(built, dict) or set(built) != set(q.args):
                    raise SpecError(f"question {q.id}: probe_builder must return a dict with exactly the args {q.args} "
                                    f"for probe {p.name!r}")
                args = [built[a] for a in q.args]
            out.append(PreparedProbe(p, args, dict(p.kwargs), []))
        return out

    def solution_calls(self, q: Any, assignment: Any) -> list[SolutionCall]:
        if not _from_solution(q, assignment):
            return []
        return [SolutionCall(q.id, p.spec.name, q.function, _call(q, p), assignment.array_library)
                for p in self._inputs(q, assignment)]

    def prepare(self, q: Any, assignment: Any) -> list[PreparedProbe]:
        ref = reference_module(assignment)
        _swap(q, assignment)  # a helper to isolate must exist in the reference: a spec error, found by validate
        solved = solution.answers(assignment).get(q.id, {}) if _from_solution(q, assignment) else None
        prepared = []
        for p in self._inputs(q, assignment):
            allowed = [self._kink(q, k, p.args, p.kwargs, ref) for k in self.kinks(q)]
            if solved is not None:
                expected = [_solved(q, solved[p.spec.name])] + self.alternatives(q, p.args, p.kwargs, ref,
                                                                                assignment.array_library)
            else:
                expected = self.references(q, p.args, p.kwargs, ref, assignment.array_library)
            p.expected, p.allowed = expected, [a for a in allowed if a is not None]
            prepared.append(p)
        return prepared

    def kinks(self, q: Any) -> list[Kink]:
        """Where the derivative is a convention (only derivative questions have them)."""
        return []

    @staticmethod
    def _kink(q: Any, k: Any, args: list[Any], kwargs: dict[str, Any], ref: Any) -> tuple[Any, list[float]] | None:
        import torch

        xs = [as_reference_input(a) for a in args]
        if k.where is not None:
            mask = _evaluate(k.where, q, xs, kwargs, ref)
        else:
            at = xs[q.args.index(k.wrt or q.wrt)]
            mask = at == k.at if isinstance(at, torch.Tensor) else None
        if not isinstance(mask, torch.Tensor):
            return None
        values = [float(_evaluate(v, q, xs, kwargs, ref)) if isinstance(v, str) else float(v) for v in k.values]
        return mask.numpy(), values

    def starter_cells(self, q: Any) -> list[StarterCell]:
        return [*prompt_cells(q), StarterCell("code", function_stub(q.stub_signature), [q.id])]

    def attempt(self, q: Any) -> Attempt:
        return Attempt([q.function])

    def public(self, q: Any, shows: Shows) -> tuple[Any | None, int]:
        """Probes not yet visible are left out (their inputs never reach a student's self-check)."""
        return without_hidden(q, "probes", q.probes, shows)

    async def check(self, q: Any, prepared: list[PreparedProbe], ctx: CheckContext) -> QuestionOutcome:
        if ctx.prober is None or not ctx.prober.alive:
            status, why = kernel_gone(ctx)
            return QuestionOutcome(failed_checks(q, prepared, status), status=status,
                                   feedback=f"Could not call `{q.function}`: {why}.")
        array = ctx.assignment.array_library
        swap = _swap(q, ctx.assignment)
        response = await ctx.prober.call(q.function, [_call(q, p) for p in prepared],
                                         trace=bool(q.forbid or q.require), array=array, swap=swap)
        if response.status != "ok":
            return unusable(q, prepared, response, ctx)
        checks, penalties = [], []
        errors: dict[str, None] = {}
        for p, result in zip(prepared, response.calls):
            checks += _judge(q, p, result, response.signature, array)
            if not result.ok:
                errors[describe_error(q, result.error or {}, response.signature)] = None
            changed = [n for n in _mutated(q, result) if n not in q.outputs]  # writing into an output is the job
            if changed:
                names = ", ".join(f"`{n}`" for n in changed)
                penalties.append(("mutates_input",
                                  f"`{q.function}` modified its input {names} in place (on "
                                  f"{'a hidden input' if p.spec.shown_as != VISIBLE else p.spec.describe()}); "
                                  "work on a copy or use out-of-place operations"))
        feedback = ""
        if len(errors) == 1 and all(not c.passed and c.status == R.ERROR for c in checks):
            if all((r.error or {}).get("type") == "NotImplementedError" for r in response.calls):
                return QuestionOutcome.not_attempted(checks, f"`{q.function}` still raises NotImplementedError.")
            feedback = f"On every input: {next(iter(errors))}"  # one error, said once
            for c in checks:
                c.feedback = ""
        notes = {c.feedback.split(": ", 1)[-1] for c in checks if c.passed}
        if len(notes) == 1 and len(checks) > 1 and all(c.passed and c.feedback for c in checks):
            feedback = f"On every input: {notes.pop()}"  # the same note (e.g. an approximation), said once
            for c in checks:
                c.feedback = ""
        penalties = penalties[:1] + shortcut_penalties(q, [r for r in response.calls if r.ok], f"`{q.function}`")
        order = _order_note(q, response.parameters) if not all(c.passed for c in checks) else ""
        feedback = f"{feedback}\n{order}".strip()
        details = {}
        if swap:
            helpers = ", ".join(f"`{n}`" for n in q.isolate)
            details["helpers"] = list(q.isolate)
            note = (f"Graded with the reference {helpers} in place of yours, so a mistake there counts only "
                    "under its own question.")
            feedback = f"{feedback}\n{note}".strip()
        return QuestionOutcome(checks, feedback=feedback, penalties=penalties, details=details)


def _call(q: _CodeQuestion, p: PreparedProbe) -> Call:
    """The probe's call: the args in the handout's order, or by name (`call: keyword`); the
    outputs' contents come back after it."""
    if q.call == "keyword":
        return Call([], {**dict(zip(q.args, p.args)), **p.kwargs}, outputs=list(q.outputs))
    return Call(p.args, p.kwargs, outputs=[q.args.index(o) for o in q.outputs])


def _mutated(q: _CodeQuestion, result: CallResult) -> list[str]:
    """The names of the args the call changed in place (the runtime reports positions or keywords)."""
    names = [k if isinstance(k, str) else q.args[k] if k < len(q.args) else None for k in result.mutated]
    return [n for n in names if n in q.args]


def _order_note(q: _CodeQuestion, parameters: list[str]) -> str:
    """When a positional call went wrong and the student's parameters are the handout's in another
    order, say so: the values went to the wrong names, which an error from deep inside never tells."""
    if q.call != "positional":
        return ""
    mine = [n for n in parameters if n in q.args]
    if len(mine) != len(q.args) or set(mine) != set(q.args) or mine == q.args:
        return ""
    return (f"Your parameters are ({', '.join(parameters)}); the handout's order is ({', '.join(q.args)}), "
            "which is the order the grader passes the arguments in.")


def failed_checks(q: _CodeQuestion, prepared: list[PreparedProbe], status: str) -> list[CheckOutcome]:
    """Every check of the question, not passed, with one status (the function could not be called)."""
    names = [[output_check(p.spec.name, o) for o in q.outputs] or [p.spec.name] for p in prepared]
    return [CheckOutcome(n, False, status=status, visibility=p.spec.shown_as) for p, ns in zip(prepared, names) for n in ns]


def kernel_gone(ctx: CheckContext) -> tuple[str, str]:
    """The status and the reason when the kernel can no longer be called (it timed out or died)."""
    failure = ctx.kernel_failure
    status = R.TIMEOUT if isinstance(failure, CellTimeout) else R.KERNEL_DIED
    return status, str(failure) if failure is not None else "the kernel is not running"


def _swap(q: _CodeQuestion, assignment: Any) -> Swap | None:
    """Stubs of the reference helpers to put in place of the student's while `q`'s function is
    probed; the references themselves run here, in the grader (ReferenceHelpers)."""
    if not q.isolate:
        return None
    module = reference_module(assignment)
    if module is None or not all(hasattr(module, n) for n in q.isolate):
        raise SpecError(f"question {q.id}: isolate needs {', '.join(q.isolate)} in assignments/{assignment.id}/reference.py")
    return Swap(list(q.isolate), ReferenceHelpers(module, list(q.isolate), assignment.array_library).answer)


def shortcut_penalties(q: Any, results: list[CallResult], who: str) -> list[tuple[str, str]]:
    """Forbidden torch calls the student's code made, and required ones it never made."""
    called = sorted({name for r in results for name in r.torch_calls})
    out = []
    used = [n for n in called if any(fnmatch.fnmatchcase(n, pat) for pat in q.forbid)]
    if used:
        names = ", ".join(f"`{n}`" for n in used[:4])
        out.append(("forbidden_call", f"{who} calls {names}, which this exercise asks you to implement yourself"))
    if q.require and results and not any(fnmatch.fnmatchcase(n, pat) for n in called for pat in q.require):
        wanted = " or ".join(f"`{p}`" for p in q.require)
        out.append(("missing_required_call", f"{who} gives the right values without calling {wanted}, "
                                             "which this exercise asks you to use"))
    return out


def _judge(q: _CodeQuestion, p: PreparedProbe, result: CallResult, signature: str,
           array: str = "torch") -> list[CheckOutcome]:
    """The probe's checks: its return value, or with `outputs` each output argument after the call."""
    where = p.spec.describe()
    names = [output_check(p.spec.name, o) for o in q.outputs] or [p.spec.name]
    if not result.ok:
        why = f"On {where}: {describe_error(q, result.error or {}, signature)}"
        return [CheckOutcome(n, False, status=R.ERROR, visibility=p.spec.shown_as, feedback=why) for n in names]
    if not q.outputs:
        assert result.value is not None
        return [_verdict(q, p, names[0], result.value, [e.value for e in p.expected], f"`{_call_text(q, p)}`", array)]
    mutated = _mutated(q, result)
    checks = []
    for k, (name, output) in enumerate(zip(names, q.outputs)):
        check = _verdict(q, p, name, result.outputs[k], [e.outputs[k] for e in p.expected],
                         f"`{output}` after the call", array, inputs=False)
        if not check.passed and output not in mutated:
            check.feedback += (f" Your function left `{output}` unchanged: write into it in place (`{output} += …` or "
                               f"`{output}[...] = …`); `{output} = …` only rebinds the name inside your function.")
        checks.append(check)
    return checks


def _verdict(q: _CodeQuestion, p: PreparedProbe, name: str, received: Any, expected: list[Any], what: str,
             array: str, inputs: bool = True) -> CheckOutcome:
    """One check: `received` against the reference's value, then the alternatives' (`expected`, in
    the order of `p.expected`). `inputs`: whether the value lines up with the inputs element-wise,
    so a wrong element can be shown with the inputs that produced it."""
    where, first = p.spec.describe(), None
    for exp, value in zip(p.expected, expected):
        verdict = compare(received, value, rtol=q.tolerance.rtol, atol=q.tolerance.atol,
                          arg_names=q.args if inputs else [], args=p.args if inputs else [],
                          allowed=p.allowed, array=array)
        if verdict.passed:
            note = "; ".join(n for n in (exp.note, verdict.note) if n)
            return CheckOutcome(name, True, feedback=f"On {where}: {note}" if note else "",
                                credit=exp.credit if exp.credit < 1 else None, visibility=p.spec.shown_as)
        first = first or verdict
    assert first is not None
    return CheckOutcome(name, False, feedback=f"On {where}: {what} {first.message}", visibility=p.spec.shown_as)


def _call_text(q: _CodeQuestion, p: PreparedProbe) -> str:
    """The probe's call as feedback shows it, with its extra keyword arguments."""
    if not p.kwargs:
        return q.probe_call
    named = [f"{a}={a}" if q.call == "keyword" else a for a in q.args]
    return f"{q.function}({', '.join([*named, *(f'{k}={v!r}' for k, v in p.kwargs.items())])})"


def describe_error(q: _CodeQuestion, err: dict[str, Any], signature: str) -> str:
    text = f"`{q.probe_call}` raised {err.get('type', 'an exception')}: {err.get('message', '')}".rstrip(": ")
    if err.get("code"):
        fn = err.get("function")
        inside = f" in `{fn}`" if fn and fn != "<module>" else ""
        text += f" (line {err.get('line')}{inside}: `{err['code']}`)"
    if err.get("type") == "TypeError" and signature and "argument" in str(err.get("message", "")):
        how = "by keyword as" if q.call == "keyword" else "as"
        text += f". The grader calls it {how} `{q.probe_call}`; yours is `{signature}`"
    return text


def unusable(q: _CodeQuestion, prepared: list[PreparedProbe], response: ProbeResponse, ctx: CheckContext) -> QuestionOutcome:
    if response.status == "missing":
        status = R.MISSING
        msg = f"No function `{q.function}` is defined in the notebook (the grader calls `{q.probe_call}`)."
        required = {n for o in ctx.assignment.questions for n in get_kind(o.kind).attempt(o).names}
        close = difflib.get_close_matches(q.function, [d for d in response.defined if d not in required], n=1, cutoff=0.75)
        if close:
            msg += f" Did you mean to name `{close[0]}` `{q.function}`?"
        errors = [e for e in ctx.events if e.kind == "error" and f"def {q.function}(" in ctx.notebook.cells[e.cell_index].source]
        if errors:
            e = errors[0]
            msg += f" Cell {e.cell_index + 1}, which defines it, raised {e.message} before the definition ran."
    elif response.status == "not_callable":
        status, msg = R.MISSING, f"`{q.function}` is a {response.problem}, not a function."
    elif isinstance(response.failure, CellTimeout):
        failure = response.failure
        status, msg = R.TIMEOUT, (
            f"Calling `{q.probe_call}` on the grader's inputs used more than the limit ({failure.limit:g} s of "
            "CPU time) and was stopped. Look for an endless loop." if failure.clock == "cpu" else
            f"Calling `{q.probe_call}` on the grader's inputs waited longer than the limit ({failure.limit:g} s) "
            "without finishing and was stopped. Look for a sleep, an input() or a loop that waits.")
    elif isinstance(response.failure, KernelDied):
        status, msg = R.KERNEL_DIED, f"The kernel died while calling `{q.probe_call}`."
    else:  # no usable reply (a runtime replaced or silenced, a malformed answer): not a verdict
        status, msg = R.UNDECIDED, (f"The grader could not read what `{q.function}` returned ({response.failure}); "
                                    "a TA will review it.")
    return QuestionOutcome(failed_checks(q, prepared, status), status=status, feedback=msg,
                           needs_review=status == R.UNDECIDED)


class FunctionKind(CodeKind):
    name = "function"
    model = FunctionQuestion

    def references(self, q: FunctionQuestion, args: list[Any], kwargs: dict[str, Any], ref: Any,
                   array: str = "torch") -> list[Expected]:
        assert q.reference is not None
        return self._evaluated([(q.reference, 1.0, "")], q, args, kwargs, ref, array) + \
            self.alternatives(q, args, kwargs, ref, array)

    def alternatives(self, q: FunctionQuestion, args: list[Any], kwargs: dict[str, Any], ref: Any,
                     array: str = "torch") -> list[Expected]:
        exprs = [(a.reference, a.credit, a.note) for a in q.alternatives if a.reference]
        return self._evaluated(exprs, q, args, kwargs, ref, array)  # type: ignore[arg-type]

    @staticmethod
    def _evaluated(exprs: list[tuple[str, float, str]], q: FunctionQuestion, args: list[Any], kwargs: dict[str, Any],
                   ref: Any, array: str) -> list[Expected]:
        out = []
        for expr, credit, note in exprs:
            if q.outputs:  # each reference writes into its own fresh copies, called as the student's function is
                xs = reference_copies(args, array)
                _evaluate(expr, q, xs, kwargs, ref)
                out.append(Expected(None, credit, note, [xs[q.args.index(o)] for o in q.outputs]))
            else:
                xs = [as_reference_input(a) for a in args]
                out.append(Expected(_evaluate(expr, q, xs, kwargs, ref), credit, note))
        return out


class DerivativeKind(CodeKind):
    name = "derivative"
    model = DerivativeQuestion

    def kinks(self, q: DerivativeQuestion) -> list[Kink]:
        return q.kinks

    def references(self, q: DerivativeQuestion, args: list[Any], kwargs: dict[str, Any], ref: Any,
                   array: str = "torch") -> list[Expected]:
        return [Expected(_derivative(q, args, kwargs, q.reduce, ref=ref))] + self.alternatives(q, args, kwargs, ref, array)

    def alternatives(self, q: DerivativeQuestion, args: list[Any], kwargs: dict[str, Any], ref: Any,
                     array: str = "torch") -> list[Expected]:
        out = []
        for alt in q.alternatives:
            if alt.of or (alt.reduce and q.of):  # beside a solution notebook, only an expression of its own
                out.append(Expected(_derivative(q, args, kwargs, alt.reduce or q.reduce, alt.of, ref), alt.credit, alt.note))
        return out


register(FunctionKind())
register(DerivativeKind())
