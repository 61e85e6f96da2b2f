"""Print the JSON Schema of assignment (or rubric) YAML, or the spec reference as Markdown.

examples:
  grade schema -o assignment.schema.json     # then, atop a YAML: # yaml-language-server: $schema=assignment.schema.json
  grade schema rubric
  grade schema --docs -o docs/spec.md
"""

from __future__ import annotations

import argparse
import json
import sys

from grader.cli.options import output_file
from grader.files import write_atomic
from grader.workflows.schema import docs_markdown, json_schema


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("which", nargs="?", choices=("assignment", "rubric"), default="assignment",
                   help="which file's schema (default: assignment)")
    p.add_argument("--docs", action="store_true", help="the Markdown reference of every key (docs/spec.md) instead")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")


def run(args: argparse.Namespace) -> int:
    text = docs_markdown() if args.docs else json.dumps(json_schema(args.which), indent=2) + "\n"
    if args.output:
        output_file(args.output)
        write_atomic(args.output, text)
    else:
        sys.stdout.write(text)
    return 0
