"""Grade one written answer and build the SymbolicResult.

``check_answer`` is the pipeline behind a symbolic question: extract the math
from the markdown region, pick the final answer for the target, rename aliases,
apply the question's definitions, compare with the expected answer (then with
the known mistakes), check the required form, and say what was read and why it
was (not) accepted. It never raises for student input and never runs past
``timeout``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from . import feedback as fb
from .equivalence import decide
from .extract import Extraction, extract
from .form import form_problem
from .parser import LatexParseError
from .question import Question
from .rewrite import local_definitions, substitute_definitions, unify_indices
from .sampling import make_plan
from .select import Choice, Selector
from .steps import Derivation, Step, first_wrong
from .target import TargetMatcher
from .timer import CheckTimeout, Deadline, sub_limit, time_limit

STEPS_TIMEOUT = 2.0  # for checking a whole derivation's steps, within the answer's own time limit
_STEPS_MARGIN = 0.1  # left for building the result: running out of time on steps never costs the verdict
STATUSES = ("correct", "wrong", "wrong_form", "known_mistake", "unparsed", "no_answer", "undecided")


@dataclass
class SymbolicResult:
    """The verdict on one written answer (``status`` is one of ``STATUSES``)."""

    equivalent: bool | None  # None when the checker could not decide (status "undecided")
    status: str
    feedback: str
    answer_latex: str | None = None  # the LaTeX of the final answer that was graded
    parsed: str | None = None  # sympy text of it, after renaming aliases
    mistake: str | None = None  # the matched mistake's ``expr``, verbatim from the spec
    needs_review: bool = False
    steps: list[Step] = field(default_factory=list)  # the derivation for the target, step 0 first
    first_wrong: int | None = None  # index of the first step marked wrong

    def __post_init__(self) -> None:
        # from a worker process the steps arrive as JSON objects
        self.steps = [s if isinstance(s, Step) else Step(**s) for s in self.steps or []]


@dataclass
class _Progress:
    """What was read so far, for the result after a timeout."""

    latex: str | None = None
    parsed: str | None = None
    derivation: Callable[[], Derivation] | None = None  # set once an answer was chosen


def question_for(expected_sympy_text: str, **settings: Any) -> Question:
    """The author's side of a question, parsed once per process (cached by its settings): a
    class of 300 answers to one question parses the expected answer once, not 300 times.
    Raises ValueError for invalid author input."""
    return _question(expected_sympy_text, json.dumps(settings, sort_keys=True))


@functools.lru_cache(maxsize=256)
def _question(expected_sympy_text: str, settings_json: str) -> Question:
    return Question.build(expected_sympy_text, **json.loads(settings_json))


def check_answer(answer_markdown_text: str, expected_sympy_text: str, *, definitions: dict[str, str] | None = None,
                 target: str | None = None, aliases: dict[str, list[str]] | None = None,
                 assumptions: dict[str, dict] | None = None, conventions: list[dict] | None = None,
                 form: dict[str, list[str]] | None = None, mistakes: list[dict] | None = None,
                 indices: list[str] | None = None, vectors: dict[str, str] | None = None,
                 timeout: float = 2.0) -> SymbolicResult:
    """Grade a written answer (markdown with LaTeX) against ``expected_sympy_text``.

    Raises ValueError only for invalid author input (expected, definitions,
    target, aliases, mistakes, indices, vectors); every student input gives a
    SymbolicResult. ``vectors`` (``{p: softmax}``) and ``indices`` (``[i, j]``) make the
    expected answer entry (i, j) of a matrix, so ``diag(p) - pp^T`` is compared entry by entry. The
    result is a function of these arguments alone: not of the process, its hash
    seed, or what was checked before.
    """
    q = question_for(expected_sympy_text, definitions=definitions, target=target, aliases=aliases,
                     assumptions=assumptions, conventions=conventions, form=form, mistakes=mistakes,
                     indices=indices, vectors=vectors)
    progress = _Progress()
    try:
        with time_limit(timeout) as deadline:
            res = _check(answer_markdown_text or "", q, deadline, progress)
            if progress.derivation is not None:
                _add_steps(res, progress.derivation, deadline)
            return res
    except CheckTimeout:
        why = "the check ran out of time"
    except RecursionError:
        why = "the expression is nested too deeply"
    except Exception as exc:  # noqa: BLE001 - a grader bug must not sink the notebook
        why = f"internal error {type(exc).__name__}: {exc}"
    return SymbolicResult(None, "undecided", fb.undecided(progress.latex, why), progress.latex, progress.parsed,
                          needs_review=True)


def _add_steps(res: SymbolicResult, make: Callable[[], Derivation], deadline: Deadline) -> None:
    """Check the derivation's steps in what the verdict left of the time limit (at most
    ``STEPS_TIMEOUT``); a step left unchecked is undecided. A right answer reached through a
    wrong step is flagged for review, not marked down."""
    budget = min(STEPS_TIMEOUT, deadline.remaining() - _STEPS_MARGIN)
    steps: list[Step] = []
    derivation: Derivation | None = None
    try:
        if budget > 0.05:
            with sub_limit(deadline, budget):
                derivation = make()
                derivation.check(Deadline(budget, deadline.can_interrupt), steps)
    except (CheckTimeout, RecursionError, Exception):  # noqa: BLE001, S110 - steps never sink the verdict
        pass  # the steps checked so far stand; the rest are marked unchecked below
    written = derivation.raws if derivation is not None else []
    steps += [Step(fb.one_line(r.latex), None, "not checked: out of time") for r in written[len(steps):]]
    res.steps = steps
    res.first_wrong = first_wrong(steps)
    k = res.first_wrong
    if k is None:
        return
    answer = next((i for i, r in enumerate(written) if r.answer), len(written) - 1)
    if res.equivalent and k <= answer:
        res.needs_review = True
        res.feedback += f" The right answer reached through a wrong step: check step {k} ({steps[k].note})."
    elif res.status in ("wrong", "known_mistake"):
        res.feedback += f" Your derivation first goes wrong at step {k}: {steps[k].note}."


def extract_answer(answer_markdown_text: str, *, target: str | None = None,
                   aliases: dict[str, list[str]] | None = None, functions: list[str] | None = None,
                   expected: str = "0") -> tuple[str, sp.Basic] | LatexParseError | None:
    """What ``check_answer`` would grade: ``(latex, sympy after aliases)``, the parse error
    that stops it, or None when there is no answer."""
    q = Question.build(expected, target=target, aliases=aliases, functions=functions or ())
    q = q.for_answer(answer_markdown_text or "")
    ex = extract(answer_markdown_text or "", q.cfg)
    sel = Selector(TargetMatcher(q.target, variables=q.variables), q.prep, q.variables, q.functions,
                   q.cfg).select(ex)
    if sel.failure is not None:
        return sel.failure.error
    if sel.choice is None:
        return None
    return sel.choice.latex, q.prep(sel.choice.expr)


# --------------------------------------------------------------------------- steps

def _check(text: str, q: Question, deadline: Deadline, progress: _Progress) -> SymbolicResult:
    q = q.for_answer(text)
    ex = extract(text, q.cfg)
    matcher = TargetMatcher(q.target, _same_value(q, deadline), frozenset(d.name for d in q.definitions),
                            q.variables, q.tensors.indices if q.tensors else ())
    sel_obj = Selector(matcher, q.prep, q.variables, {d.name for d in q.definitions} | q.functions, q.cfg)
    sel = sel_obj.select(ex)
    if sel.failure is not None:
        src = ex.segments[sel.failure.segment].latex.strip()
        src = src if len(src) <= 120 else src[:117] + "…"
        return SymbolicResult(False, "unparsed", fb.unparsed(src, sel.failure.error), src)
    if sel.choice is None:
        return SymbolicResult(False, "no_answer", fb.no_answer(sel.restated, ex.placeholder and not ex.candidates))
    choice = sel.choice
    progress.derivation = functools.partial(Derivation, text, q, ex, sel_obj, choice)
    latex = choice.latex
    progress.latex = fb.one_line(f"{choice.lhs_latex} = {latex}" if choice.lhs_latex else latex)
    student = q.prep(choice.expr)
    student, used = local_definitions(student, _local_defs(ex, q, choice), q.known)
    progress.parsed = str(student)
    read = f"Read your answer as `{progress.latex}`"
    if used:
        names = sorted(set(used))
        read += f" (with {', '.join(names)} as you defined {'it' if len(names) == 1 else 'them'})"

    def result(status: str, message: str, **kw) -> SymbolicResult:
        return SymbolicResult(None if status == "undecided" else status in ("correct", "wrong_form"), status, message, latex, progress.parsed, **kw)

    unfinished = _unfinished_derivative(student, q)
    value = unify_indices(substitute_definitions(student, q.definitions), {s.name for s in q.expected.free_symbols},
                          q.vector_names)
    if unfinished is not None or value.has(sp.Derivative, sp.Subs):
        what = f" ({unfinished})" if unfinished else ""
        return result("wrong", f"{read}. It still contains a derivative{what}; carry out the differentiation.")
    verdict = decide(value, q.expected, q.plan([value, q.expected]), deadline)
    if verdict.status == "equal":
        problem = form_problem(student, q.form, _pretty(q))
        if problem and not _other_side_in_form(choice, q, deadline):
            return result("wrong_form", f"{read}. It is equivalent to the expected answer, but {problem}.")
        return result("correct", f"{read}: correct.")
    for spec, mistake in q.mistakes:
        if decide(value, mistake, q.plan([value, mistake]), deadline).status == "equal":
            return result("known_mistake", f"{read}. {str(spec.get('feedback', '')).strip()}".strip(),
                          mistake=str(spec["expr"]))
    if verdict.status == "different":
        names = fb.student_names(choice.expr, q.aliases)
        extra = [names.get(s.name, s.name) for s in sorted(value.free_symbols - q.expected.free_symbols, key=str)
                 if not _bound_index(s, q.expected) and s.name not in q.vector_names]
        return result("wrong", f"{read}. {fb.difference(verdict, extra, names)}")
    why = verdict.reason or "sampling and simplification were inconclusive"
    return result("undecided", f"{read}, but could not decide automatically whether it equals the expected "
                  f"answer ({why}); {fb.REVIEW}.", needs_review=True)


def _pretty(q: Question):
    return lambda name: fb.pretty_name(name, q.functions, q.defaults)


def _same_value(q: Question, deadline: Deadline):
    """For target matching: is d/dx(expr) about the target's function (σ written out)?"""
    def same(a: sp.Basic, b: sp.Basic) -> bool:
        va = substitute_definitions(q.prep(a), q.definitions)
        vb = substitute_definitions(b, q.definitions)
        if va == vb:
            return True
        try:
            return decide(va, vb, make_plan([va, vb], q.assumptions, tensors=q.tensors), deadline).status == "equal"
        except CheckTimeout:
            raise
        except Exception:  # noqa: BLE001 - a failed comparison only means "not the target"
            return False
    return same


