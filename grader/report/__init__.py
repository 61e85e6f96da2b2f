"""Output formats. Each renders a GradeResult to text; new formats register here."""

from __future__ import annotations

from typing import Callable

from ..results import GradeResult

Renderer = Callable[..., str]
_FORMATS: dict[str, Renderer] = {}


def register(name: str) -> Callable[[Renderer], Renderer]:
    def deco(fn: Renderer) -> Renderer:
        _FORMATS[name] = fn
        return fn
    return deco


def formats() -> list[str]:
    return list(_FORMATS)


def render(result: GradeResult, fmt: str, *, color: bool = False) -> str:
    return _FORMATS[fmt](result, color=color)


from . import gradescope as _gradescope  # noqa: E402,F401
from . import html as _html  # noqa: E402,F401
from . import json_report as _json  # noqa: E402,F401
from . import junit as _junit  # noqa: E402,F401
from . import markdown as _markdown  # noqa: E402,F401
from . import text as _text  # noqa: E402,F401
