"""grader: an autograder for deep-learning-fundamentals notebooks.

The path of a submission, one package per stage: spec (the assignment) -> notebook (the
submission as text) -> kernel (run it sandboxed, probe it) -> kinds (judge each question) ->
grading (score it) -> report (render it); workflows (batch, ci, validate, release, ...) and the
cli sit on top.
"""

from grader.version import __version__
from grader.workflows.in_notebook import check_notebook  # the one call students make from a cell

__all__ = ["__version__", "check_notebook"]
