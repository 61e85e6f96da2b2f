"""Figure questions: the plot a cell must draw, judged by what it plots.

The figures a cell displays are read inside the student's kernel as they are shown (the lines,
scatter points and images of each axes: grader/kernel/plotted.py) and compared here with the
reference figure's, read the same way. Every line, scatter set and image the reference plots in
data coordinates must be in one of the cell's figures, each matched to a different one of the
student's (so two reference lines cannot both claim one student line). Students may add lines, and
change colours, labels, limits, layout and the number of figures.

Two elements match point by point when they have the same number of points (within `tolerance`,
or within `span_tolerance` of the reference axes' width and height); otherwise, or when the points
are the same curve traced differently, geometrically: every reference point within
`span_tolerance` of the student's curve, and every point of the student's inside the reference's
view within `span_tolerance` of the reference's curve (a segment between two close samples stands
for its whole bounding box, so a step sampled on another grid still matches; a diagonal does not).
A NaN or inf where the reference has a number never matches. With `compare: any` (the default without a reference) any image earns the
points. Either way the figures are shown next to the reference's in the HTML report.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from grader import results as R
from grader.errors import SpecError
from grader.kernel import plotted
from grader.kernel.errors import KernelError
from grader.kinds.base import Attempt, CheckContext, CheckOutcome, QuestionOutcome
from grader.kinds.cells import CellQuestion
from grader.kinds.references import evaluate_reference, reference_module
from grader.kinds.registry import register
from grader.kinds.state import CellKind, failed_in_cell, cell_error, not_located
from grader.notebook.read import locate_cell
from grader.spec.models import Tolerance

_MAX_SOURCE_POINTS = 2000   # points of one curve checked against another (evenly spaced when more)
_MAX_CANDIDATES = 400       # student elements considered per figure question
_JUMP = 0.05                # a segment this narrow (of the axes' width or height) may be a jump between samples


class FigureQuestion(CellQuestion):
    """A plot the notebook must draw: the cell's figures, compared with the reference figure's content.
    The cell is found as a state question's is (`cell:`, with `after:` as a hint), so editing its TODO
    comment does not lose the plot."""

    kind: Literal["figure"] = "figure"
    reference: str | None = None  # ref.<function>() returning a matplotlib Figure, drawn by the grader
    compare: Literal["content", "any"] | None = None  # default: content with a reference, any without
    tolerance: Tolerance = Field(default_factory=Tolerance)
    span_tolerance: float = Field(default=0.005, gt=0, le=0.5)  # fraction of the reference axes' width/height
    depends: list[str] = Field(default_factory=list)
    todo_in_cell: bool = False
    attempt_required: bool = True  # a plot drawn by given code from untouched stubs earns nothing

    @model_validator(mode="after")
    def _content_needs_reference(self) -> FigureQuestion:
        if self.compare == "content" and self.reference is None:
            raise ValueError("`compare: content` needs a `reference` figure to compare with")
        return self

    @property
    def mode(self) -> str:
        return self.compare or ("content" if self.reference is not None else "any")

    def check_names(self) -> list[str]:
        return ["content"] if self.mode == "content" else ["drawn"]


@dataclass(frozen=True)
class ReferenceFigure:
    png: str | None                  # for the HTML report
    content: plotted.Figure | None   # what it plots (compare: content)


def _png_of(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


class FigureKind(CellKind):
    name = "figure"
    model = FigureQuestion
    draws_figures = True  # the kernel keeps the inline backend, so plots become image outputs

    def attempt(self, q: FigureQuestion) -> Attempt:
        return dataclasses.replace(super().attempt(q), required=q.attempt_required)

    def image_cells(self, q: FigureQuestion, nb: Any) -> list[int]:
        index = locate_cell(nb, q.locator()).index  # the cell `check` reads the images of
        return [] if index is None else [index]

    def prepare(self, q: FigureQuestion, assignment: Any) -> ReferenceFigure:
        if q.reference is None:
            return ReferenceFigure(None, None)
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt

        fig = evaluate_reference(q.reference, q.id, reference_module(assignment))
        try:
            content = plotted.figure_of(fig) if q.mode == "content" else None
            png = _png_of(fig)
        finally:
            plt.close("all")
        if content is not None and not _needs(content):
            raise SpecError(f"question {q.id}: the reference figure `{q.reference}` plots no line, scatter "
                            "or image in data coordinates to compare with; give `compare: any`")
        return ReferenceFigure(png, content)

    async def check(self, q: FigureQuestion, ref: ReferenceFigure, ctx: CheckContext) -> QuestionOutcome:
        check = q.check_names()[0]
        found = locate_cell(ctx.notebook, q.locator())
        index = found.index
        if index is None:
            return not_located(q, found, "the cell that should draw the figure")
        images = [o["data"]["image/png"] for o in ctx.notebook.cells[index].get("outputs", [])
                  if o.get("output_type") in ("display_data", "execute_result") and "image/png" in o.get("data", {})]
        details = {"figures": {"cell": index + 1, "student": [str(i).replace("\n", "") for i in images[:4]],
                               "reference": ref.png}}
        error = cell_error(ctx, index)
        if not images:
            why = f"it raised {error}" if error else "it showed no image (call plt.show() or display the figure)"
            return dataclasses.replace(failed_in_cell([CheckOutcome(check, False, status=R.ERROR if error else "")], found,
                                               f"Cell {index + 1} should draw a figure, but {why}."), details=details)
        if ref.content is None:
            return QuestionOutcome([CheckOutcome(check, True)], details=details)

        def review(why: str) -> QuestionOutcome:
            return QuestionOutcome([CheckOutcome(check, False, status=R.UNDECIDED)], status=R.UNDECIDED,
                                   needs_review=True, details=details,
                                   feedback=f"Cell {index + 1} drew a figure, but {why}; a TA will review it.")

        if ctx.prober is None:
            return review("no kernel was there to read what it plots")
        try:
            shown = await ctx.prober.read_figures(ctx.notebook.cells[index].source)
        except KernelError as e:
            return review(f"the grader could not read what it plots ({e})")
        if not shown.ran:
            return review("the grader kept no record of its figures (the kernel restarted without it, or "
                          "later cells' figures took their place)")
        figures = [f for f in shown.figures if not f.error]
        if not figures:
            return review("not as a matplotlib figure whose lines the grader can read")
        problem = compare_figures(ref.content, figures, q)
        if problem is None:
            return QuestionOutcome([CheckOutcome(check, True)], details=details)
        text = f"Cell {index + 1}: {problem}"
        if error:
            text += f" The cell raised {error}."
        return dataclasses.replace(failed_in_cell([CheckOutcome(check, False, feedback=text)], found), details=details)


# ---- comparing what was plotted ----------------------------------------------------------------------

_WORD = {"line": "line", "points": "scatter points", "image": "image"}


@dataclass(frozen=True)
class _Element:
    """One line, scatter set or image, and where it is."""

    item: plotted.Curve | plotted.Image
    figure: int  # index among the figures (the reference: 0)
    axes: int    # index among its figure's axes
    number: int  # 1-based among the elements of its kind in its axes (those compared)
    frame: plotted.Axes

    @property
    def kind(self) -> str:
        return self.item.kind if isinstance(self.item, plotted.Curve) else "image"


@dataclass(frozen=True)
class _Fit:
    ok: bool
    # lower is closer: (0 the same number of points, 1 other points, 2 too large, 3 another kind; how far off)
    rank: tuple[int, float] = (0, 0.0)
    why: str = ""


def _elements(fig: plotted.Figure, index: int, required: bool) -> list[_Element]:
    """A figure's elements; `required`: only those a student's figure must also have (drawn in data
    coordinates, with a finite point), the reference's."""
    out = []
    for a, ax in enumerate(fig.axes):
        counts: dict[str, int] = {}
        for item in [*ax.curves, *ax.images]:
            kind = item.kind if isinstance(item, plotted.Curve) else "image"
            if isinstance(item, plotted.Curve):
                if not item.in_data or (required and (item.xy is None or not np.isfinite(item.xy).all(axis=1).any())):
                    continue
            elif required and item.array is None:
                continue
            counts[kind] = counts.get(kind, 0) + 1
            out.append(_Element(item, index, a, counts[kind], ax))
    return out


