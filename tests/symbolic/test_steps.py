"""Derivations checked step by step (issue #19): the steps written for the target, each against the
one before it, the first wrong one named, and a right answer reached through a wrong step flagged
for review without losing points. A valid step marked wrong is the worst outcome (a false reject),
so the seed notebook's derivations must come out with every step valid."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import grader.symbolic.check as check_module
from grader.kinds import load_assignment
from grader.kinds.symbolic import SymbolicQuestion
from grader.notebook.answers import find_answer
from grader.notebook.read import read_notebook
from grader.spec.find import resolve_assignment
from grader.symbolic import SymbolicPool, check_answer

ROOT = Path(__file__).resolve().parents[2]
CORPUS = yaml.safe_load((ROOT / "tests" / "symbolic_corpus.yaml").read_text(encoding="utf-8"))
SEED = ROOT / "examples" / "derivatives_activations_solved.ipynb"


def _check(answer: str, question: str, **kw):
    q = CORPUS["questions"][question]
    return check_answer(answer, q["expected"], definitions=q.get("definitions"), target=q.get("target"),
                        aliases=q.get("aliases"), assumptions=q.get("assumptions"),
                        conventions=q.get("conventions"), form=q.get("form"), mistakes=q.get("mistakes"),
                        indices=q.get("indices"), vectors=q.get("vectors"), **kw)


def _seed_results() -> dict[str, object]:
    assignment = load_assignment(resolve_assignment("derivatives-activations"))
    nb = read_notebook(SEED)
    qs = [q for q in assignment.questions if isinstance(q, SymbolicQuestion)]
    prompts = [q.answer.prompt for q in qs if q.answer.prompt]
    out = {}
    for q in qs:
        region = find_answer(nb, tag=q.answer.tag, prompt=q.answer.prompt, section=q.answer.section,
                             other_prompts=prompts)
        out[q.id] = check_answer(region.text, q.expected, timeout=q.timeout, **q.settings())
    return out


def test_seed_derivations_are_correct_with_every_step_valid() -> None:
    results = _seed_results()
    lengths = {qid: len(r.steps) for qid, r in results.items()}
    # σ' goes g'(u(x))·u'(x) → … → σ(x)(1 − σ(x)); ReLU' by cases; BCE's ∂L/∂ŷ in two lines
    assert lengths == {"f_prime_symbolic": 1, "sigmoid_derivative_symbolic": 5, "relu_derivative_symbolic": 5,
                       "bce_derivative_symbolic": 2}
    for qid, r in results.items():
        assert r.status == "correct", (qid, r.feedback)
        assert [s.valid for s in r.steps] == [True] * len(r.steps), (qid, r.steps)
        assert r.first_wrong is None and not r.needs_review
    sigma = results["sigmoid_derivative_symbolic"].steps
    assert sigma[0].latex == r"g'(u(x)) \cdot u'(x)"  # read through the student's g(u) and u(x)
    assert sigma[-1].latex == r"\sigma(x)\,\bigl(1 - \sigma(x)\bigr)"
    relu = results["relu_derivative_symbolic"].steps
    assert relu[2].note == "starts the case x < 0"


@pytest.mark.parametrize("case", CORPUS["derivations"], ids=lambda c: f"{c['question']}-{c['label']['status']}")
def test_corpus_derivations_name_the_first_wrong_step(case: dict) -> None:
    r = _check(case["answer"], case["question"])
    label = case["label"]
    assert r.status == label["status"], r.feedback
    assert r.first_wrong == label["first_wrong"], r.steps
    assert r.needs_review == label.get("needs_review", False)
    wrong = [k for k, s in enumerate(r.steps) if s.valid is False]
    assert wrong[:1] == ([] if label["first_wrong"] is None else [label["first_wrong"]])


def test_slip_at_step_3_is_named_with_a_witness() -> None:
    case = next(c for c in CORPUS["derivations"] if c["label"]["first_wrong"] == 3)
    r = _check(case["answer"], case["question"])
    assert [s.valid for s in r.steps] == [True, True, True, False]
    assert r.steps[0].latex == r"-u^{-2} \cdot \frac{du}{dx}"  # with "Let u = 1 + e^{-x}" applied
    assert ("Your derivation first goes wrong at step 3: from `\\frac{e^{-x}}{(1 + e^{-x})^{2}}` to "
            "`\\frac{e^{-x}}{1 + e^{-x}}` the expressions differ, e.g. at x = 0.5: 0.235 vs 0.3775.") in r.feedback


def test_right_answer_through_a_wrong_step_is_flagged_not_marked_down() -> None:
    case = next(c for c in CORPUS["derivations"] if c["label"].get("needs_review"))
    r = _check(case["answer"], case["question"])
    assert r.status == "correct" and r.equivalent is True
    assert r.needs_review
    assert "The right answer reached through a wrong step: check step 2 (from " in r.feedback


def test_single_line_answer_keeps_todays_result() -> None:
    r = _check(r"$$\sigma'(x) = \sigma(x)(1 - \sigma(x))$$", "sigmoid")
    assert (r.status, r.first_wrong, r.needs_review) == ("correct", None, False)
    assert r.feedback == r"Read your answer as `\sigma'(x) = \sigma(x)(1 - \sigma(x))`: correct."
    assert [(s.latex, s.valid) for s in r.steps] == [(r"\sigma(x)(1 - \sigma(x))", True)]


def test_unknown_names_leave_a_step_undecided_never_wrong() -> None:
    # v is never defined: the step cannot be checked, and must not count as a wrong step
    r = _check(r"$$\sigma'(x) = v^{-2} e^{-x} = \frac{e^{-x}}{(1+e^{-x})^2} = \sigma(x)(1-\sigma(x))$$", "sigmoid")
    assert r.status == "correct"
    assert [s.valid for s in r.steps] == [True, None, True]
    assert r.first_wrong is None and not r.needs_review


def _long_derivation(n: int) -> str:
    return "\n".join("$$f'(x) = x^{2} + 2x + 1$$" if k % 2 else "$$f'(x) = (x+1)^{2}$$" for k in range(n))


def test_steps_share_the_answers_time_limit_and_keep_the_verdict() -> None:
    start = time.perf_counter()
    r = check_answer(_long_derivation(1000), "(x+1)**2", target="f'(x)", timeout=1.0)
    assert time.perf_counter() - start < 1.5
    assert r.status == "correct"
    assert len(r.steps) == 1000 and r.first_wrong is None
    assert r.steps[-1].valid is None and r.steps[-1].note == "not checked: out of time"


def test_a_derivation_gets_at_most_steps_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check_module, "STEPS_TIMEOUT", 0.05 + check_module._STEPS_MARGIN)  # the 2 s cap, scaled down
    start = time.perf_counter()
    r = check_answer(_long_derivation(1000), "(x+1)**2", target="f'(x)", timeout=30)
    assert time.perf_counter() - start < 1.0
    assert r.status == "correct" and any(s.valid is None for s in r.steps) and r.first_wrong is None


def test_steps_cross_the_worker_boundary() -> None:
    case = next(c for c in CORPUS["derivations"] if c["label"]["first_wrong"] == 3)
    q = CORPUS["questions"][case["question"]]
    with SymbolicPool(size=1) as pool:
        r = pool.check_sync(case["answer"], q["expected"], definitions=q.get("definitions"), target=q.get("target"),
                            form=q.get("form"), mistakes=q.get("mistakes"))
    assert r.first_wrong == 3 and r.steps[3].valid is False and r.steps[3].latex == r"\frac{e^{-x}}{1 + e^{-x}}"


def test_grade_answer_steps_prints_the_chain() -> None:
    case = next(c for c in CORPUS["derivations"] if c["label"]["first_wrong"] == 3)
    grade = [sys.executable, "-m", "grader.cli"] if not (Path(sys.executable).parent / "grade").exists() \
        else [str(Path(sys.executable).parent / "grade")]
    args = ["answer", "-a", "derivatives-activations", "-q", "sigmoid_derivative_symbolic"]
    p = subprocess.run([*grade, *args, "--steps", "-"], input=case["answer"], capture_output=True, text=True, check=False)
    assert p.returncode == 1, p.stderr
    lines = p.stdout.splitlines()
    assert "  steps (4):" in lines
    assert "    ✓ 0  -u^{-2} \\cdot \\frac{du}{dx}   (first step)" in lines
    assert any(line.startswith("    ✗ 3  \\frac{e^{-x}}{1 + e^{-x}}   (from `") for line in lines)
    p = subprocess.run([*grade, *args, "-f", "json", "-"], input=case["answer"], capture_output=True, text=True, check=False)
    out = json.loads(p.stdout)
    assert out["first_wrong"] == 3 and [s["valid"] for s in out["steps"]] == [True, True, True, False]


def test_the_corpus_holds_every_kind_of_derivation() -> None:
    ds = CORPUS["derivations"]
    labels = [d["label"] for d in ds]
    assert len(ds) >= 20
    assert any(lb["first_wrong"] is None and lb["status"] == "correct" for lb in labels)
    assert any(lb["first_wrong"] is not None and lb["status"] != "correct" for lb in labels)  # a slip
    assert sum(1 for lb in labels if lb.get("needs_review")) >= 3  # right answers through a wrong step
    assert any("Let " in d["answer"] or "Write $" in d["answer"] for d in ds)  # helper definitions
    assert any("\\begin{align" in d["answer"] for d in ds)
    assert len({d["question"] for d in ds}) >= 6
