"""Matrix and index notation (issue #19, item 4): a question that declares its vectors and indices
(``vectors: {p: softmax}``, ``indices: [i, j]``) reads ``diag(p) − ppᵀ`` as a matrix and compares
it with the expected entry (i, j) on random sizes and softmax vectors, so the softmax Jacobian is
decided in every notation a student uses, and a wrong form is "not equivalent", never undecided."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp
import yaml

from grader.errors import SpecError
from grader.kinds.symbolic import SymbolicKind, SymbolicQuestion
from grader.symbolic import check_answer, latex_to_sympy

ROOT = Path(__file__).resolve().parents[2]
SOFTMAX = yaml.safe_load((ROOT / "tests" / "symbolic_corpus.yaml").read_text(encoding="utf-8"))["questions"]["softmax"]


def _softmax(answer: str, **overrides):
    q = {**SOFTMAX, **overrides}
    return check_answer(answer, q["expected"], target=q["target"], aliases=q["aliases"], assumptions=q["assumptions"],
                        mistakes=q["mistakes"], indices=q.get("indices"), vectors=q.get("vectors"))


RIGHT = [
    r"$$\frac{\partial \mathbf{p}}{\partial \mathbf{z}} = \operatorname{diag}(\mathbf{p}) - \mathbf{p}\mathbf{p}^T$$",
    r"$$J = \operatorname{diag}(\mathbf{p}) - \mathbf{p}\mathbf{p}^\top$$",
    r"$$\text{diag}(p) - p\, p^{\mathsf{T}}$$",
    r"$$\mathrm{diag}(\mathbf{s}) - \mathbf{s} \cdot \mathbf{s}^{\intercal}$$",  # s is an alias of p
    r"$$-\mathbf{p}\mathbf{p}^T + \operatorname{diag}(\mathbf{p})$$",
    r"$$\frac{\partial p_i}{\partial z_j} = p_i(\delta_{ij} - p_j)$$",
    r"$$\frac{\partial p_i}{\partial z_j} = \begin{cases} p_i(1-p_i) & i = j \\ -p_i p_j & i \neq j \end{cases}$$",
]

WRONG = [
    (r"$$\operatorname{diag}(\mathbf{p}) + \mathbf{p}\mathbf{p}^T$$", "at n = 2, i = 1, j = 1 your answer gives"),
    (r"$$\mathbf{p}\mathbf{p}^T - \operatorname{diag}(\mathbf{p})$$", "at n = 2, i = 1, j = 1 your answer gives"),
    (r"$$\frac{\partial p_i}{\partial z_j} = p_i(\delta_{ij} - p_i)$$", "at n = 2, i = 1, j = 2 your answer gives"),
    (r"$$\begin{cases} p_i(1-p_i) & i = j \\ p_i p_j & i \neq j \end{cases}$$", "at n = 2, i = 1, j = 2"),
    (r"$$\operatorname{diag}(\mathbf{p})\,\mathbf{p}$$", "at n = 2 your answer is a 2×1 matrix, but the answer is 2×2."),
]


@pytest.mark.parametrize("answer", RIGHT)
def test_every_notation_of_the_softmax_jacobian_is_correct(answer: str) -> None:
    r = _softmax(answer)
    assert (r.status, r.equivalent) == ("correct", True), r.feedback


@pytest.mark.parametrize(("answer", "witness"), WRONG)
def test_wrong_forms_are_not_equivalent_with_an_entry_as_witness(answer: str, witness: str) -> None:
    r = _softmax(answer)
    assert (r.status, r.equivalent) == ("wrong", False), r.feedback
    assert witness in r.feedback
    assert "which the answer should not depend on" not in r.feedback  # p is the question's vector


def test_without_the_declaration_matrix_notation_stays_undecided() -> None:
    r = _softmax(RIGHT[0], vectors=None, indices=None)
    assert r.status == "undecided" and r.needs_review
    assert latex_to_sympy("p^T p") == sp.Symbol("p") * sp.Symbol("p") ** sp.Symbol("T")  # ^T is a power


def test_row_vectors_are_read_when_only_they_make_sense() -> None:
    # pᵀp is a number for column vectors, so diag(p) − pᵀp only makes sense with rows: the outer product
    assert _softmax(r"$$\operatorname{diag}(\mathbf{p}) - \mathbf{p}^T\mathbf{p}$$").status == "correct"
    assert _softmax(r"$$\mathbf{p}^T\mathbf{p} - \operatorname{diag}(\mathbf{p})$$").status == "wrong"
    # a matrix times an entry's δ_ij has no clear meaning: a TA reads it, it is never guessed
    r = _softmax(r"$$\frac{\partial p_i}{\partial z_j} = \mathbf{p}^T\mathbf{p}\,\delta_{ij}$$")
    assert r.status == "undecided" and r.needs_review


def test_a_vector_answer_with_one_index_and_a_one_hot_label() -> None:
    kw = dict(target=r"\frac{\partial L}{\partial z_i}", vectors={"p": "softmax", "y": "onehot"}, indices=["i"])
    assert check_answer(r"$$\frac{\partial L}{\partial \mathbf{z}} = \mathbf{p} - \mathbf{y}$$", "p_i - y_i",
                        **kw).status == "correct"
    assert check_answer(r"$$\mathbf{y} - \mathbf{p}$$", "p_i - y_i", **kw).status == "wrong"
    # Σ_k y_k = 1 for a one-hot y: the step is valid only because the label is drawn one-hot
    r = check_answer(r"$$\frac{\partial L}{\partial z_i} = \sum_k y_k(p_i - \delta_{ik}) = p_i - y_i$$",
                     "p_i - y_i", **kw)
    assert r.status == "correct" and [s.valid for s in r.steps] == [True, True]


def test_steps_mix_matrix_and_index_notation() -> None:
    ok = _softmax(r"""$$\frac{\partial p_i}{\partial z_j} = p_i\delta_{ij} - p_i p_j$$
$$\frac{\partial \mathbf{p}}{\partial \mathbf{z}} = \operatorname{diag}(\mathbf{p}) - \mathbf{p}\mathbf{p}^T$$""")
    assert ok.status == "correct" and [s.valid for s in ok.steps] == [True, True]
    slip = _softmax(r"""$$\frac{\partial p_i}{\partial z_j} = \operatorname{diag}(\mathbf{p}) - \mathbf{p}\mathbf{p}^T
= p_i\delta_{ij} - p_i p_i = p_i(\delta_{ij} - p_i)$$""")
    assert slip.status == "wrong" and slip.first_wrong == 1
    assert "first goes wrong at step 1: from `\\operatorname{diag}(\\mathbf{p}) - \\mathbf{p}\\mathbf{p}^T` to" \
        in slip.feedback


def test_the_question_model_carries_the_declaration_and_rejects_a_bad_one() -> None:
    spec = dict(id="jac", answer={"tag": "jac"}, expected=SOFTMAX["expected"], target=SOFTMAX["target"],
                vectors={"p": "softmax"}, indices=["i", "j"])
    q = SymbolicQuestion(**spec)
    r = check_answer(RIGHT[1], q.expected, **q.settings())
    assert r.status == "correct"
    with pytest.raises(SpecError, match="kind 'dirichlet' is not one of"):
        SymbolicKind().prepare(SymbolicQuestion(**{**spec, "vectors": {"p": "dirichlet"}}), None)
    with pytest.raises(SpecError, match="one or two distinct letters"):
        SymbolicKind().prepare(SymbolicQuestion(**{**spec, "indices": ["i", "j", "k"]}), None)
