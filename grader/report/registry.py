"""The registry of report formats: one name, one renderer, checked when it registers."""

from __future__ import annotations

import inspect
from typing import Callable

from grader.results import GradeResult

Renderer = Callable[..., str]
_FORMATS: dict[str, Renderer] = {}


def register(name: str) -> Callable[[Renderer], Renderer]:
    """Register `fn(result, *, color=False) -> str` as format `name`; a duplicate name is refused."""
    def deco(fn: Renderer) -> Renderer:
        if name in _FORMATS:
            raise TypeError(f"a report format named {name!r} is already registered ({_FORMATS[name].__qualname__})")
        params = inspect.signature(fn).parameters
        if "color" not in params or params["color"].kind is not inspect.Parameter.KEYWORD_ONLY or len(params) != 2:
            raise TypeError(f"report format {name!r}: the renderer must take (result, *, color)")
        _FORMATS[name] = fn
        return fn
    return deco


def formats() -> list[str]:
    return list(_FORMATS)


def render(result: GradeResult, fmt: str, *, color: bool = False) -> str:
    return _FORMATS[fmt](result, color=color)
