"""Assignment and rubric schemas: what every question kind shares.

Question kinds define their own question models (see `grader.kinds`); loading YAML into these
models is `grader.spec.load`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Model(BaseModel):
    """Strict base: an unknown key in an instructor's YAML is almost always a typo."""

    model_config = ConfigDict(extra="forbid", frozen=False)


# --------------------------------------------------------------------------- probe inputs

class InputSpec(Model):
    """How to make one argument for a probe call.

    Exactly one source: `uniform: [lo, hi]`, `normal: [mean, std]`, `values: [...]` (literal
    tensor), `choice: [...]` (draw from these values), `fill: 0.0` (a constant tensor of `shape`,
    e.g. a gradient buffer a function accumulates into) or `value:` (a plain Python value).
    """

    uniform: tuple[float, float] | None = None
    normal: tuple[float, float] | None = None
    values: Any = None
    choice: list[float] | None = None
    fill: float | None = None
    value: Any = None
    shape: list[int] = Field(default_factory=list)
    dtype: Literal["float32", "float64", "int64", "bool"] = "float32"

    @model_validator(mode="after")
    def _one_source(self) -> "InputSpec":
        sources = [k for k in ("uniform", "normal", "values", "choice", "fill", "value") if getattr(self, k) is not None]
        if len(sources) != 1:
            raise ValueError(
                "give exactly one of uniform, normal, values, choice, fill, value"
                + (f" (got {', '.join(sources)})" if sources else "")
            )
        if any(d < 0 for d in self.shape):
            raise ValueError("shape entries must be >= 0")
        return self


def values_shorthand(v: Any) -> Any:
    """`x: [0.0, 1.0]` is shorthand for `x: {values: [0.0, 1.0]}` in a mapping of input specs."""
    if isinstance(v, dict):
        return {k: ({"values": val} if isinstance(val, list) else val) for k, val in v.items()}
    return v


Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]


class Shown(Model):
    """A question or a check with a `visibility` (and `hidden: true`, its alias for `hidden`): when a student
    sees its result. What a student sees *now* is grader.report.visibility's to decide."""

    @model_validator(mode="after")
    def _hidden_alias(self) -> "Shown":
        if self.hidden and self.visibility not in (None, "hidden"):  # type: ignore[attr-defined]
            raise ValueError(f"`hidden: true` contradicts `visibility: {self.visibility}`; "  # type: ignore[attr-defined]
                             "give one of them")
        return self

    @property
    def shown_as(self) -> str:
        """The effective visibility (default `visible`)."""
        return self.visibility or ("hidden" if self.hidden else "visible")  # type: ignore[attr-defined]


