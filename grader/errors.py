"""Errors that mean "this input cannot be graded": the CLI prints them as one line and exits 2."""


class GraderInputError(Exception):
    """Unusable input (missing/invalid notebook, invalid assignment or rubric).

    The message is shown to the user as-is, so it must say what is wrong and what to fix.
    """


class SpecError(GraderInputError):
    """An assignment or rubric file that does not match its schema."""
