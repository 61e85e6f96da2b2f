"""The cells a question contributes to the students' starter notebook, and their placeholders.

Kinds build their `starter_cells` from these; `grader.kinds.starter` puts them together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.spec.models import QuestionBase

ANSWER_PLACEHOLDER = "YOUR ANSWER HERE (write your derivation in LaTeX math, e.g. $$f'(x) = ...$$)"
CODE_PLACEHOLDER = "    # YOUR CODE HERE\n    raise NotImplementedError"


@dataclass
class StarterCell:
    kind: str  # "markdown" | "code"
    source: str
    tags: list[str] = field(default_factory=list)


def prompt_cells(question: QuestionBase) -> list[StarterCell]:
    """The question's prompt, or its title when the author wrote none."""
    text = question.prompt or f"**{question.display_title}**"
    return [StarterCell("markdown", text.rstrip())]


def function_stub(signature: str) -> str:
    return f"def {signature}:\n{CODE_PLACEHOLDER}\n"
