"""The registry of question kinds.

A kind is one object with a schema (`model`), a grader-side `prepare` step (references,
probe inputs: no student code involved, so it can run while the notebook executes) and a
`check` step that looks at the executed notebook. New kinds register here; nothing else in
the pipeline branches on the kind.
"""

from __future__ import annotations

from .base import CheckContext, CheckOutcome, QuestionKind, QuestionOutcome

_KINDS: dict[str, QuestionKind] = {}


def register(kind: QuestionKind) -> QuestionKind:
    _KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> QuestionKind:
    try:
        return _KINDS[name]
    except KeyError:
        known = ", ".join(sorted(_KINDS))
        raise KeyError(f"unknown question kind {name!r} (known kinds: {known})") from None


def question_model(name: object) -> type:
    if not isinstance(name, str):
        known = ", ".join(sorted(_KINDS))
        raise KeyError(f"missing `kind` (one of: {known})")
    return get_kind(name).model


def kinds() -> dict[str, QuestionKind]:
    return dict(_KINDS)


# Built-in kinds register themselves on import.
from . import function as _function  # noqa: E402,F401
from . import optimizer as _optimizer  # noqa: E402,F401
from . import state as _state  # noqa: E402,F401
from . import symbolic as _symbolic  # noqa: E402,F401

__all__ = ["CheckContext", "CheckOutcome", "QuestionKind", "QuestionOutcome", "register", "get_kind", "kinds"]
