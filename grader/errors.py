"""Errors that mean "this input cannot be graded": the CLI prints them as one line and exits 2."""


class GraderInputError(Exception):
    """Unusable input (missing/invalid notebook, invalid assignment or rubric).

    The message is shown to the user as-is, so it must say what is wrong and what to fix.
    """


class SpecError(GraderInputError):
    """An assignment or rubric file that does not match its schema."""


class NotGraded(Exception):
    """The grader itself failed on a submission twice (a kernel that would not start, an internal
    error): no verdict exists, so no score is recorded; `reason` says what failed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
