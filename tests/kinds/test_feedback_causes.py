"""Feedback that is right about the cause, graded through the real kernel: non-finite results cross
the kernel boundary as values, a NaN is blamed on what the values show (a division by zero is not an
overflow), a NumPy course hears about arrays, a notebook variable gets no empty label, an input
changed in place costs the default penalty and is said in every format, and a loss question forbids
torch's loss, not the building blocks a careful answer is made of."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import nbformat
import pytest
from conftest import by_id, grade
from variants import ROOT, Variant

from grader.grading.pipeline import grade_notebook
from grader.kinds import load_assignment
from grader.report import render
from grader.results import GradeResult
from grader.spec.find import bundled_assignments

UDL = ROOT / "assignments"
STUDENT_FORMATS = ("text", "markdown", "html", "gradescope", "json")


def _notebook(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), path)
    return path


def _shown(result: GradeResult, fmt: str) -> str:
    """What a format shows, with its escaping undone (markdown's \\`, JSON's \\u escapes, HTML entities)."""
    text = render(result, fmt)
    if fmt == "json":
        return json.dumps(json.loads(text), ensure_ascii=False)
    return html.unescape(text) if fmt == "html" else text.replace("\\", "")


SCALARS = """id: scalars
title: Scalars
array_library: numpy
questions:
""" + "".join(f"""  - id: {name}
    kind: function
    function: {name}
    args: [x]
    reference: "x.sum()"
    probes: [{{name: pair, label: "x = [1, -1]", inputs: {{x: {{values: [1.0, -1.0], dtype: float64}}}}}}]
""" for name in ("py_inf", "np_nan", "np32_neg_inf", "neg_zero", "listed_nan"))


@pytest.mark.notebook
def test_non_finite_scalars_cross_the_kernel_boundary_as_values(tmp_path: Path) -> None:
    """inf, NaN and -0.0 returned as Python or NumPy scalars (or inside a list) are compared as the
    values they are: -0.0 is the right 0, the others are wrong values, never a malformed reply."""
    (tmp_path / "a.yaml").write_text(SCALARS)
    cell = ("import numpy as np\n"
            "def py_inf(x): return float('inf')\n"
            "def np_nan(x): return np.float64('nan')\n"
            "def np32_neg_inf(x): return np.float32('-inf')\n"
            "def neg_zero(x): return -0.0\n"
            "def listed_nan(x): return [float('nan')]\n")
    result = grade_notebook(_notebook(tmp_path, cell), load_assignment(tmp_path / "a.yaml"))
    q = by_id(result)
    assert q["neg_zero"].status == "passed" and q["neg_zero"].score == 1
    for qid, got in (("py_inf", "inf"), ("np_nan", "nan"), ("np32_neg_inf", "-inf"), ("listed_nan", "nan")):
        assert q[qid].status == "failed" and not q[qid].needs_review, (qid, q[qid].feedback)
        assert f"expected 0, got {got}." in q[qid].feedback, (qid, q[qid].feedback)
        assert "malformed" not in q[qid].feedback and "could not read" not in q[qid].feedback


@pytest.mark.notebook
def test_adam_counting_steps_from_zero_is_a_division_by_zero_not_an_overflow(tmp_path: Path) -> None:
    """UDL 6.5: m / (1 − β^t) with t from 0 divides by 1 − β⁰ = 0 at the first step. The inputs are
    small, so the feedback must not call it an overflow; it names the division by zero."""
    v = Variant("adam_beta_from_zero", [("np.power(beta, c_step + 1)", "np.power(beta, c_step)"),
                                        ("np.power(gamma, c_step + 1)", "np.power(gamma, c_step)")],
                seed=UDL / "udl-6-5-adam" / "solution.ipynb")
    q = by_id(grade(v.build(tmp_path), "udl-6-5-adam"))
    for qid in ("adam", "grad_path1@adam"):  # the function's probes and the path the notebook's cell builds
        assert q[qid].score == 0 and q[qid].status == "failed"
        assert "got nan" in q[qid].feedback and "has NaN where the answer is finite" in q[qid].feedback
        assert "1 − β⁰" in q[qid].feedback and "overflowed" not in q[qid].feedback, q[qid].feedback
    assert q["normalized_gradients"].score == q["normalized_gradients"].max_score


@pytest.mark.notebook
def test_a_numpy_course_hears_about_arrays_and_a_notebook_value_gets_no_empty_label(tmp_path: Path) -> None:
    """UDL 5.2 with the NLL as the log of a product and its sign flipped: on 3000 labels the product
    underflows to 0 (log 0), and the notebook's `nll` is the wrong sign."""
    old = "nll = -np.sum(y_train * np.log(lambda_param) + (1 - y_train) * np.log(1.0 - lambda_param))"
    new = "nll = np.log(np.prod(lambda_param ** y_train * (1 - lambda_param) ** (1 - y_train)))"
    v = Variant("nll_log_of_product", [(old, new)], seed=UDL / "udl-5-2-bce" / "solution.ipynb")
    result = grade(v.build(tmp_path), "udl-5-2-bce")
    q = by_id(result)
    nll_fn = q["compute_negative_log_likelihood"].feedback
    assert "lambda_param=<array of shape (1, 3000)" in nll_fn and "tensor" not in nll_fn
    assert "got -inf" in nll_fn and "log of 0" in nll_fn and "overflowed" not in nll_fn
    assert q["compute_negative_log_likelihood"].score == 0
    nll = q["nll"].feedback
    assert "is wrong: expected 9.563639, got -9.563639." in nll and "for :" not in nll, nll
    for fmt in STUDENT_FORMATS:
        assert "tensor" not in _shown(result, fmt), fmt  # not a word a NumPy student should read


