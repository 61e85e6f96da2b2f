"""grader: an autograder for deep-learning-fundamentals notebooks.

The path of a submission: load spec -> read notebook -> execute -> probe -> check -> score -> report.
"""

__version__ = "0.1.0"
