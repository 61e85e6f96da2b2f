"""What the UDL specs rely on in the upstream notebooks, recorded as data and checked against our re-creations.

The upstream notebooks (udlbook/udlbook, Notebooks/Chap03|05|06/*.ipynb) are not in this repository
and CI has no network, so `UPSTREAM` records, for each spec, what grading them depends on:

- for each question that reads a course cell: its `after:` text (`hint`) and `cell:` shape (`shape`),
  how that cell is found (`how`: by the hint, on a cell of that shape), which code cell it is
  (`code_cell`, counting code cells only), its place among the cells of the same shape (`rank`:
  k of n, what `nth`/`of` rely on), whether the shape alone finds it with the hint gone
  (`without_hint`: a reworded or deleted TODO comment), and a digest of its code with comments and
  layout aside (`code`: an unchanged exercise cell is "not attempted" only if the starter's code is
  upstream's);
- a digest of each definition the questions grade or depend on (`definitions`: a stub still as
  upstream has it is "not attempted" only if our starter's stub is the same code).

The re-creations in assignments/udl-*/ (our markdown, upstream's code) must give the same record;
their solutions must find every cell the same way. To check the record against the real notebooks
(not in CI): `UDL_UPSTREAM=<folder with the four .ipynb> pytest tests/e2e/test_udl_fingerprints.py`,
and `python tests/e2e/test_udl_fingerprints.py <folder>` prints the record for them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from grader.kinds import load_assignment
from grader.kinds.figure import FigureQuestion
from grader.kinds.registry import get_kind
from grader.kinds.state import OutputQuestion, StateQuestion
from grader.notebook.attempt import cell_code, notebook_definitions
from grader.notebook.read import (
    CellQuery,
    as_query,
    cell_facts,
    locate_cell,
    read_notebook,
)
from grader.spec.models import Assignment

ROOT = Path(__file__).resolve().parents[2]
COMMIT = "a8fe82b5e155cb4f42415d2461ffa23224b1173b"  # udlbook/udlbook, recorded there (these notebooks: 2025-02-11)
NOTEBOOKS = {
    "udl-3-4-activations": "3_4_Activation_Functions.ipynb",
    "udl-5-2-bce": "5_2_Binary_Cross_Entropy_Loss.ipynb",
    "udl-6-4-momentum": "6_4_Momentum.ipynb",
    "udl-6-5-adam": "6_5_Adam.ipynb",
}

UPSTREAM: dict[str, dict[str, Any]] = {
    "udl-3-4-activations": {"cells": {
        "sig_z": {"hint": "sig_z = sigmoid(z)", "how": "hint", "code_cell": 6, "shape": "assigning `sig_z`",
                  "rank": [1, 1], "without_hint": True, "code": "7c28b1958b568ee7"},
        "sigmoid_plot": {"hint": "sig_z = sigmoid(z)", "how": "hint", "code_cell": 6, "code": "7c28b1958b568ee7"},
        "y@sigmoid": {"hint": "shallow_1_1_3(x, sigmoid", "how": "hint", "code_cell": 7,
                      "shape": "assigning `y`, calling `shallow_1_1_3`, using `sigmoid`", "rank": [1, 1],
                      "without_hint": True, "code": "d9a6621f12ba74f6"},
        "heav_z": {"hint": "heav_z = heaviside(z)", "how": "hint", "code_cell": 9, "shape": "assigning `heav_z`",
                   "rank": [1, 1], "without_hint": True, "code": "3ea6aaf97308ee24"},
        "heaviside_plot": {"hint": "heav_z = heaviside(z)", "how": "hint", "code_cell": 9, "code": "3ea6aaf97308ee24"},
        "y@heaviside": {"hint": "shallow_1_1_3(x, heaviside", "how": "hint", "code_cell": 10,
                        "shape": "assigning `y`, calling `shallow_1_1_3`, using `heaviside`", "rank": [1, 1],
                        "without_hint": True, "code": "70986b4d1341e814"},
    }, "definitions": {"heaviside": "af2ec4e399cb56fb", "sigmoid": "57502ad39a71487f"}},
    "udl-5-2-bce": {"cells": {
        "likelihood": {"hint": "likelihood = compute_likelihood(y_train, lambda_train)", "how": "hint",
                       "code_cell": 9, "shape": "assigning `likelihood`, calling `compute_likelihood`",
                       "rank": [1, 1], "without_hint": True, "code": "d63221879bc65247"},
        "nll": {"hint": "nll = compute_negative_log_likelihood(y_train, lambda_train)", "how": "hint",
                "code_cell": 11, "shape": "assigning `nll`, calling `compute_negative_log_likelihood`",
                "rank": [1, 1], "without_hint": True, "code": "e88642f290606337"},
        "likelihoods": {"hint": "likelihoods[count] = compute_likelihood(", "how": "hint", "code_cell": 12,
                        "shape": "assigning `likelihoods` inside a loop, calling `compute_likelihood`",
                        "rank": [1, 1], "without_hint": True, "code": "6465db7b20a96b50"},
        "nlls": {"hint": "nlls[count] = compute_negative_log_likelihood(", "how": "hint", "code_cell": 12,
                 "shape": "assigning `nlls` inside a loop, calling `compute_negative_log_likelihood`", "rank": [1, 1],
                 "without_hint": True, "code": "6465db7b20a96b50"},
        "likelihood_plot": {"hint": "ax.plot(beta_1_vals, likelihoods", "how": "hint", "code_cell": 13,
                            "code": "09fbdad4db3839cb"},
        "optimum": {"hint": "Maximum likelihood = %f", "how": "hint", "code_cell": 14,
                    "shape": "calling `print`, using `likelihoods` and `nlls`", "rank": [1, 1], "without_hint": True,
                    "code": "71f16f1e1e18d07c"},
    }, "definitions": {"bernoulli_distribution": "72dd653b464cc1ac", "compute_likelihood": "0b12c3350f7b9bfd",
                       "compute_negative_log_likelihood": "f1724c3a965f9383", "sigmoid": "5c76aeec323fb998"}},
    "udl-6-4-momentum": {"cells": {
        "phi_all@momentum": {"hint": "# TODO -- calculate momentum", "how": "hint", "code_cell": 8,
                             "shape": "assigning `phi_all` and `momentum` inside a loop", "rank": [1, 2],
                             "without_hint": True, "code": "0dc89046556ab5a1"},
        "momentum_plot": {"hint": "# TODO -- calculate momentum", "how": "hint", "code_cell": 8,
                          "code": "0dc89046556ab5a1"},
        "phi_all@nesterov": {"hint": "# TODO -- calculate Nesterov momentum", "how": "hint", "code_cell": 9,
                             "shape": "assigning `phi_all` and `momentum` inside a loop", "rank": [2, 2],
                             "without_hint": True, "code": "a9f61201692d8e37"},
        "nesterov_plot": {"hint": "# TODO -- calculate Nesterov momentum", "how": "hint", "code_cell": 9,
                          "code": "a9f61201692d8e37"},
    }, "definitions": {}},
    "udl-6-5-adam": {"cells": {
        "grad_path1@normalized_gradients": {"hint": "grad_path1 = normalized_gradients(", "how": "hint",
                                            "code_cell": 6,
                                            "shape": "assigning `grad_path1`, calling `normalized_gradients`",
                                            "rank": [1, 1], "without_hint": True, "code": "6426a56c9056f5fc"},
        "normalized_gradients_plot": {"hint": "grad_path1 = normalized_gradients(", "how": "hint", "code_cell": 6,
                                      "code": "6426a56c9056f5fc"},
        "grad_path1@adam": {"hint": "grad_path1 = adam(", "how": "hint", "code_cell": 8,
                            "shape": "assigning `grad_path1`, calling `adam`", "rank": [1, 1], "without_hint": True,
                            "code": "35158971416c3076"},
        "adam_plot": {"hint": "grad_path1 = adam(", "how": "hint", "code_cell": 8, "code": "35158971416c3076"},
    }, "definitions": {"adam": "feb331cadb639bb4", "normalized_gradients": "b7746976b41e698e"}},
}


def _digest(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode()).hexdigest()[:16]


def _where(q: Any) -> str | CellQuery | None:
    """How the question's kind finds its cell: state and output questions by query, figures by `after:` text."""
    if isinstance(q, (StateQuestion, OutputQuestion)):
        return q.locator()
    if isinstance(q, FigureQuestion):
        return q.after
    return None