class ProbeSpec(Shown):
    """A named group of calls; each probe is one rubric check (e.g. "random", "batched", "special")."""

    name: str
    label: str | None = None
    inputs: dict[str, InputSpec] = Field(default_factory=dict)  # empty when the question has a probe builder
    kwargs: dict[str, Any] = Field(default_factory=dict)
    hidden: bool = False  # the same as `visibility: hidden`
    visibility: Visibility | None = None  # when a student sees this check's details (default visible)

    @field_validator("inputs", mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        return values_shorthand(v)

    def describe(self) -> str:
        return self.label or self.name


class Tolerance(Model):
    rtol: float = 1e-4
    atol: float = 1e-6


class Kink(Model):
    """Where the derivative is a convention: any listed value is accepted there.

    `at`: where the differentiated argument equals this value (ReLU at 0); or `where`: an
    expression over the arguments giving a mask (`y_pred == y` for L1). Values may be
    expressions over the arguments too (`1/y_pred.numel()`).
    """

    at: float | None = None
    where: str | None = None
    values: list[float | str]
    wrt: str | None = None

    @model_validator(mode="after")
    def _one_place(self) -> "Kink":
        if (self.at is None) == (self.where is None):
            raise ValueError("give exactly one of `at` or `where`")
        return self


class AnswerLocator(Model):
    """Where a markdown answer lives: a cell tag, or the prompt text (plus optional section heading)."""

    tag: str | None = None
    prompt: str | None = None
    section: str | None = None

    @model_validator(mode="after")
    def _some(self) -> "AnswerLocator":
        if not (self.tag or self.prompt):
            raise ValueError("give `tag` or `prompt` to find the answer cell")
        return self


class QuestionBase(Shown):
    id: str
    kind: str
    title: str | None = None
    points: float = Field(default=1.0, gt=0)
    hidden: bool = False  # the same as `visibility: hidden`
    prompt: str | None = None  # markdown shown before the answer cell in the released starter
    visibility: Visibility | None = None  # when a student sees this question's result (default visible)

    def check_names(self) -> list[str]:  # pragma: no cover - every kind overrides
        raise NotImplementedError

    @property
    def display_title(self) -> str:
        return self.title or self.id


class MatchHints(Model):
    """What identifies a notebook as this assignment when it carries no metadata."""

    headings: list[str] = Field(default_factory=list)
    functions: list[str] = Field(default_factory=list)


class Release(Model):
    """What `grade release` puts around the questions in the students' starter notebook."""

    intro: str = ""
    setup: str = ""  # the first code cell (imports)


class SupportFile(Model):
    """A file the course ships to every kernel (a helper module, a small data set): `path` relative to
    the YAML file, placed read-only at `as` in the kernel's working directory (default: `path` as
    written when it stays inside the YAML's folder, else the file's name)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    path: str
    as_: str | None = Field(default=None, alias="as")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        return {"path": v} if isinstance(v, str) else v

    @property
    def target(self) -> str:
        """Where the kernel sees it, relative to its working directory."""
        if self.as_ is not None:
            return self.as_
        p = PurePosixPath(self.path)
        return self.path if not p.is_absolute() and ".." not in p.parts else p.name

    @model_validator(mode="after")
    def _safe_target(self) -> "SupportFile":
        t = PurePosixPath(self.target)
        if not self.target or t.is_absolute() or ".." in t.parts or self.target.startswith("."):
            raise ValueError(f"a support file's place in the kernel's working directory must be a relative path "
                             f"inside it, not {self.target!r}")
        return self


class Assignment(Model):
    id: str
    title: str
    version: str = "1"
    array_library: Literal["torch", "numpy"] = "torch"  # what probes pass to students' functions
    solution: str | None = None  # solution notebook, relative to this file; `grade validate` grades it
    starter: str | None = None   # the notebook students receive (default: what `grade release` writes)
    release: Release = Field(default_factory=Release)
    based_on: str | None = None  # set by `extends`: this edition may use its base's rubric
    rubric: str | None = None  # rubric id or path; default: rubrics/<id>.yaml
    match: MatchHints = Field(default_factory=MatchHints)
    seed: int = 0
    # `solution`: code questions without a reference of their own are compared with the solution
    # notebook's functions (run once in its own kernel on the same inputs; see grader.kinds.solution)
    reference: Literal["solution"] | None = None
    files: list[SupportFile] = Field(default_factory=list)  # shipped read-only to every kernel's working directory
    due: datetime | None = None  # visibility `after_due_date` (issue 17); a date without a zone is UTC
    questions: list[Any]
    path: Path | None = Field(default=None, exclude=True)

    @property
    def solution_path(self) -> Path | None:
        return self._relative(self.solution)

    @property
    def starter_path(self) -> Path | None:
        return self._relative(self.starter)

    def _relative(self, name: str | None) -> Path | None:
        if not name:
            return None
        base = self.path.parent if self.path else Path.cwd()
        return (base / name).resolve()

    def support_files(self) -> dict[str, Path]:
        """The course's support files: {place in the kernel's working directory: the file here}."""
        return {f.target: self._relative(f.path) for f in self.files}  # type: ignore[misc]

    @property
    def resources(self) -> Path | None:
        """`assignments/<id>/`: Python references and probe builders shipped with the assignment."""
        if self.path is None:
            return None
        d = self.path.parent / self.id
        return d if d.is_dir() else None

    def question(self, qid: str) -> Any:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)


# --------------------------------------------------------------------------- rubric

class RubricCheck(Model):
    points: float | None = Field(default=None, ge=0)
    feedback: str | None = None


class RubricQuestion(Model):
    points: float | None = Field(default=None, gt=0)
    checks: dict[str, RubricCheck] = Field(default_factory=dict)
    feedback: str | None = None
    partial: dict[str, float] = Field(default_factory=dict)  # status -> fraction of the question's points
    method_marks: float | None = Field(default=None, ge=0)  # points for a wrong final answer after valid steps (≥ 2)
    wrong_step_deduction: float | None = Field(default=None, ge=0)  # points off a right answer through a wrong step

    @field_validator("partial")
    @classmethod
    def _fractions(cls, v: dict[str, float]) -> dict[str, float]:
        for k, f in v.items():
            if not 0 <= f <= 1:
                raise ValueError(f"partial credit for {k!r} must be between 0 and 1")
        return v


class Penalties(Model):
    """Deductions, as fractions of the question's points; 0 reports without deducting. Changing an
    input in place costs a quarter unless the rubric says otherwise, also with no rubric at all
    (a course notebook graded as it is), since the caller's data is silently wrong afterwards."""

    mutates_input: float = Field(default=0.25, ge=0, le=1)
    forbidden_call: float = Field(default=0.0, ge=0, le=1)   # e.g. torch.sigmoid inside sigmoid
    missing_required_call: float = Field(default=0.0, ge=0, le=1)  # e.g. no autograd where it is the exercise

    def fraction(self, name: str) -> float:
        """The deduction for a penalty a kind reported; a name the rubric has no field for is a grader bug."""
        if name not in type(self).model_fields:
            raise KeyError(f"unknown penalty {name!r}")
        return float(self.__dict__[name])


class Rubric(Model):
    assignment: str
    questions: dict[str, RubricQuestion] = Field(default_factory=dict)
    penalties: Penalties = Field(default_factory=Penalties)
    path: Path | None = Field(default=None, exclude=True)

    def for_question(self, qid: str) -> RubricQuestion:
        return self.questions.get(qid) or RubricQuestion()
