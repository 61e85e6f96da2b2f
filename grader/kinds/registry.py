"""The registry of question kinds: one name, one kind, checked when it registers.

The pipeline, the starter and the loader look kinds up here by the `kind:` of a question;
nothing else branches on the kind.
"""

from __future__ import annotations

import inspect
import typing

from grader.kinds.base import QuestionKind
from grader.spec.models import QuestionBase

_KINDS: dict[str, QuestionKind] = {}


class RegistryError(TypeError):
    """A kind that breaks the contract: a programming error in the grader, found at import."""


def register(kind: QuestionKind) -> QuestionKind:
    """Add a kind; refuse a duplicate name, a non-kind, and a model whose `kind` field is not its name."""
    if not isinstance(kind, QuestionKind):
        raise RegistryError(f"{kind!r} is not a QuestionKind")
    name = getattr(type(kind), "name", None)
    if not isinstance(name, str) or not name:
        raise RegistryError(f"{type(kind).__name__} has no name")
    if name in _KINDS:
        raise RegistryError(f"a question kind named {name!r} is already registered ({type(_KINDS[name]).__name__})")
    model = getattr(type(kind), "model", None)
    if not (inspect.isclass(model) and issubclass(model, QuestionBase)):
        raise RegistryError(f"kind {name!r}: model must be a QuestionBase subclass, not {model!r}")
    field_type = model.model_fields["kind"].annotation
    if typing.get_origin(field_type) is not typing.Literal or typing.get_args(field_type) != (name,):
        raise RegistryError(f"kind {name!r}: {model.__name__}.kind must be Literal[{name!r}]")
    if not inspect.iscoroutinefunction(type(kind).check):
        raise RegistryError(f"kind {name!r}: check must be an async method")
    _KINDS[name] = kind
    return kind


def get_kind(name: str) -> QuestionKind:
    try:
        return _KINDS[name]
    except KeyError:
        known = ", ".join(sorted(_KINDS))
        raise KeyError(f"unknown question kind {name!r} (known kinds: {known})") from None


def question_model(name: object) -> type[QuestionBase]:
    """The model for a question's `kind:` value (what `grader.spec.load` is given)."""
    if not isinstance(name, str):
        known = ", ".join(sorted(_KINDS))
        raise KeyError(f"missing `kind` (one of: {known})")
    return get_kind(name).model


def kinds() -> dict[str, QuestionKind]:
    return dict(_KINDS)
