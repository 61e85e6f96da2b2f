"""Blank stubs and several definitions, read from the notebook's syntax trees (no kernel)."""

from __future__ import annotations

import textwrap

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.notebook.attempt import (
    definitions,
    placeholder_definitions,
    solution_heading,
)


def _blank(body: str) -> bool:
    """Whether `def g(x):` with this body counts as a blank stub."""
    source = "def g(x):\n" + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ") + "\n"
    return "g" in placeholder_definitions(new_notebook(cells=[new_code_cell(source)]))


@pytest.mark.parametrize("body", [
    "pass",                                                   # the seed sheet's upstream blank
    "...",
    '"""Sigmoid of x."""',
    "# YOUR CODE HERE\nraise NotImplementedError",             # `grade release`'s stub
    "raise NotImplementedError('implement me')",
    "raise NotImplementedError()",
    "eps = 1e-8\npass",                                       # the upstream BCE stub
    "eps, scale = 1e-8, -1\nreturn",
    "return None",
    "# TODO write code to implement the sigmoid function\nactivation = None\n\nreturn activation",  # UDL style
    "result: float = None\nreturn result",
    ('"""Compute the sigmoid.\n\nParameters\n----------\nx : np.ndarray\n\nReturns\n-------\nnp.ndarray\n"""\n'
     "# TODO: implement\npass"),                              # NumPy-docstring style
])
def test_a_body_that_returns_nothing_is_blank(body: str) -> None:
    assert _blank(body), body


@pytest.mark.parametrize("body", [
    "return x",
    "return 0",                                               # a value: wrong, perhaps, but an answer
    "eps = 1e-8\nreturn -(x * torch.log(x + eps))",
    "activation = None\nactivation = np.exp(x)\nreturn activation",
    "activation = np.zeros_like(x)\nreturn activation",      # UDL's starter: compared with the starter file instead
    "x[0] = 0\nreturn None",                                  # writes into its input: it does something
    "print('todo')",
    "raise ValueError('not yet')",
    "if x is None:\n    raise NotImplementedError\nreturn x",
])
def test_a_body_that_computes_something_is_not_blank(body: str) -> None:
    assert not _blank(body), body


def test_a_class_is_blank_only_when_all_its_methods_are() -> None:
    stub = "class SGD:\n    def __init__(self, params, lr=0.01):\n        pass\n\n    def step(self):\n        pass\n"
    half = stub.replace("    def __init__(self, params, lr=0.01):\n        pass",
                        "    def __init__(self, params, lr=0.01):\n        self.params = list(params)")
    assert placeholder_definitions(new_notebook(cells=[new_code_cell(stub)])) == {"SGD"}
    assert placeholder_definitions(new_notebook(cells=[new_code_cell(half)])) == set()


def test_the_last_definition_is_the_one_that_counts() -> None:
    book = new_notebook(cells=[new_code_cell("def f(x):\n    return x\n"), new_code_cell("def f(x):\n    pass\n"),
                               new_code_cell("def h(x):\n    pass\n"), new_code_cell("def h(x):\n    return 2 * x\n")])
    assert placeholder_definitions(book) == {"f"}
    assert [d.cell for d in definitions(book)["h"]] == [2, 3]


def _two_definitions(*between: str, comment: str = "") -> tuple:
    cells = [new_markdown_cell("**Exercise 2:** Implement ReLU.\n\n**Your Solution:**"),
             new_code_cell("def relu(x):\n    return x\n"),
             *[new_markdown_cell(text) for text in between],
             new_code_cell(f"{comment}def relu(x):\n    return x.clamp(min=0)\n")]
    book = new_notebook(cells=cells)
    first, later = definitions(book)["relu"]
    return book, later, first


@pytest.mark.parametrize("between, comment, heading", [
    (["## Solution"], "", "Solution"),
    (["### Correction (after the tutorial)", "some text without a heading"], "", "Correction (after the tutorial)"),
    (["**Musterlösung:**"], "", "Musterlösung"),
    ([], "# corrected version\n", "corrected version"),
    (["## Your Solution"], "", None),                          # the sheet's own marker, not a solution
    (["## My solution, second try"], "", None),
    (["## Solution", "## ReLU, second try"], "", None),        # the nearest heading is what it sits under
    ([], "", None),
])
def test_a_later_definition_under_a_solution_heading(between: list[str], comment: str, heading: str | None) -> None:
    book, later, first = _two_definitions(*between, comment=comment)
    assert solution_heading(book, later, first) == heading


def test_a_stub_rebound_to_other_code_is_not_blank() -> None:
    """What the kernel calls is the later binding, not the stub: it is judged as an attempt."""
    stub = new_code_cell("def sigmoid(x):\n    pass\n\ndef relu(x):\n    pass\n")
    later = new_code_cell("from torch.nn.functional import relu\n\ndef mine(x):\n    return 1 / (1 + (-x).exp())\n\n"
                          "sigmoid = mine\n")
    book = new_notebook(cells=[stub, later])
    assert placeholder_definitions(book) == set() and definitions(book) == {"mine": definitions(book)["mine"]}
    book.cells.append(new_code_cell("def sigmoid(x):\n    ...\n"))  # defined again after the rebinding: a stub again
    assert placeholder_definitions(book) == {"sigmoid"}
