"""HTML pages from jinja2 templates with autoescape on, so text from a student or a notebook can
never become markup, and student figures reach an <img> only as base64 that decodes to a PNG.

Every page extends templates/base.html, which inlines templates/style.css: each page is one
self-contained file that can be mailed or uploaded as it is.
"""

from __future__ import annotations

import base64
import binascii
import functools
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from grader.results import as_number

if TYPE_CHECKING:
    import jinja2

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PNG_BYTES = 1_500_000  # a larger plot would bloat a page meant to be mailed


@dataclass(frozen=True)
class Figure:
    """One <figure>: `png` is checked base64 (see `png_problem`), or None when there is no image to show."""

    caption: str
    png: str | None = None
    alt: str = ""


def png_problem(data: object) -> str | None:
    """Why `data` cannot go into src="data:image/png;base64,…", or None if it can.

    A student's display({"image/png": ...}, raw=True) puts any string there, so only the canonical
    base64 of bytes that start with the PNG signature is let through (which also means only
    [A-Za-z0-9+/=] ever reaches the attribute)."""
    if not isinstance(data, str) or not data:
        return "a figure that is not a valid PNG was left out"
    if len(data) * 3 // 4 > MAX_PNG_BYTES:
        return f"a figure over {MAX_PNG_BYTES / 1e6:g} MB was left out"
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):  # ValueError: non-ASCII text
        return "a figure that is not a valid PNG was left out"
    if not raw.startswith(PNG_SIGNATURE) or base64.b64encode(raw).decode("ascii") != data:
        return "a figure that is not a valid PNG was left out"
    return None


def figure(data: object, *, caption: str, alt: str) -> Figure:
    """The figure for an image payload: shown if it is a PNG, else only a caption saying it was left out."""
    problem = png_problem(data)
    if problem is None and isinstance(data, str):
        return Figure(caption, data, alt)
    return Figure(f"{caption}: {problem}")


@functools.cache
def environment() -> jinja2.Environment:
    """The one environment for every page; built on first use so importing the report formats
    (every CLI run) does not pay for importing jinja2."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("grader.report", "templates"),
        autoescape=True,  # every template is HTML; nothing is marked |safe
        undefined=jinja2.StrictUndefined,  # a misspelt name in a template is an error, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["number"] = as_number
    env.filters["urlquote"] = urllib.parse.quote  # then autoescaped like any other text
    return env


def render_page(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
