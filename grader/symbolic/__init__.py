"""Symbolic answers: read a student's LaTeX, pick the final answer, compare with sympy.

Public API: ``check_answer`` (the whole check, returns a ``SymbolicResult``), ``shared_pool()``
(the same check in worker processes, where its time limit always holds: what grading uses),
``question_for`` (the author's side, parsed once per process),
``extract_answer`` (which answer would be graded), ``latex_to_sympy`` and
``LatexParseError`` (the parser on its own).
"""

from .check import STATUSES, SymbolicResult, check_answer, extract_answer, question_for
from .pool import SymbolicPool, shared_pool
from .parser import LatexParseError, latex_to_sympy

__all__ = ["STATUSES", "SymbolicPool", "SymbolicResult", "check_answer", "extract_answer", "latex_to_sympy",
           "LatexParseError", "question_for", "shared_pool"]
