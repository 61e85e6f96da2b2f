"""Figure questions: the plot a cell must draw, shown next to the reference's in the HTML report."""

from __future__ import annotations

import base64
import io
from typing import Any, Literal

from pydantic import Field

from grader import results as R
from grader.kinds.base import Attempt, CheckContext, CheckOutcome, QuestionOutcome
from grader.kinds.references import evaluate_reference, reference_module
from grader.kinds.registry import register
from grader.kinds.state import CellKind, cell_error, missing
from grader.notebook.read import last_code_cell
from grader.spec.models import QuestionBase


class FigureQuestion(QuestionBase):
    """A plot the notebook must draw: the cell's figure, shown next to the reference figure."""

    kind: Literal["figure"] = "figure"
    after: str  # text of the cell that draws it, e.g. "draw_function(phi0mesh, phi1mesh"
    reference: str | None = None  # ref.<function>() returning a matplotlib Figure, drawn by the grader
    depends: list[str] = Field(default_factory=list)
    todo_in_cell: bool = False
    attempt_required: bool = True  # a plot drawn by given code from untouched stubs earns nothing

    def check_names(self) -> list[str]:
        return ["drawn"]


def _png_of(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


class FigureKind(CellKind):
    name = "figure"
    model = FigureQuestion
    draws_figures = True  # the kernel keeps the inline backend, so plots become image outputs

    def attempt(self, q: FigureQuestion) -> Attempt:
        return Attempt(list(q.depends), q.after if q.todo_in_cell else None, q.attempt_required)

    def prepare(self, q: FigureQuestion, assignment: Any) -> str | None:
        if q.reference is None:
            return None
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt

        fig = evaluate_reference(q.reference, q.id, reference_module(assignment))
        try:
            return _png_of(fig)
        finally:
            plt.close("all")

    async def check(self, q: FigureQuestion, reference_png: str | None, ctx: CheckContext) -> QuestionOutcome:
        index = last_code_cell(ctx.notebook, q.after)
        if index is None:
            return missing(q, f"No cell containing `{q.after}` was found: it should draw the figure.")
        images = [o["data"]["image/png"] for o in ctx.notebook.cells[index].get("outputs", [])
                  if o.get("output_type") in ("display_data", "execute_result") and "image/png" in o.get("data", {})]
        details = {"figures": {"cell": index + 1, "student": [str(i).replace("\n", "") for i in images[:4]],
                               "reference": reference_png}}
        if not images:
            error = cell_error(ctx, index)
            why = f"it raised {error}" if error else "it showed no image (call plt.show() or display the figure)"
            return QuestionOutcome([CheckOutcome("drawn", False, status=R.ERROR if error else "")],
                                   feedback=f"Cell {index + 1} should draw a figure, but {why}.", details=details)
        return QuestionOutcome([CheckOutcome("drawn", True)], details=details)


register(FigureKind())
