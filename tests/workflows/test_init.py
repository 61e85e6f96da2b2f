"""`grade init BLANK SOLUTION`: a spec from the two notebooks a course has, proved on the spot, and
`reference: solution` (the solution notebook's functions as the reference, run once and cached)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
import yaml

from tests.conftest import run_cli

pytestmark = pytest.mark.notebook

md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell

PROMPT_TANH = ("## Tanh\nThe hyperbolic tangent is $\\tanh(x) = \\frac{e^x - e^{-x}}{e^x + e^{-x}}$.\n\n"
               "**Exercise 1:** Derive the derivative of $\\tanh$ in terms of $\\tanh(x)$.")


def _pair(folder: Path) -> tuple[Path, Path]:
    """A small practical in the usual style: stubs in the blank, a solution that calls its own functions."""
    blank = nbformat.v4.new_notebook(cells=[
        md("# Practical 3: activations and gradients"),
        code("import torch"),
        md(PROMPT_TANH), md("**Your answer:**"), md(""),
        md("**Exercise 2:** Implement `leaky_relu`."),
        code("def leaky_relu(x, negative_slope=0.01):\n    # YOUR CODE HERE\n    raise NotImplementedError()"),
        md("**Exercise 3:** Accumulate the gradient of the squared error into `grad` (do not return it)."),
        code("def accumulate_grad(y_pred, y, grad):\n    pass"),
        code("def helper_given(x):\n    return x + 1"),
    ])
    solution = nbformat.v4.new_notebook(cells=[
        md("# Practical 3: activations and gradients"),
        code("import torch"),
        md(PROMPT_TANH), md("**Your answer:**"),
        md("$$\\frac{d}{dx}\\tanh(x) = 1 - \\tanh^2(x)$$"),
        md("**Exercise 2:** Implement `leaky_relu`."),
        code("def leaky_relu(x, negative_slope=0.01):\n    return torch.where(x > 0, x, negative_slope * x)\n\n"
             "xs = torch.linspace(-4, 4, 50)\nys = leaky_relu(xs)"),
        md("**Exercise 3:** Accumulate the gradient of the squared error into `grad` (do not return it)."),
        code("def accumulate_grad(y_pred, y, grad):\n    grad += 2 * (y_pred - y)\n\n"
             "g = torch.zeros(8)\naccumulate_grad(torch.rand(8), torch.rand(8), g)"),
        code("def helper_given(x):\n    return x + 1"),
    ])
    nbformat.write(blank, folder / "practical3_blank.ipynb")
    nbformat.write(solution, folder / "practical3_solution.ipynb")
    return folder / "practical3_blank.ipynb", folder / "practical3_solution.ipynb"


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("course")
    (root / "spec").mkdir()
    blank, solution = _pair(root)
    proc = run_cli("init", str(blank), str(solution), "-o", str(root / "spec"), "--id", "practical3")
    return {"root": root, "blank": blank, "solution": solution, "proc": proc,
            "yaml": root / "spec" / "practical3.yaml", "rubric": root / "spec" / "practical3.rubric.yaml"}


def test_init_writes_a_spec_that_validates_without_edits(course: dict) -> None:
    proc = course["proc"]
    assert proc.returncode == 0, proc.stderr
    assert "validated: the solution scores 3/3, the blank 0/3" in proc.stdout
    spec = yaml.safe_load(course["yaml"].read_text())
    assert spec["id"] == "practical3" and spec["reference"] == "solution"
    assert spec["solution"] == "../practical3_solution.ipynb" and spec["starter"] == "../practical3_blank.ipynb"
    ids = [q["id"] for q in spec["questions"]]
    assert ids == ["tanh_prime_written", "leaky_relu", "accumulate_grad"]
    assert "helper_given" not in ids  # given in full in the blank: not an exercise
    validate = run_cli("validate", str(course["yaml"]))
    assert validate.returncode == 0, validate.stderr
    assert "solution 3/3" in validate.stdout and "starter 0/3" in validate.stdout


def test_probes_come_from_the_solutions_calls_and_defaults_are_probed(course: dict) -> None:
    spec = yaml.safe_load(course["yaml"].read_text())
    q = {q["id"]: q for q in spec["questions"]}
    leaky = q["leaky_relu"]
    assert leaky["args"] == ["x"]
    random, slope = leaky["probes"]
    assert random["inputs"]["x"] == {"uniform": [-4, 4], "shape": [50]}  # linspace(-4, 4, 50) in the solution
    assert slope["name"] == "negative_slope" and slope["kwargs"] == {"negative_slope": 0.1}
    grad = q["accumulate_grad"]
    assert grad["outputs"] == ["grad"]  # returns nothing, writes into it
    assert grad["probes"][0]["inputs"]["grad"] == {"fill": 0, "shape": [8]}
    text = course["yaml"].read_text()
    assert "# the solution notebook calls leaky_relu 1 time" in text  # where each probe came from
    written = next(v for k, v in q.items() if k.endswith("_written"))
    assert written["answer"]["prompt"].startswith("Derive the derivative of")


def _student(course: dict, name: str, leaky: str, grad: str, answer: str) -> Path:
    nb = nbformat.read(course["blank"], 4)
    for cell in nb.cells:
        if "def leaky_relu" in cell.source:
            cell.source = leaky
        elif "def accumulate_grad" in cell.source:
            cell.source = grad
    nb.cells[4].source = answer
    path = course["root"] / "students" / name
    path.parent.mkdir(exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_verdicts_against_the_solution(course: dict) -> None:
    ignores = _student(course, "ignores.ipynb",
                       "import torch\ndef leaky_relu(x, negative_slope=0.01):\n    return torch.maximum(x, 0.01 * x)",
                       "def accumulate_grad(y_pred, y, grad):\n    grad.add_(2 * y_pred - 2 * y)",
                       "$$\\tanh'(x) = \\frac{1}{\\cosh^2(x)}$$")
    rebinds = _student(course, "rebinds.ipynb",
                       "import torch\ndef leaky_relu(x, negative_slope=0.01):\n    return torch.where(x > 0, x, negative_slope * x)",
                       "def accumulate_grad(y_pred, y, grad):\n    grad = grad + 2 * (y_pred - y)",
                       "$$\\tanh'(x) = 1 + \\tanh^2(x)$$")
    results = {}
    for path in (ignores, rebinds):
        proc = run_cli(str(path), "-a", str(course["yaml"]), "--format", "json")
        assert proc.returncode == 0, proc.stderr
        results[path.stem] = {q["id"]: q for q in json.loads(proc.stdout)["questions"]}
    a, b = results["ignores"], results["rebinds"]
    # ignoring negative_slope loses exactly the non-default probe
    checks = {c["name"]: c["passed"] for c in a["leaky_relu"]["checks"]}
    assert checks == {"random": True, "negative_slope": False}
    assert "negative_slope=0.1" in a["leaky_relu"]["feedback"]
    assert a["accumulate_grad"]["score"] == a["accumulate_grad"]["max_score"]  # in place, written differently
    written = next(k for k in a if k.endswith("_written"))
    assert a[written]["status"] == "passed"  # 1/cosh² is 1 − tanh²
    assert b["leaky_relu"]["score"] == b["leaky_relu"]["max_score"]
    assert b["accumulate_grad"]["score"] == 0 and "left `grad` unchanged" in b["accumulate_grad"]["feedback"]
    assert b[written]["status"] == "failed"


def test_solution_answers_are_computed_once_and_follow_the_solution(course: dict, tmp_path: Path) -> None:
    import os
    cache = tmp_path / "cache"
    env = {"GRADER_CACHE": str(cache)}
    for _ in range(2):
        proc = run_cli(str(course["solution"]), "-a", str(course["yaml"]), env=env)
        assert proc.returncode == 0, proc.stderr
    assert len(list((cache / "solutions").glob("*.json"))) == 1  # the second grading reused the first's
    # a changed solution is a new reference (and a broken one a one-line error, exit 2)
    broken = course["root"] / "broken"
    broken.mkdir()
    spec = course["yaml"].read_text().replace("../practical3_solution.ipynb", "solution.ipynb").replace(
        "../practical3_blank.ipynb", "../practical3_blank.ipynb".replace("..", str(course["root"])))
    (broken / "practical3.yaml").write_text(spec.replace("rubric: practical3.rubric.yaml", ""))
    nb = nbformat.read(course["solution"], 4)
    nb.cells = [c for c in nb.cells if "def leaky_relu" not in c.source]
    nbformat.write(nb, broken / "solution.ipynb")
    proc = run_cli(str(course["solution"]), "-a", str(broken / "practical3.yaml"), env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.count("\n") == 1 and "leaky_relu" in proc.stderr and "defines no `leaky_relu`" in proc.stderr
    assert os.path.isdir(cache)


def test_init_refuses_what_it_cannot_use(course: dict, tmp_path: Path) -> None:
    again = run_cli("init", str(course["blank"]), str(course["solution"]), "-o", str(course["root"] / "spec"),
                    "--id", "practical3")
    assert again.returncode == 2 and "exists; pass --force" in again.stderr
    missing = run_cli("init", str(course["blank"]), str(course["solution"]), "-o", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "no such directory" in missing.stderr
    swapped = run_cli("init", str(course["blank"]), str(course["blank"]), "-o", str(tmp_path))
    assert swapped.returncode == 2 and "right way round" in swapped.stderr
