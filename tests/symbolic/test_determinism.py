"""A verdict is a function of the answer and the question alone.

Grading runs symbolic checks in worker processes, each with its own string-hash seed, so which
worker read an answer must not matter: not its hash seed (set iteration order once decided
whether ``\\Phi`` read as ``\\phi``), not the order answers arrive in, not what it checked
before. The whole corpus runs in subprocesses under several ``PYTHONHASHSEED`` values and in
shuffled order here, and every result (status, feedback with its witness point, what was read)
must be the same. Then ``\\Phi`` vs ``\\phi`` and the other Greek pairs, and aliases written in
LaTeX in an assignment's YAML.

Run as a script, this file prints the corpus results as JSON (what the subprocesses do).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import sympy as sp
import yaml

from grader.errors import SpecError
from grader.kinds import get_kind, load_assignment
from grader.kinds.symbolic import SymbolicQuestion
from grader.symbolic import check_answer
from grader.symbolic.sampling import make_plan, points

pytestmark = pytest.mark.xdist_group("symbolic-determinism")

ROOT = Path(__file__).resolve().parents[2]
CORPUS = yaml.safe_load((ROOT / "tests" / "symbolic_corpus.yaml").read_text(encoding="utf-8"))
HASH_SEEDS = ("0", "1", "2", "6")  # 1, 2 and 6 read the GELU' answer's \Phi as \phi before the fix
# generous: only the answer may decide here, never how loaded the machine is
TIMEOUT = 30.0
PHI = {"Phi(x)": "(1 + erf(x/sqrt(2)))/2", "phi(x)": "exp(-x**2/2)/sqrt(2*pi)"}


def corpus_results(order: Iterable[int]) -> dict[int, list[Any]]:
    """Case index -> everything a student or TA sees of its result, checked in ``order``."""
    out = {}
    for i in order:
        case = CORPUS["cases"][i]
        q = CORPUS["questions"][case["question"]]
        r = check_answer(case["answer"], q["expected"], definitions=q.get("definitions"), target=q.get("target"),
                         aliases=q.get("aliases"), assumptions=q.get("assumptions"),
                         conventions=q.get("conventions"), form=q.get("form"), mistakes=q.get("mistakes"),
                         indices=q.get("indices"), vectors=q.get("vectors"), timeout=TIMEOUT)
        out[i] = [r.status, r.equivalent, r.feedback, r.answer_latex, r.parsed, r.mistake, r.needs_review]
    return out


def _differences(got: dict[int, list[Any]], want: dict[int, list[Any]]) -> list[str]:
    return [f"case {i} ({CORPUS['cases'][i]['question']}): {got.get(i)} != {want[i]}"
            for i in sorted(want) if got.get(i) != want[i]]


@pytest.fixture(scope="module")
def by_hash_seed() -> dict[str, dict[int, list[Any]]]:
    """The corpus results in one fresh process per hash seed (run side by side)."""
    procs = {seed: subprocess.Popen([sys.executable, __file__], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed})
             for seed in HASH_SEEDS}
    out = {}
    for seed, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
        out[seed] = {int(k): v for k, v in json.loads(stdout).items()}
    return out


# --------------------------------------------------------------------------- the whole corpus

def test_the_corpus_reads_the_same_under_every_hash_seed(by_hash_seed: dict[str, dict[int, list[Any]]]) -> None:
    first = by_hash_seed[HASH_SEEDS[0]]
    assert len(first) == len(CORPUS["cases"])
    for seed in HASH_SEEDS[1:]:
        diff = _differences(by_hash_seed[seed], first)
        assert not diff, f"PYTHONHASHSEED={seed} vs {HASH_SEEDS[0]}:\n" + "\n".join(diff[:10])
    wrong = [f"case {i}: {CORPUS['cases'][i]['verdict']} labelled, {r[0]} given" for i, r in first.items()
             if not CORPUS["cases"][i].get("xfail") and r[0] != CORPUS["cases"][i]["verdict"]]
    assert not wrong, "\n".join(wrong)


def test_the_corpus_reads_the_same_in_any_order_in_one_process(
        by_hash_seed: dict[str, dict[int, list[Any]]]) -> None:
    """Shuffled, then reversed, in this process (whatever its own hash seed): caches, counters
    and earlier checks leave no trace in a later verdict."""
    want = by_hash_seed[HASH_SEEDS[0]]
    order = list(range(len(CORPUS["cases"])))
    random.Random(14).shuffle(order)
    for run in (order, order[::-1]):
        diff = _differences(corpus_results(run), want)
        assert not diff, "\n".join(diff[:10])


def test_sample_points_depend_only_on_what_is_compared() -> None:
    x, y = sp.symbols("x y")

    def drawn() -> list:
        plan = make_plan([sp.Piecewise((x, x > 0), (0, True)) + y], {"y": {"values": [0, 1]}})
        return [(p.scalars, p.vectors) for p in points(plan)]

    before = drawn()
    random.seed(1)
    points(make_plan([x * y + sp.exp(x)]))  # another comparison in between
    assert drawn() == before
    assert len({scalars["x"] for scalars, _ in before}) > 20  # really sampled, not a handful of fixed values


# --------------------------------------------------------------------------- \Phi is not \phi

def test_the_gelu_derivative_in_Phi_and_phi_is_correct() -> None:
    res = check_answer(r"$$\Phi(x)+\frac{x}{\sqrt{2\pi}}e^{-x^2/2}$$", "Phi(x) + x*phi(x)", definitions=PHI,
                       target=r"\text{GELU}'(x)")
    assert res.status == "correct", res.feedback


@pytest.mark.parametrize("upper", ["Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Upsilon", "Phi", "Psi",
                                   "Omega"])
def test_upper_and_lower_case_greek_letters_are_different_functions(upper: str) -> None:
    lower = upper.lower()
    settings = {"definitions": {f"{upper}(x)": "exp(x)", f"{lower}(x)": "x**2"}}
    expected = f"{upper}(x) + 2*{lower}(x)"
    right = check_answer(rf"$$\{upper}(x) + 2\{lower}(x)$$", expected, **settings)
    assert right.status == "correct", right.feedback
    swapped = check_answer(rf"$$\{lower}(x) + 2\{upper}(x)$$", expected, **settings)
    assert swapped.status == "wrong", swapped.feedback


def test_a_capital_Phi_is_not_the_question_s_phi() -> None:
    res = check_answer(r"$$x\Phi(x)$$", "x*phi(x)", definitions={"phi(x)": PHI["phi(x)"]})
    assert res.status == "wrong"
    assert "It uses Phi" in res.feedback


def test_an_alias_may_make_Phi_mean_phi() -> None:
    res = check_answer(r"$$x\Phi(x)$$", "x*phi(x)", definitions={"phi(x)": PHI["phi(x)"]},
                       aliases={"phi": [r"\Phi"]})
    assert res.status == "correct", res.feedback


@pytest.mark.parametrize("answer", [r"$$\Phi'(x) = \phi(x)$$ and $$\phi'(x) = -x\phi(x)$$",
                                    r"$$\phi'(x) = -x\phi(x)$$ and $$\Phi'(x) = \phi(x)$$"])
def test_the_target_line_is_Phi_prime_not_phi_prime(answer: str) -> None:
    res = check_answer(answer, "phi(x)", definitions=PHI, target=r"\Phi'(x)")
    assert res.status == "correct", res.feedback
    assert res.answer_latex == r"\phi(x)"


def test_a_required_Phi_names_the_capital_letter() -> None:
    res = check_answer(r"$$\frac12\left(1+\text{erf}(x/\sqrt2)\right)$$", "Phi(x)", definitions=PHI,
                       form={"require": ["Phi"]})
    assert res.status == "wrong_form"
    assert "in terms of Φ(x)" in res.feedback
    assert check_answer(r"$$\phi(x)$$", "phi(x)", definitions=PHI, form={"require": ["Phi"]}).status == "wrong_form"


def test_words_still_ignore_case() -> None:
    res = check_answer(r"$$\text{Relu}'(x) = \begin{cases} 1 & x > 0 \\ 0 & x < 0 \end{cases}$$",
                       "Piecewise((1, x > 0), (0, True))", target=r"\text{ReLU}'(x)")
    assert res.status == "correct", res.feedback


# --------------------------------------------------------------------------- aliases in an assignment's YAML

ASSIGNMENT = r"""
id: latex-aliases
title: Aliases written as in the sheet
questions:
  - id: bce
    kind: symbolic
    answer: {tag: bce}
    expected: "(y_pred - y)/(y_pred*(1 - y_pred))"
    target: '\frac{\partial L}{\partial y_{pred}}'
    aliases: {ALIASES_BCE}
    assumptions:
      y_pred: {interval: [0, 1], open: true}
      y: {values: [0, 1]}
  - id: ridge
    kind: symbolic
    answer: {tag: ridge}
    expected: "(w*x - y)*x + lam*w"
    target: '\frac{\partial L}{\partial w}'
    aliases: {ALIASES_RIDGE}
