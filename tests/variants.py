"""Variants of the solved seed notebook, built at test time by exact text edits.

Each edit must match exactly once in the seed, so a change to the seed makes these tests fail
loudly instead of silently testing nothing. `broken` lists the questions that must lose points;
every other question must keep full marks.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "derivatives_activations_solved.ipynb"


@dataclass
class Variant:
    name: str
    edits: list[tuple[str, str]] = field(default_factory=list)  # (old, new) text replacements in cell sources
    broken: dict[str, list[str]] = field(default_factory=dict)  # question id -> substrings its feedback must contain
    transform: Callable[[nbformat.NotebookNode], None] | None = None
    partial: set[str] = field(default_factory=set)  # broken questions that keep some points
    seed: Path = SEED  # the solution notebook the edits apply to

    def build(self, dest: Path) -> Path:
        nb = nbformat.read(self.seed, as_version=4)
        for old, new in self.edits:
            hits = [c for c in nb.cells if old in c.source]
            count = sum(c.source.count(old) for c in hits)
            assert count == 1, f"{self.name}: edit {old!r} matches {count} times in {self.seed.name}"
            hits[0].source = hits[0].source.replace(old, new)
        if self.transform:
            self.transform(nb)
        path = dest / f"{self.name}.ipynb"
        path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
        return path


def variants_of(seed: Path) -> Callable[..., Variant]:
    """A short constructor for the variants of one solution notebook: v(name, edits, broken, partial)."""
    def make(name: str, edits: list[tuple[str, str]] | None = None, broken: dict[str, list[str]] | None = None,
             partial: set[str] | None = None) -> Variant:
        return Variant(name, edits or [], broken or {}, partial=partial or set(), seed=seed)
    return make


def _cell_index(nb: nbformat.NotebookNode, needle: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if needle in c.source)


def _reorder_split_duplicate(nb: nbformat.NotebookNode) -> None:
    """What students do to a notebook: split a cell, duplicate one, move a section, reuse cell ids."""
    i = _cell_index(nb, "def f_prime(x):")
    src = nb.cells[i].source
    first, rest = src.split("def f_prime(x):", 1)
    nb.cells[i].source = first
    nb.cells.insert(i + 1, nbformat.v4.new_code_cell("def f_prime(x):" + rest))
    j = _cell_index(nb, "def sigmoid(x):")
    dup = copy.deepcopy(nb.cells[j])
    nb.cells.insert(j + 1, dup)  # same id twice, as when a student copies a cell between notebooks
    # move the whole ReLU section (heading to its code) after the BCE section
    start = _cell_index(nb, "## 4. ReLU Function")
    end = _cell_index(nb, "def relu(x):")
    section = nb.cells[start:end + 1]
    del nb.cells[start:end + 1]
    nb.cells.extend(section)


def _retitle(nb: nbformat.NotebookNode) -> None:
    for c in nb.cells:
        c.source = c.source.replace("## Sigmoid Function", "## Part 2: the logistic sigmoid")
        c.source = c.source.replace("**Your Solution:**", "**My answer:**")


BUGGY = [
    Variant("fprime_code_constant", [("return 9*x**2 - 4*x + 5", "return 9*x**2 - 4*x + 4")],
            {"f_prime": ["expected", "got", "x="]}),
    Variant("fprime_latex_constant", [("$$f'(x)=9x^2-4x+5$$", "$$f'(x)=9x^2-4x+4$$")],
            {"f_prime_symbolic": []}),
    Variant("sigmoid_deriv_code_plus", [("return s * (1 - s)", "return s * (1 + s)")],
            {"sigmoid_derivative": ["expected", "got", "σ'(x) = σ(x)(1 − σ(x))"]}),
    Variant("sigmoid_deriv_latex_plus",
            [(r"\boxed{\sigma'(x) = \sigma(x)\,\bigl(1 - \sigma(x)\bigr)}", r"\boxed{\sigma'(x) = \sigma(x)\,\bigl(1 + \sigma(x)\bigr)}")],
            {"sigmoid_derivative_symbolic": ["sign"]}),
    Variant("relu_deriv_code_flipped", [("return (x > 0).float()", "return (x <= 0).float()")],
            {"relu_derivative": ["expected", "got"]}),
    Variant("relu_deriv_latex_flipped",
            [("1 & \\text{if } x > 0, \\\\\n0 & \\text{if } x \\leq 0.", "0 & \\text{if } x > 0, \\\\\n1 & \\text{if } x \\leq 0.")],
            {"relu_derivative_symbolic": []}),
    Variant("bce_no_minus", [("return - (y * torch.log(y_pred + eps)", "return (y * torch.log(y_pred + eps)")],
            {"binary_cross_entropy": ["expected", "got", "y_pred="]}),
    Variant("bce_latex_sign", [("= \\frac{\\hat{y} - y}{\\hat{y}(1 - \\hat{y})}\n$$", "= \\frac{y - \\hat{y}}{\\hat{y}(1 - \\hat{y})}\n$$")],
            {"bce_derivative_symbolic": []}),
    Variant("bce_grad_is_dLdz", [("return - (y / (y_pred + eps)) + ((1 - y) / (1 - y_pred + eps))", "return y_pred - y")],
            {"bce_derivative": ["expected", "got"]}),
    Variant("cell_raises_before_def",
            [("def relu_derivative(x):", "relu_derivative_helper = undefined_name\n\ndef relu_derivative(x):")],
            {"relu_derivative": ["NameError", "undefined_name"]}),
    Variant("function_raises_when_called", [("return 9*x**2 - 4*x + 5", "return 9*x**2 - 4*x + 5 + offset")],
            {"f_prime": ["NameError", "offset", "line 5"]}),
    Variant("torch_patched_to_lie",
            [("import torch\nimport matplotlib.pyplot as plt",
              "import torch\nimport matplotlib.pyplot as plt\n"
              "torch.allclose = lambda *a, **k: True\ntorch.isclose = lambda a, b, *r, **k: torch.ones_like(a, dtype=torch.bool)\n"
              "torch.testing.assert_close = lambda *a, **k: None\ntorch.sigmoid = lambda x: x"),
             ("return 1 / (1 + torch.exp(-x))", "return 1 / (1 + torch.exp(x))")],
            # sigmoid_derivative reuses the wrong sigmoid, but σ(−x)(1 − σ(−x)) = σ(x)(1 − σ(x)): still right
            {"sigmoid": ["expected", "got"]}),
    Variant("relu_mutates_input", [("return torch.maximum(torch.tensor(0.0), x)", "x[x < 0] = 0\n    return x")],
            {"relu": ["modified its input", "in place"]}, partial={"relu"}),
]

CORRECT = [
    Variant("stable_sigmoid", [("return 1 / (1 + torch.exp(-x))",
                                "return torch.where(x >= 0, 1 / (1 + torch.exp(-x.abs())), torch.exp(-x.abs()) / (1 + torch.exp(-x.abs())))")]),
    Variant("tanh_sigmoid", [("return 1 / (1 + torch.exp(-x))", "return 0.5 * (1 + torch.tanh(x / 2))")]),
    Variant("clamp_relu", [("return torch.maximum(torch.tensor(0.0), x)", "return x.clamp(min=0)")]),
    Variant("relu_deriv_one_at_zero", [("return (x > 0).float()", "return (x >= 0).float()")]),
    Variant("float64_outputs", [("return 3*x**3 - 2*x**2 + 5*x - 4", "return (3*x**3 - 2*x**2 + 5*x - 4).double()"),
                                ("return s * (1 - s)", "return (s * (1 - s)).to(torch.float64)"),
                                ("return (x > 0).float()", "return (x > 0).double()")]),
    Variant("factored_fprime", [("return 9*x**2 - 4*x + 5", "return x * (9*x - 4) + 5"),
                                ("$$f'(x)=9x^2-4x+5$$", "$$f'(x) = x(9x - 4) + 5$$")]),
    Variant("sigmoid_latex_expanded",
            [(r"\boxed{\sigma'(x) = \sigma(x)\,\bigl(1 - \sigma(x)\bigr)}", r"\boxed{\sigma'(x) = \sigma(x) - \sigma^2(x)}")]),
    Variant("relu_latex_one_at_zero",
            [("1 & \\text{if } x > 0, \\\\\n0 & \\text{if } x \\leq 0.", "1 & \\text{if } x \\geq 0, \\\\\n0 & \\text{otherwise}")]),
    Variant("bce_mean_reduction",
            [("return - (y * torch.log(y_pred + eps) + (1 - y) * torch.log(1 - y_pred + eps))",
              "return (- (y * torch.log(y_pred + eps) + (1 - y) * torch.log(1 - y_pred + eps))).mean()")]),
    Variant("warnings_and_stderr",
            [("print('PyTorch version:', torch.__version__)",
              "print('PyTorch version:', torch.__version__)\nimport sys, warnings\n"
              "warnings.warn('this is only a warning')\nprint('some noise on stderr', file=sys.stderr)")]),
    Variant("reordered_split_duplicated", transform=_reorder_split_duplicate),
    Variant("retitled_sections", transform=_retitle),
]


def assert_verdicts(result, variant: Variant) -> None:
    """Broken questions lose points with feedback (and the needles in it); all others keep full marks."""
    for q in result.questions:
        if q.id in variant.broken:
            assert q.score < q.max_score, f"{q.id} should lose points: {q.feedback}"
            if q.id not in variant.partial:
                assert q.status != "passed"
            for needle in variant.broken[q.id]:
                assert needle in q.feedback, f"{q.id} feedback lacks {needle!r}: {q.feedback}"
            assert q.feedback.strip(), f"{q.id} lost points without feedback"
        else:
            assert q.score == q.max_score, f"{q.id} should keep full marks in {variant.name}: {q.status} {q.feedback}"
