"""The symbolic-answer checker: each correct form accepted, each wrong one caught.

The corpus (tests/symbolic_corpus.yaml) holds what students really write with the verdict a
careful TA would give; the focused tests below pin the behaviour the grader relies on: the real
seed answers, which line of a derivation is graded, what the feedback says, time limits,
aliases, conventions and required forms.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sympy as sp
import yaml

from grader.kinds import load_assignment
from grader.kinds.symbolic import SymbolicQuestion
from grader.notebook.answers import find_answer
from grader.notebook.read import read_notebook
from grader.symbolic import (
    LatexParseError,
    SymbolicResult,
    check_answer,
    extract_answer,
    latex_to_sympy,
)

ROOT = Path(__file__).resolve().parents[2]
CORPUS = yaml.safe_load((ROOT / "tests" / "symbolic_corpus.yaml").read_text(encoding="utf-8"))
ASSIGNMENT = load_assignment(ROOT / "assignments" / "derivatives-activations.yaml")
SEEDS = [p for p in (ROOT.parent / "shared" / "seeds" / "derivatives_activations_solved.ipynb",
                     ROOT / "examples" / "derivatives_activations_solved.ipynb") if p.exists()]
VERDICTS = {"correct", "wrong", "wrong_form", "known_mistake", "unparsed", "no_answer"}


def check(question: str, answer: str, **overrides) -> SymbolicResult:
    q = {**CORPUS["questions"][question], **overrides}
    return check_answer(answer, q["expected"], definitions=q.get("definitions"), target=q.get("target"),
                        aliases=q.get("aliases"), assumptions=q.get("assumptions"),
                        conventions=q.get("conventions"), form=q.get("form"), mistakes=q.get("mistakes"),
                        indices=q.get("indices"), vectors=q.get("vectors"), timeout=q.get("timeout", 2.0))


def _case_id(i: int, case: dict) -> str:
    return f"{i:03d}-{case['question']}-{case['verdict']}"


def _cases() -> list:
    out = []
    for i, case in enumerate(CORPUS["cases"]):
        marks = [pytest.mark.xfail(reason=case["xfail"], strict=True)] if case.get("xfail") else []
        out.append(pytest.param(case, id=_case_id(i, case), marks=marks))
    return out


# --------------------------------------------------------------------------- the corpus

def test_corpus_is_well_formed() -> None:
    cases = CORPUS["cases"]
    assert len(cases) >= 300
    assert {c["verdict"] for c in cases} == VERDICTS
    assert all(c["question"] in CORPUS["questions"] for c in cases)
    wrong = sum(c["verdict"] in ("wrong", "known_mistake", "wrong_form") for c in cases)
    assert 0.3 <= wrong / len(cases) <= 0.5
    assert len({(c["question"], c["answer"]) for c in cases}) == len(cases), "duplicate cases"


@pytest.mark.parametrize("case", _cases())
def test_corpus_case(case: dict) -> None:
    res = check(case["question"], case["answer"])
    assert res.status == case["verdict"], res.feedback
    assert res.equivalent == (case["verdict"] in ("correct", "wrong_form"))
    assert res.feedback


@pytest.mark.parametrize("qid, key", [("f_prime_symbolic", "f_prime"), ("sigmoid_derivative_symbolic", "sigmoid"),
                                      ("relu_derivative_symbolic", "relu"), ("bce_derivative_symbolic", "bce")])
def test_corpus_questions_mirror_the_assignment(qid: str, key: str) -> None:
    real = ASSIGNMENT.question(qid)
    mine = CORPUS["questions"][key]
    assert mine["expected"] == real.expected and mine.get("target") == real.target
    assert (mine.get("definitions") or {}) == real.definitions
    assert (mine.get("aliases") or {}) == real.aliases
    assert (mine.get("assumptions") or {}) == real.assumptions
    assert (mine.get("conventions") or []) == real.conventions
    assert mine.get("form") == real.form
    assert [(m["expr"], m["feedback"]) for m in mine.get("mistakes", [])] == \
        [(m.expr, m.feedback) for m in real.mistakes]


# --------------------------------------------------------------------------- the seed notebook

def _real_check(q: SymbolicQuestion, text: str) -> SymbolicResult:
    return check_answer(text, q.expected, definitions=q.definitions or None, target=q.target,
                        aliases=q.aliases or None, assumptions=q.assumptions or None,
                        conventions=q.conventions or None, form=q.form,
                        mistakes=[m.model_dump() for m in q.mistakes] or None, timeout=q.timeout)


def _seed_regions(path: Path) -> dict[str, tuple[SymbolicQuestion, str]]:
    nb = read_notebook(path)
    qs = [q for q in ASSIGNMENT.questions if isinstance(q, SymbolicQuestion)]
    prompts = [q.answer.prompt for q in qs]
    out = {}
    for q in qs:
        region = find_answer(nb, tag=q.answer.tag, prompt=q.answer.prompt, section=q.answer.section,
                             other_prompts=prompts)
        assert region is not None, q.id
        out[q.id] = (q, region.text)
    return out


@pytest.mark.skipif(not SEEDS, reason="no seed notebook")
@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.parent.name)
def test_the_four_seed_answers_are_correct(path: Path) -> None:
    regions = _seed_regions(path)
    assert len(regions) == 4
    for qid, (q, text) in regions.items():
        res = _real_check(q, text)
        assert res.status == "correct", (qid, res.feedback)
        assert res.feedback.startswith("Read your answer as `")


def test_the_untouched_starter_has_no_answers() -> None:
    starter = ROOT / "examples" / "derivatives_activations_starter.ipynb"
    if not starter.exists():
        pytest.skip("no starter notebook")
    for qid, (q, text) in _seed_regions(starter).items():
        res = _real_check(q, text)
        assert res.status == "no_answer" and "placeholder" in res.feedback, (qid, res.feedback)


@pytest.mark.skipif(not SEEDS, reason="no seed notebook")
def test_seed_bce_grades_the_dl_dyhat_line_not_the_boxed_dl_dz() -> None:
    q, text = _seed_regions(SEEDS[0])["bce_derivative_symbolic"]
    assert r"\boxed{\frac{\partial L}{\partial z}" in text
    res = _real_check(q, text)
    assert res.status == "correct"
    assert res.answer_latex == r"\frac{\hat{y} - y}{\hat{y}(1 - \hat{y})}"
    assert r"\frac{\partial L}{\partial \hat{y}}" in res.feedback
    # the same region with a wrong dL/dy_hat line is caught even though the boxed dL/dz is right
    broken = text.replace(r"= \frac{\hat{y} - y}{\hat{y}(1 - \hat{y})}", r"= \frac{y - \hat{y}}{\hat{y}(1 - \hat{y})}")
    assert broken != text
    res = _real_check(q, broken)
    assert res.status == "known_mistake" and res.mistake == "(y - y_pred)/(y_pred*(1 - y_pred))"


@pytest.mark.skipif(not SEEDS, reason="no seed notebook")
def test_seed_sigmoid_derivation_grades_the_boxed_result() -> None:
    q, text = _seed_regions(SEEDS[0])["sigmoid_derivative_symbolic"]
    res = _real_check(q, text)
    assert res.status == "correct"
    assert res.parsed == "(1 - sigma(x))*sigma(x)"
    broken = text.replace(r"\boxed{\sigma'(x) = \sigma(x)\,\bigl(1 - \sigma(x)\bigr)}",
                          r"\boxed{\sigma'(x) = \sigma(x)\,\bigl(1 + \sigma(x)\bigr)}")
    assert broken != text
    res = _real_check(q, broken)
    assert res.status == "known_mistake" and "sign" in res.feedback


# --------------------------------------------------------------------------- choosing the answer

def test_boxed_target_beats_a_later_target_line() -> None:
    text = r"$$\boxed{\sigma'(x) = \sigma(x)(1-\sigma(x))}$$ Check: $$\sigma'(x) = \sigma(x)(1+\sigma(x))$$"
    assert check("sigmoid", text).status == "correct"


def test_last_target_line_wins_over_earlier_ones() -> None:
    text = r"$$f'(x) = 9x^2 - 4x + 5$$ so $$f'(x) = 9x^2 - 4x$$"
    res = check("f_prime", text)
    assert res.status == "known_mistake" and res.answer_latex == "9x^2 - 4x"


def test_boxed_other_quantity_used_only_without_a_target_line() -> None:
    only_dz = r"$$\boxed{\frac{\partial L}{\partial z} = \hat y - y}$$"
    res = check("bce", only_dz)
    assert res.status == "known_mistake" and res.mistake == "y_pred - y"
    both = r"$$\frac{\partial L}{\partial \hat y} = \frac{\hat y - y}{\hat y(1-\hat y)}$$" + only_dz
    assert check("bce", both).status == "correct"


def test_chain_grades_its_last_side() -> None:
    res = check("tanh", r"$$\frac{d}{dx}\tanh(x) = 1 - \tanh^2(x) = \cosh^2(x)$$")
    assert res.status == "wrong" and res.answer_latex == r"\cosh^2(x)"


def test_extract_answer_reports_what_would_be_graded() -> None:
    text = r"$$\hat y = \sigma(z)$$ $$\frac{\partial L}{\partial \hat y} = \frac{1}{1-\hat y}$$ and $y \in \{0, 1\}$."
    latex, expr = extract_answer(text, target=r"\frac{\partial L}{\partial y_{pred}}", aliases={"y_pred": ["y_hat"]})
    assert latex == r"\frac{1}{1-\hat y}"
    assert expr == 1 / (1 - sp.Symbol("y_pred"))
    assert extract_answer("TODO") is None
    assert isinstance(extract_answer(r"$$x^{$$"), LatexParseError)


# --------------------------------------------------------------------------- feedback

def test_correct_feedback_names_what_was_read() -> None:
    res = check("sigmoid", r"Since $s = \sigma(x)$: $$\sigma'(x) = s(1-s)$$")
    assert res.status == "correct"
    assert "`\\sigma'(x) = s(1-s)`" in res.feedback and "s as you defined it" in res.feedback


def test_wrong_feedback_gives_a_concrete_point() -> None:
    res = check("sigmoid", r"$$\sigma'(x) = \sigma(x)(1-\sigma(x))^2$$")
    assert res.status == "wrong" and not res.equivalent
    assert "at x = 0.5 your answer gives 0.08872 but the correct value is 0.235" in res.feedback
    res = check("bce", r"$$\frac{\partial L}{\partial \hat y} = -\frac{y}{\hat y}$$")
    assert "at y = 0, y_hat = " in res.feedback, res.feedback  # the student's own name for y_pred


def test_wrong_feedback_names_a_variable_the_answer_should_not_have() -> None:
    res = check("bce", r"$$\frac{\partial L}{\partial \hat y} = \sigma(z) - y$$")
    assert res.status == "wrong" and "uses z" in res.feedback


def test_unparsed_feedback_quotes_the_latex_and_where_reading_stopped() -> None:
    res = check("f_prime", r"$$f'(x) = 9x^^2 - 4x + 5$$")
    assert res.status == "unparsed" and res.parsed is None
    assert "f'(x) = 9x^^2 - 4x + 5" in res.feedback
    assert "stopped at `^2 - 4x + 5`" in res.feedback


def test_known_mistake_reports_the_spec_expression_verbatim() -> None:
    res = check("relu", r"$$\text{ReLU}'(x) = \max(0, x)$$")
    assert res.status == "known_mistake"
    assert res.mistake == "Piecewise((x, x > 0), (0, True))"
    assert res.feedback.endswith("That is ReLU itself, not its derivative.")


@pytest.mark.parametrize("text, needle", [
    ("YOUR ANSWER HERE", "placeholder"),
    ("", "no math"),
    ("I differentiated term by term.", "no math"),
    (r"$$\sigma'(x) = $$", "only the quantity"),
])
def test_no_answer(text: str, needle: str) -> None:
    res = check("sigmoid", text)
    assert res.status == "no_answer" and needle in res.feedback


# --------------------------------------------------------------------------- time limits

def test_astronomical_numbers_are_undecided_quickly() -> None:
    for answer in (r"$$10^{10^{10^{10}}}$$", r"$$\sigma'(x) = 2^{2^{2^{2^{2^{2^{2}}}}}}x$$",
                   r"$$9^{9^{9^{9^{9}}}} - 4x + 5$$"):
        t0 = time.monotonic()
        res = check("f_prime" if "9^" in answer or "10^" in answer else "sigmoid", answer)
        assert time.monotonic() - t0 < 3.0, answer
        assert res.status == "undecided" and res.needs_review, (answer, res.feedback)


def test_a_power_tower_finishes_in_time() -> None:
    t0 = time.monotonic()
    res = check("tanh", "$$" + "x^{" * 12 + "x" + "}" * 12 + "$$")
    assert time.monotonic() - t0 < 3.0
    assert res.status in ("wrong", "undecided")


def test_a_slow_comparison_is_cut_off_at_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    import grader.symbolic.equivalence as eq

    def stuck(*args, **kwargs):
        time.sleep(30)

    monkeypatch.setattr(eq, "compare", stuck)
    t0 = time.monotonic()
    res = check("f_prime", r"$$f'(x) = x(9x - 4) + 5$$", timeout=0.5)
    assert time.monotonic() - t0 < 1.5
    assert res.status == "undecided" and res.needs_review
    assert "ran out of time" in res.feedback and "x(9x - 4) + 5" in res.feedback


def test_unknown_functions_are_left_to_a_ta() -> None:
    # a bare letter g is not a function: g(x) reads as g·x, which is simply different
    assert check("f_prime", r"$$f'(x) = g(x) + 9x^2$$").status == "wrong"
    # an explicitly named unknown function cannot be evaluated: a TA decides
    res = check("sigmoid", r"$$\sigma'(x) = \operatorname{mystery}(x)$$")
    assert res.status == "undecided" and res.needs_review


# --------------------------------------------------------------------------- aliases, assumptions, conventions, form

@pytest.mark.parametrize("name", [r"\hat{y}", r"\hat y", "y_{pred}", "p", r"\widehat{y}", "ŷ"])
def test_aliases_rename_the_prediction(name: str) -> None:
    answer = rf"$$\frac{{\partial L}}{{\partial {name}}} = \frac{{{name} - y}}{{{name}(1 - {name})}}$$"
    assert check("bce", answer).status == "correct", answer


def test_a_name_that_is_not_an_alias_is_not_renamed() -> None:
    res = check("bce", r"$$\frac{\partial L}{\partial q} = \frac{q - y}{q(1 - q)}$$")
    assert res.status == "wrong" and "uses q" in res.feedback


def test_finite_value_assumption_checks_each_value() -> None:
    # 1/(1 - y - ŷ) equals the expected answer for y = 0 and for y = 1, not in general
    answer = r"$$\frac{\partial L}{\partial \hat y} = \frac{1}{1 - y - \hat y}$$"
    assert check("bce", answer).status == "correct"
    unconstrained = {"y_pred": {"interval": [0, 1], "open": True}}
    assert check("bce", answer, assumptions=unconstrained).status == "wrong"


def test_interval_assumption_keeps_samples_in_the_domain() -> None:
    # sqrt(ŷ²) is ŷ only for ŷ ≥ 0: right for a probability, wrong on the whole real line
    answer = r"$$\frac{\partial L}{\partial \hat y} = \frac{\sqrt{\hat y^2} - y}{\hat y(1-\hat y)}$$"
    assert check("bce", answer).status == "correct"
    res = check("bce", answer, assumptions={"y": {"values": [0, 1]}})  # ŷ anywhere on the real line
    assert res.status == "wrong" and "y_hat = -" in res.feedback, res.feedback


@pytest.mark.parametrize("cases, with_convention, without", [
    (r"1 & x \geq 0 \\ 0 & x < 0", "correct", "wrong"),
    (r"1 & x > 0 \\ 0 & x < 0", "correct", "correct"),  # undefined at 0 either way
    (r"1 & x > 0 \\ 0 & x \leq 0", "correct", "correct"),
    (r"1 & x > 0 \\ 0.5 & x = 0 \\ 0 & x < 0", "wrong", "wrong"),
])
def test_conventions_at_the_kink(cases: str, with_convention: str, without: str) -> None:
    answer = rf"$$\text{{ReLU}}'(x) = \begin{{cases}} {cases} \end{{cases}}$$"
    res = check("relu", answer)
    assert res.status == with_convention, res.feedback
    if with_convention == "wrong":
        assert "at x = 0 your answer gives 0.5" in res.feedback
    assert check("relu", answer, conventions=[], mistakes=[]).status == without


def test_form_require_and_forbid() -> None:
    exp_form = r"$$\sigma'(x) = \frac{e^{-x}}{(1+e^{-x})^2}$$"
    res = check("sigmoid", exp_form)
    assert res.status == "wrong_form" and res.equivalent
    assert "must be written in terms of σ(x)" in res.feedback
    assert check("sigmoid", exp_form, form=None).status == "correct"
    res = check("sigmoid", exp_form, form={"forbid": ["exp"]})
    assert res.status == "wrong_form" and "must not use exp" in res.feedback
    assert check("sigmoid", r"$$\sigma(x)(1-\sigma(x))$$", form={"forbid": ["exp"]}).status == "correct"


def test_definitions_give_meaning_to_derivatives_of_defined_functions() -> None:
    # σ'(x) inside an answer means the derivative of the definition
    res = check("tanh", r"$$\frac{d}{dx}\tanh(x) = 4\sigma'(2x)$$",
                definitions={"sigma(x)": "1/(1 + exp(-x))"})
    assert res.status == "correct", res.feedback


# --------------------------------------------------------------------------- the parser on its own

def test_time_limit_restores_an_outer_timer() -> None:
    import signal

    def outer(signum, frame):  # noqa: ARG001
        raise AssertionError("the outer timer fired during the check")

    previous = signal.signal(signal.SIGALRM, outer)
    signal.setitimer(signal.ITIMER_REAL, 5.0)
    try:
        assert check("sigmoid", r"$$\sigma(x)(1-\sigma(x))$$").status == "correct"
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 3.0 < left <= 5.0
        assert signal.getsignal(signal.SIGALRM) is outer
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_checks_outside_the_main_thread_still_finish() -> None:
    import threading

    out: dict[str, SymbolicResult] = {}
    worker = threading.Thread(target=lambda: out.update(
        ok=check("sigmoid", r"$$\sigma(x)(1-\sigma(x))$$"), huge=check("f_prime", r"$$10^{10^{10^{10}}}$$")))
    worker.start()
    worker.join(10)
    assert out["ok"].status == "correct" and out["huge"].status == "undecided"


_X = sp.Symbol("x")
_SIG = sp.Function("sigma")


@pytest.mark.parametrize("latex, expected", [
    (r"\sigma^2(x)", _SIG(_X) ** 2),
    (r"\mathbb{1}_{\{x>0\}} + 1_{x<0}", sp.Piecewise((1, _X > 0), (0, True)) + sp.Piecewise((1, _X < 0), (0, True))),
    (r"\left\{\begin{array}{ll} 1 & x>0 \\ 0 & x\le0 \end{array}\right.", sp.Piecewise((1, _X > 0), (0, True))),
    (r"\begin{cases} 1 & x > 0 \\ \text{undefined} & x = 0 \end{cases}",
     sp.Piecewise((1, _X > 0), (sp.nan, sp.Eq(_X, 0)))),
    (r"dL/d\hat{y}", sp.Derivative(sp.Symbol("L"), sp.Symbol("y_hat"))),
    (r"\frac{x}{2} \quad (\text{power rule})", _X / 2),
    (r"e⁻ˣ·σ(x)²", sp.exp(-_X) * _SIG(_X) ** 2),
    (r"9*x**2", None),  # Python's ** is not LaTeX: an error, not 9x·2
])
def test_parser_readings(latex: str, expected: sp.Basic | None) -> None:
    """Readings the previous parser got wrong (σ^2(x) as σ²·x, \\left\\{ ... \\right. unbalanced, ...)."""
    if expected is None:
        with pytest.raises(LatexParseError):
            latex_to_sympy(latex)
        return
    assert latex_to_sympy(latex, functions=["sigma"]) == expected


def test_latex_to_sympy() -> None:
    x = sp.Symbol("x")
    assert latex_to_sympy(r"\frac{1}{1+e^{-x}}") == 1 / (1 + sp.exp(-x))
    assert latex_to_sympy(r"\tanh^2 x") == sp.tanh(x) ** 2
    assert latex_to_sympy(r"\sigma^2(x)") == sp.Function("sigma")(x) ** 2
    assert latex_to_sympy(r"\mathbb{1}_{\{x>0\}}") == sp.Piecewise((1, x > 0), (0, True))
    assert latex_to_sympy(r"\partial L/\partial \hat y") == sp.Derivative(sp.Symbol("L"), sp.Symbol("y_hat"))
    assert latex_to_sympy(r"y_{pred,i}") == sp.Symbol("y_pred_i")
    with pytest.raises(LatexParseError) as err:
        latex_to_sympy(r"\frac{1}{1+e^{-x}")
    assert err.value.position > 0 and "stopped at" in str(err.value)


def test_invalid_author_input_raises_value_error() -> None:
    with pytest.raises(ValueError):
        check_answer("$$x$$", "sigma(x")
    with pytest.raises(ValueError):
        check_answer("$$x$$", "x", target=r"\frac{")


def test_time_limit_fires_again_when_its_first_exception_is_swallowed() -> None:
    """A CheckTimeout raised inside a weakref callback or __del__ is ignored by Python; the limit must hold."""
    import time as _time

    from grader.symbolic.timer import CheckTimeout, time_limit

    t0 = _time.monotonic()
    swallowed = 0
    with pytest.raises(CheckTimeout):
        with time_limit(0.2):
            while _time.monotonic() - t0 < 3:
                try:
                    while _time.monotonic() - t0 < 3:
                        pass
                except CheckTimeout:
                    if swallowed:
                        raise
                    swallowed += 1  # what Python does to an exception in a weakref callback
    assert swallowed == 1 and _time.monotonic() - t0 < 1.0