"""
AS_LATEX = {"ALIASES_BCE": r"""{'y_{pred}': ['\hat{y}', '\mathbf{p}', yhat]}""", "ALIASES_RIDGE": r"{lam: '\lambda'}"}
AS_NAMES = {"ALIASES_BCE": "{y_pred: [y_hat, p, yhat]}", "ALIASES_RIDGE": "{lam: [lambda]}"}


def _assignment(tmp_path: Path, aliases: dict[str, str]) -> dict[str, SymbolicQuestion]:
    text = ASSIGNMENT
    for key, value in aliases.items():
        text = text.replace("{" + key + "}", value)
    path = tmp_path / "latex-aliases.yaml"
    path.write_text(text, encoding="utf-8")
    assignment = load_assignment(path)
    for q in assignment.questions:
        get_kind(q.kind).prepare(q, assignment)
    return {q.id: q for q in assignment.questions}


@pytest.mark.parametrize("aliases", [AS_LATEX, AS_NAMES], ids=["latex", "names"])
@pytest.mark.parametrize("qid, answer, status", [
    ("bce", r"$$\frac{\partial L}{\partial \hat{y}} = \frac{\hat{y} - y}{\hat{y}(1 - \hat{y})}$$", "correct"),
    ("bce", r"$$\frac{\partial L}{\partial \mathbf{p}} = \frac{\mathbf{p} - y}{\mathbf{p}(1 - \mathbf{p})}$$",
     "correct"),
    ("bce", r"$$\frac{\partial L}{\partial yhat} = \frac{y - yhat}{yhat(1 - yhat)}$$", "wrong"),
    ("bce", r"$$\frac{\partial L}{\partial q} = \frac{q - y}{q(1 - q)}$$", "wrong"),
    ("ridge", r"$$\frac{\partial L}{\partial w} = x(wx - y) + \lambda w$$", "correct"),
    ("ridge", r"$$\frac{\partial L}{\partial w} = x(wx - y) - \lambda w$$", "wrong"),
])
def test_aliases_from_the_yaml_as_latex_or_names(tmp_path: Path, aliases: dict[str, str], qid: str, answer: str,
                                                 status: str) -> None:
    q = _assignment(tmp_path, aliases)[qid]
    res = check_answer(answer, q.expected, timeout=q.timeout, **q.settings())
    assert res.status == status, res.feedback


def test_an_alias_that_is_not_one_symbol_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"question ridge: cannot read the alias `\\lambda \+ 1`"):
        _assignment(tmp_path, {**AS_LATEX, "ALIASES_RIDGE": r"{lam: ['\lambda + 1']}"})


def test_grade_answer_reads_latex_aliases_from_the_assignment(tmp_path: Path) -> None:
    _assignment(tmp_path, AS_LATEX)
    proc = subprocess.run([sys.executable, "-m", "grader", "answer", "-a", str(tmp_path / "latex-aliases.yaml"),
                           "-q", "ridge", r"$$\frac{\partial L}{\partial w} = x(wx - y) + \lambda w$$"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("correct")


if __name__ == "__main__":
    json.dump(corpus_results(range(len(CORPUS["cases"]))), sys.stdout)
