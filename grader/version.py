"""The grader's version: part of every result and of the batch's spec hash (a new grader regrades)."""

__version__ = "0.1.0"