def _needs(fig: plotted.Figure) -> list[_Element]:
    return _elements(fig, 0, required=True)


def compare_figures(reference: plotted.Figure, shown: list[plotted.Figure], q: FigureQuestion) -> str | None:
    """None when the student's figures contain everything the reference plots, else what is missing
    and how the closest of the student's elements differs (feedback for the student)."""
    needs = _needs(reference)
    candidates = [e for i, f in enumerate(shown) for e in _elements(f, i, required=False)][:_MAX_CANDIDATES]
    fits = [[_fit(n, c, q) for c in candidates] for n in needs]
    assigned = _assign([[f.ok for f in row] for row in fits])
    for n, row, got in zip(needs, fits, assigned):
        if got is not None:
            continue
        what = _describe_need(n, reference)
        usable = [(f, c) for f, c in zip(row, candidates) if f.rank[0] < 3]
        if not usable:
            kinds = "images" if n.kind == "image" else "lines or scatter points"
            return f"{what} is not in your figure: it has no {kinds} to compare with."
        if any(f.ok for f, _ in usable):
            return (f"{what} is not in your figure: the {_WORD[n.kind]} that matches it already stands for "
                    "another of the reference's.")
        # the same number of points first, then in the same place (the same axes), then the least off
        fit, closest = min(usable, key=lambda fc: (fc[0].rank[0], fc[1].axes != n.axes, fc[0].rank[1]))
        return f"{what} is not in your figure; the closest, {_describe_own(closest, shown)}, {fit.why}."
    return None


