"""Output formats: each renders a GradeResult for where it is used (terminal, Markdown, HTML, JSON,
Gradescope, JUnit). New formats register in `registry`; the built-in ones register on import."""

from grader.report import gradescope, html, json_report, junit, markdown, text  # noqa: F401 - built-ins register
from grader.report.registry import formats, register, render

__all__ = ["formats", "register", "render"]
