"""`grade init`: an assignment spec from the two notebooks an instructor already has.

The blank says what is asked (stubs, empty answer cells), the solution what is right: its functions
are the reference (`reference: solution`), the way it calls them gives the probe inputs (recorded in
one sandboxed run), its answer cells give the expected expressions. The spec is then proved as
`grade validate` proves any spec (the solution full marks, the blank nothing); a question that fails
the proof is left out, with the reason in the YAML, so what is written always validates.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from grader import interrupt
from grader.errors import GraderInputError
from grader.files import write_atomic
from grader.kernel.limits import Limits
from grader.kinds import open_bundle
from grader.notebook.read import parse_code, read_notebook
from grader.workflows.scaffold import probes, written
from grader.workflows.scaffold.questions import find_questions
from grader.workflows.scaffold.record import record_calls
from grader.workflows.scaffold.write import (
    CodeQuestion,
    Spec,
    WrittenQuestion,
    assignment_text,
    rubric_text,
)
from grader.workflows.validate import check_files, prove

__all__ = ["Scaffold", "scaffold", "default_id"]


@dataclass
class Scaffold:
    assignment: Path
    rubric: Path
    code: list[str]
    written: list[str]
    left_out: list[str] = field(default_factory=list)
    solution_score: str = ""
    starter_score: str = ""


def default_id(blank: Path) -> str:
    """`ex02_derivatives.ipynb` -> `ex02-derivatives`."""
    stem = re.sub(r"[_\s]+(blank|starter|template|student)$", "", blank.stem, flags=re.IGNORECASE)
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "assignment"


def scaffold(blank: Path, solution: Path, out_dir: Path, aid: str, *, limits: Limits | None = None,
             overwrite: bool = False, verify: bool = True) -> Scaffold:
    """Write `out_dir/<aid>.yaml` and `out_dir/<aid>.rubric.yaml`; returns what was written."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", aid):
        raise GraderInputError(f"--id {aid!r}: use letters, digits, '-', '_' or '.'")
    if not out_dir.is_dir():
        raise GraderInputError(f"{out_dir}: no such directory (create it, or pass -o to an existing one)")
    yaml_path, rubric_path = out_dir / f"{aid}.yaml", out_dir / f"{aid}.rubric.yaml"
    for p in (yaml_path, rubric_path):
        if p.exists() and not overwrite:
            raise GraderInputError(f"{p} exists; pass --force to overwrite it")
    blank_nb, solution_nb = read_notebook(blank), read_notebook(solution)
    found = find_questions(blank_nb, solution_nb)
    if not found.code and not found.written:
        raise GraderInputError(f"{blank}: found no stub the solution fills in and no empty answer cell it answers; "
                               "are BLANK and SOLUTION the right way round?")
    library = _array_library(solution_nb)
    files = _support_files(solution_nb, solution.parent)
    spec = Spec(aid, found.title or aid, library, _rel(solution, out_dir), _rel(blank, out_dir), rubric_path.name,
                [_rel(solution.parent / f, out_dir) for f in files], blank.name, solution.name,
                left_out=list(found.skipped))
    recording = interrupt.run(record_calls(solution, [c.name for c in found.code], array_library=library,
                                           files={f: solution.parent / f for f in files}, limits=limits))
    for c in found.code:
        try:
            spec.code.append(CodeQuestion(c, probes.plan(c, recording.calls.get(c.name, []))))
        except probes.CannotProbe as e:
            spec.left_out.append(f"{c.name}: {e}")
    used = {c.finding.name for c in spec.code}
    for w in found.written:
        try:
            plan = written.plan(w, blank_nb)
        except written.CannotRead as e:
            spec.left_out.append(f"the answer after \"{w.prompt}\" (cell {w.blank_cell + 1}): {e}")
            continue
        qid = _written_id(plan.target, used)
        spec.written.append(WrittenQuestion(qid, w, plan))
        used.add(qid)
    _write(spec, yaml_path, rubric_path)
    result = Scaffold(yaml_path, rubric_path, [c.finding.name for c in spec.code], [w.id for w in spec.written])
    if verify:
        _prove(spec, yaml_path, rubric_path, result, limits)
    result.left_out = spec.left_out
    return result