@pytest.mark.notebook
def test_a_udl_heaviside_that_overwrites_its_argument_loses_the_default_penalty_in_every_format(tmp_path: Path) -> None:
    """UDL 3.4 has no rubric: the default mutation penalty (a quarter) still applies, and the note says
    so in every report a student reads."""
    v = Variant("heaviside_in_place", [("activation = (preactivation >= 0).astype(int)",
                                        "preactivation[:] = preactivation >= 0\n  activation = preactivation")],
                seed=UDL / "udl-3-4-activations" / "solution.ipynb")
    result = grade(v.build(tmp_path), "udl-3-4-activations")
    heaviside = by_id(result)["heaviside"]
    assert heaviside.score == 1.5 and heaviside.max_score == 2 and heaviside.status == "partial"
    note = "`heaviside` modified its input `preactivation` in place"
    assert note in heaviside.feedback and "(−0.5 points)" in heaviside.feedback
    for fmt in STUDENT_FORMATS:
        assert note in _shown(result, fmt), fmt


RUBRIC_FREE = """id: in-place
title: In place
rubric: r.yaml
questions:
  - id: relu
    kind: function
    points: 2
    function: relu
    args: [x]
    reference: "torch.relu(x)"
    probes: [{name: random, label: "random x in [-5, 5]", inputs: {x: {uniform: [-5, 5], shape: [8]}}}]
"""


@pytest.mark.notebook
def test_a_mutation_note_without_a_deduction_still_reaches_the_markdown_and_html_feedback(tmp_path: Path) -> None:
    """A rubric may set the mutation penalty to 0 (report, do not deduct): the question keeps full
    marks, and the note is still in the student's feedback file (markdown, html), not only the text."""
    (tmp_path / "a.yaml").write_text(RUBRIC_FREE)
    (tmp_path / "r.yaml").write_text("assignment: in-place\npenalties: {mutates_input: 0}\n")
    cell = "import torch\ndef relu(x):\n    x.clamp_(min=0)\n    return x\n"
    result = grade_notebook(_notebook(tmp_path, cell), load_assignment(tmp_path / "a.yaml"))
    [relu] = result.questions
    assert relu.score == relu.max_score == 2 and relu.status == "passed"
    for fmt in STUDENT_FORMATS:
        assert "`relu` modified its input `x` in place" in _shown(result, fmt), fmt


@pytest.mark.notebook
def test_a_loss_question_forbids_torchs_loss_not_its_building_blocks(tmp_path: Path) -> None:
    """softplus in BCE with logits and log_softmax in cross-entropy are correct, careful answers (full
    marks); torch's own NLL loss inside `nll_loss` is the exercise done by torch (the forbidden-call
    penalty)."""
    v = Variant("losses_from_building_blocks", [
        ("loss = torch.clamp(z, min=0) - z * y + torch.log1p(torch.exp(-torch.abs(z)))",
         "loss = torch.nn.functional.softplus(z) - z * y"),
        ("log_probs = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))",
         "log_probs = torch.log_softmax(logits, dim=1)"),
        ("return -chosen.mean()", "return torch.nn.functional.nll_loss(log_probs, target)"),
    ], seed=ROOT / "examples" / "losses_solution.ipynb")
    q = by_id(grade(v.build(tmp_path), "losses"))
    for qid in ("bce_with_logits_loss", "cross_entropy_loss"):
        assert q[qid].score == q[qid].max_score and q[qid].status == "passed", (qid, q[qid].feedback)
    assert q["nll_loss"].score < q["nll_loss"].max_score
    assert "`nll_loss` calls `torch.nn.functional.nll_loss`" in q["nll_loss"].feedback


