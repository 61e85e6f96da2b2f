"""The spec reference, made from the models grading validates with, so it cannot drift from them:
a JSON Schema of assignment and rubric YAML (`grade schema`, for editors' completion and checking)
and `docs/spec.md` (`grade schema --docs`), every key with its type, default and what it is for.

What a key is for is the comment beside the field in the model's source (`rtol: float = 1e-4  # …`)
or its `description`; an example is the first value a bundled assignment gives it.
"""

from __future__ import annotations

import inspect
import json
import re
from typing import Annotated, Any, Union

import yaml
from pydantic import BaseModel, Field, create_model

from grader.kinds import kinds
from grader.spec.folders import bundled_roots
from grader.spec.models import Assignment, Rubric

# keys the loader reads before validation (they never reach the model)
_LOADER_KEYS = {
    "extends": {"type": "string", "description": "another assignment (an id, or a YAML path relative to this "
                                                 "file) whose keys and questions this one starts from"},
    "exclude": {"type": "array", "items": {"type": "string"},
                "description": "with `extends`: question ids of the base to leave out"},
}
_INTERNAL = {"path", "based_on"}


def _assignment_model() -> type[BaseModel]:
    models = tuple(k.model for k in kinds().values())
    question = Annotated[Union[models], Field(discriminator="kind")]  # type: ignore[valid-type]
    return create_model("Assignment", __base__=Assignment, __doc__=Assignment.__doc__,
                        questions=(list[question], ...))  # type: ignore[valid-type]


def json_schema(which: str = "assignment") -> dict[str, Any]:
    """The JSON Schema of an assignment (`which="assignment"`) or rubric file."""
    model = _assignment_model() if which == "assignment" else Rubric
    schema = model.model_json_schema(mode="validation")
    for name in _INTERNAL:
        schema.get("properties", {}).pop(name, None)
    if which == "assignment":
        schema["properties"].update(_LOADER_KEYS)
        # `questions` may come from `extends`: the loader requires them after merging
        schema["required"] = [r for r in schema.get("required", []) if r not in _INTERNAL | {"questions"}]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"grader {which}"
    return schema


# ------------------------------------------------------------------ docs/spec.md

def _comments(model: type) -> dict[str, str]:
    """field name -> the comment on its line in the class body (of this class and its bases)."""
    out: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls is BaseModel:
            continue
        try:
            source = inspect.getsource(cls)
        except (OSError, TypeError):
            continue
        for m in re.finditer(r"((?:^    #[^\n]*\n)*)^    (\w+): [^\n#]*(?:#\s*(.+))?$", source, re.MULTILINE):
            above = " ".join(line.strip().lstrip("#").strip() for line in m.group(1).splitlines())
            text = " ".join(t for t in (above, (m.group(3) or "").strip()) if t)
            if text:
                out[m.group(2)] = text
    return out


def _examples() -> dict[tuple[str, str], Any]:
    """(model title, key) -> the first value a bundled assignment gives it."""
    found: dict[tuple[str, str], Any] = {}
    for root in bundled_roots("assignments"):
        for path in sorted(root.glob("*.yaml")):
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError):
                continue
            if not isinstance(data, dict):
                continue
            for k, v in data.items():
                found.setdefault(("Assignment", k), v)
            for q in data.get("questions", []) or []:
                if isinstance(q, dict):
                    for k, v in q.items():
                        found.setdefault((str(q.get("kind")), k), v)
    return found


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    for union in ("anyOf", "oneOf"):
        if union in prop:
            kinds_ = [_type(p) for p in prop[union] if p.get("type") != "null"]
            return " or ".join(dict.fromkeys(kinds_)) + (" (optional)" if len(kinds_) < len(prop[union]) else "")
    if "enum" in prop:
        return " or ".join(f"`{e}`" for e in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    t = prop.get("type", "any")
    if t == "array":
        items = prop.get("items") or ({"type": "…"} if "prefixItems" not in prop else {"type": "tuple"})
        return f"list of {_type(items)}" if "prefixItems" not in prop else \
            f"[{', '.join(_type(i) for i in prop['prefixItems'])}]"
    if t == "object":
        extra = prop.get("additionalProperties")
        return f"mapping to {_type(extra)}" if isinstance(extra, dict) and extra else "mapping"
    return str(t)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _flow(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 70 else text[:67] + "…"


def docs_markdown() -> str:
    """docs/spec.md: the assignment's keys, each question kind's, the shared parts, the rubric's."""
    schema = json_schema("assignment")
    rubric = json_schema("rubric")
    defs = {**schema.get("$defs", {}), **rubric.get("$defs", {})}
    pydantic_models = {m.__name__: m for m in _models()}
    examples = _examples()
    kind_of = {k.model.__name__: name for name, k in kinds().items()}
    L = ["# Spec reference", "",
         "Generated by `grade schema --docs` from the models the grader validates with; `make test` checks that it is",
         "current. `grade schema` prints the JSON Schema of an assignment (`grade schema rubric`: of a rubric) for",
         "editors: e.g. `# yaml-language-server: $schema=assignment.schema.json` at the top of a YAML file.", "",
         "Paths in a spec are relative to its YAML file. Unknown keys are errors (a typo is almost always one).", ""]

    def table(title: str, node: dict[str, Any], model_name: str, example_key: str) -> None:
        model = pydantic_models.get(model_name)
        notes = _comments(model) if model is not None else {}
        L.extend([f"## {title}", ""])
        doc = model.__dict__.get("__doc__") if model is not None else None
        if doc:
            L.extend([" ".join(doc.split()), ""])
        L.extend(["| key | type | default | what it is | example |", "|---|---|---|---|---|"])
        required = set(node.get("required", []))
        for key, prop in node.get("properties", {}).items():
            default = "required" if key in required else (f"`{_flow(prop['default'])}`" if "default" in prop else "")
            what = prop.get("description") or notes.get(key.rstrip("_"), notes.get(key, ""))
            ex = examples.get((example_key, key))
            L.append(f"| `{key}` | {_cell(_type(prop))} | {_cell(default)} | {_cell(what)} | "
                     f"{'`' + _cell(_flow(ex)) + '`' if ex is not None else ''} |")
        L.append("")

    table("Assignment", schema, "Assignment", "Assignment")
    for name, node in sorted(defs.items()):
        if name in kind_of:
            table(f"Question kind `{kind_of[name]}`", node, name, kind_of[name])
    for name, node in sorted(defs.items()):
        if name not in kind_of and node.get("type") == "object" and "properties" in node:
            table(name, node, name, "")
    table("Rubric", rubric, "Rubric", "")
    return "\n".join(L).rstrip() + "\n"


def _models() -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []
    todo: list[type] = [Assignment, Rubric, *(k.model for k in kinds().values())]
    while todo:
        m = todo.pop()
        if m in seen or not (isinstance(m, type) and issubclass(m, BaseModel)):
            continue
        seen.append(m)
        for f in m.model_fields.values():
            todo += [a for a in _flatten(f.annotation) if isinstance(a, type)]
    return seen


def _flatten(t: Any) -> list[Any]:
    args = getattr(t, "__args__", None)
    return [t] if not args else [a for x in args for a in _flatten(x)]
