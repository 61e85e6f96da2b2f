"""Assignment and rubric files: schemas and loading.

Question kinds register their own models (see `grader.checks`); this module holds what every
kind shares and turns YAML into validated objects, with errors that name the file and place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import SpecError


class Model(BaseModel):
    """Strict base: an unknown key in an instructor's YAML is almost always a typo."""

    model_config = ConfigDict(extra="forbid", frozen=False)


# --------------------------------------------------------------------------- probe inputs

class InputSpec(Model):
    """How to make one argument for a probe call.

    Exactly one source: `uniform: [lo, hi]`, `normal: [mean, std]`, `values: [...]` (literal
    tensor), `choice: [...]` (draw from these values) or `value:` (a plain Python value).
    """

    uniform: tuple[float, float] | None = None
    normal: tuple[float, float] | None = None
    values: Any = None
    choice: list[float] | None = None
    value: Any = None
    shape: list[int] = Field(default_factory=list)
    dtype: Literal["float32", "float64", "int64", "bool"] = "float32"

    @model_validator(mode="after")
    def _one_source(self) -> "InputSpec":
        sources = [k for k in ("uniform", "normal", "values", "choice", "value") if getattr(self, k) is not None]
        if len(sources) != 1:
            raise ValueError(
                "give exactly one of uniform, normal, values, choice, value"
                + (f" (got {', '.join(sources)})" if sources else "")
            )
        if any(d < 0 for d in self.shape):
            raise ValueError("shape entries must be >= 0")
        return self

    @property
    def is_tensor(self) -> bool:
        return self.value is None


def values_shorthand(v: Any) -> Any:
    """`x: [0.0, 1.0]` is shorthand for `x: {values: [0.0, 1.0]}` in a mapping of input specs."""
    if isinstance(v, dict):
        return {k: ({"values": val} if isinstance(val, list) else val) for k, val in v.items()}
    return v


class ProbeSpec(Model):
    """A named group of calls; each probe is one rubric check (e.g. "random", "batched", "special")."""

    name: str
    label: str | None = None
    inputs: dict[str, InputSpec] = Field(default_factory=dict)  # empty when the question has a probe builder
    kwargs: dict[str, Any] = Field(default_factory=dict)
    hidden: bool = False

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


class QuestionBase(Model):
    id: str
    kind: str
    title: str | None = None
    points: float = Field(default=1.0, gt=0)
    hidden: bool = False
    prompt: str | None = None  # markdown shown before the answer cell in the released starter

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

    @field_validator("partial")
    @classmethod
    def _fractions(cls, v: dict[str, float]) -> dict[str, float]:
        for k, f in v.items():
            if not 0 <= f <= 1:
                raise ValueError(f"partial credit for {k!r} must be between 0 and 1")
        return v


class Penalties(Model):
    """Deductions, as fractions of the question's points; 0 reports without deducting."""

    mutates_input: float = Field(default=0.0, ge=0, le=1)
    forbidden_call: float = Field(default=0.0, ge=0, le=1)   # e.g. torch.sigmoid inside sigmoid
    missing_required_call: float = Field(default=0.0, ge=0, le=1)  # e.g. no autograd where it is the exercise


class Rubric(Model):
    assignment: str
    questions: dict[str, RubricQuestion] = Field(default_factory=dict)
    penalties: Penalties = Field(default_factory=Penalties)
    path: Path | None = Field(default=None, exclude=True)

    def for_question(self, qid: str) -> RubricQuestion:
        return self.questions.get(qid) or RubricQuestion()


# --------------------------------------------------------------------------- loading

