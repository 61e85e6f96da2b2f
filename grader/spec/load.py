"""Turn assignment and rubric YAML into validated models, with errors that name the file and line.

Question models belong to the kinds (a layer above this one), so loading is given a lookup from a
question's `kind` to its model; `grader.kinds.load_assignment` passes the registry's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import yaml
from pydantic import ValidationError

from grader.errors import GraderInputError, SpecError
from grader.spec.folders import find_assignment_id
from grader.spec.models import Assignment, Rubric, SupportFile

# kind name (or a missing/invalid value) -> the question model; raises KeyError with a message listing known kinds
QuestionModels = Callable[[object], type]

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


def assignment_data(path: Path, question_model: QuestionModels) -> dict[str, Any]:
    """The assignment as plain data with `extends` flattened in: what `load_assignment` validates,
    and what a self-contained bundle ships (no base file needed to read it)."""
    return _flattened(Path(path), question_model)[0]


def _flattened(path: Path, question_model: QuestionModels) -> tuple[dict[str, Any], yaml.Node | None]:
    data, node = _read_yaml(path)
    data = {k: v for k, v in data.items() if not str(k).startswith("x-")}  # x-*: YAML anchors' home
    if "extends" in data:
        data = _extend(path, data, question_model)
    return data, node


def load_assignment(path: Path, question_model: QuestionModels) -> Assignment:
    path = Path(path)
    data, node = _flattened(path, question_model)
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
    _check_support_files(path, assignment, node)
    return assignment


def _check_support_files(path: Path, assignment: Assignment, node: yaml.Node | None) -> None:
    """Every `files:` entry is a file that exists (relative to the YAML), each at its own place."""
    seen: dict[str, str] = {}
    for i, f in enumerate(assignment.files):
        line = _line_of(node, ("files", i))
        at = f"{path}:{f' line {line},' if line else ''} files[{i}]"
        source = assignment.support_files()[f.target]
        if not source.is_file():
            what = "is a folder (list its files)" if source.is_dir() else "not found"
            raise SpecError(f"{at}: {f.path} {what} (looked for {source})")
        if f.target in seen:
            raise SpecError(f"{at}: {f.path} goes to {f.target!r}, where {seen[f.target]} goes too")
        seen[f.target] = f.path


def _extend(path: Path, data: dict[str, Any], question_model: QuestionModels) -> dict[str, Any]:
    """`extends: base.yaml` (+ `exclude: [ids]`): an edition of another assignment, e.g. for NumPy.

    The base is validated on its own first, so its errors name its own file and line.
    """
    base_path = _base_of(path, str(data.pop("extends")))
    exclude = data.pop("exclude", []) or []
    base = load_assignment(base_path, question_model)
    base_data, _ = _read_yaml(base_path)
    known = {q.id for q in base.questions}
    unknown = [q for q in exclude if q not in known]
    if unknown:
        raise SpecError(f"{path}: exclude: no question {', '.join(map(repr, unknown))} in {base_path.name}")
    merged = {k: v for k, v in base_data.items() if not str(k).startswith("x-") and k not in ("questions", "match")}
    merged = _rebased(merged, base_path.parent)  # the base's paths are relative to the base's file, not this one
    if base.solution and "solution" not in data:
        merged.pop("solution", None)  # the base's solution is not this edition's
    questions = [q for q in base_data["questions"] if q.get("id") not in exclude] + list(data.pop("questions", []) or [])
    return {**merged, **data, "questions": questions, "based_on": base.id}


def _base_of(path: Path, ref: str) -> Path:
    """`extends:` names a YAML path (relative to this file) or an assignment id (looked up beside this
    file, in the course's folders, then the bundled ones)."""
    if Path(ref).suffix in (".yaml", ".yml"):
        return path.parent / ref
    try:
        return find_assignment_id(ref, near=path.parent)
    except GraderInputError as e:
        raise SpecError(f"{path}: extends: {e}") from None


def _rebased(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """A base's file paths (starter, solution, a rubric given as a path, support files) made absolute
    from `folder`, the base's own, so an edition elsewhere still finds them."""
    out = dict(data)
    here = folder.resolve()
    for key in ("starter", "solution"):
        if isinstance(out.get(key), str):
            out[key] = str(here / out[key])
    if isinstance(out.get("rubric"), str) and Path(out["rubric"]).suffix in (".yaml", ".yml"):
        out["rubric"] = str(here / out["rubric"])
    if isinstance(out.get("files"), list):
        out["files"] = [_rebased_file(f, here) for f in out["files"]]
    return out


def _rebased_file(entry: Any, folder: Path) -> Any:
    entry = {"path": entry} if isinstance(entry, str) else entry
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        return entry  # invalid: the model says why
    try:
        place = SupportFile.model_validate(entry).target
    except ValidationError:
        return entry  # the edition's own validation names the problem
    return {**entry, "path": str(folder / entry["path"]), "as": place}


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
