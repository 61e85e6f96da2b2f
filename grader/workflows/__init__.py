"""The verbs' libraries, over the grading pipeline: `batch` (a class into a gradebook), `ci`,
`selfcheck` and `in_notebook` (students' own checks), `validate`, `release` and `gradescope`.
They never print or exit: the CLI does."""
