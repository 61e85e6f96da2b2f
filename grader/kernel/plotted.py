"""What a figure shows, as numbers: the lines, scatter points and images of each of its axes.

The student's figures are read inside their kernel as each cell displays them (runtime.py's
`capture_figures`), the reference's here, both by the same `figure_content` and the same encoding,
so a figure question compares plotted data rather than pixels. What comes back from the kernel is
untrusted: sizes, counts and types are checked here, arrays by grader/kernel/wire.py.
"""

from __future__ import annotations

import base64
import hashlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.kernel import runtime, wire

MAX_FIGURES = 32
MAX_AXES = 32
MAX_ITEMS = 200  # lines, scatter sets or images per axes


@dataclass(frozen=True)
class Curve:
    """A line (`joined`: drawn as a polyline, else markers only) or a scatter's points, in drawing order."""

    kind: str             # "line" | "points"
    label: str
    xy: np.ndarray | None  # (N, 2) float64, subsampled by a stride when long; None: too large to send
    n: int                # points before subsampling
    in_data: bool         # in data coordinates (an axhline's x is a fraction of the axes instead)
    joined: bool


@dataclass(frozen=True)
class Image:
    """An image's or a mesh's values."""

    array: np.ndarray | None  # subsampled by a stride when large; None: too large to send
    shape: tuple[int, ...]    # before subsampling


@dataclass(frozen=True)
class Axes:
    name: str  # its title, else its y label: what feedback calls it
    xlim: tuple[float, float] | None
    ylim: tuple[float, float] | None
    xscale: str
    yscale: str
    curves: list[Curve]
    images: list[Image]


@dataclass(frozen=True)
class Figure:
    axes: list[Axes]
    error: str = ""  # the kernel could not read this figure (its type of exception)


@dataclass(frozen=True)
class CellFigures:
    """What the last run of a cell displayed; `ran` is False when that cell never ran in this kernel."""

    ran: bool
    figures: list[Figure]


def cell_key(source: str) -> str:
    """How the runtime names a cell: the digest of its source, as the kernel received it."""
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


def figure_of(fig: Any) -> Figure:
    """A matplotlib figure of the grader's own (the reference), read exactly as the kernel reads the student's."""
    raw = runtime.figure_wire([runtime.figure_content(fig)], base64.b64encode)
    return parse_figures(raw)[0]


def parse_reply(payload: dict[str, Any]) -> CellFigures:
    """The runtime's reply to a `figures` request. Raises wire.WireError when it does not follow the protocol."""
    if payload.get("status") != "ok":
        raise wire.WireError("the kernel could not record figures")
    return CellFigures(payload.get("ran") is True, parse_figures(payload.get("figures")))


def parse_figures(raw: Any) -> list[Figure]:
    figures = _list(raw, MAX_FIGURES, "figures")
    out = []
    for fig in figures:
        if not isinstance(fig, dict):
            raise wire.WireError("malformed figure")
        if "error" in fig:
            out.append(Figure([], error=str(fig["error"])[:80] or "error"))
            continue
        out.append(Figure([_axes(a) for a in _list(fig.get("axes"), MAX_AXES, "axes")]))
    return out


def _list(raw: Any, limit: int, what: str) -> list[Any]:
    if not isinstance(raw, list) or len(raw) > limit:
        raise wire.WireError(f"malformed {what}")
    return raw


def _axes(raw: Any) -> Axes:
    if not isinstance(raw, dict):
        raise wire.WireError("malformed axes")
    curves = [_curve(c, "line") for c in _list(raw.get("lines"), MAX_ITEMS, "lines")]
    curves += [_curve(c, "points") for c in _list(raw.get("points"), MAX_ITEMS, "points")]
    images = [_image(i) for i in _list(raw.get("images"), MAX_ITEMS, "images")]
    return Axes(str(raw.get("name", ""))[:100], _limits(raw.get("xlim")), _limits(raw.get("ylim")),
                str(raw.get("xscale", "linear"))[:20], str(raw.get("yscale", "linear"))[:20], curves, images)


def _limits(raw: Any) -> tuple[float, float] | None:
    if (isinstance(raw, list) and len(raw) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                        and math.isfinite(v) for v in raw)):
        return float(raw[0]), float(raw[1])
    return None


def _array(raw: Any, ndim: tuple[int, ...]) -> np.ndarray | None:
    if raw is None:
        return None
    value = wire.decode_value(raw)
    if value.kind != "ndarray" or value.array is None or value.array.ndim not in ndim:
        raise wire.WireError("malformed figure data")
    return value.array.astype(np.float64, copy=False)


def _count(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw < 2**62:
        raise wire.WireError("malformed count")
    return raw


def _curve(raw: Any, kind: str) -> Curve:
    if not isinstance(raw, dict):
        raise wire.WireError("malformed line")
    xy = _array(raw.get("xy"), (2,))
    if xy is not None and xy.shape[1:] != (2,):
        raise wire.WireError("malformed line data")
    return Curve(kind, str(raw.get("label", ""))[:80], xy, _count(raw.get("n")), raw.get("data") is True,
                 raw.get("joined") is True)


def _image(raw: Any) -> Image:
    if not isinstance(raw, dict):
        raise wire.WireError("malformed image")
    shape = _list(raw.get("shape"), wire.MAX_NDIM, "image shape")
    return Image(_array(raw.get("array"), tuple(range(1, wire.MAX_NDIM + 1))), tuple(_count(d) for d in shape))