def _read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError(f"{path}: cannot read ({e.__class__.__name__}: {e})") from None
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise SpecError(f"{path}:{where}: invalid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data, node


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Follow a validation error's location into the YAML node tree to report a line number."""
    line = None
    for key in loc:
        if node is None:
            break
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if k.value == str(key):
                    nxt, line = v, k.start_mark.line + 1
                    break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _format_loc(data: Any, loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    cur = data
    for key in loc:
        if isinstance(key, int):
            label = f"[{key}]"
            if isinstance(cur, list) and key < len(cur) and isinstance(cur[key], dict) and "id" in cur[key]:
                label += f" (id {cur[key]['id']})"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(key))
        try:
            cur = cur[key]
        except (KeyError, IndexError, TypeError):
            cur = None
    return "".join(parts) or "(top level)"


def _spec_error(path: Path, data: Any, node: yaml.Node | None, err: ValidationError, prefix: tuple = ()) -> SpecError:
    first = err.errors()[0]
    loc = prefix + tuple(x for x in first["loc"] if not (isinstance(x, str) and x.startswith("function-")))
    line = _line_of(node, loc)
    where = f" line {line}," if line else ""
    msg = first["msg"].removeprefix("Value error, ")
    more = len(err.errors()) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return SpecError(f"{path}:{where} {_format_loc(data, loc)}: {msg}{tail}")


def load_assignment(path: Path) -> Assignment:
    from .checks import question_model  # the registry of question kinds

    path = Path(path)
    data, node = _read_yaml(path)
    data = {k: v for k, v in data.items() if not str(k).startswith("x-")}  # x-*: YAML anchors' home
    if "extends" in data:
        data = _extend(path, data)
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise SpecError(f"{path}: `questions` must be a non-empty list")
    try:
        assignment = Assignment.model_validate({**data, "questions": []})
    except ValidationError as e:
        raise _spec_error(path, data, node, e) from None
    questions = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_questions):
        if not isinstance(raw, dict):
            raise SpecError(f"{path}: questions[{i}]: expected a mapping")
        try:
            model = question_model(raw.get("kind"))
        except KeyError as e:
            line = _line_of(node, ("questions", i, "kind"))
            raise SpecError(f"{path}:{f' line {line},' if line else ''} questions[{i}].kind: {e.args[0]}") from None
        try:
            q = model.model_validate(raw)
        except ValidationError as e:
            raise _spec_error(path, data, node, e, prefix=("questions", i)) from None
        if q.id in seen:
            raise SpecError(f"{path}: questions[{i}]: duplicate question id {q.id!r}")
        seen.add(q.id)
        questions.append(q)
    assignment.questions = questions
    assignment.path = path
    return assignment


def _extend(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    """`extends: base.yaml` (+ `exclude: [ids]`): an edition of another assignment, e.g. for NumPy.

    The base is validated on its own first, so its errors name its own file and line.
    """
    base_path = path.parent / str(data.pop("extends"))
    exclude = data.pop("exclude", []) or []
    base = load_assignment(base_path)
    base_data, _ = _read_yaml(base_path)
    known = {q.id for q in base.questions}
    unknown = [q for q in exclude if q not in known]
    if unknown:
        raise SpecError(f"{path}: exclude: no question {', '.join(map(repr, unknown))} in {base_path.name}")
    merged = {k: v for k, v in base_data.items() if not str(k).startswith("x-") and k not in ("questions", "match")}
    if base.solution and "solution" not in data:
        merged.pop("solution", None)  # the base's solution is not this edition's
    questions = [q for q in base_data["questions"] if q.get("id") not in exclude] + list(data.pop("questions", []) or [])
    return {**merged, **data, "questions": questions, "based_on": base.id}


def load_rubric(path: Path, assignment: Assignment) -> Rubric:
    path = Path(path)
    data, node = _read_yaml(path)
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as e:
        raise _spec_error(path, data, node, e) from None
    if rubric.assignment not in (assignment.id, assignment.based_on):
        raise SpecError(f"{path}: rubric is for assignment {rubric.assignment!r}, not {assignment.id!r}")
    ids = {q.id: q for q in assignment.questions}
    if rubric.assignment != assignment.id:  # the base's rubric: its questions this edition left out do not apply
        rubric.questions = {k: v for k, v in rubric.questions.items() if k in ids}
    for qid, rq in rubric.questions.items():
        line = _line_of(node, ("questions", qid))
        at = f"{path}:{f' line {line},' if line else ''} questions.{qid}"
        if qid not in ids:
            raise SpecError(f"{at}: no such question in {assignment.id} (questions: {', '.join(ids)})")
        names = ids[qid].check_names()
        for cname in rq.checks:
            if cname not in names:
                raise SpecError(f"{at}.checks.{cname}: no such check (this question's checks: {', '.join(names)})")
        total = rq.points if rq.points is not None else ids[qid].points
        explicit = [c.points for c in rq.checks.values() if c.points is not None]
        if sum(explicit) > total + 1e-9:
            raise SpecError(f"{at}: check points add up to {sum(explicit):g}, more than the question's {total:g}")
        if len(explicit) == len(names) and abs(sum(explicit) - total) > 1e-9:
            raise SpecError(f"{at}: check points add up to {sum(explicit):g}, but the question is worth {total:g}")
    rubric.path = path
    return rubric
