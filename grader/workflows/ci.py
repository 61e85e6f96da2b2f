"""The CI gate for course repos: which notebooks to grade, against what, and what counts as passing.

Configuration lives in the repo (`grader.yml`, or `[tool.grader]` in `pyproject.toml`):

    min_score: 0.8                 # fraction of max_score every notebook must reach (default 1.0)
    notebooks:
      - path: ex02/derivatives.ipynb
        assignment: derivatives-activations
        min_score: 1.0             # optional, per notebook
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import Field, ValidationError

from grader.errors import GraderInputError
from grader.report.junit import junit_xml
from grader.report.safe import annotation, markdown_code, markdown_text, terminal
from grader.results import GradeResult, as_number, exact
from grader.spec.models import Model


class NotebookTarget(Model):
    path: str
    assignment: str
    min_score: float | None = Field(default=None, ge=0, le=1)


class CIConfig(Model):
    min_score: float = Field(default=1.0, ge=0, le=1)
    assignments: str | None = None  # the course's assignments folder (ids are looked up there; grader.spec.folders)
    notebooks: list[NotebookTarget] = Field(min_length=1)


@dataclass
class Target:
    notebook: Path
    assignment: str
    min_score: float


def find_config(start: Path) -> Path | None:
    for d in [start, *start.parents]:
        for name in ("grader.yml", "grader.yaml"):
            if (d / name).is_file():
                return d / name
        pp = d / "pyproject.toml"
        if pp.is_file():
            try:
                if "grader" in tomllib.loads(pp.read_text(encoding="utf-8")).get("tool", {}):
                    return pp
            except (tomllib.TOMLDecodeError, OSError):
                pass
    return None


def load_config(path: Path) -> list[Target]:
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("grader")
        else:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, tomllib.TOMLDecodeError) as e:
        raise GraderInputError(f"{path}: cannot read the CI configuration ({type(e).__name__}: {e})".splitlines()[0]) from None
    try:
        cfg = CIConfig.model_validate(data or {})
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "top level"
        raise GraderInputError(f"{path}: {where}: {err['msg']}") from None
    base = path.parent
    return [Target(base / n.path, n.assignment, cfg.min_score if n.min_score is None else n.min_score)
            for n in cfg.notebooks]


def passed(result: GradeResult, target: Target) -> bool:
    return result.max_score == 0 or result.score >= result.max_score * exact(target.min_score)


def repo_root(start: Path | None = None) -> Path:
    """The folder paths are shown relative to: `$GITHUB_WORKSPACE` in GitHub Actions (where annotations are
    placed by it), else the git work tree holding `start` (the cwd), else the folder of the CI configuration
    found from it, else `start`. So `grade ci` run from a subfolder names a notebook as it does from the top."""
    start = (start or Path.cwd()).resolve()
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if workspace:
        return Path(workspace).resolve()
    for d in [start, *start.parents]:
        if (d / ".git").exists():
            return d
    cfg = find_config(start)
    return cfg.parent.resolve() if cfg else start


def shown(path: Path, root: Path | None = None) -> str:
    """`path` relative to the repo's root (`repo_root`), with `/`: what GitHub's annotations and JUnit
    readers expect. A path outside the repo stays absolute."""
    try:
        return (Path.cwd() / path).resolve().relative_to(root or repo_root()).as_posix()
    except ValueError:
        return str(Path(path).resolve())


def junit_report(pairs: list[tuple[Target, GradeResult]]) -> str:
    """The JUnit XML for `grade ci`, every `file=` the notebook's repo-relative path (`shown`)."""
    root = repo_root()
    return junit_xml([dataclasses.replace(r, notebook=shown(t.notebook, root)) for t, r in pairs])


def annotations(result: GradeResult, target: Target) -> list[str]:
    """GitHub workflow commands: one ::error per question that lost points. The message and the properties
    are escaped (`safe.annotation`), so feedback cannot end the command early or start another one."""
    out = []
    for q in result.questions:
        if q.score < q.max_score:
            msg = annotation(f"{q.id}: {as_number(q.score)}/{as_number(q.max_score)} ({q.status}). {q.feedback}")
            where = annotation(shown(target.notebook), prop=True)
            title = annotation(f"{result.assignment} {q.id}", prop=True)
            out.append(f"::error file={where},title={title}::{msg}")
    return out


def step_summary(pairs: list[tuple[Target, GradeResult]]) -> str:
    """The Markdown for $GITHUB_STEP_SUMMARY; every path, id and piece of feedback is escaped (`safe`)."""
    lines = ["## Autograder", "", "| notebook | assignment | score | needed | result |", "| --- | --- | --- | --- | --- |"]
    for t, r in pairs:
        ok = passed(r, t)
        lines.append(f"| {markdown_code(shown(t.notebook), table=True)} | {markdown_text(r.assignment, one_line=True)} | "
                     f"{as_number(r.score)}/{as_number(r.max_score)} | "
                     f"{t.min_score:.0%} | {'✅ pass' if ok else '❌ below minimum'} |")
    for t, r in pairs:
        lost = [q for q in r.questions if q.score < q.max_score]
        if lost:
            lines += ["", f"### {markdown_code(shown(t.notebook))}", ""]
            lines += [f"- **{markdown_text(q.id, one_line=True)}** ({as_number(q.score)}/{as_number(q.max_score)}, "
                      f"{markdown_text(q.status, one_line=True)}): {markdown_text(_first_line(q.feedback), one_line=True)}"
                      for q in lost]
    return "\n".join(lines) + "\n"


def _first_line(text: str) -> str:
    return next((line for line in terminal(text).split("\n") if line.strip()), "")
