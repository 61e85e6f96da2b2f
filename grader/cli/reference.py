"""The README's command reference, generated from the verbs' own parsers so the two cannot drift
(tests/cli/test_options.py compares them). Regenerate after changing a verb's options:

    python -m grader.cli.reference --write README.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.cli import VERBS, build_parser
from grader.cli.options import add_grading_arguments, markdown_table

START, END = "<!-- command reference: generated -->\n", "<!-- end command reference -->"
_COMMON = {"-h", "--help", "--debug"}


def _shared_help() -> dict[str, str | None]:
    """Each shared grading option's help, by its long name."""
    return {a.option_strings[-1]: a.help for a in add_grading_arguments(argparse.ArgumentParser())}


def verb_section(verb: str) -> str:
    """One verb: what it does, its arguments, its own options (and the shared ones that mean something
    else for it), and which shared grading options it takes as `grade` does."""
    parser = build_parser(verb)
    shared = _shared_help()
    own, takes, named = [], [], set()
    for a in parser._actions:  # argparse has no public list of a parser's actions
        if set(a.option_strings) & _COMMON:
            continue
        name = a.option_strings[-1] if a.option_strings else None
        if name in shared:
            named.add(name)
            if a.help == shared[name]:
                takes.append(name)
                continue
        own.append(a)
    title = VERBS[verb][1]
    lines = [f"#### `grade {verb}`", "", title[0].upper() + title[1:] + ".", ""]
    positional = [a for a in own if not a.option_strings]
    options = [a for a in own if a.option_strings]
    if positional:
        lines += [f"- `{a.metavar or a.dest}`{'…' if a.nargs in ('+', '*') else ''}: {a.help}" for a in positional]
        lines.append("")
    if options:
        lines += [markdown_table(options).rstrip("\n"), ""]
    if named == set(shared):
        lines += ["Takes every grading option above (those in the table mean what it says for this verb).", ""]
    elif takes:
        lines += ["Of the grading options it takes " + ", ".join(f"`{t}`" for t in takes) + ".", ""]
    return "\n".join(lines)


def reference() -> str:
    """Every verb's section, in `grade --help`'s order; every verb also takes `-h/--help` and `--debug`."""
    head = ("Every verb also takes `-h, --help` and `--debug` (tracebacks for grader failures). "
            "Generated from the parsers by `python -m grader.cli.reference --write README.md`.\n\n")
    return head + "\n".join(verb_section(v) for v in VERBS)


def replace_in(text: str) -> str:
    """`text` (the README) with its generated block replaced by the current reference."""
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    return before + START + reference() + END + after


def main(argv: list[str]) -> int:
    if argv[:1] == ["--write"] and len(argv) == 2:
        path = Path(argv[1])
        path.write_text(replace_in(path.read_text(encoding="utf-8")), encoding="utf-8")
        return 0
    sys.stdout.write(reference())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
