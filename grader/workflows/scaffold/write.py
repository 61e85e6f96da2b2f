"""The assignment YAML `grade init` writes: plain YAML an instructor edits, with a comment on every
question and probe saying what it is and where it came from."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from grader.workflows.scaffold.probes import ProbePlan
from grader.workflows.scaffold.questions import CodeFinding, WrittenFinding
from grader.workflows.scaffold.written import WrittenPlan

_BARE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def flow(v: Any) -> str:
    """A value in YAML flow style: `{uniform: [-3, 3], shape: [100]}`; strings quoted JSON-style
    (valid YAML) unless they are plain words."""
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)}: {flow(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(flow(x) for x in v) + "]"
    if isinstance(v, str):
        return v if _BARE.match(v) and v.lower() not in _RESERVED and not _looks_numeric(v) else json.dumps(v, ensure_ascii=False)
    if v is None:
        return "null"
    return json.dumps(v)


def _key(k: str) -> str:
    return k if _BARE.match(k) and k.lower() not in _RESERVED else json.dumps(k)


def _looks_numeric(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


@dataclass
class CodeQuestion:
    finding: CodeFinding
    plan: ProbePlan


@dataclass
class WrittenQuestion:
    id: str
    finding: WrittenFinding
    plan: WrittenPlan


@dataclass
class Spec:
    id: str
    title: str
    array_library: str
    solution: str
    starter: str
    rubric: str
    files: list[str]
    blank_name: str
    solution_name: str
    code: list[CodeQuestion] = field(default_factory=list)
    written: list[WrittenQuestion] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)   # comments: what was not made a question, and why


def assignment_text(spec: Spec) -> str:
    L: list[str] = [
        f"# Written by `grade init` from {spec.blank_name} (the blank) and {spec.solution_name} (the solution).",
        "# Edit freely: points, titles, probes, tolerances. Then prove it with",
        f"#   grade validate {spec.id}.yaml",
        "# (the solution must get full marks and the blank nothing) and grade a folder with `grade batch`.",
        "# Every key is described in docs/spec.md; `grade schema` prints a JSON Schema for editors.",
        f"id: {flow(spec.id)}",
        f"title: {flow(spec.title)}",
        'version: "1"  # change it when you change what is graded: cached solution answers are per version',
        f"array_library: {spec.array_library}  # what the probes pass to students' functions",
        f"solution: {flow(spec.solution)}",
        f"starter: {flow(spec.starter)}  # the blank students receive: its stubs count as not attempted",
        f"rubric: {flow(spec.rubric)}",
        "# Code questions are compared with the solution notebook's own functions: it runs once in a sandboxed",
        "# kernel of its own on the same inputs as each student's (cached). A question may give a torch",
        "# expression instead, e.g. `reference: \"torch.sigmoid(x)\"`.",
        "reference: solution",
    ]
    if spec.files:
        L.append("# next to the solution and used by it: shipped, read-only, to every kernel's working directory")
        L.append("files:")
        L += [f"  - {flow(f)}" for f in spec.files]
    names = [c.finding.name for c in spec.code]
    if names:
        L.append(f"match: {{functions: {flow(names)}}}  # how a notebook without metadata is recognised")
    L.append("questions:")
    items = sorted([(c.finding.blank_cell, 0, c) for c in spec.code] + [(w.finding.blank_cell, 1, w) for w in spec.written],
                   key=lambda t: (t[0], t[1]))
    for _, _, q in items:
        L += _code(q) if isinstance(q, CodeQuestion) else _written(q)
    if spec.left_out:
        L.append("")
        L.append("# Not made questions (write them by hand if they should be graded):")
        L += [f"#   - {line}" for line in spec.left_out]
    return "\n".join(L) + "\n"


def _code(q: CodeQuestion) -> list[str]:
    f, p = q.finding, q.plan
    L = ["", f"  # {f.signature}: {f.stub} in the blank (cell {f.blank_cell + 1}), solved in cell {f.cell + 1} of the solution;",
         f"  # {p.comment}.",
         f"  - id: {flow(f.name)}",
         "    kind: function",
         f"    function: {flow(f.name)}",
         f"    args: {flow(p.args)}",
         f"    signature: {flow(f.signature)}",
         "    points: 1"]
    if p.outputs:
        L.append(f"    outputs: {flow(p.outputs)}  # returns nothing and writes into these: compared after the call")
    L.append("    probes:")
    for probe in p.probes:
        L.append(f"      # {probe.comment}")
        L.append(f"      - name: {flow(probe.name)}")
        L.append(f"        label: {flow(probe.label)}")
        L.append(f"        inputs: {flow(probe.inputs)}")
        if probe.kwargs:
            L.append(f"        kwargs: {flow(probe.kwargs)}")
    return L


def _written(q: WrittenQuestion) -> list[str]:
    f, p = q.finding, q.plan
    answer = {"prompt": f.prompt, **({"section": f.section} if f.section else {})}
    L = ["", f"  # written: the answer cell after \"{f.prompt}\" (cell {f.blank_cell + 1} of the blank);",
         f"  # the solution's answer (cell {f.solution_cell + 1}) ends with `{_one_line(p.target)} = {_one_line(p.read_as)}`.",
         f"  - id: {flow(q.id)}",
         "    kind: symbolic",
         "    points: 1",
         f"    answer: {flow(answer)}",
         f"    target: {flow(p.target)}",
         f"    expected: {flow(p.expected)}  # sympy syntax"]
    if p.definitions:
        L.append(f"    definitions: {flow(p.definitions)}  # from the sheet: answers may use either form")
    L.append("    # aliases: {y_pred: ['\\hat{y}']}  # other spellings students use for the same symbol")
    return L


def _one_line(latex: str) -> str:
    return " ".join(latex.split()).replace("`", "'")


def rubric_text(spec: Spec) -> str:
    L = [f"# The rubric of {spec.id} (written by `grade init`): points per question and check, partial",
         "# credit, feedback and penalties. Without an entry a question is worth its `points`, split evenly",
         "# over its checks (probes).",
         f"assignment: {flow(spec.id)}",
         "penalties:",
         "  mutates_input: 0.25   # a function that changes an input in place (outputs excepted)",
         "questions:"]
    for c in spec.code:
        checks = ", ".join(pr.name for pr in c.plan.probes)
        L.append(f"  {_key(c.finding.name)}: {{}}  # checks: {checks}")
    for w in spec.written:
        L.append(f"  {_key(w.id)}: {{}}  # e.g. partial: {{wrong_form: 0.5}}")
    return "\n".join(L) + "\n"