def _describe_need(n: _Element, fig: plotted.Figure) -> str:
    ax = fig.axes[n.axes]
    same = sum(1 for e in _needs(fig) if e.axes == n.axes and e.kind == n.kind)
    text = f"The reference's {_WORD[n.kind]}" + (f" {n.number}" if same > 1 else "")
    if len(fig.axes) > 1:
        text += f" in axes {n.axes + 1} of {len(fig.axes)}" + (f" ('{ax.name}')" if ax.name else "")
    return text


def _describe_own(e: _Element, shown: list[plotted.Figure]) -> str:
    text = f"your {_WORD[e.kind]}"
    label = e.item.label if isinstance(e.item, plotted.Curve) else ""
    if label and not label.startswith("_"):
        text += f" '{label}'"
    where = []
    if len(shown) > 1:
        where.append(f"figure {e.figure + 1} of {len(shown)}")
    if len(shown[e.figure].axes) > 1:
        where.append(f"axes {e.axes + 1}")
    return text + (f" ({', '.join(where)})" if where else "")


def _assign(ok: list[list[bool]]) -> list[int | None]:
    """A matching of needs to candidates (each candidate used once) that covers as many needs as can be."""
    owner: dict[int, int] = {}

    def place(i: int, seen: set[int]) -> bool:
        for j, good in enumerate(ok[i]):
            if good and j not in seen:
                seen.add(j)
                if j not in owner or place(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(len(ok)):
        place(i, set())
    out: list[int | None] = [None] * len(ok)
    for j, i in owner.items():
        out[i] = j
    return out


def _fit(need: _Element, cand: _Element, q: FigureQuestion) -> _Fit:
    r, s = need.item, cand.item
    if isinstance(r, plotted.Image) or isinstance(s, plotted.Image):
        if not (isinstance(r, plotted.Image) and isinstance(s, plotted.Image)):
            return _Fit(False, (3, math.inf))
        return _image_fit(r, s, q)
    return _curve_fit(r, s, need.frame, q)


def _point(xy: np.ndarray) -> str:
    x, y = (0.0 if abs(v) < 1e-12 else v for v in xy)  # np.arange's 8.9e-16 for 0
    return f"(x={x:.4g}, y={y:.4g})"


def _curve_fit(r: plotted.Curve, s: plotted.Curve, frame: plotted.Axes, q: FigureQuestion) -> _Fit:
    if r.xy is None or s.xy is None:
        return _Fit(False, (2, math.inf), "has too many points to compare")
    tol = q.span_tolerance
    ref, own = _normalised(r.xy, frame, r.xy), _normalised(s.xy, frame, r.xy)
    if r.n == s.n and r.xy.shape == s.xy.shape:
        with np.errstate(invalid="ignore"):
            close = (np.isclose(s.xy, r.xy, rtol=q.tolerance.rtol, atol=q.tolerance.atol, equal_nan=True)
                     | (np.abs(own - ref) <= tol))
        good = close.all(axis=1)
        if good.all():
            return _Fit(True)
        lost = ~np.isfinite(s.xy).all(axis=1) & np.isfinite(r.xy).all(axis=1)
        if lost.any():
            k = int(np.argmax(lost))
            return _Fit(False, (0, float(lost.mean())), (
                f"has NaN or inf at {int(lost.sum())} of {len(lost)} points (the first is point {k + 1}: "
                f"yours {_point(s.xy[k])}, the reference's {_point(r.xy[k])})"))
        if _geometric(r, s, ref, own, tol).ok:  # the same curve through other points
            return _Fit(True)
        with np.errstate(invalid="ignore"):
            off = np.where(good, 0.0, np.nan_to_num(np.abs(own - ref), nan=np.inf).max(axis=1))
        i = int(np.argmax(off))  # where it shows most
        return _Fit(False, (0, float(1 - good.mean())), (
            f"differs from it at {int((~good).sum())} of {len(good)} points, most at point {i + 1}: "
            f"yours is {_point(s.xy[i])}, the reference's {_point(r.xy[i])}"))
    return _geometric(r, s, ref, own, tol)


def _geometric(r: plotted.Curve, s: plotted.Curve, ref: np.ndarray, own: np.ndarray, tol: float) -> _Fit:
    assert r.xy is not None and s.xy is not None
    ref_ok, own_ok = np.isfinite(ref).all(axis=1), np.isfinite(own).all(axis=1)
    if not own_ok.any():
        return _Fit(False, (1, math.inf), f"has no finite point: all of its {s.n} points are NaN or inf")
    # cheap first: a reference point outside the box around the student's points is near none of them
    lo, hi = own[own_ok].min(axis=0) - tol, own[own_ok].max(axis=0) + tol
    excess = np.maximum(lo - ref, ref - hi).max(axis=1, initial=0.0)
    excess[~ref_ok] = 0.0
    if excess.max() > 0:
        k = int(np.argmax(excess))
        return _Fit(False, (1, float(excess[k]) + tol), f"does not pass near the reference's point {_point(r.xy[k])}")
    ref_idx = _spread(np.flatnonzero(ref_ok))
    far_ref = _distances(ref[ref_idx], own, s.joined)
    k = int(np.argmax(far_ref))
    if far_ref[k] > tol:
        return _Fit(False, (1, float(far_ref[k])), f"does not pass near the reference's point {_point(r.xy[ref_idx[k]])}")
    inside = own_ok & (own >= -tol).all(axis=1) & (own <= 1 + tol).all(axis=1)  # in the reference's view
    own_idx = _spread(np.flatnonzero(inside))
    if len(own_idx):
        far_own = _distances(own[own_idx], ref, r.joined)
        k = int(np.argmax(far_own))
        if far_own[k] > tol:
            return _Fit(False, (1, float(far_own[k])),
                        f"passes through {_point(s.xy[own_idx[k]])}, which is not on the reference's curve")
    return _Fit(True)


def _spread(indices: np.ndarray) -> np.ndarray:
    """At most _MAX_SOURCE_POINTS of `indices`, evenly spaced, first and last kept."""
    if len(indices) <= _MAX_SOURCE_POINTS:
        return indices
    return indices[np.unique(np.linspace(0, len(indices) - 1, _MAX_SOURCE_POINTS).round().astype(int))]


def _normalised(xy: np.ndarray, frame: plotted.Axes, fallback: np.ndarray) -> np.ndarray:
    """Coordinates as fractions of the reference axes' view (log axes in decades), so a distance means
    the same in x and y; the reference's data range where its limits are unusable."""
    out = np.empty_like(xy)
    for k, (lim, scale) in enumerate(((frame.xlim, frame.xscale), (frame.ylim, frame.yscale))):
        def f(v: Any, log: bool = scale == "log") -> np.ndarray:
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.log10(np.asarray(v, dtype=np.float64)) if log else np.asarray(v, dtype=np.float64)
        lo, hi = f(sorted(lim)) if lim is not None else (np.nan, np.nan)
        if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
            data = f(fallback[:, k])
            data = data[np.isfinite(data)]
            lo, hi = (float(data.min()), float(data.max())) if len(data) else (0.0, 1.0)
            if hi - lo <= 0:
                lo, hi = lo - max(abs(lo), 1.0) / 2, hi + max(abs(hi), 1.0) / 2
        with np.errstate(invalid="ignore"):
            out[:, k] = (f(xy[:, k]) - lo) / (hi - lo)
    return out


def _distances(points: np.ndarray, curve: np.ndarray, joined: bool) -> np.ndarray:
    """The distance from each of `points` to `curve`: to its polyline when it is drawn joined (broken
    at NaN, as matplotlib draws it), else to its points. A segment between two close samples stands
    for anything in its bounding box: a step sampled on another grid jumps between other samples."""
    finite = np.isfinite(curve).all(axis=1)
    dots = curve[finite]
    if joined:
        both = finite[:-1] & finite[1:]
        a, b = curve[:-1][both], curve[1:][both]
    else:
        a = b = np.empty((0, 2))
    ab = b - a
    length = (ab * ab).sum(axis=1)
    length[length == 0] = 1.0
    jump = np.abs(ab).min(axis=1) <= _JUMP
    lo, hi = np.minimum(a, b)[jump], np.maximum(a, b)[jump]
    out = np.empty(len(points))
    rows = max(1, 400_000 // (len(dots) + len(a) + len(lo) + 1))  # points per block: bounded temporaries
    for start in range(0, len(points), rows):
        px, py = points[start:start + rows, 0, None], points[start:start + rows, 1, None]
        best = ((px - dots[:, 0]) ** 2 + (py - dots[:, 1]) ** 2).min(axis=1)
        if len(a):
            t = np.clip(((px - a[:, 0]) * ab[:, 0] + (py - a[:, 1]) * ab[:, 1]) / length, 0.0, 1.0)
            best = np.minimum(best, ((px - a[:, 0] - t * ab[:, 0]) ** 2 + (py - a[:, 1] - t * ab[:, 1]) ** 2).min(axis=1))
        if len(lo):
            gx = np.maximum(np.maximum(lo[:, 0] - px, px - hi[:, 0]), 0.0)
            gy = np.maximum(np.maximum(lo[:, 1] - py, py - hi[:, 1]), 0.0)
            best = np.minimum(best, (gx * gx + gy * gy).min(axis=1))
        out[start:start + rows] = np.sqrt(best)
    return out


def _image_fit(r: plotted.Image, s: plotted.Image, q: FigureQuestion) -> _Fit:
    if r.array is None or s.array is None:
        return _Fit(False, (2, math.inf), "is too large to compare")
    if r.shape != s.shape or r.array.shape != s.array.shape:
        return _Fit(False, (1, math.inf), f"is {'×'.join(map(str, s.shape))} where the reference's is "
                                          f"{'×'.join(map(str, r.shape))}")
    finite = r.array[np.isfinite(r.array)]
    span = float(finite.max() - finite.min()) if finite.size else 0.0
    with np.errstate(invalid="ignore"):
        close = np.isclose(s.array, r.array, rtol=q.tolerance.rtol,
                           atol=q.tolerance.atol + q.span_tolerance * span, equal_nan=True)
    if close.all():
        return _Fit(True)
    at = np.unravel_index(int(np.argmin(close)), close.shape)
    where = ", ".join(str(int(i)) for i in at)
    return _Fit(False, (0, float(1 - close.mean())), (
        f"differs at {int((~close).sum())} of {close.size} values, e.g. at [{where}]: yours "
        f"{s.array[at]:.4g}, the reference's {r.array[at]:.4g}"))


register(FigureKind())
