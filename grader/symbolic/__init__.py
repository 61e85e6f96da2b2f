"""Symbolic answers: read a student's LaTeX, pick the final answer, compare with sympy.

Public API: ``check_answer`` (the whole check, returns a ``SymbolicResult``),
``extract_answer`` (which answer would be graded), ``latex_to_sympy`` and
``LatexParseError`` (the parser on its own).
"""

from .check import STATUSES, SymbolicResult, check_answer, extract_answer
from .parser import LatexParseError, latex_to_sympy

__all__ = ["STATUSES", "SymbolicResult", "check_answer", "extract_answer", "latex_to_sympy", "LatexParseError"]