def test_leaky_relu_from_relu_is_a_correct_answer_but_torchs_own_leaky_relu_is_not(tmp_path: Path) -> None:
    """relu(x) - a * relu(-x) composes the exercise from a building block (full marks); calling
    F.leaky_relu is the exercise done by torch (the forbidden-call penalty)."""
    composed = Variant("leaky_from_relu", [("    return torch.where(x > 0, x, negative_slope * x)",
                                            "    return torch.relu(x) - negative_slope * torch.relu(-x)")],
                       seed=ROOT / "examples" / "activations_solution.ipynb")
    q = by_id(grade(composed.build(tmp_path), "activations"))["leaky_relu"]
    assert q.score == q.max_score and q.status == "passed", q.feedback
    (tmp_path / "b").mkdir()
    torch_own = Variant("leaky_from_torch", [("    return torch.where(x > 0, x, negative_slope * x)",
                                              "    return torch.nn.functional.leaky_relu(x, negative_slope)")],
                        seed=ROOT / "examples" / "activations_solution.ipynb")
    q = by_id(grade(torch_own.build(tmp_path / "b"), "activations"))["leaky_relu"]
    assert q.score < q.max_score and "torch.nn.functional.leaky_relu" in q.feedback, q.feedback


_CLAIM = re.compile(r"([^\W\d]\w*)\s*=\s*(\[[^\]]*\]|[-\d.e]+(?:,\s*[-\d.e]+(?=,|\s|$))*)")  # "x = -2, 0, 3", "y = [1, 0]"
_PLUS_MINUS = re.compile(r"±(\d+(?:\.\d+)?)")  # "large |x| (±30, ±100)"


def _numbers(values: object) -> list[float]:
    if isinstance(values, (list, tuple)):
        return [x for v in values for x in _numbers(v)]
    return [float(values)] if isinstance(values, (int, float)) and not isinstance(values, bool) else []


def _label_claims(q: object, p: object) -> list[tuple[str, float, list[float]]]:
    """(what the label says, a number it lists, the values that number must be among) for a probe
    made of literal values: `name = ...` of an argument or keyword (any name, when the probe has a
    single input), and `±n` of any input."""
    literal = {k: _numbers(s.values if s.values is not None else s.value) for k, s in p.inputs.items()
               if s.values is not None or s.value is not None}
    literal.update({k: _numbers(v) for k, v in p.kwargs.items()})
    everything = [x for vs in literal.values() for x in vs]
    claims = []
    only = list(literal.values()) if len(p.inputs) == 1 and not p.kwargs else []  # "z = ..." for `preactivation`
    for m in _CLAIM.finditer(p.label or ""):
        among = literal.get(m.group(1)) or (only[0] if only else None)
        if among is not None:
            claims += [(m.group(0), float(n), among) for n in re.findall(r"-?[\d.]+(?:e-?\d+)?", m.group(2))]
    for m in _PLUS_MINUS.finditer(p.label or ""):
        claims += [(m.group(0), sign * float(m.group(1)), everything) for sign in (1, -1)]
    return claims


def test_no_bundled_probe_label_lists_a_point_the_probe_does_not_contain() -> None:
    """Feedback says "On x = -2, 0, 3: ..." or "On large |x| (±30, ±100): ...": a point named there
    that the probe never passes would send a student looking for a bug at the wrong input."""
    checked, wrong = 0, []
    for path in bundled_assignments().values():
        a = load_assignment(path)
        for q in a.questions:
            for p in getattr(q, "probes", None) or []:
                for text, n, among in _label_claims(q, p):
                    checked += 1
                    if not any(abs(n - v) <= 1e-6 * max(1.0, abs(v)) for v in among):
                        wrong.append(f"{a.id} {q.id} {p.name}: {p.label!r} lists {n:g} ({text})")
    assert checked > 50 and not wrong, wrong