def _other_side_in_form(choice: Choice, q: Question, deadline: Deadline) -> bool:
    """``σ'(x) = σ(x)(1−σ(x)) = e^{-x}/(1+e^{-x})^2``: the required form is in the chain."""
    if len(choice.candidates) != 1:
        return False
    chain = choice.candidates[0].chain
    for k in range(1 if chain.lhs is not None else 0, len(chain.sides)):
        side = q.prep(chain.sides[k])
        if k == chain.final_index or side.has(sp.Derivative) or form_problem(side, q.form):
            continue
        value = substitute_definitions(side, q.definitions)
        if decide(value, q.expected, q.plan([value, q.expected]), deadline).status == "equal":
            return True
    return False


def _local_defs(ex: Extraction, q: Question, choice: Choice) -> dict[sp.Symbol, sp.Basic]:
    """``s = \\sigma(x)`` written by the student, for names the question does not know."""
    defs: dict[sp.Symbol, sp.Basic] = {}
    for c in ex.candidates:
        if c in choice.candidates or c.lhs is None or len(c.chain.sides) != 2:
            continue
        lhs = q.prep(c.lhs)
        if isinstance(lhs, sp.Symbol) and lhs.name not in q.known:
            rhs = q.prep(c.chain.sides[1])
            if lhs not in rhs.free_symbols:
                defs[lhs] = rhs
    return defs


def _unfinished_derivative(e: sp.Basic, q: Question) -> str | None:
    """d/dx of an explicit expression left in the answer: the work is not done."""
    for d in e.atoms(sp.Derivative):
        if not d.expr.atoms(AppliedUndef) and not any(s.name in q.functions for s in d.expr.free_symbols):
            return f"`{sp.latex(d)}`"
    return None


def _bound_index(s: sp.Symbol, expected: sp.Basic) -> bool:
    """i in ``\\sum_i`` or p_i: an index, not a variable the answer should not have."""
    return len(s.name) == 1 and s.name in "ijk" and any(n.name.endswith("_" + s.name)
                                                       for n in expected.free_symbols)