def fingerprint(path: Path, assignment: Assignment) -> dict[str, Any]:
    """What the assignment's questions find in the notebook at `path` (see the module docstring)."""
    nb = read_notebook(path)
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    cells: dict[str, Any] = {}
    for q in assignment.questions:
        where = _where(q)
        if where is None:
            continue
        query, found = as_query(where), locate_cell(nb, where)
        record: dict[str, Any] = {"hint": query.hint, "how": found.how,
                                  "code_cell": code_cells.index(found.index) if found.trusted else None}
        if query.structural:
            record["shape"] = query.shape()
            fitting = [i for i in code_cells if query.fits(cell_facts(nb.cells[i].source))]
            record["rank"] = [fitting.index(found.index) + 1, len(fitting)] if found.index in fitting else None
            record["without_hint"] = locate_cell(nb, dataclasses.replace(query, hint=None)).index == found.index
        record["code"] = _digest(cell_code(nb, where))
        cells[q.id] = record
    defined = notebook_definitions(nb)
    names = sorted({n for q in assignment.questions for n in get_kind(q.kind).attempt(q).names})
    return {"cells": cells, "definitions": {n: _digest(defined.get(n)) for n in names}}


def _assignment(aid: str) -> Assignment:
    return load_assignment(ROOT / "assignments" / f"{aid}.yaml")


