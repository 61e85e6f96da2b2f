"""Every question kind fulfils the QuestionKind contract, and the registries refuse what breaks it."""

from __future__ import annotations

import inspect
import typing
from typing import Literal

import pytest

from grader.kinds import kinds
from grader.kinds.base import CheckContext, QuestionKind, QuestionOutcome, Watch
from grader.kinds.registry import RegistryError, register
from grader.report.registry import register as register_format
from grader.spec.models import QuestionBase


@pytest.mark.parametrize("name", sorted(kinds()))
def test_each_registered_kind_keeps_the_contract(name: str) -> None:
    kind = kinds()[name]
    assert isinstance(kind, QuestionKind)
    assert type(kind).name == name
    assert issubclass(kind.model, QuestionBase)
    assert typing.get_args(kind.model.model_fields["kind"].annotation) == (name,)
    assert inspect.iscoroutinefunction(type(kind).check)
    assert isinstance(kind.needs_kernel, bool) and isinstance(kind.draws_figures, bool)


def test_check_belongs_to_the_kinds_not_to_watch() -> None:
    """It once sat on `Watch` by accident (a dataclass inserted between a Protocol's methods)."""
    assert not hasattr(Watch, "check")
    assert "check" in QuestionKind.__abstractmethods__


class _Q(QuestionBase):
    kind: Literal["toy"] = "toy"

    def check_names(self) -> list[str]:
        return ["x"]


class _Toy(QuestionKind):
    name = "toy"
    model = _Q

    async def check(self, question: _Q, prepared: object, ctx: CheckContext) -> QuestionOutcome:
        return QuestionOutcome([])


def test_a_kind_without_check_cannot_be_made() -> None:
    class NoCheck(QuestionKind):
        name = "nocheck"
        model = _Q

    with pytest.raises(TypeError):
        NoCheck()


def test_the_defaults_cover_every_optional_capability() -> None:
    toy, q = _Toy(), _Q(id="q1")
    assert toy.prepare(q, None) is None
    assert toy.watches(q) == [] and toy.attempt(q).names == [] and toy.public(q, lambda v: True) == (q, 0)
    assert [c.source for c in toy.starter_cells(q)] == ["**q1**"]


def test_the_kind_registry_refuses_duplicates_and_broken_kinds() -> None:
    with pytest.raises(RegistryError, match="already registered"):
        register(kinds()["function"])

    class WrongLiteral(_Toy):
        name = "toy2"  # its model's kind is "toy"

    with pytest.raises(RegistryError, match="Literal"):
        register(WrongLiteral())

    class SyncCheck(_Toy):
        name = "toy"

        def check(self, question, prepared, ctx):  # type: ignore[override]
            return QuestionOutcome([])

    with pytest.raises(RegistryError, match="async"):
        register(SyncCheck())
    with pytest.raises(RegistryError, match="not a QuestionKind"):
        register(object())  # type: ignore[arg-type]
    assert "toy" not in kinds() and "toy2" not in kinds()


def test_the_format_registry_refuses_duplicates_and_wrong_signatures() -> None:
    with pytest.raises(TypeError, match="already registered"):
        register_format("text")(lambda result, *, color=False: "")
    with pytest.raises(TypeError, match=r"\(result, \*, color\)"):
        register_format("no-color")(lambda result: "")
