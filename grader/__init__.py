"""grader: an autograder for deep-learning-fundamentals notebooks.

The path of a submission: load spec -> read notebook -> execute -> probe -> check -> score -> report.
"""

__version__ = "0.1.0"


def check_notebook(*args, **kwargs):  # noqa: ANN002, ANN003 - see grader.in_notebook.check_notebook
    """Run the public checks on this notebook from one of its cells (see grader.in_notebook)."""
    from .in_notebook import check_notebook as _check

    return _check(*args, **kwargs)