@pytest.mark.parametrize("aid", list(NOTEBOOKS))
def test_the_starter_we_ship_is_upstreams_code_where_grading_looks(aid: str) -> None:
    assert fingerprint(ROOT / "assignments" / aid / "starter.ipynb", _assignment(aid)) == UPSTREAM[aid]


@pytest.mark.parametrize("aid", list(NOTEBOOKS))
def test_every_cell_is_found_by_its_hint_and_by_its_code_alone(aid: str) -> None:
    """In upstream's layout each question's cell carries its hint and its shape singles it out without
    the hint, at the place `nth`/`of` say; our solution keeps both."""
    assignment = _assignment(aid)
    solution = fingerprint(ROOT / "assignments" / aid / "solution.ipynb", assignment)
    for q in assignment.questions:
        if q.id not in UPSTREAM[aid]["cells"]:
            continue
        record, solved = UPSTREAM[aid]["cells"][q.id], solution["cells"][q.id]
        assert record["how"] == "hint" and record.get("without_hint", True), (q.id, record)
        assert {k: solved[k] for k in ("how", "code_cell", "rank", "without_hint") if k in record} == \
            {k: record[k] for k in ("how", "code_cell", "rank", "without_hint") if k in record}, q.id
        query = as_query(_where(q))
        if query.nth is not None:
            assert record["rank"] == [query.nth if query.nth > 0 else record["rank"][1] + 1 + query.nth, query.of], q.id


@pytest.mark.parametrize("aid", list(NOTEBOOKS))
def test_the_spec_recognises_upstreams_notebook(aid: str) -> None:
    """Every function the spec's `match` names is defined in upstream (the record's definitions are a
    subset) and in our starter, so an upstream copy without metadata is matched to this spec."""
    functions = set(_assignment(aid).match.functions)
    assert functions <= set(notebook_definitions(read_notebook(ROOT / "assignments" / aid / "starter.ipynb")))


UPSTREAM_DIR = os.environ.get("UDL_UPSTREAM")


@pytest.mark.skipif(not UPSTREAM_DIR, reason="set UDL_UPSTREAM to a folder holding the upstream notebooks")
@pytest.mark.parametrize("aid", list(NOTEBOOKS))
def test_the_record_is_what_upstream_has(aid: str) -> None:
    path = Path(UPSTREAM_DIR or ".") / NOTEBOOKS[aid]
    assert fingerprint(path, _assignment(aid)) == UPSTREAM[aid]
    assert set(_assignment(aid).match.functions) <= set(notebook_definitions(read_notebook(path)))


if __name__ == "__main__":  # print the record for a folder of upstream notebooks
    import pprint

    folder = Path(sys.argv[1])
    pprint.pprint({aid: fingerprint(folder / name, _assignment(aid)) for aid, name in NOTEBOOKS.items()},
                  width=120, sort_dicts=False)