def _write(spec: Spec, yaml_path: Path, rubric_path: Path) -> None:
    write_atomic(yaml_path, assignment_text(spec))
    write_atomic(rubric_path, rubric_text(spec))


def _prove(spec: Spec, yaml_path: Path, rubric_path: Path, result: Scaffold, limits: Limits | None) -> None:
    """Validate what was written; leave out the questions that fail, and write it again (twice at most)."""
    for _round in range(3):
        bundle = open_bundle(yaml_path)
        check_files(bundle, limits)
        proof = prove(bundle, limits)
        failing = proof.failing
        general = [p for p in proof.problems if p not in failing.values()]
        if general:
            raise GraderInputError(f"{yaml_path}: {general[0]}")
        if not failing:
            s, st = proof.solution, proof.starter
            result.solution_score = f"{_n(s[0])}/{_n(s[1])}" if s else ""
            result.starter_score = f"{_n(st[0])}/{_n(st[1])}"
            result.code = [c.finding.name for c in spec.code]
            result.written = [w.id for w in spec.written]
            return
        spec.left_out += [f"{qid}: left out because `grade validate` failed on it: {why}" for qid, why in failing.items()]
        spec.code = [c for c in spec.code if c.finding.name not in failing]
        spec.written = [w for w in spec.written if w.id not in failing]
        if not spec.code and not spec.written:
            raise GraderInputError(f"{yaml_path}: no question survived validation: {next(iter(failing.values()))}")
        _write(spec, yaml_path, rubric_path)
    raise GraderInputError(f"{yaml_path}: validation still fails after leaving questions out")


def _n(x: object) -> str:
    f = float(x)  # type: ignore[arg-type]
    return f"{f:g}"


def _written_id(target: str, used: set[str]) -> str:
    """An id from the quantity derived: `f'(x)` -> `f_prime_written`, `\\frac{\\partial L}{\\partial z}` -> `dL_dz_written`."""
    t = re.sub(r"\\(text|mathrm|operatorname|mathcal|mathbf)\s*\{([^}]*)\}", r"\2", target)
    m = re.search(r"\\frac\s*\{\s*\\?(?:partial|d)\s*([^}]*)\}\s*\{\s*\\?(?:partial|d)\s*([^}]*)\}", t)
    after = re.match(r"\s*\\?([A-Za-z]+)", t[m.end():]) if m else None
    if m and not m.group(1).strip() and after:  # \frac{d}{dx} \tanh(x): the derivative of tanh
        t = f"{after.group(1)}'"
    elif m:
        t = f"d{m.group(1)}_d{m.group(2)}"
    t = re.sub(r"\([^)]*\)", "", t).replace("'", "_prime")
    slug = "_".join(re.findall(r"[A-Za-z0-9]+", t.replace("\\", " "))).lower() or "answer"
    qid, k = f"{slug}_written", 2
    while qid in used:
        qid, k = f"{slug}_written_{k}", k + 1
    return qid


def _array_library(nb: object) -> str:
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")  # type: ignore[attr-defined]
    return "torch" if re.search(r"^\s*(import|from)\s+torch\b", code, re.MULTILINE) or \
        not re.search(r"^\s*(import|from)\s+numpy\b", code, re.MULTILINE) else "numpy"


def _support_files(nb: object, folder: Path) -> list[str]:
    """Files next to the solution that its code uses: local modules it imports, files it names."""
    out: list[str] = []
    for cell in nb.cells:  # type: ignore[attr-defined]
        tree = parse_code(cell.source) if cell.cell_type == "code" else None
        for node in ast.walk(tree) if tree is not None else []:
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [f"{a.name.split('.')[0]}.py" for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [f"{node.module.split('.')[0]}.py"]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 200 \
                    and "\n" not in node.value and not node.value.startswith(("/", "..")):
                names = [node.value]
            for n in names:
                p = folder / n
                if n not in out and not n.endswith(".ipynb") and p.is_file() and not p.is_symlink() and p.resolve().is_relative_to(folder.resolve()):
                    out.append(n)
    return out


def _rel(path: Path, folder: Path) -> str:
    return Path(os.path.relpath(path.resolve(), folder.resolve())).as_posix()
