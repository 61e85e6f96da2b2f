"""`grade schema` and docs/spec.md come from the models grading validates with, so neither can drift."""

from __future__ import annotations

import json

import yaml

from grader.kinds import kinds
from grader.workflows.schema import docs_markdown
from tests.conftest import ROOT, run_cli


def test_docs_spec_md_is_current() -> None:
    current = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    assert current == docs_markdown(), "docs/spec.md is stale: run `grade schema --docs -o docs/spec.md`"


def test_schema_covers_every_kind_and_every_key_the_bundled_specs_use() -> None:
    proc = run_cli("schema")
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    items = schema["properties"]["questions"]["items"]
    assert set(items["discriminator"]["mapping"]) == set(kinds())
    defs = schema["$defs"]
    for path in sorted((ROOT / "assignments").glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        assert set(data) - {k for k in data if k.startswith("x-")} <= set(schema["properties"]), path
        for q in data.get("questions", []):
            ref = items["discriminator"]["mapping"][q["kind"]].rsplit("/", 1)[-1]
            assert set(q) <= set(defs[ref]["properties"]), (path, q["id"])
    rubric = json.loads(run_cli("schema", "rubric").stdout)
    assert {"assignment", "questions", "penalties"} <= set(rubric["properties"])


def test_docs_say_what_keys_are_for() -> None:
    text = docs_markdown()
    assert "| `reference` | `solution` (optional) |" in text  # the assignment-wide solution reference
    assert "how probes pass the args: in order, or by name" in text  # a field's comment in the model
    assert "## Question kind `symbolic`" in text and "## Rubric" in text
