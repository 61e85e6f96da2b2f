"""The registry of report formats: one name, one renderer, checked when it registers.

Every renderer takes `color`; one that lays text out for a terminal also takes `width` (the columns to
wrap at, None for no wrapping), and `render` passes it only to those: the others have no lines to wrap.
"""

from __future__ import annotations

import inspect
from typing import Callable

from grader.results import GradeResult

Renderer = Callable[..., str]
_FORMATS: dict[str, Renderer] = {}
_WRAPS: set[str] = set()  # formats whose renderer takes `width`
_OPTIONS = ({"color"}, {"color", "width"})


def register(name: str) -> Callable[[Renderer], Renderer]:
    """Register `fn(result, *, color=False) -> str` (or `fn(result, *, color=False, width=None)`) as format
    `name`; a duplicate name or another signature is refused."""
    def deco(fn: Renderer) -> Renderer:
        if name in _FORMATS:
            raise TypeError(f"a report format named {name!r} is already registered ({_FORMATS[name].__qualname__})")
        params = list(inspect.signature(fn).parameters.values())
        options = {p.name for p in params[1:] if p.kind is inspect.Parameter.KEYWORD_ONLY}
        if not params or params[0].kind is inspect.Parameter.KEYWORD_ONLY or len(options) != len(params) - 1 \
                or options not in _OPTIONS:
            raise TypeError(f"report format {name!r}: the renderer must take (result, *, color) "
                            "or (result, *, color, width)")
        _FORMATS[name] = fn
        if "width" in options:
            _WRAPS.add(name)
        return fn
    return deco


# file name endings of per-notebook reports; gradescope is JSON too, so it keeps its name in the suffix
SUFFIXES = {"text": ".txt", "json": ".json", "gradescope": ".gradescope.json", "junit": ".xml",
            "markdown": ".md", "html": ".html"}


def report_name(stem: str, fmt: str) -> str:
    """`alice.json`, `alice.gradescope.json`, `alice.xml`: one name per format, never `.json.json`."""
    return stem + SUFFIXES.get(fmt, f".{fmt}")


def formats() -> list[str]:
    return list(_FORMATS)


def render(result: GradeResult, fmt: str, *, color: bool = False, width: int | None = None) -> str:
    """`result` in format `fmt`. `width`: the terminal's columns, for formats that wrap text (None: no wrapping)."""
    if fmt in _WRAPS:
        return _FORMATS[fmt](result, color=color, width=width)
    return _FORMATS[fmt](result, color=color)
